/* recovery_bench.c — how long a Structured query with a large state takes to come back.
 *
 * Layer: tests/bench (a benchmark, never run as a test). A streaming aggregation over the rate
 * source, value % keys AS key, groupBy(key).count() in Update mode into a foreachBatch sink, on
 * a manual clock that moves one second per batch, so that --keys distinct keys (1M by default)
 * are in state after keys / rows-per-second batches. Three processes:
 *   build:   runs those batches into a checkpoint, then (with --kill, the default) tells the
 *            parent it is done and is killed with SIGKILL by it, or stops the query cleanly;
 *   restart: starts the same query on the checkpoint (recovery: metadata, logs, the schema
 *            check) and times it until the first new batch is committed (which loads the
 *            state, every partition in parallel, and runs one second of rows), then runs
 *            --after more batches.
 * Prints, for each phase, rows/s, batch latency p50/p95/max, peak RSS and the state rows; and
 * the recovery time: inside the restarted process (start() + first batch) and as the parent
 * sees it (spawn of the process to its "committed" line, so process start-up included).
 *
 * Usage: recovery_bench [--keys 1000000] [--rows-per-second 250000] [--partitions 8]
 *                       [--master local[2]] [--after 5] [--snapshot] [--no-kill]
 *   --snapshot: minDeltasForSnapshot=1 and maintenanceInterval=0, so that the restart loads
 *   a snapshot and one delta per partition instead of every delta.
 */
#include "rdd/atomic_file.h"
#include "structured/query.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    gint64 keys, rows_per_second;
    const char *partitions, *master, *checkpoint, *phase;
    int after;
    gboolean snapshot, kill;
} Options;

typedef struct {
    gint64 output_rows;
    gint64 last_batch_counts; /* the sum of the count column of the last batch */
} Counter;

static gboolean
count_output(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
{
    Counter *counter = user_data;
    gsize n = duet_batch_n_rows(rows);
    counter->output_rows += (gint64)n;
    counter->last_batch_counts = 0;
    for (gsize row = 0; row < n; row++)
        counter->last_batch_counts += duet_column_get_int64(duet_batch_column(rows, 1), row);
    return TRUE;
}

/* What the counts of batch (values [batch r, (batch + 1) r)) sum to when the state held every
 * earlier value: each key the batch touches reports all its values so far. */
static gint64
expected_counts(gint64 batch, gint64 rows_per_second, gint64 keys)
{
    gint64 first = batch * rows_per_second, end = first + rows_per_second, sum = 0;
    guint8 *seen = g_malloc0((gsize)keys);
    for (gint64 value = first; value < end; value++) {
        gint64 key = value % keys;
        if (!seen[key])
            sum += (end - 1 - key) / keys + 1;
        seen[key] = 1;
    }
    g_free(seen);
    return sum;
}

static int
compare_doubles(const void *a, const void *b)
{
    gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;
    return x < y ? -1 : x > y;
}

static gdouble
percentile(GArray *values, gdouble fraction)
{
    g_array_sort(values, compare_doubles);
    guint index = (guint)(fraction * (values->len - 1) + 0.5);
    return g_array_index(values, gdouble, MIN(index, values->len - 1));
}

static gdouble
ms_since(gint64 started_us)
{
    return (gdouble)(g_get_monotonic_time() - started_us) / 1000.0;
}

static gboolean
fail(const char *phase, GError *error)
{
    fprintf(stderr, "recovery_bench %s: %s\n", phase, error ? error->message : "failed");
    g_clear_error(&error);
    return FALSE;
}

/* One phase in this process. */
static gboolean
run_phase(const Options *options)
{
    gint64 process_started = g_get_monotonic_time();
    gboolean build = g_str_equal(options->phase, "build");
    GError *error = NULL;
    g_autoptr(DuetContext) context = duet_context_new(options->master, &error);
    if (context == NULL)
        return fail(options->phase, error);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    duet_context_set_clock(context, clock);
    duet_context_set_conf(context, "spark.sql.shuffle.partitions", options->partitions);
    if (options->snapshot) {
        duet_context_set_conf(context, "spark.sql.streaming.stateStore.minDeltasForSnapshot", "1");
        duet_context_set_conf(context, "spark.sql.streaming.stateStore.maintenanceInterval", "0");
    }
    /* the rate source's offsets are seconds since it was created: every process creates it at
     * clock 0, so the offsets in the checkpoint mean the same rows in each */
    DuetSourceOptions *source_options = duet_source_options_new();
    g_autofree char *rate = g_strdup_printf("%" G_GINT64_FORMAT, options->rows_per_second);
    duet_source_options_set(source_options, "rowsPerSecond", rate);
    duet_source_options_set(source_options, "numPartitions", options->partitions);
    g_autoptr(DuetSource) source = duet_source_new("rate", source_options, NULL, clock, 2, &error);
    g_hash_table_unref(source_options);
    if (source == NULL)
        return fail(options->phase, error);
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(source);
    g_autofree char *key = g_strdup_printf("value %% %" G_GINT64_FORMAT " AS key", options->keys);
    const char *const keys[] = {key};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(input, keys, 1, &error);
    g_autoptr(DuetDataFrame) counts = grouped ? duet_grouped_data_count(grouped, &error) : NULL;
    if (counts == NULL)
        return fail(options->phase, error);
    Counter counter = {0};
    g_autoptr(DuetSink) sink =
        duet_foreach_batch_sink_new(duet_dataframe_schema(counts), count_output, &counter);
    gint64 batches_to_build =
        (options->keys + options->rows_per_second - 1) / options->rows_per_second;
    if (!build) /* the clock where the killed process left it */
        duet_clock_set_ms(clock, batches_to_build * 1000);
    gint64 start_started = g_get_monotonic_time();
    g_autoptr(DuetStreamingQuery) query = duet_streaming_query_start(
        context, counts, sink, DUET_OUTPUT_MODE_UPDATE, options->checkpoint, NULL, NULL, &error);
    if (query == NULL)
        return fail(options->phase, error);
    gdouble start_ms = ms_since(start_started);
    GArray *latencies = g_array_new(FALSE, FALSE, sizeof(gdouble));
    int batches = build ? (int)batches_to_build : 1 + options->after;
    gdouble first_batch_ms = 0, since_main_ms = 0;
    gint64 run_started = g_get_monotonic_time();
    for (int index = 0; index < batches; index++) {
        gint64 started = g_get_monotonic_time();
        duet_clock_advance_ms(clock, 1000);
        if (!duet_streaming_query_process_all_available(query, &error))
            return fail(options->phase, error);
        gdouble ms = ms_since(started);
        g_array_append_val(latencies, ms);
        if (!build && index == 0) {
            first_batch_ms = ms;
            since_main_ms = ms_since(process_started);
            gint64 expected =
                expected_counts(batches_to_build, options->rows_per_second, options->keys);
            if (counter.last_batch_counts != expected) {
                fprintf(
                    stderr,
                    "recovery_bench: the first batch after the restart counted %" G_GINT64_FORMAT
                    ", expected %" G_GINT64_FORMAT " (state lost or doubled)\n",
                    counter.last_batch_counts, expected);
                return FALSE;
            }
            printf("COMMITTED\n"); /* the parent's clock stops here */
            fflush(stdout);
        }
    }
    gdouble seconds = (gdouble)(g_get_monotonic_time() - run_started) / 1e6;
    g_autoptr(DuetQueryProgress) progress = duet_streaming_query_last_progress(query);
    gint64 state_rows =
        progress && progress->state_operators->len
            ? ((DuetStateOperatorProgress *)progress->state_operators->pdata[0])->num_rows_total
            : 0;
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    gdouble rows = (gdouble)options->rows_per_second * batches;
    gdouble p50 = percentile(latencies, 0.5), p95 = percentile(latencies, 0.95);
    gdouble max = g_array_index(latencies, gdouble, latencies->len - 1);
    printf("| %-7s | %7d | %10.0f | %8.1f | %8.1f | %8.1f | %8ld | %10" G_GINT64_FORMAT " |\n",
           options->phase, batches, rows / seconds, p50, p95, max, usage.ru_maxrss / 1024,
           state_rows);
    if (!build)
        printf("\nrecovery in the restarted process: start() %.1f ms + first new batch %.1f ms = "
               "%.1f ms (%.1f ms from main())\n",
               start_ms, first_batch_ms, start_ms + first_batch_ms, since_main_ms);
    fflush(stdout);
    g_array_unref(latencies);
    if (build && options->kill) {
        printf("READY\n"); /* wait here for the parent's SIGKILL, the query still running */
        fflush(stdout);
        for (;;)
            pause();
    }
    duet_streaming_query_stop(query);
    return TRUE;
}

/* Runs a phase in a child process, echoing its lines; kills it at "READY" and notes the time
 * of "COMMITTED". */
static gboolean
run_child(char **argv, const char *phase, gdouble *committed_ms)
{
    GPtrArray *args = g_ptr_array_new();
    for (char **arg = argv; *arg; arg++)
        g_ptr_array_add(args, *arg);
    g_ptr_array_add(args, "--phase");
    g_ptr_array_add(args, (char *)phase);
    g_ptr_array_add(args, NULL);
    GPid pid;
    gint out_fd;
    GError *error = NULL;
    gint64 spawned = g_get_monotonic_time();
    gboolean ok =
        g_spawn_async_with_pipes(NULL, (char **)args->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                 NULL, &pid, NULL, &out_fd, NULL, &error);
    g_ptr_array_unref(args);
    if (!ok)
        return fail(phase, error);
    FILE *out = fdopen(out_fd, "r");
    char line[512];
    gboolean killed = FALSE;
    while (fgets(line, sizeof line, out) != NULL) {
        if (g_str_equal(line, "READY\n")) {
            kill(pid, SIGKILL);
            killed = TRUE;
            break;
        }
        if (g_str_equal(line, "COMMITTED\n")) {
            *committed_ms = ms_since(spawned);
            continue;
        }
        fputs(line, stdout);
        fflush(stdout);
    }
    fclose(out);
    int status = 0;
    waitpid(pid, &status, 0);
    g_spawn_close_pid(pid);
    if (killed)
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int
main(int argc, char **argv)
{
    Options options = {1000000, 250000, "8", "local[2]", NULL, NULL, 5, FALSE, TRUE};
    GPtrArray *child = g_ptr_array_new();
    g_ptr_array_add(child, argv[0]);
    for (int arg = 1; arg < argc; arg++) {
        const char *name = argv[arg], *value = arg + 1 < argc ? argv[arg + 1] : NULL;
        if (g_str_equal(name, "--snapshot")) {
            options.snapshot = TRUE;
        } else if (g_str_equal(name, "--no-kill")) {
            options.kill = FALSE;
        } else if (value == NULL) {
            fprintf(stderr, "recovery_bench: %s needs a value\n", name);
            return 2;
        } else {
            if (g_str_equal(name, "--keys"))
                options.keys = g_ascii_strtoll(value, NULL, 10);
            else if (g_str_equal(name, "--rows-per-second"))
                options.rows_per_second = g_ascii_strtoll(value, NULL, 10);
            else if (g_str_equal(name, "--partitions"))
                options.partitions = value;
            else if (g_str_equal(name, "--master"))
                options.master = value;
            else if (g_str_equal(name, "--after"))
                options.after = atoi(value);
            else if (g_str_equal(name, "--checkpoint"))
                options.checkpoint = value;
            else if (g_str_equal(name, "--phase"))
                options.phase = value;
            else {
                fprintf(stderr, "recovery_bench: unknown option %s\n", name);
                return 2;
            }
            if (!g_str_equal(name, "--phase"))
                g_ptr_array_add(child, (char *)name), g_ptr_array_add(child, (char *)value);
            arg++;
            continue;
        }
        g_ptr_array_add(child, (char *)name);
    }
    if (options.keys < 1 || options.rows_per_second < 1 || options.after < 0) {
        fprintf(stderr, "recovery_bench: --keys and --rows-per-second must be > 0\n");
        return 2;
    }
    if (options.phase != NULL)
        return run_phase(&options) ? 0 : 1;
    g_autofree char *checkpoint = NULL;
    if (options.checkpoint == NULL) {
        checkpoint = g_dir_make_tmp("duet-recovery-bench-XXXXXX", NULL);
        g_ptr_array_add(child, "--checkpoint");
        g_ptr_array_add(child, checkpoint);
    }
    g_ptr_array_add(child, NULL);
    printf("%" G_GINT64_FORMAT " keys, %" G_GINT64_FORMAT " rows a batch, %s, %s shuffle "
           "partitions, %s%s\n\n",
           options.keys, options.rows_per_second, options.master, options.partitions,
           options.kill ? "build process killed with SIGKILL" : "build process stopped",
           options.snapshot ? ", a snapshot every batch" : "");
    printf("| phase   | batches |     rows/s | p50 (ms) | p95 (ms) | max (ms) | RSS (MiB) | "
           "state rows |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    fflush(stdout);
    gdouble committed_ms = 0;
    gboolean ok = run_child((char **)child->pdata, "build", &committed_ms) &&
                  run_child((char **)child->pdata, "restart", &committed_ms);
    if (ok)
        printf("\nrestart to first new batch committed, as the parent sees it (process spawn "
               "included): %.1f ms\n",
               committed_ms);
    duet_remove_tree(checkpoint);
    g_ptr_array_unref(child);
    return ok ? 0 : 1;
}
