/* kafka_mock.c — the loopback mock Kafka cluster behind tests/common/kafka_mock.h, or a real
 * broker named by DUET_KAFKA_BOOTSTRAP. */
#include "tests/common/kafka_mock.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <string.h>

/* How long a real broker may take to create a topic and elect its leaders. */
#define REAL_BROKER_TIMEOUT_MS 60000

struct _DuetTestKafka {
    rd_kafka_t *producer;             /* owns the mock cluster, if any */
    rd_kafka_mock_cluster_t *cluster; /* (transfer none); NULL on a real broker */
    char *bootstraps;                 /* a real broker's DUET_KAFKA_BOOTSTRAP, or NULL */
    gint failed;                      /* records whose delivery failed */
};

static void
delivered(rd_kafka_t *handle, const rd_kafka_message_t *message, void *opaque)
{
    DuetTestKafka *kafka = opaque;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        g_printerr("test kafka: delivery failed: %s\n", rd_kafka_err2str(message->err));
        g_atomic_int_inc(&kafka->failed);
    }
}

static void
quiet_log(const rd_kafka_t *handle, int level, const char *facility, const char *message)
{
    g_debug("test kafka [%d] %s: %s", level, facility, message);
}

DuetTestKafka *
duet_test_kafka_new(void)
{
    DuetTestKafka *kafka = g_new0(DuetTestKafka, 1);
    const char *real = g_getenv("DUET_KAFKA_BOOTSTRAP");
    if (real != NULL && *real != '\0')
        kafka->bootstraps = g_strdup(real);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char reason[512];
    const char *settings[][2] = {
        {kafka->bootstraps ? "bootstrap.servers" : "test.mock.num.brokers",
         kafka->bootstraps ? kafka->bootstraps : "1"},
        {"linger.ms", "0"},
    };
    for (gsize index = 0; index < G_N_ELEMENTS(settings); index++)
        if (rd_kafka_conf_set(conf, settings[index][0], settings[index][1], reason,
                              sizeof reason) != RD_KAFKA_CONF_OK)
            g_error("test kafka: %s", reason);
    rd_kafka_conf_set_dr_msg_cb(conf, delivered);
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_conf_set_opaque(conf, kafka);
    kafka->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
    if (kafka->producer == NULL)
        g_error("test kafka: %s", reason);
    if (kafka->bootstraps == NULL) {
        kafka->cluster = rd_kafka_handle_mock_cluster(kafka->producer);
        g_assert(kafka->cluster != NULL);
    }
    return kafka;
}

void
duet_test_kafka_free(DuetTestKafka *kafka)
{
    if (kafka == NULL)
        return;
    rd_kafka_destroy(kafka->producer);
    g_free(kafka->bootstraps);
    g_free(kafka);
}

const char *
duet_test_kafka_bootstraps(DuetTestKafka *kafka)
{
    return kafka->bootstraps ? kafka->bootstraps : rd_kafka_mock_cluster_bootstraps(kafka->cluster);
}

/* Whether the broker's metadata shows topic with n_partitions partitions, each with a leader. */
static gboolean
topic_ready(DuetTestKafka *kafka, const char *topic, int n_partitions)
{
    rd_kafka_topic_t *handle = rd_kafka_topic_new(kafka->producer, topic, NULL);
    const struct rd_kafka_metadata *metadata = NULL;
    gboolean ready = FALSE;
    if (rd_kafka_metadata(kafka->producer, 0, handle, &metadata, 5000) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        metadata->topics[0].partition_cnt == n_partitions) {
        ready = TRUE;
        for (int partition = 0; partition < n_partitions; partition++)
            if (metadata->topics[0].partitions[partition].leader < 0 ||
                metadata->topics[0].partitions[partition].err != RD_KAFKA_RESP_ERR_NO_ERROR)
                ready = FALSE;
    }
    if (metadata != NULL)
        rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(handle);
    return ready;
}

/* CreateTopics through the Admin API, then the metadata polled until the leaders are there;
 * every wait is a deadline on broker I/O. */
static void
create_real_topic(DuetTestKafka *kafka, const char *topic, int n_partitions)
{
    char reason[512];
    rd_kafka_NewTopic_t *new_topic =
        rd_kafka_NewTopic_new(topic, n_partitions, 1, reason, sizeof reason);
    if (new_topic == NULL)
        g_error("test kafka: creating %s: %s", topic, reason);
    rd_kafka_AdminOptions_t *options =
        rd_kafka_AdminOptions_new(kafka->producer, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(options, REAL_BROKER_TIMEOUT_MS, reason,
                                                sizeof reason);
    rd_kafka_queue_t *queue = rd_kafka_queue_new(kafka->producer);
    rd_kafka_CreateTopics(kafka->producer, &new_topic, 1, options, queue);
    rd_kafka_event_t *event = rd_kafka_queue_poll(queue, REAL_BROKER_TIMEOUT_MS + 5000);
    if (event == NULL)
        g_error("test kafka: creating %s: no answer from %s", topic, kafka->bootstraps);
    if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR)
        g_error("test kafka: creating %s: %s", topic, rd_kafka_event_error_string(event));
    const rd_kafka_CreateTopics_result_t *result = rd_kafka_event_CreateTopics_result(event);
    size_t n_results = 0;
    const rd_kafka_topic_result_t **results =
        rd_kafka_CreateTopics_result_topics(result, &n_results);
    for (size_t index = 0; index < n_results; index++)
        if (rd_kafka_topic_result_error(results[index]) != RD_KAFKA_RESP_ERR_NO_ERROR)
            g_error("test kafka: creating %s on %s: %s (a broker left from an earlier run? "
                    "tests need topics of their own)",
                    topic, kafka->bootstraps, rd_kafka_topic_result_error_string(results[index]));
    rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_NewTopic_destroy(new_topic);
    gint64 deadline = g_get_monotonic_time() + REAL_BROKER_TIMEOUT_MS * 1000;
    while (!topic_ready(kafka, topic, n_partitions))
        if (g_get_monotonic_time() > deadline)
            g_error("test kafka: %s has no leaders on %s after %d ms", topic, kafka->bootstraps,
                    REAL_BROKER_TIMEOUT_MS);
}

void
duet_test_kafka_create_topic(DuetTestKafka *kafka, const char *topic, int n_partitions)
{
    if (kafka->bootstraps != NULL) {
        create_real_topic(kafka, topic, n_partitions);
        return;
    }
    rd_kafka_resp_err_t code = rd_kafka_mock_topic_create(kafka->cluster, topic, n_partitions, 1);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR)
        g_error("mock kafka: creating %s: %s", topic, rd_kafka_err2str(code));
}

void
duet_test_kafka_produce_headers(DuetTestKafka *kafka, const char *topic, gint32 partition,
                                const char *key, const char *value, gint64 timestamp_ms,
                                const char *const *headers, guint n_headers)
{
    rd_kafka_headers_t *list = n_headers ? rd_kafka_headers_new(n_headers) : NULL;
    for (guint index = 0; index < n_headers; index++) {
        const char *header_value = headers[2 * index + 1];
        rd_kafka_header_add(list, headers[2 * index], -1, header_value,
                            header_value ? (ssize_t)strlen(header_value) : 0);
    }
    rd_kafka_resp_err_t code;
    if (list != NULL)
        code = rd_kafka_producev(
            kafka->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
            RD_KAFKA_V_VALUE((void *)value, value ? strlen(value) : 0),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
            RD_KAFKA_V_HEADERS(list), RD_KAFKA_V_END);
    else
        code = rd_kafka_producev(kafka->producer, RD_KAFKA_V_TOPIC(topic),
                                 RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
                                 RD_KAFKA_V_VALUE((void *)value, value ? strlen(value) : 0),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (list != NULL)
            rd_kafka_headers_destroy(list); /* producev owns them only on success */
        g_error("test kafka: producing to %s: %s", topic, rd_kafka_err2str(code));
    }
}

void
duet_test_kafka_produce(DuetTestKafka *kafka, const char *topic, gint32 partition, const char *key,
                        const char *value, gint64 timestamp_ms)
{
    duet_test_kafka_produce_headers(kafka, topic, partition, key, value, timestamp_ms, NULL, 0);
}

gboolean
duet_test_kafka_flush(DuetTestKafka *kafka)
{
    /* a deadline on real I/O, not a sleep: returns as soon as the broker acknowledged */
    rd_kafka_resp_err_t code = rd_kafka_flush(kafka->producer, 30000);
    return code == RD_KAFKA_RESP_ERR_NO_ERROR && g_atomic_int_get(&kafka->failed) == 0;
}

gboolean
duet_test_kafka_fail_produce(DuetTestKafka *kafka, int code, guint n)
{
    if (kafka->cluster == NULL)
        return FALSE;
    for (guint index = 0; index < n; index++)
        rd_kafka_mock_push_request_errors(kafka->cluster, 0 /* ApiKey Produce */, 1,
                                          (rd_kafka_resp_err_t)code);
    return TRUE;
}

gboolean
duet_test_kafka_fail_list_offsets(DuetTestKafka *kafka, int code, guint n)
{
    if (kafka->cluster == NULL)
        return FALSE;
    for (guint index = 0; index < n; index++)
        rd_kafka_mock_push_request_errors(kafka->cluster, 2 /* ApiKey ListOffsets */, 1,
                                          (rd_kafka_resp_err_t)code);
    return TRUE;
}

gboolean
duet_test_kafka_set_broker_up(DuetTestKafka *kafka, gboolean up)
{
    if (kafka->cluster != NULL) {
        rd_kafka_resp_err_t code = up ? rd_kafka_mock_broker_set_up(kafka->cluster, 1)
                                      : rd_kafka_mock_broker_set_down(kafka->cluster, 1);
        g_assert(code == RD_KAFKA_RESP_ERR_NO_ERROR);
        return TRUE;
    }
    const char *control = g_getenv("DUET_KAFKA_BROKER_CTL");
    if (control == NULL || *control == '\0')
        return FALSE;
    const char *argv[] = {control, up ? "start" : "stop", NULL};
    GError *error = NULL;
    gint status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL,
                      NULL, &status, &error) ||
        !g_spawn_check_wait_status(status, &error))
        g_error("test kafka: %s %s: %s", control, argv[1], error->message);
    return TRUE;
}
