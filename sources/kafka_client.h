/* kafka_client.h — Kafka connection settings shared by the Kafka source and the Kafka sink.
 *
 * Layer: sources/ (a client header that sinks/ and upper layers may include). Spark passes
 * every option named "kafka.<name>" to its Kafka clients as "<name>"; here they go to
 * librdkafka the same way. Options are the case-insensitive maps of sources/source.h
 * (DuetSourceOptions, a GHashTable whose keys duet_source_options_set lowercases); this header
 * takes them as a plain GHashTable so that sinks/ need not see source.h. Errors are reported
 * in the caller's domain and code, so that a source reports DUET_SOURCE_ERROR and a sink
 * DUET_SINK_ERROR for the same bad option.
 */
#pragma once

#include <glib.h>
#include <librdkafka/rdkafka.h>

G_BEGIN_DECLS

/* The value of option key (compared case-insensitively), or NULL. (transfer none) */
const char *duet_kafka_option(GHashTable *options, const char *key);

/* A librdkafka configuration holding every "kafka.<name>" option as "<name>" (librdkafka's
 * names are lowercase, as the keys are). Properties librdkafka does not know (Java client
 * settings such as max.poll.records) are skipped, since the Java client would accept them; a
 * value librdkafka rejects is an error in domain/code naming the option. (transfer full) */
rd_kafka_conf_t *duet_kafka_conf_new(GHashTable *options, GQuark domain, gint code, GError **error);

/* Sets name=value on conf; an error in domain/code naming the property when librdkafka
 * rejects it. */
gboolean duet_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                             GQuark domain, gint code, GError **error);

G_END_DECLS
