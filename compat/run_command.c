/* run_command.c — `duet run`, `duet compare` and `duet explain`: paired examples side by side.
 *
 * Layer: compat/. One argument parser for the three (they take the same options), one loop
 * that steps a side-by-side run (compat/side_by_side.h) until --batches or Ctrl-C, printing
 * per batch the two outputs side by side (run), or the equivalence verdict (compare), and at
 * the end a summary of both engines' throughput and latency. `--json` prints one JSON object
 * per batch and a summary object instead, one per line. `duet demo` is `duet run
 * running_counts` over the bundled text (compat/demo.c).
 */
#include "compat/compare.h"
#include "compat/compat.h"
#include "compat/timeline.h"

#include "rdd/format.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>

static volatile sig_atomic_t interrupted;

static void
on_interrupt(int signal_number)
{
    interrupted = 1;
}

/* One engine's numbers over the run. */
typedef struct {
    guint batches;
    gint64 rows_out;
    GArray *latencies_ms; /* gdouble, one per batch */
} EngineTotals;

static gdouble
percentile(GArray *sorted, gdouble fraction)
{
    if (sorted->len == 0)
        return 0;
    guint index = (guint)(fraction * (sorted->len - 1) + 0.5);
    return g_array_index(sorted, gdouble, index);
}

static gint
compare_doubles(gconstpointer a, gconstpointer b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;
    return x < y ? -1 : x > y;
}

static gdouble
sum_of(GArray *values)
{
    gdouble sum = 0;
    for (guint index = 0; index < values->len; index++)
        sum += g_array_index(values, gdouble, index);
    return sum;
}

static void
engine_add(EngineTotals *totals, const DuetEngineBatch *batch)
{
    if (!batch->ran)
        return;
    totals->batches++;
    totals->rows_out += batch->rows ? (gint64)duet_batch_n_rows(batch->rows) : 0;
    g_array_append_val(totals->latencies_ms, batch->processing_ms);
}

/* ---- arguments ------------------------------------------------------------------------------- */

typedef struct {
    const char *command; /* "run", "compare", "explain", "demo" */
    const char *example; /* the example's name */
    DuetSideBySideOptions options;
    guint batches;          /* 0: until Ctrl-C */
    gboolean batches_set;   /* --batches given */
    gboolean json;          /* --json */
    gboolean verbose;       /* compare --verbose: the tables too */
    const char *timeline;   /* --timeline FILE.svg */
    const char *dump_input; /* --dump-input DIR: each batch's input as DIR/batch-NNNNN.txt */
} Arguments;

static gboolean
parse_count(const char *text, gint64 low, gint64 high, gint64 *out)
{
    char *end = NULL;
    gint64 value = text ? g_ascii_strtoll(text, &end, 10) : 0;
    if (text == NULL || end == text || *end != '\0' || value < low || value > high)
        return FALSE;
    *out = value;
    return TRUE;
}

/* Parses argv into args; prints the error and returns 2 (usage) or -1 (go on). */
static int
parse_arguments(Arguments *args, int argc, char **argv, const char *usage, gboolean takes_example)
{
    args->options.run_dstream = args->options.run_structured = TRUE;
    args->options.seed = 42;
    args->options.num_rows = 20;
    for (int arg = 1; arg < argc; arg++) {
        const char *name = argv[arg];
        if (g_str_equal(name, "--help") || g_str_equal(name, "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (g_str_equal(name, "--json")) {
            args->json = TRUE;
            continue;
        }
        if (g_str_equal(name, "--verbose")) {
            args->verbose = TRUE;
            continue;
        }
        if (name[0] != '-') {
            if (!takes_example || args->example != NULL) {
                fprintf(stderr, "duet %s: unexpected argument '%s' (try duet %s --help)\n",
                        args->command, name, args->command);
                return 2;
            }
            args->example = name;
            continue;
        }
        static const char *const valued[] = {"--api",   "--source",   "--sink",       "--batches",
                                             "--lines", "--seed",     "--interval",   "--master",
                                             "--rows",  "--timeline", "--dump-input", NULL};
        if (!g_strv_contains(valued, name)) {
            fprintf(stderr, "duet %s: unknown option '%s' (try duet %s --help)\n", args->command,
                    name, args->command);
            return 2;
        }
        const char *value = arg + 1 < argc ? argv[++arg] : NULL;
        if (value == NULL) {
            fprintf(stderr, "duet %s: %s needs a value (try duet %s --help)\n", args->command, name,
                    args->command);
            return 2;
        }
        gint64 number = 0;
        if (g_str_equal(name, "--api")) {
            args->options.run_dstream = g_str_equal(value, "dstream") || g_str_equal(value, "both");
            args->options.run_structured =
                g_str_equal(value, "structured") || g_str_equal(value, "both");
            if (!args->options.run_dstream && !args->options.run_structured) {
                fprintf(stderr, "duet %s: --api wants dstream, structured or both, got '%s'\n",
                        args->command, value);
                return 2;
            }
        } else if (g_str_equal(name, "--source")) {
            args->options.source = value;
        } else if (g_str_equal(name, "--sink")) {
            args->options.sink = value;
        } else if (g_str_equal(name, "--master")) {
            args->options.master = value;
        } else if (g_str_equal(name, "--timeline")) {
            args->timeline = value;
        } else if (g_str_equal(name, "--dump-input")) {
            args->dump_input = value;
        } else if (g_str_equal(name, "--interval")) {
            if (!parse_count(value, 1, G_MAXINT32, &number)) {
                fprintf(stderr, "duet %s: --interval wants milliseconds > 0, got '%s'\n",
                        args->command, value);
                return 2;
            }
            args->options.interval_ms = number;
        } else {
            gint64 low = g_str_equal(name, "--batches") || g_str_equal(name, "--seed") ? 0 : 1;
            if (!parse_count(value, low, G_MAXINT32, &number)) {
                fprintf(stderr, "duet %s: %s wants a number >= %" G_GINT64_FORMAT ", got '%s'\n",
                        args->command, name, low, value);
                return 2;
            }
            if (g_str_equal(name, "--batches")) {
                args->batches = (guint)number;
                args->batches_set = TRUE;
            } else if (g_str_equal(name, "--lines")) {
                args->options.lines_per_batch = (guint)number;
            } else if (g_str_equal(name, "--rows")) {
                args->options.num_rows = (gint)number;
            } else {
                args->options.seed = (guint32)number;
            }
        }
    }
    if (takes_example && args->example == NULL) {
        fprintf(stderr, "duet %s: which example? (duet run --list names them)\n", args->command);
        return 2;
    }
    return -1;
}

/* ---- text output ----------------------------------------------------------------------------- */

static gsize
display_width(const char *line)
{
    return (gsize)g_utf8_strlen(line, -1);
}

/* Two texts in two columns, the left padded to its widest line. */
static void
print_side_by_side(const char *left_title, const char *left, const char *right_title,
                   const char *right)
{
    g_auto(GStrv) left_lines = g_strsplit(left ? left : "", "\n", -1);
    g_auto(GStrv) right_lines = g_strsplit(right ? right : "", "\n", -1);
    gsize width = display_width(left_title);
    for (char **line = left_lines; *line; line++)
        width = MAX(width, display_width(*line));
    guint n_left = g_strv_length(left_lines), n_right = g_strv_length(right_lines);
    /* the trailing empty line each text ends with is not a row */
    while (n_left > 0 && *left_lines[n_left - 1] == '\0')
        n_left--;
    while (n_right > 0 && *right_lines[n_right - 1] == '\0')
        n_right--;
    printf("%s%*s | %s\n", left_title, (int)(width - display_width(left_title)), "", right_title);
    for (guint line = 0; line < MAX(n_left, n_right); line++) {
        const char *l = line < n_left ? left_lines[line] : "";
        const char *r = line < n_right ? right_lines[line] : "";
        printf("%s%*s | %s\n", l, (int)(width - display_width(l)), "", r);
    }
}

static char *
time_text(gint64 time_ms)
{
    g_autoptr(GString) text = g_string_new(NULL);
    duet_format_timestamp(text, time_ms * 1000);
    return g_string_free(g_steal_pointer(&text), FALSE);
}

static void
print_status(const DuetSideBySideBatch *batch, DuetVerdict verdict, const char *reason)
{
    g_autofree char *when = time_text(batch->time_ms);
    printf("batch %u | %s | %" G_GINT64_FORMAT " rows in", batch->index, when, batch->rows_in);
    if (batch->dstream.ran)
        printf(" | DStream %.1f ms", batch->dstream.processing_ms);
    if (batch->structured.ran)
        printf(" | Structured %.1f ms", batch->structured.processing_ms);
    if (batch->structured.watermark_ms > 0) {
        g_autofree char *watermark = time_text(batch->structured.watermark_ms);
        printf(" | watermark %s", watermark);
    }
    if (batch->structured.late_rows > 0)
        printf(" | %" G_GINT64_FORMAT " late rows dropped", batch->structured.late_rows);
    printf(" | %s%s%s\n", duet_verdict_name(verdict), reason ? ": " : "", reason ? reason : "");
}

static void
print_summary(const EngineTotals *totals, const guint *verdicts)
{
    static const char *const names[] = {"DStream", "Structured"};
    printf("\n%-11s %8s %9s %10s %8s %8s %8s %9s\n", "engine", "batches", "rows out", "rows in/s",
           "p50 ms", "p95 ms", "max ms", "total ms");
    for (guint engine = 0; engine < 2; engine++) {
        if (totals[engine].batches == 0)
            continue;
        GArray *sorted = totals[engine].latencies_ms;
        g_array_sort(sorted, compare_doubles);
        gdouble total_ms = sum_of(sorted);
        printf("%-11s %8u %9" G_GINT64_FORMAT " %10.0f %8.1f %8.1f %8.1f %9.1f\n", names[engine],
               totals[engine].batches, totals[engine].rows_out,
               total_ms > 0 ? (gdouble)totals[2].rows_out / (total_ms / 1000.0) : 0,
               percentile(sorted, 0.5), percentile(sorted, 0.95), percentile(sorted, 1.0),
               total_ms);
    }
    printf("verdicts: %u agree, %u differ as expected, %u DIFFER\n", verdicts[DUET_VERDICT_AGREE],
           verdicts[DUET_VERDICT_EXPECTED], verdicts[DUET_VERDICT_DIFFER]);
}

/* ---- JSON output ----------------------------------------------------------------------------- */

static void
add_engine_json(JsonBuilder *builder, const char *name, const DuetEngineBatch *engine)
{
    if (!engine->ran)
        return;
    json_builder_set_member_name(builder, name);
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "processingMs");
    json_builder_add_double_value(builder, engine->processing_ms);
    json_builder_set_member_name(builder, "rows");
    json_builder_begin_array(builder);
    gsize n_rows = engine->rows ? duet_batch_n_rows(engine->rows) : 0;
    g_autoptr(GString) text = g_string_new(NULL);
    for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
        DuetRow row = duet_batch_row(engine->rows, row_idx);
        g_string_truncate(text, 0);
        duet_format_row(text, &row, DUET_FORMAT_SCALA);
        json_builder_add_string_value(builder, text->str);
    }
    json_builder_end_array(builder);
    json_builder_set_member_name(builder, "text");
    json_builder_add_string_value(builder, engine->text ? engine->text : "");
    if (engine->watermark_ms > 0) {
        json_builder_set_member_name(builder, "watermarkMs");
        json_builder_add_int_value(builder, engine->watermark_ms);
    }
    json_builder_set_member_name(builder, "lateRowsDropped");
    json_builder_add_int_value(builder, engine->late_rows);
    json_builder_end_object(builder);
}

static void
print_json(JsonBuilder *builder)
{
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    g_autofree char *text = json_to_string(root, FALSE);
    printf("%s\n", text);
    fflush(stdout);
}

static void
print_batch_json(const DuetSideBySideBatch *batch, DuetVerdict verdict, const char *reason)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "batch");
    json_builder_add_int_value(builder, batch->index);
    json_builder_set_member_name(builder, "timeMs");
    json_builder_add_int_value(builder, batch->time_ms);
    json_builder_set_member_name(builder, "rowsIn");
    json_builder_add_int_value(builder, batch->rows_in);
    add_engine_json(builder, "dstream", &batch->dstream);
    add_engine_json(builder, "structured", &batch->structured);
    json_builder_set_member_name(builder, "verdict");
    json_builder_add_string_value(builder, duet_verdict_name(verdict));
    json_builder_set_member_name(builder, "reason");
    json_builder_add_string_value(builder, reason ? reason : "");
    json_builder_end_object(builder);
    print_json(builder);
}

static void
print_summary_json(const EngineTotals *totals, const guint *verdicts)
{
    static const char *const names[] = {"dstream", "structured"};
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "summary");
    json_builder_begin_object(builder);
    for (guint engine = 0; engine < 2; engine++) {
        if (totals[engine].batches == 0)
            continue;
        GArray *sorted = totals[engine].latencies_ms;
        g_array_sort(sorted, compare_doubles);
        json_builder_set_member_name(builder, names[engine]);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "batches");
        json_builder_add_int_value(builder, totals[engine].batches);
        json_builder_set_member_name(builder, "rowsOut");
        json_builder_add_int_value(builder, totals[engine].rows_out);
        static const char *const stats[] = {"p50Ms", "p95Ms", "maxMs", "totalMs"};
        gdouble values[] = {percentile(sorted, 0.5), percentile(sorted, 0.95),
                            percentile(sorted, 1.0), sum_of(sorted)};
        for (guint stat = 0; stat < G_N_ELEMENTS(stats); stat++) {
            json_builder_set_member_name(builder, stats[stat]);
            json_builder_add_double_value(builder, values[stat]);
        }
        json_builder_end_object(builder);
    }
    static const char *const verdict_names[] = {"agree", "expected", "differ"};
    for (guint verdict = 0; verdict < G_N_ELEMENTS(verdict_names); verdict++) {
        json_builder_set_member_name(builder, verdict_names[verdict]);
        json_builder_add_int_value(builder, verdicts[verdict]);
    }
    json_builder_end_object(builder);
    json_builder_end_object(builder);
    print_json(builder);
}

/* ---- the timeline ---------------------------------------------------------------------------- */

/* The distinct event-time windows of a Structured batch whose first column is `window`. */
static void
add_event_windows(DuetTimeline *timeline, guint lane, DuetBatch *rows)
{
    if (rows == NULL || duet_batch_n_rows(rows) == 0)
        return;
    const DuetField *first = duet_schema_field(duet_batch_schema(rows), 0);
    if (g_ascii_strcasecmp(first->name, "window") != 0 ||
        duet_data_type_id(first->type) != DUET_TYPE_STRUCT)
        return;
    DuetColumn *windows = duet_batch_column(rows, 0);
    DuetColumn *starts = duet_column_child(windows, 0), *ends = duet_column_child(windows, 1);
    g_autoptr(GHashTable) counts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    g_autoptr(GHashTable) end_of = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    for (gsize row_idx = 0; row_idx < duet_batch_n_rows(rows); row_idx++) {
        gint64 *start = g_new(gint64, 1);
        *start = duet_column_get_int64(starts, row_idx) / 1000;
        gpointer count = g_hash_table_lookup(counts, start);
        gint64 *end = g_new(gint64, 1);
        *end = duet_column_get_int64(ends, row_idx) / 1000;
        g_hash_table_replace(end_of, start, end);
        g_hash_table_replace(counts, start, GSIZE_TO_POINTER(GPOINTER_TO_SIZE(count) + 1));
    }
    GHashTableIter iter;
    gpointer start, count;
    g_hash_table_iter_init(&iter, counts);
    while (g_hash_table_iter_next(&iter, &start, &count)) {
        g_autofree char *label = g_strdup_printf("%zu rows", GPOINTER_TO_SIZE(count));
        duet_timeline_add_window(timeline, lane, *(gint64 *)start,
                                 *(gint64 *)g_hash_table_lookup(end_of, start), label);
    }
}

/* One batch of both engines: its rectangles, DStream's window over the last batches, the
 * event-time windows Structured updated, its watermark and the late rows it dropped (drawn at
 * the watermark they fell behind: the progress counts them, it does not say their times). */
static void
record_timeline(DuetTimeline *timeline, const DuetExample *example,
                const DuetSideBySideBatch *batch, const guint *lanes)
{
    const DuetEngineBatch *engines[] = {&batch->dstream, &batch->structured};
    for (guint engine = 0; engine < 2; engine++) {
        if (!engines[engine]->ran)
            continue;
        gint64 rows_out =
            engines[engine]->rows ? (gint64)duet_batch_n_rows(engines[engine]->rows) : 0;
        duet_timeline_add_batch(timeline, lanes[engine], batch->index, batch->time_ms,
                                (gint64)(engines[engine]->processing_ms + 0.5), batch->rows_in);
        if (engine == 0 && example->dstream_window_ms > 0) {
            g_autofree char *label = g_strdup_printf("%" G_GINT64_FORMAT " rows", rows_out);
            duet_timeline_add_window(timeline, lanes[0],
                                     batch->time_ms - example->dstream_window_ms, batch->time_ms,
                                     label);
        }
    }
    if (!batch->structured.ran)
        return;
    add_event_windows(timeline, lanes[1], batch->structured.rows);
    if (batch->structured.watermark_ms > 0)
        duet_timeline_set_watermark(timeline, lanes[1], batch->time_ms,
                                    batch->structured.watermark_ms);
    if (batch->structured.late_rows > 0)
        duet_timeline_add_late_rows(timeline, lanes[1], batch->structured.watermark_ms,
                                    batch->structured.late_rows);
}

/* --dump-input: the batch's generated lines, one file a batch (the recorded input a reference
 * run of Spark replays: tests/reference/). */
static gboolean
dump_input(const char *directory, const DuetSideBySideBatch *batch, GError **error)
{
    if (batch->input == NULL)
        return TRUE;
    if (g_mkdir_with_parents(directory, 0755) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                    directory, g_strerror(errno));
        return FALSE;
    }
    g_autoptr(GString) text = g_string_new(NULL);
    for (guint line = 0; line < batch->input->len; line++)
        g_string_append_printf(text, "%s\n", (char *)batch->input->pdata[line]);
    g_autofree char *name = g_strdup_printf("batch-%05u.txt", batch->index);
    g_autofree char *path = g_build_filename(directory, name, NULL);
    return g_file_set_contents(path, text->str, (gssize)text->len, error);
}

/* ---- the loop -------------------------------------------------------------------------------- */

static int
run_side_by_side(Arguments *args, const DuetExample *example)
{
    GError *error = NULL;
    g_autoptr(DuetSideBySide) run = duet_side_by_side_new(example, &args->options, &error);
    if (run == NULL) {
        fprintf(stderr, "duet %s: %s\n", args->command, error->message);
        int status = error->domain == G_OPTION_ERROR ? 2 : 1;
        g_error_free(error);
        return status;
    }
    if (g_str_equal(args->command, "explain")) {
        g_autofree char *plans = duet_side_by_side_explain(run);
        printf("%s", plans);
        return 0;
    }
    if (!args->json)
        printf("duet %s %s: %s\nwhere they differ: %s\ninput: %s\n\n", args->command, example->name,
               example->title, example->difference, duet_side_by_side_input(run));
    struct sigaction action = {.sa_handler = on_interrupt}, previous;
    sigaction(SIGINT, &action, &previous);
    interrupted = 0;
    g_autoptr(DuetComparer) comparer = duet_comparer_new(example);
    EngineTotals totals[3] = {{0}}; /* DStream, Structured, and the input in [2].rows_out */
    for (guint engine = 0; engine < 2; engine++)
        totals[engine].latencies_ms = g_array_new(FALSE, FALSE, sizeof(gdouble));
    guint verdicts[4] = {0};
    int status = 0;
    g_autoptr(DuetTimeline) timeline = args->timeline ? duet_timeline_new() : NULL;
    guint lanes[2] = {0, 0};
    if (timeline != NULL) {
        g_autofree char *title = g_strdup_printf("duet %s %s", args->command, example->name);
        duet_timeline_set_title(timeline, title);
        if (args->options.run_dstream)
            lanes[0] = duet_timeline_add_lane(timeline, "DStream");
        if (args->options.run_structured)
            lanes[1] = duet_timeline_add_lane(timeline, "Structured");
    }
    g_autofree char *output_title =
        g_strdup_printf("Structured (console sink, %s mode)", example->output_mode);
    for (guint step = 0; !interrupted && (args->batches == 0 || step < args->batches); step++) {
        g_autoptr(DuetSideBySideBatch) batch = duet_side_by_side_step(run, &error);
        if (batch == NULL) {
            fprintf(stderr, "duet %s: %s\n", args->command, error->message);
            g_clear_error(&error);
            status = 1;
            break;
        }
        if (args->dump_input != NULL && !dump_input(args->dump_input, batch, &error)) {
            fprintf(stderr, "duet %s: --dump-input: %s\n", args->command, error->message);
            g_clear_error(&error);
            status = 1;
            break;
        }
        g_autofree char *reason = NULL;
        DuetVerdict verdict = duet_comparer_check(comparer, batch, &reason);
        verdicts[verdict]++;
        engine_add(&totals[0], &batch->dstream);
        engine_add(&totals[1], &batch->structured);
        totals[2].rows_out += batch->rows_in;
        if (timeline != NULL)
            record_timeline(timeline, example, batch, lanes);
        if (args->json) {
            print_batch_json(batch, verdict, reason);
            continue;
        }
        if (!g_str_equal(args->command, "compare") || args->verbose)
            print_side_by_side("DStream (pprint)", batch->dstream.text, output_title,
                               batch->structured.text);
        print_status(batch, verdict, reason);
        if (!g_str_equal(args->command, "compare") || args->verbose)
            printf("\n");
    }
    sigaction(SIGINT, &previous, NULL);
    if (interrupted && !args->json)
        printf("\ninterrupted: stopped after the batch in progress completed\n");
    if (args->json)
        print_summary_json(totals, verdicts);
    else
        print_summary(totals, verdicts);
    for (guint engine = 0; engine < 2; engine++)
        g_array_unref(totals[engine].latencies_ms);
    if (timeline != NULL && !duet_timeline_write_svg(timeline, args->timeline, &error)) {
        fprintf(stderr, "duet %s: --timeline: %s\n", args->command, error->message);
        g_clear_error(&error);
        status = 1;
    }
    if (status == 0 && g_str_equal(args->command, "compare") && verdicts[DUET_VERDICT_DIFFER] > 0)
        status = 1;
    return status;
}

static void
print_examples(void)
{
    printf("examples (compat/examples/<name>/: dstream.c, structured.c, README.md):\n");
    for (const DuetExample *example = duet_examples(); example->name; example++)
        printf("  %-19s %s\n", example->name, example->title);
}

#define COMMON_OPTIONS                                                                             \
    "  --api dstream|structured|both   which halves run (default both)\n"                          \
    "  --source SPEC       generator (default), socket:HOST:PORT, kafka:BOOTSTRAP/TOPIC\n"         \
    "                      (kafka:mock/TOPIC: a cluster in memory), file[:DIR], zmq:ENDPOINT\n"    \
    "  --sink SPEC         also write both outputs: json:DIR, csv:DIR, text:DIR (DIR/dstream,\n"   \
    "                      DIR/structured) or sqlite:FILE (tables dstream, structured)\n"          \
    "  --batches N         stop after N batches (default 5 with the generator; 0 or an\n"          \
    "                      external source: until Ctrl-C, which finishes the batch in progress)\n" \
    "  --lines N           generated lines per batch (default 20)\n"                               \
    "  --seed N            the generator's seed (default 42)\n"                                    \
    "  --interval MS       batch interval and trigger (default: the example's)\n"                  \
    "  --rows N            rows printed per side (default 20)\n"                                   \
    "  --master local[N]   parallelism (default local[2])\n"                                       \
    "  --json              one JSON object per batch, then a summary object\n"                     \
    "  --timeline FILE.svg a picture of the run: a lane per API with its batches, windows,\n"      \
    "                      watermark and the late rows it dropped\n"                               \
    "  --dump-input DIR    write each batch's generated lines to DIR/batch-NNNNN.txt\n"

int
duet_side_by_side_main(const char *command, int argc, char **argv, const char *fixed_example)
{
    g_autofree char *usage = g_strdup_printf(
        "usage: duet %s %s[OPTIONS]\n\n%s\n\n" COMMON_OPTIONS "%s", command,
        fixed_example ? "" : "EXAMPLE ",
        g_str_equal(command, "compare")
            ? "Runs the example's DStream program and its Structured port on the same input,\n"
              "on the manual clock, and says batch by batch whether their outputs agree, and\n"
              "why they differ where they do. Exit 1 when a batch differs unexpectedly."
        : g_str_equal(command, "explain")
            ? "Prints the Structured half's plans (parsed, analyzed, optimized, physical) and\n"
              "the DStream half's graph with its batch and window arithmetic."
        : g_str_equal(command, "demo")
            ? "Running word counts of a bundled public-domain text (the Gettysburg Address),\n"
              "streamed through one shared source into both APIs at once: updateStateByKey\n"
              "against a streaming aggregation. Per batch: DStream's pprint beside the console\n"
              "sink's table, whether they agree, and each engine's processing time."
            : "Runs a paired example in both APIs over one shared source, printing per batch\n"
              "DStream's pprint beside the console sink's table, and a summary at the end.\n"
              "`duet run --list` names the examples.",
        g_str_equal(command, "compare") ? "  --verbose           print both outputs too\n" : "");
    if (argc > 1 && g_str_equal(argv[1], "--list")) {
        print_examples();
        return 0;
    }
    Arguments args = {.command = command, .example = fixed_example};
    int parsed = parse_arguments(&args, argc, argv, usage, fixed_example == NULL);
    if (parsed >= 0)
        return parsed;
    GError *error = NULL;
    const DuetExample *example = duet_example_lookup(args.example, &error);
    if (example == NULL) {
        fprintf(stderr, "duet %s: %s\n", command, error->message);
        g_error_free(error);
        return 2;
    }
    gboolean external = args.options.source != NULL &&
                        !g_str_has_prefix(args.options.source, "generator") &&
                        !g_str_has_prefix(args.options.source, "kafka:mock/") &&
                        !g_str_equal(args.options.source, "file");
    if (!args.batches_set)
        args.batches = external ? 0 : 5;
    args.options.wall_clock = external;
    return run_side_by_side(&args, example);
}

int
duet_run_main(int argc, char **argv)
{
    return duet_side_by_side_main("run", argc, argv, NULL);
}

int
duet_compare_main(int argc, char **argv)
{
    return duet_side_by_side_main("compare", argc, argv, NULL);
}

int
duet_explain_main(int argc, char **argv)
{
    return duet_side_by_side_main("explain", argc, argv, NULL);
}
