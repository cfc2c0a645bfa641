/* test_zmq_source.c — tests of sources/zmq_source.c against real ZeroMQ peers on loopback TCP
 * (ephemeral ports from tcp://127.0.0.1:*): every message is an offset, multi-part messages and
 * topic frames, SUB prefix filtering, a PULL socket that binds, ten thousand messages in order,
 * a publisher that dies and comes back, committed messages dropped, and option errors. The
 * test's publisher is an XPUB socket, so it waits (with a deadline) until the source's
 * subscription reached it before publishing, instead of sleeping past ZeroMQ's slow joiner. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "tests/sources/source_options.h"
#include "sources/source.h"

#include <string.h>
#include <zmq.h>

/* A peer socket of the test, with a context of its own. */
typedef struct {
    void *context;
    void *socket;
    char endpoint[256]; /* bound: the resolved endpoint */
} Peer;

static Peer *
peer_new(int type)
{
    Peer *peer = g_new0(Peer, 1);
    peer->context = zmq_ctx_new();
    peer->socket = zmq_socket(peer->context, type);
    int zero = 0;
    zmq_setsockopt(peer->socket, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(peer->socket, ZMQ_SNDHWM, &zero, sizeof zero);
    return peer;
}

/* A peer bound to endpoint (tcp://127.0.0.1:* for an ephemeral port); NULL if it cannot. */
static Peer *
peer_bind(int type, const char *endpoint)
{
    Peer *peer = peer_new(type);
    if (zmq_bind(peer->socket, endpoint) != 0) {
        g_printerr("\n  binding %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        zmq_close(peer->socket);
        zmq_ctx_term(peer->context);
        g_free(peer);
        return NULL;
    }
    size_t length = sizeof peer->endpoint;
    zmq_getsockopt(peer->socket, ZMQ_LAST_ENDPOINT, peer->endpoint, &length);
    return peer;
}

static void
peer_free(Peer *peer)
{
    if (peer == NULL)
        return;
    zmq_close(peer->socket);
    zmq_ctx_term(peer->context);
    g_free(peer);
}

/* Waits (at most 30 s of real time) for a subscription message on an XPUB peer; whether one
 * subscribing to prefix came. */
static gboolean
peer_wait_subscription(Peer *peer, const char *prefix)
{
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < deadline) {
        zmq_pollitem_t item = {.socket = peer->socket, .events = ZMQ_POLLIN};
        if (zmq_poll(&item, 1, 100) <= 0)
            continue;
        char buffer[256];
        int size = zmq_recv(peer->socket, buffer, sizeof buffer, ZMQ_DONTWAIT);
        if (size == (int)strlen(prefix) + 1 && buffer[0] == 1 &&
            memcmp(buffer + 1, prefix, strlen(prefix)) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Sends a message of the NULL-terminated frames. */
static void
peer_send(Peer *peer, const char *first, ...)
{
    va_list args;
    va_start(args, first);
    const char *frame = first;
    while (frame != NULL) {
        const char *next = va_arg(args, const char *);
        int sent = zmq_send(peer->socket, frame, strlen(frame), next ? ZMQ_SNDMORE : 0);
        CU_ASSERT_EQUAL(sent, (int)strlen(frame));
        frame = next;
    }
    va_end(args);
}

/* A zmq source; options are NULL-terminated key/value pairs. */
static DuetSource *
zmq_source(GError **error, const char *first_key, ...)
{
    DuetSourceOptions *options = duet_source_options_new();
    va_list args;
    va_start(args, first_key);
    for (const char *key = first_key; key != NULL; key = va_arg(args, const char *))
        duet_source_options_set(options, key, va_arg(args, const char *));
    va_end(args);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    DuetSource *source = duet_source_new("zmq", options, NULL, clock, 2, error);
    g_hash_table_unref(options);
    return source;
}

/* The first batch of a partition. (transfer none) */
static DuetBatch *
first_batch(GPtrArray *partitions, guint partition)
{
    GPtrArray *batches = g_ptr_array_index(partitions, partition);
    return g_ptr_array_index(batches, 0);
}

/* The rows of (start, end], in partition order or sorted. */
static char *
render_range(DuetSource *source, const char *start, const char *end, gboolean sorted)
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
    g_ptr_array_unref(partitions);
    return sorted ? duet_test_render_sorted(batch) : duet_test_render(batch);
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

/* A SUB source connected to a publisher: one offset per message, multi-part messages
 * concatenated, an empty message an empty string; committed messages are gone. */
static void
test_zmq_sub_rows(void)
{
    Peer *publisher = peer_bind(ZMQ_XPUB, "tcp://127.0.0.1:*");
    CU_ASSERT_PTR_NOT_NULL_FATAL(publisher);
    GError *error = NULL;
    g_autoptr(DuetSource) source = zmq_source(&error, "url", publisher->endpoint, NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(source);
    g_autofree char *tree = duet_schema_tree_string(duet_source_schema(source));
    ASSERT_STR_EQ(tree, "root\n |-- value: string (nullable = true)\n");
    g_autofree char *description = duet_source_description(source);
    g_autofree char *expected =
        g_strdup_printf("ZeroMQStream[url: %s, socketType: SUB]", publisher->endpoint);
    ASSERT_STR_EQ(description, expected);
    CU_ASSERT_PTR_NULL(duet_source_latest_offset(source, &error));
    ASSERT_NO_ERROR(error);

    CU_ASSERT_TRUE_FATAL(peer_wait_subscription(publisher, ""));
    peer_send(publisher, "a", NULL);
    peer_send(publisher, "b", NULL);
    peer_send(publisher, "", NULL);
    peer_send(publisher, "x", "y", "z", NULL);
    CU_ASSERT_TRUE_FATAL(duet_zmq_source_wait_messages(source, 4, 30000));
    g_autofree char *end = latest(source);
    ASSERT_STR_EQ(end, "3");
    g_autofree char *rows = render_range(source, NULL, "3", TRUE);
    ASSERT_STR_EQ(rows, "[, a, b, xyz]");
    /* offsets deal round-robin over the two partitions */
    GPtrArray *partitions = duet_source_get_batch(source, "0", "3", &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_EQUAL_FATAL(partitions->len, 2);
    ASSERT_INT_EQ(duet_batch_n_rows(first_batch(partitions, 0)), 2);
    ASSERT_INT_EQ(duet_batch_n_rows(first_batch(partitions, 1)), 1);
    g_ptr_array_unref(partitions);

    guint consumer = duet_source_add_consumer(source);
    duet_source_commit(source, consumer, "1");
    CU_ASSERT_PTR_NULL(duet_source_get_batch(source, NULL, "3", &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    ASSERT_STR_EQ(error->message, "the ZeroMQ source no longer has (or never had) offsets 0 to 3: "
                                  "it holds 2 to 3 (offsets are dropped once committed)");
    g_clear_error(&error);
    g_autofree char *rest = render_range(source, "1", "3", FALSE);
    ASSERT_STR_EQ(rest, "[, xyz]");
    CU_ASSERT_PTR_NULL(duet_source_get_batch(source, "3", "4", &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    g_clear_error(&error);
    peer_free(publisher);
}

/* A SUB source with a topic: ZeroMQ drops what does not start with the prefix, the first frame
 * is the topic column, a message of one frame has a null value. */
static void
test_zmq_topic_filter(void)
{
    Peer *publisher = peer_bind(ZMQ_XPUB, "tcp://127.0.0.1:*");
    CU_ASSERT_PTR_NOT_NULL_FATAL(publisher);
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        zmq_source(&error, "URL", publisher->endpoint, "subscribe", "fruit", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(source);
    g_autofree char *tree = duet_schema_tree_string(duet_source_schema(source));
    ASSERT_STR_EQ(tree, "root\n"
                        " |-- value: string (nullable = true)\n"
                        " |-- topic: string (nullable = true)\n");
    g_autofree char *description = duet_source_description(source);
    g_autofree char *expected = g_strdup_printf(
        "ZeroMQStream[url: %s, socketType: SUB, topic: fruit]", publisher->endpoint);
    ASSERT_STR_EQ(description, expected);

    CU_ASSERT_TRUE_FATAL(peer_wait_subscription(publisher, "fruit"));
    peer_send(publisher, "fruit.apple", "red", NULL);
    peer_send(publisher, "veg.leek", "green", NULL);
    peer_send(publisher, "fruit.kiwi", "brown", NULL);
    peer_send(publisher, "vegetables", NULL);
    peer_send(publisher, "fruit", NULL);
    /* one publisher's messages arrive in order: once the last is there, the vegetables would
     * have been too */
    CU_ASSERT_TRUE_FATAL(duet_zmq_source_wait_messages(source, 3, 30000));
    g_autofree char *end = latest(source);
    ASSERT_STR_EQ(end, "2");
    /* in partition order: offsets 0 and 2, then 1 */
    g_autofree char *rows = render_range(source, NULL, end, FALSE);
    ASSERT_STR_EQ(rows, "[(red,fruit.apple), (null,fruit), (brown,fruit.kiwi)]");
    g_autofree char *sorted = render_range(source, NULL, end, TRUE);
    ASSERT_STR_EQ(sorted, "[(brown,fruit.kiwi), (null,fruit), (red,fruit.apple)]");
    peer_free(publisher);
}

/* A PULL source that binds an ephemeral port, fed by a PUSH peer: ten thousand messages, every
 * one once and in order; committing half forgets half. */
static void
test_zmq_pull_many(void)
{
    GError *error = NULL;
    g_autoptr(DuetSource) source = zmq_source(&error, "endpoint", "tcp://127.0.0.1:*", "socketType",
                                              "PULL", "bind", "true", "numPartitions", "1", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(source);
    const char *endpoint = duet_zmq_source_endpoint(source);
    CU_ASSERT_TRUE(g_str_has_prefix(endpoint, "tcp://127.0.0.1:"));
    CU_ASSERT_FALSE(g_str_has_suffix(endpoint, ":*"));
    Peer *pusher = peer_new(ZMQ_PUSH);
    CU_ASSERT_EQUAL_FATAL(zmq_connect(pusher->socket, endpoint), 0);
    const int total = 10000;
    for (int message = 0; message < total; message++) {
        char text[32];
        g_snprintf(text, sizeof text, "m%d", message);
        peer_send(pusher, text, NULL);
    }
    CU_ASSERT_TRUE_FATAL(duet_zmq_source_wait_messages(source, total, 60000));
    g_autofree char *end = latest(source);
    ASSERT_STR_EQ(end, "9999");
    GPtrArray *partitions = duet_source_get_batch(source, NULL, end, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_EQUAL_FATAL(partitions->len, 1);
    DuetBatch *batch = first_batch(partitions, 0);
    ASSERT_INT_EQ(duet_batch_n_rows(batch), total);
    int out_of_order = 0;
    for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
        DuetRow row = duet_batch_row(batch, row_idx);
        gsize length = 0;
        const char *value = duet_row_get_string(&row, 0, &length);
        char text[32];
        g_snprintf(text, sizeof text, "m%" G_GSIZE_FORMAT, row_idx);
        if (length != strlen(text) || memcmp(value, text, length) != 0)
            out_of_order++;
    }
    ASSERT_INT_EQ(out_of_order, 0);
    g_ptr_array_unref(partitions);

    guint first = duet_source_add_consumer(source), second = duet_source_add_consumer(source);
    duet_source_commit(source, first, "4999");
    /* not forgotten until every consumer committed */
    g_autofree char *kept = render_range(source, "4998", "4999", FALSE);
    ASSERT_STR_EQ(kept, "[m4999]");
    duet_source_commit(source, second, "4999");
    CU_ASSERT_PTR_NULL(duet_source_get_batch(source, "4998", "4999", &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    g_clear_error(&error);
    g_autofree char *last = render_range(source, "9998", "9999", FALSE);
    ASSERT_STR_EQ(last, "[m9999]");
    peer_free(pusher);
}

/* The publisher dies: what arrived is still served and no offset appears; a new publisher on
 * the same endpoint is reconnected to by ZeroMQ and its messages continue the offsets. */
static void
test_zmq_dead_peer(void)
{
    Peer *publisher = peer_bind(ZMQ_XPUB, "tcp://127.0.0.1:*");
    CU_ASSERT_PTR_NOT_NULL_FATAL(publisher);
    g_autofree char *endpoint = g_strdup(publisher->endpoint);
    GError *error = NULL;
    g_autoptr(DuetSource) source = zmq_source(&error, "url", endpoint, NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(source);
    CU_ASSERT_TRUE_FATAL(peer_wait_subscription(publisher, ""));
    peer_send(publisher, "before-1", NULL);
    peer_send(publisher, "before-2", NULL);
    CU_ASSERT_TRUE_FATAL(duet_zmq_source_wait_messages(source, 2, 30000));
    peer_free(publisher);

    /* nobody there: the source keeps what it had and reports no error */
    CU_ASSERT_FALSE(duet_zmq_source_wait_messages(source, 3, 200));
    g_autofree char *end = latest(source);
    ASSERT_STR_EQ(end, "1");
    g_autofree char *rows = render_range(source, NULL, end, TRUE);
    ASSERT_STR_EQ(rows, "[before-1, before-2]");

    Peer *again = peer_bind(ZMQ_XPUB, endpoint);
    CU_ASSERT_PTR_NOT_NULL_FATAL(again);
    CU_ASSERT_TRUE_FATAL(peer_wait_subscription(again, ""));
    peer_send(again, "after", NULL);
    CU_ASSERT_TRUE_FATAL(duet_zmq_source_wait_messages(source, 3, 30000));
    g_autofree char *after = render_range(source, "1", "2", FALSE);
    ASSERT_STR_EQ(after, "[after]");
    peer_free(again);
}

/* The message of a zmq source made with these options (key, value, ..., NULL). */
#define option_error(...) duet_test_source_option_error("zmq", __VA_ARGS__)

static void
test_zmq_options(void)
{
    g_autofree char *no_url = option_error(NULL);
    ASSERT_STR_EQ(no_url, "Set an endpoint to read from with option(\"url\", ...), e.g. "
                          "tcp://127.0.0.1:5555.");
    g_autofree char *type = option_error("url", "tcp://127.0.0.1:1", "socketType", "dealer", NULL);
    ASSERT_STR_EQ(type, "Invalid value 'dealer' for option 'socketType', must be sub or pull");
    g_autofree char *sink_type =
        option_error("url", "tcp://127.0.0.1:1", "socketType", "pub", NULL);
    ASSERT_STR_EQ(sink_type, "Invalid value 'pub' for option 'socketType', must be sub or pull");
    g_autofree char *bind = option_error("url", "tcp://127.0.0.1:1", "bind", "yes", NULL);
    ASSERT_STR_EQ(bind, "Invalid value 'yes' for option 'bind', must be true or false");
    g_autofree char *frame = option_error("url", "tcp://127.0.0.1:1", "topicFrame", "1", NULL);
    ASSERT_STR_EQ(frame, "Invalid value '1' for option 'topicFrame', must be true or false");
    g_autofree char *pull_topic =
        option_error("url", "tcp://127.0.0.1:1", "socketType", "pull", "topic", "t", NULL);
    ASSERT_STR_EQ(pull_topic,
                  "Option 'topic' filters a SUB socket; a PULL socket receives every message "
                  "(set topicFrame=true if the first frame of each message is its topic).");
    g_autofree char *partitions =
        option_error("url", "tcp://127.0.0.1:1", "numPartitions", "0", NULL);
    ASSERT_STR_EQ(partitions, "Invalid value '0' for option 'numPartitions', must be positive");
    g_autofree char *malformed = option_error("url", "127.0.0.1:5555", NULL);
    ASSERT_STR_EQ(malformed, "ZeroMQ: cannot connect a SUB socket to 127.0.0.1:5555: Invalid "
                             "argument (expected an endpoint such as tcp://127.0.0.1:5555)");
    g_autofree char *scheme = option_error("url", "http://127.0.0.1:5555", NULL);
    CU_ASSERT_TRUE(g_str_has_prefix(scheme, "ZeroMQ: cannot connect a SUB socket to "
                                            "http://127.0.0.1:5555: "));
    /* an address another socket holds */
    Peer *holder = peer_bind(ZMQ_PUSH, "tcp://127.0.0.1:*");
    CU_ASSERT_PTR_NOT_NULL_FATAL(holder);
    g_autofree char *in_use =
        option_error("url", holder->endpoint, "bind", "TRUE", "socketType", "pull", NULL);
    g_autofree char *expected_in_use =
        g_strdup_printf("ZeroMQ: cannot bind a PULL socket to %s: Address already in use "
                        "(another socket holds that address)",
                        holder->endpoint);
    ASSERT_STR_EQ(in_use, expected_in_use);
    peer_free(holder);

    /* a user schema is refused */
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "url", "tcp://127.0.0.1:1");
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_source_new("zmq", options, schema, NULL, 1, &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);
    ASSERT_STR_EQ(error->message, "The zmq source does not support a user-specified schema.");
    g_clear_error(&error);
    g_hash_table_unref(options);
}

DUET_TEST_MAIN("zmq_source", DUET_TEST(test_zmq_sub_rows), DUET_TEST(test_zmq_topic_filter),
               DUET_TEST(test_zmq_pull_many), DUET_TEST(test_zmq_dead_peer),
               DUET_TEST(test_zmq_options))
