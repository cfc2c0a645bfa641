/* continuous.c — the continuous trigger: rows written as they arrive, committed in epochs.
 *
 * Layer: structured/. Spark's ContinuousExecution for map-like queries (projections, filters,
 * user maps): the query's thread polls its sources every millisecond and writes each new slice
 * of rows to the sink at once, as a part of the current epoch; every trigger interval the epoch
 * ends: offsets/N records how far it read, the sink commits the epoch, commits/N follows. After
 * a crash the epoch in progress is read again (Spark's continuous mode is at-least-once too).
 * Only sinks that accept parts of an epoch (console, memory, foreach, kafka, zmq) are allowed.
 */
#include "structured/query_private.h"

#include <string.h>

/* Whether any source moved beyond from. */
static gboolean
moved(DuetStreamingQuery *query, char *const *from, char *const *to)
{
    for (guint index = 0; index < query->sources->len; index++)
        if (to[index] != NULL && g_strcmp0(from[index], to[index]) != 0)
            return TRUE;
    return FALSE;
}

/* Runs the plan over (from, to] of every source and writes the rows as a part of epoch. */
static gboolean
run_part(DuetStreamingQuery *query, gint64 epoch, char *const *from, char *const *to, gint64 *rows,
         GError **error)
{
    DuetExecution *execution = &query->execution;
    if (!duet_query_read_inputs(query, from, to, rows, error))
        return FALSE;
    g_autoptr(DuetRdd) output = duet_plan_rdd(query->frame, execution, error);
    g_hash_table_remove_all(execution->inputs);
    GPtrArray *results = output ? duet_rdd_collect_partitions(output, error) : NULL;
    if (results == NULL)
        return FALSE;
    GPtrArray *lists = duet_query_sink_lists(results);
    gboolean ok = duet_sink_add_epoch_part(query->sink, epoch, lists, query->mode, error);
    g_ptr_array_unref(lists);
    g_ptr_array_unref(results);
    return ok;
}

/* Ends epoch at offsets `to`: offsets log, the sink's commit, the commit log, progress. */
static gboolean
commit_epoch(DuetStreamingQuery *query, gint64 epoch, char **to, gint64 *rows, gint64 started_us,
             gint64 timestamp_ms, GError **error)
{
    if (!duet_query_write_offsets(query, epoch, to, timestamp_ms, error))
        return FALSE;
    for (guint index = 0; index < query->sources->len; index++)
        if (query->committed[index] != NULL)
            duet_source_commit(query->sources->pdata[index], query->consumers[index],
                               query->committed[index]);
    duet_sink_commit_epoch(query->sink, epoch);
    if (!duet_query_write_commit(query, epoch, query->watermark_ms, error))
        return FALSE;
    DuetQueryProgress *progress = duet_query_make_progress(query, epoch, timestamp_ms, rows,
                                                           query->committed, to, 0, started_us, 0);
    g_mutex_lock(&query->lock);
    duet_query_offsets_free(query, query->committed);
    query->committed = duet_query_offsets_copy(query, to);
    query->next_batch = epoch + 1;
    if (query->progress->len == 100)
        g_ptr_array_remove_index(query->progress, 0);
    g_ptr_array_add(query->progress, progress);
    g_cond_broadcast(&query->changed);
    g_mutex_unlock(&query->lock);
    for (guint index = 0; index < query->listeners->len; index++) {
        const DuetQueryListener *listener =
            &g_array_index(query->listeners, DuetQueryListener, index);
        if (listener->progress)
            listener->progress(query, progress, listener->user_data);
    }
    return TRUE;
}

gpointer
duet_query_continuous_main(gpointer data)
{
    DuetStreamingQuery *query = data;
    DuetClock *clock = duet_context_clock(query->context);
    gint64 interval = MAX(query->trigger.interval_ms, 1);
    GError *error = NULL;
    char **processed = duet_query_offsets_copy(query, query->committed);
    gboolean ok = TRUE;
    while (ok) {
        g_mutex_lock(&query->lock);
        gboolean stopping = query->stopping;
        gint64 epoch = query->next_batch;
        g_mutex_unlock(&query->lock);
        if (stopping)
            break;
        gint64 started_us = g_get_monotonic_time();
        gint64 epoch_start_ms = duet_clock_now_ms(clock);
        gint64 *rows = g_new0(gint64, query->sources->len + 1);
        while (ok && duet_clock_now_ms(clock) < epoch_start_ms + interval) {
            char **latest = duet_query_latest_offsets(query, &error);
            ok = latest != NULL;
            if (ok && moved(query, processed, latest)) {
                for (guint index = 0; index < query->sources->len; index++)
                    if (latest[index] == NULL)
                        latest[index] = g_strdup(processed[index]);
                ok = run_part(query, epoch, processed, latest, rows, &error);
                duet_query_offsets_free(query, processed);
                processed = latest;
                continue;
            }
            duet_query_offsets_free(query, latest);
            g_mutex_lock(&query->lock);
            if (!query->stopping)
                g_cond_wait_until(&query->changed, &query->lock,
                                  g_get_monotonic_time() + G_TIME_SPAN_MILLISECOND);
            stopping = query->stopping;
            g_mutex_unlock(&query->lock);
            if (stopping)
                break;
        }
        if (ok)
            ok = commit_epoch(query, epoch, processed, rows, started_us, epoch_start_ms, &error);
        g_free(rows);
    }
    duet_query_offsets_free(query, processed);
    duet_query_finish(query, error);
    return NULL;
}
