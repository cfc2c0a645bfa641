/* test_side_by_side.c — the paired examples run by both APIs at once, and the comparer.
 *
 * Every example runs a few batches over its generator and must keep the relation it declares
 * (same rows, running totals, updated keys; windows differ by design). Exact checks: the
 * running word counts of the whole bundled text, batch after batch; the file monitor's counts;
 * an external socket peer feeding both engines; the explain text; and each bad option's error.
 */
#include "tests/common/kafka_mock.h"
#include "tests/common/test.h"
#include "compat/compare.h"
#include "compat/side_by_side.h"
#include "rdd/format.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

static DuetSideBySideOptions
options_with(guint lines_per_batch)
{
    DuetSideBySideOptions options = {
        .run_dstream = TRUE, .run_structured = TRUE, .seed = 7, .lines_per_batch = lines_per_batch};
    return options;
}

/* The row of a (word, count) output whose word is `word`, as text, or NULL. */
static char *
count_of(DuetBatch *rows, const char *word)
{
    for (gsize row_idx = 0; rows && row_idx < duet_batch_n_rows(rows); row_idx++) {
        DuetRow row = duet_batch_row(rows, row_idx);
        gsize len;
        const char *key = duet_row_get_string(&row, 0, &len);
        if (len == strlen(word) && memcmp(key, word, len) == 0)
            return g_strdup_printf("%" G_GINT64_FORMAT, duet_row_get_int64(&row, 1));
    }
    return NULL;
}

static void
test_every_example_keeps_its_relation(void)
{
    for (const DuetExample *example = duet_examples(); example->name; example++) {
        GError *error = NULL;
        DuetSideBySideOptions options = options_with(15);
        g_autoptr(DuetSideBySide) run = duet_side_by_side_new(example, &options, &error);
        ASSERT_NO_ERROR(error);
        CU_ASSERT_PTR_NOT_NULL_FATAL(run);
        g_autoptr(DuetComparer) comparer = duet_comparer_new(example);
        guint verdicts[4] = {0};
        for (guint step = 0; step < 4; step++) {
            g_autoptr(DuetSideBySideBatch) batch = duet_side_by_side_step(run, &error);
            ASSERT_NO_ERROR(error);
            CU_ASSERT_PTR_NOT_NULL_FATAL(batch);
            ASSERT_INT_EQ(batch->index, step);
            ASSERT_INT_EQ(batch->rows_in, 15);
            g_autofree char *reason = NULL;
            DuetVerdict verdict = duet_comparer_check(comparer, batch, &reason);
            if (verdict == DUET_VERDICT_DIFFER)
                g_printerr("\n  %s batch %u: %s\n", example->name, step, reason);
            verdicts[verdict]++;
            CU_ASSERT_PTR_NOT_NULL(batch->dstream.text);
            CU_ASSERT_TRUE(g_str_has_prefix(batch->dstream.text,
                                            "-------------------------------------------\nTime: "));
        }
        gboolean windows = example->relation == DUET_EXAMPLE_WINDOWS;
        ASSERT_INT_EQ(verdicts[DUET_VERDICT_DIFFER], 0);
        ASSERT_INT_EQ(verdicts[windows ? DUET_VERDICT_EXPECTED : DUET_VERDICT_AGREE], 4);
    }
}

/* Ten lines a batch is the whole text each batch: after batch k every count is (k + 1) times
 * the text's own, in both engines. */
static void
test_running_counts_of_the_whole_text(void)
{
    GError *error = NULL;
    DuetSideBySideOptions options = options_with(10);
    g_autoptr(DuetSideBySide) run =
        duet_side_by_side_new(duet_example_lookup("running_counts", NULL), &options, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run);
    for (guint step = 0; step < 3; step++) {
        g_autoptr(DuetSideBySideBatch) batch = duet_side_by_side_step(run, &error);
        ASSERT_NO_ERROR(error);
        CU_ASSERT_PTR_NOT_NULL_FATAL(batch);
        ASSERT_INT_EQ(duet_batch_n_rows(batch->dstream.rows), 138);
        ASSERT_INT_EQ(duet_batch_n_rows(batch->structured.rows), 138);
        g_autofree char *expected = g_strdup_printf("%u", 13 * (step + 1));
        g_autofree char *dstream_that = count_of(batch->dstream.rows, "that");
        g_autofree char *structured_that = count_of(batch->structured.rows, "that");
        ASSERT_STR_EQ(dstream_that, expected);
        ASSERT_STR_EQ(structured_that, expected);
        ASSERT_INT_EQ(batch->time_ms, G_GINT64_CONSTANT(1767225600000) + (step + 1) * 1000);
        g_autofree char *header = g_strdup_printf("-------------------------------------------\n"
                                                  "Batch: %u\n"
                                                  "-------------------------------------------\n"
                                                  "+-----------+-----+\n"
                                                  "|       word|count|\n",
                                                  step);
        CU_ASSERT_TRUE(g_str_has_prefix(batch->structured.text, header));
    }
}

/* Each batch is one new file of 12 lines: DStream counts 12, Structured's total grows by 12. */
static void
test_file_monitoring_counts(void)
{
    GError *error = NULL;
    DuetSideBySideOptions options = options_with(12);
    g_autoptr(DuetSideBySide) run =
        duet_side_by_side_new(duet_example_lookup("file_monitoring", NULL), &options, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run);
    for (guint step = 0; step < 3; step++) {
        g_autoptr(DuetSideBySideBatch) batch = duet_side_by_side_step(run, &error);
        ASSERT_NO_ERROR(error);
        CU_ASSERT_PTR_NOT_NULL_FATAL(batch);
        ASSERT_INT_EQ(duet_batch_n_rows(batch->dstream.rows), 1);
        ASSERT_INT_EQ(duet_batch_n_rows(batch->structured.rows), 1);
        DuetRow dstream = duet_batch_row(batch->dstream.rows, 0);
        DuetRow structured = duet_batch_row(batch->structured.rows, 0);
        ASSERT_INT_EQ(duet_row_get_int64(&dstream, 0), 12);
        ASSERT_INT_EQ(duet_row_get_int64(&structured, 0), 12 * (step + 1));
    }
}

/* Runs for one API only: the other side is empty and the comparer says so. */
static void
test_one_api(void)
{
    GError *error = NULL;
    DuetSideBySideOptions options = options_with(5);
    options.run_dstream = FALSE;
    g_autoptr(DuetSideBySide) run =
        duet_side_by_side_new(duet_example_lookup("fraud_filter", NULL), &options, &error);
    ASSERT_NO_ERROR(error);
    g_autoptr(DuetSideBySideBatch) batch = duet_side_by_side_step(run, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FALSE(batch->dstream.ran);
    CU_ASSERT_TRUE(batch->structured.ran);
    CU_ASSERT_PTR_NULL(batch->dstream.rows);
    g_autoptr(DuetComparer) comparer = duet_comparer_new(duet_example_lookup("fraud_filter", NULL));
    g_autofree char *reason = NULL;
    ASSERT_INT_EQ(duet_comparer_check(comparer, batch, &reason), DUET_VERDICT_ONE_SIDE);
}

/* The comparer on batches made by hand: a difference names the rows. */
static void
test_comparer_names_differences(void)
{
    const DuetExample *example = duet_example_lookup("fraud_filter", NULL);
    g_autoptr(DuetComparer) comparer = duet_comparer_new(example);
    g_autoptr(DuetSchema) schema = duet_schema_parse("word STRING, count BIGINT", NULL);
    DuetBatchBuilder *left = duet_batch_builder_new(schema, 2);
    DuetBatchBuilder *right = duet_batch_builder_new(schema, 2);
    duet_batch_builder_append_string(left, 0, "cat", -1);
    duet_batch_builder_append_int64(left, 1, 2);
    duet_batch_builder_append_string(right, 0, "cat", -1);
    duet_batch_builder_append_int64(right, 1, 3);
    DuetSideBySideBatch batch = {.dstream = {.ran = TRUE}, .structured = {.ran = TRUE}};
    batch.dstream.rows = duet_batch_builder_finish(left, NULL);
    batch.structured.rows = duet_batch_builder_finish(right, NULL);
    duet_batch_builder_free(left);
    duet_batch_builder_free(right);
    g_autofree char *reason = NULL;
    ASSERT_INT_EQ(duet_comparer_check(comparer, &batch, &reason), DUET_VERDICT_DIFFER);
    ASSERT_STR_EQ(reason, "only DStream: (cat,2); only Structured: (cat,3)");
    duet_batch_unref(batch.dstream.rows);
    duet_batch_unref(batch.structured.rows);
}

static void
test_bad_options(void)
{
    static const struct {
        const char *example, *source, *sink, *message;
    } cases[] = {
        {"fraud_filter", "carrier-pigeon:x", NULL,
         "--source carrier-pigeon:x: unknown source (expected generator, socket:HOST:PORT, "
         "kafka:BOOTSTRAP/TOPIC, file[:DIR] or zmq:ENDPOINT)"},
        {"fraud_filter", "socket:localhost", NULL,
         "--source socket:localhost: expected socket:HOST:PORT with a port in 1..65535"},
        {"fraud_filter", "kafka:nowhere", NULL,
         "--source kafka:nowhere: expected kafka:BOOTSTRAP/TOPIC (kafka:mock/TOPIC for a "
         "cluster in memory)"},
        {"kafka_word_count", "generator", NULL,
         "--source generator: example 'kafka_word_count' reads Kafka records (use "
         "kafka:BOOTSTRAP/TOPIC or kafka:mock/TOPIC)"},
        {"fraud_filter", "kafka:mock/t", NULL,
         "--source kafka:mock/t: example 'fraud_filter' reads text lines; Kafka records are for "
         "kafka_word_count"},
        {"fraud_filter", NULL, "parquet:/tmp/x",
         "--sink parquet:/tmp/x: expected json:DIR, csv:DIR, text:DIR or sqlite:FILE"},
    };
    for (guint index = 0; index < G_N_ELEMENTS(cases); index++) {
        GError *error = NULL;
        DuetSideBySideOptions options = options_with(3);
        options.source = cases[index].source;
        options.sink = cases[index].sink;
        g_autoptr(DuetSideBySide) run = duet_side_by_side_new(
            duet_example_lookup(cases[index].example, NULL), &options, &error);
        CU_ASSERT_PTR_NULL(run);
        ASSERT_ERROR(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
        ASSERT_STR_EQ(error->message, cases[index].message);
        g_error_free(error);
    }
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_example_lookup("nope", &error));
    ASSERT_ERROR(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "no example named 'nope' (the examples: "
                                                    "network_word_count, kafka_word_count, "));
    g_error_free(error);
}

/* A real TCP peer feeds the socket source both engines read. */
static void
test_socket_source(void)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_EQUAL_FATAL(bind(listener, (struct sockaddr *)&address, sizeof address), 0);
    CU_ASSERT_EQUAL_FATAL(listen(listener, 1), 0);
    getsockname(listener, (struct sockaddr *)&address, &length);
    g_autofree char *spec = g_strdup_printf("socket:127.0.0.1:%d", ntohs(address.sin_port));
    GError *error = NULL;
    DuetSideBySideOptions options = options_with(0);
    options.source = spec;
    g_autoptr(DuetSideBySide) run =
        duet_side_by_side_new(duet_example_lookup("network_word_count", NULL), &options, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run);
    int client = accept(listener, NULL, NULL);
    CU_ASSERT_TRUE_FATAL(client >= 0);
    const char *text = "to be or\nnot to be\n";
    CU_ASSERT_EQUAL(write(client, text, strlen(text)), (ssize_t)strlen(text));
    CU_ASSERT_TRUE(duet_socket_source_wait_lines(duet_side_by_side_source(run), 2, 10000));
    g_autoptr(DuetSideBySideBatch) batch = duet_side_by_side_step(run, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(batch);
    ASSERT_INT_EQ(batch->rows_in, 2);
    g_autofree char *dstream_to = count_of(batch->dstream.rows, "to");
    g_autofree char *structured_be = count_of(batch->structured.rows, "be");
    ASSERT_STR_EQ(dstream_to, "2");
    ASSERT_STR_EQ(structured_be, "2");
    close(client);
    close(listener);
}

/* A ZeroMQ publisher (XPUB, to see the source's subscription arrive) feeds both engines. */
static void
test_zmq_source(void)
{
    void *context = zmq_ctx_new();
    void *publisher = zmq_socket(context, ZMQ_XPUB);
    int zero = 0;
    zmq_setsockopt(publisher, ZMQ_LINGER, &zero, sizeof zero);
    CU_ASSERT_EQUAL_FATAL(zmq_bind(publisher, "tcp://127.0.0.1:*"), 0);
    char endpoint[256];
    size_t length = sizeof endpoint;
    zmq_getsockopt(publisher, ZMQ_LAST_ENDPOINT, endpoint, &length);
    g_autofree char *spec = g_strdup_printf("zmq:%s", endpoint);
    GError *error = NULL;
    DuetSideBySideOptions options = options_with(0);
    options.source = spec;
    g_autoptr(DuetSideBySide) run =
        duet_side_by_side_new(duet_example_lookup("fraud_filter", NULL), &options, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run);
    /* the subscription message: the source is listening (no sleeping past the slow joiner) */
    zmq_pollitem_t item = {.socket = publisher, .events = ZMQ_POLLIN};
    CU_ASSERT_EQUAL_FATAL(zmq_poll(&item, 1, 30000), 1);
    char subscription[16];
    CU_ASSERT_TRUE(zmq_recv(publisher, subscription, sizeof subscription, 0) >= 1);
    static const char *const payments[] = {"card-01,2500.00,US,1767225600",
                                           "card-02,12.50,US,1767225600",
                                           "card-03,40.00,JP,1767225600"};
    for (guint index = 0; index < G_N_ELEMENTS(payments); index++)
        zmq_send(publisher, payments[index], strlen(payments[index]), 0);
    CU_ASSERT_TRUE(duet_zmq_source_wait_messages(duet_side_by_side_source(run), 3, 30000));
    g_autoptr(DuetSideBySideBatch) batch = duet_side_by_side_step(run, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(batch);
    g_autoptr(DuetComparer) comparer = duet_comparer_new(duet_example_lookup("fraud_filter", NULL));
    g_autofree char *reason = NULL;
    ASSERT_INT_EQ(duet_comparer_check(comparer, batch, &reason), DUET_VERDICT_AGREE);
    ASSERT_STR_EQ(reason, "the same 2 rows");
    zmq_close(publisher);
    zmq_ctx_term(context);
}

/* An external Kafka topic (librdkafka's mock cluster, as a broker of the user's): both engines
 * start at the latest offsets, so only what is produced after they started is read. */
static void
test_kafka_source(void)
{
    g_autoptr(DuetTestKafka) kafka = duet_test_kafka_new();
    duet_test_kafka_create_topic(kafka, "lines", 1);
    duet_test_kafka_produce(kafka, "lines", 0, NULL, "before the start", 1000);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(kafka));
    g_autofree char *spec = g_strdup_printf("kafka:%s/lines", duet_test_kafka_bootstraps(kafka));
    GError *error = NULL;
    DuetSideBySideOptions options = options_with(0);
    options.source = spec;
    g_autoptr(DuetSideBySide) run =
        duet_side_by_side_new(duet_example_lookup("kafka_word_count", NULL), &options, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run);
    duet_test_kafka_produce(kafka, "lines", 0, NULL, "to be or not to be", 2000);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(kafka));
    g_autoptr(DuetSideBySideBatch) batch = duet_side_by_side_step(run, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(batch);
    g_autofree char *dstream_be = count_of(batch->dstream.rows, "be");
    g_autofree char *structured_be = count_of(batch->structured.rows, "be");
    g_autofree char *structured_start = count_of(batch->structured.rows, "start");
    ASSERT_STR_EQ(dstream_be, "2");
    ASSERT_STR_EQ(structured_be, "2");
    CU_ASSERT_PTR_NULL(structured_start);
}

static void
test_explain(void)
{
    GError *error = NULL;
    DuetSideBySideOptions options = options_with(1);
    g_autoptr(DuetSideBySide) run =
        duet_side_by_side_new(duet_example_lookup("windowed_counts", NULL), &options, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *text = duet_side_by_side_explain(run);
    CU_ASSERT_TRUE(g_str_has_prefix(text, "== Structured Streaming ==\n== Parsed Logical Plan =="));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "== Physical Plan =="));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "== DStream ==\nbatch interval 60000 ms, 2 output(s)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "ReducedWindowedDStream (slide 60000 ms, window 300000 ms "
                                        "= the last 5 parent batches, sliding 1 at a time"));
}

DUET_TEST_MAIN("side_by_side", DUET_TEST(test_every_example_keeps_its_relation),
               DUET_TEST(test_running_counts_of_the_whole_text),
               DUET_TEST(test_file_monitoring_counts), DUET_TEST(test_one_api),
               DUET_TEST(test_comparer_names_differences), DUET_TEST(test_bad_options),
               DUET_TEST(test_socket_source), DUET_TEST(test_zmq_source),
               DUET_TEST(test_kafka_source), DUET_TEST(test_explain))
