/* test_kafka_source.c — tests of sources/kafka_source.c against librdkafka's mock cluster on
 * loopback: Spark's schema, offsets JSON text, startingOffsets (earliest, latest, JSON),
 * maxOffsetsPerTrigger's proportional split, empty and new topics, many partitions, data loss
 * under failOnDataLoss, and KafkaSourceProvider's option errors. Waits are deadlines on real
 * broker I/O inside librdkafka; nothing sleeps. */
#include "tests/common/batch_literal.h"
#include "tests/common/kafka_mock.h"
#include "tests/common/test.h"
#include "tests/sources/source_options.h"
#include "sources/source.h"

/* Options naming the mock cluster's bootstrap servers (when mock is given), then the key/value
 * pairs of args up to NULL. */
static DuetSourceOptions *
mock_options(DuetTestKafka *mock, va_list args)
{
    DuetSourceOptions *options = duet_source_options_new();
    if (mock != NULL)
        duet_source_options_set(options, "kafka.bootstrap.servers",
                                duet_test_kafka_bootstraps(mock));
    const char *key;
    while ((key = va_arg(args, const char *)) != NULL)
        duet_source_options_set(options, key, va_arg(args, const char *));
    return options;
}

/* A kafka source on the mock cluster; options are NULL-terminated key/value pairs. */
static DuetSource *
kafka_source(DuetTestKafka *mock, GError **error, ...)
{
    va_list args;
    va_start(args, error);
    DuetSourceOptions *options = mock_options(mock, args);
    va_end(args);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    DuetSource *source = duet_source_new("kafka", options, NULL, clock, 1, error);
    g_hash_table_unref(options);
    return source;
}

/* The message of a kafka source made with these options (key, value, ..., NULL). */
#define option_error(...) duet_test_source_option_error("kafka", __VA_ARGS__)

/* The rows of (start, end] in partition order, and how many partitions there were. */
static char *
render_range(DuetSource *source, const char *start, const char *end, guint *n_partitions)
{
    GError *error = NULL;
    GPtrArray *partitions = duet_source_get_batch(source, start, end, &error);
    ASSERT_NO_ERROR(error);
    if (partitions == NULL)
        return g_strdup("(error)");
    GPtrArray *all = g_ptr_array_new();
    for (guint partition = 0; partition < partitions->len; partition++)
        g_ptr_array_extend(all, g_ptr_array_index(partitions, partition), NULL, NULL);
    g_autoptr(DuetBatch) batch = duet_batch_concat(duet_source_schema(source),
                                                   (DuetBatch *const *)all->pdata, all->len, NULL);
    g_ptr_array_unref(all);
    if (n_partitions != NULL)
        *n_partitions = partitions->len;
    g_ptr_array_unref(partitions);
    return duet_test_render(batch);
}

static char *
latest(DuetSource *source)
{
    GError *error = NULL;
    char *offset = duet_source_latest_offset(source, &error);
    ASSERT_NO_ERROR(error);
    g_clear_error(&error);
    return offset;
}

static void
test_kafka_schema_and_description(void)
{
    GError *error = NULL;
    g_autoptr(DuetSource) source = kafka_source(NULL, &error, "kafka.bootstrap.servers",
                                                "127.0.0.1:1", "subscribe", " a , b,", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *tree = duet_schema_tree_string(duet_source_schema(source));
    ASSERT_STR_EQ(tree, "root\n"
                        " |-- key: binary (nullable = true)\n"
                        " |-- value: binary (nullable = true)\n"
                        " |-- topic: string (nullable = true)\n"
                        " |-- partition: integer (nullable = true)\n"
                        " |-- offset: long (nullable = true)\n"
                        " |-- timestamp: timestamp (nullable = true)\n"
                        " |-- timestampType: integer (nullable = true)\n");
    g_autofree char *description = duet_source_description(source);
    ASSERT_STR_EQ(description, "KafkaV2[Subscribe[a, b]]");
    ASSERT_STR_EQ(duet_source_format(source), "kafka");

    g_autoptr(DuetSource) pattern = kafka_source(NULL, &error, "kafka.bootstrap.servers",
                                                 "127.0.0.1:1", "subscribePattern", "t.*", NULL);
    g_autofree char *pattern_text = duet_source_description(pattern);
    ASSERT_STR_EQ(pattern_text, "KafkaV2[SubscribePattern[t.*]]");
    g_autoptr(DuetSource) assign =
        kafka_source(NULL, &error, "kafka.bootstrap.servers", "127.0.0.1:1", "assign",
                     "{\"b\":[1,0],\"a\":[2]}", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *assign_text = duet_source_description(assign);
    ASSERT_STR_EQ(assign_text, "KafkaV2[Assign[a-2, b-0, b-1]]");
}

static void
test_kafka_option_errors(void)
{
    const char *servers = "kafka.bootstrap.servers", *local = "127.0.0.1:1";
    struct {
        const char *options[6];
        const char *message;
    } cases[] = {
        {{servers, local},
         "One of the following options must be specified for Kafka source: subscribe, "
         "subscribepattern, assign. See the docs for more details."},
        {{servers, local, "subscribe", "a", "SUBSCRIBEPATTERN", "a.*"},
         "Only one of the following options can be specified for Kafka source: subscribe, "
         "subscribepattern, assign. See the docs for more details."},
        {{servers, local, "subscribe", " , "},
         "No topics to subscribe to as specified value for option 'subscribe' is ' , '"},
        {{servers, local, "subscribePattern", "  "},
         "Pattern to subscribe is empty as specified value for option 'subscribePattern' is "
         "'  '"},
        {{servers, local, "assign", "[0]"},
         "No topicpartitions to assign as specified value for option 'assign' is '[0]'"},
        {{servers, local, "assign", "{\"a\":0}"},
         "Expected e.g. {\"topicA\":[0,1],\"topicB\":[0,1]}, got {\"a\":0}"},
        {{"subscribe", "a"},
         "Option 'kafka.bootstrap.servers' must be specified for configuring Kafka consumer"},
        {{servers, local, "subscribe", "a", "kafka.key.deserializer", "x"},
         "Kafka option 'key.deserializer' is not supported as keys are deserialized as byte "
         "arrays with ByteArrayDeserializer. Use DataFrame operations to explicitly deserialize "
         "the keys."},
        {{servers, local, "subscribe", "a", "kafka.enable.auto.commit", "true"},
         "Kafka option 'enable.auto.commit' is not supported"},
        {{servers, local, "subscribe", "a", "endingOffsets", "latest"},
         "ending offset not valid in streaming queries"},
        {{servers, local, "subscribe", "a", "startingOffsets", "{\"a\":{\"x\":1}}"},
         "Expected e.g. {\"topicA\":{\"0\":23,\"1\":-1},\"topicB\":{\"0\":-2}}, got "
         "{\"a\":{\"x\":1}}"},
        {{servers, local, "subscribe", "a", "failOnDataLoss", "maybe"},
         "For input string: \"maybe\""},
        {{servers, local, "subscribe", "a", "maxOffsetsPerTrigger", "0"},
         "Invalid value '0' for option 'maxOffsetsPerTrigger', must be positive"},
        {{servers, local, "subscribe", "a", "kafka.fetch.wait.max.ms", "soon"},
         "Invalid value 'soon' for Kafka option 'kafka.fetch.wait.max.ms': Invalid value for "
         "configuration property \"fetch.wait.max.ms\""},
    };
    for (gsize index = 0; index < G_N_ELEMENTS(cases); index++) {
        const char *const *options = cases[index].options;
        g_autofree char *message = option_error(options[0], options[1], options[2], options[3],
                                                options[4], options[5], NULL);
        ASSERT_STR_EQ(message, cases[index].message);
    }
    g_autofree char *reset =
        option_error(servers, local, "subscribe", "a", "kafka.auto.offset.reset", "earliest", NULL);
    CU_ASSERT_TRUE(g_str_has_prefix(reset, "\nKafka option 'auto.offset.reset' is not "
                                           "supported.\nInstead set the source option "
                                           "'startingoffsets' to 'earliest' or 'latest'\n"));
    /* a user schema */
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, servers, local);
    duet_source_options_set(options, "subscribe", "a");
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_source_new("kafka", options, schema, NULL, 1, &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);
    ASSERT_STR_EQ(error->message, "requirement failed: Kafka source has a fixed schema and "
                                  "cannot be set with a custom one");
    g_clear_error(&error);
    g_hash_table_unref(options);
}

/* Two partitions read from the earliest offsets: exact rows, one output partition per Kafka
 * partition, offsets as Spark's JSON. */
static void
test_kafka_earliest_rows(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "events", 2);
    duet_test_kafka_produce(mock, "events", 0, "k", "a", 1000);
    duet_test_kafka_produce(mock, "events", 1, NULL, "b", 2000);
    duet_test_kafka_produce(mock, "events", 0, "k", NULL, 3500);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        kafka_source(mock, &error, "subscribe", "events", "startingOffsets", "EARLIEST", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *end = latest(source);
    ASSERT_STR_EQ(end, "{\"events\":{\"0\":2,\"1\":1}}");
    guint n_partitions = 0;
    g_autofree char *rows = render_range(source, NULL, end, &n_partitions);
    ASSERT_INT_EQ(n_partitions, 2);
    ASSERT_STR_EQ(rows, "[([6B],[61],events,0,0,1970-01-01 00:00:01.0,0), "
                        "([6B],null,events,0,1,1970-01-01 00:00:03.5,0), "
                        "(null,[62],events,1,0,1970-01-01 00:00:02.0,0)]");
    /* replayable: the same range again, and a middle range */
    g_autofree char *again = render_range(source, NULL, end, NULL);
    ASSERT_STR_EQ(again, rows);
    g_autofree char *middle =
        render_range(source, "{\"events\":{\"0\":1,\"1\":0}}", end, &n_partitions);
    ASSERT_STR_EQ(middle, "[([6B],null,events,0,1,1970-01-01 00:00:03.5,0), "
                          "(null,[62],events,1,0,1970-01-01 00:00:02.0,0)]");
    /* nothing new: the same offset */
    g_autofree char *same = latest(source);
    ASSERT_STR_EQ(same, end);
    CU_ASSERT_EQUAL(duet_source_compare_offsets(source, end, same), 0);
    CU_ASSERT_TRUE(duet_source_compare_offsets(source, "{\"events\":{\"0\":1,\"1\":1}}", end) < 0);
    CU_ASSERT_TRUE(duet_source_compare_offsets(source, end, "{\"events\":{\"0\":1,\"1\":1}}") > 0);
    CU_ASSERT_TRUE(duet_source_compare_offsets(source, NULL, end) < 0);
}

/* The default startingOffsets is latest: records already there are skipped. */
static void
test_kafka_latest_default(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "t", 1);
    duet_test_kafka_produce(mock, "t", 0, NULL, "old", 1);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    GError *error = NULL;
    g_autoptr(DuetSource) source = kafka_source(mock, &error, "subscribe", "t", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *first = latest(source);
    ASSERT_STR_EQ(first, "{\"t\":{\"0\":1}}");
    g_autofree char *none = render_range(source, NULL, first, NULL);
    ASSERT_STR_EQ(none, "[]");
    duet_test_kafka_produce(mock, "t", 0, NULL, "new", 2);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    g_autofree char *second = latest(source);
    ASSERT_STR_EQ(second, "{\"t\":{\"0\":2}}");
    g_autofree char *rows = render_range(source, first, second, NULL);
    ASSERT_STR_EQ(rows, "[(null,[6E 65 77],t,0,1,1970-01-01 00:00:00.002,0)]");
}

/* Spark's initial offsets file (checkpoint/sources/<i>/0): a source made anew, as in a new
 * process, starts where the first one resolved "latest", not at the new latest; a damaged file
 * is an error naming it. */
static void
test_kafka_initial_offsets_log(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "init", 1);
    duet_test_kafka_produce(mock, "init", 0, NULL, "old", 1);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    char *checkpoint = duet_test_tmpdir_new();
    g_autofree char *directory = g_build_filename(checkpoint, "sources", "0", NULL);
    GError *error = NULL;
    g_autoptr(DuetSource) first = kafka_source(mock, &error, "subscribe", "init", NULL);
    CU_ASSERT_TRUE(duet_source_attach_log(first, directory, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *resolved = latest(first);
    ASSERT_STR_EQ(resolved, "{\"init\":{\"0\":1}}");
    g_autofree char *path = g_build_filename(directory, "0", NULL);
    g_autofree char *contents = NULL;
    gsize len = 0;
    CU_ASSERT_TRUE(g_file_get_contents(path, &contents, &len, NULL));
    CU_ASSERT_EQUAL(len, 1 + strlen("v1\n{\"init\":{\"0\":1}}"));
    if (len > 1)
        ASSERT_STR_EQ(contents + 1, "v1\n{\"init\":{\"0\":1}}");
    /* the query died before committing a batch; a record arrived meanwhile */
    duet_test_kafka_produce(mock, "init", 0, NULL, "new", 2);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    g_autoptr(DuetSource) second = kafka_source(mock, &error, "subscribe", "init", NULL);
    CU_ASSERT_TRUE(duet_source_attach_log(second, directory, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *now = latest(second);
    g_autofree char *rows = render_range(second, NULL, now, NULL);
    ASSERT_STR_EQ(rows, "[(null,[6E 65 77],init,0,1,1970-01-01 00:00:00.002,0)]");
    static const char *const damages[][2] = {
        {"v1\n{\"init\":{\"0\"", "the initial offsets are not Kafka offsets JSON"},
        {"v2\n{}", "UnsupportedLogVersion: maximum supported log version is v1, but "
                   "encountered v2."},
        {"", "Incomplete log file"},
        {"x1\n{}", "Log file was malformed: failed to read correct log version from x1."},
    };
    for (guint index = 0; index < G_N_ELEMENTS(damages); index++) {
        CU_ASSERT_TRUE(g_file_set_contents(path, damages[index][0], -1, NULL));
        g_autoptr(DuetSource) third = kafka_source(mock, &error, "subscribe", "init", NULL);
        CU_ASSERT_FALSE(duet_source_attach_log(third, directory, &error));
        CU_ASSERT_PTR_NOT_NULL(error);
        if (error) {
            CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
            CU_ASSERT_PTR_NOT_NULL(strstr(error->message, damages[index][1]));
        }
        g_clear_error(&error);
    }
    duet_test_tmpdir_free(checkpoint);
}

/* startingOffsets as JSON: -2 earliest, -1 latest, a number as is; every partition must be
 * given, and an offset Kafka does not have is data loss. */
static void
test_kafka_specific_starting_offsets(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "s", 3);
    for (int record = 0; record < 3; record++)
        for (gint32 partition = 0; partition < 3; partition++)
            duet_test_kafka_produce(mock, "s", partition, NULL, "v", 7);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    GError *error = NULL;
    g_autoptr(DuetSource) source = kafka_source(mock, &error, "subscribe", "s", "startingOffsets",
                                                "{\"s\":{\"0\":1,\"1\":-2,\"2\":-1}}", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *end = latest(source);
    ASSERT_STR_EQ(end, "{\"s\":{\"0\":3,\"1\":3,\"2\":3}}");
    guint n_partitions = 0;
    g_autofree char *rows = render_range(source, NULL, end, &n_partitions);
    ASSERT_INT_EQ(n_partitions, 3);
    ASSERT_STR_EQ(rows, "[(null,[76],s,0,1,1970-01-01 00:00:00.007,0), "
                        "(null,[76],s,0,2,1970-01-01 00:00:00.007,0), "
                        "(null,[76],s,1,0,1970-01-01 00:00:00.007,0), "
                        "(null,[76],s,1,1,1970-01-01 00:00:00.007,0), "
                        "(null,[76],s,1,2,1970-01-01 00:00:00.007,0)]");

    g_autoptr(DuetSource) partial =
        kafka_source(mock, &error, "subscribe", "s", "startingOffsets", "{\"s\":{\"0\":1}}", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NULL(duet_source_latest_offset(partial, &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);
    ASSERT_STR_EQ(error->message,
                  "assertion failed: If startingOffsets contains specific offsets, you must "
                  "specify all TopicPartitions.\nUse -1 for latest, -2 for earliest.\n"
                  "Specified: Set(s-0) Assigned: Set(s-0, s-1, s-2)");
    g_clear_error(&error);

    /* assign reads just the partitions given */
    g_autoptr(DuetSource) assign =
        kafka_source(mock, &error, "assign", "{\"s\":[2]}", "startingOffsets", "{\"s\":{\"2\":7}}",
                     "failOnDataLoss", "false", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *assigned = latest(assign);
    ASSERT_STR_EQ(assigned, "{\"s\":{\"2\":3}}");
    g_autofree char *assigned_rows = render_range(assign, NULL, assigned, NULL);
    ASSERT_STR_EQ(assigned_rows, "[(null,[76],s,2,0,1970-01-01 00:00:00.007,0), "
                                 "(null,[76],s,2,1,1970-01-01 00:00:00.007,0), "
                                 "(null,[76],s,2,2,1970-01-01 00:00:00.007,0)]");
    g_autoptr(DuetSource) lost = kafka_source(mock, &error, "assign", "{\"s\":[2]}",
                                              "startingOffsets", "{\"s\":{\"2\":7}}", NULL);
    CU_ASSERT_PTR_NULL(duet_source_latest_offset(lost, &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    CU_ASSERT_TRUE(g_str_has_prefix(error->message,
                                    "startingOffsets for s-2 was 7 but consumer reset to 0. Some "
                                    "data may have been lost"));
    g_clear_error(&error);
}

/* maxOffsetsPerTrigger: Spark's proportional split, small partitions rounded up; after a
 * restart (duet_source_resume) it counts from the checkpoint's offsets. */
static void
test_kafka_max_offsets_per_trigger(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "m", 3);
    const int backlog[] = {6, 3, 1};
    for (gint32 partition = 0; partition < 3; partition++)
        for (int record = 0; record < backlog[partition]; record++)
            duet_test_kafka_produce(mock, "m", partition, NULL, "x", 7);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    GError *error = NULL;
    g_autoptr(DuetSource) source = kafka_source(mock, &error, "subscribe", "m", "startingOffsets",
                                                "earliest", "maxOffsetsPerTrigger", "5", NULL);
    ASSERT_NO_ERROR(error);
    /* 10 behind: 5 * 6/10 = 3, 5 * 3/10 = 1.5 -> 1, 5 * 1/10 = 0.5 -> 1 */
    g_autofree char *first = latest(source);
    ASSERT_STR_EQ(first, "{\"m\":{\"0\":3,\"1\":1,\"2\":1}}");
    g_autoptr(GPtrArray) batch = duet_source_get_batch(source, NULL, first, &error);
    ASSERT_NO_ERROR(error);
    GPtrArray *first_partition = g_ptr_array_index(batch, 0);
    ASSERT_INT_EQ(duet_batch_n_rows(g_ptr_array_index(first_partition, 0)), 3);
    /* 5 behind (3, 2, 0): all of it */
    g_autofree char *second = latest(source);
    ASSERT_STR_EQ(second, "{\"m\":{\"0\":6,\"1\":3,\"2\":1}}");
    g_autofree char *rows = render_range(source, first, second, NULL);
    ASSERT_STR_EQ(rows, "[(null,[78],m,0,3,1970-01-01 00:00:00.007,0), "
                        "(null,[78],m,0,4,1970-01-01 00:00:00.007,0), "
                        "(null,[78],m,0,5,1970-01-01 00:00:00.007,0), "
                        "(null,[78],m,1,1,1970-01-01 00:00:00.007,0), "
                        "(null,[78],m,1,2,1970-01-01 00:00:00.007,0)]");
    g_autofree char *third = latest(source);
    ASSERT_STR_EQ(third, second);

    /* a source made after a restart, told where the checkpoint's last batch ended, limits from
     * there: the rest of the backlog (3, 2, 0), not the first 5 from the start again */
    g_autoptr(DuetSource) restarted =
        kafka_source(mock, &error, "subscribe", "m", "startingOffsets", "earliest",
                     "maxOffsetsPerTrigger", "5", NULL);
    ASSERT_NO_ERROR(error);
    duet_source_resume(restarted, first);
    g_autofree char *resumed = latest(restarted);
    ASSERT_STR_EQ(resumed, second);
}

/* An empty topic has offsets (all 0) and empty partitions; a topic that does not exist yet
 * has no offset; a topic matching the pattern later is read from its start. */
static void
test_kafka_empty_and_new_topics(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "grow-a", 2);
    GError *error = NULL;
    g_autoptr(DuetSource) source = kafka_source(mock, &error, "subscribePattern", "grow-.*",
                                                "startingOffsets", "earliest", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *empty = latest(source);
    ASSERT_STR_EQ(empty, "{\"grow-a\":{\"0\":0,\"1\":0}}");
    guint n_partitions = 0;
    g_autofree char *no_rows = render_range(source, NULL, empty, &n_partitions);
    ASSERT_STR_EQ(no_rows, "[]");
    ASSERT_INT_EQ(n_partitions, 2);

    duet_test_kafka_create_topic(mock, "grow-b", 1);
    duet_test_kafka_create_topic(mock, "other", 1);
    duet_test_kafka_produce(mock, "grow-b", 0, "b", "1", 5);
    duet_test_kafka_produce(mock, "other", 0, "o", "1", 5);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    g_autofree char *grown = latest(source);
    ASSERT_STR_EQ(grown, "{\"grow-a\":{\"0\":0,\"1\":0},\"grow-b\":{\"0\":1}}");
    g_autofree char *rows = render_range(source, empty, grown, &n_partitions);
    ASSERT_INT_EQ(n_partitions, 3);
    ASSERT_STR_EQ(rows, "[([62],[31],grow-b,0,0,1970-01-01 00:00:00.005,0)]");

    g_autoptr(DuetSource) missing = kafka_source(mock, &error, "subscribe", "nothing", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NULL(duet_source_latest_offset(missing, &error));
    ASSERT_NO_ERROR(error);
}

/* Sixteen partitions over two topics: partitions in numeric order in the JSON and in the
 * output partitions, every record read once. */
static void
test_kafka_many_partitions(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "wide", 12);
    duet_test_kafka_create_topic(mock, "narrow", 4);
    for (gint32 partition = 0; partition < 12; partition++)
        for (int record = 0; record <= partition; record++)
            duet_test_kafka_produce(mock, "wide", partition, NULL, "w", 0);
    for (gint32 partition = 0; partition < 4; partition++)
        duet_test_kafka_produce(mock, "narrow", partition, NULL, "n", 0);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        kafka_source(mock, &error, "subscribe", "wide,narrow", "startingOffsets", "earliest", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *end = latest(source);
    ASSERT_STR_EQ(end, "{\"narrow\":{\"0\":1,\"1\":1,\"2\":1,\"3\":1},"
                       "\"wide\":{\"0\":1,\"1\":2,\"2\":3,\"3\":4,\"4\":5,\"5\":6,\"6\":7,"
                       "\"7\":8,\"8\":9,\"9\":10,\"10\":11,\"11\":12}}");
    g_autoptr(GPtrArray) partitions = duet_source_get_batch(source, NULL, end, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_EQUAL_FATAL(partitions->len, 16);
    for (guint partition = 0; partition < 16; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        DuetBatch *batch = g_ptr_array_index(batches, 0);
        gsize expected = partition < 4 ? 1 : partition - 3;
        ASSERT_INT_EQ(duet_batch_n_rows(batch), expected);
        DuetRow row = duet_batch_row(batch, 0);
        gsize length = 0;
        const char *topic = duet_row_get_string(&row, 2, &length);
        g_autofree char *topic_text = g_strndup(topic, length);
        ASSERT_STR_EQ(topic_text, partition < 4 ? "narrow" : "wide");
        ASSERT_INT_EQ(duet_row_get_int32(&row, 3), partition < 4 ? partition : partition - 4);
    }
}

/* Offsets Kafka does not have: an error with Spark's instruction under failOnDataLoss, the
 * records that are there otherwise; an offset that moved backwards; a malformed offset. */
static void
test_kafka_data_loss(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "d", 2);
    duet_test_kafka_produce(mock, "d", 0, NULL, "1", 7);
    duet_test_kafka_produce(mock, "d", 0, NULL, "2", 7);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    GError *error = NULL;
    g_autoptr(DuetSource) strict = kafka_source(mock, &error, "subscribe", "d", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NULL(duet_source_get_batch(strict, "{\"d\":{\"0\":0,\"1\":0}}",
                                             "{\"d\":{\"0\":5,\"1\":0}}", &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    ASSERT_STR_EQ(error->message,
                  "Cannot fetch offset 4 (TopicPartition: d-0): the latest offset Kafka has is 2. "
                  "Some data may have been missed. Some data may have been lost because they are "
                  "not available in Kafka any more; either the\n data was aged out by Kafka or the "
                  "topic may have been deleted before all the data in the\n topic was processed. "
                  "If you don't want your streaming query to fail on such cases, set the\n source "
                  "option \"failOnDataLoss\" to \"false\".");
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_source_get_batch(strict, "{\"d\":{\"0\":2,\"1\":0}}",
                                             "{\"d\":{\"0\":1,\"1\":0}}", &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "Partition d-0's offset was changed from 2 "
                                                    "to 1, some data may have been missed. "));
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(
        duet_source_get_batch(strict, "{\"d\":{\"0\":0,\"1\":0}}", "{\"d\":{\"0\":1}}", &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "d-1 is gone. Some data may have been "
                                                    "missed. "));
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_source_get_batch(strict, NULL, "5", &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    ASSERT_STR_EQ(error->message,
                  "Expected e.g. {\"topicA\":{\"0\":23,\"1\":-1},\"topicB\":{\"0\":-2}}, got 5");
    g_clear_error(&error);

    g_autoptr(DuetSource) lenient =
        kafka_source(mock, &error, "subscribe", "d", "failOnDataLoss", "FALSE", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *rows =
        render_range(lenient, "{\"d\":{\"0\":1,\"1\":0}}", "{\"d\":{\"0\":5,\"1\":0}}", NULL);
    ASSERT_STR_EQ(rows, "[(null,[32],d,0,1,1970-01-01 00:00:00.007,0)]");
    g_autofree char *backwards =
        render_range(lenient, "{\"d\":{\"0\":2,\"1\":0}}", "{\"d\":{\"0\":1,\"1\":0}}", NULL);
    ASSERT_STR_EQ(backwards, "[]");
}

/* includeHeaders=true: Spark's headers column, every header in order with null values kept,
 * null for a record without headers; the schema gains the column. */
static void
test_kafka_include_headers(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "h", 1);
    const char *headers[] = {"trace", "abc", "empty", NULL, "trace", "x"};
    duet_test_kafka_produce_headers(mock, "h", 0, "k", "v", 1000, headers, 3);
    duet_test_kafka_produce(mock, "h", 0, NULL, "plain", 2000);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    GError *error = NULL;
    g_autoptr(DuetSource) source = kafka_source(mock, &error, "subscribe", "h", "startingOffsets",
                                                "earliest", "includeHeaders", "TRUE", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *tree = duet_schema_tree_string(duet_source_schema(source));
    CU_ASSERT_TRUE(g_str_has_suffix(tree, " |-- timestampType: integer (nullable = true)\n"
                                          " |-- headers: array (nullable = true)\n"
                                          " |    |-- element: struct (containsNull = true)\n"
                                          " |    |    |-- key: string (nullable = true)\n"
                                          " |    |    |-- value: binary (nullable = true)\n"));
    g_autofree char *end = latest(source);
    g_autofree char *rows = render_range(source, NULL, end, NULL);
    ASSERT_STR_EQ(rows, "[([6B],[76],h,0,0,1970-01-01 00:00:01.0,0,"
                        "CompactBuffer((trace,[61 62 63]), (empty,null), (trace,[78]))), "
                        "(null,[70 6C 61 69 6E],h,0,1,1970-01-01 00:00:02.0,0,null)]");
    /* without the option: seven columns, headers not read */
    g_autoptr(DuetSource) plain =
        kafka_source(mock, &error, "subscribe", "h", "startingOffsets", "earliest", NULL);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_schema_n_fields(duet_source_schema(plain)), 7);
    g_autofree char *option = option_error("kafka.bootstrap.servers", "127.0.0.1:1", "subscribe",
                                           "h", "includeHeaders", "yes", NULL);
    ASSERT_STR_EQ(option, "For input string: \"yes\"");
}

/* The rows of a batch read, all partitions in order. */
static char *
read_range(DuetTestKafka *mock, char **start, char **end, GError **error, ...)
{
    va_list args;
    va_start(args, error);
    DuetSourceOptions *options = mock_options(mock, args);
    va_end(args);
    g_autoptr(DuetSchema) schema = NULL;
    GPtrArray *partitions = duet_kafka_read_range(options, &schema, start, end, error);
    g_hash_table_unref(options);
    if (partitions == NULL)
        return NULL;
    GPtrArray *all = g_ptr_array_new();
    for (guint partition = 0; partition < partitions->len; partition++)
        g_ptr_array_extend(all, g_ptr_array_index(partitions, partition), NULL, NULL);
    g_autoptr(DuetBatch) batch =
        duet_batch_concat(schema, (DuetBatch *const *)all->pdata, all->len, NULL);
    g_ptr_array_unref(all);
    g_ptr_array_unref(partitions);
    return duet_test_render(batch);
}

/* A batch read between startingOffsets and endingOffsets: earliest to latest by default, JSON
 * bounds with -2/-1, Spark's refusals of a start at latest and an end at earliest, and an end
 * before the start. */
static void
test_kafka_batch_read_range(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "r", 2);
    const char *values[] = {"a", "b", "c", "d"};
    /* one at a time: a retried send must not reorder them on a real broker */
    for (guint index = 0; index < 4; index++) {
        duet_test_kafka_produce(mock, "r", (gint32)(index % 2), NULL, values[index],
                                1000 * (index + 1));
        CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    }
    GError *error = NULL;
    g_autofree char *start = NULL, *end = NULL;
    g_autofree char *all = read_range(mock, &start, &end, &error, "subscribe", "r", NULL);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(start, "{\"r\":{\"0\":0,\"1\":0}}");
    ASSERT_STR_EQ(end, "{\"r\":{\"0\":2,\"1\":2}}");
    ASSERT_STR_EQ(all, "[(null,[61],r,0,0,1970-01-01 00:00:01.0,0), "
                       "(null,[63],r,0,1,1970-01-01 00:00:03.0,0), "
                       "(null,[62],r,1,0,1970-01-01 00:00:02.0,0), "
                       "(null,[64],r,1,1,1970-01-01 00:00:04.0,0)]");
    g_autofree char *middle = read_range(mock, NULL, NULL, &error, "assign", "{\"r\":[0,1]}",
                                         "startingOffsets", "{\"r\":{\"0\":1,\"1\":-2}}",
                                         "endingOffsets", "{\"r\":{\"0\":-1,\"1\":1}}", NULL);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(middle, "[(null,[63],r,0,1,1970-01-01 00:00:03.0,0), "
                          "(null,[62],r,1,0,1970-01-01 00:00:02.0,0)]");
    g_autofree char *latest_end =
        read_range(mock, NULL, NULL, &error, "subscribe", "r", "endingOffsets", " LATEST ", NULL);
    ASSERT_STR_EQ(latest_end, all);
    /* Spark's refusals, before any broker is asked */
    struct {
        const char *key, *value, *message;
    } refused[] = {
        {"startingOffsets", "latest", "starting offset can't be latest for batch queries on Kafka"},
        {"endingOffsets", "earliest", "ending offset can't be earliest for batch queries on Kafka"},
        {"startingOffsets", "{\"r\":{\"0\":-1}}",
         "startingOffsets for r-0 can't be latest for batch queries on Kafka"},
        {"endingOffsets", "{\"r\":{\"1\":-2}}",
         "ending offset for r-1 can't be earliest for batch queries on Kafka"},
        {"endingOffsets", "soon",
         "Expected e.g. {\"topicA\":{\"0\":23,\"1\":-1},\"topicB\":{\"0\":-2}}, got soon"},
    };
    for (gsize index = 0; index < G_N_ELEMENTS(refused); index++) {
        g_autofree char *none =
            read_range(NULL, NULL, NULL, &error, "kafka.bootstrap.servers", "127.0.0.1:1",
                       "subscribe", "r", refused[index].key, refused[index].value, NULL);
        CU_ASSERT_PTR_NULL(none);
        ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);
        ASSERT_STR_EQ(error->message, refused[index].message);
        g_clear_error(&error);
    }
    /* an end before the start; a partition left out of the JSON */
    g_autofree char *backwards =
        read_range(mock, NULL, NULL, &error, "subscribe", "r", "startingOffsets",
                   "{\"r\":{\"0\":2,\"1\":0}}", "endingOffsets", "{\"r\":{\"0\":1,\"1\":1}}", NULL);
    CU_ASSERT_PTR_NULL(backwards);
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    ASSERT_STR_EQ(error->message,
                  "Beginning offset 2 is after the ending offset 1 for topic r partition 0. You "
                  "either provided an invalid fromOffset, or the Kafka topic has been damaged");
    g_clear_error(&error);
    g_autofree char *partial = read_range(mock, NULL, NULL, &error, "subscribe", "r",
                                          "endingOffsets", "{\"r\":{\"0\":1}}", NULL);
    CU_ASSERT_PTR_NULL(partial);
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "assertion failed: If startingOffsets "
                                                    "contains specific offsets, you must specify "
                                                    "all TopicPartitions."));
    g_clear_error(&error);
}

/* Spark's KafkaOffsetReader retries an offset fetch (fetchOffset.numRetries attempts,
 * fetchOffset.retryIntervalMs apart): a partition whose leader is not settled yet, as right after
 * the topic was made, is read once it is; attempts all answered so are the error. */
#define NOT_LEADER_FOR_PARTITION 6 /* Kafka's error code (librdkafka's RD_KAFKA_RESP_ERR_...) */

static void
test_kafka_offset_fetch_retries(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "settling", 1);
    duet_test_kafka_produce(mock, "settling", 0, NULL, "a", 1000);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        kafka_source(mock, &error, "subscribe", "settling", "startingOffsets", "earliest",
                     "fetchOffset.retryIntervalMs", "0", NULL);
    ASSERT_NO_ERROR(error);
    if (!duet_test_kafka_fail_list_offsets(mock, NOT_LEADER_FOR_PARTITION, 2)) {
        g_printerr("\n  SKIPPED: a real broker cannot be told to answer an error\n");
        return;
    }
    g_autofree char *end = latest(source);
    ASSERT_STR_EQ(end, "{\"settling\":{\"0\":1}}");
    g_autofree char *rows = render_range(source, NULL, end, NULL);
    ASSERT_STR_EQ(rows, "[(null,[61],settling,0,0,1970-01-01 00:00:01.0,0)]");

    /* one attempt only: the broker's answer is the error */
    g_autoptr(DuetSource) once =
        kafka_source(mock, &error, "subscribe", "settling", "startingOffsets", "earliest",
                     "fetchOffset.numRetries", "1", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(duet_test_kafka_fail_list_offsets(mock, NOT_LEADER_FOR_PARTITION, 2));
    char *none = duet_source_latest_offset(once, &error);
    CU_ASSERT_PTR_NULL(none);
    g_free(none);
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED);
    if (error)
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "Not leader for partition"));
    g_clear_error(&error);
}

/* The broker restarted mid-stream: the source reports the broker's absence as an error, then
 * resumes where its offsets say, so no committed record is lost or read twice; a committed
 * range re-read after the restart is the same. On the mock the broker stops answering; on a
 * real broker (tests/scripts/kafka_broker.sh) the process is stopped and started again. */
static void
test_kafka_broker_restart(void)
{
    g_autoptr(DuetTestKafka) mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(mock, "restart", 2);
    for (gint64 record = 0; record < 40; record++) {
        g_autofree char *value = g_strdup_printf("before-%" G_GINT64_FORMAT, record);
        duet_test_kafka_produce(mock, "restart", (gint32)(record % 2), NULL, value, record);
    }
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        kafka_source(mock, &error, "subscribe", "restart", "startingOffsets", "earliest",
                     "kafkaConsumer.pollTimeoutMs", "3000", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *first = latest(source);
    ASSERT_STR_EQ(first, "{\"restart\":{\"0\":20,\"1\":20}}");
    g_autofree char *committed = render_range(source, NULL, first, NULL);

    if (!duet_test_kafka_set_broker_up(mock, FALSE)) {
        g_printerr("\n  SKIPPED the restart: no DUET_KAFKA_BROKER_CTL for this real broker\n");
        return;
    }
    char *none = duet_source_latest_offset(source, &error);
    CU_ASSERT_PTR_NULL(none);
    g_free(none);
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED);
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "Kafka: "));
    g_clear_error(&error);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_set_broker_up(mock, TRUE));

    /* records written after the restart */
    for (gint64 record = 0; record < 10; record++) {
        g_autofree char *value = g_strdup_printf("after-%" G_GINT64_FORMAT, record);
        duet_test_kafka_produce(mock, "restart", (gint32)(record % 2), NULL, value, 100 + record);
    }
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(mock));
    /* the first calls after a restart may still find the client reconnecting: a deadline */
    char *second = NULL;
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    while (second == NULL && g_get_monotonic_time() < deadline) {
        second = duet_source_latest_offset(source, &error);
        g_clear_error(&error);
    }
    ASSERT_STR_EQ(second, "{\"restart\":{\"0\":25,\"1\":25}}");
    g_autofree char *after = render_range(source, first, second, NULL);
    /* exactly the ten records written after the restart, none of before */
    CU_ASSERT_TRUE(strstr(after, "before-") == NULL);
    gint n_rows = 0;
    for (const char *at = after; (at = strstr(at, ",restart,")) != NULL; at++)
        n_rows++;
    ASSERT_INT_EQ(n_rows, 10);
    for (gint32 partition = 0; partition < 2; partition++)
        for (gint64 offset = 20; offset < 25; offset++) {
            g_autofree char *cell =
                g_strdup_printf(",restart,%d,%" G_GINT64_FORMAT ",", partition, offset);
            CU_ASSERT_TRUE(strstr(after, cell) != NULL);
        }
    CU_ASSERT_TRUE(strstr(after, "[61 66 74 65 72 2D 30]") != NULL); /* after-0 */
    CU_ASSERT_TRUE(strstr(after, "[61 66 74 65 72 2D 39]") != NULL); /* after-9 */
    /* the committed range, re-read after the restart, is what it was */
    g_autofree char *again = render_range(source, NULL, first, NULL);
    ASSERT_STR_EQ(again, committed);
    g_free(second);
}

DUET_TEST_MAIN("kafka_source", DUET_TEST(test_kafka_schema_and_description),
               DUET_TEST(test_kafka_option_errors), DUET_TEST(test_kafka_earliest_rows),
               DUET_TEST(test_kafka_latest_default), DUET_TEST(test_kafka_initial_offsets_log),
               DUET_TEST(test_kafka_specific_starting_offsets),
               DUET_TEST(test_kafka_max_offsets_per_trigger),
               DUET_TEST(test_kafka_empty_and_new_topics), DUET_TEST(test_kafka_many_partitions),
               DUET_TEST(test_kafka_data_loss), DUET_TEST(test_kafka_include_headers),
               DUET_TEST(test_kafka_batch_read_range), DUET_TEST(test_kafka_offset_fetch_retries),
               DUET_TEST(test_kafka_broker_restart))
