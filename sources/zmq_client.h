/* zmq_client.h — ZeroMQ connection settings shared by the ZeroMQ source and the ZeroMQ sink.
 *
 * Layer: sources/ (a client header that sinks/ and upper layers may include). Both ends read
 * the same options — `url` (alias `endpoint`), `socketType`, `bind`, `topic` (alias
 * `subscribe`), `topicFrame` — from the case-insensitive option maps of sources/source.h, taken
 * here as a plain GHashTable so that sinks/ need not see source.h. Errors are reported in the
 * caller's domain and code, so that a source reports DUET_SOURCE_ERROR and a sink
 * DUET_SINK_ERROR for the same bad option. Each socket gets a context of its own, so that
 * closing it (zmq_ctx_term) waits for nothing but that socket.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The socket types the source (SUB, PULL) and the sink (PUB, PUSH) use. */
typedef enum {
    DUET_ZMQ_SUB,
    DUET_ZMQ_PULL,
    DUET_ZMQ_PUB,
    DUET_ZMQ_PUSH,
} DuetZmqKind;

/* What the options say about one socket. */
typedef struct {
    char *endpoint;       /* `url`/`endpoint`: tcp://host:port, ipc://path, ... (owned) */
    DuetZmqKind kind;     /* `socketType` */
    gboolean bind;        /* `bind`: bind the endpoint rather than connect to it */
    char *topic;          /* `topic`/`subscribe`: the SUB prefix or the sink's topic, or NULL */
    gboolean topic_frame; /* `topicFrame`: the first frame of a message is its topic */
} DuetZmqSettings;

/* Reads settings from options. sending picks the side: PUB (default) or PUSH for a sink, SUB
 * (default) or PULL for a source. bind_default is the `bind` default of that side. topicFrame
 * defaults to whether a topic was given. A missing url, an unknown socket type, a `bind` or
 * `topicFrame` that is not true/false, or a topic on a PULL socket is an error in domain/code
 * naming the option. On success settings holds copies; duet_zmq_settings_clear frees them. */
gboolean duet_zmq_settings_parse(GHashTable *options, gboolean sending, gboolean bind_default,
                                 DuetZmqSettings *settings, GQuark domain, gint code,
                                 GError **error);
void duet_zmq_settings_clear(DuetZmqSettings *settings);
/* "SUB", "PULL", "PUB" or "PUSH". */
const char *duet_zmq_kind_name(DuetZmqKind kind);

/* A socket with a context of its own. Not thread-safe: one thread at a time uses it (a
 * socket may move to another thread when the handover is synchronised, as thread creation
 * is). */
typedef struct _DuetZmqSocket DuetZmqSocket;

/* Opens a socket of settings->kind with the given high-water marks (0 = unbounded) and linger,
 * subscribes a SUB socket to settings->topic (everything when NULL), then binds or connects
 * settings->endpoint. A PUB socket is opened as XPUB, so that it sees its subscribers (see
 * duet_zmq_socket_wait_subscribers), and with ZMQ_XPUB_NODROP, so that a subscriber behind by
 * the high-water mark makes a send wait (and time out) instead of losing the message. A PUSH socket
 * that connects queues nothing until the connection is up (ZMQ_IMMEDIATE), so that a send to a dead
 * peer times out. Errors (a malformed endpoint, an address in use) are in domain/code and name the
 * endpoint. (transfer full) */
DuetZmqSocket *duet_zmq_socket_open(const DuetZmqSettings *settings, int high_water_mark,
                                    int linger_ms, GQuark domain, gint code, GError **error);
/* Closes the socket and terminates its context, waiting at most the linger for queued
 * messages. NULL is ignored. */
void duet_zmq_socket_close(DuetZmqSocket *socket);
/* The libzmq socket, for zmq_send/zmq_msg_recv/zmq_poll. (transfer none) */
void *duet_zmq_socket_handle(DuetZmqSocket *socket);
/* The endpoint the socket is bound or connected to, with a wildcard port resolved
 * ("tcp://127.0.0.1:*" becomes "tcp://127.0.0.1:40123": ZMQ_LAST_ENDPOINT). (transfer none) */
const char *duet_zmq_socket_endpoint(DuetZmqSocket *socket);

/* XPUB sockets: reads the subscription messages that arrived, then waits until at least n
 * subscriptions are live, at most timeout_ms; whether they are. A subscriber that connects
 * but has not subscribed yet would miss what is published (ZeroMQ's slow joiner): a sink
 * waits here before it publishes. */
gboolean duet_zmq_socket_wait_subscribers(DuetZmqSocket *socket, guint n, gint64 timeout_ms);

/* Sends a message of frames (data, length pairs), waiting at most timeout_ms for room (a peer,
 * or space under the high-water mark); an error in domain/code naming the endpoint when the
 * wait ends or the socket fails. */
gboolean duet_zmq_socket_send(DuetZmqSocket *socket, const void *const *frames,
                              const gsize *lengths, guint n_frames, gint64 timeout_ms,
                              GQuark domain, gint code, GError **error);

G_END_DECLS
