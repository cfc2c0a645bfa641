/* socket_source.c — Spark's socket source: text lines from a TCP peer, served by offsets.
 *
 * Layer: sources/. Includes rdd/ and sources/. Like Spark's TextSocketMicroBatchStream: a
 * thread reads lines into a buffer; every line is the next LongOffset (0 for the first);
 * (start, end] is served dealt round-robin over numPartitions partitions; committed lines are
 * dropped. Options: host and port (required), includeTimestamp (adds a `timestamp` column:
 * the source clock's time when the line arrived), numPartitions (default parallelism) and
 * reconnectDelayMs. Unlike Spark's source, which stops reading when the peer goes away, this
 * one reconnects after reconnectDelayMs (default 2000 ms, Spark's receiver restart delay), as
 * the DStream socket receiver does: the source is shared by both APIs.
 */
#include "sources/internal.h"
#include "sources/socket_client.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

typedef struct {
    char *host;
    guint16 port;
    gboolean include_timestamp;
    gint64 partitions;
    gint64 reconnect_delay_ms;
    DuetClock *clock; /* owned: stamps lines */
    GMutex lock;      /* guards the lines and quit */
    GCond changed;    /* a line arrived, or quit */
    GPtrArray *lines; /* char* from offset first */
    GArray *stamps;   /* gint64 ms per line */
    gint64 first;     /* offset of lines[0] */
    gboolean quit;
    GThread *thread;
} Socket;

static void
add_line(const char *data, gsize length, gpointer user_data)
{
    Socket *socket_source = user_data;
    gint64 now = duet_clock_now_ms(socket_source->clock);
    g_mutex_lock(&socket_source->lock);
    g_ptr_array_add(socket_source->lines, g_strndup(data, length));
    g_array_append_val(socket_source->stamps, now);
    g_cond_broadcast(&socket_source->changed);
    g_mutex_unlock(&socket_source->lock);
}

static gboolean
quitting(Socket *socket_source)
{
    g_mutex_lock(&socket_source->lock);
    gboolean quit = socket_source->quit;
    g_mutex_unlock(&socket_source->lock);
    return quit;
}

/* Reads one connection until it ends. */
static void
read_connection(Socket *socket_source, int fd)
{
    GByteArray *buffer = g_byte_array_new();
    guint8 chunk[65536];
    while (!quitting(socket_source)) {
        struct pollfd poll_fd = {.fd = fd, .events = POLLIN};
        int ready = poll(&poll_fd, 1, 100);
        if (ready < 0 && errno != EINTR)
            break;
        if (ready <= 0)
            continue;
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        g_byte_array_append(buffer, chunk, (guint)n);
        gsize consumed =
            duet_socket_split_lines(buffer->data, buffer->len, FALSE, add_line, socket_source);
        g_byte_array_remove_range(buffer, 0, (guint)consumed);
    }
    duet_socket_split_lines(buffer->data, buffer->len, TRUE, add_line, socket_source);
    g_byte_array_unref(buffer);
}

static gpointer
socket_main(gpointer data)
{
    Socket *socket_source = data;
    while (!quitting(socket_source)) {
        GError *error = NULL;
        int fd = duet_socket_connect(socket_source->host, socket_source->port, &error);
        if (fd >= 0) {
            read_connection(socket_source, fd);
            close(fd);
        } else {
            g_debug("socket source: %s", error->message);
            g_error_free(error);
        }
        /* wait the reconnect delay, or until told to quit */
        gint64 deadline = g_get_monotonic_time() + socket_source->reconnect_delay_ms * 1000;
        g_mutex_lock(&socket_source->lock);
        while (!socket_source->quit &&
               g_cond_wait_until(&socket_source->changed, &socket_source->lock, deadline))
            ;
        g_mutex_unlock(&socket_source->lock);
    }
    return NULL;
}

static void
socket_finalize(gpointer data)
{
    Socket *socket_source = data;
    g_mutex_lock(&socket_source->lock);
    socket_source->quit = TRUE;
    g_cond_broadcast(&socket_source->changed);
    g_mutex_unlock(&socket_source->lock);
    g_thread_join(socket_source->thread);
    g_ptr_array_unref(socket_source->lines);
    g_array_unref(socket_source->stamps);
    duet_clock_unref(socket_source->clock);
    g_mutex_clear(&socket_source->lock);
    g_cond_clear(&socket_source->changed);
    g_free(socket_source->host);
    g_free(socket_source);
}

static char *
socket_description(DuetSource *source)
{
    Socket *socket_source = duet_source_get_data(source);
    return g_strdup_printf("TextSocketV2[host: %s, port: %u]", socket_source->host,
                           socket_source->port);
}

static char *
socket_latest(DuetSource *source, GError **error)
{
    Socket *socket_source = duet_source_get_data(source);
    g_mutex_lock(&socket_source->lock);
    gint64 latest = socket_source->first + (gint64)socket_source->lines->len - 1;
    g_mutex_unlock(&socket_source->lock);
    return latest < 0 ? NULL : g_strdup_printf("%" G_GINT64_FORMAT, latest);
}

static GPtrArray *
socket_get_batch(DuetSource *source, const char *start, const char *end, GError **error)
{
    Socket *socket_source = duet_source_get_data(source);
    gint64 from, to;
    g_mutex_lock(&socket_source->lock);
    if (!duet_long_offset_held_range("socket source", start, end, socket_source->first,
                                     (gint64)socket_source->lines->len, &from, &to, error)) {
        g_mutex_unlock(&socket_source->lock);
        return NULL;
    }
    DuetBatchBuilder **builders =
        duet_partition_builders_new(duet_source_schema(source), socket_source->partitions);
    for (gint64 offset = from + 1; offset <= to; offset++) {
        gint64 index = offset - socket_source->first;
        DuetBatchBuilder *builder = builders[(offset - from - 1) % socket_source->partitions];
        duet_batch_builder_append_string(builder, 0, socket_source->lines->pdata[index], -1);
        if (socket_source->include_timestamp)
            duet_batch_builder_append_int64(
                builder, 1, g_array_index(socket_source->stamps, gint64, index) * 1000);
    }
    g_mutex_unlock(&socket_source->lock);
    return duet_partition_builders_finish(builders, socket_source->partitions);
}

static void
socket_forget(DuetSource *source, const char *end)
{
    Socket *socket_source = duet_source_get_data(source);
    g_mutex_lock(&socket_source->lock);
    gint64 drop =
        duet_long_offset_releasable(end, socket_source->first, (gint64)socket_source->lines->len);
    if (drop > 0) {
        g_ptr_array_remove_range(socket_source->lines, 0, (guint)drop);
        g_array_remove_range(socket_source->stamps, 0, (guint)drop);
        socket_source->first += drop;
    }
    g_mutex_unlock(&socket_source->lock);
}

static const DuetSourceClass socket_class = {
    .format = "socket",
    .description = socket_description,
    .latest_offset = socket_latest,
    .get_batch = socket_get_batch,
    .forget = socket_forget,
    .finalize = socket_finalize,
    .compare = duet_long_offset_compare,
};

DuetSource *
duet_socket_source_new(DuetSourceOptions *options, DuetClock *clock, guint default_partitions,
                       GError **error)
{
    const char *host = duet_source_options_get(options, "host");
    if (host == NULL) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Set a host to read from with option(\"host\", ...).");
        return NULL;
    }
    if (duet_source_options_get(options, "port") == NULL) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Set a port to read from with option(\"port\", ...).");
        return NULL;
    }
    gint64 port = 0, partitions = 0, delay = 0;
    if (!duet_source_options_get_int(options, "port", 0, FALSE, &port, error) || port > 65535) {
        if (error && *error == NULL)
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "Port should be an integer between 1 and 65535");
        return NULL;
    }
    if (!duet_source_options_get_int(options, "numPartitions", MAX(default_partitions, 1), FALSE,
                                     &partitions, error) ||
        !duet_source_options_get_int(options, "reconnectDelayMs", 2000, TRUE, &delay, error))
        return NULL;
    const char *timestamp = duet_source_options_get(options, "includeTimestamp");
    if (timestamp != NULL && g_ascii_strcasecmp(timestamp, "true") != 0 &&
        g_ascii_strcasecmp(timestamp, "false") != 0) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Invalid value '%s' for option 'includeTimestamp', must be true or false",
                    timestamp);
        return NULL;
    }
    Socket *socket_source = g_new0(Socket, 1);
    socket_source->host = g_strdup(host);
    socket_source->port = (guint16)port;
    socket_source->include_timestamp = timestamp && g_ascii_strcasecmp(timestamp, "true") == 0;
    socket_source->partitions = partitions;
    socket_source->reconnect_delay_ms = delay;
    socket_source->clock = duet_clock_ref(clock);
    g_mutex_init(&socket_source->lock);
    g_cond_init(&socket_source->changed);
    socket_source->lines = g_ptr_array_new_with_free_func(g_free);
    socket_source->stamps = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(DuetSchema) schema = duet_schema_parse(
        socket_source->include_timestamp ? "value STRING, timestamp TIMESTAMP" : "value STRING",
        NULL);
    DuetSource *source = duet_source_new_internal(&socket_class, schema, socket_source);
    socket_source->thread = g_thread_new("duet-socket-source", socket_main, socket_source);
    return source;
}

gboolean
duet_socket_source_wait_lines(DuetSource *source, gint64 n, gint64 timeout_ms)
{
    g_return_val_if_fail(g_str_equal(duet_source_format(source), "socket"), FALSE);
    Socket *socket_source = duet_source_get_data(source);
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    g_mutex_lock(&socket_source->lock);
    while (socket_source->first + (gint64)socket_source->lines->len < n &&
           g_cond_wait_until(&socket_source->changed, &socket_source->lock, deadline))
        ;
    gboolean reached = socket_source->first + (gint64)socket_source->lines->len >= n;
    g_mutex_unlock(&socket_source->lock);
    return reached;
}
