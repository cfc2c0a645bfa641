/* receiver.c — receivers, their block generator, restarts and rate control.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. Spark's ReceiverSupervisor, BlockGenerator,
 * RateLimiter and PIDRateEstimator for one process: stored records go into the current block;
 * a thread cuts blocks every block interval of the context's clock; a batch takes every block
 * cut so far (and the pending records) as its RDD's partitions. restart() runs on its own
 * thread: stop, wait the restart delay, start.
 */
#include "dstream/internal.h"
#include "dstream/receiver.h"

#include <math.h>

struct _DuetReceiver {
    DuetDStream *stream;     /* borrowed: the receiver stream owning this */
    DuetReceiverFuncs funcs; /* the receiver's code */
    gpointer user_data;
    GDestroyNotify destroy;
    char *name;               /* for listeners: "ReceiverInputDStream-<n>" */
    gint64 block_interval_ms; /* spark.streaming.blockInterval */
    gint64 restart_delay_ms;  /* spark.streaming.receiverRestartDelay */
    gboolean backpressure;    /* spark.streaming.backpressure.enabled */
    /* With spark.streaming.receiver.writeAheadLog.enable: blocks go through the tracker (logged
     * before they count as received); push_lock keeps them in order between the block
     * generator, store_batch and batch generation. NULL without the log. */
    DuetBlockTracker *tracker;
    GMutex push_lock;

    GMutex lock;               /* guards everything below */
    GCond changed;             /* restart finished, rate changed */
    DuetBatchBuilder *pending; /* records not yet in a block */
    GPtrArray *blocks;         /* DuetBatch blocks not yet given to a batch */
    GHashTable *batch_sizes;   /* gint64* batch time -> gint64* records */
    gint64 n_stored;
    gboolean running; /* between on_start and on_stop */
    gboolean stopped; /* stopped for good */
    gboolean quit;    /* the block generator must end */
    GThread *block_thread;
    gint64 first_block_ms; /* the block generator's first tick, fixed when it is started */
    gboolean restarting;   /* a (detached) restart thread is running */
    gdouble rate_limit;    /* records/s, 0 = unlimited */
    gdouble tokens;        /* rate limiter bucket */
    gint64 refill_us;      /* monotonic time of the last refill */
    DuetPidRateEstimator pid;
};

/* ---- storing ----------------------------------------------------------------------------- */

/* Waits (in real time: this throttles the receiver's own thread) until n records may pass. */
static void
acquire_rate(DuetReceiver *receiver, gsize n)
{
    for (;;) {
        g_mutex_lock(&receiver->lock);
        gdouble rate = receiver->rate_limit;
        if (rate <= 0) {
            g_mutex_unlock(&receiver->lock);
            return;
        }
        gint64 now = g_get_monotonic_time();
        receiver->tokens = MIN(rate, receiver->tokens + (now - receiver->refill_us) * rate / 1e6);
        receiver->refill_us = now;
        if (receiver->tokens >= (gdouble)n || receiver->stopped) {
            receiver->tokens -= (gdouble)n;
            g_mutex_unlock(&receiver->lock);
            return;
        }
        gdouble wait_s = ((gdouble)n - receiver->tokens) / rate;
        g_mutex_unlock(&receiver->lock);
        g_usleep((gulong)MIN(wait_s * 1e6 + 1, 100000));
    }
}

void
duet_receiver_store_values(DuetReceiver *receiver, const DuetValue *values)
{
    acquire_rate(receiver, 1);
    g_mutex_lock(&receiver->lock);
    if (!receiver->stopped && duet_batch_builder_append_values(receiver->pending, values)) {
        receiver->n_stored++;
        g_cond_broadcast(&receiver->changed);
    }
    g_mutex_unlock(&receiver->lock);
}

void
duet_receiver_store_string(DuetReceiver *receiver, const char *data, gssize len)
{
    DuetValue value = duet_value_string(data, len < 0 ? strlen(data) : (gsize)len);
    duet_receiver_store_values(receiver, &value);
}

void
duet_receiver_store_strings(DuetReceiver *receiver, const char *data, const gsize *starts,
                            const gsize *lengths, gsize n)
{
    g_return_if_fail(duet_schema_n_fields(receiver->stream->schema) == 1 &&
                     duet_data_type_id(duet_schema_field(receiver->stream->schema, 0)->type) ==
                         DUET_TYPE_STRING);
    if (n == 0)
        return;
    acquire_rate(receiver, n);
    g_mutex_lock(&receiver->lock);
    if (!receiver->stopped) {
        DuetColumnBuilder *column = duet_batch_builder_column(receiver->pending, 0);
        for (gsize string = 0; string < n; string++)
            duet_column_builder_append_string(column, data + starts[string],
                                              (gssize)lengths[string]);
        receiver->n_stored += (gint64)n;
        g_cond_broadcast(&receiver->changed);
    }
    g_mutex_unlock(&receiver->lock);
}

static void push_blocks(DuetReceiver *receiver, DuetBatch *extra);

void
duet_receiver_store_batch(DuetReceiver *receiver, DuetBatch *batch)
{
    acquire_rate(receiver, duet_batch_n_rows(batch));
    if (receiver->tracker != NULL) {
        /* Spark's store(ArrayBuffer): the block is in the log when store returns */
        g_mutex_lock(&receiver->lock);
        gboolean accepted = !receiver->stopped;
        g_mutex_unlock(&receiver->lock);
        if (accepted && duet_schema_equal(duet_batch_schema(batch), receiver->stream->schema)) {
            push_blocks(receiver, batch);
            g_mutex_lock(&receiver->lock);
            receiver->n_stored += (gint64)duet_batch_n_rows(batch);
            g_cond_broadcast(&receiver->changed);
            g_mutex_unlock(&receiver->lock);
        }
        return;
    }
    g_mutex_lock(&receiver->lock);
    if (!receiver->stopped &&
        duet_schema_equal(duet_batch_schema(batch), receiver->stream->schema)) {
        /* the batch is a block of its own, after what was pending */
        DuetBatch *pending = duet_batch_builder_finish(receiver->pending, NULL);
        if (pending && duet_batch_n_rows(pending) > 0)
            g_ptr_array_add(receiver->blocks, pending);
        else if (pending)
            duet_batch_unref(pending);
        g_ptr_array_add(receiver->blocks, duet_batch_ref(batch));
        receiver->n_stored += (gint64)duet_batch_n_rows(batch);
        g_cond_broadcast(&receiver->changed);
    }
    g_mutex_unlock(&receiver->lock);
}

gint64
duet_receiver_n_stored(DuetReceiver *receiver)
{
    g_mutex_lock(&receiver->lock);
    gint64 n = receiver->n_stored;
    g_mutex_unlock(&receiver->lock);
    return n;
}

gboolean
duet_receiver_wait_stored(DuetReceiver *receiver, gint64 n, gint64 timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    g_mutex_lock(&receiver->lock);
    while (receiver->n_stored < n &&
           g_cond_wait_until(&receiver->changed, &receiver->lock, deadline))
        ;
    gboolean reached = receiver->n_stored >= n;
    g_mutex_unlock(&receiver->lock);
    return reached;
}

gint64
duet_receiver_n_logged(DuetReceiver *receiver)
{
    return duet_dstream_n_logged(receiver->stream);
}

gboolean
duet_receiver_wait_logged(DuetReceiver *receiver, gint64 n, gint64 timeout_ms)
{
    return duet_dstream_wait_logged(receiver->stream, n, timeout_ms);
}

gdouble
duet_receiver_rate_limit(DuetReceiver *receiver)
{
    g_mutex_lock(&receiver->lock);
    gdouble rate = receiver->rate_limit;
    g_mutex_unlock(&receiver->lock);
    return rate;
}

/* Moves the pending records into a block. Called with the lock held. */
static void
cut_block_locked(DuetReceiver *receiver)
{
    if (duet_batch_builder_n_rows(receiver->pending) == 0)
        return;
    DuetBatch *block = duet_batch_builder_finish(receiver->pending, NULL);
    if (block != NULL)
        g_ptr_array_add(receiver->blocks, block);
}

static gint64
clock_now(DuetReceiver *receiver)
{
    return duet_clock_now_ms(
        duet_context_clock(duet_streaming_context_spark_context(receiver->stream->context)));
}

/* With the write-ahead log: cuts the pending records into a block and hands it (then extra, if
 * any) to the tracker, which logs it before it counts as received. A block that cannot be
 * logged is still processed; the error goes to the listeners (Spark's reportError). */
static void
push_blocks_locked(DuetReceiver *receiver, DuetBatch *extra)
{
    g_mutex_lock(&receiver->lock);
    DuetBatch *block = NULL;
    if (duet_batch_builder_n_rows(receiver->pending) > 0)
        block = duet_batch_builder_finish(receiver->pending, NULL);
    g_mutex_unlock(&receiver->lock);
    DuetBatch *blocks[2] = {block, extra};
    for (guint index = 0; index < 2; index++) {
        if (blocks[index] == NULL)
            continue;
        GError *error = NULL;
        if (!duet_block_tracker_add(receiver->tracker, blocks[index], clock_now(receiver),
                                    &error)) {
            duet_receiver_report_error(receiver, error->message);
            g_error_free(error);
        }
    }
    if (block != NULL)
        duet_batch_unref(block);
}

static void
push_blocks(DuetReceiver *receiver, DuetBatch *extra)
{
    g_mutex_lock(&receiver->push_lock);
    push_blocks_locked(receiver, extra);
    g_mutex_unlock(&receiver->push_lock);
}

static gpointer
block_generator(gpointer data)
{
    DuetReceiver *receiver = data;
    DuetClock *clock =
        duet_context_clock(duet_streaming_context_spark_context(receiver->stream->context));
    gint64 interval = receiver->block_interval_ms;
    gint64 next = receiver->first_block_ms;
    for (;;) {
        gint64 now = duet_clock_wait_until(clock, next);
        g_mutex_lock(&receiver->lock);
        gboolean quit = receiver->quit;
        if (!quit && now >= next && receiver->tracker == NULL)
            cut_block_locked(receiver);
        g_mutex_unlock(&receiver->lock);
        if (!quit && now >= next && receiver->tracker != NULL)
            push_blocks(receiver, NULL);
        if (quit)
            break;
        if (now >= next)
            next = (now / interval + 1) * interval;
    }
    return NULL;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void
start_receiver(DuetReceiver *receiver)
{
    receiver->funcs.on_start(receiver, receiver->user_data);
    g_mutex_lock(&receiver->lock);
    receiver->running = TRUE;
    g_mutex_unlock(&receiver->lock);
    duet_streaming_context_notify_receiver(receiver->stream->context, DUET_RECEIVER_EVENT_STARTED,
                                           receiver->name, NULL);
}

static void
stop_receiver(DuetReceiver *receiver, const char *message)
{
    g_mutex_lock(&receiver->lock);
    gboolean running = receiver->running;
    receiver->running = FALSE;
    g_mutex_unlock(&receiver->lock);
    if (!running)
        return;
    receiver->funcs.on_stop(receiver, receiver->user_data);
    duet_streaming_context_notify_receiver(receiver->stream->context, DUET_RECEIVER_EVENT_STOPPED,
                                           receiver->name, message);
}

typedef struct {
    DuetReceiver *receiver;
    char *message;
} Restart;

static gpointer
restart_main(gpointer data)
{
    Restart *restart = data;
    DuetReceiver *receiver = restart->receiver;
    stop_receiver(receiver, restart->message);
    /* The restart delay is real time: the peer needs time to come back. */
    gint64 deadline = g_get_monotonic_time() + receiver->restart_delay_ms * 1000;
    g_mutex_lock(&receiver->lock);
    while (!receiver->stopped && g_cond_wait_until(&receiver->changed, &receiver->lock, deadline))
        ;
    gboolean stopped = receiver->stopped;
    g_mutex_unlock(&receiver->lock);
    if (!stopped)
        start_receiver(receiver);
    g_mutex_lock(&receiver->lock);
    receiver->restarting = FALSE;
    g_cond_broadcast(&receiver->changed);
    g_mutex_unlock(&receiver->lock);
    g_free(restart->message);
    g_free(restart);
    return NULL;
}

void
duet_receiver_restart(DuetReceiver *receiver, const char *message)
{
    g_mutex_lock(&receiver->lock);
    if (receiver->stopped || receiver->restarting) {
        g_mutex_unlock(&receiver->lock);
        return;
    }
    Restart *restart = g_new0(Restart, 1);
    restart->receiver = receiver;
    restart->message = g_strdup(message);
    receiver->restarting = TRUE;
    g_thread_unref(g_thread_new("duet-receiver-restart", restart_main, restart));
    g_mutex_unlock(&receiver->lock);
    duet_streaming_context_notify_receiver(receiver->stream->context, DUET_RECEIVER_EVENT_ERROR,
                                           receiver->name, message);
}

void
duet_receiver_stop(DuetReceiver *receiver, const char *message)
{
    g_mutex_lock(&receiver->lock);
    receiver->stopped = TRUE;
    g_cond_broadcast(&receiver->changed);
    while (receiver->restarting)
        g_cond_wait(&receiver->changed, &receiver->lock);
    g_mutex_unlock(&receiver->lock);
    stop_receiver(receiver, message);
}

gboolean
duet_receiver_is_stopped(DuetReceiver *receiver)
{
    g_mutex_lock(&receiver->lock);
    gboolean stopped = receiver->stopped || !receiver->running;
    g_mutex_unlock(&receiver->lock);
    return stopped;
}

void
duet_receiver_report_error(DuetReceiver *receiver, const char *message)
{
    duet_streaming_context_notify_receiver(receiver->stream->context, DUET_RECEIVER_EVENT_ERROR,
                                           receiver->name, message);
}

/* ---- the receiver stream ----------------------------------------------------------------- */

static DuetRdd *
receiver_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    DuetReceiver *receiver = stream->op_data;
    GPtrArray *blocks = NULL;
    if (receiver->tracker != NULL) {
        /* the pending records are logged, then the batch gets its blocks from the tracker */
        g_mutex_lock(&receiver->push_lock);
        push_blocks_locked(receiver, NULL);
        blocks =
            duet_block_tracker_get_blocks(receiver->tracker, time_ms, clock_now(receiver), error);
        g_mutex_unlock(&receiver->push_lock);
        if (blocks == NULL)
            return NULL;
        g_mutex_lock(&receiver->lock);
    } else {
        g_mutex_lock(&receiver->lock);
        cut_block_locked(receiver);
        blocks = receiver->blocks;
        receiver->blocks = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    }
    gint64 records = 0;
    for (guint block = 0; block < blocks->len; block++)
        records += (gint64)duet_batch_n_rows(g_ptr_array_index(blocks, block));
    gint64 *key = g_new(gint64, 1), *value = g_new(gint64, 1);
    *key = time_ms;
    *value = records;
    g_hash_table_replace(receiver->batch_sizes, key, value);
    g_mutex_unlock(&receiver->lock);
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint block = 0; block < blocks->len; block++) {
        GPtrArray *partition = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(partition, duet_batch_ref(g_ptr_array_index(blocks, block)));
        g_ptr_array_add(partitions, partition);
    }
    DuetRdd *rdd = duet_rdd_new_from_partitions(
        duet_streaming_context_spark_context(stream->context), stream->schema, partitions);
    g_ptr_array_unref(partitions);
    g_ptr_array_unref(blocks);
    return rdd;
}

static void
receiver_start(DuetDStream *stream)
{
    DuetReceiver *receiver = stream->op_data;
    g_mutex_lock(&receiver->lock);
    receiver->quit = FALSE;
    receiver->refill_us = g_get_monotonic_time();
    receiver->tokens = receiver->rate_limit;
    g_mutex_unlock(&receiver->lock);
    /* the first tick is fixed now, not when the thread gets to run (the clock may move first) */
    receiver->first_block_ms =
        (clock_now(receiver) / receiver->block_interval_ms + 1) * receiver->block_interval_ms;
    receiver->block_thread = g_thread_new("duet-block-generator", block_generator, receiver);
    start_receiver(receiver);
}

static void
receiver_stop(DuetDStream *stream)
{
    DuetReceiver *receiver = stream->op_data;
    duet_receiver_stop(receiver, "Stopped by driver");
    g_mutex_lock(&receiver->lock);
    receiver->quit = TRUE;
    g_mutex_unlock(&receiver->lock);
    duet_clock_interrupt(duet_context_clock(duet_streaming_context_spark_context(stream->context)));
    if (receiver->block_thread != NULL) {
        g_thread_join(receiver->block_thread);
        receiver->block_thread = NULL;
    }
}

static void
receiver_batch_completed(DuetDStream *stream, const DuetBatchInfo *info)
{
    DuetReceiver *receiver = stream->op_data;
    if (receiver->tracker != NULL)
        duet_block_tracker_batch_completed(receiver->tracker, stream, info);
    if (!receiver->backpressure)
        return;
    gdouble rate;
    if (duet_pid_rate_estimator_compute(&receiver->pid, info->end_ms, info->num_records,
                                        duet_batch_info_processing_delay(info),
                                        duet_batch_info_scheduling_delay(info), &rate)) {
        g_mutex_lock(&receiver->lock);
        /* backpressure never exceeds a configured maxRate */
        receiver->rate_limit =
            receiver->rate_limit > 0 && rate > receiver->rate_limit ? receiver->rate_limit : rate;
        g_mutex_unlock(&receiver->lock);
    }
}

static gboolean
older_or_same(gpointer key, gpointer value, gpointer user_data)
{
    return *(gint64 *)key <= *(gint64 *)user_data;
}

static gint64
receiver_input_size(DuetDStream *stream, gint64 time_ms)
{
    DuetReceiver *receiver = stream->op_data;
    g_mutex_lock(&receiver->lock);
    gint64 *size = g_hash_table_lookup(receiver->batch_sizes, &time_ms);
    gint64 records = size ? *size : 0;
    /* and the sizes of older times computed again after a recovery (never run as batches) */
    g_hash_table_foreach_remove(receiver->batch_sizes, older_or_same, &time_ms);
    g_mutex_unlock(&receiver->lock);
    return records;
}

static gboolean
receiver_prepare(DuetDStream *stream, GError **error)
{
    DuetReceiver *receiver = stream->op_data;
    return receiver->tracker == NULL ||
           duet_block_tracker_prepare(receiver->tracker, stream, error);
}

static const DuetDStreamOps receiver_ops = {
    .prepare = receiver_prepare,
    .name = "ReceiverInputDStream",
    .compute = receiver_compute,
    .start = receiver_start,
    .stop = receiver_stop,
    .batch_completed = receiver_batch_completed,
    .input_size = receiver_input_size,
};

static void
receiver_free(gpointer data)
{
    DuetReceiver *receiver = data;
    if (receiver->destroy)
        receiver->destroy(receiver->user_data);
    duet_block_tracker_free(receiver->tracker);
    g_mutex_clear(&receiver->push_lock);
    duet_batch_builder_free(receiver->pending);
    g_ptr_array_unref(receiver->blocks);
    g_hash_table_unref(receiver->batch_sizes);
    g_mutex_clear(&receiver->lock);
    g_cond_clear(&receiver->changed);
    g_free(receiver->name);
    g_free(receiver);
}

static gint64
conf_ms(DuetContext *spark, const char *key, gint64 fallback)
{
    return duet_context_get_conf_int(spark, key, fallback);
}

DuetDStream *
duet_streaming_context_receiver_stream(DuetStreamingContext *context, DuetSchema *schema,
                                       const DuetReceiverFuncs *funcs, gpointer user_data,
                                       GDestroyNotify destroy)
{
    g_return_val_if_fail(context && schema && funcs && funcs->on_start && funcs->on_stop, NULL);
    DuetDStream *stream = duet_dstream_new_internal(
        context, &receiver_ops, schema, duet_streaming_context_batch_interval_ms(context));
    DuetContext *spark = duet_streaming_context_spark_context(context);
    DuetReceiver *receiver = g_new0(DuetReceiver, 1);
    receiver->stream = stream;
    receiver->funcs = *funcs;
    receiver->user_data = user_data;
    receiver->destroy = destroy;
    static gint counter;
    receiver->name = g_strdup_printf("ReceiverInputDStream-%d", g_atomic_int_add(&counter, 1));
    receiver->block_interval_ms = MAX(conf_ms(spark, "spark.streaming.blockInterval", 200), 1);
    receiver->restart_delay_ms = conf_ms(spark, "spark.streaming.receiverRestartDelay", 2000);
    g_autofree char *backpressure =
        duet_context_get_conf(spark, "spark.streaming.backpressure.enabled");
    receiver->backpressure = backpressure && g_ascii_strcasecmp(backpressure, "true") == 0;
    receiver->rate_limit = (gdouble)conf_ms(spark, "spark.streaming.receiver.maxRate", 0);
    receiver->tracker = duet_block_tracker_new_for_stream(stream, receiver->name);
    g_mutex_init(&receiver->push_lock);
    g_mutex_init(&receiver->lock);
    g_cond_init(&receiver->changed);
    receiver->pending = duet_batch_builder_new(schema, 1024);
    receiver->blocks = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    receiver->batch_sizes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    duet_pid_rate_estimator_init(&receiver->pid, duet_streaming_context_batch_interval_ms(context));
    stream->op_data = receiver;
    stream->op_data_free = receiver_free;
    return stream;
}

DuetReceiver *
duet_dstream_receiver(DuetDStream *stream)
{
    g_return_val_if_fail(stream->ops == &receiver_ops, NULL);
    return stream->op_data;
}

/* ---- Spark's PIDRateEstimator ------------------------------------------------------------- */

void
duet_pid_rate_estimator_init(DuetPidRateEstimator *estimator, gint64 batch_interval_ms)
{
    *estimator = (DuetPidRateEstimator){
        .batch_interval_ms = batch_interval_ms,
        .proportional = 1.0,
        .integral = 0.2,
        .derivative = 0.0,
        .min_rate = 100.0,
        .first_run = TRUE,
        .latest_time = -1,
        .latest_rate = -1.0,
        .latest_error = -1.0,
    };
}

gboolean
duet_pid_rate_estimator_compute(DuetPidRateEstimator *estimator, gint64 time_ms, gint64 n_elements,
                                gint64 processing_delay_ms, gint64 scheduling_delay_ms,
                                gdouble *new_rate)
{
    if (!(time_ms > estimator->latest_time && n_elements > 0 && processing_delay_ms > 0))
        return FALSE;
    gdouble delay_since_update = (gdouble)(time_ms - estimator->latest_time) / 1000.0;
    gdouble processing_rate = (gdouble)n_elements / (gdouble)processing_delay_ms * 1000.0;
    gdouble error = estimator->latest_rate - processing_rate;
    gdouble historical_error =
        (gdouble)scheduling_delay_ms * processing_rate / (gdouble)estimator->batch_interval_ms;
    gdouble d_error = (error - estimator->latest_error) / delay_since_update;
    gdouble rate = estimator->latest_rate - estimator->proportional * error -
                   estimator->integral * historical_error - estimator->derivative * d_error;
    rate = MAX(rate, estimator->min_rate);
    estimator->latest_time = time_ms;
    if (estimator->first_run) {
        estimator->latest_rate = processing_rate;
        estimator->latest_error = 0.0;
        estimator->first_run = FALSE;
        return FALSE;
    }
    estimator->latest_rate = rate;
    estimator->latest_error = error;
    *new_rate = rate;
    return TRUE;
}
