/* file_bench.c — throughput of the file source: CSV and JSON lines parsed into batches.
 *
 * Layer: tests/bench (a benchmark, never run as a test). For each format it writes --rows rows
 * of (id BIGINT, name STRING, score DOUBLE, ts TIMESTAMP, flag BOOLEAN) over --files files in
 * a temporary directory (not timed; modification times an hour back, so no file waits for
 * minFileAge), then reads them --runs times through a fresh source with maxFilesPerTrigger 1:
 * each trigger is latest_offset (a directory listing) and get_batch (read and parse one file).
 * It prints rows/s and MB/s of the median run, the per-trigger latency percentiles over every
 * trigger of every run (p50, p95, p99, max) and the process's peak RSS.
 *
 * Usage: file_bench [--rows 1000000] [--files 10] [--runs 3] [--formats csv,json]
 */
#include "sources/source.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <utime.h>

static const char *const SCHEMA =
    "id BIGINT, name STRING, score DOUBLE, ts TIMESTAMP, flag BOOLEAN";

/* Writes the files of one format; returns the total bytes. */
static gsize
write_files(const char *dir, const char *format, gint64 n_rows, guint n_files)
{
    gsize total = 0;
    guint64 state = 88172645463325252ull;
    gint64 old = g_get_real_time() / G_USEC_PER_SEC - 3600;
    for (guint file = 0; file < n_files; file++) {
        gint64 first = n_rows * file / n_files, last = n_rows * (file + 1) / n_files;
        GString *text = g_string_sized_new((gsize)(last - first) * 96);
        for (gint64 row = first; row < last; row++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            double score = (double)(state % 1000000) / 100.0;
            int second = (int)(row % 86400);
            gboolean flag = (state >> 20) & 1;
            if (format[0] == 'c')
                g_string_append_printf(text,
                                       "%" G_GINT64_FORMAT ",name-%06u,%.2f,"
                                       "2016-03-27T%02d:%02d:%02d.000Z,%s\n",
                                       row, (guint)(state % 100000), score, second / 3600,
                                       second / 60 % 60, second % 60, flag ? "true" : "false");
            else
                g_string_append_printf(text,
                                       "{\"id\":%" G_GINT64_FORMAT ",\"name\":\"name-%06u\","
                                       "\"score\":%.2f,\"ts\":\"2016-03-27T%02d:%02d:%02d.000Z\","
                                       "\"flag\":%s}\n",
                                       row, (guint)(state % 100000), score, second / 3600,
                                       second / 60 % 60, second % 60, flag ? "true" : "false");
        }
        g_autofree char *name = g_strdup_printf("part-%05u.%s", file, format);
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (!g_file_set_contents(path, text->str, (gssize)text->len, NULL))
            g_error("cannot write %s", path);
        struct utimbuf times = {.actime = (time_t)(old + file), .modtime = (time_t)(old + file)};
        g_utime(path, &times);
        total += text->len;
        g_string_free(text, TRUE);
    }
    return total;
}

static int
compare_gint64(const void *a, const void *b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return (x > y) - (x < y);
}

static double
percentile_ms(GArray *micros, double fraction)
{
    if (micros->len == 0)
        return 0;
    qsort(micros->data, micros->len, sizeof(gint64), compare_gint64);
    guint index = (guint)(fraction * (micros->len - 1) + 0.5);
    return (double)g_array_index(micros, gint64, index) / 1000.0;
}

/* One run: every file through a fresh source; the rows read, and the trigger latencies. */
static gint64
run_once(const char *dir, const char *format, GArray *latencies, gint64 *rows_read)
{
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "path", dir);
    duet_source_options_set(options, "maxFilesPerTrigger", "1");
    g_autoptr(DuetSchema) schema = duet_schema_parse(SCHEMA, NULL);
    GError *error = NULL;
    g_autoptr(DuetSource) source = duet_source_new(format, options, schema, NULL, 1, &error);
    g_hash_table_unref(options);
    if (source == NULL)
        g_error("file_bench: %s", error->message);
    guint consumer = duet_source_add_consumer(source);
    char *start = NULL;
    *rows_read = 0;
    gint64 began = g_get_monotonic_time();
    for (;;) {
        gint64 trigger = g_get_monotonic_time();
        char *end = duet_source_latest_offset(source, &error);
        if (error != NULL)
            g_error("file_bench: %s", error->message);
        if (end == NULL || (start != NULL && strcmp(end, start) == 0)) {
            g_free(end);
            break;
        }
        GPtrArray *partitions = duet_source_get_batch(source, start, end, &error);
        if (partitions == NULL)
            g_error("file_bench: %s", error->message);
        for (guint partition = 0; partition < partitions->len; partition++) {
            GPtrArray *batches = g_ptr_array_index(partitions, partition);
            for (guint index = 0; index < batches->len; index++)
                *rows_read += (gint64)duet_batch_n_rows(g_ptr_array_index(batches, index));
        }
        g_ptr_array_unref(partitions);
        duet_source_commit(source, consumer, end);
        gint64 latency = g_get_monotonic_time() - trigger;
        g_array_append_val(latencies, latency);
        g_free(start);
        start = end;
    }
    g_free(start);
    return g_get_monotonic_time() - began;
}

int
main(int argc, char **argv)
{
    gint64 n_rows = 1000000;
    int n_files = 10, n_runs = 3;
    const char *formats = "csv,json";
    for (int arg = 1; arg + 1 < argc; arg += 2) {
        if (strcmp(argv[arg], "--rows") == 0)
            n_rows = g_ascii_strtoll(argv[arg + 1], NULL, 10);
        else if (strcmp(argv[arg], "--files") == 0)
            n_files = atoi(argv[arg + 1]);
        else if (strcmp(argv[arg], "--runs") == 0)
            n_runs = atoi(argv[arg + 1]);
        else if (strcmp(argv[arg], "--formats") == 0)
            formats = argv[arg + 1];
        else
            g_error("usage: file_bench [--rows N] [--files N] [--runs N] [--formats csv,json]");
    }
    if (n_rows <= 0 || n_files <= 0 || n_runs <= 0)
        g_error("file_bench: --rows, --files and --runs must be positive");
    printf("%-5s %9s %6s %9s %12s %8s %9s %9s %9s %9s %10s\n", "fmt", "rows", "files", "MB",
           "rows/s", "MB/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "peak RSS");
    g_auto(GStrv) names = g_strsplit(formats, ",", -1);
    for (guint format = 0; names[format] != NULL; format++) {
        g_autofree char *dir = g_dir_make_tmp("duet-file-bench-XXXXXX", NULL);
        gsize bytes = write_files(dir, names[format], n_rows, (guint)n_files);
        GArray *latencies = g_array_new(FALSE, FALSE, sizeof(gint64));
        GArray *durations = g_array_new(FALSE, FALSE, sizeof(gint64));
        gint64 rows_read = 0;
        for (int run = 0; run < n_runs; run++) {
            gint64 duration = run_once(dir, names[format], latencies, &rows_read);
            g_array_append_val(durations, duration);
        }
        if (rows_read != n_rows)
            g_error("file_bench: read %" G_GINT64_FORMAT " rows of %" G_GINT64_FORMAT, rows_read,
                    n_rows);
        double median_s = percentile_ms(durations, 0.5) / 1000.0;
        struct rusage usage;
        getrusage(RUSAGE_SELF, &usage);
        printf("%-5s %9" G_GINT64_FORMAT " %6d %9.1f %12.0f %8.1f %9.1f %9.1f %9.1f %9.1f "
               "%7ld MiB\n",
               names[format], n_rows, n_files, (double)bytes / 1e6, (double)n_rows / median_s,
               (double)bytes / 1e6 / median_s, percentile_ms(latencies, 0.5),
               percentile_ms(latencies, 0.95), percentile_ms(latencies, 0.99),
               percentile_ms(latencies, 1.0), usage.ru_maxrss / 1024);
        fflush(stdout);
        g_array_unref(latencies);
        g_array_unref(durations);
        for (int file = 0; file < n_files; file++) {
            g_autofree char *name = g_strdup_printf("part-%05d.%s", file, names[format]);
            g_autofree char *path = g_build_filename(dir, name, NULL);
            g_unlink(path);
        }
        g_rmdir(dir);
    }
    return 0;
}
