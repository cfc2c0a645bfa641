/* bench_command.c — `duet bench WORKLOAD`: both APIs on one workload, measured side by side.
 *
 * Layer: compat/. Parses the command line (every error names the argument and exits 2), then
 * runs each API asked for in a child process of its own (`duet bench ... --child API`,
 * bench_run.c) so that its peak RSS and CPU are its own, reads the child's JSON lines (one per
 * batch) to draw a progress line on standard error, and reports: a table on standard output,
 * optionally a JSON document (--json) and an SVG plot (--plot). SIGINT or SIGTERM stops the
 * running API after its current batch, skips the others, and reports what was measured (marked
 * "interrupted"; exit 0). --dump-input writes the workload's input batches as files instead of
 * running, for the Spark comparison of tests/bench/vs-spark.
 */
#include "compat/bench.h"
#include "compat/compat.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define USAGE                                                                                      \
    "usage: duet bench WORKLOAD [--api dstream|structured|both] [--rate R | --saturate]\n"         \
    "                  [--duration S | --batches N] [--json FILE] [--plot FILE.svg] [OPTIONS]\n"   \
    "\n"                                                                                           \
    "Runs one workload on the DStream API and on Structured Streaming, each in a process of\n"     \
    "its own, over the same generated input, and reports per API: input rows, processing\n"        \
    "rate (input rows / processing time), per-batch latency p50/p95/p99/max, peak RSS and\n"       \
    "CPU. A progress line shows on standard error; Ctrl-C stops and reports what it measured.\n"   \
    "\n"                                                                                           \
    "workloads:\n"                                                                                 \
    "  wordcount       lines of 10 words; running count of every word\n"                           \
    "  windowed        (key, time) rows; count per key and event-time window, with watermark\n"    \
    "  stateful        (key, value) rows over 1M keys; running count per key\n"                    \
    "  filter-project  JSON events; parse, keep big buys, project three columns\n"                 \
    "  kafka-to-kafka  Kafka topic -> upper(value) -> Kafka topic; end-to-end latency\n"           \
    "\n"                                                                                           \
    "options:\n"                                                                                   \
    "  --api A           dstream, structured or both (default both)\n"                             \
    "  --saturate        batches back to back: throughput (the default)\n"                         \
    "  --rate R          R input rows per second (100000, 2.5e5, 200k, 1M): latency\n"             \
    "  --duration S      seconds per API (default 10)\n"                                           \
    "  --batches N       exactly N batches per API instead of a duration\n"                        \
    "  --batch-ms MS     batch interval, and event time per batch (default 1000)\n"                \
    "  --batch-rows N    rows per batch with --saturate (default 100000)\n"                        \
    "  --keys N          distinct keys: words, keys or users (default 100000; stateful 1M,\n"      \
    "                    filter-project 10000 users)\n"                                            \
    "  --window S --slide S --watermark S   windowed: seconds (default 10, 10, 5)\n"               \
    "  --partitions N    shuffle partitions (default 8)\n"                                         \
    "  --master local[N] worker threads (default local[2])\n"                                      \
    "  --bootstrap H:P   kafka-to-kafka: a Kafka broker (default: librdkafka's mock cluster)\n"    \
    "  --json FILE       the results as JSON (- for standard output)\n"                            \
    "  --plot FILE.svg   latency and processing rate per batch over time, one series per API\n"    \
    "  --dump-input DIR  write the input batches (with --batches N) as DIR/batch-NNNNN.txt and\n"  \
    "                    exit: JSON lines (filter-project), lines (wordcount) or CSV\n"            \
    "\n"                                                                                           \
    "Exit status: 0 ok (also when interrupted), 1 a run failed, 2 usage error.\n"

/* ---- command line -------------------------------------------------------------------------- */

typedef struct {
    DuetBenchConfig config;
    const char *apis[2]; /* the APIs to run, in order; NULL-terminated at n_apis */
    guint n_apis;
    const char *json_path; /* or NULL */
    const char *plot_path; /* or NULL */
    const char *dump_dir;  /* or NULL */
    const char *child_api; /* the hidden --child API, or NULL */
    gboolean rate_given, saturate_given;
} Options;

static int usage_error(const char *format, ...) G_GNUC_PRINTF(1, 2);

static int
usage_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    fprintf(stderr, "duet bench: %s (try duet bench --help)\n", message);
    return 2;
}

/* A positive number, with an optional k or M suffix; FALSE if text is not one. */
static gboolean
parse_positive(const char *text, gboolean allow_suffix, gdouble *out)
{
    char *end = NULL;
    errno = 0;
    gdouble value = g_ascii_strtod(text, &end);
    if (end == text || errno != 0)
        return FALSE;
    if (allow_suffix && (*end == 'k' || *end == 'K')) {
        value *= 1e3;
        end++;
    } else if (allow_suffix && *end == 'M') {
        value *= 1e6;
        end++;
    }
    if (*end != '\0' || !isfinite(value) || value <= 0)
        return FALSE;
    *out = value;
    return TRUE;
}

static gboolean
parse_count(const char *text, gint64 *out)
{
    gdouble value = 0;
    if (!parse_positive(text, TRUE, &value) || value != floor(value) || value > 1e12)
        return FALSE;
    *out = (gint64)value;
    return TRUE;
}

/* Parses argv into options; returns -1 to go on, or the exit status. */
static int
parse_options(int argc, char **argv, Options *options)
{
    DuetBenchConfig *config = &options->config;
    const char *workload_name = NULL, *api = "both";
    gdouble window_s = 10, slide_s = -1, watermark_s = 5;
    gint64 keys = 0, batch_ms = 1000, partitions = 8;
    config->master = "local[2]";
    config->saturate = TRUE;
    config->batch_rows = 100000;
    config->duration_s = 10;
    for (int arg = 1; arg < argc; arg++) {
        const char *name = argv[arg];
        if (g_str_equal(name, "--help") || g_str_equal(name, "-h")) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (name[0] != '-') {
            if (workload_name != NULL)
                return usage_error("one workload at a time: got '%s' after '%s'", name,
                                   workload_name);
            workload_name = name;
            continue;
        }
        if (g_str_equal(name, "--saturate")) {
            options->saturate_given = TRUE;
            continue;
        }
        static const char *const with_value[] = {
            "--api",       "--rate",   "--duration", "--batches",    "--batch-ms",   "--batch-rows",
            "--keys",      "--window", "--slide",    "--watermark",  "--partitions", "--master",
            "--bootstrap", "--json",   "--plot",     "--dump-input", "--child"};
        gboolean known = FALSE;
        for (guint index = 0; index < G_N_ELEMENTS(with_value); index++)
            known = known || g_str_equal(name, with_value[index]);
        if (!known)
            return usage_error("unknown option '%s'", name);
        if (arg + 1 >= argc)
            return usage_error("%s needs a value", name);
        const char *value = argv[++arg];
        gdouble number = 0;
        if (g_str_equal(name, "--api")) {
            api = value;
        } else if (g_str_equal(name, "--rate")) {
            if (!parse_positive(value, TRUE, &config->rate))
                return usage_error("--rate wants a positive number of rows per second, got '%s'",
                                   value);
            options->rate_given = TRUE;
        } else if (g_str_equal(name, "--duration")) {
            if (!parse_positive(value, FALSE, &config->duration_s))
                return usage_error("--duration wants a positive number of seconds, got '%s'",
                                   value);
        } else if (g_str_equal(name, "--batches") || g_str_equal(name, "--batch-rows") ||
                   g_str_equal(name, "--keys") || g_str_equal(name, "--partitions") ||
                   g_str_equal(name, "--batch-ms")) {
            gint64 count = 0;
            if (!parse_count(value, &count))
                return usage_error("%s wants a positive whole number, got '%s'", name, value);
            if (g_str_equal(name, "--batches"))
                config->batches = count;
            else if (g_str_equal(name, "--batch-rows"))
                config->batch_rows = count;
            else if (g_str_equal(name, "--keys"))
                keys = count;
            else if (g_str_equal(name, "--batch-ms"))
                batch_ms = count;
            else if (count > 10000)
                return usage_error("--partitions wants at most 10000, got '%s'", value);
            else
                partitions = count;
        } else if (g_str_equal(name, "--window") || g_str_equal(name, "--slide") ||
                   g_str_equal(name, "--watermark")) {
            if (!parse_positive(value, FALSE, &number))
                return usage_error("%s wants a positive number of seconds, got '%s'", name, value);
            *(g_str_equal(name, "--window")  ? &window_s
              : g_str_equal(name, "--slide") ? &slide_s
                                             : &watermark_s) = number;
        } else if (g_str_equal(name, "--master")) {
            config->master = value;
        } else if (g_str_equal(name, "--bootstrap")) {
            if (strchr(value, ':') == NULL)
                return usage_error("--bootstrap wants HOST:PORT, got '%s'", value);
            config->bootstrap = value;
        } else if (g_str_equal(name, "--json")) {
            options->json_path = value;
        } else if (g_str_equal(name, "--plot")) {
            options->plot_path = value;
        } else if (g_str_equal(name, "--dump-input")) {
            options->dump_dir = value;
        } else {
            options->child_api = value;
        }
    }
    if (workload_name == NULL)
        return usage_error("which workload? one of %s", duet_bench_workload_names());
    if (!duet_bench_workload_from_name(workload_name, &config->workload.kind))
        return usage_error("unknown workload '%s': one of %s", workload_name,
                           duet_bench_workload_names());
    if (g_str_equal(api, "both")) {
        options->apis[0] = "dstream";
        options->apis[1] = "structured";
        options->n_apis = 2;
    } else if (g_str_equal(api, "dstream") || g_str_equal(api, "structured")) {
        options->apis[0] = api;
        options->n_apis = 1;
    } else {
        return usage_error("--api wants dstream, structured or both, got '%s'", api);
    }
    if (options->child_api && !g_str_equal(options->child_api, "dstream") &&
        !g_str_equal(options->child_api, "structured"))
        return usage_error("--child wants dstream or structured, got '%s'", options->child_api);
    if (options->rate_given && options->saturate_given)
        return usage_error("--rate and --saturate exclude each other: pick one");
    config->saturate = !options->rate_given;
    if (options->rate_given) {
        config->batch_rows = (gint64)llround(config->rate * (gdouble)batch_ms / 1000.0);
        if (config->batch_rows < 1)
            return usage_error("--rate %g is less than one row per %" G_GINT64_FORMAT
                               " ms batch: raise it or --batch-ms",
                               config->rate, batch_ms);
    }
    gint64 window_ms = (gint64)llround(window_s * 1000);
    gint64 slide_ms = slide_s > 0 ? (gint64)llround(slide_s * 1000) : window_ms;
    if (window_ms % batch_ms != 0 || slide_ms % batch_ms != 0)
        return usage_error("--window and --slide must be multiples of --batch-ms (%" G_GINT64_FORMAT
                           " ms), as DStream windows are",
                           batch_ms);
    if (slide_ms > window_ms)
        return usage_error("--slide (%" G_GINT64_FORMAT
                           " ms) is longer than --window (%" G_GINT64_FORMAT " ms)",
                           slide_ms, window_ms);
    if (options->dump_dir && config->batches == 0)
        return usage_error("--dump-input needs --batches N");
    if (options->dump_dir && config->workload.kind == DUET_BENCH_KAFKA_TO_KAFKA)
        return usage_error("--dump-input: kafka-to-kafka makes its input as it produces it");
    config->workload.keys = keys ? keys : duet_bench_workload_default_keys(config->workload.kind);
    config->workload.batch_ms = batch_ms;
    config->workload.window_ms = window_ms;
    config->workload.slide_ms = slide_ms;
    config->workload.watermark_ms = (gint64)llround(watermark_s * 1000);
    config->workload.partitions = (guint)partitions;
    return -1;
}

/* ---- the child ----------------------------------------------------------------------------- */

static volatile gint child_stop = 0;

static void
on_child_signal(int signal_number)
{
    g_atomic_int_set(&child_stop, 1);
}

static int
run_child(const Options *options)
{
    struct sigaction action = {.sa_handler = on_child_signal, .sa_flags = SA_RESTART};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    return duet_bench_child_run(&options->config, options->child_api, &child_stop, stdout);
}

/* ---- --dump-input -------------------------------------------------------------------------- */

static int
dump_input(const Options *options)
{
    const DuetBenchConfig *config = &options->config;
    if (g_mkdir_with_parents(options->dump_dir, 0755) != 0) {
        fprintf(stderr, "duet bench: --dump-input: cannot create %s: %s\n", options->dump_dir,
                g_strerror(errno));
        return 1;
    }
    GString *text = g_string_new(NULL);
    for (gint64 index = 0; index < config->batches; index++) {
        g_autoptr(DuetBatch) batch =
            duet_bench_workload_make_batch(&config->workload, index, config->batch_rows);
        g_string_truncate(text, 0);
        duet_bench_workload_append_text(&config->workload, batch, text);
        g_autofree char *name = g_strdup_printf("batch-%05" G_GINT64_FORMAT ".txt", index);
        g_autofree char *path = g_build_filename(options->dump_dir, name, NULL);
        GError *error = NULL;
        if (!g_file_set_contents(path, text->str, (gssize)text->len, &error)) {
            fprintf(stderr, "duet bench: --dump-input: %s\n", error->message);
            g_error_free(error);
            g_string_free(text, TRUE);
            return 1;
        }
    }
    g_string_free(text, TRUE);
    printf("%" G_GINT64_FORMAT " batches of %" G_GINT64_FORMAT " rows in %s\n", config->batches,
           config->batch_rows, options->dump_dir);
    return 0;
}

/* ---- the parent ---------------------------------------------------------------------------- */

static volatile sig_atomic_t interrupted = 0;
static volatile pid_t running_child = 0;

static void
on_parent_signal(int signal_number)
{
    interrupted = 1;
    if (running_child > 0)
        kill(running_child, SIGTERM);
}

static const char *
api_title(const char *api)
{
    return g_str_equal(api, "dstream") ? "DStream" : "Structured";
}

/* "1,234,567" */
static char *
grouped(gint64 value)
{
    g_autofree char *digits = g_strdup_printf("%" G_GINT64_FORMAT, ABS(value));
    GString *out = g_string_new(value < 0 ? "-" : "");
    gsize length = strlen(digits);
    for (gsize index = 0; index < length; index++) {
        if (index > 0 && (length - index) % 3 == 0)
            g_string_append_c(out, ',');
        g_string_append_c(out, digits[index]);
    }
    return g_string_free(out, FALSE);
}

static void
show_progress(const Options *options, const DuetBenchResult *result, gboolean tty,
              gint64 *last_shown_us)
{
    gint64 now = g_get_monotonic_time();
    if (!tty && *last_shown_us != 0 && now - *last_shown_us < 2 * G_USEC_PER_SEC)
        return;
    *last_shown_us = now;
    DuetBenchSummary summary;
    duet_bench_result_summarize(result, &summary);
    const DuetBenchSample *last =
        &g_array_index(result->samples, DuetBenchSample, result->samples->len - 1);
    g_autofree char *rows = grouped(summary.rows);
    g_autofree char *rate = grouped((gint64)summary.rows_per_second);
    fprintf(stderr,
            "%sduet bench %s [%s] %.1f s, batch %" G_GINT64_FORMAT ", %s rows, %s rows/s, "
            "last latency %.1f ms%s",
            tty ? "\r\033[K" : "", duet_bench_workload_name(options->config.workload.kind),
            api_title(result->api), last->t_s, last->batch, rows, rate, last->latency_ms,
            tty ? "" : "\n");
    fflush(stderr);
}

/* Reads one child line into result; FALSE on a line that is not one of the child's. */
static gboolean
take_line(const char *line, DuetBenchResult *result)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, line, -1, NULL))
        return FALSE;
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return FALSE;
    JsonObject *object = json_node_get_object(root);
    if (json_object_has_member(object, "sample")) {
        JsonObject *fields = json_object_get_object_member(object, "sample");
        DuetBenchSample sample = {
            .batch = json_object_get_int_member(fields, "batch"),
            .t_s = json_object_get_double_member(fields, "t_s"),
            .rows = json_object_get_int_member(fields, "rows"),
            .output_rows = json_object_get_int_member(fields, "output_rows"),
            .latency_ms = json_object_get_double_member(fields, "latency_ms"),
            .processing_ms = json_object_get_double_member(fields, "processing_ms"),
            .cpu_ms = json_object_get_double_member(fields, "cpu_ms"),
        };
        g_array_append_val(result->samples, sample);
        return TRUE;
    }
    if (json_object_has_member(object, "totals")) {
        JsonObject *fields = json_object_get_object_member(object, "totals");
        result->peak_rss_kib = json_object_get_int_member(fields, "peak_rss_kib");
        result->state_rows = json_object_get_int_member(fields, "state_rows");
        result->interrupted = json_object_get_boolean_member(fields, "interrupted");
        result->complete = TRUE;
        return TRUE;
    }
    if (json_object_has_member(object, "error")) {
        g_free(result->error);
        result->error = g_strdup(json_object_get_string_member(object, "error"));
        return TRUE;
    }
    return FALSE;
}

/* Runs one API in a child process and collects its lines. */
static DuetBenchResult *
run_api(const Options *options, int argc, char **argv, const char *api)
{
    DuetBenchResult *result = duet_bench_result_new(api);
    GPtrArray *child_argv = g_ptr_array_new();
    g_ptr_array_add(child_argv, "/proc/self/exe");
    for (int arg = 0; arg < argc; arg++)
        g_ptr_array_add(child_argv, argv[arg]);
    g_ptr_array_add(child_argv, "--child");
    g_ptr_array_add(child_argv, (char *)api);
    g_ptr_array_add(child_argv, NULL);
    GPid pid = 0;
    int out_fd = -1;
    GError *error = NULL;
    gboolean spawned =
        g_spawn_async_with_pipes(NULL, (char **)child_argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 NULL, NULL, &pid, NULL, &out_fd, NULL, &error);
    g_ptr_array_unref(child_argv);
    if (!spawned) {
        result->error = g_strdup_printf("cannot start the %s run: %s", api, error->message);
        g_error_free(error);
        return result;
    }
    running_child = pid;
    if (interrupted)
        kill(pid, SIGTERM);
    FILE *lines = fdopen(out_fd, "r");
    gboolean tty = isatty(STDERR_FILENO);
    gint64 last_shown = 0;
    char *line = NULL;
    size_t capacity = 0;
    for (;;) {
        errno = 0;
        ssize_t length = getline(&line, &capacity, lines);
        if (length < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        guint before = result->samples->len;
        if (!take_line(line, result))
            fprintf(stderr, "duet bench: unexpected output from the %s run: %s", api, line);
        else if (result->samples->len > before)
            show_progress(options, result, tty, &last_shown);
    }
    free(line);
    fclose(lines);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    running_child = 0;
    g_spawn_close_pid(pid);
    if (tty && result->samples->len)
        fputs("\r\033[K", stderr);
    if (result->error == NULL && !result->complete) {
        result->error =
            WIFSIGNALED(status)
                ? g_strdup_printf("the %s run was killed by signal %d", api, WTERMSIG(status))
                : g_strdup_printf("the %s run exited with status %d before reporting", api,
                                  WEXITSTATUS(status));
    }
    return result;
}

static void
print_table(const Options *options, GPtrArray *results)
{
    const DuetBenchConfig *config = &options->config;
    g_autofree char *batch_rows = grouped(config->batch_rows);
    if (config->saturate)
        printf("duet bench %s: --saturate, ", duet_bench_workload_name(config->workload.kind));
    else
        printf("duet bench %s: --rate %.0f rows/s, ",
               duet_bench_workload_name(config->workload.kind), config->rate);
    if (config->batches > 0)
        printf("%" G_GINT64_FORMAT " batches", config->batches);
    else
        printf("%g s", config->duration_s);
    printf(" per API, batches of %s rows every %" G_GINT64_FORMAT " ms, %s, %u partitions\n\n",
           batch_rows, config->workload.batch_ms, config->master, config->workload.partitions);
    printf("| API        | batches |        rows |     rows/s | p50 ms | p95 ms | p99 ms |  max ms "
           "| peak RSS |  CPU |\n");
    printf("|------------|--------:|------------:|-----------:|-------:|-------:|-------:|--------:"
           "|---------:|-----:|\n");
    for (guint index = 0; index < results->len; index++) {
        const DuetBenchResult *result = g_ptr_array_index(results, index);
        if (result->error) {
            printf("| %-10s | failed: %s\n", api_title(result->api), result->error);
            continue;
        }
        DuetBenchSummary summary;
        duet_bench_result_summarize(result, &summary);
        g_autofree char *rows = grouped(summary.rows);
        g_autofree char *rate = grouped((gint64)summary.rows_per_second);
        printf("| %-10s | %7" G_GINT64_FORMAT " | %11s | %10s | %6.1f | %6.1f | %6.1f | %7.1f "
               "| %4" G_GINT64_FORMAT " MiB | %3.0f%% |\n",
               api_title(result->api), summary.batches, rows, rate, summary.p50_ms, summary.p95_ms,
               summary.p99_ms, summary.max_ms, result->peak_rss_kib / 1024, summary.cpu_percent);
    }
    printf("\nrows/s: input rows / processing time; latency: per batch%s; CPU: cores busy while "
           "processing.\n",
           config->saturate ? " (its processing time)"
                            : ", from when its input was complete (waiting included)");
    for (guint index = 0; index < results->len; index++) {
        const DuetBenchResult *result = g_ptr_array_index(results, index);
        if (result->interrupted || (!result->complete && result->samples->len)) {
            printf("interrupted: the numbers cover the batches that completed.\n");
            break;
        }
    }
}

static JsonNode *
results_json(const Options *options, GPtrArray *results)
{
    const DuetBenchConfig *config = &options->config;
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "workload");
    json_builder_add_string_value(builder, duet_bench_workload_name(config->workload.kind));
    json_builder_set_member_name(builder, "mode");
    json_builder_add_string_value(builder, config->saturate ? "saturate" : "rate");
    json_builder_set_member_name(builder, "rate");
    if (config->saturate)
        json_builder_add_null_value(builder);
    else
        json_builder_add_double_value(builder, config->rate);
    json_builder_set_member_name(builder, "duration_s");
    if (config->batches > 0)
        json_builder_add_null_value(builder);
    else
        json_builder_add_double_value(builder, config->duration_s);
    json_builder_set_member_name(builder, "batches");
    if (config->batches > 0)
        json_builder_add_int_value(builder, config->batches);
    else
        json_builder_add_null_value(builder);
    json_builder_set_member_name(builder, "batch_ms");
    json_builder_add_int_value(builder, config->workload.batch_ms);
    json_builder_set_member_name(builder, "batch_rows");
    json_builder_add_int_value(builder, config->batch_rows);
    json_builder_set_member_name(builder, "keys");
    json_builder_add_int_value(builder, config->workload.keys);
    json_builder_set_member_name(builder, "window_ms");
    json_builder_add_int_value(builder, config->workload.window_ms);
    json_builder_set_member_name(builder, "slide_ms");
    json_builder_add_int_value(builder, config->workload.slide_ms);
    json_builder_set_member_name(builder, "watermark_ms");
    json_builder_add_int_value(builder, config->workload.watermark_ms);
    json_builder_set_member_name(builder, "partitions");
    json_builder_add_int_value(builder, config->workload.partitions);
    json_builder_set_member_name(builder, "master");
    json_builder_add_string_value(builder, config->master);
    gboolean any_interrupted = FALSE;
    json_builder_set_member_name(builder, "results");
    json_builder_begin_array(builder);
    for (guint index = 0; index < results->len; index++) {
        const DuetBenchResult *result = g_ptr_array_index(results, index);
        DuetBenchSummary summary;
        duet_bench_result_summarize(result, &summary);
        any_interrupted = any_interrupted || result->interrupted;
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "api");
        json_builder_add_string_value(builder, result->api);
        json_builder_set_member_name(builder, "ok");
        json_builder_add_boolean_value(builder, result->error == NULL);
        json_builder_set_member_name(builder, "error");
        if (result->error)
            json_builder_add_string_value(builder, result->error);
        else
            json_builder_add_null_value(builder);
        json_builder_set_member_name(builder, "batches");
        json_builder_add_int_value(builder, summary.batches);
        json_builder_set_member_name(builder, "rows");
        json_builder_add_int_value(builder, summary.rows);
        json_builder_set_member_name(builder, "output_rows");
        json_builder_add_int_value(builder, summary.output_rows);
        json_builder_set_member_name(builder, "busy_s");
        json_builder_add_double_value(builder, summary.busy_s);
        json_builder_set_member_name(builder, "wall_s");
        json_builder_add_double_value(builder, summary.wall_s);
        json_builder_set_member_name(builder, "rows_per_second");
        json_builder_add_double_value(builder, summary.rows_per_second);
        json_builder_set_member_name(builder, "input_rows_per_second");
        json_builder_add_double_value(builder, summary.input_rows_per_second);
        json_builder_set_member_name(builder, "latency_ms");
        json_builder_begin_object(builder);
        const char *names[] = {"p50", "p95", "p99", "max"};
        gdouble values[] = {summary.p50_ms, summary.p95_ms, summary.p99_ms, summary.max_ms};
        for (guint value_idx = 0; value_idx < G_N_ELEMENTS(names); value_idx++) {
            json_builder_set_member_name(builder, names[value_idx]);
            json_builder_add_double_value(builder, values[value_idx]);
        }
        json_builder_end_object(builder);
        json_builder_set_member_name(builder, "peak_rss_mib");
        json_builder_add_double_value(builder, result->peak_rss_kib / 1024.0);
        json_builder_set_member_name(builder, "cpu_s");
        json_builder_add_double_value(builder, summary.cpu_s);
        json_builder_set_member_name(builder, "cpu_percent");
        json_builder_add_double_value(builder, summary.cpu_percent);
        json_builder_set_member_name(builder, "state_rows");
        if (result->state_rows >= 0)
            json_builder_add_int_value(builder, result->state_rows);
        else
            json_builder_add_null_value(builder);
        json_builder_set_member_name(builder, "interrupted");
        json_builder_add_boolean_value(builder, result->interrupted);
        json_builder_set_member_name(builder, "series");
        json_builder_begin_array(builder);
        for (guint sample_idx = 0; sample_idx < result->samples->len; sample_idx++) {
            const DuetBenchSample *sample =
                &g_array_index(result->samples, DuetBenchSample, sample_idx);
            json_builder_begin_object(builder);
            json_builder_set_member_name(builder, "batch");
            json_builder_add_int_value(builder, sample->batch);
            json_builder_set_member_name(builder, "t_s");
            json_builder_add_double_value(builder, sample->t_s);
            json_builder_set_member_name(builder, "rows");
            json_builder_add_int_value(builder, sample->rows);
            json_builder_set_member_name(builder, "output_rows");
            json_builder_add_int_value(builder, sample->output_rows);
            json_builder_set_member_name(builder, "latency_ms");
            json_builder_add_double_value(builder, sample->latency_ms);
            json_builder_set_member_name(builder, "processing_ms");
            json_builder_add_double_value(builder, sample->processing_ms);
            json_builder_end_object(builder);
        }
        json_builder_end_array(builder);
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_set_member_name(builder, "interrupted");
    json_builder_add_boolean_value(builder, any_interrupted || interrupted);
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

static gboolean
write_json(const Options *options, GPtrArray *results, GError **error)
{
    g_autoptr(JsonNode) root = results_json(options, results);
    g_autoptr(JsonGenerator) generator = json_generator_new();
    json_generator_set_pretty(generator, TRUE);
    json_generator_set_root(generator, root);
    g_autofree char *text = json_generator_to_data(generator, NULL);
    if (g_str_equal(options->json_path, "-")) {
        printf("%s\n", text);
        return TRUE;
    }
    g_autofree char *with_newline = g_strconcat(text, "\n", NULL);
    if (!g_file_set_contents(options->json_path, with_newline, -1, error)) {
        g_prefix_error(error, "--json: ");
        return FALSE;
    }
    return TRUE;
}

int
duet_bench_main(int argc, char **argv)
{
    Options options = {0};
    int status = parse_options(argc, argv, &options);
    if (status >= 0)
        return status;
    if (options.child_api)
        return run_child(&options);
    if (options.dump_dir)
        return dump_input(&options);
    /* with --json -, the table goes to standard error so that standard output is JSON only */
    int table_fd = -1;
    if (options.json_path && g_str_equal(options.json_path, "-")) {
        fflush(stdout);
        table_fd = dup(STDOUT_FILENO);
        dup2(STDERR_FILENO, STDOUT_FILENO);
    }
    struct sigaction action = {.sa_handler = on_parent_signal, .sa_flags = SA_RESTART};
    sigemptyset(&action.sa_mask);
    struct sigaction old_int, old_term;
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);
    GPtrArray *results = g_ptr_array_new_with_free_func((GDestroyNotify)duet_bench_result_free);
    for (guint index = 0; index < options.n_apis && !interrupted; index++)
        g_ptr_array_add(results, run_api(&options, argc, argv, options.apis[index]));
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    status = 0;
    for (guint index = 0; index < results->len; index++) {
        DuetBenchResult *result = g_ptr_array_index(results, index);
        if (result->error) {
            fprintf(stderr, "duet bench: %s: %s\n", api_title(result->api), result->error);
            status = 1;
        }
    }
    print_table(&options, results);
    fflush(stdout);
    if (table_fd >= 0) {
        dup2(table_fd, STDOUT_FILENO);
        close(table_fd);
    }
    GError *error = NULL;
    if (options.json_path && !write_json(&options, results, &error)) {
        fprintf(stderr, "duet bench: %s\n", error->message);
        g_clear_error(&error);
        status = 1;
    }
    if (options.plot_path) {
        g_autofree char *title = g_strdup_printf(
            "duet bench %s (%s)", duet_bench_workload_name(options.config.workload.kind),
            options.config.saturate ? "saturate" : "fixed rate");
        if (!duet_bench_plot_write(options.plot_path, title, results, &error)) {
            fprintf(stderr, "duet bench: %s\n", error->message);
            g_clear_error(&error);
            status = 1;
        }
    }
    g_ptr_array_unref(results);
    return status;
}
