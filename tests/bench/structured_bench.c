/* structured_bench.c — the same two jobs on Structured Streaming and on DStreams.
 *
 * Layer: tests/bench (a benchmark, never run as a test). Input batches are generated before
 * timing and fed one per micro-batch: to a memory stream (Structured) or a queue stream
 * (DStream, on a manual clock so that a batch starts exactly when its data is queued).
 *   wordcount: words from a vocabulary; Structured groupBy(value).count() in Complete mode,
 *              DStream map((w, 1)) + updateStateByKey(sum) — both keep every word's count.
 *   windowed:  (key, time) rows over --keys distinct keys, each batch one second of event
 *              time; Structured withWatermark(time, 10 s) + groupBy(window(time, 10 s), key)
 *              .count() in Append mode, DStream reduceByKeyAndWindow(+, 10 s, 10 s).
 * Each (job, API) runs in its own process so that peak RSS is its own. Prints rows/s over all
 * batches, per-batch latency p50/p95/max, peak RSS and the state size at the end.
 *
 * Usage: structured_bench [--batches 20] [--rows 200000] [--keys 1000000] [--vocab 100000]
 *                         [--master local[2]] [--partitions 8] [--job J --api A]
 */
#include "dstream/dstream.h"
#include "structured/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

typedef struct {
    int batches;
    gint64 rows, keys, vocab;
    const char *master;
    const char *partitions;
} Options;

typedef struct {
    GArray *latencies_ms; /* gdouble per batch */
    gint64 state_rows;
    gint64 output_rows;
} Result;

static guint64
next_random(guint64 *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* The input of batch index: words, or (key, time) rows. */
static DuetBatch *
make_batch(const char *job, const Options *options, int index, guint64 *random)
{
    gboolean words = g_str_equal(job, "wordcount");
    g_autoptr(DuetSchema) schema =
        duet_schema_parse(words ? "value STRING" : "key BIGINT, time TIMESTAMP", NULL);
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, (gsize)options->rows);
    char word[32];
    for (gint64 row = 0; row < options->rows; row++) {
        if (words) {
            int len = g_snprintf(word, sizeof word, "w%" G_GUINT64_FORMAT,
                                 next_random(random) % (guint64)options->vocab);
            duet_batch_builder_append_string(builder, 0, word, len);
        } else {
            duet_batch_builder_append_int64(builder, 0,
                                            (gint64)(next_random(random) % (guint64)options->keys));
            /* batch index covers [index s, index + 1 s) of event time */
            duet_batch_builder_append_int64(
                builder, 1, index * G_USEC_PER_SEC + row * G_USEC_PER_SEC / options->rows);
        }
    }
    DuetBatch *batch = duet_batch_builder_finish(builder, NULL);
    duet_batch_builder_free(builder);
    return batch;
}

static gboolean
count_output(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
{
    Result *result = user_data;
    result->output_rows += (gint64)duet_batch_n_rows(rows);
    return TRUE;
}

static DuetDataFrame *
structured_plan(const char *job, DuetSource *source, GError **error)
{
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(source);
    if (g_str_equal(job, "wordcount")) {
        static const char *const keys[] = {"value"};
        g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(input, keys, 1, error);
        return grouped ? duet_grouped_data_count(grouped, error) : NULL;
    }
    g_autoptr(DuetDataFrame) marked =
        duet_dataframe_with_watermark(input, "time", "10 seconds", error);
    static const char *const keys[] = {"window(time, '10 seconds')", "key"};
    g_autoptr(DuetGroupedData) grouped =
        marked ? duet_dataframe_group_by_exprv(marked, keys, 2, error) : NULL;
    return grouped ? duet_grouped_data_count(grouped, error) : NULL;
}

static gboolean
run_structured(const char *job, const Options *options, GPtrArray *inputs, Result *result,
               GError **error)
{
    g_autoptr(DuetContext) context = duet_context_new(options->master, error);
    if (context == NULL)
        return FALSE;
    duet_context_set_conf(context, "spark.sql.shuffle.partitions", options->partitions);
    g_autoptr(DuetSource) source =
        duet_memory_source_new(duet_batch_schema(g_ptr_array_index(inputs, 0)));
    g_autoptr(DuetDataFrame) plan = structured_plan(job, source, error);
    if (plan == NULL)
        return FALSE;
    g_autoptr(DuetSink) sink =
        duet_foreach_batch_sink_new(duet_dataframe_schema(plan), count_output, result);
    DuetOutputMode mode =
        g_str_equal(job, "wordcount") ? DUET_OUTPUT_MODE_COMPLETE : DUET_OUTPUT_MODE_APPEND;
    g_autoptr(DuetStreamingQuery) query =
        duet_streaming_query_start(context, plan, sink, mode, NULL, NULL, job, error);
    if (query == NULL)
        return FALSE;
    for (guint index = 0; index < inputs->len; index++) {
        gint64 started = g_get_monotonic_time();
        duet_memory_source_add(source, g_ptr_array_index(inputs, index));
        if (!duet_streaming_query_process_all_available(query, error))
            return FALSE;
        gdouble ms = (gdouble)(g_get_monotonic_time() - started) / 1000.0;
        g_array_append_val(result->latencies_ms, ms);
    }
    g_autoptr(DuetQueryProgress) progress = duet_streaming_query_last_progress(query);
    if (progress && progress->state_operators->len)
        result->state_rows =
            ((DuetStateOperatorProgress *)progress->state_operators->pdata[0])->num_rows_total;
    duet_streaming_query_stop(query);
    return TRUE;
}

/* ---- DStream versions ---------------------------------------------------------------------- */

static void
pair_with_one(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue key;
    duet_row_get_value(row, 0, &key);
    duet_column_builder_append_value(duet_batch_builder_column(out, 0), &key);
    duet_batch_builder_append_int64(out, 1, 1);
}

static gboolean
running_sum(gint64 time_ms, const DuetValue *key, const DuetValue *values, const DuetValue *state,
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
add_values(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

static gboolean
count_rdd(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    Result *result = user_data;
    gint64 count = 0;
    if (!duet_rdd_count(rdd, &count, error))
        return FALSE;
    result->output_rows += count;
    result->state_rows = count;
    return TRUE;
}

static gboolean
run_dstream(const char *job, const Options *options, GPtrArray *inputs, Result *result,
            GError **error)
{
    g_autoptr(DuetContext) context = duet_context_new(options->master, error);
    if (context == NULL)
        return FALSE;
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    duet_context_set_clock(context, clock);
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(context, 1000, error);
    g_autofree char *checkpoint = g_dir_make_tmp("duet-bench-XXXXXX", error);
    if (ssc == NULL || checkpoint == NULL ||
        !duet_streaming_context_checkpoint(ssc, checkpoint, error))
        return FALSE;
    DuetSchema *schema = duet_batch_schema(g_ptr_array_index(inputs, 0));
    DuetDStream *queue = duet_streaming_context_queue_stream(ssc, schema, TRUE, NULL);
    guint partitions = (guint)g_ascii_strtoull(options->partitions, NULL, 10);
    g_autoptr(DuetSchema) pair = duet_schema_parse(
        g_str_equal(job, "wordcount") ? "key STRING, value BIGINT" : "key BIGINT, value BIGINT",
        NULL);
    DuetDStream *pairs = duet_dstream_map(queue, pair, pair_with_one, NULL);
    DuetDStream *counted = NULL;
    if (g_str_equal(job, "wordcount")) {
        g_autoptr(DuetDataType) bigint = duet_data_type_new_scalar(DUET_TYPE_INT64);
        counted = duet_dstream_update_state_by_key(pairs, bigint, running_sum, NULL, partitions,
                                                   NULL, error);
    } else {
        counted = duet_dstream_reduce_by_key_and_window(pairs, add_values, NULL, 10000, 10000,
                                                        partitions, NULL, NULL, error);
    }
    if (counted == NULL)
        return FALSE;
    duet_dstream_foreach_rdd(counted, count_rdd, result);
    for (guint index = 0; index < inputs->len; index++)
        duet_dstream_queue_push(queue, duet_rdd_parallelize(context, inputs->pdata[index],
                                                            duet_context_parallelism(context)));
    if (!duet_streaming_context_start(ssc, error))
        return FALSE;
    for (guint index = 0; index < inputs->len; index++) {
        gint64 started = g_get_monotonic_time();
        duet_clock_advance_ms(clock, 1000);
        duet_streaming_context_await_batch(ssc, (gint64)(index + 1) * 1000, 600000);
        gdouble ms = (gdouble)(g_get_monotonic_time() - started) / 1000.0;
        g_array_append_val(result->latencies_ms, ms);
    }
    duet_streaming_context_stop(ssc, FALSE);
    return TRUE;
}

/* ---- reporting ------------------------------------------------------------------------------ */

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

static int
run_one(const char *job, const char *api, const Options *options)
{
    guint64 random = 0x9E3779B97F4A7C15ull;
    GPtrArray *inputs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    for (int index = 0; index < options->batches; index++)
        g_ptr_array_add(inputs, make_batch(job, options, index, &random));
    Result result = {g_array_new(FALSE, FALSE, sizeof(gdouble)), 0, 0};
    GError *error = NULL;
    gint64 started = g_get_monotonic_time();
    gboolean ok = g_str_equal(api, "structured")
                      ? run_structured(job, options, inputs, &result, &error)
                      : run_dstream(job, options, inputs, &result, &error);
    gdouble seconds = (gdouble)(g_get_monotonic_time() - started) / 1e6;
    if (!ok) {
        fprintf(stderr, "%s/%s failed: %s\n", job, api, error ? error->message : "?");
        return 1;
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    gdouble rows = (gdouble)options->rows * options->batches;
    gdouble p50 = percentile(result.latencies_ms, 0.5), p95 = percentile(result.latencies_ms, 0.95);
    gdouble max = g_array_index(result.latencies_ms, gdouble, result.latencies_ms->len - 1);
    printf("| %-9s | %-10s | %12.0f | %8.1f | %8.1f | %8.1f | %8ld | %10" G_GINT64_FORMAT " |\n",
           job, api, rows / seconds, p50, p95, max, usage.ru_maxrss / 1024, result.state_rows);
    g_array_unref(result.latencies_ms);
    g_ptr_array_unref(inputs);
    return 0;
}

int
main(int argc, char **argv)
{
    Options options = {20, 200000, 1000000, 100000, "local[2]", "8"};
    const char *job = NULL, *api = NULL;
    for (int arg = 1; arg + 1 < argc; arg += 2) {
        if (g_str_equal(argv[arg], "--batches"))
            options.batches = atoi(argv[arg + 1]);
        else if (g_str_equal(argv[arg], "--rows"))
            options.rows = g_ascii_strtoll(argv[arg + 1], NULL, 10);
        else if (g_str_equal(argv[arg], "--keys"))
            options.keys = g_ascii_strtoll(argv[arg + 1], NULL, 10);
        else if (g_str_equal(argv[arg], "--vocab"))
            options.vocab = g_ascii_strtoll(argv[arg + 1], NULL, 10);
        else if (g_str_equal(argv[arg], "--master"))
            options.master = argv[arg + 1];
        else if (g_str_equal(argv[arg], "--partitions"))
            options.partitions = argv[arg + 1];
        else if (g_str_equal(argv[arg], "--job"))
            job = argv[arg + 1];
        else if (g_str_equal(argv[arg], "--api"))
            api = argv[arg + 1];
        else {
            fprintf(stderr, "structured_bench: unknown option %s\n", argv[arg]);
            return 2;
        }
    }
    if (options.batches < 1 || options.rows < 1 || options.keys < 1 || options.vocab < 1) {
        fprintf(stderr, "structured_bench: --batches, --rows, --keys and --vocab must be > 0\n");
        return 2;
    }
    if (job && api)
        return run_one(job, api, &options);
    printf("%d batches of %" G_GINT64_FORMAT " rows, %s, %s shuffle partitions\n\n",
           options.batches, options.rows, options.master, options.partitions);
    printf("| job       | API        |       rows/s | p50 (ms) | p95 (ms) | max (ms) | RSS (MiB) "
           "| state rows |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    fflush(stdout);
    static const char *const jobs[] = {"wordcount", "windowed"};
    static const char *const apis[] = {"structured", "dstream"};
    int status = 0;
    for (guint j = 0; j < G_N_ELEMENTS(jobs); j++)
        for (guint a = 0; a < G_N_ELEMENTS(apis); a++) {
            GPtrArray *child = g_ptr_array_new();
            for (int arg = 0; arg < argc; arg++)
                g_ptr_array_add(child, argv[arg]);
            g_ptr_array_add(child, "--job");
            g_ptr_array_add(child, (char *)jobs[j]);
            g_ptr_array_add(child, "--api");
            g_ptr_array_add(child, (char *)apis[a]);
            g_ptr_array_add(child, NULL);
            gint wait_status = 0;
            GError *error = NULL;
            if (!g_spawn_sync(NULL, (char **)child->pdata, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL,
                              NULL, NULL, NULL, &wait_status, &error)) {
                fprintf(stderr, "structured_bench: %s\n", error->message);
                g_error_free(error);
                status = 1;
            } else if (!g_spawn_check_wait_status(wait_status, NULL)) {
                status = 1;
            }
            g_ptr_array_unref(child);
        }
    return status;
}
