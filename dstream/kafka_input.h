/* kafka_input.h — Spark's KafkaUtils.createDirectStream (spark-streaming-kafka-0-10).
 *
 * Layer: dstream/ (a public header; includes rdd/ and dstream/ only: the stream reads Kafka
 * through the shared Kafka source of sources/, created by the source factory, so nothing here
 * names librdkafka). Each batch covers, per Kafka partition, the offsets [from, until) where
 * from is where the previous batch stopped and until the partition's latest offset, capped at
 * spark.streaming.kafka.maxRatePerPartition × the batch interval in seconds when that is set
 * (Spark's DirectKafkaInputDStream.maxMessagesPerPartition, at least
 * spark.streaming.kafka.minRatePerPartition, default 1, records per partition). The batch's
 * RDD has one partition per Kafka partition (topics sorted, partitions ascending, empty ones
 * included) holding the records as (key STRING, value STRING) pairs, Kafka's nulls as nulls.
 */
#pragma once

#include "dstream/dstream.h"
#include "sources/source.h" /* DUET_SOURCE_ERROR, reported for bad Kafka settings */

G_BEGIN_DECLS

/* Spark's OffsetRange: the records [from_offset, until_offset) of one topic partition. */
typedef struct {
    char *topic;         /* owned by the array that holds the range */
    gint32 partition;    /* the Kafka partition */
    gint64 from_offset;  /* the first offset of the range */
    gint64 until_offset; /* one past the last offset of the range */
} DuetOffsetRange;

/* until - from: Spark's OffsetRange.count(). */
static inline gint64
duet_offset_range_count(const DuetOffsetRange *range)
{
    return range->until_offset - range->from_offset;
}

/* Spark's ConsumerStrategies. */
typedef enum {
    DUET_KAFKA_SUBSCRIBE,         /* topics: "a,b" */
    DUET_KAFKA_SUBSCRIBE_PATTERN, /* topics: a regular expression matched against whole names */
    DUET_KAFKA_ASSIGN,            /* topics: {"a":[0,1]}, a fixed set of partitions */
} DuetKafkaStrategyKind;

/* ConsumerStrategies.Subscribe / SubscribePattern / Assign(topics, kafkaParams[, offsets]).
 * kafka_params are Spark's kafkaParams: "bootstrap.servers" (required), "auto.offset.reset"
 * ("latest", the default, or "earliest": where partitions without an offset start), and any
 * other consumer setting, passed to the consumer as the Kafka source passes its "kafka.*"
 * options. key.deserializer and value.deserializer are accepted and ignored (keys and values
 * are read as strings); enable.auto.commit is forced off, as Spark forces it (offsets are
 * committed with duet_kafka_direct_stream_commit_async). offsets, when not NULL, is Spark's
 * offsets JSON {"a":{"0":23,"1":-2}} naming every partition read (-2 earliest, -1 latest). */
typedef struct {
    DuetKafkaStrategyKind kind; /* which strategy */
    const char *topics;         /* see DuetKafkaStrategyKind */
    GHashTable *kafka_params;   /* (transfer none) string -> string */
    const char *offsets;        /* nullable starting offsets JSON */
} DuetKafkaConsumerStrategy;

/**
 * duet_kafka_utils_create_direct_stream:
 * @context: (transfer none): the streaming context, not started yet
 * @strategy: (transfer none): what to read and how to connect
 *
 * Spark's KafkaUtils.createDirectStream(ssc, PreferConsistent, strategy). The Kafka source is
 * created (and its options checked, with the Kafka source's messages) here; the starting
 * position is fixed when the context starts, as Spark's DirectKafkaInputDStream.start() fixes
 * it. Thread-safety: as every DStream constructor.
 *
 * Returns: (transfer full): the stream, or NULL with @error set (DUET_DSTREAM_ERROR_INVALID
 * for a bad strategy, DUET_SOURCE_ERROR from the source for a bad setting).
 */
DuetDStream *duet_kafka_utils_create_direct_stream(DuetStreamingContext *context,
                                                   const DuetKafkaConsumerStrategy *strategy,
                                                   GError **error);

/**
 * duet_kafka_direct_stream_offset_ranges:
 *
 * Spark's HasOffsetRanges: the offset ranges of the batch at time_ms (one per Kafka partition,
 * in the RDD's partition order), available from the batch's generation until the stream
 * forgets the batch (its remember duration). Call it from foreachRDD or transform with the
 * time they are given. Thread-safe.
 *
 * Returns: (transfer full) (nullable): a GArray of DuetOffsetRange, or NULL when the stream has
 * no batch at time_ms.
 */
GArray *duet_kafka_direct_stream_offset_ranges(DuetDStream *stream, gint64 time_ms);

/* Called once the offsets are committed; error is set when the commit could not be made. */
typedef void (*DuetOffsetCommitCallback)(const char *offsets_json, const GError *error,
                                         gpointer user_data);

/**
 * duet_kafka_direct_stream_commit_async:
 * @ranges: (transfer none): a GArray of DuetOffsetRange (usually a batch's)
 * @callback: (nullable): Spark's OffsetCommitCallback
 *
 * Spark's CanCommitOffsets.commitAsync: queues the ranges; when the jobs of the current batch
 * have finished, every queued range's until offset is committed (a partition keeps the highest
 * offset committed) to the stream's consumer of the Kafka source, and callback is called with
 * the committed offsets JSON. Thread-safe; may be called from output operations.
 */
void duet_kafka_direct_stream_commit_async(DuetDStream *stream, const GArray *ranges,
                                           DuetOffsetCommitCallback callback, gpointer user_data);

/* The offsets committed so far as offsets JSON, or NULL before the first commit.
 * (transfer full) */
char *duet_kafka_direct_stream_committed(DuetDStream *stream);

G_END_DECLS
