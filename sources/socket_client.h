/* socket_client.h — a TCP client and line splitting, shared by the socket source and the
 * DStream socket receiver.
 *
 * Layer: sources/ (a client header that upper layers may include).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Connects to host:port (any address family); -1 with a message naming host and port. */
int duet_socket_connect(const char *host, guint16 port, GError **error);

/* Calls line(data, length) for every complete line of data ("\n" or "\r\n" endings
 * removed) and, when at_end, for a last unterminated line (as Java's readLine). Returns the
 * number of bytes consumed: the caller drops them once it is done with the lines, which
 * point into data. */
typedef void (*DuetLineFunc)(const char *data, gsize length, gpointer user_data);
gsize duet_socket_split_lines(const guint8 *data, gsize length, gboolean at_end, DuetLineFunc line,
                              gpointer user_data);

G_END_DECLS
