/* kafka_word_count/dstream.c — word counts of a Kafka topic, with the direct stream.
 *
 *   records = KafkaUtils.createDirectStream(ssc, ["words"], {"bootstrap.servers": ...})
 *   lines = records.map(lambda record: record.value)
 *   ... then the network word count: flatMap, map, reduceByKey, pprint.
 *
 * The direct stream has no receiver: each batch is the offset range that arrived since the
 * last one, and the offsets are stored in the checkpoint. */
#include "compat/example.h"

/* records.map(lambda record: record.value): the value column (1) of Spark's Kafka schema. */
static void
record_value(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len = 0;
    const char *value = duet_row_is_null(row, 1) ? "" : duet_row_get_string(row, 1, &len);
    duet_batch_builder_append_string(out, 0, value, (gssize)len);
}

DuetDStream *
duet_example_kafka_word_count_dstream(DuetDStream *records, GError **error)
{
    g_autoptr(DuetSchema) line = duet_schema_parse("value STRING", NULL);
    g_autoptr(DuetDStream) lines = duet_dstream_map(records, line, record_value, NULL);
    return duet_example_network_word_count_dstream(lines, error);
}
