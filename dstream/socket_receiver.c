/* socket_receiver.c — socketStream and socketTextStream: records from a TCP peer.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. Spark's SocketReceiver: a thread connects to
 * host:port and stores every line (without its "\n" or "\r\n"); when the peer closes the
 * connection ("Socket data stream had no more data") or cannot be reached, the receiver
 * restarts, which reconnects after the restart delay. Reads poll every 100 ms so that a stop
 * ends the thread promptly.
 */
#include "dstream/internal.h"
#include "dstream/receiver.h"
#include "sources/socket_client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    char *host;
    guint16 port;
    DuetSocketConverter converter; /* bytes to records */
    gpointer converter_data;
    GThread *thread; /* the reading thread while started */
    gint quit;       /* atomic: the reading thread must end */
    DuetReceiver *receiver;
} SocketReceiver;

/* socketTextStream's converter: the complete lines of buffer (and a last unterminated one at
 * the end, as Java's readLine), stored in one call per chunk. */
typedef struct {
    GArray *starts;
    GArray *lengths;
    const char *base;
} Lines;

static void
collect_line(const char *data, gsize length, gpointer user_data)
{
    Lines *lines = user_data;
    gsize start = (gsize)(data - lines->base);
    g_array_append_val(lines->starts, start);
    g_array_append_val(lines->lengths, length);
}

static void
store_lines(GByteArray *buffer, gboolean at_end, DuetReceiver *receiver, gpointer user_data)
{
    Lines lines = {g_array_new(FALSE, FALSE, sizeof(gsize)),
                   g_array_new(FALSE, FALSE, sizeof(gsize)), (const char *)buffer->data};
    gsize consumed =
        duet_socket_split_lines(buffer->data, buffer->len, at_end, collect_line, &lines);
    duet_receiver_store_strings(receiver, lines.base, (gsize *)lines.starts->data,
                                (gsize *)lines.lengths->data, lines.starts->len);
    g_byte_array_remove_range(buffer, 0, (guint)consumed);
    g_array_unref(lines.starts);
    g_array_unref(lines.lengths);
}

static gpointer
receive_main(gpointer data)
{
    SocketReceiver *socket_receiver = data;
    DuetReceiver *receiver = socket_receiver->receiver;
    GError *error = NULL;
    int fd = duet_socket_connect(socket_receiver->host, socket_receiver->port, &error);
    if (fd < 0) {
        duet_receiver_restart(receiver, error->message);
        g_error_free(error);
        return NULL;
    }
    GByteArray *buffer = g_byte_array_new();
    guint8 chunk[65536];
    const char *end_reason = NULL;
    while (!g_atomic_int_get(&socket_receiver->quit)) {
        struct pollfd poll_fd = {.fd = fd, .events = POLLIN};
        int ready = poll(&poll_fd, 1, 100);
        if (ready < 0 && errno != EINTR) {
            end_reason = "Error receiving data";
            break;
        }
        if (ready <= 0)
            continue;
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            end_reason = n == 0 ? "Socket data stream had no more data" : "Error receiving data";
            break;
        }
        g_byte_array_append(buffer, chunk, (guint)n);
        socket_receiver->converter(buffer, FALSE, receiver, socket_receiver->converter_data);
    }
    socket_receiver->converter(buffer, TRUE, receiver, socket_receiver->converter_data);
    close(fd);
    g_byte_array_unref(buffer);
    if (end_reason != NULL && !g_atomic_int_get(&socket_receiver->quit))
        duet_receiver_restart(receiver, end_reason);
    return NULL;
}

static void
socket_on_start(DuetReceiver *receiver, gpointer user_data)
{
    SocketReceiver *socket_receiver = user_data;
    socket_receiver->receiver = receiver;
    g_atomic_int_set(&socket_receiver->quit, 0);
    socket_receiver->thread = g_thread_new("duet-socket-receiver", receive_main, socket_receiver);
}

static void
socket_on_stop(DuetReceiver *receiver, gpointer user_data)
{
    SocketReceiver *socket_receiver = user_data;
    g_atomic_int_set(&socket_receiver->quit, 1);
    if (socket_receiver->thread != NULL) {
        g_thread_join(socket_receiver->thread);
        socket_receiver->thread = NULL;
    }
}

static void
socket_receiver_free(gpointer data)
{
    SocketReceiver *socket_receiver = data;
    g_free(socket_receiver->host);
    g_free(socket_receiver);
}

DuetDStream *
duet_streaming_context_socket_stream(DuetStreamingContext *context, const char *host, guint16 port,
                                     DuetSchema *schema, DuetSocketConverter converter,
                                     gpointer user_data)
{
    g_return_val_if_fail(context && host && schema && converter, NULL);
    static const DuetReceiverFuncs funcs = {socket_on_start, socket_on_stop};
    SocketReceiver *socket_receiver = g_new0(SocketReceiver, 1);
    socket_receiver->host = g_strdup(host);
    socket_receiver->port = port;
    socket_receiver->converter = converter;
    socket_receiver->converter_data = user_data;
    return duet_streaming_context_receiver_stream(context, schema, &funcs, socket_receiver,
                                                  socket_receiver_free);
}

DuetDStream *
duet_streaming_context_socket_text_stream(DuetStreamingContext *context, const char *host,
                                          guint16 port)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    return duet_streaming_context_socket_stream(context, host, port, schema, store_lines, NULL);
}
