/* side_by_side.c — a paired example run by both APIs at once, batch by batch.
 *
 * Layer: compat/. See side_by_side.h. Both engines live on one context whose clock is a manual
 * clock the run moves one batch interval per step, so a DStream batch and a Structured trigger
 * fire at the same instant over the same records. The DStream half's output is persisted, so
 * collecting it (timed: that is the batch's job) and printing it (pprint) compute it once; the
 * Structured half writes through foreachBatch, which keeps the rows and renders the console
 * sink's table, and its processing time is the progress's triggerExecution.
 */
#include "compat/side_by_side_private.h"

#include "dstream/receiver.h"
#include "rdd/atomic_file.h"
#include "rdd/show.h"
#include "structured/session.h"

#include <gio/gio.h>
#include <stdio.h>

/* 2026-01-01T00:00:00Z: a round start, a multiple of every batch interval, so generated runs
 * print the same times on every machine. External inputs start at the real time instead. */
#define GENERATED_START_MS G_GINT64_CONSTANT(1767225600000)
/* How long a step waits for an engine's batch before calling it stuck. */
#define BATCH_TIMEOUT_MS 120000

struct _DuetSideBySide {
    const DuetExample *example;
    DuetSideBySideOptions options;
    DuetSession *session;         /* owns the context both engines run on */
    DuetClock *clock;             /* manual; moved one interval per step */
    GRand *rand;                  /* the generator's */
    DuetSideBySideInput *input;   /* the shared source */
    char *checkpoint_root;        /* temporary: dstream/ and structured/ checkpoints */
    DuetStreamingContext *ssc;    /* the DStream half's context, or NULL */
    DuetStreamingQuery *query;    /* the Structured half's query, or NULL */
    DuetDataFrame *frame;         /* the Structured half's plan */
    DuetSchema *dstream_schema;   /* the DStream half's output schema */
    DuetSink *sinks[2];           /* --sink: one per API ([0] DStream, [1] Structured) */
    gint64 zero_ms;               /* the clock when the engines started */
    guint steps;                  /* batches run so far */
    gint64 last_progress_batch;   /* the Structured batch id already reported */
    DuetSideBySideBatch *current; /* filled by the engines' callbacks during a step */
    GString *pprint_text;         /* the DStream half's pprint output of the step */
};

void
duet_side_by_side_batch_free(DuetSideBySideBatch *batch)
{
    if (batch == NULL)
        return;
    DuetEngineBatch *engines[] = {&batch->dstream, &batch->structured};
    for (guint engine = 0; engine < 2; engine++) {
        if (engines[engine]->rows)
            duet_batch_unref(engines[engine]->rows);
        g_free(engines[engine]->text);
    }
    if (batch->input)
        g_ptr_array_unref(batch->input);
    g_free(batch);
}

/* ---- the DStream half ------------------------------------------------------------------------ */

/* Runs the batch's job (the output is persisted, so pprint reuses it) and keeps the rows. */
static gboolean
collect_dstream_batch(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    DuetSideBySide *run = user_data;
    gint64 started_us = g_get_monotonic_time();
    DuetBatch *rows = duet_rdd_collect(rdd, error);
    if (rows == NULL)
        return FALSE;
    run->current->dstream.processing_ms = (gdouble)(g_get_monotonic_time() - started_us) / 1000.0;
    if (run->current->dstream.rows)
        duet_batch_unref(run->current->dstream.rows);
    run->current->dstream.rows = rows;
    if (run->sinks[0] != NULL) {
        g_autoptr(GPtrArray) partitions = duet_sink_partitions_of(rows);
        return duet_sink_add_batch(run->sinks[0], run->current->index, partitions,
                                   DUET_OUTPUT_MODE_APPEND, error);
    }
    return TRUE;
}

static void
keep_pprint_text(const char *text, gpointer user_data)
{
    DuetSideBySide *run = user_data;
    g_string_append(run->pprint_text, text);
}

/* A source whose records are not text lines (Kafka's, ZeroMQ's binary value): its value. */
static void
value_as_line(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    guint column = GPOINTER_TO_UINT(user_data);
    gsize len = 0;
    const char *value = duet_row_is_null(row, column) ? "" : duet_row_get_string(row, column, &len);
    duet_batch_builder_append_string(out, 0, value, (gssize)len);
}

/* Whether the source's records are the lines themselves (a single `value STRING` column). */
static gboolean
records_are_lines(DuetSchema *schema)
{
    return duet_schema_n_fields(schema) == 1 &&
           duet_data_type_id(duet_schema_field(schema, 0)->type) == DUET_TYPE_STRING;
}

static gboolean
start_dstream(DuetSideBySide *run, GError **error)
{
    DuetContext *context = duet_session_context(run->session);
    run->ssc = duet_streaming_context_new(context, run->options.interval_ms, error);
    if (run->ssc == NULL)
        return FALSE;
    g_autofree char *directory = g_build_filename(run->checkpoint_root, "dstream", NULL);
    if (!duet_streaming_context_checkpoint(run->ssc, directory, error))
        return FALSE;
    DuetSource *source = duet_side_by_side_input_source(run->input);
    g_autoptr(DuetDStream) records = duet_streaming_context_source_stream(run->ssc, source);
    g_autoptr(DuetDStream) lines = NULL;
    DuetSchema *schema = duet_source_schema(source);
    if (g_str_equal(run->example->name, "kafka_word_count") || records_are_lines(schema)) {
        lines = duet_dstream_ref(records);
    } else {
        g_autoptr(DuetSchema) line = duet_schema_parse("value STRING", NULL);
        gint value = duet_schema_find(schema, "value");
        lines = duet_dstream_map(records, line, value_as_line, GUINT_TO_POINTER(MAX(value, 0)));
    }
    g_autoptr(DuetDStream) output = run->example->dstream(lines, error);
    if (output == NULL)
        return FALSE;
    run->dstream_schema = duet_schema_ref(duet_dstream_schema(output));
    duet_dstream_persist(output);
    duet_dstream_foreach_rdd(output, collect_dstream_batch, run);
    duet_dstream_pprint(output, (guint)run->options.num_rows, keep_pprint_text, run);
    return duet_streaming_context_start(run->ssc, error);
}

/* ---- the Structured half --------------------------------------------------------------------- */

static gboolean
keep_structured_batch(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
{
    DuetSideBySide *run = user_data;
    if (run->current == NULL)
        return TRUE; /* a batch at start (Spark's empty batch 0 over Kafka): before any step */
    DuetEngineBatch *structured = &run->current->structured;
    g_autoptr(GString) text = g_string_new(NULL);
    duet_show_console_batch(text, batch_id, rows, run->options.num_rows, TRUE);
    g_free(structured->text);
    structured->text = g_string_free(g_steal_pointer(&text), FALSE);
    if (structured->rows)
        duet_batch_unref(structured->rows);
    structured->rows = duet_batch_ref(rows);
    if (run->sinks[1] != NULL) {
        g_autoptr(GPtrArray) partitions = duet_sink_partitions_of(rows);
        return duet_sink_add_batch(run->sinks[1], batch_id, partitions, DUET_OUTPUT_MODE_APPEND,
                                   error);
    }
    return TRUE;
}

static gboolean
start_structured(DuetSideBySide *run, GError **error)
{
    DuetSource *source = duet_side_by_side_input_source(run->input);
    g_autoptr(DuetDataFrame) records = duet_dataframe_from_source(source);
    g_autoptr(DuetDataFrame) lines = NULL;
    if (g_str_equal(run->example->name, "kafka_word_count") ||
        records_are_lines(duet_source_schema(source))) {
        lines = duet_dataframe_ref(records);
    } else {
        static const char *const value[] = {"CAST(value AS STRING) AS value"};
        lines = duet_dataframe_select_exprv(records, value, 1, error);
        if (lines == NULL)
            return FALSE;
    }
    run->frame = run->example->structured(lines, error);
    if (run->frame == NULL)
        return FALSE;
    g_autofree char *directory = g_build_filename(run->checkpoint_root, "structured", NULL);
    g_autofree char *interval =
        g_strdup_printf("%" G_GINT64_FORMAT " milliseconds", run->options.interval_ms);
    DuetStreamWriter *writer = duet_dataframe_write_stream(run->session, run->frame);
    duet_stream_writer_output_mode(writer, run->example->output_mode);
    duet_stream_writer_trigger_processing_time(writer, interval);
    duet_stream_writer_option(writer, "checkpointLocation", directory);
    duet_stream_writer_query_name(writer, run->example->name);
    duet_stream_writer_foreach_batch(writer, keep_structured_batch, run);
    run->query = duet_stream_writer_start(writer, error);
    if (run->query == NULL)
        return FALSE;
    /* the first trigger fires at the start time and finds nothing: wait for it to pass */
    return duet_streaming_query_await_waiting_at(run->query, run->zero_ms, BATCH_TIMEOUT_MS) ||
           (g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                        "the Structured query did not start within %d s", BATCH_TIMEOUT_MS / 1000),
            FALSE);
}

/* The batch's processing time, late rows and watermark, from the query's last progress. */
static void
read_progress(DuetSideBySide *run, DuetEngineBatch *structured)
{
    g_autoptr(DuetQueryProgress) progress = duet_streaming_query_last_progress(run->query);
    if (progress == NULL || progress->batch_id == run->last_progress_batch)
        return;
    run->last_progress_batch = progress->batch_id;
    for (guint metric = 0; metric < progress->duration_ms->len; metric++) {
        const DuetMetric *duration = &g_array_index(progress->duration_ms, DuetMetric, metric);
        if (g_str_equal(duration->name, "triggerExecution"))
            structured->processing_ms = (gdouble)duration->value;
    }
    for (guint op = 0; op < progress->state_operators->len; op++) {
        const DuetStateOperatorProgress *state = progress->state_operators->pdata[op];
        structured->late_rows += state->num_rows_dropped_by_watermark;
    }
    structured->watermark_ms = progress->has_watermark ? progress->watermark_ms : 0;
}

/* ---- the run --------------------------------------------------------------------------------- */

/* --sink FORMAT:TARGET: json/csv/text into TARGET/dstream and TARGET/structured, or sqlite
 * into tables dstream and structured of the database file TARGET. */
static gboolean
open_sinks(DuetSideBySide *run, GError **error)
{
    const char *spec = run->options.sink;
    const char *colon = strchr(spec, ':');
    g_autofree char *format = colon ? g_strndup(spec, (gsize)(colon - spec)) : g_strdup(spec);
    gboolean files =
        g_str_equal(format, "json") || g_str_equal(format, "csv") || g_str_equal(format, "text");
    if (colon == NULL || colon[1] == '\0' || (!files && !g_str_equal(format, "sqlite"))) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--sink %s: expected json:DIR, csv:DIR, text:DIR or sqlite:FILE", spec);
        return FALSE;
    }
    static const char *const apis[] = {"dstream", "structured"};
    DuetSchema *schemas[2] = {run->dstream_schema,
                              run->frame ? duet_dataframe_schema(run->frame) : NULL};
    for (guint api = 0; api < 2; api++) {
        if (schemas[api] == NULL)
            continue; /* that API does not run */
        g_autoptr(GHashTable) options =
            g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
        if (files) {
            g_hash_table_insert(options, "path", g_build_filename(colon + 1, apis[api], NULL));
        } else {
            g_hash_table_insert(options, "path", g_strdup(colon + 1));
            g_hash_table_insert(options, "table", g_strdup(apis[api]));
        }
        run->sinks[api] = duet_sink_new(format, options, schemas[api], error);
        if (run->sinks[api] == NULL) {
            g_prefix_error(error, "--sink %s: ", spec);
            return FALSE;
        }
    }
    return TRUE;
}

DuetSideBySide *
duet_side_by_side_new(const DuetExample *example, const DuetSideBySideOptions *options,
                      GError **error)
{
    g_autoptr(DuetSideBySide) run = g_new0(DuetSideBySide, 1);
    run->example = example;
    run->options = *options;
    if (run->options.interval_ms <= 0)
        run->options.interval_ms = example->batch_interval_ms;
    if (run->options.lines_per_batch == 0)
        run->options.lines_per_batch = 20;
    if (run->options.num_rows <= 0)
        run->options.num_rows = 20;
    run->last_progress_batch = -1;
    run->pprint_text = g_string_new(NULL);
    run->session = duet_session_new(options->master ? options->master : "local[2]", error);
    if (run->session == NULL)
        return NULL;
    duet_session_set_conf(run->session, "spark.sql.shuffle.partitions", "4");
    run->rand = g_rand_new_with_seed(options->seed);
    run->checkpoint_root = g_dir_make_tmp("duet-side-by-side-XXXXXX", error);
    if (run->checkpoint_root == NULL)
        return NULL;
    DuetContext *context = duet_session_context(run->session);
    /* the clock first: the file and Kafka sources read it when they are made */
    run->zero_ms = GENERATED_START_MS;
    run->clock = duet_clock_new_manual(run->zero_ms);
    duet_context_set_clock(context, run->clock);
    run->input = duet_side_by_side_input_new(example, options->source, context, options->seed,
                                             run->options.lines_per_batch, error);
    if (run->input == NULL)
        return NULL;
    /* the one example over Kafka records reads them raw; the others read text lines */
    const char *spec = options->source           ? options->source
                       : example->default_source ? example->default_source
                                                 : "generator";
    DuetSource *source = duet_side_by_side_input_source(run->input);
    gboolean kafka_records = duet_schema_find(duet_source_schema(source), "topic") >= 0;
    if (g_str_equal(example->name, "kafka_word_count") != kafka_records) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    kafka_records ? "--source %s: example '%s' reads text lines; Kafka records "
                                    "are for kafka_word_count"
                                  : "--source %s: example '%s' reads Kafka records (use "
                                    "kafka:BOOTSTRAP/TOPIC or kafka:mock/TOPIC)",
                    spec, example->name);
        return NULL;
    }
    if (duet_side_by_side_input_kind(run->input) == DUET_SIDE_BY_SIDE_EXTERNAL) {
        gint64 now = g_get_real_time() / 1000;
        run->zero_ms = now - now % run->options.interval_ms;
        duet_clock_set_ms(run->clock, run->zero_ms);
    }
    if (options->run_dstream && !start_dstream(run, error))
        return NULL;
    if (options->run_structured && !start_structured(run, error))
        return NULL;
    if (options->sink != NULL && !open_sinks(run, error))
        return NULL;
    return g_steal_pointer(&run);
}

DuetSideBySideBatch *
duet_side_by_side_step(DuetSideBySide *run, GError **error)
{
    g_autoptr(DuetSideBySideBatch) batch = g_new0(DuetSideBySideBatch, 1);
    batch->index = run->steps;
    batch->time_ms = run->zero_ms + (gint64)(run->steps + 1) * run->options.interval_ms;
    batch->dstream.ran = run->ssc != NULL;
    batch->structured.ran = run->query != NULL;
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    if (duet_side_by_side_input_kind(run->input) == DUET_SIDE_BY_SIDE_EXTERNAL) {
        if (run->options.wall_clock)
            g_usleep((gulong)run->options.interval_ms * 1000);
    } else {
        run->example->generate(run->rand, batch->time_ms, run->options.lines_per_batch, lines);
        if (!duet_side_by_side_input_feed(run->input, lines, error))
            return NULL;
    }
    run->current = batch;
    g_string_truncate(run->pprint_text, 0);
    duet_clock_set_ms(run->clock, batch->time_ms);
    if (run->ssc &&
        !duet_streaming_context_await_batch(run->ssc, batch->time_ms, BATCH_TIMEOUT_MS)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "the DStream batch at %" G_GINT64_FORMAT " ms did not complete (see the "
                    "errors above)",
                    batch->time_ms);
        return NULL;
    }
    if (run->query) {
        gboolean waiting =
            duet_streaming_query_await_waiting_at(run->query, batch->time_ms, BATCH_TIMEOUT_MS);
        g_autoptr(GError) failure = duet_streaming_query_exception(run->query);
        if (failure != NULL || !waiting) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the Structured query %s: %s",
                        failure ? "failed" : "did not finish its batch",
                        failure ? failure->message : "timed out");
            return NULL;
        }
        read_progress(run, &batch->structured);
    }
    run->current = NULL;
    batch->dstream.text = g_strdup(run->pprint_text->str);
    batch->rows_in = lines->len;
    batch->input = g_ptr_array_ref(lines);
    if (duet_side_by_side_input_kind(run->input) == DUET_SIDE_BY_SIDE_EXTERNAL) {
        /* what arrived: the Structured progress's input rows, else the DStream's records */
        g_autoptr(DuetQueryProgress) progress =
            run->query ? duet_streaming_query_last_progress(run->query) : NULL;
        batch->rows_in = progress && progress->batch_id == run->last_progress_batch
                             ? progress->num_input_rows
                             : 0;
    }
    run->steps++;
    return g_steal_pointer(&batch);
}

const char *
duet_side_by_side_input(DuetSideBySide *run)
{
    return duet_side_by_side_input_description(run->input);
}

DuetSource *
duet_side_by_side_source(DuetSideBySide *run)
{
    return duet_side_by_side_input_source(run->input);
}

char *
duet_side_by_side_explain(DuetSideBySide *run)
{
    g_autoptr(GString) text = g_string_new(NULL);
    if (run->frame != NULL) {
        g_autofree char *plans = duet_dataframe_explain_extended(run->frame);
        g_string_append_printf(text, "== Structured Streaming ==\n%s\n", plans);
    }
    if (run->ssc != NULL) {
        g_autofree char *graph = duet_streaming_context_debug_string(run->ssc);
        g_string_append_printf(text, "== DStream ==\n%s", graph);
    }
    return g_string_free(g_steal_pointer(&text), FALSE);
}

void
duet_side_by_side_free(DuetSideBySide *run)
{
    if (run == NULL)
        return;
    if (run->query) {
        duet_streaming_query_stop(run->query);
        duet_streaming_query_unref(run->query);
    }
    if (run->ssc) {
        duet_streaming_context_stop(run->ssc, FALSE);
        duet_streaming_context_unref(run->ssc);
    }
    for (guint api = 0; api < 2; api++) {
        if (run->sinks[api])
            duet_sink_unref(run->sinks[api]);
    }
    if (run->frame)
        duet_dataframe_unref(run->frame);
    if (run->dstream_schema)
        duet_schema_unref(run->dstream_schema);
    duet_side_by_side_input_free(run->input);
    if (run->session)
        duet_session_unref(run->session);
    if (run->clock)
        duet_clock_unref(run->clock);
    if (run->rand)
        g_rand_free(run->rand);
    if (run->checkpoint_root) {
        duet_remove_tree(run->checkpoint_root);
        g_free(run->checkpoint_root);
    }
    g_string_free(run->pprint_text, TRUE);
    g_free(run);
}
