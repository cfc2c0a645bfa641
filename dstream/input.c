/* input.c — input streams that need no receiver: queue streams and prepared batches.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. Spark's QueueInputDStream (queueStream) and
 * its test suites' TestInputStream, which the conformance vectors are written against: batch
 * k takes the k-th prepared batch, cut into partitions the way parallelize cuts a collection.
 */
#include "dstream/internal.h"

typedef struct {
    GMutex lock;            /* guards queue */
    GQueue queue;           /* DuetRdd*, owned */
    gboolean one_at_a_time; /* one RDD per batch, or the union of all queued */
    DuetRdd *default_rdd;   /* when the queue is empty; NULL = an empty RDD */
} QueueInput;

static void
queue_input_free(gpointer data)
{
    QueueInput *input = data;
    g_queue_clear_full(&input->queue, (GDestroyNotify)duet_rdd_unref);
    if (input->default_rdd)
        duet_rdd_unref(input->default_rdd);
    g_mutex_clear(&input->lock);
    g_free(input);
}

static DuetRdd *
queue_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    QueueInput *input = stream->op_data;
    g_mutex_lock(&input->lock);
    GPtrArray *taken = g_ptr_array_new_with_free_func((GDestroyNotify)duet_rdd_unref);
    if (input->one_at_a_time) {
        if (!g_queue_is_empty(&input->queue))
            g_ptr_array_add(taken, g_queue_pop_head(&input->queue));
    } else {
        while (!g_queue_is_empty(&input->queue))
            g_ptr_array_add(taken, g_queue_pop_head(&input->queue));
    }
    g_mutex_unlock(&input->lock);
    DuetRdd *rdd;
    if (taken->len == 1)
        rdd = duet_rdd_ref(g_ptr_array_index(taken, 0));
    else if (taken->len > 1)
        rdd = duet_rdd_union((DuetRdd *const *)taken->pdata, taken->len, error);
    else if (input->default_rdd != NULL)
        rdd = duet_rdd_ref(input->default_rdd);
    else
        rdd = duet_dstream_empty_rdd(stream);
    g_ptr_array_unref(taken);
    return rdd;
}

static const DuetDStreamOps queue_ops = {.name = "QueueInputDStream", .compute = queue_compute};

DuetDStream *
duet_streaming_context_queue_stream(DuetStreamingContext *context, DuetSchema *schema,
                                    gboolean one_at_a_time, DuetRdd *default_rdd)
{
    g_return_val_if_fail(context != NULL && schema != NULL, NULL);
    DuetDStream *stream = duet_dstream_new_internal(
        context, &queue_ops, schema, duet_streaming_context_batch_interval_ms(context));
    QueueInput *input = g_new0(QueueInput, 1);
    g_mutex_init(&input->lock);
    g_queue_init(&input->queue);
    input->one_at_a_time = one_at_a_time;
    input->default_rdd = default_rdd ? duet_rdd_ref(default_rdd) : NULL;
    stream->op_data = input;
    stream->op_data_free = queue_input_free;
    return stream;
}

void
duet_dstream_queue_push(DuetDStream *queue_stream, DuetRdd *rdd)
{
    g_return_if_fail(queue_stream->ops == &queue_ops && rdd != NULL);
    QueueInput *input = queue_stream->op_data;
    g_mutex_lock(&input->lock);
    g_queue_push_tail(&input->queue, duet_rdd_ref(rdd));
    g_mutex_unlock(&input->lock);
}

typedef struct {
    GPtrArray *batches;   /* DuetBatch* or NULL (no RDD) per batch */
    guint num_partitions; /* partitions of each batch's RDD */
} BatchesInput;

static void
batches_input_free(gpointer data)
{
    BatchesInput *input = data;
    g_ptr_array_unref(input->batches);
    g_free(input);
}

static DuetRdd *
batches_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    BatchesInput *input = stream->op_data;
    gint64 zero = duet_streaming_context_zero_time(stream->context);
    gint64 index = (time_ms - zero) / stream->slide_ms - 1;
    DuetContext *spark = duet_streaming_context_spark_context(stream->context);
    if (index < (gint64)input->batches->len) {
        DuetBatch *batch = g_ptr_array_index(input->batches, index);
        if (batch == NULL)
            return NULL; /* "no RDD" for this batch */
        return duet_rdd_parallelize(spark, batch, input->num_partitions);
    }
    g_autoptr(DuetBatch) empty = duet_batch_new_empty(stream->schema);
    return duet_rdd_parallelize(spark, empty, input->num_partitions);
}

static const DuetDStreamOps batches_ops = {.name = "TestInputStream", .compute = batches_compute};

static void
unref_nullable_batch(gpointer data)
{
    if (data != NULL)
        duet_batch_unref(data);
}

DuetDStream *
duet_streaming_context_batches_stream(DuetStreamingContext *context, DuetSchema *schema,
                                      GPtrArray *batches, guint num_partitions)
{
    g_return_val_if_fail(context != NULL && schema != NULL && batches != NULL, NULL);
    DuetDStream *stream = duet_dstream_new_internal(
        context, &batches_ops, schema, duet_streaming_context_batch_interval_ms(context));
    BatchesInput *input = g_new0(BatchesInput, 1);
    input->batches = g_ptr_array_new_with_free_func(unref_nullable_batch);
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        g_ptr_array_add(input->batches, batch ? duet_batch_ref(batch) : NULL);
    }
    input->num_partitions = MAX(num_partitions, 1);
    stream->op_data = input;
    stream->op_data_free = batches_input_free;
    return stream;
}
