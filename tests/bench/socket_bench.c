/* socket_bench.c — socket source ingest over loopback: lines/s into sources/socket_source.c.
 *
 * Layer: tests/bench (a benchmark, never run as a test). A peer thread listens on 127.0.0.1
 * and, once the source connects, writes --lines lines of --bytes bytes each (plus "\n"),
 * generated before timing. Timed: from the source's creation until every line is buffered
 * (ingest), then serving them all as one micro-batch (get_batch over every offset, rows in
 * DuetBatches) and committing. Prints lines/s and MB/s of line bytes for each.
 *
 * Usage: socket_bench [--lines 5000000] [--bytes 20]
 */
#include "sources/source.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int listener;  /* bound and listening */
    GBytes *data;  /* every line, written to the first client */
    GMutex lock;   /* guards done */
    GCond changed; /* done was set */
    gboolean done; /* the benchmark finished: close the connection */
} Peer;

static gpointer
serve(gpointer user_data)
{
    Peer *peer = user_data;
    int client = accept(peer->listener, NULL, NULL);
    if (client < 0)
        g_error("socket_bench: accept: %s", g_strerror(errno));
    gsize length = 0;
    const char *data = g_bytes_get_data(peer->data, &length);
    for (gsize sent = 0; sent < length;) {
        ssize_t wrote = write(client, data + sent, length - sent);
        if (wrote < 0 && errno != EINTR)
            g_error("socket_bench: write: %s", g_strerror(errno));
        if (wrote > 0)
            sent += (gsize)wrote;
    }
    /* keep the connection open until the source has everything (a close would make it
     * reconnect) */
    g_mutex_lock(&peer->lock);
    while (!peer->done)
        g_cond_wait(&peer->changed, &peer->lock);
    g_mutex_unlock(&peer->lock);
    close(client);
    return NULL;
}

int
main(int argc, char **argv)
{
    gint64 n_lines = 5000000, line_bytes = 20;
    for (int arg = 1; arg < argc; arg++) {
        if (g_str_equal(argv[arg], "--lines") && arg + 1 < argc)
            n_lines = g_ascii_strtoll(argv[++arg], NULL, 10);
        else if (g_str_equal(argv[arg], "--bytes") && arg + 1 < argc)
            line_bytes = g_ascii_strtoll(argv[++arg], NULL, 10);
        else {
            fprintf(stderr, "usage: socket_bench [--lines N] [--bytes N]\n");
            return 2;
        }
    }
    if (n_lines <= 0 || line_bytes <= 0) {
        fprintf(stderr, "socket_bench: --lines and --bytes must be positive\n");
        return 2;
    }
    GString *text = g_string_sized_new((gsize)(n_lines * (line_bytes + 1)));
    for (gint64 line = 0; line < n_lines; line++) {
        for (gint64 at = 0; at < line_bytes; at++)
            g_string_append_c(text, (char)('a' + (line + at) % 26));
        g_string_append_c(text, '\n');
    }
    Peer peer = {.data = g_string_free_to_bytes(text)};
    g_mutex_init(&peer.lock);
    g_cond_init(&peer.changed);
    peer.listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t address_length = sizeof address;
    if (bind(peer.listener, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(peer.listener, 1) != 0 ||
        getsockname(peer.listener, (struct sockaddr *)&address, &address_length) != 0)
        g_error("socket_bench: listening on loopback: %s", g_strerror(errno));
    g_autofree char *port = g_strdup_printf("%u", ntohs(address.sin_port));
    GThread *thread = g_thread_new("socket-bench-peer", serve, &peer);

    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "host", "127.0.0.1");
    duet_source_options_set(options, "port", port);
    duet_source_options_set(options, "numPartitions", "1");
    g_autoptr(DuetClock) clock = duet_clock_new_system();
    GError *error = NULL;
    gint64 started = g_get_monotonic_time();
    DuetSource *source = duet_source_new("socket", options, NULL, clock, 1, &error);
    g_hash_table_unref(options);
    if (source == NULL)
        g_error("socket_bench: %s", error->message);
    guint consumer = duet_source_add_consumer(source);
    if (!duet_socket_source_wait_lines(source, n_lines, 600000))
        g_error("socket_bench: the lines did not all arrive within 600 s");
    gdouble ingest = (g_get_monotonic_time() - started) / 1e6;
    g_autofree char *end = g_strdup_printf("%" G_GINT64_FORMAT, n_lines - 1);
    gint64 served_started = g_get_monotonic_time();
    GPtrArray *partitions = duet_source_get_batch(source, NULL, end, &error);
    if (partitions == NULL)
        g_error("socket_bench: get_batch: %s", error->message);
    gint64 rows = 0;
    for (guint partition = 0; partition < partitions->len; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint index = 0; index < batches->len; index++)
            rows += (gint64)duet_batch_n_rows(g_ptr_array_index(batches, index));
    }
    g_ptr_array_unref(partitions);
    duet_source_commit(source, consumer, end);
    gdouble served = (g_get_monotonic_time() - served_started) / 1e6;
    if (rows != n_lines)
        g_error("socket_bench: served %" G_GINT64_FORMAT " rows, expected %" G_GINT64_FORMAT, rows,
                n_lines);
    gdouble megabytes = n_lines * (gdouble)line_bytes / 1e6;
    printf("socket_bench: %" G_GINT64_FORMAT " lines of %" G_GINT64_FORMAT " bytes over loopback\n",
           n_lines, line_bytes);
    printf("%-24s %8.2f s %12.0f lines/s %8.1f MB/s\n", "ingest (to buffer)", ingest,
           n_lines / ingest, megabytes / ingest);
    printf("%-24s %8.2f s %12.0f lines/s %8.1f MB/s\n", "ingest + one batch", ingest + served,
           n_lines / (ingest + served), megabytes / (ingest + served));
    g_mutex_lock(&peer.lock);
    peer.done = TRUE;
    g_cond_signal(&peer.changed);
    g_mutex_unlock(&peer.lock);
    g_thread_join(thread);
    duet_source_unref(source);
    close(peer.listener);
    g_bytes_unref(peer.data);
    g_mutex_clear(&peer.lock);
    g_cond_clear(&peer.changed);
    return 0;
}
