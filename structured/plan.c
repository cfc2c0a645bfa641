/* plan.c — a logical plan as RDD transformations over one micro-batch.
 *
 * Layer: structured/. Projections, filters, window expansion and the watermark's event-time
 * statistics run in mapPartitions tasks that evaluate whole columns at a time (expr_eval.c);
 * consecutive ones pipeline in one task on the RDD core. Stateful operators (stateful.c)
 * shuffle by their keys into spark.sql.shuffle.partitions partitions. A sort (Complete mode)
 * gathers its input into one partition and orders it.
 */
#include "structured/internal.h"

#include <string.h>

guint
duet_execution_node_id(DuetExecution *execution, gconstpointer node)
{
    guint id = GPOINTER_TO_UINT(g_hash_table_lookup(execution->node_ids, node));
    return id ? id - 1 : G_MAXUINT;
}

/* Pre-order (a node, then its left side, then its right side): top-down ids. */
static void
number_nodes(DuetExecution *execution, DuetDataFrame *frame, gboolean streaming_plan,
             GPtrArray *stateful_nodes, GPtrArray *watermark_nodes)
{
    if (frame == NULL)
        return;
    GPtrArray *list = NULL;
    if (streaming_plan && !frame->is_streaming)
        list = NULL; /* a static side of a streaming query runs as a batch, without state */
    else if (frame->kind == DUET_PLAN_AGGREGATE || frame->kind == DUET_PLAN_DEDUP ||
             frame->kind == DUET_PLAN_LIMIT || frame->kind == DUET_PLAN_GROUP_STATE ||
             (frame->kind == DUET_PLAN_JOIN && frame->right->is_streaming && streaming_plan))
        list = stateful_nodes;
    else if (frame->kind == DUET_PLAN_WATERMARK)
        list = watermark_nodes;
    if (list != NULL) {
        g_hash_table_insert(execution->node_ids, frame, GUINT_TO_POINTER(list->len + 1));
        g_ptr_array_add(list, frame);
    }
    number_nodes(execution, frame->child, streaming_plan, stateful_nodes, watermark_nodes);
    number_nodes(execution, frame->right, streaming_plan, stateful_nodes, watermark_nodes);
}

void
duet_execution_init(DuetExecution *execution, DuetContext *context, DuetDataFrame *plan,
                    DuetOutputMode mode, guint shuffle_partitions, GPtrArray *stateful_nodes,
                    GPtrArray *watermark_nodes)
{
    memset(execution, 0, sizeof *execution);
    execution->context = context;
    execution->mode = mode;
    execution->shuffle_partitions = shuffle_partitions;
    execution->node_ids = g_hash_table_new(g_direct_hash, g_direct_equal);
    execution->inputs =
        g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)duet_rdd_unref);
    execution->stores = g_ptr_array_new_with_free_func((GDestroyNotify)duet_state_store_free);
    execution->event_time = g_array_new(FALSE, TRUE, sizeof(DuetEventTimeStats));
    execution->metrics = g_array_new(FALSE, TRUE, sizeof(DuetStateMetrics));
    g_mutex_init(&execution->lock);
    number_nodes(execution, plan, plan->is_streaming, stateful_nodes, watermark_nodes);
    execution->has_watermark = watermark_nodes->len > 0;
    g_ptr_array_set_size(execution->stores, (gint)stateful_nodes->len);
    g_array_set_size(execution->metrics, stateful_nodes->len);
    g_array_set_size(execution->event_time, watermark_nodes->len);
}

void
duet_execution_clear(DuetExecution *execution)
{
    g_hash_table_unref(execution->node_ids);
    if (execution->inputs)
        g_hash_table_unref(execution->inputs);
    g_ptr_array_unref(execution->stores);
    g_array_unref(execution->event_time);
    g_array_unref(execution->metrics);
    g_mutex_clear(&execution->lock);
}

/* Fails the task with error's message, consuming error. */
static void
fail_task(GError *error)
{
    duet_task_fail("%s", error->message);
    g_error_free(error);
}

/* ---- project and filter ------------------------------------------------------------------- */

typedef DuetPlanRun NodeRun;

static void
run_project(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    NodeRun *run = user_data;
    DuetDataFrame *frame = run->frame;
    duet_expr_set_batch_time(run->execution ? run->execution->batch_timestamp_ms * 1000
                                            : G_MININT64);
    for (guint batch_idx = 0; batch_idx < batches->len && !duet_task_failed(); batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        gsize n_rows = duet_batch_n_rows(batch);
        for (guint index = 0; index < frame->exprs->len; index++) {
            GError *error = NULL;
            g_autoptr(DuetColumn) column =
                duet_expr_evaluate(frame->exprs->pdata[index], batch, &error);
            if (column == NULL) {
                fail_task(error);
                return;
            }
            duet_column_builder_append_range(duet_batch_builder_column(out, index), column, 0,
                                             n_rows);
        }
    }
}

static void
run_filter(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    NodeRun *run = user_data;
    DuetDataFrame *frame = run->frame;
    duet_expr_set_batch_time(run->execution ? run->execution->batch_timestamp_ms * 1000
                                            : G_MININT64);
    for (guint batch_idx = 0; batch_idx < batches->len && !duet_task_failed(); batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        GError *error = NULL;
        g_autoptr(DuetColumn) keep = duet_expr_evaluate(frame->exprs->pdata[0], batch, &error);
        if (keep == NULL) {
            fail_task(error);
            return;
        }
        gsize n_rows = duet_batch_n_rows(batch);
        for (gsize row = 0; row < n_rows; row++) {
            if (duet_column_is_null(keep, row) || !duet_column_get_boolean(keep, row))
                continue;
            DuetRow kept = duet_batch_row(batch, row);
            duet_batch_builder_append_row(out, &kept);
        }
    }
}

/* ---- window() ----------------------------------------------------------------------------- */

/* Java's % (the sign of the dividend). */
static gint64
java_remainder(gint64 a, gint64 b)
{
    return a % b;
}

/* Spark's TimeWindowing: every window [start, start + window) containing ts. */
static void
run_window(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    DuetDataFrame *frame = user_data;
    guint n_child = duet_schema_n_fields(frame->child->schema);
    gint64 window = frame->window_us, slide = frame->slide_us, start = frame->start_us;
    gint64 candidates = (window + slide - 1) / slide;
    for (guint batch_idx = 0; batch_idx < batches->len && !duet_task_failed(); batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        GError *error = NULL;
        g_autoptr(DuetColumn) times = duet_expr_evaluate(frame->exprs->pdata[0], batch, &error);
        if (times == NULL) {
            fail_task(error);
            return;
        }
        gsize n_rows = duet_batch_n_rows(batch);
        GArray *rows = g_array_new(FALSE, FALSE, sizeof(guint32));
        GArray *starts = g_array_new(FALSE, FALSE, sizeof(gint64));
        for (gsize row = 0; row < n_rows; row++) {
            if (duet_column_is_null(times, row))
                continue;
            gint64 ts = duet_column_get_int64(times, row);
            gint64 last_start = ts - java_remainder(ts - start + slide, slide);
            for (gint64 index = 0; index < candidates; index++) {
                gint64 window_start = last_start - index * slide;
                if (window % slide != 0 && !(window_start <= ts && ts < window_start + window))
                    continue;
                guint32 row32 = (guint32)row;
                g_array_append_val(rows, row32);
                g_array_append_val(starts, window_start);
            }
        }
        g_autoptr(DuetBatch) taken = duet_batch_take(batch, (const guint32 *)rows->data, rows->len);
        for (guint column = 0; column < n_child; column++)
            duet_column_builder_append_range(duet_batch_builder_column(out, column),
                                             duet_batch_column(taken, column), 0, rows->len);
        DuetColumnBuilder *windows = duet_batch_builder_column(out, n_child);
        for (guint index = 0; index < starts->len; index++) {
            gint64 window_start = g_array_index(starts, gint64, index);
            duet_column_builder_append_int64(duet_column_builder_child(windows, 0), window_start);
            duet_column_builder_append_int64(duet_column_builder_child(windows, 1),
                                             window_start + window);
            duet_column_builder_end_struct(windows);
        }
        g_array_unref(rows);
        g_array_unref(starts);
    }
}

/* ---- withWatermark: event-time statistics ------------------------------------------------- */

static void
run_watermark(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    NodeRun *run = user_data;
    guint column = (guint)run->frame->event_time_column;
    DuetEventTimeStats stats = {0, G_MAXINT64, G_MININT64, 0};
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        DuetColumn *times = duet_batch_column(batch, column);
        gsize n_rows = duet_batch_n_rows(batch);
        for (gsize row = 0; row < n_rows; row++) {
            if (duet_column_is_null(times, row))
                continue;
            gint64 ts = duet_column_get_int64(times, row);
            stats.count++;
            stats.min = MIN(stats.min, ts);
            stats.max = MAX(stats.max, ts);
            stats.sum += (gdouble)ts;
        }
        for (guint index = 0; index < duet_batch_n_columns(batch); index++)
            duet_column_builder_append_range(duet_batch_builder_column(out, index),
                                             duet_batch_column(batch, index), 0,
                                             duet_batch_n_rows(batch));
    }
    if (stats.count == 0)
        return;
    DuetExecution *execution = run->execution;
    guint id = duet_execution_node_id(execution, run->frame);
    g_mutex_lock(&execution->lock);
    DuetEventTimeStats *total = &g_array_index(execution->event_time, DuetEventTimeStats, id);
    if (total->count == 0) {
        *total = stats;
    } else {
        total->count += stats.count;
        total->min = MIN(total->min, stats.min);
        total->max = MAX(total->max, stats.max);
        total->sum += stats.sum;
    }
    g_mutex_unlock(&execution->lock);
}

/* ---- orderBy ------------------------------------------------------------------------------ */

typedef struct {
    DuetDataFrame *frame;
    DuetColumn **keys;
} SortRun;

static int
compare_rows(gconstpointer a, gconstpointer b, gpointer data)
{
    const SortRun *run = data;
    guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
    for (guint index = 0; index < run->frame->sort_keys->len; index++) {
        const DuetSortKey *key = &g_array_index(run->frame->sort_keys, DuetSortKey, index);
        DuetColumn *column = run->keys[index];
        gboolean x_null = duet_column_is_null(column, x), y_null = duet_column_is_null(column, y);
        int order = 0;
        if (x_null || y_null)
            order = x_null == y_null ? 0 : (x_null == key->nulls_first ? -1 : 1);
        else
            order = duet_column_compare_rows(column, x, column, y) * (key->ascending ? 1 : -1);
        if (order != 0)
            return order;
    }
    return x < y ? -1 : x > y; /* stable */
}

static void
run_sort(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    DuetDataFrame *frame = user_data;
    GError *error = NULL;
    g_autoptr(DuetBatch) all =
        duet_batch_concat(frame->schema, (DuetBatch *const *)batches->pdata, batches->len, &error);
    if (all == NULL) {
        fail_task(error);
        return;
    }
    SortRun run = {frame, g_new0(DuetColumn *, frame->sort_keys->len)};
    for (guint index = 0; index < frame->sort_keys->len && error == NULL; index++)
        run.keys[index] = duet_expr_evaluate(
            g_array_index(frame->sort_keys, DuetSortKey, index).expr, all, &error);
    gsize n_rows = duet_batch_n_rows(all);
    guint32 *order = g_new(guint32, MAX(n_rows, 1));
    for (gsize row = 0; row < n_rows; row++)
        order[row] = (guint32)row;
    if (error == NULL) {
        g_qsort_with_data(order, (gint)n_rows, sizeof(guint32), compare_rows, &run);
        g_autoptr(DuetBatch) sorted = duet_batch_take(all, order, n_rows);
        for (guint index = 0; index < duet_batch_n_columns(sorted); index++)
            duet_column_builder_append_range(duet_batch_builder_column(out, index),
                                             duet_batch_column(sorted, index), 0, n_rows);
    } else {
        fail_task(error);
    }
    for (guint index = 0; index < frame->sort_keys->len; index++)
        if (run.keys[index])
            duet_column_unref(run.keys[index]);
    g_free(run.keys);
    g_free(order);
}

/* ---- the plan ------------------------------------------------------------------------------ */

/* An RDD that keeps node (and run data) alive as long as it lives. */
static DuetRdd *
map_node(DuetRdd *child, DuetDataFrame *frame, DuetPartitionFunc func, gpointer data,
         GDestroyNotify destroy)
{
    DuetRdd *rdd = duet_rdd_map_partitions(child, frame->schema, func, data, TRUE);
    duet_rdd_attach_data(rdd, duet_dataframe_ref(frame), (GDestroyNotify)duet_dataframe_unref);
    if (destroy)
        duet_rdd_attach_data(rdd, data, destroy);
    return rdd;
}

static NodeRun *
node_run(DuetDataFrame *frame, DuetExecution *execution)
{
    NodeRun *run = g_new(NodeRun, 1);
    run->frame = frame;
    run->execution = execution;
    return run;
}

/* A union's right side under the left side's column names. */
static void
run_relabel(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    for (guint index = 0; index < batches->len; index++) {
        DuetBatch *batch = g_ptr_array_index(batches, index);
        for (guint column = 0; column < duet_batch_n_columns(batch); column++)
            duet_column_builder_append_range(duet_batch_builder_column(out, column),
                                             duet_batch_column(batch, column), 0,
                                             duet_batch_n_rows(batch));
    }
}

/* A source leaf: this batch's rows of a streaming source, or everything a static one holds. */
static DuetRdd *
source_rdd(DuetDataFrame *frame, DuetExecution *execution, GError **error)
{
    DuetSchema *schema = duet_source_schema(frame->source);
    if (!frame->is_static && execution->inputs != NULL) {
        DuetRdd *input = g_hash_table_lookup(execution->inputs, frame->source);
        return input ? duet_rdd_ref(input) : duet_rdd_new_empty(execution->context, schema);
    }
    GError *local = NULL;
    g_autofree char *latest = duet_source_latest_offset(frame->source, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return NULL;
    }
    if (latest == NULL)
        return duet_rdd_new_empty(execution->context, schema);
    GPtrArray *partitions = duet_source_get_batch(frame->source, NULL, latest, error);
    if (partitions == NULL)
        return NULL;
    DuetRdd *rdd = partitions->len
                       ? duet_rdd_new_from_partitions(execution->context, schema, partitions)
                       : duet_rdd_new_empty(execution->context, schema);
    g_ptr_array_unref(partitions);
    return rdd;
}

DuetRdd *
duet_plan_rdd(DuetDataFrame *frame, DuetExecution *execution, GError **error)
{
    if (frame->kind == DUET_PLAN_SOURCE)
        return source_rdd(frame, execution, error);
    g_autoptr(DuetRdd) child = duet_plan_rdd(frame->child, execution, error);
    if (child == NULL)
        return NULL;
    g_autoptr(DuetRdd) right = frame->right ? duet_plan_rdd(frame->right, execution, error) : NULL;
    if (frame->right && right == NULL)
        return NULL;
    switch (frame->kind) {
    case DUET_PLAN_UNION: {
        g_autoptr(DuetRdd) relabeled = duet_schema_equal(frame->schema, duet_rdd_schema(right))
                                           ? duet_rdd_ref(right)
                                           : map_node(right, frame, run_relabel, NULL, NULL);
        DuetRdd *both[] = {child, relabeled};
        return duet_rdd_union(both, 2, error);
    }
    case DUET_PLAN_JOIN:
        return duet_stateful_join(frame, child, right, execution, error);
    case DUET_PLAN_PROJECT:
        return map_node(child, frame, run_project, node_run(frame, execution), g_free);
    case DUET_PLAN_FILTER:
        return map_node(child, frame, run_filter, node_run(frame, execution), g_free);
    case DUET_PLAN_WATERMARK:
        return map_node(child, frame, run_watermark, node_run(frame, execution), g_free);
    case DUET_PLAN_WINDOW:
        return map_node(child, frame, run_window, frame, NULL);
    case DUET_PLAN_GENERATE:
        return map_node(child, frame, duet_run_generate, frame, NULL);
    case DUET_PLAN_SESSION:
        return map_node(child, frame, duet_run_session_window, node_run(frame, execution), g_free);
    case DUET_PLAN_MAP:
        return map_node(child, frame, frame->map_func, frame->map_data, NULL);
    case DUET_PLAN_SORT: {
        g_autoptr(DuetRdd) gathered = duet_rdd_coalesce(child, 1, FALSE);
        return map_node(gathered, frame, run_sort, frame, NULL);
    }
    case DUET_PLAN_AGGREGATE:
        if (frame->session_key >= 0)
            return duet_stateful_session_aggregate(frame, child, execution, error);
        /* fall through */
    case DUET_PLAN_DEDUP:
        if (!frame->is_streaming && execution->inputs != NULL) {
            g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                        "duet: aggregations and deduplication inside the static side of a "
                        "streaming query are not supported yet");
            return NULL;
        }
        return frame->kind == DUET_PLAN_AGGREGATE
                   ? duet_stateful_aggregate(frame, child, execution, error)
                   : duet_stateful_dedup(frame, child, execution, error);
    case DUET_PLAN_LIMIT:
        return duet_stateful_limit(frame, child, execution, error);
    case DUET_PLAN_GROUP_STATE:
        return duet_group_state_rdd(frame, child, execution, error);
    case DUET_PLAN_REPARTITION:
        return frame->shuffle ? duet_rdd_repartition(child, (guint)frame->limit)
                              : duet_rdd_coalesce(child, (guint)frame->limit, FALSE);
    case DUET_PLAN_SOURCE:
        break;
    }
    g_assert_not_reached();
}
