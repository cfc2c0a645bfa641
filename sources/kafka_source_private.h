/* kafka_source_private.h — what the Kafka source's files share (kafka_source.c, kafka_read.c).
 *
 * Layer: sources/ (those two files only).
 */
#pragma once

#include "sources/internal.h"
#include "sources/kafka_client.h"

G_BEGIN_DECLS

#define KAFKA_SCHEMA                                                                               \
    "key BINARY, value BINARY, topic STRING, partition INT, offset BIGINT, "                       \
    "timestamp TIMESTAMP, timestampType INT"
#define HEADERS_COLUMN ", headers ARRAY<STRUCT<key: STRING, value: BINARY>>"

/* Spark's INSTRUCTION_FOR_FAIL_ON_DATA_LOSS_TRUE, appended to every data-loss error. */
#define DATA_LOSS_INSTRUCTION                                                                      \
    "Some data may have been lost because they are not available in Kafka any more; either "       \
    "the\n data was aged out by Kafka or the topic may have been deleted before all the data in "  \
    "the\n topic was processed. If you don't want your streaming query to fail on such cases, "    \
    "set the\n source option \"failOnDataLoss\" to \"false\"."

typedef enum {
    STRATEGY_SUBSCRIBE,         /* a list of topics */
    STRATEGY_SUBSCRIBE_PATTERN, /* topics whose whole name matches a regex */
    STRATEGY_ASSIGN,            /* a fixed list of topic partitions */
} Strategy;

typedef enum {
    START_LATEST,
    START_EARLIEST,
    START_SPECIFIC,
} StartKind;

/* Everything under lock: librdkafka's simple consumer must not start a partition twice, so
 * reading, like resolving offsets, is serialised. */
typedef struct {
    GMutex lock;
    rd_kafka_t *consumer;         /* owned: fetching */
    rd_kafka_t *offset_reader;    /* owned: metadata and watermarks (Spark's KafkaOffsetReader) */
    GHashTable *topics;           /* topic name -> rd_kafka_topic_t*, owned */
    Strategy strategy;            /* which of subscribe, subscribePattern, assign */
    char **subscribe;             /* STRATEGY_SUBSCRIBE: the topics */
    GRegex *pattern;              /* STRATEGY_SUBSCRIBE_PATTERN: anchored at both ends */
    DuetKafkaOffsets *assign;     /* STRATEGY_ASSIGN: the partitions (offsets unused) */
    char *strategy_text;          /* Spark's ConsumerStrategy toString */
    StartKind start_kind;         /* startingOffsets */
    DuetKafkaOffsets *start_json; /* START_SPECIFIC: the offsets given, -2/-1 unresolved */
    gint64 max_offsets;           /* maxOffsetsPerTrigger, 0 = no limit */
    gboolean fail_on_data_loss;   /* failOnDataLoss */
    gint64 timeout_ms;            /* kafkaConsumer.pollTimeoutMs: any one broker request */
    gint64 fetch_attempts;        /* fetchOffset.numRetries: attempts at an offset fetch */
    gint64 fetch_interval_ms;     /* fetchOffset.retryIntervalMs: the wait between them */
    gboolean include_headers;     /* includeHeaders: the schema's eighth column */
    DuetKafkaOffsets *initial;    /* startingOffsets resolved, NULL until first needed */
    DuetKafkaOffsets *current;    /* the last offset reported (or served), NULL before */
    DuetKafkaOffsets *target;     /* Trigger.AvailableNow: the latest offsets at its start
                                   * (Spark's allDataForTriggerAvailableNow), or NULL */
    char *initial_path;           /* checkpoint/sources/<index>/0 of the query, or NULL */
} Kafka;

/* One partition's range to read: [from, until). */
typedef struct {
    const char *topic; /* borrowed from the end offsets */
    gint32 partition;
    gint64 from;
    gint64 until;
    rd_kafka_topic_t *handle; /* borrowed from Kafka.topics */
    gboolean started;         /* rd_kafka_consume_start succeeded */
} Range;

/* Spark's reportDataLoss: an error under failOnDataLoss, a log line otherwise. */
gboolean duet_kafka_source_report_data_loss(Kafka *kafka, GError **error, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
/* "Kafka: WHAT failed: REASON"; always FALSE. */
gboolean duet_kafka_source_broker_error(rd_kafka_resp_err_t code, const char *what, GError **error);
/* The earliest and latest offsets of a partition, from the offset reader. */
gboolean duet_kafka_source_watermarks(Kafka *kafka, const char *topic, gint32 partition,
                                      gint64 *low, gint64 *high, GError **error);
/* Checks a range against what Kafka holds (kafka_read.c): records before the earliest offset
 * are gone, records past the latest are not there; without failOnDataLoss the range shrinks to
 * what can be read. */
gboolean duet_kafka_source_check_range(Kafka *kafka, Range *range, GError **error);
/* Reads every range into one output partition each; ranges start fetching together.
 * (transfer full): a GPtrArray of partitions, each a GPtrArray of DuetBatch. */
GPtrArray *duet_kafka_source_read_ranges(Kafka *kafka, DuetSchema *schema, Range *ranges,
                                         guint n_ranges, GError **error);

G_END_DECLS
