/* zmq_source.c — a ZeroMQ SUB or PULL socket as a source: messages served by offsets.
 *
 * Layer: sources/. Includes rdd/ and sources/ (and libzmq through sources/zmq_client.h).
 * Designed as socket_source.c is: a thread receives messages into a buffer; every message is
 * the next LongOffset (0 for the first); (start, end] is served dealt round-robin over
 * numPartitions partitions; messages every consumer committed are dropped. Like the socket
 * source it is not replayable: what was committed is gone, and what was buffered is lost with
 * the process (the write-ahead log of the APIs above makes it safe).
 *
 * Options (sources/zmq_client.h): url (alias endpoint), socketType sub (default) or pull,
 * bind (default false: connect to a publisher, as Spark's ZeroMQ receiver did), topic (alias
 * subscribe: the SUB prefix filter; all messages when absent), topicFrame (default: whether a
 * topic was given), numPartitions. The schema is `value STRING`, plus `topic STRING` when
 * topicFrame is on. Spark's ZeroMQ receiver (ZeroMQUtils.createStream) handed the frames of
 * each multi-part message [topic, payload...] to a converter; here a message is one row:
 * with topicFrame its first frame is `topic` and the rest, concatenated, is `value` (null when
 * there is no other frame); without, all frames concatenated are `value`. The socket's receive
 * high-water mark is unbounded, since the source buffers everything anyway: a SUB socket would
 * otherwise drop messages while this thread is behind.
 */
#include "sources/internal.h"
#include "sources/zmq_client.h"

#include <errno.h>
#include <zmq.h>

typedef struct {
    DuetZmqSettings settings; /* the options */
    gint64 partitions;        /* numPartitions */
    DuetZmqSocket *socket;    /* owned; used by the receiving thread only once it runs */
    GMutex lock;              /* guards what follows */
    GCond changed;            /* a message arrived, or quit */
    GPtrArray *values;        /* GBytes* (NULL = null) per message from offset first */
    GPtrArray *topics;        /* char* (NULL = null) per message, when topicFrame */
    gint64 first;             /* offset of values[0] */
    char *failure;            /* why the receiving thread stopped, or NULL */
    gboolean quit;
    GThread *thread;
} Zmq;

static gboolean
quitting(Zmq *zmq)
{
    g_mutex_lock(&zmq->lock);
    gboolean quit = zmq->quit;
    g_mutex_unlock(&zmq->lock);
    return quit;
}

/* Receives one whole message if one is waiting: its topic (with topicFrame) and value. Returns
 * 1 for a message, 0 when none is waiting, -1 on a socket error (errno-style in *saved). */
static int
receive_message(Zmq *zmq, char **topic, GBytes **value, int *saved)
{
    void *handle = duet_zmq_socket_handle(zmq->socket);
    GByteArray *payload = NULL;
    *topic = NULL;
    for (int frame = 0;; frame++) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        /* the first frame may not be there yet; the rest of a message arrives with it */
        if (zmq_msg_recv(&part, handle, frame == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            *saved = zmq_errno();
            zmq_msg_close(&part);
            if (*saved == EINTR && frame == 0)
                return 0;
            if (*saved == EINTR)
                continue;
            g_free(*topic);
            if (payload)
                g_byte_array_unref(payload);
            return *saved == EAGAIN && frame == 0 ? 0 : -1;
        }
        const guint8 *data = zmq_msg_data(&part);
        gsize size = zmq_msg_size(&part);
        if (frame == 0 && zmq->settings.topic_frame) {
            *topic = g_strndup((const char *)data, size);
        } else {
            if (payload == NULL)
                payload = g_byte_array_sized_new((guint)size);
            g_byte_array_append(payload, data, (guint)size);
        }
        gboolean more = zmq_msg_more(&part);
        zmq_msg_close(&part);
        if (!more)
            break;
    }
    *value = payload ? g_byte_array_free_to_bytes(payload) : NULL;
    return 1;
}

static gpointer
zmq_main(gpointer data)
{
    Zmq *zmq = data;
    void *handle = duet_zmq_socket_handle(zmq->socket);
    char *failure = NULL;
    while (failure == NULL && !quitting(zmq)) {
        /* wakes every 100 ms to notice quit, as the socket source's reader does */
        zmq_pollitem_t item = {.socket = handle, .events = ZMQ_POLLIN};
        if (zmq_poll(&item, 1, 100) < 0 && zmq_errno() != EINTR) {
            failure =
                g_strdup_printf("ZeroMQ: waiting on %s failed: %s",
                                duet_zmq_socket_endpoint(zmq->socket), zmq_strerror(zmq_errno()));
            break;
        }
        char *topic;
        GBytes *value;
        int saved = 0, got;
        while ((got = receive_message(zmq, &topic, &value, &saved)) == 1) {
            g_mutex_lock(&zmq->lock);
            g_ptr_array_add(zmq->values, value);
            if (zmq->topics)
                g_ptr_array_add(zmq->topics, topic);
            else
                g_free(topic);
            g_cond_broadcast(&zmq->changed);
            g_mutex_unlock(&zmq->lock);
        }
        if (got < 0)
            failure = g_strdup_printf("ZeroMQ: receiving from %s failed: %s",
                                      duet_zmq_socket_endpoint(zmq->socket), zmq_strerror(saved));
    }
    if (failure != NULL) {
        g_warning("zmq source: %s", failure);
        g_mutex_lock(&zmq->lock);
        zmq->failure = failure;
        g_cond_broadcast(&zmq->changed);
        g_mutex_unlock(&zmq->lock);
    }
    return NULL;
}

static void
zmq_finalize(gpointer data)
{
    Zmq *zmq = data;
    if (zmq->thread != NULL) {
        g_mutex_lock(&zmq->lock);
        zmq->quit = TRUE;
        g_cond_broadcast(&zmq->changed);
        g_mutex_unlock(&zmq->lock);
        g_thread_join(zmq->thread);
    }
    duet_zmq_socket_close(zmq->socket);
    g_ptr_array_unref(zmq->values);
    if (zmq->topics)
        g_ptr_array_unref(zmq->topics);
    g_free(zmq->failure);
    g_mutex_clear(&zmq->lock);
    g_cond_clear(&zmq->changed);
    duet_zmq_settings_clear(&zmq->settings);
    g_free(zmq);
}

static char *
zmq_description(DuetSource *source)
{
    Zmq *zmq = duet_source_get_data(source);
    GString *text = g_string_new(NULL);
    g_string_append_printf(text, "ZeroMQStream[url: %s, socketType: %s",
                           duet_zmq_socket_endpoint(zmq->socket),
                           duet_zmq_kind_name(zmq->settings.kind));
    if (zmq->settings.topic != NULL)
        g_string_append_printf(text, ", topic: %s", zmq->settings.topic);
    g_string_append_c(text, ']');
    return g_string_free(text, FALSE);
}

static char *
zmq_latest(DuetSource *source, GError **error)
{
    Zmq *zmq = duet_source_get_data(source);
    g_mutex_lock(&zmq->lock);
    gint64 latest = zmq->first + (gint64)zmq->values->len - 1;
    char *failure = g_strdup(zmq->failure);
    g_mutex_unlock(&zmq->lock);
    if (failure != NULL) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED,
                    "%s (the source stopped receiving; recreate it)", failure);
        g_free(failure);
        return NULL;
    }
    return latest < 0 ? NULL : g_strdup_printf("%" G_GINT64_FORMAT, latest);
}

static GPtrArray *
zmq_get_batch(DuetSource *source, const char *start, const char *end, GError **error)
{
    Zmq *zmq = duet_source_get_data(source);
    gint64 from, to;
    g_mutex_lock(&zmq->lock);
    if (!duet_long_offset_held_range("ZeroMQ source", start, end, zmq->first,
                                     (gint64)zmq->values->len, &from, &to, error)) {
        g_mutex_unlock(&zmq->lock);
        return NULL;
    }
    DuetBatchBuilder **builders =
        duet_partition_builders_new(duet_source_schema(source), zmq->partitions);
    for (gint64 offset = from + 1; offset <= to; offset++) {
        gint64 index = offset - zmq->first;
        DuetBatchBuilder *builder = builders[(offset - from - 1) % zmq->partitions];
        GBytes *value = zmq->values->pdata[index];
        if (value != NULL) {
            gsize size;
            const char *bytes = g_bytes_get_data(value, &size);
            duet_batch_builder_append_string(builder, 0, bytes ? bytes : "", (gssize)size);
        } else {
            duet_batch_builder_append_null(builder, 0);
        }
        if (zmq->topics != NULL) {
            const char *topic = zmq->topics->pdata[index];
            if (topic != NULL)
                duet_batch_builder_append_string(builder, 1, topic, -1);
            else
                duet_batch_builder_append_null(builder, 1);
        }
    }
    g_mutex_unlock(&zmq->lock);
    return duet_partition_builders_finish(builders, zmq->partitions);
}

static void
zmq_forget(DuetSource *source, const char *end)
{
    Zmq *zmq = duet_source_get_data(source);
    g_mutex_lock(&zmq->lock);
    gint64 drop = duet_long_offset_releasable(end, zmq->first, (gint64)zmq->values->len);
    if (drop > 0) {
        g_ptr_array_remove_range(zmq->values, 0, (guint)drop);
        if (zmq->topics)
            g_ptr_array_remove_range(zmq->topics, 0, (guint)drop);
        zmq->first += drop;
    }
    g_mutex_unlock(&zmq->lock);
}

static const DuetSourceClass zmq_class = {
    .format = "zmq",
    .description = zmq_description,
    .latest_offset = zmq_latest,
    .get_batch = zmq_get_batch,
    .forget = zmq_forget,
    .finalize = zmq_finalize,
    .compare = duet_long_offset_compare,
};

static void
free_bytes(gpointer bytes)
{
    if (bytes != NULL)
        g_bytes_unref(bytes);
}

DuetSource *
duet_zmq_source_new(DuetSourceOptions *options, guint default_partitions, GError **error)
{
    Zmq *zmq = g_new0(Zmq, 1);
    g_mutex_init(&zmq->lock);
    g_cond_init(&zmq->changed);
    zmq->values = g_ptr_array_new_with_free_func(free_bytes);
    if (!duet_zmq_settings_parse(options, FALSE, FALSE, &zmq->settings, DUET_SOURCE_ERROR,
                                 DUET_SOURCE_ERROR_OPTION, error) ||
        !duet_source_options_get_int(options, "numPartitions", MAX(default_partitions, 1), FALSE,
                                     &zmq->partitions, error) ||
        (zmq->socket = duet_zmq_socket_open(&zmq->settings, 0, 0, DUET_SOURCE_ERROR,
                                            DUET_SOURCE_ERROR_OPTION, error)) == NULL) {
        zmq_finalize(zmq);
        return NULL;
    }
    if (zmq->settings.topic_frame)
        zmq->topics = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(DuetSchema) schema = duet_schema_parse(
        zmq->settings.topic_frame ? "value STRING, topic STRING" : "value STRING", NULL);
    DuetSource *source = duet_source_new_internal(&zmq_class, schema, zmq);
    zmq->thread = g_thread_new("duet-zmq-source", zmq_main, zmq);
    return source;
}

gboolean
duet_zmq_source_wait_messages(DuetSource *source, gint64 n, gint64 timeout_ms)
{
    g_return_val_if_fail(g_str_equal(duet_source_format(source), "zmq"), FALSE);
    Zmq *zmq = duet_source_get_data(source);
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    g_mutex_lock(&zmq->lock);
    while (zmq->first + (gint64)zmq->values->len < n && zmq->failure == NULL &&
           g_cond_wait_until(&zmq->changed, &zmq->lock, deadline))
        ;
    gboolean reached = zmq->first + (gint64)zmq->values->len >= n;
    g_mutex_unlock(&zmq->lock);
    return reached;
}

const char *
duet_zmq_source_endpoint(DuetSource *source)
{
    g_return_val_if_fail(g_str_equal(duet_source_format(source), "zmq"), NULL);
    Zmq *zmq = duet_source_get_data(source);
    return duet_zmq_socket_endpoint(zmq->socket);
}
