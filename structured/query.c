/* query.c — the micro-batch loop of a streaming query, and its checkpoint logs.
 *
 * Layer: structured/. Includes rdd/, sources/, sinks/ and structured/. One thread per query
 * runs triggers; each batch follows Spark's MicroBatchExecution order: offsets/N written
 * (atomically, "v1", the batch metadata JSON, the source offset), the plan run on the RDD core
 * over the new range, the sink given batch N, commits/N written, the range committed at the
 * source. Files are written with rdd/atomic_file.h, so a crash leaves whole files only.
 */
#include "structured/internal.h"
#include "structured/query.h"
#include "rdd/atomic_file.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>

struct _DuetStreamingQuery {
    gint ref_count;
    DuetContext *context; /* owned */
    DuetDataFrame *frame; /* owned */
    DuetSink *sink;       /* owned */
    DuetSource *source;   /* borrowed from frame */
    guint consumer;       /* our consumer id at the source */
    DuetOutputMode mode;
    DuetTrigger trigger;
    char *id, *run_id, *name;
    char *checkpoint;   /* the checkpoint location */
    gboolean temporary; /* remove the checkpoint at the end */
    GMutex lock;        /* guards everything below */
    GCond changed;      /* a batch finished, the query ended, or a stop was asked */
    gboolean active;
    gboolean stopping;
    GError *failure;   /* what ended the query, if it failed */
    gint64 next_batch; /* id of the next batch */
    char *committed;   /* source offset of the last committed batch, or NULL */
    GThread *thread;
};

/* ---- the checkpoint --------------------------------------------------------------------- */

static char *
log_path(DuetStreamingQuery *query, const char *log, gint64 batch)
{
    g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT, batch);
    return g_build_filename(query->checkpoint, log, name, NULL);
}

/* The largest batch id with a file in checkpoint/log, or -1. */
static gint64
latest_in(DuetStreamingQuery *query, const char *log)
{
    g_autofree char *directory = g_build_filename(query->checkpoint, log, NULL);
    GDir *dir = g_dir_open(directory, 0, NULL);
    gint64 latest = -1;
    if (dir == NULL)
        return -1;
    const char *entry;
    while ((entry = g_dir_read_name(dir)) != NULL) {
        char *end = NULL;
        gint64 batch = g_ascii_strtoll(entry, &end, 10);
        if (end != entry && *end == '\0' && batch > latest)
            latest = batch;
    }
    g_dir_close(dir);
    return latest;
}

/* Reads the source offset (third line) of offsets/N. (transfer full) */
static char *
read_offset(DuetStreamingQuery *query, gint64 batch, GError **error)
{
    g_autofree char *path = log_path(query, "offsets", batch);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    g_auto(GStrv) lines = g_strsplit(text, "\n", 4);
    if (g_strv_length(lines) < 3 || !g_str_equal(lines[0], "v1")) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                    "offsets log file %s is damaged or of an unknown version (expected v1)", path);
        return NULL;
    }
    return g_str_equal(lines[2], "-") ? g_strdup("") : g_strdup(lines[2]);
}

static gboolean
write_offsets(DuetStreamingQuery *query, gint64 batch, const char *offset, GError **error)
{
    g_autofree char *path = log_path(query, "offsets", batch);
    g_autofree char *text =
        g_strdup_printf("v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":%" G_GINT64_FORMAT
                        ",\"conf\":{\"spark.sql.shuffle.partitions\":\"%u\"}}\n%s",
                        duet_clock_now_ms(duet_context_clock(query->context)),
                        duet_context_default_partitions(query->context), offset);
    return duet_atomic_file_write(path, text, strlen(text), error);
}

static gboolean
write_commit(DuetStreamingQuery *query, gint64 batch, GError **error)
{
    g_autofree char *path = log_path(query, "commits", batch);
    static const char text[] = "v1\n{\"nextBatchWatermarkMs\":0}";
    return duet_atomic_file_write(path, text, sizeof text - 1, error);
}

/* The query id from checkpoint/metadata, created on first use. */
static gboolean
load_metadata(DuetStreamingQuery *query, GError **error)
{
    g_autofree char *path = g_build_filename(query->checkpoint, "metadata", NULL);
    g_autofree char *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        const char *start = strstr(text, "\"id\":\"");
        if (start == NULL || strlen(start) < 6 + 36) {
            g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                        "checkpoint metadata file %s is damaged", path);
            return FALSE;
        }
        query->id = g_strndup(start + 6, 36);
        return TRUE;
    }
    query->id = g_uuid_string_random();
    g_autofree char *metadata = g_strdup_printf("{\"id\":\"%s\"}", query->id);
    return duet_atomic_file_write(path, metadata, strlen(metadata), error);
}

/* Where to start: after the last committed batch, re-running a logged, uncommitted one. */
static gboolean
recover(DuetStreamingQuery *query, gint64 *rerun, char **rerun_end, GError **error)
{
    gint64 last_offsets = latest_in(query, "offsets");
    gint64 last_commit = latest_in(query, "commits");
    *rerun = -1;
    *rerun_end = NULL;
    query->next_batch = 0;
    if (last_offsets < 0)
        return TRUE;
    if (last_commit >= last_offsets) {
        query->committed = read_offset(query, last_offsets, error);
        query->next_batch = last_offsets + 1;
        return query->committed != NULL;
    }
    /* batch last_offsets was logged but not committed: run it again with its offsets */
    if (last_offsets > 0 &&
        (query->committed = read_offset(query, last_offsets - 1, error)) == NULL)
        return FALSE;
    *rerun = last_offsets;
    *rerun_end = read_offset(query, last_offsets, error);
    return *rerun_end != NULL;
}

/* ---- batches ---------------------------------------------------------------------------- */

static gboolean
run_batch(DuetStreamingQuery *query, gint64 batch, const char *end, gboolean log_offsets,
          GError **error)
{
    const char *start = query->committed && *query->committed ? query->committed : NULL;
    if (log_offsets && !write_offsets(query, batch, end, error))
        return FALSE;
    GPtrArray *partitions = duet_source_get_batch(query->source, start, end, error);
    if (partitions == NULL)
        return FALSE;
    g_autoptr(DuetRdd) input =
        duet_rdd_new_from_partitions(query->context, duet_source_schema(query->source), partitions);
    g_ptr_array_unref(partitions);
    g_autoptr(DuetRdd) output = duet_dataframe_plan_rdd(query->frame, input, error);
    if (output == NULL)
        return FALSE;
    GPtrArray *results = duet_rdd_collect_partitions(output, error);
    if (results == NULL)
        return FALSE;
    GPtrArray *lists = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint partition = 0; partition < results->len; partition++) {
        GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(list, duet_batch_ref(g_ptr_array_index(results, partition)));
        g_ptr_array_add(lists, list);
    }
    gboolean ok = duet_sink_add_batch(query->sink, batch, lists, query->mode, error) &&
                  write_commit(query, batch, error);
    g_ptr_array_unref(lists);
    g_ptr_array_unref(results);
    if (!ok)
        return FALSE;
    duet_source_commit(query->source, query->consumer, end);
    g_mutex_lock(&query->lock);
    g_free(query->committed);
    query->committed = g_strdup(end);
    query->next_batch = batch + 1;
    g_cond_broadcast(&query->changed);
    g_mutex_unlock(&query->lock);
    return TRUE;
}

/* Runs one batch if the source has new data; *ran tells whether it did. */
static gboolean
trigger_once(DuetStreamingQuery *query, gboolean *ran, GError **error)
{
    *ran = FALSE;
    GError *local = NULL;
    g_autofree char *latest = duet_source_latest_offset(query->source, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return FALSE;
    }
    g_mutex_lock(&query->lock);
    gboolean new_data = latest != NULL && g_strcmp0(latest, query->committed) != 0;
    gint64 batch = query->next_batch;
    g_mutex_unlock(&query->lock);
    if (!new_data)
        return TRUE;
    *ran = TRUE;
    return run_batch(query, batch, latest, TRUE, error);
}

static void
finish(DuetStreamingQuery *query, GError *failure)
{
    g_mutex_lock(&query->lock);
    query->active = FALSE;
    if (failure != NULL && query->failure == NULL)
        query->failure = failure;
    else if (failure != NULL)
        g_error_free(failure);
    g_cond_broadcast(&query->changed);
    g_mutex_unlock(&query->lock);
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
            gint64 now = duet_clock_wait_until(clock, next_trigger);
            if (now < next_trigger)
                continue; /* woken early: check for a stop */
            next_trigger += MAX(query->trigger.interval_ms, 1) *
                            ((now - next_trigger) / MAX(query->trigger.interval_ms, 1) + 1);
        }
        gboolean ran = FALSE;
        if (!trigger_once(query, &ran, &error))
            break;
        if (query->trigger.kind == DUET_TRIGGER_ONCE)
            break;
        if (query->trigger.kind == DUET_TRIGGER_AVAILABLE_NOW && !ran)
            break;
        if (!ran && query->trigger.kind == DUET_TRIGGER_DEFAULT) {
            /* nothing new: wait a little for data or a stop (Spark polls the same way) */
            g_mutex_lock(&query->lock);
            if (!query->stopping)
                g_cond_wait_until(&query->changed, &query->lock,
                                  g_get_monotonic_time() + 10 * G_TIME_SPAN_MILLISECOND);
            g_mutex_unlock(&query->lock);
        }
    }
    finish(query, error);
    return NULL;
}

/* ---- the public object ------------------------------------------------------------------- */

DuetStreamingQuery *
duet_streaming_query_start(DuetContext *context, DuetDataFrame *frame, DuetSink *sink,
                           DuetOutputMode mode, const char *checkpoint_location,
                           const DuetTrigger *trigger, const char *name, GError **error)
{
    if (mode == DUET_OUTPUT_MODE_COMPLETE) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "Complete output mode not supported when there are no streaming "
                    "aggregations on streaming DataFrames/Datasets");
        return NULL;
    }
    DuetStreamingQuery *query = g_new0(DuetStreamingQuery, 1);
    query->ref_count = 1;
    query->context = duet_context_ref(context);
    query->frame = duet_dataframe_ref(frame);
    query->sink = duet_sink_ref(sink);
    query->source = duet_dataframe_source(frame);
    query->consumer = duet_source_add_consumer(query->source);
    query->mode = mode;
    query->trigger = trigger ? *trigger : (DuetTrigger){DUET_TRIGGER_DEFAULT, 0};
    query->run_id = g_uuid_string_random();
    query->name = g_strdup(name);
    g_mutex_init(&query->lock);
    g_cond_init(&query->changed);
    if (checkpoint_location != NULL) {
        query->checkpoint = g_strdup(checkpoint_location);
    } else {
        query->checkpoint = g_dir_make_tmp("duet-checkpoint-XXXXXX", error);
        query->temporary = TRUE;
    }
    gint64 rerun = -1;
    g_autofree char *rerun_end = NULL;
    if (query->checkpoint == NULL || !duet_atomic_mkdir(query->checkpoint, error) ||
        !load_metadata(query, error) || !recover(query, &rerun, &rerun_end, error) ||
        (rerun >= 0 && !run_batch(query, rerun, rerun_end, FALSE, error))) {
        g_prefix_error(error, "cannot start the query: ");
        duet_streaming_query_unref(query);
        return NULL;
    }
    query->active = TRUE;
    duet_clock_resume(duet_context_clock(context));
    query->thread = g_thread_new("duet-streaming-query", query_main, query);
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

static void
remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    if (dir != NULL) {
        const char *name;
        while ((name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            if (g_file_test(child, G_FILE_TEST_IS_DIR))
                remove_tree(child);
            else
                g_unlink(child);
        }
        g_dir_close(dir);
    }
    g_rmdir(path);
}

void
duet_streaming_query_unref(DuetStreamingQuery *query)
{
    if (query == NULL || !g_atomic_int_dec_and_test(&query->ref_count))
        return;
    duet_streaming_query_stop(query);
    if (query->temporary && query->checkpoint)
        remove_tree(query->checkpoint);
    g_clear_error(&query->failure);
    g_free(query->committed);
    g_free(query->checkpoint);
    g_free(query->id);
    g_free(query->run_id);
    g_free(query->name);
    g_mutex_clear(&query->lock);
    g_cond_clear(&query->changed);
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

gboolean
duet_streaming_query_process_all_available(DuetStreamingQuery *query, GError **error)
{
    GError *local = NULL;
    g_autofree char *target = duet_source_latest_offset(query->source, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return FALSE;
    }
    g_mutex_lock(&query->lock);
    g_cond_broadcast(&query->changed); /* wake a polling trigger */
    while (query->active && target != NULL &&
           (query->committed == NULL ||
            duet_source_compare_offsets(query->source, query->committed, target) < 0))
        g_cond_wait(&query->changed, &query->lock);
    gboolean ok = query->failure == NULL;
    if (!ok)
        g_propagate_error(error, g_error_copy(query->failure));
    g_mutex_unlock(&query->lock);
    return ok;
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
