/* stateful_run.c — what every stateful operator's tasks share.
 *
 * Layer: structured/. The run data a task gets (the node, the batch's execution, the
 * operator's id), keeping the node alive as long as the RDDs that call back into it, the event
 * time of a row (a timestamp, or a window's or session's end), adding a task's state
 * metrics to the operator's, and the (key, time + row) pair a keyed operator shuffles.
 */
#include "structured/internal.h"

DuetStatefulRun *
duet_stateful_run_new(DuetDataFrame *frame, DuetExecution *execution)
{
    DuetStatefulRun *run = g_new(DuetStatefulRun, 1);
    run->frame = frame;
    run->execution = execution;
    run->id = duet_execution_node_id(execution, frame); /* G_MAXUINT: a static-side node */
    return run;
}

DuetRdd *
duet_stateful_attach(DuetRdd *rdd, DuetDataFrame *frame, gpointer run)
{
    duet_rdd_attach_data(rdd, duet_dataframe_ref(frame), (GDestroyNotify)duet_dataframe_unref);
    duet_rdd_attach_data(rdd, run, g_free);
    return rdd;
}

gint64
duet_event_time_of(const DuetColumn *column, gsize row, gboolean is_window)
{
    if (duet_column_is_null(column, row))
        return G_MININT64;
    if (is_window) {
        const DuetColumn *end = duet_column_child(column, 1);
        return duet_column_is_null(end, row) ? G_MININT64 : duet_column_get_int64(end, row);
    }
    return duet_column_get_int64(column, row);
}

void
duet_stateful_add_metrics(DuetExecution *execution, guint id, const DuetStateMetrics *metrics)
{
    g_mutex_lock(&execution->lock);
    DuetStateMetrics *total = &g_array_index(execution->metrics, DuetStateMetrics, id);
    total->rows_total += metrics->rows_total;
    total->rows_updated += metrics->rows_updated;
    total->rows_dropped_by_watermark += metrics->rows_dropped_by_watermark;
    total->rows_removed += metrics->rows_removed;
    total->rows_output += metrics->rows_output;
    total->dropped_duplicate_rows += metrics->dropped_duplicate_rows;
    g_mutex_unlock(&execution->lock);
}

void
duet_stateful_append_row_pair(DuetBatchBuilder *out, GByteArray *key, GByteArray *value,
                              DuetBatch *batch, gsize row, GArray *key_columns, gint64 time)
{
    g_byte_array_set_size(key, 0);
    g_byte_array_set_size(value, 0);
    for (guint index = 0; index < key_columns->len; index++)
        duet_row_codec_append_cell(
            key, duet_batch_column(batch, g_array_index(key_columns, guint, index)), row);
    duet_row_codec_put_i64(value, time);
    for (guint column = 0; column < duet_batch_n_columns(batch); column++)
        duet_row_codec_append_cell(value, duet_batch_column(batch, column), row);
    duet_batch_builder_append_string(out, 0, (const char *)key->data, (gssize)key->len);
    duet_batch_builder_append_string(out, 1, (const char *)value->data, (gssize)value->len);
}
