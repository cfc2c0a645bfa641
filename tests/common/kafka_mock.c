/* kafka_mock.c — the loopback mock Kafka cluster behind tests/common/kafka_mock.h. */
#include "tests/common/kafka_mock.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <string.h>

struct _DuetTestKafka {
    rd_kafka_t *producer;             /* owns the mock cluster */
    rd_kafka_mock_cluster_t *cluster; /* (transfer none) */
    gint failed;                      /* records whose delivery failed */
};

static void
delivered(rd_kafka_t *handle, const rd_kafka_message_t *message, void *opaque)
{
    DuetTestKafka *kafka = opaque;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        g_printerr("mock kafka: delivery failed: %s\n", rd_kafka_err2str(message->err));
        g_atomic_int_inc(&kafka->failed);
    }
}

static void
quiet_log(const rd_kafka_t *handle, int level, const char *facility, const char *message)
{
    g_debug("mock kafka [%d] %s: %s", level, facility, message);
}

DuetTestKafka *
duet_test_kafka_new(void)
{
    DuetTestKafka *kafka = g_new0(DuetTestKafka, 1);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char reason[512];
    const char *settings[][2] = {{"test.mock.num.brokers", "1"}, {"linger.ms", "0"}};
    for (gsize index = 0; index < G_N_ELEMENTS(settings); index++)
        if (rd_kafka_conf_set(conf, settings[index][0], settings[index][1], reason,
                              sizeof reason) != RD_KAFKA_CONF_OK)
            g_error("mock kafka: %s", reason);
    rd_kafka_conf_set_dr_msg_cb(conf, delivered);
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_conf_set_opaque(conf, kafka);
    kafka->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
    if (kafka->producer == NULL)
        g_error("mock kafka: %s", reason);
    kafka->cluster = rd_kafka_handle_mock_cluster(kafka->producer);
    g_assert(kafka->cluster != NULL);
    return kafka;
}

void
duet_test_kafka_free(DuetTestKafka *kafka)
{
    if (kafka == NULL)
        return;
    rd_kafka_destroy(kafka->producer);
    g_free(kafka);
}

const char *
duet_test_kafka_bootstraps(DuetTestKafka *kafka)
{
    return rd_kafka_mock_cluster_bootstraps(kafka->cluster);
}

void
duet_test_kafka_create_topic(DuetTestKafka *kafka, const char *topic, int n_partitions)
{
    rd_kafka_resp_err_t code = rd_kafka_mock_topic_create(kafka->cluster, topic, n_partitions, 1);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR)
        g_error("mock kafka: creating %s: %s", topic, rd_kafka_err2str(code));
}

void
duet_test_kafka_produce(DuetTestKafka *kafka, const char *topic, gint32 partition, const char *key,
                        const char *value, gint64 timestamp_ms)
{
    rd_kafka_resp_err_t code =
        rd_kafka_producev(kafka->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
                          RD_KAFKA_V_VALUE((void *)value, value ? strlen(value) : 0),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR)
        g_error("mock kafka: producing to %s: %s", topic, rd_kafka_err2str(code));
}

gboolean
duet_test_kafka_flush(DuetTestKafka *kafka)
{
    /* a deadline on real I/O, not a sleep: returns as soon as the broker acknowledged */
    rd_kafka_resp_err_t code = rd_kafka_flush(kafka->producer, 30000);
    return code == RD_KAFKA_RESP_ERR_NO_ERROR && g_atomic_int_get(&kafka->failed) == 0;
}
