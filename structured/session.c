/* session.c — SparkSession, DataStreamReader, DataStreamWriter and StreamingQueryManager.
 *
 * Layer: structured/. Includes rdd/, sources/, sinks/ and structured/. A reader collects
 * format, options and schema and makes the source through the shared source factory; a writer
 * collects the sink's format and options, the output mode, the trigger and the query name,
 * makes the sink through the shared sink factory and starts the query with the session's
 * listeners. The session remembers every query it started (spark.streams) and the memory
 * sinks by query name (spark.table).
 */
#include "structured/internal.h"
#include "structured/session.h"
#include "structured/sql_statement.h"

#include <string.h>

struct _DuetSession {
    gint ref_count;
    DuetContext *context;
    GMutex lock;           /* guards everything below */
    GCond ended;           /* a query terminated */
    GPtrArray *queries;    /* every query started (referenced) */
    GArray *listeners;     /* DuetQueryListener, the user's */
    GHashTable *tables;    /* query name -> DuetSink* (memory sinks) */
    DuetCatalog *catalog;  /* temporary views */
    gboolean any_ended;    /* a query terminated since the last reset */
    GError *first_failure; /* the failure of the first query that ended since the reset */
};

struct _DuetStreamReader {
    DuetSession *session;
    gboolean is_static;
    char *format;
    DuetSourceOptions *options;
    DuetSchema *schema;
    GError *error; /* the first error of a builder step, reported by load */
};

struct _DuetStreamWriter {
    DuetSession *session;
    DuetDataFrame *frame;
    char *format;
    GHashTable *options;
    DuetOutputMode mode;
    DuetTrigger trigger;
    char *name;
    DuetSink *sink; /* foreach, foreachBatch, or given */
    GError *error;
};

/* ---- the session ------------------------------------------------------------------------- */

DuetSession *
duet_session_new(const char *master, GError **error)
{
    DuetContext *context = duet_context_new(master, error);
    if (context == NULL)
        return NULL;
    DuetSession *session = g_new0(DuetSession, 1);
    session->ref_count = 1;
    session->context = context;
    g_mutex_init(&session->lock);
    g_cond_init(&session->ended);
    session->queries = g_ptr_array_new_with_free_func((GDestroyNotify)duet_streaming_query_unref);
    session->listeners = g_array_new(FALSE, FALSE, sizeof(DuetQueryListener));
    session->tables =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)duet_sink_unref);
    session->catalog = duet_catalog_new();
    return session;
}

DuetSession *
duet_session_ref(DuetSession *session)
{
    g_atomic_int_inc(&session->ref_count);
    return session;
}

void
duet_session_unref(DuetSession *session)
{
    if (session == NULL || !g_atomic_int_dec_and_test(&session->ref_count))
        return;
    for (guint index = 0; index < session->queries->len; index++)
        duet_streaming_query_stop(session->queries->pdata[index]);
    g_ptr_array_unref(session->queries);
    g_array_unref(session->listeners);
    g_hash_table_unref(session->tables);
    duet_catalog_unref(session->catalog);
    g_clear_error(&session->first_failure);
    g_mutex_clear(&session->lock);
    g_cond_clear(&session->ended);
    duet_context_unref(session->context);
    g_free(session);
}

DuetContext *
duet_session_context(DuetSession *session)
{
    return session->context;
}

void
duet_session_set_conf(DuetSession *session, const char *key, const char *value)
{
    duet_context_set_conf(session->context, key, value);
}

char *
duet_session_get_conf(DuetSession *session, const char *key)
{
    return duet_context_get_conf(session->context, key);
}

/* ---- readers ----------------------------------------------------------------------------- */

static DuetStreamReader *
reader_new(DuetSession *session, gboolean is_static)
{
    DuetStreamReader *reader = g_new0(DuetStreamReader, 1);
    reader->session = duet_session_ref(session);
    reader->is_static = is_static;
    reader->options = duet_source_options_new();
    return reader;
}

DuetStreamReader *
duet_session_read_stream(DuetSession *session)
{
    return reader_new(session, FALSE);
}

DuetStreamReader *
duet_session_read(DuetSession *session)
{
    return reader_new(session, TRUE);
}

DuetStreamReader *
duet_stream_reader_format(DuetStreamReader *reader, const char *format)
{
    g_free(reader->format);
    reader->format = g_strdup(format);
    return reader;
}

DuetStreamReader *
duet_stream_reader_option(DuetStreamReader *reader, const char *key, const char *value)
{
    duet_source_options_set(reader->options, key, value);
    return reader;
}

DuetStreamReader *
duet_stream_reader_schema(DuetStreamReader *reader, const char *ddl)
{
    g_clear_pointer(&reader->schema, duet_schema_unref);
    GError *error = NULL;
    reader->schema = duet_schema_parse(ddl, &error);
    if (reader->schema == NULL && reader->error == NULL)
        reader->error = error;
    else
        g_clear_error(&error);
    return reader;
}

void
duet_stream_reader_free(DuetStreamReader *reader)
{
    if (reader == NULL)
        return;
    duet_session_unref(reader->session);
    g_free(reader->format);
    g_hash_table_unref(reader->options);
    if (reader->schema)
        duet_schema_unref(reader->schema);
    g_clear_error(&reader->error);
    g_free(reader);
}

DuetDataFrame *
duet_stream_reader_load(DuetStreamReader *reader, const char *path, GError **error)
{
    DuetDataFrame *frame = NULL;
    if (reader->error != NULL) {
        g_propagate_error(error, g_steal_pointer(&reader->error));
    } else {
        if (path != NULL)
            duet_source_options_set(reader->options, "path", path);
        g_autofree char *fallback =
            duet_session_get_conf(reader->session, "spark.sql.sources.default");
        const char *format = reader->format ? reader->format : fallback ? fallback : "parquet";
        DuetContext *context = reader->session->context;
        g_autoptr(DuetSource) source =
            duet_source_new(format, reader->options, reader->schema, duet_context_clock(context),
                            duet_context_default_partitions(context), error);
        if (source != NULL)
            frame = reader->is_static ? duet_dataframe_from_static_source(source)
                                      : duet_dataframe_from_source(source);
    }
    duet_stream_reader_free(reader);
    return frame;
}

/* ---- writers ----------------------------------------------------------------------------- */

DuetStreamWriter *
duet_dataframe_write_stream(DuetSession *session, DuetDataFrame *frame)
{
    DuetStreamWriter *writer = g_new0(DuetStreamWriter, 1);
    writer->session = duet_session_ref(session);
    writer->frame = duet_dataframe_ref(frame);
    writer->options = duet_source_options_new();
    writer->mode = DUET_OUTPUT_MODE_APPEND;
    writer->trigger = (DuetTrigger){DUET_TRIGGER_DEFAULT, 0};
    if (!duet_dataframe_is_streaming(frame))
        g_set_error(&writer->error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "'writeStream' can be called only on streaming Dataset/DataFrame");
    return writer;
}

void
duet_stream_writer_free(DuetStreamWriter *writer)
{
    if (writer == NULL)
        return;
    duet_session_unref(writer->session);
    duet_dataframe_unref(writer->frame);
    g_free(writer->format);
    g_hash_table_unref(writer->options);
    g_free(writer->name);
    if (writer->sink)
        duet_sink_unref(writer->sink);
    g_clear_error(&writer->error);
    g_free(writer);
}

static void
writer_fail(DuetStreamWriter *writer, GError *error)
{
    if (writer->error == NULL)
        writer->error = error;
    else
        g_error_free(error);
}

DuetStreamWriter *
duet_stream_writer_format(DuetStreamWriter *writer, const char *format)
{
    g_free(writer->format);
    writer->format = g_strdup(format);
    return writer;
}

DuetStreamWriter *
duet_stream_writer_option(DuetStreamWriter *writer, const char *key, const char *value)
{
    duet_source_options_set(writer->options, key, value);
    return writer;
}

DuetStreamWriter *
duet_stream_writer_output_mode(DuetStreamWriter *writer, const char *mode)
{
    if (g_ascii_strcasecmp(mode, "append") == 0)
        writer->mode = DUET_OUTPUT_MODE_APPEND;
    else if (g_ascii_strcasecmp(mode, "update") == 0)
        writer->mode = DUET_OUTPUT_MODE_UPDATE;
    else if (g_ascii_strcasecmp(mode, "complete") == 0)
        writer->mode = DUET_OUTPUT_MODE_COMPLETE;
    else
        writer_fail(writer, g_error_new(DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                                        "Unknown output mode %s. Accepted output modes are "
                                        "'append', 'complete', 'update'",
                                        mode));
    return writer;
}

DuetStreamWriter *
duet_stream_writer_query_name(DuetStreamWriter *writer, const char *name)
{
    g_free(writer->name);
    writer->name = g_strdup(name);
    return writer;
}

static DuetStreamWriter *
interval_trigger(DuetStreamWriter *writer, DuetTriggerKind kind, const char *interval)
{
    gint64 us = 0;
    GError *error = NULL;
    if (!duet_parse_interval_us(interval, &us, &error)) {
        writer_fail(writer, error);
    } else if (us < 0) {
        writer_fail(writer, g_error_new(DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                                        "Trigger interval must not be negative: %s", interval));
    } else {
        writer->trigger.kind = kind;
        writer->trigger.interval_ms = us / 1000;
        if (kind == DUET_TRIGGER_PROCESSING_TIME && us == 0)
            writer->trigger.kind = DUET_TRIGGER_DEFAULT; /* ProcessingTime(0) */
    }
    return writer;
}

DuetStreamWriter *
duet_stream_writer_trigger_processing_time(DuetStreamWriter *writer, const char *interval)
{
    return interval_trigger(writer, DUET_TRIGGER_PROCESSING_TIME, interval);
}

DuetStreamWriter *
duet_stream_writer_trigger_continuous(DuetStreamWriter *writer, const char *interval)
{
    return interval_trigger(writer, DUET_TRIGGER_CONTINUOUS, interval);
}

DuetStreamWriter *
duet_stream_writer_trigger_once(DuetStreamWriter *writer)
{
    writer->trigger = (DuetTrigger){DUET_TRIGGER_ONCE, 0};
    return writer;
}

DuetStreamWriter *
duet_stream_writer_trigger_available_now(DuetStreamWriter *writer)
{
    writer->trigger = (DuetTrigger){DUET_TRIGGER_AVAILABLE_NOW, 0};
    return writer;
}

DuetStreamWriter *
duet_stream_writer_sink(DuetStreamWriter *writer, DuetSink *sink)
{
    if (writer->sink)
        duet_sink_unref(writer->sink);
    writer->sink = duet_sink_ref(sink);
    return writer;
}

DuetStreamWriter *
duet_stream_writer_foreach_batch(DuetStreamWriter *writer, DuetForeachBatchFunc func,
                                 gpointer user_data)
{
    g_autoptr(DuetSink) sink =
        duet_foreach_batch_sink_new(duet_dataframe_schema(writer->frame), func, user_data);
    return duet_stream_writer_sink(writer, sink);
}

DuetStreamWriter *
duet_stream_writer_foreach(DuetStreamWriter *writer, const DuetForeachWriter *callbacks,
                           gpointer user_data)
{
    g_autoptr(DuetSink) sink =
        duet_foreach_sink_new(duet_dataframe_schema(writer->frame), callbacks, user_data);
    return duet_stream_writer_sink(writer, sink);
}

/* ---- the query manager ------------------------------------------------------------------- */

static void
manager_terminated(DuetStreamingQuery *query, const GError *exception, gpointer user_data)
{
    DuetSession *session = user_data;
    g_mutex_lock(&session->lock);
    if (!session->any_ended && exception != NULL)
        session->first_failure = g_error_copy(exception);
    session->any_ended = TRUE;
    g_cond_broadcast(&session->ended);
    g_mutex_unlock(&session->lock);
}

static gboolean
name_in_use(DuetSession *session, const char *name)
{
    for (guint index = 0; name && index < session->queries->len; index++) {
        DuetStreamingQuery *query = session->queries->pdata[index];
        if (g_strcmp0(duet_streaming_query_name(query), name) == 0 &&
            duet_streaming_query_is_active(query))
            return TRUE;
    }
    return FALSE;
}

static char *
checkpoint_location(DuetStreamWriter *writer, gboolean required, GError **error)
{
    const char *option = duet_source_options_get(writer->options, "checkpointLocation");
    if (option != NULL)
        return g_strdup(option);
    g_autofree char *root =
        duet_session_get_conf(writer->session, "spark.sql.streaming.checkpointLocation");
    if (root != NULL) {
        g_autofree char *leaf = writer->name ? g_strdup(writer->name) : g_uuid_string_random();
        return g_build_filename(root, leaf, NULL);
    }
    if (required)
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "checkpointLocation must be specified either through "
                    "option(\"checkpointLocation\", ...) or "
                    "SparkSession.conf.set(\"spark.sql.streaming.checkpointLocation\", ...)");
    return NULL;
}

DuetStreamingQuery *
duet_stream_writer_start(DuetStreamWriter *writer, GError **error)
{
    DuetSession *session = writer->session;
    DuetStreamingQuery *query = NULL;
    DuetSink *sink = NULL;
    GArray *listeners = NULL;
    g_autofree char *checkpoint = NULL;
    gboolean memory =
        writer->sink == NULL && writer->format && g_ascii_strcasecmp(writer->format, "memory") == 0;
    gboolean file = writer->sink == NULL && writer->format &&
                    (g_ascii_strcasecmp(writer->format, "json") == 0 ||
                     g_ascii_strcasecmp(writer->format, "csv") == 0 ||
                     g_ascii_strcasecmp(writer->format, "text") == 0);
    GError *local = NULL;
    if (writer->error != NULL) {
        g_propagate_error(error, g_steal_pointer(&writer->error));
        goto out;
    }
    if (memory && writer->name == NULL) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "queryName must be specified for memory sink");
        goto out;
    }
    g_mutex_lock(&session->lock);
    gboolean taken = name_in_use(session, writer->name);
    g_mutex_unlock(&session->lock);
    if (taken) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "Cannot start query with name %s as a query with that name is already active "
                    "in this SparkSession",
                    writer->name);
        goto out;
    }
    checkpoint = checkpoint_location(writer, file, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        goto out;
    }
    sink = writer->sink ? duet_sink_ref(writer->sink)
                        : duet_sink_new(writer->format, writer->options,
                                        duet_dataframe_schema(writer->frame), error);
    if (sink == NULL)
        goto out;
    g_mutex_lock(&session->lock);
    listeners = g_array_copy(session->listeners);
    g_mutex_unlock(&session->lock);
    DuetQueryListener manager = {NULL, NULL, NULL, manager_terminated, session};
    g_array_append_val(listeners, manager);
    DuetQueryOptions options = {writer->mode,
                                checkpoint,
                                writer->trigger,
                                writer->name,
                                (const DuetQueryListener *)listeners->data,
                                listeners->len};
    query = duet_streaming_query_start_with(session->context, writer->frame, sink, &options, error);
    if (query != NULL) {
        g_mutex_lock(&session->lock);
        g_ptr_array_add(session->queries, duet_streaming_query_ref(query));
        if (memory)
            g_hash_table_insert(session->tables, g_strdup(writer->name), duet_sink_ref(sink));
        g_mutex_unlock(&session->lock);
    }
out:
    if (listeners)
        g_array_unref(listeners);
    if (sink)
        duet_sink_unref(sink);
    duet_stream_writer_free(writer);
    return query;
}

GPtrArray *
duet_session_active_queries(DuetSession *session)
{
    GPtrArray *active = g_ptr_array_new_with_free_func((GDestroyNotify)duet_streaming_query_unref);
    g_mutex_lock(&session->lock);
    for (guint index = 0; index < session->queries->len; index++) {
        DuetStreamingQuery *query = session->queries->pdata[index];
        if (duet_streaming_query_is_active(query))
            g_ptr_array_add(active, duet_streaming_query_ref(query));
    }
    g_mutex_unlock(&session->lock);
    return active;
}

DuetStreamingQuery *
duet_session_get_query(DuetSession *session, const char *id)
{
    DuetStreamingQuery *found = NULL;
    g_mutex_lock(&session->lock);
    for (guint index = 0; index < session->queries->len && !found; index++) {
        DuetStreamingQuery *query = session->queries->pdata[index];
        if (g_strcmp0(duet_streaming_query_id(query), id) == 0 &&
            duet_streaming_query_is_active(query))
            found = duet_streaming_query_ref(query);
    }
    g_mutex_unlock(&session->lock);
    return found;
}

gboolean
duet_session_await_any_termination(DuetSession *session, gint64 timeout_ms, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * G_TIME_SPAN_MILLISECOND;
    g_mutex_lock(&session->lock);
    while (!session->any_ended) {
        if (timeout_ms < 0)
            g_cond_wait(&session->ended, &session->lock);
        else if (!g_cond_wait_until(&session->ended, &session->lock, deadline))
            break;
    }
    gboolean ended = session->any_ended;
    if (session->first_failure != NULL)
        g_propagate_error(error, g_error_copy(session->first_failure));
    g_mutex_unlock(&session->lock);
    return ended;
}

void
duet_session_reset_terminated(DuetSession *session)
{
    g_mutex_lock(&session->lock);
    session->any_ended = FALSE;
    g_clear_error(&session->first_failure);
    g_mutex_unlock(&session->lock);
}

void
duet_session_add_listener(DuetSession *session, const DuetQueryListener *listener)
{
    g_mutex_lock(&session->lock);
    g_array_append_val(session->listeners, *listener);
    g_mutex_unlock(&session->lock);
}

DuetBatch *
duet_session_memory_table(DuetSession *session, const char *name, GError **error)
{
    g_mutex_lock(&session->lock);
    DuetSink *sink = g_hash_table_lookup(session->tables, name);
    DuetBatch *rows = sink ? duet_memory_sink_all_data(sink) : NULL;
    g_mutex_unlock(&session->lock);
    if (sink == NULL)
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found. Verify the "
                    "spelling and correctness of the schema and catalog.",
                    name);
    return rows;
}

DuetCatalog *
duet_session_catalog(DuetSession *session)
{
    return session->catalog;
}

DuetDataFrame *
duet_session_sql(DuetSession *session, const char *text, GError **error)
{
    /* every memory sink is a table of what it holds now, as Spark's memory sink is */
    g_mutex_lock(&session->lock);
    GHashTableIter iter;
    gpointer name, sink;
    gboolean ok = TRUE;
    g_hash_table_iter_init(&iter, session->tables);
    while (ok && g_hash_table_iter_next(&iter, &name, &sink)) {
        g_autoptr(DuetBatch) rows = duet_memory_sink_all_data(sink);
        g_autoptr(DuetSource) snapshot = duet_memory_source_new(duet_sink_schema(sink));
        if (rows != NULL)
            duet_memory_source_add(snapshot, rows);
        g_autoptr(DuetDataFrame) table = duet_dataframe_from_static_source(snapshot);
        ok = duet_dataframe_create_or_replace_temp_view(session->catalog, table, name, error);
    }
    g_mutex_unlock(&session->lock);
    return ok ? duet_catalog_sql(session->catalog, text, error) : NULL;
}
