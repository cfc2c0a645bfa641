/* test_kafka_input.c — tests of dstream/kafka_input.c (KafkaUtils.createDirectStream) on
 * librdkafka's mock cluster and the manual clock: the exact records of each batch, one RDD
 * partition per Kafka partition, HasOffsetRanges, commitAsync after the batch's jobs,
 * maxRatePerPartition, empty batches, many partitions, and the strategy errors. Records are
 * flushed to the broker before the clock reaches the batch; nothing sleeps. */
#include "tests/common/batch_literal.h"
#include "tests/common/kafka_mock.h"
#include "tests/common/test.h"
#include "dstream/kafka_input.h"
#include "sources/source.h"

#define BATCH_MS 1000

typedef struct {
    DuetTestKafka *mock;
    DuetContext *spark;
    DuetClock *clock;
    DuetStreamingContext *ssc;
    DuetDStream *stream;
    GPtrArray *outputs; /* per batch: "records / ranges" */
    gboolean commit;    /* commitAsync every batch's ranges */
    guint commits;      /* commit callbacks seen */
} Harness;

static void
harness_init(Harness *harness, const char *max_rate)
{
    memset(harness, 0, sizeof *harness);
    GError *error = NULL;
    harness->mock = duet_test_kafka_new();
    harness->spark = duet_context_new("local[2]", &error);
    ASSERT_NO_ERROR(error);
    if (max_rate != NULL)
        duet_context_set_conf(harness->spark, "spark.streaming.kafka.maxRatePerPartition",
                              max_rate);
    harness->clock = duet_clock_new_manual(0);
    duet_context_set_clock(harness->spark, harness->clock);
    harness->ssc = duet_streaming_context_new(harness->spark, BATCH_MS, &error);
    ASSERT_NO_ERROR(error);
    harness->outputs = g_ptr_array_new_with_free_func(g_free);
}

static void
harness_clear(Harness *harness)
{
    duet_streaming_context_stop(harness->ssc, FALSE);
    if (harness->stream)
        duet_dstream_unref(harness->stream);
    duet_streaming_context_unref(harness->ssc);
    duet_clock_unref(harness->clock);
    duet_context_unref(harness->spark);
    g_ptr_array_unref(harness->outputs);
    duet_test_kafka_free(harness->mock);
}

static char *
render_ranges(GArray *ranges)
{
    GString *text = g_string_new(NULL);
    for (guint index = 0; ranges && index < ranges->len; index++) {
        const DuetOffsetRange *range = &g_array_index(ranges, DuetOffsetRange, index);
        g_string_append_printf(text, "%s%s-%d:[%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ")",
                               index ? " " : "", range->topic, range->partition, range->from_offset,
                               range->until_offset);
    }
    return g_string_free(text, FALSE);
}

static void
committed(const char *offsets_json, const GError *error, gpointer user_data)
{
    Harness *harness = user_data;
    CU_ASSERT_PTR_NULL(error);
    harness->commits++;
}

/* Each batch: its records partition by partition, and its offset ranges. */
static gboolean
collect(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    Harness *harness = user_data;
    g_autofree char *records = duet_test_render_partitions(rdd);
    g_autoptr(GArray) ranges = duet_kafka_direct_stream_offset_ranges(harness->stream, time_ms);
    CU_ASSERT_PTR_NOT_NULL(ranges);
    if (ranges != NULL)
        ASSERT_INT_EQ(duet_rdd_n_partitions(rdd), ranges->len);
    g_autofree char *text = render_ranges(ranges);
    g_ptr_array_add(harness->outputs, g_strdup_printf("%s %s", records, text));
    if (harness->commit && ranges != NULL)
        duet_kafka_direct_stream_commit_async(harness->stream, ranges, committed, harness);
    return TRUE;
}

static GHashTable *
params_of(Harness *harness, const char *reset)
{
    GHashTable *params = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(params, "bootstrap.servers",
                        (gpointer)duet_test_kafka_bootstraps(harness->mock));
    g_hash_table_insert(params, "group.id", "duet-test");
    g_hash_table_insert(params, "key.deserializer",
                        "org.apache.kafka.common.serialization.StringDeserializer");
    if (reset != NULL)
        g_hash_table_insert(params, "auto.offset.reset", (gpointer)reset);
    return params;
}

static void
harness_stream(Harness *harness, DuetKafkaStrategyKind kind, const char *topics, const char *reset,
               const char *offsets)
{
    GHashTable *params = params_of(harness, reset);
    DuetKafkaConsumerStrategy strategy = {kind, topics, params, offsets};
    GError *error = NULL;
    harness->stream = duet_kafka_utils_create_direct_stream(harness->ssc, &strategy, &error);
    g_hash_table_unref(params);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(harness->stream);
    duet_dstream_foreach_rdd(harness->stream, collect, harness);
}

static void
harness_start(Harness *harness)
{
    GError *error = NULL;
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(harness->ssc, &error));
    ASSERT_NO_ERROR(error);
}

/* Runs the batch at batch * BATCH_MS and returns its output line. */
static const char *
run_batch(Harness *harness, gint64 batch)
{
    duet_clock_set_ms(harness->clock, batch * BATCH_MS);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(harness->ssc, batch * BATCH_MS, 60000));
    if (harness->outputs->len == 0)
        return "(no output)";
    return g_ptr_array_index(harness->outputs, harness->outputs->len - 1);
}

static void
produce(Harness *harness, const char *topic, gint32 partition, const char *key, const char *value)
{
    duet_test_kafka_produce(harness->mock, topic, partition, key, value, 1000);
}

static void
flush(Harness *harness)
{
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(harness->mock));
}

/* auto.offset.reset=latest (the default): records sent before start are not read; each batch
 * reads what arrived since the previous one, one RDD partition per Kafka partition. */
static void
test_latest_exact_records(void)
{
    Harness harness;
    harness_init(&harness, NULL);
    duet_test_kafka_create_topic(harness.mock, "words", 2);
    produce(&harness, "words", 0, "k0", "before");
    flush(&harness);
    harness_stream(&harness, DUET_KAFKA_SUBSCRIBE, "words", NULL, NULL);
    harness_start(&harness);
    produce(&harness, "words", 0, "a", "1");
    produce(&harness, "words", 0, NULL, "2");
    produce(&harness, "words", 1, "b", NULL);
    flush(&harness);
    ASSERT_STR_EQ(run_batch(&harness, 1),
                  "[[(a,1), (null,2)], [(b,null)]] words-0:[1,3) words-1:[0,1)");
    produce(&harness, "words", 1, "c", "3");
    flush(&harness);
    ASSERT_STR_EQ(run_batch(&harness, 2), "[[], [(c,3)]] words-0:[3,3) words-1:[1,2)");
    ASSERT_STR_EQ(run_batch(&harness, 3), "[[], []] words-0:[3,3) words-1:[2,2)");
    g_autoptr(GArray) infos = duet_streaming_context_batch_infos(harness.ssc);
    ASSERT_INT_EQ(infos->len, 3);
    ASSERT_INT_EQ(g_array_index(infos, DuetBatchInfo, 0).num_records, 3);
    ASSERT_INT_EQ(g_array_index(infos, DuetBatchInfo, 1).num_records, 1);
    ASSERT_INT_EQ(g_array_index(infos, DuetBatchInfo, 2).num_records, 0);
    harness_clear(&harness);
}

/* earliest: the first batch reads everything already in the topic. */
static void
test_earliest(void)
{
    Harness harness;
    harness_init(&harness, NULL);
    duet_test_kafka_create_topic(harness.mock, "t", 2);
    produce(&harness, "t", 0, "a", "1");
    produce(&harness, "t", 1, "b", "2");
    produce(&harness, "t", 1, "c", "3");
    flush(&harness);
    harness_stream(&harness, DUET_KAFKA_SUBSCRIBE, "t", "earliest", NULL);
    harness_start(&harness);
    ASSERT_STR_EQ(run_batch(&harness, 1), "[[(a,1)], [(b,2), (c,3)]] t-0:[0,1) t-1:[0,2)");
    produce(&harness, "t", 0, "d", "4");
    flush(&harness);
    ASSERT_STR_EQ(run_batch(&harness, 2), "[[(d,4)], []] t-0:[1,2) t-1:[2,2)");
    harness_clear(&harness);
}

/* Starting offsets given as JSON, and the Assign strategy. */
static void
test_assign_with_offsets(void)
{
    Harness harness;
    harness_init(&harness, NULL);
    duet_test_kafka_create_topic(harness.mock, "t", 3);
    for (int index = 0; index < 4; index++) {
        char value[8];
        g_snprintf(value, sizeof value, "v%d", index);
        produce(&harness, "t", 0, NULL, value);
        produce(&harness, "t", 2, NULL, value);
    }
    flush(&harness);
    harness_stream(&harness, DUET_KAFKA_ASSIGN, "{\"t\":[0,2]}", NULL, "{\"t\":{\"0\":3,\"2\":1}}");
    harness_start(&harness);
    ASSERT_STR_EQ(run_batch(&harness, 1),
                  "[[(null,v3)], [(null,v1), (null,v2), (null,v3)]] t-0:[3,4) t-2:[1,4)");
    harness_clear(&harness);
}

/* maxRatePerPartition × batch seconds caps every partition's range; the backlog is read over
 * the following batches, in order, with and without a known start. */
static void
test_max_rate_per_partition(void)
{
    for (int earliest = 0; earliest <= 1; earliest++) {
        Harness harness;
        harness_init(&harness, "2");
        duet_test_kafka_create_topic(harness.mock, "t", 2);
        harness_stream(&harness, DUET_KAFKA_SUBSCRIBE, "t", earliest ? "earliest" : "latest", NULL);
        if (!earliest)
            harness_start(&harness);
        for (int index = 0; index < 5; index++) {
            char value[8];
            g_snprintf(value, sizeof value, "%d", index);
            produce(&harness, "t", 0, NULL, value);
        }
        produce(&harness, "t", 1, NULL, "x");
        flush(&harness);
        if (earliest)
            harness_start(&harness);
        ASSERT_STR_EQ(run_batch(&harness, 1), "[[(null,0), (null,1)], [(null,x)]] t-0:[0,2) "
                                              "t-1:[0,1)");
        ASSERT_STR_EQ(run_batch(&harness, 2), "[[(null,2), (null,3)], []] t-0:[2,4) t-1:[1,1)");
        ASSERT_STR_EQ(run_batch(&harness, 3), "[[(null,4)], []] t-0:[4,5) t-1:[1,1)");
        ASSERT_STR_EQ(run_batch(&harness, 4), "[[], []] t-0:[5,5) t-1:[1,1)");
        harness_clear(&harness);
    }
}

/* A fractional rate: 1 record per second and 500 ms batches still read one record per batch
 * (Spark's minRatePerPartition). */
static void
test_min_rate(void)
{
    Harness harness;
    memset(&harness, 0, sizeof harness);
    harness_init(&harness, "1");
    duet_streaming_context_unref(harness.ssc);
    GError *error = NULL;
    harness.ssc = duet_streaming_context_new(harness.spark, BATCH_MS / 2, &error);
    duet_test_kafka_create_topic(harness.mock, "t", 1);
    harness_stream(&harness, DUET_KAFKA_SUBSCRIBE, "t", "earliest", NULL);
    produce(&harness, "t", 0, NULL, "a");
    produce(&harness, "t", 0, NULL, "b");
    flush(&harness);
    harness_start(&harness);
    duet_clock_set_ms(harness.clock, 500);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(harness.ssc, 500, 60000));
    duet_clock_set_ms(harness.clock, 1000);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(harness.ssc, 1000, 60000));
    ASSERT_INT_EQ(harness.outputs->len, 2);
    ASSERT_STR_EQ(g_ptr_array_index(harness.outputs, 0), "[[(null,a)]] t-0:[0,1)");
    ASSERT_STR_EQ(g_ptr_array_index(harness.outputs, 1), "[[(null,b)]] t-0:[1,2)");
    harness_clear(&harness);
}

/* A topic that does not exist yet gives empty batches (no partitions), then its records. */
static void
test_empty_batches(void)
{
    Harness harness;
    harness_init(&harness, NULL);
    harness_stream(&harness, DUET_KAFKA_SUBSCRIBE_PATTERN, "lat.*", "earliest", NULL);
    harness_start(&harness);
    ASSERT_STR_EQ(run_batch(&harness, 1), "[] ");
    ASSERT_STR_EQ(run_batch(&harness, 2), "[] ");
    duet_test_kafka_create_topic(harness.mock, "later", 1);
    produce(&harness, "later", 0, "k", "v");
    flush(&harness);
    ASSERT_STR_EQ(run_batch(&harness, 3), "[[(k,v)]] later-0:[0,1)");
    ASSERT_STR_EQ(run_batch(&harness, 4), "[[]] later-0:[1,1)");
    harness_clear(&harness);
}

/* 16 partitions: one RDD partition each, in partition order. */
static void
test_many_partitions(void)
{
    Harness harness;
    harness_init(&harness, NULL);
    duet_test_kafka_create_topic(harness.mock, "many", 16);
    harness_stream(&harness, DUET_KAFKA_SUBSCRIBE, "many", "earliest", NULL);
    GString *expected_records = g_string_new("[");
    GString *expected_ranges = g_string_new(NULL);
    for (gint32 partition = 0; partition < 16; partition++) {
        char value[8];
        g_snprintf(value, sizeof value, "p%d", partition);
        for (gint32 copy = 0; copy <= partition % 3; copy++)
            produce(&harness, "many", partition, NULL, value);
        g_string_append_printf(expected_records, "%s[", partition ? ", " : "");
        for (gint32 copy = 0; copy <= partition % 3; copy++)
            g_string_append_printf(expected_records, "%s(null,%s)", copy ? ", " : "", value);
        g_string_append(expected_records, "]");
        g_string_append_printf(expected_ranges, "%smany-%d:[0,%d)", partition ? " " : "", partition,
                               partition % 3 + 1);
    }
    g_string_append(expected_records, "]");
    flush(&harness);
    harness_start(&harness);
    g_autofree char *expected =
        g_strdup_printf("%s %s", expected_records->str, expected_ranges->str);
    ASSERT_STR_EQ(run_batch(&harness, 1), expected);
    g_string_free(expected_records, TRUE);
    g_string_free(expected_ranges, TRUE);
    harness_clear(&harness);
}

/* commitAsync: the ranges of a batch are committed once its jobs are done, a partition keeping
 * its highest offset. */
static void
test_commit_async(void)
{
    Harness harness;
    harness_init(&harness, NULL);
    harness.commit = TRUE;
    duet_test_kafka_create_topic(harness.mock, "t", 2);
    harness_stream(&harness, DUET_KAFKA_SUBSCRIBE, "t", "earliest", NULL);
    produce(&harness, "t", 0, NULL, "a");
    flush(&harness);
    harness_start(&harness);
    CU_ASSERT_PTR_NULL(duet_kafka_direct_stream_committed(harness.stream));
    run_batch(&harness, 1);
    g_autofree char *first = duet_kafka_direct_stream_committed(harness.stream);
    ASSERT_STR_EQ(first, "{\"t\":{\"0\":1,\"1\":0}}");
    produce(&harness, "t", 1, NULL, "b");
    produce(&harness, "t", 1, NULL, "c");
    flush(&harness);
    run_batch(&harness, 2);
    g_autofree char *second = duet_kafka_direct_stream_committed(harness.stream);
    ASSERT_STR_EQ(second, "{\"t\":{\"0\":1,\"1\":2}}");
    ASSERT_INT_EQ(harness.commits, 2);
    harness_clear(&harness);
}

/* Stateful word count over Kafka: the stream composes with the pair operations. */
static void
pair_count(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

static void
value_to_one(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len;
    const char *value = duet_row_get_string(row, 1, &len);
    duet_batch_builder_append_string(out, 0, value, (gssize)len);
    duet_batch_builder_append_int64(out, 1, 1);
}

static gboolean
collect_sorted(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    GPtrArray *outputs = user_data;
    g_ptr_array_add(outputs, duet_test_render_rdd_sorted(rdd));
    return TRUE;
}

static void
test_word_count(void)
{
    Harness harness;
    harness_init(&harness, NULL);
    duet_test_kafka_create_topic(harness.mock, "t", 3);
    harness_stream(&harness, DUET_KAFKA_SUBSCRIBE, "t", "earliest", NULL);
    g_autoptr(DuetSchema) schema = duet_schema_parse("word STRING, n BIGINT", NULL);
    g_autoptr(DuetDStream) pairs = duet_dstream_map(harness.stream, schema, value_to_one, NULL);
    GError *error = NULL;
    g_autoptr(DuetDStream) counts = duet_dstream_reduce_by_key(pairs, pair_count, NULL, 2, &error);
    ASSERT_NO_ERROR(error);
    GPtrArray *outputs = g_ptr_array_new_with_free_func(g_free);
    duet_dstream_foreach_rdd(counts, collect_sorted, outputs);
    const char *words[] = {"a", "b", "a", "c", "a", "b"};
    for (guint index = 0; index < G_N_ELEMENTS(words); index++)
        produce(&harness, "t", (gint32)(index % 3), NULL, words[index]);
    flush(&harness);
    harness_start(&harness);
    run_batch(&harness, 1);
    ASSERT_INT_EQ(outputs->len, 1);
    ASSERT_STR_EQ(g_ptr_array_index(outputs, 0), "[(a,3), (b,2), (c,1)]");
    harness_clear(&harness);
    g_ptr_array_unref(outputs);
}

static void
test_strategy_errors(void)
{
    Harness harness;
    harness_init(&harness, NULL);
    GError *error = NULL;
    GHashTable *params = params_of(&harness, "sometimes");
    DuetKafkaConsumerStrategy strategy = {DUET_KAFKA_SUBSCRIBE, "t", params, NULL};
    CU_ASSERT_PTR_NULL(duet_kafka_utils_create_direct_stream(harness.ssc, &strategy, &error));
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID);
    ASSERT_STR_EQ(error->message, "Invalid value sometimes for configuration auto.offset.reset: "
                                  "String must be one of: latest, earliest, none");
    g_clear_error(&error);
    g_hash_table_unref(params);
    /* no bootstrap servers: the Kafka source's message */
    DuetKafkaConsumerStrategy bare = {DUET_KAFKA_SUBSCRIBE, "t", NULL, NULL};
    CU_ASSERT_PTR_NULL(duet_kafka_utils_create_direct_stream(harness.ssc, &bare, &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);
    ASSERT_STR_EQ(error->message, "Option 'kafka.bootstrap.servers' must be specified for "
                                  "configuring Kafka consumer");
    g_clear_error(&error);
    DuetKafkaConsumerStrategy bad_offsets = {DUET_KAFKA_SUBSCRIBE, "t", NULL, "{\"t\":3}"};
    CU_ASSERT_PTR_NULL(duet_kafka_utils_create_direct_stream(harness.ssc, &bad_offsets, &error));
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID);
    g_clear_error(&error);
    harness_clear(&harness);
}

DUET_TEST_MAIN("kafka_input", DUET_TEST(test_latest_exact_records), DUET_TEST(test_earliest),
               DUET_TEST(test_assign_with_offsets), DUET_TEST(test_max_rate_per_partition),
               DUET_TEST(test_min_rate), DUET_TEST(test_empty_batches),
               DUET_TEST(test_many_partitions), DUET_TEST(test_commit_async),
               DUET_TEST(test_word_count), DUET_TEST(test_strategy_errors))
