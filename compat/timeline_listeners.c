/* timeline_listeners.c — DStream and Structured listeners that record into a DuetTimeline.
 *
 * Layer: compat/ (includes dstream/ and structured/). See timeline_listeners.h. Each listener's
 * user_data (the timeline, the lane, a batch counter) is allocated here and handed to the
 * timeline, which frees it with itself.
 */
#include "compat/timeline_listeners.h"

typedef struct {
    DuetTimeline *timeline; /* (transfer none) */
    guint lane;             /* the lane recorded into */
    gint next_batch;        /* DStream: the id of the next completed batch */
} LaneRecorder;

static LaneRecorder *
recorder_new(DuetTimeline *timeline, guint lane)
{
    LaneRecorder *recorder = g_new0(LaneRecorder, 1);
    recorder->timeline = timeline;
    recorder->lane = lane;
    duet_timeline_keep(timeline, recorder, g_free);
    return recorder;
}

static void
dstream_batch_completed(const DuetBatchInfo *info, gpointer user_data)
{
    LaneRecorder *recorder = user_data;
    gint batch_id = g_atomic_int_add(&recorder->next_batch, 1);
    duet_timeline_add_batch(recorder->timeline, recorder->lane, batch_id, info->batch_time_ms,
                            duet_batch_info_processing_delay(info), info->num_records);
}

void
duet_timeline_listen_dstream(DuetTimeline *timeline, guint lane, DuetStreamingContext *context)
{
    g_return_if_fail(timeline != NULL && context != NULL);
    DuetStreamingListener listener = {.batch_completed = dstream_batch_completed,
                                      .user_data = recorder_new(timeline, lane)};
    duet_streaming_context_add_listener(context, &listener);
}

static gint64
metric(const GArray *metrics, const char *name)
{
    for (guint index = 0; index < metrics->len; index++) {
        const DuetMetric *entry = &g_array_index(metrics, DuetMetric, index);
        if (g_str_equal(entry->name, name))
            return entry->value;
    }
    return 0;
}

static void
query_progress(DuetStreamingQuery *query, const DuetQueryProgress *progress, gpointer user_data)
{
    LaneRecorder *recorder = user_data;
    duet_timeline_add_batch(
        recorder->timeline, recorder->lane, progress->batch_id, progress->timestamp_ms,
        metric(progress->duration_ms, "triggerExecution"), progress->num_input_rows);
    if (!progress->has_watermark)
        return;
    duet_timeline_set_watermark(recorder->timeline, recorder->lane, progress->timestamp_ms,
                                progress->watermark_ms);
    gint64 dropped = 0;
    for (guint index = 0; index < progress->state_operators->len; index++) {
        const DuetStateOperatorProgress *op = g_ptr_array_index(progress->state_operators, index);
        dropped += op->num_rows_dropped_by_watermark;
    }
    if (dropped > 0)
        duet_timeline_add_late_rows(recorder->timeline, recorder->lane, progress->watermark_ms,
                                    dropped);
}

DuetQueryListener
duet_timeline_query_listener(DuetTimeline *timeline, guint lane)
{
    DuetQueryListener listener = {.progress = query_progress};
    g_return_val_if_fail(timeline != NULL, listener);
    listener.user_data = recorder_new(timeline, lane);
    return listener;
}
