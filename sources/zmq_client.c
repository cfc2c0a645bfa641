/* zmq_client.c — ZeroMQ options, sockets and sends shared by the ZeroMQ source and sink.
 *
 * Layer: sources/. Includes sources/ only (and libzmq).
 */
#include "sources/zmq_client.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

struct _DuetZmqSocket {
    void *context;      /* owned: one per socket */
    void *socket;       /* owned */
    DuetZmqKind kind;   /* what was asked for (PUB is opened as XPUB) */
    char *endpoint;     /* bound or connected, wildcard port resolved */
    gint subscriptions; /* XPUB: live subscriptions seen so far */
};

/* The value of option key (compared case-insensitively), or NULL. */
static const char *
option(GHashTable *options, const char *key)
{
    if (options == NULL)
        return NULL;
    g_autofree char *lower = g_ascii_strdown(key, -1);
    const char *value = g_hash_table_lookup(options, lower);
    if (value != NULL)
        return value;
    GHashTableIter iter;
    gpointer name, found;
    g_hash_table_iter_init(&iter, options);
    while (g_hash_table_iter_next(&iter, &name, &found))
        if (g_ascii_strcasecmp(name, key) == 0)
            return found;
    return NULL;
}

/* A true/false option (case-insensitive), or fallback when absent. */
static gboolean
boolean_option(GHashTable *options, const char *key, gboolean fallback, gboolean *value,
               GQuark domain, gint code, GError **error)
{
    const char *text = option(options, key);
    if (text == NULL) {
        *value = fallback;
        return TRUE;
    }
    if (g_ascii_strcasecmp(text, "true") == 0 || g_ascii_strcasecmp(text, "false") == 0) {
        *value = g_ascii_strcasecmp(text, "true") == 0;
        return TRUE;
    }
    g_set_error(error, domain, code, "Invalid value '%s' for option '%s', must be true or false",
                text, key);
    return FALSE;
}

const char *
duet_zmq_kind_name(DuetZmqKind kind)
{
    static const char *const names[] = {"SUB", "PULL", "PUB", "PUSH"};
    return names[kind];
}

gboolean
duet_zmq_settings_parse(GHashTable *options, gboolean sending, gboolean bind_default,
                        DuetZmqSettings *settings, GQuark domain, gint code, GError **error)
{
    memset(settings, 0, sizeof *settings);
    const char *endpoint = option(options, "url");
    if (endpoint == NULL)
        endpoint = option(options, "endpoint");
    if (endpoint == NULL || *endpoint == '\0') {
        g_set_error(error, domain, code,
                    "Set an endpoint to %s with option(\"url\", ...), e.g. "
                    "tcp://127.0.0.1:5555.",
                    sending ? "send to" : "read from");
        return FALSE;
    }
    const char *type = option(options, "socketType");
    DuetZmqKind first = sending ? DUET_ZMQ_PUB : DUET_ZMQ_SUB;
    settings->kind = first;
    if (type != NULL) {
        if (g_ascii_strcasecmp(type, duet_zmq_kind_name(first)) == 0) {
            settings->kind = first;
        } else if (g_ascii_strcasecmp(type, duet_zmq_kind_name(first + 1)) == 0) {
            settings->kind = first + 1;
        } else {
            g_autofree char *one = g_ascii_strdown(duet_zmq_kind_name(first), -1);
            g_autofree char *other = g_ascii_strdown(duet_zmq_kind_name(first + 1), -1);
            g_set_error(error, domain, code,
                        "Invalid value '%s' for option 'socketType', must be %s or %s", type, one,
                        other);
            return FALSE;
        }
    }
    const char *topic = option(options, "topic");
    if (topic == NULL)
        topic = option(options, "subscribe");
    if (topic != NULL && settings->kind == DUET_ZMQ_PULL) {
        g_set_error(error, domain, code,
                    "Option 'topic' filters a SUB socket; a PULL socket receives every message "
                    "(set topicFrame=true if the first frame of each message is its topic).");
        return FALSE;
    }
    if (!boolean_option(options, "bind", bind_default, &settings->bind, domain, code, error) ||
        !boolean_option(options, "topicFrame", topic != NULL, &settings->topic_frame, domain, code,
                        error))
        return FALSE;
    settings->endpoint = g_strdup(endpoint);
    settings->topic = g_strdup(topic);
    return TRUE;
}

void
duet_zmq_settings_clear(DuetZmqSettings *settings)
{
    g_clear_pointer(&settings->endpoint, g_free);
    g_clear_pointer(&settings->topic, g_free);
}

void
duet_zmq_socket_close(DuetZmqSocket *socket)
{
    if (socket == NULL)
        return;
    if (socket->socket != NULL)
        zmq_close(socket->socket);
    /* zmq_ctx_term waits for queued messages up to the linger; EINTR means try again */
    while (zmq_ctx_term(socket->context) != 0 && errno == EINTR)
        ;
    g_free(socket->endpoint);
    g_free(socket);
}

static gboolean
set_int(DuetZmqSocket *socket, int name, int value)
{
    return zmq_setsockopt(socket->socket, name, &value, sizeof value) == 0;
}

DuetZmqSocket *
duet_zmq_socket_open(const DuetZmqSettings *settings, int high_water_mark, int linger_ms,
                     GQuark domain, gint code, GError **error)
{
    static const int types[] = {ZMQ_SUB, ZMQ_PULL, ZMQ_XPUB, ZMQ_PUSH};
    DuetZmqSocket *socket = g_new0(DuetZmqSocket, 1);
    socket->kind = settings->kind;
    socket->context = zmq_ctx_new();
    socket->socket = socket->context ? zmq_socket(socket->context, types[settings->kind]) : NULL;
    gboolean sending = settings->kind == DUET_ZMQ_PUB || settings->kind == DUET_ZMQ_PUSH;
    gboolean ok = socket->socket != NULL && set_int(socket, ZMQ_LINGER, linger_ms) &&
                  set_int(socket, sending ? ZMQ_SNDHWM : ZMQ_RCVHWM, high_water_mark);
    /* a PUB sees every subscription, and waits (up to the send timeout) rather than dropping
     * a message when a subscriber is behind by the high-water mark */
    if (ok && settings->kind == DUET_ZMQ_PUB)
        ok = set_int(socket, ZMQ_XPUB_VERBOSE, 1) && set_int(socket, ZMQ_XPUB_NODROP, 1);
    if (ok && settings->kind == DUET_ZMQ_PUSH && !settings->bind)
        ok = set_int(socket, ZMQ_IMMEDIATE, 1);
    if (ok && settings->kind == DUET_ZMQ_SUB) {
        const char *prefix = settings->topic ? settings->topic : "";
        ok = zmq_setsockopt(socket->socket, ZMQ_SUBSCRIBE, prefix, strlen(prefix)) == 0;
    }
    if (!ok) {
        g_set_error(error, domain, code, "ZeroMQ: cannot set up a %s socket: %s",
                    duet_zmq_kind_name(settings->kind), zmq_strerror(zmq_errno()));
        duet_zmq_socket_close(socket);
        return NULL;
    }
    int rc = settings->bind ? zmq_bind(socket->socket, settings->endpoint)
                            : zmq_connect(socket->socket, settings->endpoint);
    if (rc != 0) {
        int saved = zmq_errno();
        g_set_error(error, domain, code, "ZeroMQ: cannot %s %s socket to %s: %s%s",
                    settings->bind ? "bind a" : "connect a", duet_zmq_kind_name(settings->kind),
                    settings->endpoint, zmq_strerror(saved),
                    saved == EINVAL || saved == EPROTONOSUPPORT
                        ? " (expected an endpoint such as tcp://127.0.0.1:5555)"
                    : saved == EADDRINUSE ? " (another socket holds that address)"
                                          : "");
        duet_zmq_socket_close(socket);
        return NULL;
    }
    char last[1024] = "";
    size_t length = sizeof last;
    if (settings->bind && zmq_getsockopt(socket->socket, ZMQ_LAST_ENDPOINT, last, &length) == 0 &&
        last[0] != '\0')
        socket->endpoint = g_strdup(last);
    else
        socket->endpoint = g_strdup(settings->endpoint);
    return socket;
}

void *
duet_zmq_socket_handle(DuetZmqSocket *socket)
{
    return socket->socket;
}

const char *
duet_zmq_socket_endpoint(DuetZmqSocket *socket)
{
    return socket->endpoint;
}

/* Reads the subscription messages waiting on an XPUB socket, for at most wait_ms (0: only
 * those already there). */
static void
read_subscriptions(DuetZmqSocket *socket, long wait_ms)
{
    zmq_pollitem_t item = {.socket = socket->socket, .events = ZMQ_POLLIN};
    while (zmq_poll(&item, 1, wait_ms) > 0 && (item.revents & ZMQ_POLLIN)) {
        zmq_msg_t message;
        zmq_msg_init(&message);
        if (zmq_msg_recv(&message, socket->socket, ZMQ_DONTWAIT) >= 0 &&
            zmq_msg_size(&message) > 0) {
            const guint8 *data = zmq_msg_data(&message);
            socket->subscriptions += data[0] == 1 ? 1 : data[0] == 0 ? -1 : 0;
        }
        zmq_msg_close(&message);
        wait_ms = 0;
    }
}

gboolean
duet_zmq_socket_wait_subscribers(DuetZmqSocket *socket, guint n, gint64 timeout_ms)
{
    g_return_val_if_fail(socket->kind == DUET_ZMQ_PUB, FALSE);
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    read_subscriptions(socket, 0);
    while (socket->subscriptions < (gint)n) {
        gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
        if (left_ms <= 0)
            break;
        read_subscriptions(socket, (long)left_ms);
    }
    return socket->subscriptions >= (gint)n;
}

gboolean
duet_zmq_socket_send(DuetZmqSocket *socket, const void *const *frames, const gsize *lengths,
                     guint n_frames, gint64 timeout_ms, GQuark domain, gint code, GError **error)
{
    int timeout = (int)CLAMP(timeout_ms, 0, G_MAXINT);
    if (!set_int(socket, ZMQ_SNDTIMEO, timeout)) {
        g_set_error(error, domain, code, "ZeroMQ: %s", zmq_strerror(zmq_errno()));
        return FALSE;
    }
    for (guint frame = 0; frame < n_frames; frame++) {
        int flags = frame + 1 < n_frames ? ZMQ_SNDMORE : 0;
        while (zmq_send(socket->socket, frames[frame], lengths[frame], flags) < 0) {
            int saved = zmq_errno();
            if (saved == EINTR)
                continue;
            if (saved == EAGAIN)
                g_set_error(
                    error, domain, code,
                    "ZeroMQ: no peer of the %s socket at %s took a message within %" G_GINT64_FORMAT
                    " ms (sendTimeoutMs); is the peer running?",
                    duet_zmq_kind_name(socket->kind), socket->endpoint, timeout_ms);
            else
                g_set_error(error, domain, code, "ZeroMQ: sending to %s failed: %s",
                            socket->endpoint, zmq_strerror(saved));
            return FALSE;
        }
    }
    return TRUE;
}
