/* kafka_relation.c — Spark's KafkaRelation: a batch read of a bounded range of Kafka records.
 *
 * Layer: sources/. Includes sources/ only. spark.read.format("kafka") reads the records between
 * two bounds resolved once, when the read starts: startingOffsets (default earliest) and
 * endingOffsets (default latest). The range is served by the streaming source's own reader
 * (kafka_source.c) over (start, end], so a batch read and a micro-batch of the same offsets
 * return the same rows, partitioned alike.
 */
#include "sources/internal.h"

/* KafkaSourceRDD's check: a range must not end before it begins. */
static gboolean
check_ordered(const char *start, const char *end, GError **error)
{
    g_autoptr(GArray) from =
        duet_kafka_offsets_parse(start, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET, error);
    g_autoptr(GArray) until =
        from ? duet_kafka_offsets_parse(end, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET, error)
             : NULL;
    if (until == NULL)
        return FALSE;
    for (guint index = 0; index < until->len; index++) {
        const DuetKafkaPartitionOffset *last =
            &g_array_index(until, DuetKafkaPartitionOffset, index);
        const DuetKafkaPartitionOffset *first =
            duet_kafka_offsets_find(from, last->topic, last->partition);
        if (first == NULL || from->len != until->len) {
            g_autofree char *from_topics = duet_kafka_offsets_partitions_string(from);
            g_autofree char *until_topics = duet_kafka_offsets_partitions_string(until);
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET,
                        "different topic partitions for starting offsets topics[%s] and ending "
                        "offsets topics[%s] (the topic's partitions changed while the read "
                        "started: read again)",
                        from_topics, until_topics);
            return FALSE;
        }
        if (first->offset > last->offset) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET,
                        "Beginning offset %" G_GINT64_FORMAT
                        " is after the ending offset %" G_GINT64_FORMAT
                        " for topic %s partition %d. You either provided an invalid fromOffset, "
                        "or the Kafka topic has been damaged",
                        first->offset, last->offset, last->topic, last->partition);
            return FALSE;
        }
    }
    return TRUE;
}

GPtrArray *
duet_kafka_read_range(DuetSourceOptions *options, DuetSchema **schema, char **start, char **end,
                      GError **error)
{
    g_return_val_if_fail(options != NULL, NULL);
    g_autoptr(DuetSource) source = duet_kafka_source_new_batch(options, error);
    if (source == NULL)
        return NULL;
    const char *starting = duet_source_options_get(options, "startingOffsets");
    const char *ending = duet_source_options_get(options, "endingOffsets");
    g_autofree char *from =
        duet_kafka_source_resolve_offsets(source, starting ? starting : "earliest", TRUE, error);
    if (from == NULL)
        return NULL;
    g_autofree char *until =
        duet_kafka_source_resolve_offsets(source, ending ? ending : "latest", FALSE, error);
    if (until == NULL || !check_ordered(from, until, error))
        return NULL;
    GPtrArray *partitions = duet_source_get_batch(source, from, until, error);
    if (partitions == NULL)
        return NULL;
    if (schema != NULL)
        *schema = duet_schema_ref(duet_source_schema(source));
    if (start != NULL)
        *start = g_steal_pointer(&from);
    if (end != NULL)
        *end = g_steal_pointer(&until);
    return partitions;
}
