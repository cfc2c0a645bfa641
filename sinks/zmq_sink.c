/* zmq_sink.c — a ZeroMQ PUB or PUSH socket as a sink: every row one message.
 *
 * Layer: sinks/. Includes rdd/, sinks/ and sources/zmq_client.h (and libzmq). Rows go out in
 * partition order as messages of their `value` column (string or binary, required; null is an
 * empty frame). With a topic — the `topic` option, or else a `topic` string column — each
 * message is [topic, value], the framing the ZeroMQ source's topicFrame reads and a SUB
 * socket filters on; `topicFrame=false` sends the value alone. Options (sources/zmq_client.h):
 * url (alias endpoint), socketType pub (default) or push, bind (default true: a publisher binds
 * and its subscribers connect), topic, topicFrame, sendTimeoutMs (default 30000: how long a
 * message may wait for a peer or for room under the high-water mark before its batch fails),
 * sendHighWaterMark (default 1000, ZeroMQ's), minSubscribers (PUB only, default 0: before a
 * batch, wait up to sendTimeoutMs until that many subscriptions arrived, since ZeroMQ gives a
 * subscriber that has not subscribed yet nothing) and lingerMs (default 1000: how long closing
 * the sink waits for queued messages).
 *
 * A PUB socket here never drops a message for a subscriber that is behind (ZMQ_XPUB_NODROP): the
 * batch waits, then fails. A batch whose rows all went out is committed: ZeroMQ has no
 * acknowledgements, so messages still queued when the process dies are lost, and a batch that
 * failed halfway has sent its first rows (at-least-once across a re-run, as the Kafka sink).
 * Rows are checked (null topics) before anything of the batch is sent.
 */
#include "sinks/sink.h"
#include "sources/zmq_client.h"

#include <string.h>

typedef struct {
    DuetZmqSettings settings; /* the options */
    DuetZmqSocket *socket;    /* owned; used under the sink's lock */
    gint value_column;        /* always present */
    gint topic_column;        /* -1 when absent or unused (the topic option wins) */
    gboolean topic_frame;     /* messages are [topic, value] */
    gint64 send_timeout_ms;   /* sendTimeoutMs */
    gint64 min_subscribers;   /* minSubscribers */
} Zmq;

static void
zmq_finalize(gpointer data)
{
    Zmq *zmq = data;
    duet_zmq_socket_close(zmq->socket);
    duet_zmq_settings_clear(&zmq->settings);
    g_free(zmq);
}

static char *
zmq_description(DuetSink *sink)
{
    Zmq *zmq = duet_sink_get_data(sink);
    return g_strdup_printf("ZeroMQSink[url: %s, socketType: %s]",
                           duet_zmq_socket_endpoint(zmq->socket),
                           duet_zmq_kind_name(zmq->settings.kind));
}

/* Spark's message for a null topic (KafkaWriteTask), checked for the whole batch first. */
static gboolean
check_topics(Zmq *zmq, GPtrArray *partitions, GError **error)
{
    if (zmq->topic_column < 0)
        return TRUE;
    for (guint partition = 0; partition < partitions->len; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
            DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
            for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
                DuetRow row = duet_batch_row(batch, row_idx);
                if (duet_row_is_null(&row, (guint)zmq->topic_column)) {
                    g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                                "null topic present in the data. Use the topic option for "
                                "setting a default topic.");
                    return FALSE;
                }
            }
        }
    }
    return TRUE;
}

static gboolean
send_row(Zmq *zmq, const DuetRow *row, GError **error)
{
    const void *frames[2];
    gsize lengths[2];
    guint n_frames = 0;
    if (zmq->topic_frame) {
        if (zmq->topic_column >= 0) {
            frames[0] = duet_row_get_string(row, (guint)zmq->topic_column, &lengths[0]);
        } else {
            frames[0] = zmq->settings.topic;
            lengths[0] = strlen(zmq->settings.topic);
        }
        n_frames++;
    }
    lengths[n_frames] = 0;
    frames[n_frames] = "";
    if (!duet_row_is_null(row, (guint)zmq->value_column))
        frames[n_frames] = duet_row_get_string(row, (guint)zmq->value_column, &lengths[n_frames]);
    n_frames++;
    return duet_zmq_socket_send(zmq->socket, frames, lengths, n_frames, zmq->send_timeout_ms,
                                DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE, error);
}

static gboolean
zmq_add_batch(DuetSink *sink, gint64 batch_id, GPtrArray *partitions, DuetOutputMode mode,
              GError **error)
{
    Zmq *zmq = duet_sink_get_data(sink);
    if (!check_topics(zmq, partitions, error))
        return FALSE;
    if (zmq->min_subscribers > 0 &&
        !duet_zmq_socket_wait_subscribers(zmq->socket, (guint)zmq->min_subscribers,
                                          zmq->send_timeout_ms)) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                    "ZeroMQ sink: fewer than %" G_GINT64_FORMAT
                    " subscribers (minSubscribers) subscribed at %s within %" G_GINT64_FORMAT
                    " ms (sendTimeoutMs); batch %" G_GINT64_FORMAT " was not sent",
                    zmq->min_subscribers, duet_zmq_socket_endpoint(zmq->socket),
                    zmq->send_timeout_ms, batch_id);
        return FALSE;
    }
    for (guint partition = 0; partition < partitions->len; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
            DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
            for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
                DuetRow row = duet_batch_row(batch, row_idx);
                if (!send_row(zmq, &row, error)) {
                    g_prefix_error(error, "ZeroMQ sink, batch %" G_GINT64_FORMAT ": ", batch_id);
                    return FALSE;
                }
            }
        }
    }
    return TRUE;
}

static const DuetSinkClass zmq_class = {
    .format = "zmq",
    .description = zmq_description,
    .add_batch = zmq_add_batch,
    .finalize = zmq_finalize,
};

/* ---- creation ----------------------------------------------------------------------------- */

/* The column named name (exact match, as the Kafka sink) or -1; Spark's message when it is
 * not a string (or binary, when binary_too). */
static gboolean
find_column(DuetSchema *schema, const char *name, gboolean binary_too, gint *column, GError **error)
{
    *column = duet_schema_find(schema, name);
    if (*column < 0)
        return TRUE;
    DuetTypeId type = duet_data_type_id(duet_schema_field(schema, (guint)*column)->type);
    if (type == DUET_TYPE_STRING || (binary_too && type == DUET_TYPE_BINARY))
        return TRUE;
    g_autofree char *actual =
        duet_data_type_to_string(duet_schema_field(schema, (guint)*column)->type);
    g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                "%s attribute unsupported type %s. %s must be a(n) %s", name, actual, name,
                binary_too ? "string or binary" : "string");
    return FALSE;
}

/* A non-negative integer option, or fallback when absent. */
static gboolean
int_option(GHashTable *options, const char *key, gint64 fallback, gint64 maximum, gint64 *value,
           GError **error)
{
    const char *text = duet_sink_option_get(options, key);
    *value = fallback;
    if (text == NULL)
        return TRUE;
    char *end = NULL;
    gint64 parsed = g_ascii_strtoll(text, &end, 10);
    if (end == text || *end != '\0' || parsed < 0 || parsed > maximum) {
        g_set_error(
            error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
            "Invalid value '%s' for option '%s', must be an integer from 0 to %" G_GINT64_FORMAT,
            text, key, maximum);
        return FALSE;
    }
    *value = parsed;
    return TRUE;
}

static gboolean
configure(Zmq *zmq, GHashTable *options, DuetSchema *schema, GError **error)
{
    gint64 high_water_mark, linger_ms;
    if (!duet_zmq_settings_parse(options, TRUE, TRUE, &zmq->settings, DUET_SINK_ERROR,
                                 DUET_SINK_ERROR_OPTION, error) ||
        !int_option(options, "sendTimeoutMs", 30000, G_MAXINT, &zmq->send_timeout_ms, error) ||
        !int_option(options, "sendHighWaterMark", 1000, G_MAXINT, &high_water_mark, error) ||
        !int_option(options, "lingerMs", 1000, G_MAXINT, &linger_ms, error) ||
        !int_option(options, "minSubscribers", 0, G_MAXINT, &zmq->min_subscribers, error))
        return FALSE;
    if (zmq->min_subscribers > 0 && zmq->settings.kind != DUET_ZMQ_PUB) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Option 'minSubscribers' counts the subscribers of a PUB socket; a PUSH "
                    "socket waits for a peer by itself (sendTimeoutMs).");
        return FALSE;
    }
    if (!find_column(schema, "value", TRUE, &zmq->value_column, error))
        return FALSE;
    if (zmq->value_column < 0) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Required attribute 'value' not found");
        return FALSE;
    }
    zmq->topic_column = -1;
    if (zmq->settings.topic == NULL &&
        !find_column(schema, "topic", FALSE, &zmq->topic_column, error))
        return FALSE;
    /* topicFrame=false sends values alone, whatever gives a topic */
    zmq->topic_frame = zmq->settings.topic != NULL || zmq->topic_column >= 0;
    if (duet_sink_option_get(options, "topicFrame") != NULL && !zmq->settings.topic_frame) {
        zmq->topic_frame = FALSE;
        zmq->topic_column = -1;
    } else if (zmq->settings.topic_frame && !zmq->topic_frame) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "topicFrame=true needs a topic: set option 'topic' or add a 'topic' column.");
        return FALSE;
    }
    zmq->socket = duet_zmq_socket_open(&zmq->settings, (int)high_water_mark, (int)linger_ms,
                                       DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION, error);
    return zmq->socket != NULL;
}

DuetSink *
duet_zmq_sink_new(GHashTable *options, DuetSchema *schema, GError **error)
{
    Zmq *zmq = g_new0(Zmq, 1);
    if (!configure(zmq, options, schema, error)) {
        zmq_finalize(zmq);
        return NULL;
    }
    return duet_sink_new_internal(&zmq_class, schema, zmq);
}

const char *
duet_zmq_sink_endpoint(DuetSink *sink)
{
    g_return_val_if_fail(g_str_equal(duet_sink_get_class(sink)->format, "zmq"), NULL);
    Zmq *zmq = duet_sink_get_data(sink);
    return duet_zmq_socket_endpoint(zmq->socket);
}
