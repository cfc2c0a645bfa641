/* bench_run.c — the child of `duet bench`: one API, one workload, one batch at a time.
 *
 * Layer: compat/ (includes dstream/, structured/, sources/, sinks/). Batch i's input is
 * generated before it is due (outside the timing), then handed over and processed:
 *   Structured: added to a memory stream, then processAllAvailable (one micro-batch);
 *   DStream:    pushed on a queue stream (one RDD per batch) and the context's manual clock
 *               advanced by one batch interval, then awaited — so that a batch starts exactly
 *               when its data is there.
 * With --saturate the next batch is handed over as soon as the previous one completed; at a
 * fixed rate batch i is due at (i + 1) batch intervals after the start (its input is complete
 * then), and its latency counts from that moment, so a batch that waits behind a slow one shows
 * it. Event times (windowed) follow the batch index either way, so both APIs see the same
 * windows.
 */
#include "compat/bench.h"
#include "rdd/atomic_file.h"

#include <string.h>

/* What an API's runner shares with the loop. */
typedef struct {
    const DuetBenchConfig *config;
    gint64 output_rows; /* rows emitted so far (updated on the job's thread) */
    GMutex lock;        /* guards output_rows */
    /* Structured */
    DuetSource *source;
    DuetStreamingQuery *query;
    /* DStream */
    DuetContext *context;
    DuetClock *clock;
    DuetStreamingContext *ssc;
    DuetDStream *queue;
} Runner;

static void
add_output(Runner *runner, gint64 rows)
{
    g_mutex_lock(&runner->lock);
    runner->output_rows += rows;
    g_mutex_unlock(&runner->lock);
}

static gint64
output_so_far(Runner *runner)
{
    g_mutex_lock(&runner->lock);
    gint64 rows = runner->output_rows;
    g_mutex_unlock(&runner->lock);
    return rows;
}

static gboolean
count_batch(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
{
    add_output(user_data, (gint64)duet_batch_n_rows(rows));
    return TRUE;
}

static gboolean
count_rdd(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    gint64 count = 0;
    if (!duet_rdd_count(rdd, &count, error))
        return FALSE;
    add_output(user_data, count);
    return TRUE;
}

static char *
partitions_text(const DuetBenchConfig *config)
{
    return g_strdup_printf("%u", config->workload.partitions);
}

static gboolean
start_structured(Runner *runner, GError **error)
{
    const DuetBenchConfig *config = runner->config;
    runner->context = duet_context_new(config->master, error);
    if (runner->context == NULL)
        return FALSE;
    g_autofree char *partitions = partitions_text(config);
    duet_context_set_conf(runner->context, "spark.sql.shuffle.partitions", partitions);
    g_autoptr(DuetSchema) schema = duet_bench_workload_input_schema(&config->workload);
    runner->source = duet_memory_source_new(schema);
    DuetOutputMode mode = DUET_OUTPUT_MODE_APPEND;
    g_autoptr(DuetDataFrame) plan =
        duet_bench_workload_structured_plan(&config->workload, runner->source, &mode, error);
    if (plan == NULL)
        return FALSE;
    g_autoptr(DuetSink) sink =
        duet_foreach_batch_sink_new(duet_dataframe_schema(plan), count_batch, runner);
    runner->query =
        duet_streaming_query_start(runner->context, plan, sink, mode, NULL, NULL,
                                   duet_bench_workload_name(config->workload.kind), error);
    return runner->query != NULL;
}

static gboolean
run_structured_batch(Runner *runner, gint64 index, DuetBatch *input, GError **error)
{
    duet_memory_source_add(runner->source, input);
    return duet_streaming_query_process_all_available(runner->query, error);
}

static gboolean
start_dstream(Runner *runner, const char *checkpoint, GError **error)
{
    const DuetBenchConfig *config = runner->config;
    runner->context = duet_context_new(config->master, error);
    if (runner->context == NULL)
        return FALSE;
    runner->clock = duet_clock_new_manual(0);
    duet_context_set_clock(runner->context, runner->clock);
    runner->ssc = duet_streaming_context_new(runner->context, config->workload.batch_ms, error);
    if (runner->ssc == NULL || !duet_streaming_context_checkpoint(runner->ssc, checkpoint, error))
        return FALSE;
    g_autoptr(DuetSchema) schema = duet_bench_workload_input_schema(&config->workload);
    runner->queue = duet_streaming_context_queue_stream(runner->ssc, schema, TRUE, NULL);
    g_autoptr(DuetDStream) results =
        duet_bench_workload_dstream(&config->workload, runner->queue, error);
    if (results == NULL)
        return FALSE;
    duet_dstream_foreach_rdd(results, count_rdd, runner);
    return duet_streaming_context_start(runner->ssc, error);
}

static gboolean
run_dstream_batch(Runner *runner, gint64 index, DuetBatch *input, GError **error)
{
    const DuetBenchConfig *config = runner->config;
    duet_dstream_queue_push(
        runner->queue,
        duet_rdd_parallelize(runner->context, input, duet_context_parallelism(runner->context)));
    gint64 batch_time = (index + 1) * config->workload.batch_ms;
    duet_clock_set_ms(runner->clock, batch_time);
    if (!duet_streaming_context_await_batch(runner->ssc, batch_time, 3600 * 1000)) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_STATE,
                    "the DStream batch at %" G_GINT64_FORMAT " ms did not complete in an hour",
                    batch_time);
        return FALSE;
    }
    /* a failed batch stops nothing by itself: its error is the context's first failure */
    g_autoptr(GArray) infos = duet_streaming_context_batch_infos(runner->ssc);
    for (guint info_idx = infos->len; info_idx-- > 0;) {
        const DuetBatchInfo *info = &g_array_index(infos, DuetBatchInfo, info_idx);
        if (info->batch_time_ms == batch_time && info->failed) {
            if (!duet_streaming_context_await_termination(runner->ssc, 0, error) && error &&
                *error == NULL)
                g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_STATE,
                            "the DStream batch at %" G_GINT64_FORMAT " ms failed", batch_time);
            return FALSE;
        }
        if (info->batch_time_ms < batch_time)
            break;
    }
    return TRUE;
}

/* Whether batch index should run: a fixed count, or until the duration is used up. */
static gboolean
wants_batch(const DuetBenchConfig *config, gint64 index, gint64 started_us)
{
    if (config->batches > 0)
        return index < config->batches;
    if (!config->saturate)
        return (index + 1) * config->workload.batch_ms <= (gint64)(config->duration_s * 1000) ||
               index == 0;
    return index == 0 || g_get_monotonic_time() - started_us < (gint64)(config->duration_s * 1e6);
}

int
duet_bench_child_run(const DuetBenchConfig *config, const char *api, volatile gint *stop, FILE *out)
{
    if (config->workload.kind == DUET_BENCH_KAFKA_TO_KAFKA)
        return duet_bench_kafka_run(config, api, stop, out);
    gboolean structured = g_str_equal(api, "structured");
    Runner runner = {.config = config};
    g_mutex_init(&runner.lock);
    GError *error = NULL;
    g_autofree char *checkpoint = g_dir_make_tmp("duet-bench-XXXXXX", &error);
    gboolean ok = checkpoint != NULL && (structured ? start_structured(&runner, &error)
                                                    : start_dstream(&runner, checkpoint, &error));
    gint64 started = g_get_monotonic_time();
    gint64 index = 0;
    DuetBatch *next =
        ok ? duet_bench_workload_make_batch(&config->workload, 0, config->batch_rows) : NULL;
    while (ok && !g_atomic_int_get(stop) && wants_batch(config, index, started)) {
        DuetBatch *input = next;
        gint64 due = config->saturate ? g_get_monotonic_time()
                                      : started + (index + 1) * config->workload.batch_ms * 1000;
        if (!config->saturate)
            duet_bench_sleep_until(due, stop);
        if (g_atomic_int_get(stop)) {
            duet_batch_unref(input);
            next = NULL;
            break;
        }
        gint64 output_before = output_so_far(&runner);
        gdouble cpu_before = duet_bench_cpu_ms();
        gint64 begun = g_get_monotonic_time();
        ok = structured ? run_structured_batch(&runner, index, input, &error)
                        : run_dstream_batch(&runner, index, input, &error);
        gint64 done = g_get_monotonic_time();
        DuetBenchSample sample = {
            .batch = index,
            .t_s = (done - started) / 1e6,
            .rows = (gint64)duet_batch_n_rows(input),
            .output_rows = output_so_far(&runner) - output_before,
            .latency_ms = (done - (config->saturate ? begun : due)) / 1000.0,
            .processing_ms = (done - begun) / 1000.0,
            .cpu_ms = duet_bench_cpu_ms() - cpu_before,
        };
        duet_batch_unref(input);
        if (ok)
            duet_bench_print_sample(out, &sample);
        index++;
        /* the next input is made while nothing is timed */
        next = ok && wants_batch(config, index, started)
                   ? duet_bench_workload_make_batch(&config->workload, index, config->batch_rows)
                   : NULL;
    }
    if (next)
        duet_batch_unref(next);
    gint64 state_rows = -1;
    if (runner.query) {
        g_autoptr(DuetQueryProgress) progress = duet_streaming_query_last_progress(runner.query);
        if (progress && progress->state_operators->len)
            state_rows =
                ((DuetStateOperatorProgress *)progress->state_operators->pdata[0])->num_rows_total;
        duet_streaming_query_stop(runner.query);
        duet_streaming_query_unref(runner.query);
    }
    if (runner.ssc) {
        duet_streaming_context_stop(runner.ssc, FALSE);
        duet_streaming_context_unref(runner.ssc);
    }
    if (runner.queue)
        duet_dstream_unref(runner.queue);
    if (runner.source)
        duet_source_unref(runner.source);
    if (runner.clock)
        duet_clock_unref(runner.clock);
    if (runner.context)
        duet_context_unref(runner.context);
    if (checkpoint)
        duet_remove_tree(checkpoint);
    g_mutex_clear(&runner.lock);
    if (!ok) {
        duet_bench_print_error(out, error ? error->message : "unknown failure");
        g_clear_error(&error);
        return 1;
    }
    duet_bench_print_totals(out, g_atomic_int_get(stop) != 0, state_rows);
    return 0;
}
