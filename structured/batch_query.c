/* batch_query.c — a DataFrame run once as a static (batch) query.
 *
 * Layer: structured/. Spark's Dataset.collect() on a non-streaming DataFrame: the plan runs
 * over everything its source holds now. Stateful operators run as in Complete mode over
 * throwaway state (nothing is written), so an aggregation emits every group, deduplication
 * keeps first occurrences, and a watermark is inert. Used for static tables (stream-static
 * joins, the batch window() cases) and by tests.
 */
#include "structured/internal.h"

DuetBatch *
duet_dataframe_collect(DuetContext *context, DuetDataFrame *written, GError **error)
{
    g_autoptr(DuetDataFrame) frame = duet_optimize_for(context, written);
    GPtrArray *stateful = g_ptr_array_new(), *watermarks = g_ptr_array_new();
    DuetExecution execution;
    duet_execution_init(
        &execution, context, frame, DUET_OUTPUT_MODE_COMPLETE,
        (guint)CLAMP(duet_context_get_conf_int(context, "spark.sql.shuffle.partitions", 200), 1,
                     100000),
        stateful, watermarks);
    execution.has_watermark = FALSE;                        /* inert in a batch query */
    g_clear_pointer(&execution.inputs, g_hash_table_unref); /* every source read whole */
    execution.batch_timestamp_ms = g_get_real_time() / 1000;
    for (guint id = 0; id < stateful->len; id++)
        execution.stores->pdata[id] =
            duet_state_store_open(NULL, execution.shuffle_partitions * 2, 2, NULL, 0, NULL);
    DuetBatch *rows = NULL;
    g_autoptr(DuetRdd) output = duet_plan_rdd(frame, &execution, error);
    if (output != NULL)
        rows = duet_rdd_collect(output, error);
    duet_execution_clear(&execution);
    g_ptr_array_unref(stateful);
    g_ptr_array_unref(watermarks);
    return rows;
}
