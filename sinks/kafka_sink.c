/* kafka_sink.c — Spark's Kafka sink: every row becomes one Kafka record.
 *
 * Layer: sinks/. Includes rdd/, sinks/ and sources/kafka_client.h (and librdkafka).
 * Reproduces KafkaWriter's column rules and messages: a required "value" column (string or
 * binary), an optional "key" (string or binary), "topic" (string; the "topic" option, when
 * given, wins over it), "partition" (int; null lets the partitioner choose) and "timestamp"
 * (timestamp or double seconds; null is "now") and "headers" (array<struct<key:string,
 * value:binary>>, Spark's headers type; null or empty writes none). Columns are found by exact
 * name, as Spark's writer does. Bad columns fail at creation, as Spark's fail when the query
 * starts. Keys go to partitions by murmur2, the Java client's partitioner, so a key lands where
 * Spark would put it.
 *
 * Delivery: the producer is idempotent (enable.idempotence=true, hence acks=all, as the Java
 * producer defaults to since Kafka 3.0; both may be overridden with kafka.*), so a retry after
 * a lost acknowledgement does not write a record twice. A batch is acknowledged only when
 * every record of it is: add_batch flushes, waits for every delivery report, and fails the
 * batch with the first failure and the broker's reason (the error name and, for a fatal
 * idempotence error, librdkafka's explanation). Like Spark's, the sink is at-least-once across
 * crashes: the batch-id check of sink.c only skips re-runs within one process.
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
    gint headers_column;          /* -1 when absent */
    gboolean timestamp_is_double; /* a double column of seconds rather than a timestamp */
    /* Delivery reports, written by librdkafka's callback during poll/flush on the writing
     * thread (add_batch is serialised by the sink's lock). */
    char *delivery_error; /* the first failure of the batch being written, or NULL */
    gint64 n_delivered;   /* records of the batch being written acknowledged so far */
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
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        kafka->n_delivered++;
        return;
    }
    if (kafka->delivery_error != NULL)
        return;
    /* the broker's reason: the error's name and text, and for a fatal error (an idempotent
     * producer fenced or out of sequence) librdkafka's explanation of the original cause */
    char fatal[512] = "";
    if (message->err == RD_KAFKA_RESP_ERR__FATAL)
        rd_kafka_fatal_error(producer, fatal, sizeof fatal);
    kafka->delivery_error = g_strdup_printf(
        "Failed to send a record to Kafka topic '%s' partition %d: %s (%s)%s%s",
        rd_kafka_topic_name(message->rkt), message->partition, rd_kafka_err2str(message->err),
        rd_kafka_err2name(message->err), *fatal ? ": " : "", fatal);
}

/* A row's headers column as librdkafka headers, or NULL when null or empty. */
static rd_kafka_headers_t *
row_headers(const DuetRow *row, gint column)
{
    if (column < 0 || duet_row_is_null(row, (guint)column))
        return NULL;
    DuetValue list;
    duet_row_get_value(row, (guint)column, &list);
    gsize n_headers = duet_value_list_length(&list);
    if (n_headers == 0)
        return NULL;
    rd_kafka_headers_t *headers = rd_kafka_headers_new(n_headers);
    for (gsize index = 0; index < n_headers; index++) {
        DuetValue element, key, value;
        duet_value_list_get(&list, index, &element);
        if (element.is_null)
            continue;
        duet_value_struct_get(&element, 0, &key);
        duet_value_struct_get(&element, 1, &value);
        /* Kafka's header keys are non-null strings: a null key is written as "" */
        rd_kafka_header_add(
            headers, key.is_null ? "" : key.v.str.data, key.is_null ? 0 : (ssize_t)key.v.str.len,
            value.is_null ? NULL : value.v.str.data, value.is_null ? 0 : (ssize_t)value.v.str.len);
    }
    return headers;
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
        /* producev takes the headers only when it succeeds */
        rd_kafka_headers_t *headers = row_headers(row, kafka->headers_column);
        rd_kafka_resp_err_t code;
        if (headers != NULL)
            code = rd_kafka_producev(
                kafka->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                RD_KAFKA_V_KEY(key, key_length), RD_KAFKA_V_VALUE((void *)value, value_length),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
        else
            code = rd_kafka_producev(
                kafka->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                RD_KAFKA_V_KEY(key, key_length), RD_KAFKA_V_VALUE((void *)value, value_length),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                RD_KAFKA_V_END);
        if (code == RD_KAFKA_RESP_ERR_NO_ERROR)
            return TRUE;
        if (headers != NULL)
            rd_kafka_headers_destroy(headers);
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
    kafka->n_delivered = 0;
    gboolean ok = TRUE;
    gint64 n_sent = 0;
    for (guint partition = 0; ok && partition < partitions->len; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint batch_idx = 0; ok && batch_idx < batches->len; batch_idx++) {
            DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
            for (gsize row_idx = 0; ok && row_idx < duet_batch_n_rows(batch); row_idx++) {
                DuetRow row = duet_batch_row(batch, row_idx);
                ok = send_row(kafka, &row, error);
                n_sent += ok;
            }
        }
    }
    /* Spark's KafkaWriteTask.close: flush, then report the first failed send; every record
     * of the batch is acknowledged or failed (message.timeout.ms) before this returns */
    rd_kafka_resp_err_t code = rd_kafka_flush(kafka->producer, -1);
    if (ok && kafka->delivery_error != NULL) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                    "%s (batch %" G_GINT64_FORMAT " not acknowledged)", kafka->delivery_error,
                    batch_id);
        ok = FALSE;
    }
    if (ok && (code != RD_KAFKA_RESP_ERR_NO_ERROR || kafka->n_delivered != n_sent)) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                    "Kafka: batch %" G_GINT64_FORMAT " not acknowledged: %" G_GINT64_FORMAT
                    " of %" G_GINT64_FORMAT " records delivered (%s; raise "
                    "kafka.message.timeout.ms if the broker is slow)",
                    batch_id, kafka->n_delivered, n_sent, rd_kafka_err2str(code));
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

/* Whether type is Spark's headers type, array<struct<key:string,value:binary>> (nullability
 * aside). */
static gboolean
is_headers_type(DuetDataType *type)
{
    if (duet_data_type_id(type) != DUET_TYPE_ARRAY)
        return FALSE;
    DuetDataType *element = duet_data_type_element(type);
    if (duet_data_type_id(element) != DUET_TYPE_STRUCT)
        return FALSE;
    DuetSchema *fields = duet_data_type_fields(element);
    return duet_schema_n_fields(fields) == 2 &&
           g_str_equal(duet_schema_field(fields, 0)->name, "key") &&
           duet_data_type_id(duet_schema_field(fields, 0)->type) == DUET_TYPE_STRING &&
           g_str_equal(duet_schema_field(fields, 1)->name, "value") &&
           duet_data_type_id(duet_schema_field(fields, 1)->type) == DUET_TYPE_BINARY;
}

/* KafkaWriter's headers expression: the "headers" column, if any, must have Spark's type. */
static gboolean
headers_column(DuetSchema *schema, gint *column, GError **error)
{
    *column = duet_schema_find(schema, "headers");
    if (*column < 0)
        return TRUE;
    DuetDataType *type = duet_schema_field(schema, (guint)*column)->type;
    if (is_headers_type(type))
        return TRUE;
    g_autofree char *actual = duet_data_type_to_string(type);
    g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                "headers attribute unsupported type %s. headers must be a(n) "
                "array<struct<key:string,value:binary>>",
                actual);
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
    if (!headers_column(schema, &kafka->headers_column, error))
        return FALSE;
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
    /* the Java producer's defaults since Kafka 3.0, which Spark's producer inherits; each may
     * be overridden by its kafka.* option */
    const char *defaults[][2] = {
        {"partitioner", "murmur2_random"},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        /* the Java producer bounds its queue by bytes only (buffer.memory); librdkafka's cap
         * of 100000 messages stalls a batch of more rows on every acknowledgement round
         * (tests/bench/kafka_bench measured 2.4x fewer msgs/s with it at 100000-row batches) */
        {"queue.buffering.max.messages", "1000000"},
    };
    for (gsize index = 0; index < G_N_ELEMENTS(defaults); index++) {
        g_autofree char *option = g_strconcat("kafka.", defaults[index][0], NULL);
        if (!duet_kafka_option(options, option) &&
            !duet_kafka_conf_set(conf, defaults[index][0], defaults[index][1], DUET_SINK_ERROR,
                                 DUET_SINK_ERROR_FAILED, error)) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
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
