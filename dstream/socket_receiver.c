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

#include <errno.h>
#include <netdb.h>
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

static int
connect_to(const char *host, guint16 port, char **reason)
{
    char service[8];
    g_snprintf(service, sizeof service, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *addresses = NULL;
    int rc = getaddrinfo(host, service, &hints, &addresses);
    if (rc != 0) {
        *reason = g_strdup(gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    int saved = 0;
    for (struct addrinfo *address = addresses; address && fd < 0; address = address->ai_next) {
        fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
        if (fd >= 0 && connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(addresses);
    if (fd < 0)
        *reason = g_strdup(g_strerror(saved ? saved : ECONNREFUSED));
    return fd;
}

/* socketTextStream's converter: stores the complete lines of buffer and keeps the incomplete
 * tail (stored too at the end, as Java's readLine returns a last unterminated line). */
static void
store_lines(GByteArray *buffer, gboolean at_end, DuetReceiver *receiver, gpointer user_data)
{
    GArray *starts = g_array_new(FALSE, FALSE, sizeof(gsize));
    GArray *lengths = g_array_new(FALSE, FALSE, sizeof(gsize));
    gsize start = 0;
    for (gsize byte = 0; byte < buffer->len; byte++) {
        if (buffer->data[byte] != '\n')
            continue;
        gsize end = byte;
        if (end > start && buffer->data[end - 1] == '\r')
            end--;
        gsize length = end - start;
        g_array_append_val(starts, start);
        g_array_append_val(lengths, length);
        start = byte + 1;
    }
    if (at_end && start < buffer->len) {
        gsize length = buffer->len - start;
        g_array_append_val(starts, start);
        g_array_append_val(lengths, length);
        start = buffer->len;
    }
    duet_receiver_store_strings(receiver, (const char *)buffer->data, (gsize *)starts->data,
                                (gsize *)lengths->data, starts->len);
    g_array_unref(starts);
    g_array_unref(lengths);
    g_byte_array_remove_range(buffer, 0, (guint)start);
}

static gpointer
receive_main(gpointer data)
{
    SocketReceiver *socket_receiver = data;
    DuetReceiver *receiver = socket_receiver->receiver;
    char *reason = NULL;
    int fd = connect_to(socket_receiver->host, socket_receiver->port, &reason);
    if (fd < 0) {
        g_autofree char *message = g_strdup_printf(
            "Error connecting to %s:%u: %s", socket_receiver->host, socket_receiver->port, reason);
        g_free(reason);
        duet_receiver_restart(receiver, message);
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
