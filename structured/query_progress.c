/* query_progress.c — what a streaming query reports: progress after every batch, and status.
 *
 * Layer: structured/. Fills Spark's StreamingQueryProgress (structured/progress.h) from one
 * batch's execution: input rows and rates per source, durations, event-time statistics and
 * the watermark, each stateful operator's metrics; keeps the last 100 for recentProgress.
 */
#include "structured/query_private.h"

#include <math.h>
#include <string.h>

static const char *
operator_name(DuetDataFrame *node)
{
    switch (node->kind) {
    case DUET_PLAN_AGGREGATE:
        return "stateStoreSave";
    case DUET_PLAN_DEDUP:
        return node->within_watermark ? "dedupeWithinWatermark" : "dedupe";
    case DUET_PLAN_JOIN:
        return "symmetricHashJoin";
    case DUET_PLAN_GROUP_STATE:
        return "flatMapGroupsWithState";
    default:
        return "globalLimit";
    }
}

static gdouble
rate(gint64 rows, gint64 micros)
{
    return micros > 0 ? (gdouble)rows * 1e6 / (gdouble)micros : (rows ? INFINITY : NAN);
}

DuetQueryProgress *
duet_query_make_progress(DuetStreamingQuery *query, gint64 batch, gint64 timestamp_ms,
                         gint64 *input_rows, char *const *starts, char *const *ends,
                         gint64 output_rows, gint64 started_us, gint64 add_batch_us)
{
    DuetExecution *execution = &query->execution;
    DuetQueryProgress *progress = duet_query_progress_new();
    progress->id = g_strdup(query->id);
    progress->run_id = g_strdup(query->run_id);
    progress->name = g_strdup(query->name);
    progress->batch_id = batch;
    progress->timestamp_ms = timestamp_ms;
    gint64 elapsed_us = g_get_monotonic_time() - started_us;
    gint64 since_last_us = query->last_trigger_us ? started_us - query->last_trigger_us : 0;
    query->last_trigger_us = started_us;
    for (guint index = 0; index < query->sources->len; index++) {
        DuetSource *source = query->sources->pdata[index];
        g_autofree char *description = duet_source_description(source);
        DuetSourceProgress *one = duet_source_progress_new(description);
        one->start_offset = g_strdup(starts[index]);
        one->end_offset = g_strdup(ends[index]);
        one->latest_offset = g_strdup(ends[index]);
        one->num_input_rows = input_rows[index];
        one->input_rows_per_second = since_last_us ? rate(input_rows[index], since_last_us) : NAN;
        one->processed_rows_per_second = rate(input_rows[index], elapsed_us);
        progress->num_input_rows += input_rows[index];
        g_ptr_array_add(progress->sources, one);
    }
    progress->input_rows_per_second =
        since_last_us ? rate(progress->num_input_rows, since_last_us) : NAN;
    progress->processed_rows_per_second = rate(progress->num_input_rows, elapsed_us);
    duet_metrics_add(progress->duration_ms, "addBatch", add_batch_us / 1000);
    duet_metrics_add(progress->duration_ms, "triggerExecution", elapsed_us / 1000);
    progress->has_watermark = query->watermark_nodes->len > 0;
    progress->watermark_ms = execution->watermark_ms;
    DuetEventTimeStats all = {0, G_MAXINT64, G_MININT64, 0};
    for (guint id = 0; id < query->watermark_nodes->len; id++) {
        const DuetEventTimeStats *stats =
            &g_array_index(execution->event_time, DuetEventTimeStats, id);
        if (stats->count == 0)
            continue;
        all.count += stats->count;
        all.min = MIN(all.min, stats->min);
        all.max = MAX(all.max, stats->max);
        all.sum += stats->sum;
    }
    if (all.count > 0) {
        progress->has_event_time = TRUE;
        progress->event_time_min_ms = all.min / 1000;
        progress->event_time_max_ms = all.max / 1000;
        progress->event_time_avg_ms = (gint64)(all.sum / (gdouble)all.count / 1000.0);
    }
    for (guint id = 0; id < query->stateful_nodes->len; id++) {
        DuetDataFrame *node = query->stateful_nodes->pdata[id];
        const DuetStateMetrics *metrics = &g_array_index(execution->metrics, DuetStateMetrics, id);
        DuetStateOperatorProgress *op = duet_state_operator_progress_new(operator_name(node));
        op->num_rows_total = metrics->rows_total;
        op->num_rows_updated = metrics->rows_updated;
        op->num_rows_removed = metrics->rows_removed;
        op->num_rows_dropped_by_watermark = metrics->rows_dropped_by_watermark;
        op->num_output_rows = metrics->rows_output;
        DuetStateStore *store = execution->stores->pdata[id];
        op->num_shuffle_partitions = execution->shuffle_partitions;
        op->num_state_store_instances = store ? duet_state_store_n_partitions(store) : 0;
        if (node->kind == DUET_PLAN_DEDUP)
            duet_metrics_add(op->custom_metrics, "numDroppedDuplicateRows",
                             metrics->dropped_duplicate_rows);
        g_ptr_array_add(progress->state_operators, op);
    }
    g_autofree char *sink = duet_sink_description(query->sink);
    progress->sink_description = g_strdup(sink);
    progress->sink_num_output_rows = output_rows;
    return progress;
}

/* ---- progress ------------------------------------------------------------------------------ */

GPtrArray *
duet_streaming_query_recent_progress(DuetStreamingQuery *query)
{
    GPtrArray *recent = g_ptr_array_new_with_free_func((GDestroyNotify)duet_query_progress_free);
    g_mutex_lock(&query->lock);
    for (guint index = 0; index < query->progress->len; index++)
        g_ptr_array_add(recent, duet_query_progress_copy(query->progress->pdata[index]));
    g_mutex_unlock(&query->lock);
    return recent;
}

DuetQueryProgress *
duet_streaming_query_last_progress(DuetStreamingQuery *query)
{
    g_mutex_lock(&query->lock);
    DuetQueryProgress *last =
        query->progress->len
            ? duet_query_progress_copy(g_ptr_array_index(query->progress, query->progress->len - 1))
            : NULL;
    g_mutex_unlock(&query->lock);
    return last;
}

gint64
duet_streaming_query_watermark_ms(DuetStreamingQuery *query)
{
    g_mutex_lock(&query->lock);
    gint64 watermark = query->watermark_ms;
    g_mutex_unlock(&query->lock);
    return watermark;
}

DuetQueryStatus *
duet_streaming_query_status(DuetStreamingQuery *query)
{
    DuetQueryStatus *status = g_new0(DuetQueryStatus, 1);
    g_mutex_lock(&query->lock);
    status->message = g_strdup(!query->active          ? "Stopped"
                               : query->waiting        ? "Waiting for next trigger"
                               : query->status_message ? query->status_message
                                                       : "Initializing sources");
    status->is_trigger_active = query->trigger_active;
    status->is_data_available = query->data_available;
    g_mutex_unlock(&query->lock);
    return status;
}

void
duet_query_status_free(DuetQueryStatus *status)
{
    if (status == NULL)
        return;
    g_free(status->message);
    g_free(status);
}
