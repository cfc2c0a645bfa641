/* test_tutorial.c — every Structured Streaming snippet of the tutorial (../shared/seeds/), in C.
 *
 * Each test is one snippet through the public session API, against real peers on loopback:
 * the socket word count to the console (exact console text), reading Kafka (librdkafka's mock
 * cluster), the three triggers (processing time on the manual clock, once, continuous),
 * checkpointing and restart, and a windowed count; plus the query manager and listeners the
 * tutorial's start()/awaitTermination() rely on. */
#include "tests/common/batch_literal.h"
#include "tests/common/kafka_mock.h"
#include "tests/common/test.h"
#include "structured/session.h"
#include "structured/sql_statement.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* A one-shot TCP peer: accepts a client, writes text, keeps the connection open until freed. */
typedef struct {
    int listener;
    int client;
    int port;
    const char *text;
    GThread *thread;
} Peer;

static gpointer
serve(gpointer data)
{
    Peer *peer = data;
    peer->client = accept(peer->listener, NULL, NULL);
    if (peer->client >= 0 && write(peer->client, peer->text, strlen(peer->text)) < 0)
        g_printerr("peer: write failed\n");
    return NULL;
}

static void
peer_start(Peer *peer, const char *text)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    peer->text = text;
    peer->client = -1;
    peer->listener = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_EQUAL_FATAL(bind(peer->listener, (struct sockaddr *)&address, sizeof address), 0);
    CU_ASSERT_EQUAL_FATAL(listen(peer->listener, 1), 0);
    getsockname(peer->listener, (struct sockaddr *)&address, &length);
    peer->port = ntohs(address.sin_port);
    peer->thread = g_thread_new("peer", serve, peer);
}

static void
peer_stop(Peer *peer)
{
    shutdown(peer->listener, SHUT_RDWR);
    g_thread_join(peer->thread);
    if (peer->client >= 0)
        close(peer->client);
    close(peer->listener);
}

static void
collect_console(const char *text, gpointer user_data)
{
    g_string_append(user_data, text);
}

/* lines = spark.readStream.format("socket").option("host", ...).option("port", ...).load()
 * words = lines.select(explode(split(lines.value, " ")).alias("word"))
 * counts = words.groupBy("word").count()
 * counts.writeStream.outputMode("complete").format("console").start() */
static void
test_socket_word_count_to_console(void)
{
    Peer peer;
    peer_start(&peer, "to be or\nnot to be\n");
    GError *error = NULL;
    g_autoptr(DuetSession) spark = duet_session_new("local[2]", &error);
    duet_session_set_conf(spark, "spark.sql.shuffle.partitions", "2");
    g_autofree char *port = g_strdup_printf("%d", peer.port);
    DuetStreamReader *reader = duet_session_read_stream(spark);
    duet_stream_reader_option(
        duet_stream_reader_option(duet_stream_reader_format(reader, "socket"), "host", "127.0.0.1"),
        "port", port);
    g_autoptr(DuetDataFrame) lines = duet_stream_reader_load(reader, NULL, &error);
    ASSERT_NO_ERROR(error);
    static const char *const words_expr[] = {"explode(split(value, ' ')) AS word"};
    g_autoptr(DuetDataFrame) words = duet_dataframe_select_exprv(lines, words_expr, 1, &error);
    static const char *const keys[] = {"word"};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(words, keys, 1, &error);
    g_autoptr(DuetDataFrame) counts = duet_grouped_data_count(grouped, &error);
    static const char *const order[] = {"count DESC", "word"};
    g_autoptr(DuetDataFrame) sorted = duet_dataframe_order_by(counts, order, 2, &error);
    ASSERT_NO_ERROR(error);
    GString *console = g_string_new(NULL);
    g_autoptr(DuetSink) sink =
        duet_console_sink_new(duet_dataframe_schema(sorted), 20, TRUE, collect_console, console);
    DuetStreamWriter *writer = duet_dataframe_write_stream(spark, sorted);
    duet_stream_writer_sink(duet_stream_writer_output_mode(writer, "complete"), sink);
    g_autoptr(DuetStreamingQuery) query = duet_stream_writer_start(writer, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FATAL(query != NULL);
    /* the source reads both lines before the batch (it waits for the peer's text) */
    CU_ASSERT_TRUE(duet_socket_source_wait_lines(duet_dataframe_source(lines), 2, 10000));
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    duet_streaming_query_stop(query);
    ASSERT_STR_EQ(console->str, "-------------------------------------------\n"
                                "Batch: 0\n"
                                "-------------------------------------------\n"
                                "+----+-----+\n"
                                "|word|count|\n"
                                "+----+-----+\n"
                                "|  be|    2|\n"
                                "|  to|    2|\n"
                                "| not|    1|\n"
                                "|  or|    1|\n"
                                "+----+-----+\n"
                                "\n");
    g_string_free(console, TRUE);
    peer_stop(&peer);
}

/* df = spark.readStream.format("kafka").option("kafka.bootstrap.servers", ...)
 *      .option("subscribe", "topic1").load()
 * df.selectExpr("CAST(key AS STRING)", "CAST(value AS STRING)") */
static void
test_read_from_kafka(void)
{
    g_autoptr(DuetTestKafka) kafka = duet_test_kafka_new();
    duet_test_kafka_create_topic(kafka, "tutorial-topic", 2);
    duet_test_kafka_produce(kafka, "tutorial-topic", 0, "k1", "hello", 1000);
    duet_test_kafka_produce(kafka, "tutorial-topic", 1, NULL, "world", 2000);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(kafka));
    GError *error = NULL;
    g_autoptr(DuetSession) spark = duet_session_new("local[2]", &error);
    DuetStreamReader *reader = duet_stream_reader_format(duet_session_read_stream(spark), "kafka");
    duet_stream_reader_option(reader, "kafka.bootstrap.servers", duet_test_kafka_bootstraps(kafka));
    duet_stream_reader_option(reader, "subscribe", "tutorial-topic");
    duet_stream_reader_option(reader, "startingOffsets", "earliest");
    g_autoptr(DuetDataFrame) df = duet_stream_reader_load(reader, NULL, &error);
    ASSERT_NO_ERROR(error);
    static const char *const columns[] = {"CAST(key AS STRING)", "CAST(value AS STRING)",
                                          "partition"};
    g_autoptr(DuetDataFrame) strings = duet_dataframe_select_exprv(df, columns, 3, &error);
    ASSERT_NO_ERROR(error);
    DuetStreamWriter *writer = duet_dataframe_write_stream(spark, strings);
    duet_stream_writer_query_name(duet_stream_writer_format(writer, "memory"), "kafka_rows");
    g_autoptr(DuetStreamingQuery) query = duet_stream_writer_start(writer, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    g_autoptr(DuetBatch) rows = duet_session_memory_table(spark, "kafka_rows", &error);
    g_autofree char *text = duet_test_render_sorted(rows);
    ASSERT_STR_EQ(text, "[(k1,hello,0), (null,world,1)]");
    /* the memory table needs a query name, as in Spark */
    DuetStreamWriter *unnamed =
        duet_stream_writer_format(duet_dataframe_write_stream(spark, df), "memory");
    CU_ASSERT_PTR_NULL(duet_stream_writer_start(unnamed, &error));
    ASSERT_STR_EQ(error ? error->message : NULL, "queryName must be specified for memory sink");
    g_clear_error(&error);
}

static DuetDataFrame *
memory_stream(DuetSession *spark, const char *ddl, DuetSource **source)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    *source = duet_memory_source_new(schema);
    return duet_dataframe_from_source(*source);
}

static void
add(DuetSource *source, const char *ddl, const char *json)
{
    g_autoptr(DuetBatch) rows = duet_test_batch(ddl, json);
    duet_memory_source_add(source, rows);
}

/* .trigger(processingTime='5 seconds'), .trigger(once=True), .trigger(continuous='1 second') */
static void
test_triggers(void)
{
    GError *error = NULL;
    g_autoptr(DuetSession) spark = duet_session_new("local[2]", &error);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    duet_context_set_clock(duet_session_context(spark), clock);
    DuetSource *source = NULL;
    g_autoptr(DuetDataFrame) input = memory_stream(spark, "value INT", &source);
    /* processing time: a batch only when the clock reaches the next 5 seconds */
    DuetStreamWriter *writer = duet_dataframe_write_stream(spark, input);
    duet_stream_writer_query_name(duet_stream_writer_format(writer, "memory"), "every5");
    duet_stream_writer_trigger_processing_time(writer, "5 seconds");
    DuetStreamingQuery *query = duet_stream_writer_start(writer, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(duet_streaming_query_await_waiting_at(query, 0, 10000));
    add(source, "value INT", "[1, 2]");
    g_autoptr(DuetBatch) before = duet_session_memory_table(spark, "every5", &error);
    ASSERT_INT_EQ(duet_batch_n_rows(before), 0);
    duet_clock_advance_ms(clock, 5000);
    CU_ASSERT_TRUE(duet_streaming_query_await_waiting_at(query, 5000, 10000));
    g_autoptr(DuetBatch) after = duet_session_memory_table(spark, "every5", &error);
    ASSERT_INT_EQ(duet_batch_n_rows(after), 2);
    duet_streaming_query_unref(query);
    /* once: one batch of everything, then the query ends by itself */
    add(source, "value INT", "[3]");
    writer = duet_dataframe_write_stream(spark, input);
    duet_stream_writer_query_name(duet_stream_writer_format(writer, "memory"), "once");
    query = duet_stream_writer_start(duet_stream_writer_trigger_once(writer), &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(duet_streaming_query_await_termination(query, 10000, &error));
    ASSERT_NO_ERROR(error);
    g_autoptr(DuetBatch) once = duet_session_memory_table(spark, "once", &error);
    g_autofree char *once_text = duet_test_render_sorted(once);
    ASSERT_STR_EQ(once_text, "[1, 2, 3]");
    duet_streaming_query_unref(query);
    /* continuous: rows reach the sink within the epoch; map-like queries only */
    static const char *const doubled_expr[] = {"value * 2 AS doubled"};
    g_autoptr(DuetDataFrame) doubled = duet_dataframe_select_exprv(input, doubled_expr, 1, &error);
    writer = duet_dataframe_write_stream(spark, doubled);
    duet_stream_writer_query_name(duet_stream_writer_format(writer, "memory"), "continuous");
    query =
        duet_stream_writer_start(duet_stream_writer_trigger_continuous(writer, "1 second"), &error);
    ASSERT_NO_ERROR(error);
    add(source, "value INT", "[10]");
    g_autoptr(DuetBatch) rows = NULL;
    for (int attempt = 0; attempt < 5000; attempt++) { /* the first epoch has not ended */
        g_clear_pointer(&rows, duet_batch_unref);
        rows = duet_session_memory_table(spark, "continuous", &error);
        if (duet_batch_n_rows(rows) >= 4)
            break;
        g_usleep(1000); /* polling real time for the query thread, not to make it pass */
    }
    g_autofree char *continuous_text = duet_test_render_sorted(rows);
    ASSERT_STR_EQ(continuous_text, "[2, 20, 4, 6]"); /* sorted as text */
    ASSERT_INT_EQ(duet_streaming_query_last_batch_id(query), -1);
    duet_streaming_query_unref(query);
    /* an aggregation cannot run continuously: Spark's message */
    static const char *const keys[] = {"value"};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(input, keys, 1, &error);
    g_autoptr(DuetDataFrame) counts = duet_grouped_data_count(grouped, &error);
    writer = duet_dataframe_write_stream(spark, counts);
    duet_stream_writer_output_mode(duet_stream_writer_format(writer, "console"), "update");
    CU_ASSERT_PTR_NULL(duet_stream_writer_start(
        duet_stream_writer_trigger_continuous(writer, "1 second"), &error));
    ASSERT_STR_EQ(error ? error->message : NULL,
                  "Continuous processing does not support Aggregate operations.");
    g_clear_error(&error);
    duet_source_unref(source);
}

static void
on_started(DuetStreamingQuery *query, gpointer user_data)
{
    g_string_append(user_data, "started;");
}

static void
on_progress(DuetStreamingQuery *query, const DuetQueryProgress *progress, gpointer user_data)
{
    g_string_append_printf(user_data, "progress %" G_GINT64_FORMAT ";", progress->batch_id);
}

static void
on_terminated(DuetStreamingQuery *query, const GError *exception, gpointer user_data)
{
    g_string_append_printf(user_data, "terminated %s;", exception ? "with error" : "cleanly");
}

/* .option("checkpointLocation", "/tmp/checkpoints/") and a windowed count:
 * df.groupBy(window(df["timestamp"], "5 minutes")).count(); with spark.streams and a listener */
static void
test_checkpointed_windowed_count(void)
{
    GError *error = NULL;
    g_autoptr(DuetSession) spark = duet_session_new("local[2]", &error);
    duet_session_set_conf(spark, "spark.sql.shuffle.partitions", "3");
    GString *events = g_string_new(NULL);
    DuetQueryListener listener = {on_started, on_progress, NULL, on_terminated, events};
    duet_session_add_listener(spark, &listener);
    char *checkpoint = duet_test_tmpdir_new();
    DuetSource *source = NULL;
    g_autoptr(DuetDataFrame) seconds = memory_stream(spark, "t BIGINT, v INT", &source);
    static const char *const timed_columns[] = {"CAST(t AS TIMESTAMP) AS timestamp", "v"};
    g_autoptr(DuetDataFrame) input = duet_dataframe_select_exprv(seconds, timed_columns, 2, &error);
    static const char *const keys[] = {"window(timestamp, '5 minutes')"};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(input, keys, 1, &error);
    g_autoptr(DuetDataFrame) counts = duet_grouped_data_count(grouped, &error);
    static const char *const columns[] = {"CAST(window.start AS STRING)", "count"};
    g_autoptr(DuetDataFrame) shown = duet_dataframe_select_exprv(counts, columns, 2, &error);
    ASSERT_NO_ERROR(error);
    for (int run = 0; run < 2; run++) {
        /* 2024-01-01 10:01:00, 10:04:59; then 10:02:00, 10:05:00 (UTC, in seconds) */
        add(source, "t BIGINT, v INT",
            run == 0 ? "[[1704103260, 1], [1704103499, 2]]" : "[[1704103320, 3], [1704103500, 4]]");
        DuetStreamWriter *writer = duet_dataframe_write_stream(spark, shown);
        duet_stream_writer_query_name(duet_stream_writer_format(writer, "memory"), "windows");
        duet_stream_writer_output_mode(writer, "complete");
        duet_stream_writer_option(writer, "checkpointLocation", checkpoint);
        g_autoptr(DuetStreamingQuery) query = duet_stream_writer_start(writer, &error);
        ASSERT_NO_ERROR(error);
        CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
        g_autoptr(GPtrArray) active = duet_session_active_queries(spark);
        ASSERT_INT_EQ(active->len, 1);
        duet_streaming_query_stop(query);
        CU_ASSERT_TRUE(duet_session_await_any_termination(spark, 10000, &error));
        ASSERT_NO_ERROR(error);
        duet_session_reset_terminated(spark);
    }
    g_autoptr(DuetBatch) rows = duet_session_memory_table(spark, "windows", &error);
    g_autofree char *text = duet_test_render_sorted(rows);
    /* the second run resumed from the checkpoint: 10:00 counts 3 rows */
    ASSERT_STR_EQ(text, "[(2024-01-01 10:00:00,3), (2024-01-01 10:05:00,1)]");
    ASSERT_STR_EQ(events->str, "started;progress 0;terminated cleanly;started;progress 1;"
                               "terminated cleanly;");
    g_string_free(events, TRUE);
    duet_source_unref(source);
    duet_test_tmpdir_free(checkpoint);
}

/* spark.sql over a memory sink's table and a temporary view; withColumnRenamed, drop; the
 * query's exception and explain. */
static void
test_sql_and_query_handle(void)
{
    GError *error = NULL;
    g_autoptr(DuetSession) spark = duet_session_new("local[2]", &error);
    duet_session_set_conf(spark, "spark.sql.shuffle.partitions", "2");
    DuetSource *source = NULL;
    g_autoptr(DuetDataFrame) input = memory_stream(spark, "word STRING, n INT", &source);
    g_autoptr(DuetDataFrame) renamed =
        duet_dataframe_with_column_renamed(input, "n", "count", &error);
    static const char *const dropped_columns[] = {"missing"};
    g_autoptr(DuetDataFrame) kept = duet_dataframe_drop(renamed, dropped_columns, 1, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *tree = duet_dataframe_tree_string(kept);
    ASSERT_STR_EQ(tree, "root\n |-- word: string (nullable = true)\n"
                        " |-- count: integer (nullable = true)\n");
    CU_ASSERT_TRUE(duet_dataframe_create_or_replace_temp_view(duet_session_catalog(spark), kept,
                                                              "words", &error));
    g_autoptr(DuetDataFrame) totals = duet_session_sql(
        spark, "SELECT word, sum(count) AS total FROM words GROUP BY word", &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FATAL(totals != NULL);
    DuetStreamWriter *writer = duet_dataframe_write_stream(spark, totals);
    duet_stream_writer_output_mode(duet_stream_writer_format(writer, "memory"), "complete");
    duet_stream_writer_query_name(writer, "totals");
    g_autoptr(DuetStreamingQuery) query = duet_stream_writer_start(writer, &error);
    ASSERT_NO_ERROR(error);
    add(source, "word STRING, n INT", "[[\"a\", 1], [\"b\", 2], [\"a\", 3]]");
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    g_autoptr(DuetDataFrame) big =
        duet_session_sql(spark, "SELECT word FROM totals WHERE total > 2", &error);
    ASSERT_NO_ERROR(error);
    g_autoptr(DuetBatch) rows = duet_dataframe_collect(duet_session_context(spark), big, &error);
    g_autofree char *text = duet_test_render_sorted(rows);
    ASSERT_STR_EQ(text, "[a]");
    g_autofree char *plan = duet_streaming_query_explain(query, TRUE);
    CU_ASSERT_PTR_NOT_NULL(strstr(plan, "== Physical Plan =="));
    CU_ASSERT_PTR_NULL(duet_streaming_query_exception(query));
    duet_streaming_query_stop(query);
    duet_source_unref(source);
}

DUET_TEST_MAIN("tutorial", DUET_TEST(test_sql_and_query_handle),
               DUET_TEST(test_socket_word_count_to_console), DUET_TEST(test_read_from_kafka),
               DUET_TEST(test_triggers), DUET_TEST(test_checkpointed_windowed_count))
