/* socket_client.c — connecting to a TCP peer and splitting what it sends into lines.
 *
 * Layer: sources/. Includes sources/ only.
 */
#include "sources/socket_client.h"
#include "sources/source.h"

#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

int
duet_socket_connect(const char *host, guint16 port, GError **error)
{
    char service[8];
    g_snprintf(service, sizeof service, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *addresses = NULL;
    int rc = getaddrinfo(host, service, &hints, &addresses);
    if (rc != 0) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED,
                    "Error connecting to %s:%u: %s", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, saved = ECONNREFUSED;
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
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED,
                    "Error connecting to %s:%u: %s", host, port, g_strerror(saved));
    return fd;
}

gsize
duet_socket_split_lines(const guint8 *data, gsize length, gboolean at_end, DuetLineFunc line,
                        gpointer user_data)
{
    gsize start = 0;
    for (gsize byte = 0; byte < length; byte++) {
        if (data[byte] != '\n')
            continue;
        gsize end = byte;
        if (end > start && data[end - 1] == '\r')
            end--;
        line((const char *)data + start, end - start, user_data);
        start = byte + 1;
    }
    if (at_end && start < length) {
        line((const char *)data + start, length - start, user_data);
        start = length;
    }
    return start;
}
