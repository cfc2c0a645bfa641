/* query.c — the micro-batch loop of a streaming query: triggers, batches, the watermark.
 *
 * Layer: structured/. Includes rdd/, sources/, sinks/ and structured/. One thread per query
 * runs triggers; each batch follows Spark's MicroBatchExecution order: offsets/N written
 * (query_log.c), the previous batch's range committed at the sources, the plan run on the
 * RDD core over the new range of every source, the state stores committed, the sink given
 * batch N, commits/N written with the next watermark. When the watermark moved and a stateful
 * operator may emit or evict because of it, a no-data batch follows.
 */
#include "structured/query_private.h"
#include "rdd/atomic_file.h"

#include <errno.h>
#include <math.h>
#include <glib/gstdio.h>
#include <stdio.h>

/* ---- batches ---------------------------------------------------------------------------- */

/* Opens every stateful operator's store at the version batch needs (the state after
 * batch - 1), keeping stores already there. */
static gboolean
prepare_stores(DuetStreamingQuery *query, gint64 batch, gint64 timestamp_ms, GError **error)
{
    for (guint id = 0; id < query->stateful_nodes->len; id++) {
        DuetStateStore *store = query->execution.stores->pdata[id];
        if (store != NULL && duet_state_store_version(store) == batch) {
            duet_state_store_begin_batch(store, timestamp_ms);
            continue;
        }
        g_autofree char *name = g_strdup_printf("%u", id);
        g_autofree char *directory = g_build_filename(query->checkpoint, "state", name, NULL);
        DuetDataFrame *node = query->stateful_nodes->pdata[id];
        /* a stream-stream join keeps both sides: partitions [0, n) left, [n, 2n) right */
        guint sides = node->kind == DUET_PLAN_JOIN ? 2 : 1;
        store = duet_state_store_open(directory, query->execution.shuffle_partitions * sides, sides,
                                      &query->state_conf, batch, error);
        if (store == NULL)
            return FALSE;
        duet_state_store_begin_batch(store, timestamp_ms);
        duet_state_store_free(query->execution.stores->pdata[id]);
        query->execution.stores->pdata[id] = store;
    }
    return TRUE;
}

/* After a batch: each watermark node that saw rows moves to max(its value, max - delay); the
 * global watermark is their minimum and never decreases. */
static gint64
next_watermark(DuetStreamingQuery *query)
{
    DuetExecution *execution = &query->execution;
    if (query->watermark_nodes->len == 0)
        return query->watermark_ms;
    gint64 global = G_MAXINT64;
    for (guint id = 0; id < query->watermark_nodes->len; id++) {
        DuetDataFrame *node = query->watermark_nodes->pdata[id];
        const DuetEventTimeStats *stats =
            &g_array_index(execution->event_time, DuetEventTimeStats, id);
        if (stats->count > 0)
            query->node_watermarks[id] =
                MAX(query->node_watermarks[id], stats->max / 1000 - node->delay_ms);
        global = MIN(global, query->node_watermarks[id]);
    }
    return MAX(query->watermark_ms, global);
}

static void
reset_execution(DuetExecution *execution)
{
    if (execution->event_time->len)
        memset(execution->event_time->data, 0,
               execution->event_time->len * sizeof(DuetEventTimeStats));
    if (execution->metrics->len)
        memset(execution->metrics->data, 0, execution->metrics->len * sizeof(DuetStateMetrics));
}

gboolean
duet_query_read_inputs(DuetStreamingQuery *query, char *const *from, char *const *to, gint64 *rows,
                       GError **error)
{
    GHashTable *inputs = query->execution.inputs;
    g_hash_table_remove_all(inputs);
    for (guint index = 0; index < query->sources->len; index++) {
        DuetSource *source = query->sources->pdata[index];
        if (to[index] == NULL || g_strcmp0(from[index], to[index]) == 0)
            continue;
        GPtrArray *partitions = duet_source_get_batch(source, from[index], to[index], error);
        if (partitions == NULL)
            return FALSE;
        for (guint partition = 0; partition < partitions->len; partition++) {
            GPtrArray *batches = g_ptr_array_index(partitions, partition);
            for (guint at = 0; at < batches->len; at++)
                rows[index] += (gint64)duet_batch_n_rows(g_ptr_array_index(batches, at));
        }
        if (partitions->len)
            g_hash_table_insert(inputs, source,
                                duet_rdd_new_from_partitions(
                                    query->context, duet_source_schema(source), partitions));
        g_ptr_array_unref(partitions);
    }
    return TRUE;
}

GPtrArray *
duet_query_sink_lists(GPtrArray *results)
{
    GPtrArray *lists = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint partition = 0; partition < results->len; partition++) {
        GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(list, duet_batch_ref(g_ptr_array_index(results, partition)));
        g_ptr_array_add(lists, list);
    }
    return lists;
}

/* Runs batch over (committed, ends] of every source; log_offsets FALSE when re-running a
 * logged batch. */
static gboolean
run_batch(DuetStreamingQuery *query, gint64 batch, char *const *ends, gboolean log_offsets,
          gint64 timestamp_ms, GError **error)
{
    gint64 started_us = g_get_monotonic_time();
    DuetExecution *execution = &query->execution;
    execution->batch_id = batch;
    execution->batch_timestamp_ms = timestamp_ms;
    execution->watermark_ms = query->watermark_ms;
    execution->late_watermark_ms = query->used_watermark_ms;
    reset_execution(execution);
    if (log_offsets && !duet_query_write_offsets(query, batch, ends, timestamp_ms, error))
        return FALSE;
    /* Spark's MicroBatchExecution: once offsets/N is logged, the logs keep only the last
     * minBatchesToRetain batches */
    if (log_offsets && query->state_conf.min_versions_to_retain < batch) {
        duet_query_purge_log(query, "offsets", batch - query->state_conf.min_versions_to_retain);
        duet_query_purge_log(query, "commits", batch - query->state_conf.min_versions_to_retain);
    }
    if (!prepare_stores(query, batch, timestamp_ms, error))
        return FALSE;
    gint64 *input_rows = g_new0(gint64, query->sources->len + 1);
    /* the previous batch's range may go now (Spark commits it when the next batch is logged),
     * so the last batch can always be re-run from its logged offsets */
    for (guint index = 0; index < query->sources->len; index++)
        if (query->committed[index] != NULL)
            duet_source_commit(query->sources->pdata[index], query->consumers[index],
                               query->committed[index]);
    if (!duet_query_read_inputs(query, query->committed, ends, input_rows, error)) {
        g_free(input_rows);
        return FALSE;
    }
    gint64 add_batch_started_us = g_get_monotonic_time();
    g_autoptr(DuetRdd) output = duet_plan_rdd(query->frame, execution, error);
    g_hash_table_remove_all(execution->inputs);
    GPtrArray *results = output ? duet_rdd_collect_partitions(output, error) : NULL;
    if (results == NULL) {
        g_free(input_rows);
        return FALSE;
    }
    gint64 output_rows = 0;
    for (guint partition = 0; partition < results->len; partition++)
        output_rows += (gint64)duet_batch_n_rows(g_ptr_array_index(results, partition));
    gboolean ok = TRUE;
    for (guint id = 0; ok && id < query->stateful_nodes->len; id++)
        ok = duet_state_store_commit(execution->stores->pdata[id], error);
    GPtrArray *lists = duet_query_sink_lists(results);
    gint64 watermark = next_watermark(query);
    ok = ok && duet_sink_add_batch(query->sink, batch, lists, query->mode, error) &&
         duet_query_write_commit(query, batch, watermark, error);
    g_ptr_array_unref(lists);
    g_ptr_array_unref(results);
    gint64 add_batch_us = g_get_monotonic_time() - add_batch_started_us;
    if (!ok) {
        g_free(input_rows);
        return FALSE;
    }
    DuetQueryProgress *progress =
        duet_query_make_progress(query, batch, timestamp_ms, input_rows, query->committed, ends,
                                 output_rows, started_us, add_batch_us);
    g_free(input_rows);
    g_mutex_lock(&query->lock);
    duet_query_offsets_free(query, query->committed);
    query->committed = duet_query_offsets_copy(query, ends);
    query->next_batch = batch + 1;
    query->used_watermark_ms = execution->watermark_ms;
    query->watermark_ms = watermark;
    if (query->progress->len == 100)
        g_ptr_array_remove_index(query->progress, 0);
    g_ptr_array_add(query->progress, progress);
    query->idle_reported = FALSE;
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

/* Whether the engine runs a batch without new data: the watermark moved past the one the last
 * batch used and a stateful operator may emit or evict because of it. Call with the lock. */
static gboolean
wants_no_data_batch(DuetStreamingQuery *query)
{
    return query->runs_no_data_batches && query->next_batch > 0 &&
           query->watermark_ms > query->used_watermark_ms;
}

/* An operator with processing-time timeouts asks for a batch at every trigger (Spark's
 * FlatMapGroupsWithStateExec.shouldRunAnotherBatch), once this run has executed a batch
 * (Spark asks its lastExecution, which a restart does not have). The default trigger, which
 * polls, runs one only once the clock passed the last batch's timestamp: no timeout expires
 * before. Call with the lock. */
static gboolean
wants_timeout_batch(DuetStreamingQuery *query, gint64 now_ms)
{
    if (!query->no_data_every_trigger || query->progress->len == 0)
        return FALSE;
    return query->trigger.kind == DUET_TRIGGER_PROCESSING_TIME ||
           (query->trigger.kind == DUET_TRIGGER_DEFAULT &&
            now_ms > query->execution.batch_timestamp_ms);
}

/* Whether any source has data beyond what was committed. Call with the lock. */
static gboolean
has_new_data(DuetStreamingQuery *query, char *const *latest)
{
    for (guint index = 0; index < query->sources->len; index++)
        if (latest[index] != NULL && g_strcmp0(latest[index], query->committed[index]) != 0)
            return TRUE;
    return FALSE;
}

/* A source whose latest offset is below what the checkpoint committed has lost the history
 * the checkpoint refers to (a source recreated in a new process that numbers its offsets from
 * zero again): reading on would skip or repeat data silently, so the query fails instead.
 * The file source avoids this with its log under checkpoint/sources/ (as Spark's); this
 * catches the sources that keep none (a memory stream made anew). */
static gboolean
check_not_behind(DuetStreamingQuery *query, char *const *latest, GError **error)
{
    g_mutex_lock(&query->lock);
    for (guint index = 0; index < query->sources->len; index++) {
        DuetSource *source = query->sources->pdata[index];
        const char *committed = query->committed[index];
        /* Kafka's offsets are the broker's, and its failOnDataLoss rules judge a step back */
        if (latest[index] == NULL || committed == NULL ||
            g_str_equal(duet_source_format(source), "kafka") ||
            duet_source_compare_offsets(source, latest[index], committed) >= 0)
            continue;
        g_autofree char *description = duet_source_description(source);
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET,
                    "source %u (%s) is at offset %s, behind the offset %s the checkpoint %s "
                    "committed: the source does not have the data the checkpoint refers to "
                    "(it keeps its offsets only in memory, and this is another process or "
                    "another source object), so the query stops instead of skipping or "
                    "repeating data",
                    index, description, latest[index], committed, query->checkpoint);
        g_mutex_unlock(&query->lock);
        return FALSE;
    }
    g_mutex_unlock(&query->lock);
    return TRUE;
}

/* Runs one batch if a source has new data (or a no-data batch is due); *ran tells, and
 * *had_data whether the batch had new data. */
static gboolean
trigger_once(DuetStreamingQuery *query, gboolean allow_no_data, gboolean *ran, gboolean *had_data,
             GError **error)
{
    *ran = FALSE;
    /* Trigger.Once reads everything in one batch: rate limits are ignored (Spark's
     * MicroBatchExecution reads with ReadLimit.allAvailable() then) */
    g_mutex_lock(&query->progress_lock);
    char **latest = query->trigger.kind == DUET_TRIGGER_ONCE
                        ? duet_query_latest_offsets_all(query, error)
                        : duet_query_latest_offsets(query, error);
    g_mutex_unlock(&query->progress_lock);
    if (latest == NULL)
        return FALSE;
    if (!check_not_behind(query, latest, error)) {
        duet_query_offsets_free(query, latest);
        return FALSE;
    }
    duet_query_cap_available_now(query, latest);
    gint64 clock_now = duet_clock_now_ms(duet_context_clock(query->context));
    g_mutex_lock(&query->lock);
    gboolean new_data = has_new_data(query, latest);
    *had_data = new_data;
    gboolean no_data = !new_data && allow_no_data &&
                       (wants_no_data_batch(query) || wants_timeout_batch(query, clock_now));
    gint64 batch = query->next_batch;
    /* a source without new data keeps its committed offset */
    for (guint index = 0; index < query->sources->len; index++)
        if (latest[index] == NULL) {
            latest[index] = g_strdup(query->committed[index]);
        }
    char **ends = new_data ? latest : duet_query_offsets_copy(query, query->committed);
    g_mutex_unlock(&query->lock);
    gboolean ok = TRUE;
    if (new_data || no_data) {
        *ran = TRUE;
        gint64 now = duet_clock_now_ms(duet_context_clock(query->context));
        ok = run_batch(query, batch, ends, TRUE, now, error);
    }
    if (ends != latest)
        duet_query_offsets_free(query, ends);
    duet_query_offsets_free(query, latest);
    return ok;
}

void
duet_query_finish(DuetStreamingQuery *query, GError *failure)
{
    g_mutex_lock(&query->lock);
    if (failure != NULL && query->failure == NULL)
        query->failure = failure;
    else if (failure != NULL)
        g_error_free(failure);
    const GError *exception = query->failure;
    g_mutex_unlock(&query->lock);
    for (guint index = 0; index < query->listeners->len; index++) {
        const DuetQueryListener *listener =
            &g_array_index(query->listeners, DuetQueryListener, index);
        if (listener->terminated)
            listener->terminated(query, exception, listener->user_data);
    }
    g_mutex_lock(&query->lock);
    query->active = FALSE;
    g_cond_broadcast(&query->changed);
    g_mutex_unlock(&query->lock);
}

static void
report_idle(DuetStreamingQuery *query)
{
    g_mutex_lock(&query->lock);
    gboolean report = !query->idle_reported && query->next_batch > 0;
    query->idle_reported = TRUE;
    g_mutex_unlock(&query->lock);
    for (guint index = 0; report && index < query->listeners->len; index++) {
        const DuetQueryListener *listener =
            &g_array_index(query->listeners, DuetQueryListener, index);
        if (listener->idle)
            listener->idle(query, listener->user_data);
    }
}

static gpointer
query_main(gpointer data)
{
    DuetStreamingQuery *query = data;
    DuetClock *clock = duet_context_clock(query->context);
    GError *error = NULL;
    gint64 next_trigger = duet_clock_now_ms(clock);
    for (;;) {
        g_mutex_lock(&query->lock);
        gboolean stopping = query->stopping;
        g_mutex_unlock(&query->lock);
        if (stopping)
            break;
        if (query->trigger.kind == DUET_TRIGGER_PROCESSING_TIME) {
            gint64 now = duet_clock_now_ms(clock);
            if (now < next_trigger) {
                /* blocking on the clock: say so (Spark's StreamManualClock.waitTillTime) */
                g_mutex_lock(&query->lock);
                query->waiting = TRUE;
                query->wait_started_ms = now;
                g_cond_broadcast(&query->changed);
                g_mutex_unlock(&query->lock);
                now = duet_clock_wait_until(clock, next_trigger);
                g_mutex_lock(&query->lock);
                query->waiting = FALSE;
                g_mutex_unlock(&query->lock);
            }
            if (now < next_trigger)
                continue; /* woken early: check for a stop */
            next_trigger += MAX(query->trigger.interval_ms, 1) *
                            ((now - next_trigger) / MAX(query->trigger.interval_ms, 1) + 1);
        }
        gboolean ran = FALSE, had_data = FALSE;
        gboolean allow_no_data = query->trigger.kind != DUET_TRIGGER_ONCE;
        if (!trigger_once(query, allow_no_data, &ran, &had_data, &error))
            break;
        if (query->trigger.kind == DUET_TRIGGER_ONCE)
            break;
        if (query->trigger.kind == DUET_TRIGGER_AVAILABLE_NOW && !ran)
            break;
        if (!ran)
            report_idle(query);
        if ((!ran || !had_data) && query->trigger.kind == DUET_TRIGGER_DEFAULT) {
            /* nothing new: wait a little for data or a stop (Spark polls the same way) */
            g_mutex_lock(&query->lock);
            if (!query->stopping)
                g_cond_wait_until(&query->changed, &query->lock,
                                  g_get_monotonic_time() + 10 * G_TIME_SPAN_MILLISECOND);
            g_mutex_unlock(&query->lock);
        }
    }
    duet_query_release_available_now(query);
    duet_query_finish(query, error);
    return NULL;
}

/* ---- the public object ------------------------------------------------------------------- */

DuetStreamingQuery *
duet_streaming_query_start(DuetContext *context, DuetDataFrame *frame, DuetSink *sink,
                           DuetOutputMode mode, const char *checkpoint_location,
                           const DuetTrigger *trigger, const char *name, GError **error)
{
    DuetQueryOptions options = {mode,
                                checkpoint_location,
                                trigger ? *trigger : (DuetTrigger){DUET_TRIGGER_DEFAULT, 0},
                                name,
                                NULL,
                                0};
    return duet_streaming_query_start_with(context, frame, sink, &options, error);
}

/* Spark's time confs: a number of milliseconds, or a number with a unit (ms, s, m, min, h). */
static gboolean
conf_time_ms(DuetContext *context, const char *key, gint64 *value, GError **error)
{
    g_autofree char *text = duet_context_get_conf(context, key);
    if (text == NULL)
        return TRUE;
    char *end = NULL;
    gint64 number = g_ascii_strtoll(text, &end, 10);
    static const struct {
        const char *unit;
        gint64 ms;
    } units[] = {{"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"min", 60000}, {"h", 3600000}};
    g_autofree char *unit = g_strstrip(g_strdup(end));
    for (guint index = 0; end != text && number >= 0 && index < G_N_ELEMENTS(units); index++)
        if (g_ascii_strcasecmp(unit, units[index].unit) == 0) {
            *value = number * units[index].ms;
            return TRUE;
        }
    g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                "%s should be a time (e.g. 60s, 500ms), not '%s'", key, text);
    return FALSE;
}

static gboolean
conf_count(DuetContext *context, const char *key, gint64 minimum, gint64 *value, GError **error)
{
    g_autofree char *text = duet_context_get_conf(context, key);
    if (text == NULL)
        return TRUE;
    char *end = NULL;
    gint64 number = g_ascii_strtoll(text, &end, 10);
    if (end == text || *end != '\0' || number < minimum) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS, "%s %s, not '%s'", key,
                    minimum > 0 ? "must be positive" : "must be non-negative", text);
        return FALSE;
    }
    *value = number;
    return TRUE;
}

/* The state store and log retention confs of the session (Spark's StateStoreConf). */
static gboolean
read_state_conf(DuetContext *context, DuetStateStoreConf *conf, GError **error)
{
    duet_state_store_conf_init(conf);
    return conf_count(context, "spark.sql.streaming.minBatchesToRetain", 1,
                      &conf->min_versions_to_retain, error) &&
           conf_count(context, "spark.sql.streaming.stateStore.minDeltasForSnapshot", 1,
                      &conf->min_deltas_for_snapshot, error) &&
           conf_time_ms(context, "spark.sql.streaming.stateStore.maintenanceInterval",
                        &conf->maintenance_interval_ms, error);
}

/* Spark's checkpoint/sources/<index>/: the sources whose offsets need a log keep it there. */
static gboolean
attach_source_logs(DuetStreamingQuery *query, GError **error)
{
    for (guint index = 0; index < query->sources->len; index++) {
        g_autofree char *name = g_strdup_printf("%u", index);
        g_autofree char *directory = g_build_filename(query->checkpoint, "sources", name, NULL);
        if (!duet_source_attach_log(query->sources->pdata[index], directory, error))
            return FALSE;
    }
    return TRUE;
}

/* Spark's state schema check of every stateful operator against its checkpoint. */
static gboolean
check_state_schemas(DuetStreamingQuery *query, GError **error)
{
    g_autofree char *check =
        duet_context_get_conf(query->context, "spark.sql.streaming.stateStore.stateSchemaCheck");
    gboolean enabled = check == NULL || g_ascii_strcasecmp(check, "false") != 0;
    for (guint id = 0; id < query->stateful_nodes->len; id++)
        if (!duet_state_schema_check(query->checkpoint, id, query->stateful_nodes->pdata[id],
                                     enabled, error))
            return FALSE;
    return TRUE;
}

DuetStreamingQuery *
duet_streaming_query_start_with(DuetContext *context, DuetDataFrame *frame, DuetSink *sink,
                                const DuetQueryOptions *options, GError **error)
{
    DuetOutputMode mode = options->mode;
    const char *checkpoint_location = options->checkpoint_location;
    if (!duet_check_output_mode(frame, mode, error))
        return NULL;
    if (options->trigger.kind == DUET_TRIGGER_CONTINUOUS && !duet_check_continuous(frame, error))
        return NULL;
    DuetStreamingQuery *query = g_new0(DuetStreamingQuery, 1);
    query->listeners = g_array_new(FALSE, FALSE, sizeof(DuetQueryListener));
    if (options->n_listeners)
        g_array_append_vals(query->listeners, options->listeners, options->n_listeners);
    query->ref_count = 1;
    query->context = duet_context_ref(context);
    query->frame = duet_optimize_for(context, frame); /* the checker saw the plan as written */
    query->sink = duet_sink_ref(sink);
    query->sources = duet_dataframe_streaming_sources(frame);
    query->consumers = g_new0(guint, MAX(query->sources->len, 1));
    for (guint index = 0; index < query->sources->len; index++)
        query->consumers[index] = duet_source_add_consumer(query->sources->pdata[index]);
    query->committed = duet_query_offsets_new(query);
    query->mode = mode;
    query->trigger = options->trigger;
    query->run_id = g_uuid_string_random();
    query->name = g_strdup(options->name);
    g_mutex_init(&query->progress_lock);
    g_mutex_init(&query->lock);
    g_cond_init(&query->changed);
    query->progress = g_ptr_array_new_with_free_func((GDestroyNotify)duet_query_progress_free);
    query->stateful_nodes = g_ptr_array_new();
    query->watermark_nodes = g_ptr_array_new();
    duet_execution_init(
        &query->execution, query->context, query->frame, mode,
        (guint)CLAMP(duet_context_get_conf_int(context, "spark.sql.shuffle.partitions", 200), 1,
                     100000),
        query->stateful_nodes, query->watermark_nodes);
    gboolean stateful_with_time = FALSE, every_trigger = FALSE;
    for (guint id = 0; id < query->stateful_nodes->len; id++) {
        DuetDataFrame *node = query->stateful_nodes->pdata[id];
        stateful_with_time |=
            node->kind == DUET_PLAN_DEDUP || node->kind == DUET_PLAN_JOIN ||
            (node->kind == DUET_PLAN_AGGREGATE && mode != DUET_OUTPUT_MODE_COMPLETE);
        duet_group_state_no_data_batches(node, &stateful_with_time, &every_trigger);
    }
    g_autofree char *no_data =
        duet_context_get_conf(context, "spark.sql.streaming.noDataMicroBatches.enabled");
    gboolean no_data_enabled = g_ascii_strcasecmp(no_data ? no_data : "true", "false") != 0;
    query->runs_no_data_batches =
        query->execution.has_watermark && stateful_with_time && no_data_enabled;
    query->no_data_every_trigger = every_trigger && no_data_enabled;
    query->node_watermarks = g_new0(gint64, MAX(query->watermark_nodes->len, 1));
    if (!read_state_conf(context, &query->state_conf, error)) {
        duet_streaming_query_unref(query);
        return NULL;
    }
    if (checkpoint_location != NULL) {
        query->checkpoint = g_strdup(checkpoint_location);
    } else {
        query->checkpoint = g_dir_make_tmp("duet-checkpoint-XXXXXX", error);
        query->temporary = TRUE;
    }
    gint64 rerun = -1, rerun_timestamp = 0;
    char **rerun_end = NULL;
    if (query->checkpoint == NULL || !duet_atomic_mkdir(query->checkpoint, error) ||
        !duet_query_load_metadata(query, error) || !attach_source_logs(query, error) ||
        !duet_query_recover(query, &rerun, &rerun_end, &rerun_timestamp, error) ||
        !check_state_schemas(query, error) ||
        (rerun >= 0 && !run_batch(query, rerun, rerun_end, FALSE, rerun_timestamp, error))) {
        g_prefix_error(error, "cannot start the query: ");
        duet_query_offsets_free(query, rerun_end);
        duet_streaming_query_unref(query);
        return NULL;
    }
    duet_query_offsets_free(query, rerun_end);
    for (guint index = 0; index < query->sources->len; index++)
        duet_source_resume(query->sources->pdata[index], query->committed[index]);
    if (query->trigger.kind == DUET_TRIGGER_AVAILABLE_NOW &&
        !duet_query_prepare_available_now(query, error)) {
        duet_query_release_available_now(query);
        duet_streaming_query_unref(query);
        return NULL;
    }
    query->active = TRUE;
    for (guint index = 0; index < query->listeners->len; index++) {
        const DuetQueryListener *listener =
            &g_array_index(query->listeners, DuetQueryListener, index);
        if (listener->started)
            listener->started(query, listener->user_data);
    }
    duet_clock_resume(duet_context_clock(context));
    query->thread = g_thread_new(
        "duet-streaming-query",
        query->trigger.kind == DUET_TRIGGER_CONTINUOUS ? duet_query_continuous_main : query_main,
        query);
    return query;
}

DuetStreamingQuery *
duet_streaming_query_ref(DuetStreamingQuery *query)
{
    g_atomic_int_inc(&query->ref_count);
    return query;
}

void
duet_streaming_query_stop(DuetStreamingQuery *query)
{
    g_mutex_lock(&query->lock);
    query->stopping = TRUE;
    g_cond_broadcast(&query->changed);
    GThread *thread = query->thread;
    query->thread = NULL;
    g_mutex_unlock(&query->lock);
    if (thread == NULL)
        return;
    if (query->trigger.kind == DUET_TRIGGER_PROCESSING_TIME)
        duet_clock_interrupt(duet_context_clock(query->context));
    g_thread_join(thread);
}

void
duet_streaming_query_unref(DuetStreamingQuery *query)
{
    if (query == NULL || !g_atomic_int_dec_and_test(&query->ref_count))
        return;
    duet_streaming_query_stop(query);
    if (query->temporary && query->checkpoint)
        duet_remove_tree(query->checkpoint);
    g_clear_error(&query->failure);
    for (guint index = 0; query->consumers && index < query->sources->len; index++)
        duet_source_remove_consumer(query->sources->pdata[index], query->consumers[index]);
    duet_query_offsets_free(query, query->committed);
    duet_query_offsets_free(query, query->available_now);
    if (query->listeners)
        g_array_unref(query->listeners);
    g_ptr_array_unref(query->sources);
    g_free(query->consumers);
    g_free(query->checkpoint);
    g_free(query->id);
    g_free(query->run_id);
    g_free(query->name);
    g_mutex_clear(&query->progress_lock);
    g_mutex_clear(&query->lock);
    g_cond_clear(&query->changed);
    g_ptr_array_unref(query->progress);
    duet_execution_clear(&query->execution);
    g_ptr_array_unref(query->stateful_nodes);
    g_ptr_array_unref(query->watermark_nodes);
    g_free(query->node_watermarks);
    duet_sink_unref(query->sink);
    duet_dataframe_unref(query->frame);
    duet_context_unref(query->context);
    g_free(query);
}

const char *
duet_streaming_query_id(DuetStreamingQuery *query)
{
    return query->id;
}

const char *
duet_streaming_query_run_id(DuetStreamingQuery *query)
{
    return query->run_id;
}

const char *
duet_streaming_query_name(DuetStreamingQuery *query)
{
    return query->name;
}

gboolean
duet_streaming_query_is_active(DuetStreamingQuery *query)
{
    g_mutex_lock(&query->lock);
    gboolean active = query->active;
    g_mutex_unlock(&query->lock);
    return active;
}

gint64
duet_streaming_query_last_batch_id(DuetStreamingQuery *query)
{
    g_mutex_lock(&query->lock);
    gint64 last = query->next_batch - 1;
    g_mutex_unlock(&query->lock);
    return last;
}

/* Whether every source's committed offset reached target. Call with the lock. */
static gboolean
reached(DuetStreamingQuery *query, char *const *target)
{
    for (guint index = 0; index < query->sources->len; index++) {
        if (target[index] == NULL)
            continue;
        if (query->committed[index] == NULL ||
            duet_source_compare_offsets(query->sources->pdata[index], query->committed[index],
                                        target[index]) < 0)
            return FALSE;
    }
    return TRUE;
}

void
duet_streaming_query_lock_progress(DuetStreamingQuery *query)
{
    g_return_if_fail(query != NULL);
    g_mutex_lock(&query->progress_lock);
}

void
duet_streaming_query_unlock_progress(DuetStreamingQuery *query)
{
    g_return_if_fail(query != NULL);
    g_mutex_unlock(&query->progress_lock);
}

gboolean
duet_streaming_query_process_all_available(DuetStreamingQuery *query, GError **error)
{
    /* A rate-limited source (maxOffsetsPerTrigger, maxFilesPerTrigger) reports one step at a
     * time: wait for each step until a latest offset holds nothing beyond what was committed
     * (Spark waits for a trigger that found no new data). */
    for (;;) {
        char **target = duet_query_latest_offsets(query, error);
        if (target == NULL)
            return FALSE;
        g_mutex_lock(&query->lock);
        gboolean caught_up = reached(query, target);
        g_cond_broadcast(&query->changed); /* wake a polling trigger */
        while (query->active &&
               (!reached(query, target) || (query->trigger.kind != DUET_TRIGGER_PROCESSING_TIME &&
                                            wants_no_data_batch(query))))
            g_cond_wait(&query->changed, &query->lock);
        gboolean ok = query->failure == NULL;
        if (!ok)
            g_propagate_error(error, g_error_copy(query->failure));
        gboolean active = query->active;
        g_mutex_unlock(&query->lock);
        duet_query_offsets_free(query, target);
        if (!ok || !active || caught_up)
            return ok;
    }
}

gboolean
duet_streaming_query_await_termination(DuetStreamingQuery *query, gint64 timeout_ms, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    g_mutex_lock(&query->lock);
    while (query->active) {
        if (timeout_ms < 0)
            g_cond_wait(&query->changed, &query->lock);
        else if (!g_cond_wait_until(&query->changed, &query->lock, deadline))
            break;
    }
    gboolean ended = !query->active;
    if (query->failure != NULL)
        g_propagate_error(error, g_error_copy(query->failure));
    g_mutex_unlock(&query->lock);
    return ended;
}

gboolean
duet_streaming_query_await_waiting_at(DuetStreamingQuery *query, gint64 now_ms, gint64 timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * G_TIME_SPAN_MILLISECOND;
    g_mutex_lock(&query->lock);
    gboolean reached = TRUE;
    while (query->active && !(query->waiting && query->wait_started_ms == now_ms))
        if (!g_cond_wait_until(&query->changed, &query->lock, deadline)) {
            reached = !query->active || (query->waiting && query->wait_started_ms == now_ms);
            break;
        }
    g_mutex_unlock(&query->lock);
    return reached;
}

GError *
duet_streaming_query_exception(DuetStreamingQuery *query)
{
    g_mutex_lock(&query->lock);
    GError *failure = query->failure ? g_error_copy(query->failure) : NULL;
    g_mutex_unlock(&query->lock);
    return failure;
}

char *
duet_streaming_query_explain(DuetStreamingQuery *query, gboolean extended)
{
    return extended ? duet_dataframe_explain_extended(query->frame)
                    : duet_dataframe_explain(query->frame);
}
