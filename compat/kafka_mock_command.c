/* kafka_mock_command.c — `duet kafka-mock`: librdkafka's mock Kafka cluster as a command.
 *
 * Layer: compat/. Includes compat/ and librdkafka only. Kafka examples and tests need a broker;
 * this starts librdkafka's in-process mock cluster (the one its own tests use: Produce, Fetch,
 * ListOffsets, Metadata, consumer groups and idempotent producers, kept in memory), creates the
 * topics asked for, prints "bootstrap: HOST:PORT" on one line of standard output (flushed, so a
 * script can read it at once) and serves until SIGINT or SIGTERM. Nothing is kept on disk: the
 * records are gone when the command exits.
 */
#include "compat/compat.h"

#include <glib-unix.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define USAGE                                                                                      \
    "usage: duet kafka-mock [--partitions N] [--topics a,b] [--brokers N]\n"                       \
    "\n"                                                                                           \
    "Starts librdkafka's mock Kafka cluster on loopback, creates the topics (N partitions\n"       \
    "each, default 1), prints \"bootstrap: HOST:PORT\" and runs until SIGINT or SIGTERM.\n"        \
    "Point kafka.bootstrap.servers (or kcat -b) at the address printed.\n"

static void
quiet_log(const rd_kafka_t *handle, int level, const char *facility, const char *message)
{
    g_debug("kafka-mock [%d] %s: %s", level, facility, message);
}

static gboolean
stop(gpointer user_data)
{
    g_main_loop_quit(user_data);
    return G_SOURCE_CONTINUE; /* both handlers are removed once the loop returns */
}

/* A positive count from text, or -1. */
static gint64
parse_count(const char *text)
{
    char *end = NULL;
    gint64 value = text ? g_ascii_strtoll(text, &end, 10) : 0;
    return end != text && end && *end == '\0' && value > 0 && value <= 100000 ? value : -1;
}

int
duet_kafka_mock_main(int argc, char **argv)
{
    gint64 partitions = 1, brokers = 1;
    const char *topics = NULL;
    for (int arg = 1; arg < argc; arg++) {
        const char *name = argv[arg];
        if (g_str_equal(name, "--help") || g_str_equal(name, "-h")) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (!g_str_equal(name, "--partitions") && !g_str_equal(name, "--topics") &&
            !g_str_equal(name, "--brokers")) {
            fprintf(stderr, "duet kafka-mock: unknown argument '%s' (try duet kafka-mock --help)\n",
                    name);
            return 2;
        }
        const char *value = arg + 1 < argc ? argv[++arg] : NULL;
        if (value == NULL) {
            fprintf(stderr, "duet kafka-mock: %s needs a value (try duet kafka-mock --help)\n",
                    name);
            return 2;
        }
        if (g_str_equal(name, "--topics")) {
            topics = value;
            continue;
        }
        gint64 count = parse_count(value);
        if (count < 0) {
            fprintf(stderr, "duet kafka-mock: %s wants a positive number, got '%s'\n", name, value);
            return 2;
        }
        *(g_str_equal(name, "--partitions") ? &partitions : &brokers) = count;
    }

    /* the mock cluster lives in a client handle of its own; this one never connects */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    char reason[512];
    rd_kafka_t *handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
    if (handle == NULL) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "duet kafka-mock: cannot start a Kafka client: %s\n", reason);
        return 1;
    }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(handle, (int)brokers);
    if (cluster == NULL) {
        rd_kafka_destroy(handle);
        fprintf(stderr, "duet kafka-mock: cannot start the mock cluster (no free loopback "
                        "port?)\n");
        return 1;
    }
    int status = 0;
    g_auto(GStrv) names = g_strsplit(topics ? topics : "", ",", -1);
    for (guint index = 0; names[index] != NULL && status == 0; index++) {
        const char *topic = g_strstrip(names[index]);
        if (*topic == '\0')
            continue;
        rd_kafka_resp_err_t code =
            rd_kafka_mock_topic_create(cluster, topic, (int)partitions, (int)MIN(brokers, 3));
        if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "duet kafka-mock: cannot create topic '%s': %s\n", topic,
                    rd_kafka_err2str(code));
            status = 1;
        }
    }
    if (status == 0) {
        printf("bootstrap: %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
        fflush(stdout);
        GMainLoop *loop = g_main_loop_new(NULL, FALSE);
        guint interrupt = g_unix_signal_add(SIGINT, stop, loop);
        guint terminate = g_unix_signal_add(SIGTERM, stop, loop);
        g_main_loop_run(loop);
        g_source_remove(interrupt);
        g_source_remove(terminate);
        g_main_loop_unref(loop);
        fprintf(stderr, "duet kafka-mock: stopped\n");
    }
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(handle);
    return status;
}
