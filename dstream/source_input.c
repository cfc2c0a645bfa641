/* source_input.c — a DStream over a shared source (sources/), read by offsets.
 *
 * Layer: dstream/. Includes rdd/, sources/ and dstream/. Spark's DirectKafkaInputDStream
 * pattern for every replayable source: at batch time t the stream asks the source for its
 * latest offset and takes the rows of (previous end, latest] as the batch's RDD, one
 * partition per source partition, then commits the range as a consumer of the source (so the
 * same source can feed a Structured query too). The offset range of each batch is kept for
 * monitoring and later for recovery.
 */
#include "dstream/internal.h"
#include "dstream/receiver.h"

typedef struct {
    DuetSource *source; /* owned */
    guint consumer;     /* our consumer id at the source */
    char *committed;    /* end offset of the last batch, or NULL */
    GHashTable *sizes;  /* gint64* time -> gint64* records */
} SourceInput;

static void
source_input_free(gpointer data)
{
    SourceInput *input = data;
    duet_source_unref(input->source);
    g_free(input->committed);
    g_hash_table_unref(input->sizes);
    g_free(input);
}

static DuetRdd *
source_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    SourceInput *input = stream->op_data;
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

static gint64
source_input_size(DuetDStream *stream, gint64 time_ms)
{
    SourceInput *input = stream->op_data;
    gint64 *size = g_hash_table_lookup(input->sizes, &time_ms);
    gint64 records = size ? *size : 0;
    g_hash_table_remove(input->sizes, &time_ms);
    return records;
}

static const DuetDStreamOps source_ops = {
    .name = "DirectInputDStream",
    .compute = source_compute,
    .input_size = source_input_size,
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
    stream->op_data = input;
    stream->op_data_free = source_input_free;
    return stream;
}
