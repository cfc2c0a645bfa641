/* kafka_sink.c — Spark's Kafka sink: every row becomes one Kafka record.
 *
 * Layer: sinks/. Includes rdd/, sinks/ and sources/kafka_client.h (and librdkafka).
 * Reproduces KafkaWriter's column rules and messages: a required "value" column (string or
 * binary), an optional "key" (string or binary), "topic" (string; the "topic" option, when
 * given, wins over it), "partition" (int; null lets the partitioner choose) and "timestamp"
 * (timestamp or double seconds; null is "now"). Columns are found by exact name, as Spark's
 * writer does. Bad columns fail at creation, as Spark's fail when the query starts; a record
 * Kafka refuses fails its batch after the flush that ends every batch. Headers are not written:
 * a "headers" column is an error rather than silently dropped. Keys go to partitions by
 * murmur2, the Java client's partitioner, so a key lands where Spark would put it. Like
 * Spark's, the sink is at-least-once across crashes: the batch-id check of sink.c only skips
 * re-runs within one process.
 */
#include "sinks/sink.h"
#include "sources/kafka_client.h"

typedef struct {
    rd_kafka_t *producer; /* owned */
    char *topic;          /* the "topic" option, trimmed, or NULL */
    gint topic_column;    /* -1 when absent (then topic is set) */
    gint key_column;      /* -1 when absent */
    gint value_column;    /* always present */
    gint partition_column;
    gint timestamp_column;
    gboolean timestamp_is_double; /* a double column of seconds rather than a timestamp */
    /* Delivery reports, written by librdkafka's callback during poll/flush on the writing
     * thread (add_batch is serialised by the sink's lock). */
    char *delivery_error; /* the first failure of the batch being written, or NULL */
} Kafka;

static void
kafka_finalize(gpointer data)
{
    Kafka *kafka = data;
    if (kafka->producer) {
        rd_kafka_flush(kafka->producer, 10000);
        rd_kafka_destroy(kafka->producer);
    }
    g_free(kafka->topic);
    g_free(kafka->delivery_error);
    g_free(kafka);
}

static char *
kafka_description(DuetSink *sink)
{
    return g_strdup("KafkaSink");
}

static void
delivered(rd_kafka_t *producer, const rd_kafka_message_t *message, void *opaque)
{
    Kafka *kafka = opaque;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR || kafka->delivery_error != NULL)
        return;
    kafka->delivery_error = g_strdup_printf(
        "Failed to send a record to Kafka topic '%s' partition %d: %s",
        rd_kafka_topic_name(message->rkt), message->partition, rd_kafka_err2str(message->err));
}

/* One row's bytes of a string or binary column; NULL for null. */
static const void *
row_bytes(const DuetRow *row, gint column, gsize *length)
{
    *length = 0;
    if (column < 0 || duet_row_is_null(row, (guint)column))
        return NULL;
    return duet_row_get_string(row, (guint)column, length);
}

static gboolean
send_row(Kafka *kafka, const DuetRow *row, GError **error)
{
    g_autofree char *topic = NULL;
    if (kafka->topic != NULL) {
        topic = g_strdup(kafka->topic);
    } else if (!duet_row_is_null(row, (guint)kafka->topic_column)) {
        gsize length;
        const char *name = duet_row_get_string(row, (guint)kafka->topic_column, &length);
        topic = g_strndup(name, length);
    } else {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                    "null topic present in the data. Use the topic option for setting a default "
                    "topic.");
        return FALSE;
    }
    gsize key_length, value_length;
    const void *key = row_bytes(row, kafka->key_column, &key_length);
    const void *value = row_bytes(row, kafka->value_column, &value_length);
    gint32 partition = RD_KAFKA_PARTITION_UA;
    if (kafka->partition_column >= 0 && !duet_row_is_null(row, (guint)kafka->partition_column))
        partition = duet_row_get_int32(row, (guint)kafka->partition_column);
    gint64 timestamp_ms = 0; /* librdkafka's "now" */
    if (kafka->timestamp_column >= 0 && !duet_row_is_null(row, (guint)kafka->timestamp_column))
        timestamp_ms =
            kafka->timestamp_is_double
                ? (gint64)(duet_row_get_double(row, (guint)kafka->timestamp_column) * 1000.0)
                : duet_row_get_int64(row, (guint)kafka->timestamp_column) / 1000;
    for (;;) {
        rd_kafka_resp_err_t code = rd_kafka_producev(
            kafka->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(key, key_length), RD_KAFKA_V_VALUE((void *)value, value_length),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
            RD_KAFKA_V_END);
        if (code == RD_KAFKA_RESP_ERR_NO_ERROR)
            return TRUE;
        if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                        "Failed to send a record to Kafka topic '%s' partition %d: %s", topic,
                        partition, rd_kafka_err2str(code));
            return FALSE;
        }
        /* the local queue is full: deliver some (a wait on the broker, bounded by
         * message.timeout.ms) and try again */
        rd_kafka_poll(kafka->producer, 100);
    }
}

static gboolean
kafka_add_batch(DuetSink *sink, gint64 batch_id, GPtrArray *partitions, DuetOutputMode mode,
                GError **error)
{
    Kafka *kafka = duet_sink_get_data(sink);
    g_clear_pointer(&kafka->delivery_error, g_free);
    gboolean ok = TRUE;
    for (guint partition = 0; ok && partition < partitions->len; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint batch_idx = 0; ok && batch_idx < batches->len; batch_idx++) {
            DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
            for (gsize row_idx = 0; ok && row_idx < duet_batch_n_rows(batch); row_idx++) {
                DuetRow row = duet_batch_row(batch, row_idx);
                ok = send_row(kafka, &row, error);
            }
        }
    }
    /* Spark's KafkaWriteTask.close: flush, then report the first failed send; every record
     * of the batch is acknowledged or failed (message.timeout.ms) before this returns */
    rd_kafka_resp_err_t code = rd_kafka_flush(kafka->producer, -1);
    if (ok && code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                    "Kafka: flushing batch %" G_GINT64_FORMAT " failed: %s", batch_id,
                    rd_kafka_err2str(code));
        ok = FALSE;
    }
    if (ok && kafka->delivery_error != NULL) {
        g_set_error_literal(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE, kafka->delivery_error);
        ok = FALSE;
    }
    g_clear_pointer(&kafka->delivery_error, g_free);
    return ok;
}

static const DuetSinkClass kafka_class = {
    .format = "kafka",
    .description = kafka_description,
    .add_batch = kafka_add_batch,
    .finalize = kafka_finalize,
};

/* ---- creation ----------------------------------------------------------------------------- */

/* KafkaWriter.expression: the column named name (exact match) or -1, with Spark's message when
 * its type is not one of wanted (type names as Spark's catalogString). */
static gboolean
find_column(DuetSchema *schema, const char *name, const DuetTypeId *wanted, guint n_wanted,
            gint *column, GError **error)
{
    *column = duet_schema_find(schema, name);
    if (*column < 0)
        return TRUE;
    DuetDataType *type = duet_schema_field(schema, (guint)*column)->type;
    for (guint index = 0; index < n_wanted; index++)
        if (duet_data_type_id(type) == wanted[index])
            return TRUE;
    g_autofree char *actual = duet_data_type_to_string(type);
    GString *names = g_string_new(NULL);
    for (guint index = 0; index < n_wanted; index++) {
        g_autoptr(DuetDataType) want = duet_data_type_new_scalar(wanted[index]);
        g_autofree char *text = duet_data_type_to_string(want);
        g_string_append_printf(names, "%s%s", index ? " or " : "", text);
    }
    g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                "%s attribute unsupported type %s. %s must be a(n) %s", name, actual, name,
                names->str);
    g_string_free(names, TRUE);
    return FALSE;
}

/* KafkaWriter.validateQuery: topic, key, value, headers, partition, in Spark's order; then the
 * timestamp, which Spark checks when the write starts. */
static gboolean
validate_columns(Kafka *kafka, DuetSchema *schema, GError **error)
{
    static const DuetTypeId string_type[] = {DUET_TYPE_STRING};
    static const DuetTypeId bytes_types[] = {DUET_TYPE_STRING, DUET_TYPE_BINARY};
    static const DuetTypeId int_type[] = {DUET_TYPE_INT32};
    static const DuetTypeId time_types[] = {DUET_TYPE_DOUBLE, DUET_TYPE_TIMESTAMP};
    kafka->topic_column = -1;
    if (kafka->topic == NULL) {
        if (!find_column(schema, "topic", string_type, 1, &kafka->topic_column, error))
            return FALSE;
        if (kafka->topic_column < 0) {
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                        "topic option required when no 'topic' attribute is present. Use the "
                        "topic option for setting a topic.");
            return FALSE;
        }
    }
    if (!find_column(schema, "key", bytes_types, 2, &kafka->key_column, error) ||
        !find_column(schema, "value", bytes_types, 2, &kafka->value_column, error))
        return FALSE;
    if (kafka->value_column < 0) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Required attribute 'value' not found");
        return FALSE;
    }
    if (duet_schema_find(schema, "headers") >= 0) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "headers attribute is not supported: duet's Kafka sink writes no headers");
        return FALSE;
    }
    if (!find_column(schema, "partition", int_type, 1, &kafka->partition_column, error) ||
        !find_column(schema, "timestamp", time_types, 2, &kafka->timestamp_column, error))
        return FALSE;
    kafka->timestamp_is_double =
        kafka->timestamp_column >= 0 &&
        duet_data_type_id(duet_schema_field(schema, (guint)kafka->timestamp_column)->type) ==
            DUET_TYPE_DOUBLE;
    return TRUE;
}

/* KafkaSourceProvider.kafkaParamsForProducer's checks. */
static gboolean
validate_options(GHashTable *options, GError **error)
{
    if (duet_kafka_option(options, "kafka.key.serializer")) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Kafka option 'key.serializer' is not supported as keys are serialized with "
                    "ByteArraySerializer.");
        return FALSE;
    }
    if (duet_kafka_option(options, "kafka.value.serializer")) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Kafka option 'value.serializer' is not supported as value are serialized "
                    "with ByteArraySerializer.");
        return FALSE;
    }
    return TRUE;
}

/* The producer: created when the sink is, where Spark's is created by the first write. */
static rd_kafka_t *
new_producer(Kafka *kafka, GHashTable *options, GError **error)
{
    if (!duet_kafka_option(options, "kafka.bootstrap.servers")) {
        /* the Java producer's ConfigException */
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Missing required configuration \"bootstrap.servers\" which has no default "
                    "value.");
        return NULL;
    }
    rd_kafka_conf_t *conf =
        duet_kafka_conf_new(options, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION, error);
    if (conf == NULL)
        return NULL;
    if (!duet_kafka_option(options, "kafka.partitioner") &&
        !duet_kafka_conf_set(conf, "partitioner", "murmur2_random", DUET_SINK_ERROR,
                             DUET_SINK_ERROR_FAILED, error)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, delivered);
    rd_kafka_conf_set_opaque(conf, kafka);
    char reason[512];
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
    if (producer == NULL) {
        rd_kafka_conf_destroy(conf);
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Failed to construct kafka producer: %s", reason);
    }
    return producer;
}

DuetSink *
duet_kafka_sink_new(DuetSchema *schema, GHashTable *options, GError **error)
{
    Kafka *kafka = g_new0(Kafka, 1);
    const char *topic = duet_kafka_option(options, "topic");
    if (topic != NULL)
        kafka->topic = g_strstrip(g_strdup(topic));
    if (!validate_options(options, error) || !validate_columns(kafka, schema, error) ||
        (kafka->producer = new_producer(kafka, options, error)) == NULL) {
        kafka_finalize(kafka);
        return NULL;
    }
    return duet_sink_new_internal(&kafka_class, schema, kafka);
}
