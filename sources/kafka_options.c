/* kafka_options.c — KafkaSourceProvider's option checks, for streaming and for batch reads.
 *
 * Layer: sources/. Includes sources/ only. Reproduces Spark's validateGeneralOptions,
 * validateStreamOptions and validateBatchOptions with their messages, in Spark's order: a
 * streaming query refuses endingOffsets; a batch read refuses a start at "latest" and an end
 * at "earliest" (a range must be bounded and non-empty by construction). kafka_source.c and
 * kafka_relation.c call these before building anything.
 */
#include "sources/internal.h"

#include <string.h>

static gboolean
option_error(GError **error, const char *message)
{
    g_set_error_literal(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION, message);
    return FALSE;
}

/* KafkaSourceProvider.validateGeneralOptions. */
static gboolean
validate_general(DuetSourceOptions *options, GError **error)
{
    const char *strategies[] = {"subscribe", "subscribepattern", "assign"};
    guint specified = 0;
    for (guint index = 0; index < G_N_ELEMENTS(strategies); index++)
        specified += duet_source_options_get(options, strategies[index]) != NULL;
    if (specified == 0)
        return option_error(error, "One of the following options must be specified for Kafka "
                                   "source: subscribe, subscribepattern, assign. See the docs for "
                                   "more details.");
    if (specified > 1)
        return option_error(error, "Only one of the following options can be specified for Kafka "
                                   "source: subscribe, subscribepattern, assign. See the docs for "
                                   "more details.");
    const char *value;
    if ((value = duet_source_options_get(options, "assign")) != NULL) {
        g_autofree char *trimmed = g_strstrip(g_strdup(value));
        if (!g_str_has_prefix(trimmed, "{")) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "No topicpartitions to assign as specified value for option 'assign' is "
                        "'%s'",
                        value);
            return FALSE;
        }
    } else if ((value = duet_source_options_get(options, "subscribe")) != NULL) {
        g_auto(GStrv) topics = g_strsplit(value, ",", -1);
        gboolean any = FALSE;
        for (guint index = 0; topics[index]; index++)
            any = any || *g_strstrip(topics[index]) != '\0';
        if (!any) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "No topics to subscribe to as specified value for option 'subscribe' is "
                        "'%s'",
                        value);
            return FALSE;
        }
    } else {
        value = duet_source_options_get(options, "subscribePattern");
        g_autofree char *trimmed = g_strstrip(g_strdup(value));
        if (*trimmed == '\0') {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "Pattern to subscribe is empty as specified value for option "
                        "'subscribePattern' is '%s'",
                        value);
            return FALSE;
        }
    }
    if (duet_source_options_get(options, "kafka.auto.offset.reset"))
        return option_error(
            error,
            "\nKafka option 'auto.offset.reset' is not supported.\nInstead set the source option "
            "'startingoffsets' to 'earliest' or 'latest'\nto specify where to start. Structured "
            "Streaming manages which offsets are consumed\ninternally, rather than relying on the "
            "kafkaConsumer to do it. This will ensure that no\ndata is missed when new "
            "topics/partitions are dynamically subscribed. Note that\n'startingoffsets' only "
            "applies when a new Streaming query is started, and\nthat resuming will always pick "
            "up from where the query left off. See the docs for more\ndetails.\n");
    if (duet_source_options_get(options, "kafka.key.deserializer"))
        return option_error(error, "Kafka option 'key.deserializer' is not supported as keys are "
                                   "deserialized as byte arrays with ByteArrayDeserializer. Use "
                                   "DataFrame operations to explicitly deserialize the keys.");
    if (duet_source_options_get(options, "kafka.value.deserializer"))
        return option_error(error, "Kafka option 'value.deserializer' is not supported as values "
                                   "are deserialized as byte arrays with ByteArrayDeserializer. "
                                   "Use DataFrame operations to explicitly deserialize the "
                                   "values.");
    if (duet_source_options_get(options, "kafka.enable.auto.commit"))
        return option_error(error, "Kafka option 'enable.auto.commit' is not supported");
    if (duet_source_options_get(options, "kafka.interceptor.classes"))
        return option_error(error, "Kafka option 'interceptor.classes' is not supported");
    if (!duet_source_options_get(options, "kafka.bootstrap.servers"))
        return option_error(error, "Option 'kafka.bootstrap.servers' must be specified for "
                                   "configuring Kafka consumer");
    return TRUE;
}

gboolean
duet_kafka_validate_stream_options(DuetSourceOptions *options, GError **error)
{
    if (duet_source_options_get(options, "endingOffsets"))
        return option_error(error, "ending offset not valid in streaming queries");
    if (duet_source_options_get(options, "endingOffsetsByTimestamp"))
        return option_error(error, "ending timestamp not valid in streaming queries");
    return validate_general(options, error);
}

/* One bound of a batch read: "earliest" or "latest" (any case, trimmed), or JSON offsets in
 * which forbidden (-1 for a start, -2 for an end) may not appear. */
static gboolean
validate_bound(const char *value, gboolean starting, GError **error)
{
    if (value == NULL)
        return TRUE;
    g_autofree char *trimmed = g_strstrip(g_strdup(value));
    if (g_ascii_strcasecmp(trimmed, starting ? "latest" : "earliest") == 0) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "%s offset can't be %s for batch queries on Kafka",
                    starting ? "starting" : "ending", starting ? "latest" : "earliest");
        return FALSE;
    }
    if (g_ascii_strcasecmp(trimmed, starting ? "earliest" : "latest") == 0)
        return TRUE;
    g_autoptr(GArray) offsets =
        duet_kafka_offsets_parse(trimmed, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION, error);
    if (offsets == NULL)
        return FALSE;
    gint64 forbidden = starting ? -1 : -2;
    for (guint index = 0; index < offsets->len; index++) {
        const DuetKafkaPartitionOffset *entry =
            &g_array_index(offsets, DuetKafkaPartitionOffset, index);
        if (entry->offset == forbidden) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "%s for %s-%d can't be %s for batch queries on Kafka",
                        starting ? "startingOffsets" : "ending offset", entry->topic,
                        entry->partition, starting ? "latest" : "earliest");
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
duet_kafka_validate_batch_options(DuetSourceOptions *options, GError **error)
{
    return validate_bound(duet_source_options_get(options, "startingOffsets"), TRUE, error) &&
           validate_bound(duet_source_options_get(options, "endingOffsets"), FALSE, error) &&
           validate_general(options, error);
}
