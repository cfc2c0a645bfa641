/* source_input.c — a DStream over a shared source (sources/), read by offsets.
 *
 * Layer: dstream/. Includes rdd/, sources/ and dstream/. Spark's DirectKafkaInputDStream
 * pattern for every replayable source: at batch time t the stream asks the source for its
 * latest offset and takes the rows of (previous end, latest] as the batch's RDD, one
 * partition per source partition, then commits the range as a consumer of the source (so the
 * same source can feed a Structured query too). The offset range of each batch is kept for
 * monitoring and later for recovery.
 *
 * The sources that cannot replay (socket, ZeroMQ) lose what they buffered in a crash. With the
 * receiver write-ahead log enabled, a stream over one of them works as a receiver does
 * (block_tracker.c): every block interval of the clock, and when a batch is generated,
 * it takes what arrived from the source, logs it as a block (fsynced) and only then commits the
 * offsets at the source; a batch's RDD is the blocks allocated to it, one partition each.
 */
#include "dstream/internal.h"
#include "dstream/receiver.h"

typedef struct {
    DuetSource *source;        /* owned */
    guint consumer;            /* our consumer id at the source */
    char *committed;           /* end offset of the last batch, or NULL */
    GHashTable *sizes;         /* gint64* time -> gint64* records */
    DuetDStream *stream;       /* borrowed: the stream owning this */
    DuetBlockTracker *tracker; /* with the write-ahead log (sources that cannot replay) */
    GMutex pull_lock;          /* one pull at a time: the pump and batch generation */
    GThread *pump;             /* pulls every block interval while started */
    gint quit;                 /* atomic: the pump must end */
    gint64 block_interval_ms;  /* spark.streaming.blockInterval */
    gint64 first_block_ms;     /* the pump's first tick, fixed when it is started */
    char *name;                /* for listeners and messages */
} SourceInput;

static void
source_input_free(gpointer data)
{
    SourceInput *input = data;
    duet_source_unref(input->source);
    g_free(input->committed);
    g_hash_table_unref(input->sizes);
    duet_block_tracker_free(input->tracker);
    g_mutex_clear(&input->pull_lock);
    g_free(input->name);
    g_free(input);
}

static gint64
clock_now(SourceInput *input)
{
    return duet_clock_now_ms(
        duet_context_clock(duet_streaming_context_spark_context(input->stream->context)));
}

/* With the log: takes what arrived at the source since the last pull, logs it block by block,
 * then commits it at the source. An error of the source is returned; a block that cannot be
 * logged is still processed, and the listeners hear of it as a receiver error (Spark's
 * reportError). */
static gboolean
pull(SourceInput *input, GError **error)
{
    g_mutex_lock(&input->pull_lock);
    GError *local = NULL;
    char *latest = duet_source_latest_offset(input->source, &local);
    GPtrArray *partitions = NULL;
    if (latest != NULL && g_strcmp0(latest, input->committed) != 0)
        partitions = duet_source_get_batch(input->source, input->committed, latest, &local);
    if (partitions != NULL) {
        gint64 now = clock_now(input);
        for (guint partition = 0; partition < partitions->len; partition++) {
            GPtrArray *batches = g_ptr_array_index(partitions, partition);
            for (guint index = 0; index < batches->len; index++) {
                DuetBatch *batch = g_ptr_array_index(batches, index);
                GError *add_error = NULL;
                if (duet_batch_n_rows(batch) > 0 &&
                    !duet_block_tracker_add(input->tracker, batch, now, &add_error)) {
                    duet_streaming_context_notify_receiver(input->stream->context,
                                                           DUET_RECEIVER_EVENT_ERROR, input->name,
                                                           add_error->message);
                    g_error_free(add_error);
                }
            }
        }
        g_ptr_array_unref(partitions);
        duet_source_commit(input->source, input->consumer, latest);
        g_free(input->committed);
        input->committed = g_strdup(latest);
    }
    g_free(latest);
    g_mutex_unlock(&input->pull_lock);
    if (local != NULL) {
        g_prefix_error(&local, "%s: ", duet_source_format(input->source));
        g_propagate_error(error, local);
        return FALSE;
    }
    return TRUE;
}

static gpointer
pump_main(gpointer data)
{
    SourceInput *input = data;
    DuetClock *clock =
        duet_context_clock(duet_streaming_context_spark_context(input->stream->context));
    gint64 interval = input->block_interval_ms;
    gint64 next = input->first_block_ms;
    while (!g_atomic_int_get(&input->quit)) {
        gint64 now = duet_clock_wait_until(clock, next);
        if (g_atomic_int_get(&input->quit) || now < next)
            continue;
        /* an error of the source fails the next batch, which pulls again */
        pull(input, NULL);
        next = (now / interval + 1) * interval;
    }
    return NULL;
}

static DuetRdd *
logged_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    SourceInput *input = stream->op_data;
    if (!pull(input, error))
        return NULL;
    GPtrArray *blocks =
        duet_block_tracker_get_blocks(input->tracker, time_ms, clock_now(input), error);
    if (blocks == NULL)
        return NULL;
    gint64 records = 0;
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint block = 0; block < blocks->len; block++) {
        GPtrArray *partition = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(partition, duet_batch_ref(g_ptr_array_index(blocks, block)));
        g_ptr_array_add(partitions, partition);
        records += (gint64)duet_batch_n_rows(g_ptr_array_index(blocks, block));
    }
    DuetRdd *rdd = duet_rdd_new_from_partitions(
        duet_streaming_context_spark_context(stream->context), stream->schema, partitions);
    g_ptr_array_unref(partitions);
    g_ptr_array_unref(blocks);
    gint64 *key = g_new(gint64, 1), *value = g_new(gint64, 1);
    *key = time_ms;
    *value = records;
    g_hash_table_replace(input->sizes, key, value);
    return rdd;
}

static DuetRdd *
source_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    SourceInput *input = stream->op_data;
    if (input->tracker != NULL)
        return logged_compute(stream, time_ms, error);
    DuetContext *spark = duet_streaming_context_spark_context(stream->context);
    g_autofree char *latest = duet_source_latest_offset(input->source, error);
    if (latest == NULL) {
        if (error && *error)
            return NULL;
        return duet_dstream_empty_rdd(stream); /* no data yet: an empty batch */
    }
    GPtrArray *partitions = NULL;
    if (g_strcmp0(latest, input->committed) == 0)
        partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    else
        partitions = duet_source_get_batch(input->source, input->committed, latest, error);
    if (partitions == NULL) {
        g_prefix_error(error, "%s: ", duet_source_format(input->source));
        return NULL;
    }
    gint64 records = 0;
    for (guint partition = 0; partition < partitions->len; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint batch = 0; batch < batches->len; batch++)
            records += (gint64)duet_batch_n_rows(g_ptr_array_index(batches, batch));
    }
    DuetRdd *rdd = duet_rdd_new_from_partitions(spark, stream->schema, partitions);
    g_ptr_array_unref(partitions);
    duet_source_commit(input->source, input->consumer, latest);
    g_free(input->committed);
    input->committed = g_strdup(latest);
    gint64 *key = g_new(gint64, 1), *value = g_new(gint64, 1);
    *key = time_ms;
    *value = records;
    g_hash_table_replace(input->sizes, key, value);
    return rdd;
}

static gboolean
older_or_same(gpointer key, gpointer value, gpointer user_data)
{
    return *(gint64 *)key <= *(gint64 *)user_data;
}

static gint64
source_input_size(DuetDStream *stream, gint64 time_ms)
{
    SourceInput *input = stream->op_data;
    gint64 *size = g_hash_table_lookup(input->sizes, &time_ms);
    gint64 records = size ? *size : 0;
    /* and the sizes of older times computed again after a recovery (never run as batches) */
    g_hash_table_foreach_remove(input->sizes, older_or_same, &time_ms);
    return records;
}

static gboolean
source_prepare(DuetDStream *stream, GError **error)
{
    SourceInput *input = stream->op_data;
    return input->tracker == NULL || duet_block_tracker_prepare(input->tracker, stream, error);
}

static void
source_start(DuetDStream *stream)
{
    SourceInput *input = stream->op_data;
    if (input->tracker == NULL)
        return;
    g_atomic_int_set(&input->quit, 0);
    /* the first tick is fixed now, not when the thread gets to run (the clock may move first) */
    input->first_block_ms =
        (clock_now(input) / input->block_interval_ms + 1) * input->block_interval_ms;
    input->pump = g_thread_new("duet-source-pump", pump_main, input);
}

static void
source_stop(DuetDStream *stream)
{
    SourceInput *input = stream->op_data;
    if (input->pump == NULL)
        return;
    g_atomic_int_set(&input->quit, 1);
    duet_clock_interrupt(duet_context_clock(duet_streaming_context_spark_context(stream->context)));
    g_thread_join(input->pump);
    input->pump = NULL;
}

static void
source_batch_completed(DuetDStream *stream, const DuetBatchInfo *info)
{
    SourceInput *input = stream->op_data;
    if (input->tracker != NULL)
        duet_block_tracker_batch_completed(input->tracker, stream, info);
}

static const DuetDStreamOps source_ops = {
    .name = "DirectInputDStream",
    .compute = source_compute,
    .input_size = source_input_size,
    .prepare = source_prepare,
    .start = source_start,
    .stop = source_stop,
    .batch_completed = source_batch_completed,
};

DuetDStream *
duet_streaming_context_source_stream(DuetStreamingContext *context, DuetSource *source)
{
    g_return_val_if_fail(context != NULL && source != NULL, NULL);
    DuetDStream *stream =
        duet_dstream_new_internal(context, &source_ops, duet_source_schema(source),
                                  duet_streaming_context_batch_interval_ms(context));
    SourceInput *input = g_new0(SourceInput, 1);
    input->source = duet_source_ref(source);
    input->consumer = duet_source_add_consumer(source);
    input->sizes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    input->stream = stream;
    g_mutex_init(&input->pull_lock);
    const char *format = duet_source_format(source);
    if (g_str_equal(format, "socket") || g_str_equal(format, "zmq")) {
        static gint counter;
        input->name =
            g_strdup_printf("DirectInputDStream-%s-%d", format, g_atomic_int_add(&counter, 1));
        input->tracker = duet_block_tracker_new_for_stream(stream, input->name);
        input->block_interval_ms =
            MAX(duet_context_get_conf_int(duet_streaming_context_spark_context(context),
                                          "spark.streaming.blockInterval", 200),
                1);
    }
    stream->op_data = input;
    stream->op_data_free = source_input_free;
    return stream;
}
