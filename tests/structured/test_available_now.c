/* test_available_now.c — Trigger.AvailableNow and Trigger.Once over rate-limited sources.
 *
 * As Spark 3.3+ does: AvailableNow fixes what the sources hold at the start and runs as many
 * batches as their rate limits (maxFilesPerTrigger, maxOffsetsPerTrigger) need to read all of
 * it, then stops by itself; with no data at all it runs no batch. Trigger.Once ignores the
 * rate limits and reads everything in one batch. Each test asserts the number of batches and
 * the input rows of each (the query's progress) and the rows the sink got. */
#include "tests/common/batch_literal.h"
#include "tests/common/kafka_mock.h"
#include "tests/common/test.h"
#include "structured/query.h"
#include "structured/sql_parser.h"

#include <time.h>
#include <utime.h>

/* Writes file i of directory with i + 1 lines "i-0" .., dated i seconds after an hour ago (old
 * enough for minFileAge, ordered by modification time). */
static void
write_file(const char *directory, int i)
{
    g_autofree char *name = g_strdup_printf("%s/in-%d.txt", directory, i);
    GString *text = g_string_new(NULL);
    for (int line = 0; line <= i; line++)
        g_string_append_printf(text, "%d-%d\n", i, line);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(name, text->str, -1, NULL));
    g_string_free(text, TRUE);
    struct utimbuf times = {time(NULL) - 3600 + i, time(NULL) - 3600 + i};
    utime(name, &times);
}

/* The input rows of each batch run so far, "[3, 7, 5]". */
static char *
rows_per_batch(DuetStreamingQuery *query)
{
    g_autoptr(GPtrArray) progress = duet_streaming_query_recent_progress(query);
    GString *text = g_string_new("[");
    for (guint index = 0; index < progress->len; index++) {
        const DuetQueryProgress *batch = progress->pdata[index];
        g_string_append_printf(text, "%s%" G_GINT64_FORMAT, index ? ", " : "",
                               batch->num_input_rows);
    }
    g_string_append_c(text, ']');
    return g_string_free(text, FALSE);
}

static gint64
n_sink_rows(DuetSink *sink)
{
    g_autoptr(DuetBatch) all = duet_memory_sink_all_data(sink);
    return duet_batch_n_rows(all);
}

/* Runs frame into sink with trigger until the query stops by itself (10 s at most); returns
 * the rows of each batch. */
static char *
run_until_stopped(DuetContext *context, DuetDataFrame *frame, DuetSink *sink,
                  const char *checkpoint, DuetTriggerKind kind)
{
    GError *error = NULL;
    DuetTrigger trigger = {kind, 0};
    DuetStreamingQuery *query = duet_streaming_query_start(
        context, frame, sink, DUET_OUTPUT_MODE_APPEND, checkpoint, &trigger, NULL, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FATAL(query != NULL);
    CU_ASSERT_TRUE(duet_streaming_query_await_termination(query, 10000, &error));
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FALSE(duet_streaming_query_is_active(query));
    char *batches = rows_per_batch(query);
    duet_streaming_query_unref(query);
    return batches;
}

static DuetSource *
file_source(DuetContext *context, const char *directory, const char *max_files)
{
    GError *error = NULL;
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "path", directory);
    duet_source_options_set(options, "maxFilesPerTrigger", max_files);
    DuetSource *source =
        duet_source_new("text", options, NULL, duet_context_clock(context), 2, &error);
    g_hash_table_unref(options);
    ASSERT_NO_ERROR(error);
    return source;
}

/* 5 files of 1..5 lines, maxFilesPerTrigger=2: three batches (files 0-1, 2-3, 4), then the
 * query stops; a file added later is read by the next AvailableNow run from the checkpoint. */
static void
test_file_source_available_now(void)
{
    char *input = duet_test_tmpdir_new();
    char *checkpoint = duet_test_tmpdir_new();
    for (int i = 0; i < 5; i++)
        write_file(input, i);
    GError *error = NULL;
    g_autoptr(DuetContext) context = duet_context_new("local[2]", &error);
    g_autoptr(DuetSource) files = file_source(context, input, "2");
    g_autoptr(DuetDataFrame) frame = duet_dataframe_from_source(files);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(frame));
    g_autofree char *batches =
        run_until_stopped(context, frame, sink, checkpoint, DUET_TRIGGER_AVAILABLE_NOW);
    ASSERT_STR_EQ(batches, "[3, 7, 5]");
    ASSERT_INT_EQ(n_sink_rows(sink), 15);

    /* nothing new: no batch at all */
    g_autofree char *none =
        run_until_stopped(context, frame, sink, checkpoint, DUET_TRIGGER_AVAILABLE_NOW);
    ASSERT_STR_EQ(none, "[]");

    for (int i = 5; i < 8; i++)
        write_file(input, i);
    g_autofree char *again =
        run_until_stopped(context, frame, sink, checkpoint, DUET_TRIGGER_AVAILABLE_NOW);
    ASSERT_STR_EQ(again, "[13, 8]");
    ASSERT_INT_EQ(n_sink_rows(sink), 36);
    duet_test_tmpdir_free(checkpoint);
    duet_test_tmpdir_free(input);
}

/* Trigger.Once ignores maxFilesPerTrigger: one batch with all 15 rows. */
static void
test_file_source_once(void)
{
    char *input = duet_test_tmpdir_new();
    char *checkpoint = duet_test_tmpdir_new();
    for (int i = 0; i < 5; i++)
        write_file(input, i);
    GError *error = NULL;
    g_autoptr(DuetContext) context = duet_context_new("local[2]", &error);
    g_autoptr(DuetSource) files = file_source(context, input, "2");
    g_autoptr(DuetDataFrame) frame = duet_dataframe_from_source(files);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(frame));
    g_autofree char *batches =
        run_until_stopped(context, frame, sink, checkpoint, DUET_TRIGGER_ONCE);
    ASSERT_STR_EQ(batches, "[15]");
    ASSERT_INT_EQ(n_sink_rows(sink), 15);
    duet_test_tmpdir_free(checkpoint);
    duet_test_tmpdir_free(input);
}

/* An empty directory: AvailableNow runs no batch and stops. */
static void
test_available_now_without_data(void)
{
    char *input = duet_test_tmpdir_new();
    GError *error = NULL;
    g_autoptr(DuetContext) context = duet_context_new("local[2]", &error);
    g_autoptr(DuetSource) files = file_source(context, input, "2");
    g_autoptr(DuetDataFrame) frame = duet_dataframe_from_source(files);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(frame));
    g_autofree char *batches =
        run_until_stopped(context, frame, sink, NULL, DUET_TRIGGER_AVAILABLE_NOW);
    ASSERT_STR_EQ(batches, "[]");
    ASSERT_INT_EQ(n_sink_rows(sink), 0);
    duet_test_tmpdir_free(input);
}

/* A windowed count with a watermark (delay 0) over files of event seconds, one file per batch:
 * the batches of files [1, 2] and [12], then the no-data batch the watermark (12 s) asks for,
 * which emits the final window [0, 5); then the query stops ([10, 15) stays open), as Spark's
 * AvailableNow runs a no-data batch too when one is due. */
static void
test_available_now_ends_with_the_no_data_batch(void)
{
    char *input = duet_test_tmpdir_new();
    const char *contents[] = {"1\n2\n", "12\n"};
    for (int i = 0; i < 2; i++) {
        g_autofree char *name = g_strdup_printf("%s/in-%d.txt", input, i);
        CU_ASSERT_TRUE_FATAL(g_file_set_contents(name, contents[i], -1, NULL));
        struct utimbuf times = {time(NULL) - 3600 + i, time(NULL) - 3600 + i};
        utime(name, &times);
    }
    GError *error = NULL;
    g_autoptr(DuetContext) context = duet_context_new("local[2]", &error);
    g_autoptr(DuetSource) files = file_source(context, input, "1");
    g_autoptr(DuetDataFrame) lines = duet_dataframe_from_source(files);
    g_autoptr(DuetExpr) time =
        duet_sql_parse_expression("timestamp_seconds(CAST(value AS INT))", &error);
    g_autoptr(DuetDataFrame) timed = duet_dataframe_with_column(lines, "eventTime", time, &error);
    g_autoptr(DuetDataFrame) marked =
        duet_dataframe_with_watermark(timed, "eventTime", "0 seconds", &error);
    static const char *const keys[] = {"window(eventTime, '5 seconds')"};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(marked, keys, 1, &error);
    g_autoptr(DuetDataFrame) counts = duet_grouped_data_count(grouped, &error);
    static const char *const columns[] = {"CAST(window.start AS LONG) AS start", "count"};
    g_autoptr(DuetDataFrame) frame = duet_dataframe_select_exprv(counts, columns, 2, &error);
    ASSERT_NO_ERROR(error);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(frame));
    g_autofree char *batches =
        run_until_stopped(context, frame, sink, NULL, DUET_TRIGGER_AVAILABLE_NOW);
    ASSERT_STR_EQ(batches, "[2, 1, 0]");
    g_autoptr(DuetBatch) all = duet_memory_sink_all_data(sink);
    g_autofree char *rows = duet_test_render(all);
    ASSERT_STR_EQ(rows, "[(0,2)]");
    duet_test_tmpdir_free(input);
}

static DuetSource *
kafka_source(DuetContext *context, DuetTestKafka *kafka, const char *topic)
{
    GError *error = NULL;
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "kafka.bootstrap.servers", duet_test_kafka_bootstraps(kafka));
    duet_source_options_set(options, "subscribe", topic);
    duet_source_options_set(options, "startingOffsets", "earliest");
    duet_source_options_set(options, "maxOffsetsPerTrigger", "4");
    DuetSource *source =
        duet_source_new("kafka", options, NULL, duet_context_clock(context), 2, &error);
    g_hash_table_unref(options);
    ASSERT_NO_ERROR(error);
    return source;
}

static void
produce(DuetTestKafka *kafka, const char *topic, int partition, int n)
{
    for (int i = 0; i < n; i++) {
        g_autofree char *value = g_strdup_printf("p%d-%d", partition, i);
        duet_test_kafka_produce(kafka, topic, partition, NULL, value, 1000 + i);
    }
}

/* 10 records (6 in partition 0, 4 in partition 1), maxOffsetsPerTrigger=4: Spark's rateLimit
 * gives 2 + 1, then 2 + 1 (of 4 and 3 left), then 2 + 2: batches of 3, 3 and 4 rows; then the
 * query stops. Trigger.Once over a new source reads all 10 in one batch. */
static void
test_kafka_source_available_now_and_once(void)
{
    g_autoptr(DuetTestKafka) kafka = duet_test_kafka_new();
    duet_test_kafka_create_topic(kafka, "available-now", 2);
    produce(kafka, "available-now", 0, 6);
    produce(kafka, "available-now", 1, 4);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(kafka));
    GError *error = NULL;
    g_autoptr(DuetContext) context = duet_context_new("local[2]", &error);
    {
        g_autoptr(DuetSource) source = kafka_source(context, kafka, "available-now");
        g_autoptr(DuetDataFrame) frame = duet_dataframe_from_source(source);
        g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(frame));
        g_autofree char *batches =
            run_until_stopped(context, frame, sink, NULL, DUET_TRIGGER_AVAILABLE_NOW);
        ASSERT_STR_EQ(batches, "[3, 3, 4]");
        ASSERT_INT_EQ(n_sink_rows(sink), 10);
    }
    {
        g_autoptr(DuetSource) source = kafka_source(context, kafka, "available-now");
        g_autoptr(DuetDataFrame) frame = duet_dataframe_from_source(source);
        g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(frame));
        g_autofree char *batches = run_until_stopped(context, frame, sink, NULL, DUET_TRIGGER_ONCE);
        ASSERT_STR_EQ(batches, "[10]");
        ASSERT_INT_EQ(n_sink_rows(sink), 10);
    }
}

DUET_TEST_MAIN("available_now", DUET_TEST(test_file_source_available_now),
               DUET_TEST(test_file_source_once), DUET_TEST(test_available_now_without_data),
               DUET_TEST(test_available_now_ends_with_the_no_data_batch),
               DUET_TEST(test_kafka_source_available_now_and_once))
