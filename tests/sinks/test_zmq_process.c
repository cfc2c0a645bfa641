/* test_zmq_process.c — the ZeroMQ source and sink against peers in processes of their own
 * (tests/sinks/zmq_peer.c): a PUSH process feeding a PULL source, a PUB process feeding a
 * SUB source with topic frames, and a PUSH sink read by a PULL process. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "sinks/sink.h"
#include "sources/source.h"

static DuetSource *
zmq_source(GError **error, ...)
{
    va_list args;
    va_start(args, error);
    DuetSourceOptions *options = duet_source_options_new();
    for (const char *key = va_arg(args, const char *); key; key = va_arg(args, const char *))
        duet_source_options_set(options, key, va_arg(args, const char *));
    va_end(args);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    DuetSource *source = duet_source_new("zmq", options, NULL, clock, 1, error);
    g_hash_table_unref(options);
    return source;
}

/* Runs the peer with args (NULL-terminated); its standard output in *out when asked. */
static gboolean
run_peer(char **out, const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)g_getenv("DUET_ZMQ_PEER"));
    va_list args;
    va_start(args, first);
    for (const char *arg = first; arg; arg = va_arg(args, const char *))
        g_ptr_array_add(argv, (char *)arg);
    va_end(args);
    g_ptr_array_add(argv, NULL);
    gint status = 0;
    GError *error = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out,
                               NULL, &status, &error) &&
                  g_spawn_check_wait_status(status, &error);
    if (!ok)
        g_printerr("\n  zmq_peer: %s\n", error ? error->message : "?");
    g_clear_error(&error);
    g_ptr_array_unref(argv);
    return ok;
}

static char *
all_rows(DuetSource *source)
{
    GError *error = NULL;
    g_autofree char *latest = duet_source_latest_offset(source, &error);
    GPtrArray *partitions = duet_source_get_batch(source, NULL, latest, &error);
    g_assert_no_error(error);
    GString *out = g_string_new(NULL);
    for (guint partition = 0; partition < partitions->len; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint index = 0; index < batches->len; index++) {
            g_autofree char *text = duet_test_render(g_ptr_array_index(batches, index));
            g_string_append(out, text);
        }
    }
    g_ptr_array_unref(partitions);
    return g_string_free(out, FALSE);
}

static void
test_push_process_to_pull_source(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(g_getenv("DUET_ZMQ_PEER"));
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        zmq_source(&error, "url", "tcp://127.0.0.1:*", "socketType", "pull", "bind", "true", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FATAL(source != NULL);
    CU_ASSERT_TRUE(run_peer(NULL, "push", duet_zmq_source_endpoint(source), "hello", "from",
                            "another process", NULL));
    CU_ASSERT_TRUE(duet_zmq_source_wait_messages(source, 3, 20000));
    g_autofree char *rows = all_rows(source);
    ASSERT_STR_EQ(rows, "[hello, from, another process]");
}

static void
test_pub_process_to_sub_source(void)
{
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        zmq_source(&error, "url", "tcp://127.0.0.1:*", "socketType", "sub", "bind", "true",
                   "subscribe", "news", "topicFrame", "true", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FATAL(source != NULL);
    CU_ASSERT_TRUE(run_peer(NULL, "pub", duet_zmq_source_endpoint(source), "news", "a", "b", NULL));
    CU_ASSERT_TRUE(duet_zmq_source_wait_messages(source, 2, 20000));
    g_autofree char *rows = all_rows(source);
    ASSERT_STR_EQ(rows, "[(a,news), (b,news)]");
}

typedef struct {
    char *endpoint;
    char *output;
    gboolean ok;
} Reader;

static gpointer
read_three(gpointer data)
{
    Reader *reader = data;
    reader->ok = run_peer(&reader->output, "pull", reader->endpoint, "3", NULL);
    return NULL;
}

static void
test_push_sink_to_pull_process(void)
{
    GError *error = NULL;
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    GHashTable *options = duet_source_options_new();
    duet_source_options_set(options, "url", "tcp://127.0.0.1:*");
    duet_source_options_set(options, "socketType", "push");
    duet_source_options_set(options, "bind", "true");
    g_autoptr(DuetSink) sink = duet_sink_new("zmq", options, schema, &error);
    g_hash_table_unref(options);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FATAL(sink != NULL);
    g_autofree char *description = duet_sink_description(sink);
    /* "ZeroMQSink[url: tcp://127.0.0.1:PORT, socketType: PUSH]" */
    const char *start = strstr(description, "tcp://");
    const char *end = start ? strchr(start, ',') : NULL;
    CU_ASSERT_FATAL(start && end);
    Reader reader = {g_strndup(start, (gsize)(end - start)), NULL, FALSE};
    GThread *thread = g_thread_new("reader", read_three, &reader);
    g_autoptr(DuetBatch) rows = duet_test_batch("value STRING", "[\"x\", \"y\", \"z\"]");
    GPtrArray *partitions = duet_sink_partitions_of(rows);
    CU_ASSERT_TRUE(duet_sink_add_batch(sink, 0, partitions, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_ptr_array_unref(partitions);
    g_thread_join(thread);
    CU_ASSERT_TRUE(reader.ok);
    ASSERT_STR_EQ(reader.output, "x\ny\nz\n");
    g_free(reader.output);
    g_free(reader.endpoint);
}

DUET_TEST_MAIN("zmq_process", DUET_TEST(test_push_process_to_pull_source),
               DUET_TEST(test_pub_process_to_sub_source), DUET_TEST(test_push_sink_to_pull_process))
