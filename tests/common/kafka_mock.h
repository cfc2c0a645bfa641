/* kafka_mock.h — a Kafka cluster on loopback for tests: librdkafka's mock broker, or a real one.
 *
 * Layer: tests/. duet_test_kafka_new() starts a one-broker mock cluster (librdkafka's
 * test.mock.num.brokers) owned by a producer handle; tests create topics, produce records
 * with explicit partitions and timestamps, and point sources and sinks at
 * duet_test_kafka_bootstraps(). Freeing it stops the cluster. No external broker is needed.
 *
 * When the environment variable DUET_KAFKA_BOOTSTRAP is set ("127.0.0.1:9092"), the same calls
 * use that real Apache Kafka broker instead (tests/scripts/kafka_broker.sh starts one): topics
 * are created with the Admin API and awaited in the metadata, and freeing only closes the
 * producer. Topics are not deleted, so every test must use topic names of its own.
 */
#pragma once

#include <glib.h>

typedef struct _DuetTestKafka DuetTestKafka;

DuetTestKafka *duet_test_kafka_new(void);
void duet_test_kafka_free(DuetTestKafka *kafka);
/* "127.0.0.1:port" of the mock (or real) broker. (transfer none) */
const char *duet_test_kafka_bootstraps(DuetTestKafka *kafka);
/* Creates topic with n_partitions partitions, and on a real broker waits until every partition
 * has a leader (aborts the test binary if it cannot, or if the topic already exists there). */
void duet_test_kafka_create_topic(DuetTestKafka *kafka, const char *topic, int n_partitions);
/* Queues one record (key or value NULL = Kafka's null) with a CreateTime timestamp in ms. */
void duet_test_kafka_produce(DuetTestKafka *kafka, const char *topic, gint32 partition,
                             const char *key, const char *value, gint64 timestamp_ms);
/* The same with headers: n_headers pairs of (name, value), a NULL value being a null header
 * value. */
void duet_test_kafka_produce_headers(DuetTestKafka *kafka, const char *topic, gint32 partition,
                                     const char *key, const char *value, gint64 timestamp_ms,
                                     const char *const *headers, guint n_headers);
/* Makes the mock broker answer the next n Produce requests with Kafka error code (a
 * rd_kafka_resp_err_t); FALSE (nothing done) on a real broker. */
gboolean duet_test_kafka_fail_produce(DuetTestKafka *kafka, int code, guint n);
/* The same for the next n ListOffsets requests (watermark offsets). */
gboolean duet_test_kafka_fail_list_offsets(DuetTestKafka *kafka, int code, guint n);
/* Takes the broker down (up = FALSE) or brings it back (TRUE): on the mock its broker stops
 * answering, a real broker is stopped and started again on its ports and data by
 * $DUET_KAFKA_BROKER_CTL (tests/scripts/kafka_broker.sh). FALSE when neither is possible (a
 * real broker without DUET_KAFKA_BROKER_CTL); aborts if the script fails. */
gboolean duet_test_kafka_set_broker_up(DuetTestKafka *kafka, gboolean up);
/* Waits until every queued record is acknowledged; whether all were delivered. */
gboolean duet_test_kafka_flush(DuetTestKafka *kafka);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetTestKafka, duet_test_kafka_free)
