/* rdd_bench.c — throughput of the RDD core: map, filter, reduceByKey and join.
 *
 * Layer: tests/bench (a benchmark, never run as a test). For each operation, input size
 * (1M and 10M rows of (string key, bigint value) with 100k distinct keys) and worker count
 * (local[1], local[2]) it runs the job several times and prints rows/s of the median run,
 * per-job latency percentiles (p50, p95, max over the runs) and the process's peak RSS.
 * Input generation is not timed.
 *
 * Usage: rdd_bench [--rows 1000000,10000000] [--runs 5] [--workers 1,2] [--ops map,filter,...]
 */
#include "rdd/rdd.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#define N_KEYS 100000

static DuetBatch *
make_pairs(gsize n_rows, gint64 n_keys)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("k STRING, v BIGINT", NULL);
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, n_rows);
    char key[32];
    guint64 state = 88172645463325252ull;
    for (gsize row = 0; row < n_rows; row++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        int len = g_snprintf(key, sizeof key, "key%06" G_GINT64_FORMAT,
                             (gint64)(state % (guint64)n_keys));
        duet_batch_builder_append_string(builder, 0, key, len);
        duet_batch_builder_append_int64(builder, 1, (gint64)(row & 1023));
    }
    DuetBatch *batch = duet_batch_builder_finish(builder, NULL);
    duet_batch_builder_free(builder);
    return batch;
}

/* Splits one big batch into batches of 64k rows, as sources deliver them. */
static DuetRdd *
make_rdd(DuetContext *context, DuetBatch *all, guint n_partitions)
{
    gsize n_rows = duet_batch_n_rows(all);
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint partition = 0; partition < n_partitions; partition++) {
        gsize start = n_rows * partition / n_partitions;
        gsize end = n_rows * (partition + 1) / n_partitions;
        GPtrArray *batches = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        for (gsize chunk = start; chunk < end; chunk += 65536)
            g_ptr_array_add(batches, duet_batch_slice(all, chunk, MIN(65536, end - chunk)));
        g_ptr_array_add(partitions, batches);
    }
    DuetRdd *rdd = duet_rdd_new_from_partitions(context, duet_batch_schema(all), partitions);
    g_ptr_array_unref(partitions);
    return rdd;
}

static void
plus_one(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len;
    const char *key = duet_row_get_string(row, 0, &len);
    duet_batch_builder_append_string(out, 0, key, (gssize)len);
    duet_batch_builder_append_int64(out, 1, duet_row_get_int64(row, 1) + 1);
}

static gboolean
small_values(const DuetRow *row, gpointer user_data)
{
    return duet_row_get_int64(row, 1) < 512;
}

static void
sum(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

static gint64
run_op(const char *op, DuetRdd *input, DuetRdd *dimension)
{
    GError *error = NULL;
    g_autoptr(DuetRdd) result = NULL;
    if (g_str_equal(op, "map"))
        result = duet_rdd_map(input, duet_rdd_schema(input), plus_one, NULL);
    else if (g_str_equal(op, "filter"))
        result = duet_rdd_filter(input, small_values, NULL);
    else if (g_str_equal(op, "reduceByKey"))
        result = duet_rdd_reduce_by_key(input, sum, NULL, 0, &error);
    else if (g_str_equal(op, "join"))
        result = duet_rdd_join(input, dimension, 0, &error);
    else
        g_error("unknown operation %s", op);
    gint64 count = 0;
    if (result == NULL || !duet_rdd_count(result, &count, &error))
        g_error("%s failed: %s", op, error->message);
    return count;
}

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long
peak_rss_kib(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

int
main(int argc, char **argv)
{
    const char *rows_arg = "1000000,10000000";
    const char *workers_arg = "1,2";
    const char *ops_arg = "map,filter,reduceByKey,join";
    int runs = 5;
    for (int arg = 1; arg + 1 < argc; arg += 2) {
        if (g_str_equal(argv[arg], "--rows"))
            rows_arg = argv[arg + 1];
        else if (g_str_equal(argv[arg], "--workers"))
            workers_arg = argv[arg + 1];
        else if (g_str_equal(argv[arg], "--ops"))
            ops_arg = argv[arg + 1];
        else if (g_str_equal(argv[arg], "--runs"))
            runs = atoi(argv[arg + 1]);
        else {
            fprintf(stderr, "usage: rdd_bench [--rows N,..] [--workers N,..] [--ops op,..] "
                            "[--runs N]\n");
            return 2;
        }
    }
    g_auto(GStrv) row_counts = g_strsplit(rows_arg, ",", -1);
    g_auto(GStrv) worker_counts = g_strsplit(workers_arg, ",", -1);
    g_auto(GStrv) ops = g_strsplit(ops_arg, ",", -1);

    printf("%-12s %10s %7s %14s %9s %9s %9s %10s\n", "operation", "rows", "workers", "rows/s",
           "p50 ms", "p95 ms", "max ms", "peak RSS");
    g_autoptr(DuetBatch) dimension_rows = make_pairs(N_KEYS, N_KEYS);
    for (char **rows = row_counts; *rows; rows++) {
        gsize n_rows = (gsize)g_ascii_strtoull(*rows, NULL, 10);
        g_autoptr(DuetBatch) all = make_pairs(n_rows, N_KEYS);
        for (char **workers = worker_counts; *workers; workers++) {
            g_autofree char *master = g_strdup_printf("local[%s]", *workers);
            g_autoptr(DuetContext) context = duet_context_new(master, NULL);
            guint n_workers = duet_context_parallelism(context);
            g_autoptr(DuetRdd) input = make_rdd(context, all, n_workers * 4);
            g_autoptr(DuetRdd) dimension = make_rdd(context, dimension_rows, n_workers);
            for (char **op = ops; *op; op++) {
                double *seconds = g_new(double, runs);
                for (int run = 0; run < runs; run++) {
                    gint64 start = g_get_monotonic_time();
                    run_op(*op, input, dimension);
                    seconds[run] = (double)(g_get_monotonic_time() - start) / 1e6;
                }
                qsort(seconds, (size_t)runs, sizeof(double), compare_doubles);
                double median = seconds[runs / 2];
                double p95 = seconds[MIN(runs - 1, (int)(0.95 * runs))];
                printf("%-12s %10zu %7u %14.0f %9.1f %9.1f %9.1f %7ld MiB\n", *op, n_rows,
                       n_workers, (double)n_rows / median, median * 1e3, p95 * 1e3,
                       seconds[runs - 1] * 1e3, peak_rss_kib() / 1024);
                fflush(stdout);
                g_free(seconds);
            }
        }
    }
    return 0;
}
