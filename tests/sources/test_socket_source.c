/* test_socket_source.c — tests of sources/socket_source.c against a real loopback peer that
 * sends, disconnects and comes back: lines become offsets, includeTimestamp stamps them with
 * the clock, committed lines are dropped, and Spark's option errors. Waits are on the source's
 * line count, never sleeps. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "sources/source.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int listener;
    guint16 port;
} Peer;

static gpointer
serve_twice(gpointer data)
{
    Peer *peer = data;
    const char *sends[] = {"a\nb\r\n", "c"};
    for (int connection = 0; connection < 2; connection++) {
        int client = accept(peer->listener, NULL, NULL);
        if (client < 0)
            return NULL;
        ssize_t written = write(client, sends[connection], strlen(sends[connection]));
        (void)written;
        close(client);
    }
    return NULL;
}

static char *
render_range(DuetSource *source, const char *start, const char *end)
{
    GError *error = NULL;
    GPtrArray *partitions = duet_source_get_batch(source, start, end, &error);
    g_assert_no_error(error);
    GPtrArray *all = g_ptr_array_new();
    for (guint partition = 0; partition < partitions->len; partition++)
        g_ptr_array_extend(all, g_ptr_array_index(partitions, partition), NULL, NULL);
    g_autoptr(DuetBatch) batch = duet_batch_concat(duet_source_schema(source),
                                                   (DuetBatch *const *)all->pdata, all->len, NULL);
    g_ptr_array_unref(all);
    g_ptr_array_unref(partitions);
    return duet_test_render_sorted(batch);
}

static void
test_socket_source(void)
{
    Peer peer = {.listener = socket(AF_INET, SOCK_STREAM, 0)};
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_EQUAL_FATAL(bind(peer.listener, (struct sockaddr *)&address, sizeof address), 0);
    CU_ASSERT_EQUAL_FATAL(listen(peer.listener, 4), 0);
    socklen_t length = sizeof address;
    getsockname(peer.listener, (struct sockaddr *)&address, &length);
    GThread *thread = g_thread_new("peer", serve_twice, &peer);

    g_autoptr(DuetClock) clock = duet_clock_new_manual(5000);
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "host", "127.0.0.1");
    g_autofree char *port = g_strdup_printf("%u", ntohs(address.sin_port));
    duet_source_options_set(options, "port", port);
    duet_source_options_set(options, "includeTimestamp", "true");
    duet_source_options_set(options, "reconnectDelayMs", "10");
    GError *error = NULL;
    g_autoptr(DuetSource) source = duet_source_new("socket", options, NULL, clock, 2, &error);
    g_hash_table_unref(options);
    ASSERT_NO_ERROR(error);
    g_autofree char *description = duet_source_description(source);
    g_autofree char *expected_description =
        g_strdup_printf("TextSocketV2[host: 127.0.0.1, port: %s]", port);
    ASSERT_STR_EQ(description, expected_description);

    /* first connection: two lines; the peer closes; the source reconnects for the third */
    CU_ASSERT_TRUE(duet_socket_source_wait_lines(source, 2, 30000));
    g_autofree char *first = render_range(source, NULL, "1");
    ASSERT_STR_EQ(first, "[(a,1970-01-01 00:00:05.0), (b,1970-01-01 00:00:05.0)]");
    guint consumer = duet_source_add_consumer(source);
    duet_source_commit(source, consumer, "1");
    CU_ASSERT_TRUE(duet_socket_source_wait_lines(source, 3, 30000));
    g_autofree char *latest = duet_source_latest_offset(source, &error);
    ASSERT_STR_EQ(latest, "2");
    g_autofree char *second = render_range(source, "1", "2");
    ASSERT_STR_EQ(second, "[(c,1970-01-01 00:00:05.0)]");
    /* committed lines are gone */
    CU_ASSERT_PTR_NULL(duet_source_get_batch(source, NULL, "2", &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    g_clear_error(&error);
    g_thread_join(thread);
    close(peer.listener);
}

static void
test_socket_options(void)
{
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    DuetSourceOptions *options = duet_source_options_new();
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_source_new("socket", options, NULL, clock, 1, &error));
    ASSERT_STR_EQ(error->message, "Set a host to read from with option(\"host\", ...).");
    g_clear_error(&error);
    duet_source_options_set(options, "host", "localhost");
    CU_ASSERT_PTR_NULL(duet_source_new("socket", options, NULL, clock, 1, &error));
    ASSERT_STR_EQ(error->message, "Set a port to read from with option(\"port\", ...).");
    g_clear_error(&error);
    duet_source_options_set(options, "port", "x");
    CU_ASSERT_PTR_NULL(duet_source_new("socket", options, NULL, clock, 1, &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);
    g_clear_error(&error);
    g_hash_table_unref(options);
}

DUET_TEST_MAIN("socket_source", DUET_TEST(test_socket_source), DUET_TEST(test_socket_options))
