/* sql_command.c — `duet sql "QUERY"`: streaming SQL over a source registered as a view.
 *
 * Layer: compat/. What a Spark user writes as
 *   spark.readStream...load().createOrReplaceTempView("lines")
 *   spark.sql(QUERY).writeStream.outputMode(MODE).format("console").start()
 * The source is any of `duet run`'s (compat/side_by_side_input.c); the query's batches are
 * triggered every --interval on the manual clock (generated input: as fast as it runs) or the
 * real one (external input). The sink is the console sink, or --sink FORMAT:TARGET.
 */
#include "compat/compat.h"
#include "compat/side_by_side_private.h"

#include "rdd/atomic_file.h"
#include "rdd/json_rows.h"
#include "structured/session.h"
#include "structured/sql_statement.h"

#include <signal.h>
#include <stdio.h>

#define USAGE                                                                                      \
    "usage: duet sql \"QUERY\" [OPTIONS]\n"                                                        \
    "\n"                                                                                           \
    "Streaming SQL over a source registered as a temporary view: the source's rows are the\n"      \
    "view (text lines: one column `value`; Kafka records: Spark's Kafka columns), the query\n"     \
    "runs as a streaming query, each batch printed by the console sink.\n"                         \
    "\n"                                                                                           \
    "  --source SPEC        generator[:EXAMPLE] (default: the running_counts example's text),\n"   \
    "                       socket:HOST:PORT, kafka:BOOTSTRAP/TOPIC, kafka:mock/TOPIC,\n"          \
    "                       file[:DIR], zmq:ENDPOINT\n"                                            \
    "  --view NAME          the view's name (default lines)\n"                                     \
    "  --output-mode MODE   append (default), update or complete\n"                                \
    "  --sink FORMAT:TARGET json:DIR, csv:DIR, text:DIR or sqlite:FILE instead of the console\n"   \
    "  --batches N          stop after N batches (default 3 with generated input; external\n"      \
    "                       input: until Ctrl-C)\n"                                                \
    "  --interval MS        trigger interval (default 1000)\n"                                     \
    "  --lines N            generated lines per batch (default 5)\n"                               \
    "  --seed N             the generator's seed (default 42)\n"                                   \
    "  --rows N             rows the console sink shows (default 20)\n"                            \
    "\n"                                                                                           \
    "example: duet sql \"SELECT word, count(*) AS n FROM (SELECT explode(split(value, ' '))\n"     \
    "         AS word FROM lines) GROUP BY word\" --output-mode complete\n"

static volatile sig_atomic_t interrupted;

static void
on_interrupt(int signal_number)
{
    interrupted = 1;
}

typedef struct {
    const char *query, *source, *view, *mode, *sink;
    gint64 batches, interval_ms, lines, seed, rows;
    gboolean batches_set;
    gboolean json; /* --json */
} SqlArguments;

static int
parse(SqlArguments *args, int argc, char **argv)
{
    static const char *const valued[] = {"--source",   "--view",  "--output-mode", "--sink",
                                         "--batches",  "--lines", "--seed",        "--rows",
                                         "--interval", NULL};
    for (int arg = 1; arg < argc; arg++) {
        const char *name = argv[arg];
        if (g_str_equal(name, "--help") || g_str_equal(name, "-h")) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (g_str_equal(name, "--json")) {
            args->json = TRUE;
            continue;
        }
        if (name[0] != '-' || name[1] == '\0') {
            if (args->query != NULL) {
                fprintf(stderr, "duet sql: one query only; unexpected '%s' (quote the query)\n",
                        name);
                return 2;
            }
            args->query = name;
            continue;
        }
        if (!g_strv_contains(valued, name)) {
            fprintf(stderr, "duet sql: unknown option '%s' (try duet sql --help)\n", name);
            return 2;
        }
        const char *value = arg + 1 < argc ? argv[++arg] : NULL;
        if (value == NULL) {
            fprintf(stderr, "duet sql: %s needs a value (try duet sql --help)\n", name);
            return 2;
        }
        const char **text = g_str_equal(name, "--source")        ? &args->source
                            : g_str_equal(name, "--view")        ? &args->view
                            : g_str_equal(name, "--output-mode") ? &args->mode
                            : g_str_equal(name, "--sink")        ? &args->sink
                                                                 : NULL;
        if (text != NULL) {
            *text = value;
            continue;
        }
        gint64 *number = g_str_equal(name, "--batches")    ? &args->batches
                         : g_str_equal(name, "--lines")    ? &args->lines
                         : g_str_equal(name, "--seed")     ? &args->seed
                         : g_str_equal(name, "--interval") ? &args->interval_ms
                                                           : &args->rows;
        gint64 low = g_str_equal(name, "--batches") || g_str_equal(name, "--seed") ? 0 : 1;
        char *end = NULL;
        *number = g_ascii_strtoll(value, &end, 10);
        if (end == value || *end != '\0' || *number < low || *number > G_MAXINT32) {
            fprintf(stderr, "duet sql: %s wants a number >= %" G_GINT64_FORMAT ", got '%s'\n", name,
                    low, value);
            return 2;
        }
        args->batches_set |= g_str_equal(name, "--batches");
    }
    if (args->query == NULL) {
        fprintf(stderr, "duet sql: which query? (try duet sql --help)\n");
        return 2;
    }
    if (args->json && args->sink != NULL) {
        fprintf(stderr, "duet sql: --json prints the batches; it does not go with --sink\n");
        return 2;
    }
    return -1;
}

/* --json: a batch as {"batch": N, "columns": [...], "rows": [[...], ...]} on one line. */
static gboolean
print_json_batch(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
{
    DuetSchema *schema = duet_batch_schema(rows);
    g_autoptr(GString) out = g_string_new(NULL);
    g_string_append_printf(out, "{\"batch\": %" G_GINT64_FORMAT ", \"columns\": [", batch_id);
    for (guint field = 0; field < duet_schema_n_fields(schema); field++) {
        DuetValue name = duet_value_string(duet_schema_field(schema, field)->name,
                                           strlen(duet_schema_field(schema, field)->name));
        g_string_append(out, field ? ", " : "");
        duet_json_append_value(out, &name);
    }
    g_string_append(out, "], \"rows\": [");
    gboolean one_column = duet_schema_n_fields(schema) == 1;
    for (gsize row_idx = 0; row_idx < duet_batch_n_rows(rows); row_idx++) {
        DuetRow row = duet_batch_row(rows, row_idx);
        g_string_append(out, row_idx ? (one_column ? ", [" : ", ") : (one_column ? "[" : ""));
        duet_json_append_row(out, &row); /* a bare value for one column: bracketed here */
        if (one_column)
            g_string_append_c(out, ']');
    }
    g_string_append(out, "]}\n");
    fputs(out->str, stdout);
    fflush(stdout);
    return TRUE;
}

/* The console sink, or --sink's: json/csv/text into a directory, sqlite into table "output". */
static DuetStreamWriter *
sink_writer(DuetStreamWriter *writer, const SqlArguments *args, GError **error)
{
    if (args->json)
        return duet_stream_writer_foreach_batch(writer, print_json_batch, NULL);
    if (args->sink == NULL) {
        g_autofree char *rows = g_strdup_printf("%" G_GINT64_FORMAT, args->rows);
        return duet_stream_writer_option(duet_stream_writer_format(writer, "console"), "numRows",
                                         rows);
    }
    const char *colon = strchr(args->sink, ':');
    g_autofree char *format =
        colon ? g_strndup(args->sink, (gsize)(colon - args->sink)) : g_strdup(args->sink);
    static const char *const formats[] = {"json", "csv", "text", "sqlite", NULL};
    if (colon == NULL || colon[1] == '\0' || !g_strv_contains(formats, format)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--sink %s: expected json:DIR, csv:DIR, text:DIR or sqlite:FILE", args->sink);
        return NULL;
    }
    duet_stream_writer_option(duet_stream_writer_format(writer, format), "path", colon + 1);
    if (g_str_equal(format, "sqlite"))
        duet_stream_writer_option(writer, "table", "output");
    return writer;
}

/* Opens the input, registers the view, starts the query; then steps the clock. */
static int
run_sql(const SqlArguments *args)
{
    GError *error = NULL;
    g_autoptr(DuetSession) spark = duet_session_new("local[2]", &error);
    if (spark == NULL) {
        fprintf(stderr, "duet sql: %s\n", error->message);
        g_error_free(error);
        return 1;
    }
    duet_session_set_conf(spark, "spark.sql.shuffle.partitions", "4");
    DuetContext *context = duet_session_context(spark);
    gint64 zero_ms = G_GINT64_CONSTANT(1767225600000);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(zero_ms);
    duet_context_set_clock(context, clock);
    /* generator:EXAMPLE names whose generator feeds the view */
    const char *example_name = "running_counts";
    const char *spec = args->source;
    if (spec != NULL && g_str_has_prefix(spec, "generator:")) {
        example_name = spec + strlen("generator:");
        spec = "generator";
    }
    const DuetExample *example = duet_example_lookup(example_name, &error);
    g_autoptr(DuetSideBySideInput) input =
        example ? duet_side_by_side_input_new(example, spec ? spec : "generator", context,
                                              (guint32)args->seed, (guint)args->lines, &error)
                : NULL;
    g_autofree char *checkpoint = input ? g_dir_make_tmp("duet-sql-XXXXXX", &error) : NULL;
    g_autoptr(DuetDataFrame) lines =
        checkpoint ? duet_dataframe_from_source(duet_side_by_side_input_source(input)) : NULL;
    gboolean external = input && duet_side_by_side_input_kind(input) == DUET_SIDE_BY_SIDE_EXTERNAL;
    if (external) {
        gint64 now = g_get_real_time() / 1000;
        zero_ms = now - now % args->interval_ms;
        duet_clock_set_ms(clock, zero_ms);
    }
    g_autoptr(DuetDataFrame) result = NULL;
    g_autoptr(DuetStreamingQuery) query = NULL;
    if (lines != NULL &&
        duet_dataframe_create_or_replace_temp_view(duet_session_catalog(spark), lines, args->view,
                                                   &error) &&
        (result = duet_session_sql(spark, args->query, &error)) != NULL) {
        g_autofree char *interval =
            g_strdup_printf("%" G_GINT64_FORMAT " milliseconds", args->interval_ms);
        DuetStreamWriter *writer = duet_dataframe_write_stream(spark, result);
        duet_stream_writer_output_mode(writer, args->mode);
        duet_stream_writer_trigger_processing_time(writer, interval);
        duet_stream_writer_option(writer, "checkpointLocation", checkpoint);
        if (sink_writer(writer, args, &error) != NULL)
            query = duet_stream_writer_start(writer, &error);
        else
            duet_stream_writer_free(writer);
    }
    int status = 0;
    if (query == NULL) {
        fprintf(stderr, "duet sql: %s\n", error->message);
        status = error->domain == G_OPTION_ERROR ? 2 : 1;
        g_clear_error(&error);
    }
    gint64 batches = args->batches_set ? args->batches : external ? 0 : 3;
    struct sigaction action = {.sa_handler = on_interrupt}, previous;
    sigaction(SIGINT, &action, &previous);
    interrupted = 0;
    g_autoptr(GRand) rand = g_rand_new_with_seed((guint32)args->seed);
    for (gint64 step = 1; query != NULL && !interrupted && (batches == 0 || step <= batches);
         step++) {
        gint64 time_ms = zero_ms + step * args->interval_ms;
        g_autoptr(GPtrArray) generated = g_ptr_array_new_with_free_func(g_free);
        if (external)
            g_usleep((gulong)args->interval_ms * 1000);
        else
            example->generate(rand, time_ms, (guint)args->lines, generated);
        if (!duet_side_by_side_input_feed(input, generated, &error))
            break;
        duet_clock_set_ms(clock, time_ms);
        if (!duet_streaming_query_await_waiting_at(query, time_ms, 120000))
            break;
    }
    sigaction(SIGINT, &previous, NULL);
    if (query != NULL) {
        g_autoptr(GError) failure = duet_streaming_query_exception(query);
        if (failure != NULL || error != NULL) {
            fprintf(stderr, "duet sql: %s\n", failure ? failure->message : error->message);
            status = 1;
        }
        g_clear_error(&error);
        duet_streaming_query_stop(query);
    }
    if (checkpoint != NULL)
        duet_remove_tree(checkpoint);
    return status;
}

int
duet_sql_main(int argc, char **argv)
{
    SqlArguments args = {
        .view = "lines", .mode = "append", .interval_ms = 1000, .lines = 5, .seed = 42, .rows = 20};
    int parsed = parse(&args, argc, argv);
    return parsed >= 0 ? parsed : run_sql(&args);
}
