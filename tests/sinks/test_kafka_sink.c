/* test_kafka_sink.c — tests of sinks/kafka_sink.c against librdkafka's mock cluster on
 * loopback: KafkaWriter's column rules and messages, records written and read back through the
 * Kafka source (sink -> source round trip), the topic option against a topic column, explicit
 * partitions and timestamps, keys partitioned as the Java producer does, a null topic, a record
 * Kafka refuses, and idempotence by batch id within a process. Waits are deadlines on real
 * broker I/O; nothing sleeps. */
#include "tests/common/batch_literal.h"
#include "tests/common/kafka_mock.h"
#include "tests/common/test.h"
#include "sinks/sink.h"
#include "sources/source.h"

static DuetSourceOptions *
options_of(DuetTestKafka *mock, const char *first_key, va_list args)
{
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "kafka.bootstrap.servers",
                            mock ? duet_test_kafka_bootstraps(mock) : "127.0.0.1:1");
    for (const char *key = first_key; key != NULL; key = va_arg(args, const char *))
        duet_source_options_set(options, key, va_arg(args, const char *));
    return options;
}

static DuetSink *
kafka_sink(DuetTestKafka *mock, const char *ddl, GError **error, const char *first_key, ...)
{
    va_list args;
    va_start(args, first_key);
    DuetSourceOptions *options = options_of(mock, first_key, args);
    va_end(args);
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    DuetSink *sink = duet_kafka_sink_new(schema, options, error);
    g_hash_table_unref(options);
    return sink;
}

/* The message of the error making a sink of this schema and options. */
static char *
sink_error(const char *ddl, const char *first_key, ...)
{
    va_list args;
    va_start(args, first_key);
    DuetSourceOptions *options = options_of(NULL, first_key, args);
    va_end(args);
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    GError *error = NULL;
    DuetSink *sink = duet_kafka_sink_new(schema, options, &error);
    g_hash_table_unref(options);
    CU_ASSERT_PTR_NULL(sink);
    if (sink != NULL) {
        duet_sink_unref(sink);
        return g_strdup("(no error)");
    }
    CU_ASSERT_TRUE(g_error_matches(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION));
    char *message = g_strdup(error->message);
    g_error_free(error);
    return message;
}

static gboolean
write_batch(DuetSink *sink, const char *ddl, gint64 batch_id, const char *json, GError **error)
{
    g_autoptr(DuetBatch) rows = duet_test_batch(ddl, json);
    GPtrArray *partitions = duet_sink_partitions_of(rows);
    gboolean ok = duet_sink_add_batch(sink, batch_id, partitions, DUET_OUTPUT_MODE_APPEND, error);
    g_ptr_array_unref(partitions);
    return ok;
}

/* Everything in the topics, read by a Kafka source from the earliest offsets; the latest
 * offset goes to *offsets. */
static char *
read_back(DuetTestKafka *mock, const char *topics, char **offsets)
{
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "kafka.bootstrap.servers", duet_test_kafka_bootstraps(mock));
    duet_source_options_set(options, "subscribe", topics);
    duet_source_options_set(options, "startingOffsets", "earliest");
    GError *error = NULL;
    g_autoptr(DuetSource) source = duet_source_new("kafka", options, NULL, NULL, 1, &error);
    g_hash_table_unref(options);
    ASSERT_NO_ERROR(error);
    char *end = duet_source_latest_offset(source, &error);
    ASSERT_NO_ERROR(error);
    GPtrArray *partitions = duet_source_get_batch(source, NULL, end, &error);
    ASSERT_NO_ERROR(error);
    if (offsets != NULL)
        *offsets = end;
    else
        g_free(end);
    if (partitions == NULL)
        return g_strdup("(error)");
    GPtrArray *all = g_ptr_array_new();
    for (guint partition = 0; partition < partitions->len; partition++)
        g_ptr_array_extend(all, g_ptr_array_index(partitions, partition), NULL, NULL);
    g_autoptr(DuetBatch) batch = duet_batch_concat(duet_source_schema(source),
                                                   (DuetBatch *const *)all->pdata, all->len, NULL);
    g_ptr_array_unref(all);
    g_ptr_array_unref(partitions);
    return duet_test_render(batch);
}

static void
test_kafka_sink_errors(void)
{
    struct {
        const char *ddl;
        const char *option;
        const char *value;
        const char *message;
    } cases[] = {
        {"key STRING", "topic", "t", "Required attribute 'value' not found"},
        {"value INT", "topic", "t",
         "value attribute unsupported type int. value must be a(n) string or binary"},
        {"key BIGINT, value STRING", "topic", "t",
         "key attribute unsupported type bigint. key must be a(n) string or binary"},
        {"value STRING", NULL, NULL,
         "topic option required when no 'topic' attribute is present. Use the topic option for "
         "setting a topic."},
        {"topic INT, value STRING", NULL, NULL,
         "topic attribute unsupported type int. topic must be a(n) string"},
        {"value STRING, partition STRING", "topic", "t",
         "partition attribute unsupported type string. partition must be a(n) int"},
        {"value STRING, timestamp STRING", "topic", "t",
         "timestamp attribute unsupported type string. timestamp must be a(n) double or "
         "timestamp"},
        {"value STRING", "kafka.key.serializer", "x",
         "Kafka option 'key.serializer' is not supported as keys are serialized with "
         "ByteArraySerializer."},
        {"value STRING", "kafka.value.serializer", "x",
         "Kafka option 'value.serializer' is not supported as value are serialized with "
         "ByteArraySerializer."},
        {"value STRING", "kafka.message.max.bytes", "huge",
         "Invalid value 'huge' for Kafka option 'kafka.message.max.bytes': Invalid value for "
         "configuration property \"message.max.bytes\""},
    };
    for (gsize index = 0; index < G_N_ELEMENTS(cases); index++) {
        g_autofree char *message = cases[index].option
                                       ? sink_error(cases[index].ddl, "topic", "t",
                                                    cases[index].option, cases[index].value, NULL)
                                       : sink_error(cases[index].ddl, NULL);
        ASSERT_STR_EQ(message, cases[index].message);
    }
    g_autofree char *topicless = sink_error("value STRING", NULL);
    ASSERT_STR_EQ(topicless, "topic option required when no 'topic' attribute is present. Use "
                             "the topic option for setting a topic.");
    /* no bootstrap servers */
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "topic", "t");
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_kafka_sink_new(schema, options, &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION);
    ASSERT_STR_EQ(error->message,
                  "Missing required configuration \"bootstrap.servers\" which has no default "
                  "value.");
    g_clear_error(&error);
    g_hash_table_unref(options);
}

/* Written with the topic option, read back by the source: keys, values and nulls exactly, one
 * record per row, a re-run batch id not written twice. */
static void
test_kafka_sink_round_trip(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "out", 1);
    GError *error = NULL;
    const char *ddl = "key STRING, value STRING, timestamp TIMESTAMP";
    g_autoptr(DuetSink) sink = kafka_sink(mock, ddl, &error, "TOPIC", " out ", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *description = duet_sink_description(sink);
    ASSERT_STR_EQ(description, "KafkaSink");
    CU_ASSERT_TRUE(write_batch(sink, ddl, 0,
                               "[[\"a\", \"1\", 1000000], "
                               "[null, \"2\", 2500000], "
                               "[\"c\", null, 3000000]]",
                               &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *offsets = NULL;
    g_autofree char *rows = read_back(mock, "out", &offsets);
    ASSERT_STR_EQ(offsets, "{\"out\":{\"0\":3}}");
    ASSERT_STR_EQ(rows, "[([61],[31],out,0,0,1970-01-01 00:00:01.0,0), "
                        "(null,[32],out,0,1,1970-01-01 00:00:02.5,0), "
                        "([63],null,out,0,2,1970-01-01 00:00:03.0,0)]");
    /* batch 0 again: already committed, nothing written */
    CU_ASSERT_TRUE(write_batch(sink, ddl, 0, "[[\"x\", \"9\", null]]", &error));
    CU_ASSERT_TRUE(write_batch(sink, ddl, 1, "[[\"d\", \"4\", 4000000]]", &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *after = NULL;
    g_autofree char *all = read_back(mock, "out", &after);
    ASSERT_STR_EQ(after, "{\"out\":{\"0\":4}}");
    ASSERT_STR_EQ(all, "[([61],[31],out,0,0,1970-01-01 00:00:01.0,0), "
                       "(null,[32],out,0,1,1970-01-01 00:00:02.5,0), "
                       "([63],null,out,0,2,1970-01-01 00:00:03.0,0), "
                       "([64],[34],out,0,3,1970-01-01 00:00:04.0,0)]");
    ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), 1);
}

/* A topic column and a partition column route each row; binary values and double-second
 * timestamps; the topic option wins over a topic column. */
static void
test_kafka_sink_topic_and_partition_columns(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "x", 2);
    duet_test_kafka_create_topic(mock, "y", 1);
    GError *error = NULL;
    const char *ddl = "topic STRING, partition INT, value BINARY, timestamp DOUBLE";
    g_autoptr(DuetSink) sink = kafka_sink(mock, ddl, &error, NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(write_batch(sink, ddl, 0,
                               "[[\"x\", 1, \"p\", 1.5], [\"y\", 0, \"q\", 2.0], "
                               "[\"x\", 0, \"r\", 3.25], [\"x\", 1, \"s\", 4.0]]",
                               &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *offsets = NULL;
    g_autofree char *rows = read_back(mock, "x,y", &offsets);
    ASSERT_STR_EQ(offsets, "{\"x\":{\"0\":1,\"1\":2},\"y\":{\"0\":1}}");
    ASSERT_STR_EQ(rows, "[(null,[72],x,0,0,1970-01-01 00:00:03.25,0), "
                        "(null,[70],x,1,0,1970-01-01 00:00:01.5,0), "
                        "(null,[73],x,1,1,1970-01-01 00:00:04.0,0), "
                        "(null,[71],y,0,0,1970-01-01 00:00:02.0,0)]");

    g_autoptr(DuetSink) forced =
        kafka_sink(mock, "topic STRING, value STRING", &error, "topic", "y", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(
        write_batch(forced, "topic STRING, value STRING", 0, "[[\"x\", \"z\"]]", &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *y_offsets = NULL;
    g_autofree char *y_rows = read_back(mock, "y", &y_offsets);
    ASSERT_STR_EQ(y_offsets, "{\"y\":{\"0\":2}}");
}

/* A null topic fails the batch with Spark's message; so does a record Kafka refuses (a
 * partition the topic does not have), once the batch is flushed. */
static void
test_kafka_sink_write_errors(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "e", 1);
    GError *error = NULL;
    const char *ddl = "topic STRING, value STRING";
    g_autoptr(DuetSink) sink = kafka_sink(mock, ddl, &error, NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FALSE(write_batch(sink, ddl, 0, "[[\"e\", \"1\"], [null, \"2\"]]", &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
    ASSERT_STR_EQ(error->message, "null topic present in the data. Use the topic option for "
                                  "setting a default topic.");
    g_clear_error(&error);
    ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), -1);

    g_autoptr(DuetSink) partitioned =
        kafka_sink(mock, "partition INT, value STRING", &error, "topic", "e",
                   "kafka.message.timeout.ms", "5000", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FALSE(
        write_batch(partitioned, "partition INT, value STRING", 0, "[[7, \"v\"]]", &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
    ASSERT_STR_EQ(
        error->message,
        "Failed to send a record to Kafka topic 'e' partition 7: Local: Unknown partition "
        "(_UNKNOWN_PARTITION) (batch 0 not acknowledged)");
    g_clear_error(&error);
    ASSERT_INT_EQ(duet_sink_latest_batch_id(partitioned), -1);
}

/* A record the broker refuses fails its batch with the broker's reason; the batch is not
 * acknowledged, and the next batch (the broker willing again) is. Only on the mock cluster,
 * which can be told to refuse. */
static void
test_kafka_sink_broker_refusal(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "refused", 1);
    GError *error = NULL;
    const char *ddl = "value STRING";
    g_autoptr(DuetSink) sink = kafka_sink(mock, ddl, &error, "topic", "refused", NULL);
    ASSERT_NO_ERROR(error);
    /* a first batch, so the idempotent producer has its id before the broker turns */
    CU_ASSERT_TRUE(write_batch(sink, ddl, 0, "[\"ok\"]", &error));
    ASSERT_NO_ERROR(error);
    if (!duet_test_kafka_fail_produce(mock, 87 /* INVALID_RECORD */, 1))
        return; /* a real broker cannot be told to refuse */
    CU_ASSERT_FALSE(write_batch(sink, ddl, 1, "[\"no\"]", &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
    ASSERT_STR_EQ(error->message, "Failed to send a record to Kafka topic 'refused' partition 0: "
                                  "Broker: Broker failed to validate record "
                                  "(INVALID_RECORD) (batch 1 not acknowledged)");
    g_clear_error(&error);
    ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), 0);
    CU_ASSERT_TRUE(write_batch(sink, ddl, 1, "[\"again\"]", &error));
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), 1);
    g_autofree char *rows = read_back(mock, "refused", NULL);
    CU_ASSERT_TRUE(strstr(rows, "[6F 6B]") != NULL);
    CU_ASSERT_TRUE(strstr(rows, "[61 67 61 69 6E]") != NULL);
    CU_ASSERT_TRUE(strstr(rows, "[6E 6F]") == NULL);
}

/* Headers written from Spark's headers column and read back by the source with
 * includeHeaders: names, values, null values and order exactly; null or empty headers write
 * none. A headers column of another type is Spark's error. The producer is idempotent by
 * default: acks other than all are refused unless idempotence is turned off. */
static void
test_kafka_sink_headers_and_idempotence(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "hdr", 1);
    GError *error = NULL;
    const char *ddl = "value STRING, headers ARRAY<STRUCT<key: STRING, value: BINARY>>";
    g_autoptr(DuetSink) sink = kafka_sink(mock, ddl, &error, "topic", "hdr", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(write_batch(sink, ddl, 0,
                               "[[\"a\", [[\"k1\", \"v1\"], [\"k2\", null], [\"k1\", \"v3\"]]], "
                               "[\"b\", null], [\"c\", []]]",
                               &error));
    ASSERT_NO_ERROR(error);
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "kafka.bootstrap.servers", duet_test_kafka_bootstraps(mock));
    duet_source_options_set(options, "subscribe", "hdr");
    duet_source_options_set(options, "includeHeaders", "true");
    g_autoptr(DuetSchema) schema = NULL;
    GPtrArray *partitions = duet_kafka_read_range(options, &schema, NULL, NULL, &error);
    g_hash_table_unref(options);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(partitions);
    ASSERT_INT_EQ(partitions->len, 1);
    GPtrArray *batches = g_ptr_array_index(partitions, 0);
    g_autofree char *rows = duet_test_render(g_ptr_array_index(batches, 0));
    g_ptr_array_unref(partitions);
    CU_ASSERT_TRUE(strstr(rows, ",CompactBuffer((k1,[76 31]), (k2,null), (k1,[76 33])))") != NULL);
    CU_ASSERT_TRUE(g_str_has_suffix(rows, "0,null), (null,[63],hdr,0,2,") ||
                   strstr(rows, ",0,null), (null,[63],hdr,0,2,") != NULL);
    CU_ASSERT_TRUE(g_str_has_suffix(rows, ",0,null)]"));

    g_autofree char *typed = sink_error("value STRING, headers ARRAY<STRING>", "topic", "t", NULL);
    ASSERT_STR_EQ(typed, "headers attribute unsupported type array<string>. headers must be a(n) "
                         "array<struct<key:string,value:binary>>");
    g_autofree char *acks = sink_error("value STRING", "topic", "t", "kafka.acks", "1", NULL);
    CU_ASSERT_TRUE(g_str_has_prefix(acks, "Failed to construct kafka producer: "));
    CU_ASSERT_TRUE(strstr(acks, "idempotence") != NULL);
    g_autoptr(DuetSink) plain =
        kafka_sink(mock, "value STRING", &error, "topic", "hdr", "kafka.acks", "1",
                   "kafka.enable.idempotence", "false", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL(plain);
}

/* Keys go where the Java producer would put them: murmur2(key) & 0x7fffffff modulo the
 * partition count (values computed from Kafka's Utils.murmur2). */
static void
test_kafka_sink_key_partitioning(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "keyed", 4);
    GError *error = NULL;
    const char *ddl = "key STRING, value STRING";
    g_autoptr(DuetSink) sink = kafka_sink(mock, ddl, &error, "topic", "keyed", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(write_batch(sink, ddl, 0,
                               "[[\"a\", \"1\"], [\"c\", \"2\"], [\"d\", \"3\"], "
                               "[\"key2\", \"4\"], [\"b\", \"5\"]]",
                               &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *offsets = NULL;
    g_autofree char *rows = read_back(mock, "keyed", &offsets);
    /* a -> 0, b -> 0, c -> 2, d -> 1, key2 -> 3 */
    ASSERT_STR_EQ(offsets, "{\"keyed\":{\"0\":2,\"1\":1,\"2\":1,\"3\":1}}");
    CU_ASSERT_TRUE(strstr(rows, "([61],[31],keyed,0,0,") != NULL);
    CU_ASSERT_TRUE(strstr(rows, "([62],[35],keyed,0,1,") != NULL);
    CU_ASSERT_TRUE(strstr(rows, "([64],[33],keyed,1,0,") != NULL);
    CU_ASSERT_TRUE(strstr(rows, "([63],[32],keyed,2,0,") != NULL);
    CU_ASSERT_TRUE(strstr(rows, "([6B 65 79 32],[34],keyed,3,0,") != NULL);
}

DUET_TEST_MAIN("kafka_sink", DUET_TEST(test_kafka_sink_errors),
               DUET_TEST(test_kafka_sink_round_trip),
               DUET_TEST(test_kafka_sink_topic_and_partition_columns),
               DUET_TEST(test_kafka_sink_key_partitioning), DUET_TEST(test_kafka_sink_write_errors),
               DUET_TEST(test_kafka_sink_broker_refusal),
               DUET_TEST(test_kafka_sink_headers_and_idempotence))
