/* test_available_now_target.c — the sources' side of Trigger.AvailableNow and Trigger.Once:
 * duet_source_available_now fixes the data available now as a target that rate-limited latest
 * offsets step towards and never pass, however much data arrives later (Spark's
 * prepareForTriggerAvailableNow); lifting it lets them go on; duet_source_latest_offset_all
 * ignores the rate limit (Spark's ReadLimit.allAvailable()). Kafka (mock cluster) and files. */
#include "tests/common/kafka_mock.h"
#include "tests/common/test.h"
#include "sources/source.h"

#include <time.h>
#include <utime.h>

static char *
latest(DuetSource *source)
{
    GError *error = NULL;
    char *offset = duet_source_latest_offset(source, &error);
    ASSERT_NO_ERROR(error);
    return offset;
}

#define ASSERT_LATEST(source, expected)                                                            \
    do {                                                                                           \
        g_autofree char *offset_ = latest(source);                                                 \
        ASSERT_STR_EQ(offset_, expected);                                                          \
    } while (0)

static void
produce(DuetTestKafka *kafka, const char *topic, int from, int n)
{
    for (int i = from; i < from + n; i++) {
        g_autofree char *value = g_strdup_printf("v%d", i);
        duet_test_kafka_produce(kafka, topic, 0, NULL, value, 1000 + i);
    }
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(kafka));
}

/* 10 records, maxOffsetsPerTrigger=4, the target fixed, 5 more produced: 4, 8, 10, 10; lifted:
 * 14; everything: 15. */
static void
test_kafka_target(void)
{
    g_autoptr(DuetTestKafka) kafka = duet_test_kafka_new();
    duet_test_kafka_create_topic(kafka, "target", 1);
    produce(kafka, "target", 0, 10);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "kafka.bootstrap.servers", duet_test_kafka_bootstraps(kafka));
    duet_source_options_set(options, "subscribe", "target");
    duet_source_options_set(options, "startingOffsets", "earliest");
    duet_source_options_set(options, "maxOffsetsPerTrigger", "4");
    GError *error = NULL;
    g_autoptr(DuetSource) source = duet_source_new("kafka", options, NULL, clock, 2, &error);
    g_hash_table_unref(options);
    ASSERT_NO_ERROR(error);
    gboolean supported = FALSE;
    CU_ASSERT_TRUE(duet_source_available_now(source, TRUE, &supported, &error));
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(supported);
    produce(kafka, "target", 10, 5);
    ASSERT_LATEST(source, "{\"target\":{\"0\":4}}");
    ASSERT_LATEST(source, "{\"target\":{\"0\":8}}");
    ASSERT_LATEST(source, "{\"target\":{\"0\":10}}");
    ASSERT_LATEST(source, "{\"target\":{\"0\":10}}");
    CU_ASSERT_TRUE(duet_source_available_now(source, FALSE, NULL, NULL));
    ASSERT_LATEST(source, "{\"target\":{\"0\":14}}");
    g_autofree char *all = duet_source_latest_offset_all(source, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(all, "{\"target\":{\"0\":15}}");
}

static void
write_file(const char *directory, int i)
{
    g_autofree char *name = g_strdup_printf("%s/in-%d.txt", directory, i);
    g_autofree char *text = g_strdup_printf("line %d\n", i);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(name, text, -1, NULL));
    struct utimbuf times = {time(NULL) - 3600 + i, time(NULL) - 3600 + i};
    utime(name, &times);
}

static gsize
rows_of(DuetSource *source, const char *start, const char *end)
{
    GError *error = NULL;
    g_autoptr(GPtrArray) partitions = duet_source_get_batch(source, start, end, &error);
    ASSERT_NO_ERROR(error);
    gsize rows = 0;
    for (guint index = 0; partitions && index < partitions->len; index++) {
        GPtrArray *batches = partitions->pdata[index];
        for (guint batch = 0; batch < batches->len; batch++)
            rows += duet_batch_n_rows(batches->pdata[batch]);
    }
    return rows;
}

/* 3 files, maxFilesPerTrigger=1, the target fixed, 3 more written: offsets 0, 1, 2, then no
 * new one; lifted: offset 3 (one file); everything: offset 4 with the last two files. */
static void
test_file_target(void)
{
    char *input = duet_test_tmpdir_new();
    for (int i = 0; i < 3; i++)
        write_file(input, i);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "path", input);
    duet_source_options_set(options, "maxFilesPerTrigger", "1");
    GError *error = NULL;
    g_autoptr(DuetSource) source = duet_source_new("text", options, NULL, clock, 2, &error);
    g_hash_table_unref(options);
    ASSERT_NO_ERROR(error);
    gboolean supported = FALSE;
    CU_ASSERT_TRUE(duet_source_available_now(source, TRUE, &supported, &error));
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(supported);
    for (int i = 3; i < 6; i++)
        write_file(input, i);
    ASSERT_LATEST(source, "0");
    ASSERT_LATEST(source, "1");
    ASSERT_LATEST(source, "2");
    ASSERT_LATEST(source, "2");
    ASSERT_INT_EQ(rows_of(source, NULL, "2"), 3);
    CU_ASSERT_TRUE(duet_source_available_now(source, FALSE, NULL, NULL));
    ASSERT_LATEST(source, "3");
    g_autofree char *all = duet_source_latest_offset_all(source, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(all, "4");
    ASSERT_INT_EQ(rows_of(source, "3", "4"), 2);
    duet_test_tmpdir_free(input);
}

/* A source without a rate limit has no target of its own: the query caps it. */
static void
test_memory_source_has_no_target(void)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("value INT", NULL);
    g_autoptr(DuetSource) source = duet_memory_source_new(schema);
    gboolean supported = TRUE;
    GError *error = NULL;
    CU_ASSERT_TRUE(duet_source_available_now(source, TRUE, &supported, &error));
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FALSE(supported);
}

DUET_TEST_MAIN("available_now_target", DUET_TEST(test_kafka_target), DUET_TEST(test_file_target),
               DUET_TEST(test_memory_source_has_no_target))
