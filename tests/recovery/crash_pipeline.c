/* crash_pipeline.c — one pipeline of one API in a process of its own, for crash_harness.c to
 * kill with SIGKILL (at a random instant or at a named crash point) and start again.
 *
 * Layer: tests/ (links structured/ and dstream/, never includes compat/).
 *   crash_pipeline --api structured|dstream --pipeline file-file|kafka-sqlite|kafka-file
 *                  --checkpoint DIR --output PATH [--input DIR] [--bootstrap HOST:PORT
 *                  --topic TOPIC] [--batches N] [--port PORT --expect N]
 * It recovers from DIR (Structured: the query's checkpoint; DStream: getOrCreate), processes
 * the input until it is exhausted and exits 0; 1 with the error on standard error otherwise.
 *   file-file    text files -> the text file sink (Structured: maxFilesPerTrigger=1; DStream:
 *                textFileStream, whose files must carry modification times of the manual
 *                clock, as the harness writes them);
 *   kafka-file   the Kafka value of every record -> the text file sink;
 *   kafka-sqlite a stateful word count of the Kafka values -> SQLite table `counts`, upserted
 *                by word (Structured: groupBy(word).count() in Update mode; DStream:
 *                updateStateByKey(sum), the whole state written every batch);
 *   socket-file  (DStream) socketTextStream to 127.0.0.1:--port under the receiver write-ahead
 *                log -> updateStateByKey(count per line) -> the CSV file sink, the whole state
 *                every batch. It waits until the --expect lines the harness sends this run are
 *                received and logged, then runs three batches and exits 0. (No Structured
 *                version: Spark's socket source cannot replay, so a crash may lose lines.)
 * Structured runs with the default trigger and small per-trigger limits, so the input takes
 * several batches, until processAllAvailable returns, then stops (Trigger.AvailableNow, which
 * now runs every rate-limited batch too, would do the same); DStream drives a
 * manual clock one 1 s batch at a time up to batch N with spark.streaming.kafka.maxRatePerPartition
 * limiting each batch.
 *
 * DUET_CRASH_AT=SITE[@GLOB]:N installs a duet_fault_sim hook that raises SIGKILL at the N-th
 * time the engine reaches fault site SITE (rdd/fault.h names: write, fsync, rename,
 * sink-commit, state-snapshot, sink-write) with a path matching GLOB (g_pattern_match_simple),
 * so that the harness can kill the process at an exact point: after an offsets file is
 * published, half way through a sink's write, between the sink's commit and the commit log,
 * while state is written. The process exits by itself after 120 s whatever happens.
 */
#include "dstream/kafka_input.h"
#include "dstream/receiver.h"
#include "rdd/fault.h"
#include "structured/session.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BATCH_MS 1000

typedef struct {
    const char *api;        /* "structured" or "dstream" */
    const char *pipeline;   /* "file-file", "kafka-sqlite", "kafka-file" */
    const char *checkpoint; /* the checkpoint directory */
    const char *output;     /* the file sink's directory or the SQLite database */
    const char *input;      /* file-file: the input directory */
    const char *bootstrap;  /* kafka-*: the cluster */
    const char *topic;      /* kafka-*: the topic, read from the earliest offset */
    gint64 batches;         /* dstream: the last batch index to run */
    gint port;              /* socket-file: the harness's loopback port */
    gint64 expect;          /* socket-file: lines the harness sends this run */
    DuetClock *clock;       /* dstream: the last context's manual clock (owned) */
    DuetSink *sink;         /* dstream: the last context's sink (owned) */
    DuetDStream *socket;    /* socket-file: the last context's socket stream (owned) */
} Child;

/* ---- the crash point ------------------------------------------------------------------------ */

typedef struct {
    DuetFaultSite site;
    char *glob; /* NULL: any path */
    gint nth;
    gint hits; /* atomic */
} CrashPoint;

static gboolean
crash_hook(DuetFaultSite site, const char *path, gpointer user_data)
{
    CrashPoint *point = user_data;
    if (site != point->site)
        return FALSE;
    if (point->glob != NULL && (path == NULL || !g_pattern_match_simple(point->glob, path)))
        return FALSE;
    if (g_atomic_int_add(&point->hits, 1) + 1 == point->nth) {
        fprintf(stderr, "crash_pipeline: SIGKILL at %s %s (hit %d)\n", duet_fault_site_name(site),
                path ? path : "-", point->nth);
        fflush(stderr);
        raise(SIGKILL);
    }
    return FALSE;
}

static gboolean
install_crash_point(const char *spec, GError **error)
{
    const char *colon = strrchr(spec, ':');
    gint64 nth = 0;
    if (colon == NULL || !g_ascii_string_to_signed(colon + 1, 10, 1, G_MAXINT, &nth, NULL)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "DUET_CRASH_AT=%s: expected SITE[@GLOB]:N with N >= 1", spec);
        return FALSE;
    }
    g_autofree char *head = g_strndup(spec, (gsize)(colon - spec));
    char *at = strchr(head, '@');
    CrashPoint *point = g_new0(CrashPoint, 1); /* lives as long as the process */
    if (at != NULL) {
        *at = '\0';
        point->glob = g_strdup(at + 1);
    }
    point->site = DUET_FAULT_N_SITES;
    for (int site = 0; site < DUET_FAULT_N_SITES; site++)
        if (strcmp(head, duet_fault_site_name((DuetFaultSite)site)) == 0)
            point->site = (DuetFaultSite)site;
    if (point->site == DUET_FAULT_N_SITES) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "DUET_CRASH_AT=%s: unknown fault site %s", spec, head);
        g_free(point->glob);
        g_free(point);
        return FALSE;
    }
    point->nth = (gint)nth;
    duet_fault_sim_set_hook(crash_hook, point);
    return TRUE;
}

/* ---- Structured Streaming ------------------------------------------------------------------- */

static DuetDataFrame *
structured_input(DuetSession *spark, Child *child, GError **error)
{
    DuetStreamReader *reader = duet_session_read_stream(spark);
    if (strcmp(child->pipeline, "file-file") == 0) {
        duet_stream_reader_option(duet_stream_reader_format(reader, "text"), "maxFilesPerTrigger",
                                  "1");
        return duet_stream_reader_load(reader, child->input, error);
    }
    duet_stream_reader_format(reader, "kafka");
    duet_stream_reader_option(reader, "kafka.bootstrap.servers", child->bootstrap);
    duet_stream_reader_option(reader, "subscribe", child->topic);
    duet_stream_reader_option(reader, "startingOffsets", "earliest");
    duet_stream_reader_option(reader, "maxOffsetsPerTrigger", "40");
    g_autoptr(DuetDataFrame) records = duet_stream_reader_load(reader, NULL, error);
    if (records == NULL)
        return NULL;
    static const char *const value[] = {"CAST(value AS STRING) AS value"};
    return duet_dataframe_select_exprv(records, value, 1, error);
}

static gboolean
run_structured(Child *child, GError **error)
{
    g_autoptr(DuetSession) spark = duet_session_new("local[2]", error);
    if (spark == NULL)
        return FALSE;
    duet_session_set_conf(spark, "spark.sql.shuffle.partitions", "2");
    g_autoptr(DuetDataFrame) input = structured_input(spark, child, error);
    if (input == NULL)
        return FALSE;
    g_autoptr(DuetDataFrame) result = NULL;
    DuetStreamWriter *writer;
    if (strcmp(child->pipeline, "kafka-sqlite") == 0) {
        static const char *const by[] = {"value AS word"};
        g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(input, by, 1, error);
        if (grouped == NULL || (result = duet_grouped_data_count(grouped, error)) == NULL)
            return FALSE;
        writer = duet_dataframe_write_stream(spark, result);
        duet_stream_writer_output_mode(duet_stream_writer_format(writer, "sqlite"), "update");
        duet_stream_writer_option(writer, "table", "counts");
        duet_stream_writer_option(writer, "keyColumns", "word");
    } else {
        writer = duet_dataframe_write_stream(spark, input);
        duet_stream_writer_output_mode(duet_stream_writer_format(writer, "text"), "append");
    }
    duet_stream_writer_option(writer, "path", child->output);
    duet_stream_writer_option(writer, "checkpointLocation", child->checkpoint);
    g_autoptr(DuetStreamingQuery) query = duet_stream_writer_start(writer, error);
    if (query == NULL)
        return FALSE;
    GError *local = NULL;
    duet_streaming_query_process_all_available(query, &local);
    duet_streaming_query_stop(query);
    duet_streaming_query_await_termination(query, -1, local ? NULL : &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return FALSE;
    }
    return TRUE;
}

/* ---- DStream -------------------------------------------------------------------------------- */

static void
to_value(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len;
    const char *value = duet_row_get_string(row, 1, &len);
    duet_batch_builder_append_string(out, 0, value, (gssize)len);
}

static void
to_pair(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    to_value(row, out, user_data);
    duet_batch_builder_append_int64(out, 1, 1);
}

static gboolean
sum_state(gint64 time_ms, const DuetValue *key, const DuetValue *values, const DuetValue *state,
          DuetColumnBuilder *new_state, gpointer user_data)
{
    gint64 sum = state->is_null ? 0 : state->v.i64;
    for (gsize index = 0; index < duet_value_list_length(values); index++) {
        DuetValue value;
        duet_value_list_get(values, index, &value);
        sum += value.v.i64;
    }
    duet_column_builder_append_int64(new_state, sum);
    return TRUE;
}

static void
line_to_pair(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len;
    const char *value = duet_row_get_string(row, 0, &len);
    duet_batch_builder_append_string(out, 0, value, (gssize)len);
    duet_batch_builder_append_int64(out, 1, 1);
}

/* socket-file: socketTextStream under the receiver write-ahead log -> (line, 1) ->
 * updateStateByKey(sum) -> the CSV file sink, the whole state every batch. */
static DuetStreamingContext *
socket_graph(Child *child, DuetStreamingContext *ssc, GError **error)
{
    g_clear_pointer(&child->socket, duet_dstream_unref);
    child->socket =
        duet_streaming_context_socket_text_stream(ssc, "127.0.0.1", (guint16)child->port);
    g_autoptr(DuetSchema) schema = duet_schema_parse("word STRING, n BIGINT", NULL);
    g_autoptr(DuetDStream) pairs = duet_dstream_map(child->socket, schema, line_to_pair, NULL);
    g_autoptr(DuetDataType) state_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    g_autoptr(DuetDStream) counts =
        duet_dstream_update_state_by_key(pairs, state_type, sum_state, NULL, 2, NULL, error);
    if (counts == NULL)
        return NULL;
    duet_dstream_checkpoint(counts, 2 * BATCH_MS);
    GHashTable *options = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(options, "path", (gpointer)child->output);
    g_clear_pointer(&child->sink, duet_sink_unref);
    child->sink = duet_sink_new("csv", options, duet_dstream_schema(counts), error);
    g_hash_table_unref(options);
    if (child->sink == NULL)
        return NULL;
    duet_dstream_write_to_sink(counts, child->sink);
    return duet_streaming_context_ref(ssc);
}

/* file-file: textFileStream -> the text file sink, each batch's lines. */
static DuetStreamingContext *
file_graph(Child *child, DuetStreamingContext *ssc, GError **error)
{
    g_autoptr(DuetDStream) lines = duet_streaming_context_text_file_stream(ssc, child->input);
    GHashTable *options = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(options, "path", (gpointer)child->output);
    g_clear_pointer(&child->sink, duet_sink_unref);
    child->sink = duet_sink_new("text", options, duet_dstream_schema(lines), error);
    g_hash_table_unref(options);
    if (child->sink == NULL)
        return NULL;
    duet_dstream_write_to_sink(lines, child->sink);
    return duet_streaming_context_ref(ssc);
}

/* The create function given to getOrCreate: the same graph on every run. */
static DuetStreamingContext *
dstream_create(gpointer user_data, GError **error)
{
    Child *child = user_data;
    g_autoptr(DuetContext) spark = duet_context_new("local[2]", error);
    if (spark == NULL)
        return NULL;
    duet_context_set_conf(spark, "spark.streaming.kafka.maxRatePerPartition", "20");
    g_clear_pointer(&child->clock, duet_clock_unref);
    child->clock = duet_clock_new_manual(0);
    duet_context_set_clock(spark, child->clock);
    if (child->port > 0)
        duet_context_set_conf(spark, DUET_RECEIVER_WAL_ENABLE, "true");
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(spark, BATCH_MS, error);
    if (ssc == NULL || !duet_streaming_context_checkpoint(ssc, child->checkpoint, error))
        return NULL;
    if (child->port > 0)
        return socket_graph(child, ssc, error);
    if (strcmp(child->pipeline, "file-file") == 0)
        return file_graph(child, ssc, error);
    GHashTable *params = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(params, "bootstrap.servers", (gpointer)child->bootstrap);
    g_hash_table_insert(params, "auto.offset.reset", "earliest");
    DuetKafkaConsumerStrategy strategy = {DUET_KAFKA_SUBSCRIBE, child->topic, params, NULL};
    g_autoptr(DuetDStream) kafka = duet_kafka_utils_create_direct_stream(ssc, &strategy, error);
    g_hash_table_unref(params);
    if (kafka == NULL)
        return NULL;
    g_autoptr(DuetDStream) out = NULL;
    GHashTable *options = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(options, "path", (gpointer)child->output);
    const char *format = "text";
    if (strcmp(child->pipeline, "kafka-sqlite") == 0) {
        g_autoptr(DuetSchema) schema = duet_schema_parse("word STRING, n BIGINT", NULL);
        g_autoptr(DuetDStream) pairs = duet_dstream_map(kafka, schema, to_pair, NULL);
        g_autoptr(DuetDataType) state_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
        out = duet_dstream_update_state_by_key(pairs, state_type, sum_state, NULL, 2, NULL, error);
        if (out != NULL)
            duet_dstream_checkpoint(out, 2 * BATCH_MS);
        format = "sqlite";
        g_hash_table_insert(options, "table", "counts");
        g_hash_table_insert(options, "keyColumns", "word");
    } else {
        g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
        out = duet_dstream_map(kafka, schema, to_value, NULL);
    }
    if (out != NULL) {
        g_clear_pointer(&child->sink, duet_sink_unref);
        child->sink = duet_sink_new(format, options, duet_dstream_schema(out), error);
    }
    g_hash_table_unref(options);
    if (out == NULL || child->sink == NULL)
        return NULL;
    duet_dstream_write_to_sink(out, child->sink);
    return g_steal_pointer(&ssc);
}

static gboolean
run_dstream(Child *child, GError **error)
{
    g_autoptr(DuetStreamingContext) ssc =
        duet_streaming_context_get_or_create(child->checkpoint, dstream_create, child, error);
    if (ssc == NULL || !duet_streaming_context_start(ssc, error))
        return FALSE;
    /* after start the clock is at 0, or at the checkpoint time after a recovery */
    gint64 next = (duet_clock_now_ms(child->clock) / BATCH_MS + 1) * BATCH_MS;
    gint64 last = child->batches * BATCH_MS;
    if (child->port > 0) {
        /* this run's lines received, then logged (a block interval of the clock cuts them into
         * a block the log holds): from here a crash loses none of them; three batches more
         * allocate the blocks, update the state and write it */
        DuetReceiver *receiver = duet_dstream_receiver(child->socket);
        gboolean logged =
            child->expect == 0 || duet_receiver_wait_stored(receiver, child->expect, 30000);
        if (logged && child->expect > 0) {
            /* every block interval (200 ms) of the clock up to the next batch; the block
             * generator may start after this (then the batch's generation logs them) */
            for (gint64 block = next - BATCH_MS + 200; block < next; block += 200)
                duet_clock_set_ms(child->clock, block);
            duet_dstream_wait_logged(child->socket, child->expect, 2000);
        }
        if (!logged) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                        "%" G_GINT64_FORMAT
                        " lines not received and logged in 30 s (%" G_GINT64_FORMAT
                        " stored, %" G_GINT64_FORMAT " logged)",
                        child->expect, duet_receiver_n_stored(receiver),
                        duet_dstream_n_logged(child->socket));
            return FALSE;
        }
        last = next + 2 * BATCH_MS;
    }
    for (; next <= last; next += BATCH_MS) {
        duet_clock_set_ms(child->clock, next);
        if (!duet_streaming_context_await_batch(ssc, next, 60000)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                        "batch %" G_GINT64_FORMAT " did not finish", next);
            return FALSE;
        }
    }
    if (child->port > 0 && duet_dstream_n_logged(child->socket) < child->expect) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "%" G_GINT64_FORMAT " lines stored, %" G_GINT64_FORMAT
                    " logged after three batches",
                    duet_receiver_n_stored(duet_dstream_receiver(child->socket)),
                    duet_dstream_n_logged(child->socket));
        return FALSE;
    }
    /* graceful: a batch that a recovered context re-runs (pending at the checkpoint) may not
     * have run yet when the last batch is already done (the restart came after it was
     * generated); a non-graceful stop would skip it, and its records would be lost */
    duet_streaming_context_stop(ssc, TRUE);
    GError *local = NULL;
    duet_streaming_context_await_termination(ssc, 0, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return FALSE;
    }
    return TRUE;
}

/* What GOption allocated for the string options (LeakSanitizer checks the children too). */
static void
free_options(Child *child, const char *api, const char *pipeline)
{
    const char *strings[] = {api,          pipeline,         child->checkpoint, child->output,
                             child->input, child->bootstrap, child->topic};
    for (guint index = 0; index < G_N_ELEMENTS(strings); index++)
        g_free((char *)strings[index]);
}

static int run(Child *child, const char *api, const char *pipeline);

int
main(int argc, char **argv)
{
    Child child = {.batches = 10};
    gint64 batches = 10;
    const char *api = NULL, *pipeline = NULL;
    GOptionEntry entries[] = {
        {"api", 0, 0, G_OPTION_ARG_STRING, &api, "structured or dstream", "API"},
        {"pipeline", 0, 0, G_OPTION_ARG_STRING, &pipeline, "file-file, kafka-sqlite, kafka-file",
         "NAME"},
        {"checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &child.checkpoint, "checkpoint directory",
         "DIR"},
        {"output", 0, 0, G_OPTION_ARG_FILENAME, &child.output, "sink path", "PATH"},
        {"input", 0, 0, G_OPTION_ARG_FILENAME, &child.input, "input directory", "DIR"},
        {"bootstrap", 0, 0, G_OPTION_ARG_STRING, &child.bootstrap, "Kafka bootstrap", "HOST:PORT"},
        {"topic", 0, 0, G_OPTION_ARG_STRING, &child.topic, "Kafka topic", "TOPIC"},
        {"batches", 0, 0, G_OPTION_ARG_INT64, &batches, "DStream: last batch index", "N"},
        {"port", 0, 0, G_OPTION_ARG_INT, &child.port, "socket-file: loopback port", "PORT"},
        {"expect", 0, 0, G_OPTION_ARG_INT64, &child.expect, "socket-file: lines this run", "N"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GError *error = NULL;
    GOptionContext *options = g_option_context_new("- one crash-test pipeline");
    g_option_context_add_main_entries(options, entries, NULL);
    gboolean parsed = g_option_context_parse(options, &argc, &argv, &error);
    g_option_context_free(options);
    if (!parsed) {
        fprintf(stderr, "crash_pipeline: %s\n", error->message);
        g_error_free(error);
        return 2;
    }
    child.api = api;
    child.pipeline = pipeline;
    child.batches = batches;
    int status = run(&child, api, pipeline);
    free_options(&child, api, pipeline);
    return status;
}

/* Checks the options, installs the crash point and runs the pipeline: the exit status. */
static int
run(Child *child_options, const char *api, const char *pipeline)
{
    Child child = *child_options;
    GError *error = NULL;
    if (api == NULL || pipeline == NULL || child.checkpoint == NULL || child.output == NULL ||
        (strcmp(pipeline, "file-file") == 0     ? child.input == NULL
         : strcmp(pipeline, "socket-file") == 0 ? child.port <= 0
                                                : child.bootstrap == NULL || child.topic == NULL)) {
        fprintf(stderr, "crash_pipeline: --api, --pipeline, --checkpoint, --output and the "
                        "pipeline's input options are required\n");
        return 2;
    }
    alarm(120);
    const char *crash_at = g_getenv("DUET_CRASH_AT");
    if (crash_at != NULL && *crash_at != '\0' && !install_crash_point(crash_at, &error)) {
        fprintf(stderr, "crash_pipeline: %s\n", error->message);
        g_error_free(error);
        return 2;
    }
    gboolean ok;
    if (strcmp(api, "structured") == 0) {
        ok = run_structured(&child, &error);
    } else if (strcmp(api, "structured") == 0 && strcmp(pipeline, "socket-file") == 0) {
        fprintf(stderr, "crash_pipeline: no structured socket-file: Spark's socket source cannot "
                        "replay after a failure\n");
        return 2;
    } else if (strcmp(api, "dstream") == 0) {
        ok = run_dstream(&child, &error);
    } else {
        fprintf(stderr, "crash_pipeline: no %s pipeline %s\n", api, pipeline);
        return 2;
    }
    g_clear_pointer(&child.sink, duet_sink_unref);
    g_clear_pointer(&child.socket, duet_dstream_unref);
    g_clear_pointer(&child.clock, duet_clock_unref);
    if (!ok) {
        fprintf(stderr, "crash_pipeline: %s\n", error ? error->message : "failed");
        g_clear_error(&error);
        return 1;
    }
    return 0;
}
