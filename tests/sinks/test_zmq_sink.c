/* test_zmq_sink.c — tests of sinks/zmq_sink.c against real ZeroMQ peers on loopback TCP
 * (ephemeral ports from tcp://127.0.0.1:*): PUB to a SUB peer (minSubscribers instead of a
 * sleep past the slow joiner), exact messages, a re-run batch id not sent twice, topic frames
 * from an option or a column and SUB filtering on them, PUSH to a PULL peer with ten thousand
 * messages in order, a dead peer failing the batch within sendTimeoutMs and the same batch
 * going out once a peer is there, and option and column errors. Every receive has a deadline. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "tests/sinks/sink_options.h"
#include "sinks/sink.h"

#include <string.h>
#include <zmq.h>

typedef struct {
    void *context;
    void *socket;
    char endpoint[256]; /* bound: the resolved endpoint */
} Peer;

/* A peer socket of type; it binds endpoint when bind, else connects to it. */
static Peer *
peer_new(int type, const char *endpoint, gboolean bind, const char *subscribe)
{
    Peer *peer = g_new0(Peer, 1);
    peer->context = zmq_ctx_new();
    peer->socket = zmq_socket(peer->context, type);
    int zero = 0;
    zmq_setsockopt(peer->socket, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(peer->socket, ZMQ_RCVHWM, &zero, sizeof zero);
    if (subscribe != NULL)
        zmq_setsockopt(peer->socket, ZMQ_SUBSCRIBE, subscribe, strlen(subscribe));
    int rc = bind ? zmq_bind(peer->socket, endpoint) : zmq_connect(peer->socket, endpoint);
    CU_ASSERT_EQUAL(rc, 0);
    size_t length = sizeof peer->endpoint;
    zmq_getsockopt(peer->socket, ZMQ_LAST_ENDPOINT, peer->endpoint, &length);
    return peer;
}

static void
peer_free(Peer *peer)
{
    zmq_close(peer->socket);
    zmq_ctx_term(peer->context);
    g_free(peer);
}

/* The next message's frames joined by "|", or "(none)" when none came within 30 s of real
 * time (timeout_ms when not 0). */
static char *
peer_receive(Peer *peer, long timeout_ms)
{
    zmq_pollitem_t item = {.socket = peer->socket, .events = ZMQ_POLLIN};
    if (zmq_poll(&item, 1, timeout_ms ? timeout_ms : 30000) <= 0)
        return g_strdup("(none)");
    GString *text = g_string_new(NULL);
    for (int frame = 0;; frame++) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, peer->socket, 0) < 0) {
            zmq_msg_close(&part);
            break;
        }
        if (frame)
            g_string_append_c(text, '|');
        g_string_append_len(text, zmq_msg_data(&part), (gssize)zmq_msg_size(&part));
        gboolean more = zmq_msg_more(&part);
        zmq_msg_close(&part);
        if (!more)
            break;
    }
    return g_string_free(text, FALSE);
}

/* A zmq sink of ddl; options are NULL-terminated key/value pairs. */
static DuetSink *
zmq_sink(const char *ddl, GError **error, const char *first_key, ...)
{
    GHashTable *options = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    va_list args;
    va_start(args, first_key);
    for (const char *key = first_key; key != NULL; key = va_arg(args, const char *))
        g_hash_table_replace(options, g_strdup(key), g_strdup(va_arg(args, const char *)));
    va_end(args);
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    DuetSink *sink = duet_zmq_sink_new(options, schema, error);
    g_hash_table_unref(options);
    return sink;
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

/* PUB to a subscriber: one message per row, null an empty frame, a re-run batch not sent. */
static void
test_zmq_sink_pub(void)
{
    GError *error = NULL;
    const char *ddl = "value STRING, other INT";
    g_autoptr(DuetSink) sink = zmq_sink(ddl, &error, "url", "tcp://127.0.0.1:*", "MinSubscribers",
                                        "1", "sendTimeoutMs", "30000", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    const char *endpoint = duet_zmq_sink_endpoint(sink);
    CU_ASSERT_TRUE(g_str_has_prefix(endpoint, "tcp://127.0.0.1:"));
    CU_ASSERT_FALSE(g_str_has_suffix(endpoint, ":*"));
    g_autofree char *description = duet_sink_description(sink);
    g_autofree char *expected = g_strdup_printf("ZeroMQSink[url: %s, socketType: PUB]", endpoint);
    ASSERT_STR_EQ(description, expected);
    Peer *subscriber = peer_new(ZMQ_SUB, endpoint, FALSE, "");

    CU_ASSERT_TRUE(write_batch(sink, ddl, 0, "[[\"a\", 1], [\"b\", 2], [null, 3]]", &error));
    ASSERT_NO_ERROR(error);
    const char *first[] = {"a", "b", ""};
    for (gsize index = 0; index < G_N_ELEMENTS(first); index++) {
        g_autofree char *message = peer_receive(subscriber, 0);
        ASSERT_STR_EQ(message, first[index]);
    }
    /* batch 0 again: already committed, nothing sent; batch 1 is the next message */
    CU_ASSERT_TRUE(write_batch(sink, ddl, 0, "[[\"again\", 9]]", &error));
    CU_ASSERT_TRUE(write_batch(sink, ddl, 1, "[[\"c\", 4]]", &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *next = peer_receive(subscriber, 0);
    ASSERT_STR_EQ(next, "c");
    ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), 1);
    peer_free(subscriber);
}

/* Topic frames from a column (binary values), filtered by the subscriber's prefix; the topic
 * option wins over the column; topicFrame=false sends values alone. */
static void
test_zmq_sink_topics(void)
{
    GError *error = NULL;
    const char *ddl = "topic STRING, value BINARY";
    g_autoptr(DuetSink) sink =
        zmq_sink(ddl, &error, "endpoint", "tcp://127.0.0.1:*", "minSubscribers", "1", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    Peer *subscriber = peer_new(ZMQ_SUB, duet_zmq_sink_endpoint(sink), FALSE, "x");
    CU_ASSERT_TRUE(write_batch(sink, ddl, 0,
                               "[[\"x1\", \"p\"], [\"y\", \"q\"], [\"x2\", \"r\"], "
                               "[\"last\", \"-\"], [\"x3\", null]]",
                               &error));
    ASSERT_NO_ERROR(error);
    const char *expected[] = {"x1|p", "x2|r", "x3|"};
    for (gsize index = 0; index < G_N_ELEMENTS(expected); index++) {
        g_autofree char *message = peer_receive(subscriber, 0);
        ASSERT_STR_EQ(message, expected[index]);
    }
    /* a null topic fails the batch before any of it is sent */
    CU_ASSERT_FALSE(write_batch(sink, ddl, 1, "[[\"x4\", \"s\"], [null, \"t\"]]", &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
    ASSERT_STR_EQ(error->message, "null topic present in the data. Use the topic option for "
                                  "setting a default topic.");
    g_clear_error(&error);
    ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), 0);
    CU_ASSERT_TRUE(write_batch(sink, ddl, 1, "[[\"x5\", \"u\"]]", &error));
    g_autofree char *after = peer_receive(subscriber, 0);
    ASSERT_STR_EQ(after, "x5|u");
    peer_free(subscriber);

    g_autoptr(DuetSink) forced = zmq_sink(ddl, &error, "url", "tcp://127.0.0.1:*", "topic", "fixed",
                                          "minSubscribers", "1", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(forced);
    Peer *all = peer_new(ZMQ_SUB, duet_zmq_sink_endpoint(forced), FALSE, "");
    CU_ASSERT_TRUE(write_batch(forced, ddl, 0, "[[\"x\", \"v\"], [null, \"w\"]]", &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *one = peer_receive(all, 0);
    g_autofree char *two = peer_receive(all, 0);
    ASSERT_STR_EQ(one, "fixed|v");
    ASSERT_STR_EQ(two, "fixed|w");
    peer_free(all);

    g_autoptr(DuetSink) bare = zmq_sink(ddl, &error, "url", "tcp://127.0.0.1:*", "topicFrame",
                                        "false", "minSubscribers", "1", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bare);
    Peer *plain = peer_new(ZMQ_SUB, duet_zmq_sink_endpoint(bare), FALSE, "");
    CU_ASSERT_TRUE(write_batch(bare, ddl, 0, "[[\"x\", \"only\"]]", &error));
    g_autofree char *value = peer_receive(plain, 0);
    ASSERT_STR_EQ(value, "only");
    peer_free(plain);
}

/* PUSH connecting to a PULL peer: ten thousand rows over two partitions, in partition order. */
static void
test_zmq_sink_push_many(void)
{
    Peer *puller = peer_new(ZMQ_PULL, "tcp://127.0.0.1:*", TRUE, NULL);
    GError *error = NULL;
    const char *ddl = "value STRING";
    g_autoptr(DuetSink) sink =
        zmq_sink(ddl, &error, "url", puller->endpoint, "socketType", "PUSH", "bind", "false", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    const int total = 10000;
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (int half = 0; half < 2; half++) {
        DuetBatchBuilder *builder = duet_batch_builder_new(schema, total / 2);
        for (int row = half * total / 2; row < (half + 1) * total / 2; row++) {
            char text[32];
            g_snprintf(text, sizeof text, "m%d", row);
            duet_batch_builder_append_string(builder, 0, text, -1);
        }
        GPtrArray *batches = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(batches, duet_batch_builder_finish(builder, NULL));
        duet_batch_builder_free(builder);
        g_ptr_array_add(partitions, batches);
    }
    CU_ASSERT_TRUE(duet_sink_add_batch(sink, 0, partitions, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_ptr_array_unref(partitions);
    int wrong = 0;
    for (int row = 0; row < total; row++) {
        g_autofree char *message = peer_receive(puller, 0);
        char text[32];
        g_snprintf(text, sizeof text, "m%d", row);
        if (strcmp(message, text) != 0 && wrong++ == 0)
            g_printerr("\n  message %d is %s\n", row, message);
    }
    ASSERT_INT_EQ(wrong, 0);
    peer_free(puller);
}

/* Nobody there: a PUSH that binds, a PUSH that connects to a closed port, a PUB waiting for a
 * subscriber — each fails its batch within sendTimeoutMs, commits nothing, and the same batch
 * goes out once a peer is there. */
static void
test_zmq_sink_dead_peer(void)
{
    GError *error = NULL;
    const char *ddl = "value STRING";
    g_autoptr(DuetSink) bound = zmq_sink(ddl, &error, "url", "tcp://127.0.0.1:*", "socketType",
                                         "push", "sendTimeoutMs", "200", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bound);
    const char *endpoint = duet_zmq_sink_endpoint(bound);
    CU_ASSERT_FALSE(write_batch(bound, ddl, 0, "[\"lost?\"]", &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
    g_autofree char *expected = g_strdup_printf(
        "ZeroMQ sink, batch 0: ZeroMQ: no peer of the PUSH socket at %s took a message within "
        "200 ms (sendTimeoutMs); is the peer running?",
        endpoint);
    ASSERT_STR_EQ(error->message, expected);
    g_clear_error(&error);
    ASSERT_INT_EQ(duet_sink_latest_batch_id(bound), -1);
    /* a peer comes: the batch is run again (until the connection is up, within a deadline)
     * and goes out */
    Peer *puller = peer_new(ZMQ_PULL, endpoint, FALSE, NULL);
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    gboolean sent = FALSE;
    while (!sent && g_get_monotonic_time() < deadline) {
        sent = write_batch(bound, ddl, 0, "[\"delivered\"]", &error);
        g_clear_error(&error);
    }
    CU_ASSERT_TRUE(sent);
    g_autofree char *message = peer_receive(puller, 0);
    ASSERT_STR_EQ(message, "delivered");
    ASSERT_INT_EQ(duet_sink_latest_batch_id(bound), 0);
    peer_free(puller);

    /* a port nobody listens on: bound by a peer that then goes away */
    Peer *gone = peer_new(ZMQ_PULL, "tcp://127.0.0.1:*", TRUE, NULL);
    g_autofree char *closed = g_strdup(gone->endpoint);
    peer_free(gone);
    g_autoptr(DuetSink) connecting =
        zmq_sink(ddl, &error, "url", closed, "socketType", "push", "bind", "false", "sendTimeoutMs",
                 "200", "lingerMs", "0", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(connecting);
    CU_ASSERT_FALSE(write_batch(connecting, ddl, 0, "[\"x\"]", &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
    CU_ASSERT_TRUE(strstr(error->message, "took a message within 200 ms") != NULL);
    g_clear_error(&error);

    g_autoptr(DuetSink) lonely = zmq_sink(ddl, &error, "url", "tcp://127.0.0.1:*", "minSubscribers",
                                          "1", "sendTimeoutMs", "200", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lonely);
    CU_ASSERT_FALSE(write_batch(lonely, ddl, 3, "[\"x\"]", &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
    g_autofree char *lonely_expected = g_strdup_printf(
        "ZeroMQ sink: fewer than 1 subscribers (minSubscribers) subscribed at %s within 200 ms "
        "(sendTimeoutMs); batch 3 was not sent",
        duet_zmq_sink_endpoint(lonely));
    ASSERT_STR_EQ(error->message, lonely_expected);
    g_clear_error(&error);
    ASSERT_INT_EQ(duet_sink_latest_batch_id(lonely), -1);
}

/* The message of a zmq sink made with these options (key, value, ..., NULL). */
#define sink_error(...) duet_test_sink_option_error("zmq", __VA_ARGS__)

static void
test_zmq_sink_errors(void)
{
    const char *url = "tcp://127.0.0.1:*";
    struct {
        const char *ddl;
        const char *key;
        const char *value;
        const char *message;
    } cases[] = {
        {"value STRING", "bind", "maybe",
         "Invalid value 'maybe' for option 'bind', must be true or false"},
        {"value STRING", "socketType", "sub",
         "Invalid value 'sub' for option 'socketType', must be pub or push"},
        {"value STRING", "sendTimeoutMs", "-5",
         "Invalid value '-5' for option 'sendTimeoutMs', must be an integer from 0 to "
         "2147483647"},
        {"value STRING", "topicFrame", "true",
         "topicFrame=true needs a topic: set option 'topic' or add a 'topic' column."},
        {"key STRING", "topic", "t", "Required attribute 'value' not found"},
        {"value INT", "topic", "t",
         "value attribute unsupported type int. value must be a(n) string or binary"},
        {"topic BINARY, value STRING", NULL, NULL,
         "topic attribute unsupported type binary. topic must be a(n) string"},
    };
    for (gsize index = 0; index < G_N_ELEMENTS(cases); index++) {
        g_autofree char *message = cases[index].key
                                       ? sink_error(cases[index].ddl, "url", url, cases[index].key,
                                                    cases[index].value, NULL)
                                       : sink_error(cases[index].ddl, "url", url, NULL);
        ASSERT_STR_EQ(message, cases[index].message);
    }
    g_autofree char *no_url = sink_error("value STRING", NULL);
    ASSERT_STR_EQ(no_url, "Set an endpoint to send to with option(\"url\", ...), e.g. "
                          "tcp://127.0.0.1:5555.");
    g_autofree char *push_subscribers =
        sink_error("value STRING", "url", url, "socketType", "push", "minSubscribers", "1", NULL);
    ASSERT_STR_EQ(push_subscribers,
                  "Option 'minSubscribers' counts the subscribers of a PUB socket; a PUSH socket "
                  "waits for a peer by itself (sendTimeoutMs).");
    g_autofree char *malformed = sink_error("value STRING", "url", "localhost:1", NULL);
    ASSERT_STR_EQ(malformed, "ZeroMQ: cannot bind a PUB socket to localhost:1: Invalid argument "
                             "(expected an endpoint such as tcp://127.0.0.1:5555)");
    Peer *holder = peer_new(ZMQ_PULL, url, TRUE, NULL);
    g_autofree char *in_use = sink_error("value STRING", "url", holder->endpoint, NULL);
    g_autofree char *expected = g_strdup_printf("ZeroMQ: cannot bind a PUB socket to %s: Address "
                                                "already in use (another socket holds that "
                                                "address)",
                                                holder->endpoint);
    ASSERT_STR_EQ(in_use, expected);
    peer_free(holder);
}

DUET_TEST_MAIN("zmq_sink", DUET_TEST(test_zmq_sink_pub), DUET_TEST(test_zmq_sink_topics),
               DUET_TEST(test_zmq_sink_push_many), DUET_TEST(test_zmq_sink_dead_peer),
               DUET_TEST(test_zmq_sink_errors))
