/* kafka_word_count/structured.c — word counts of a Kafka topic, in Structured Streaming.
 *
 *   records = spark.readStream.format("kafka").option("kafka.bootstrap.servers", ...)
 *                  .option("subscribe", "words").load()
 *   lines = records.selectExpr("CAST(value AS STRING) AS value")
 *   ... then the network word count's query.
 *
 * The Kafka source logs each batch's offsets in the checkpoint's offsets/ files. */
#include "compat/example.h"

DuetDataFrame *
duet_example_kafka_word_count_structured(DuetDataFrame *records, GError **error)
{
    static const char *const value[] = {"CAST(value AS STRING) AS value"};
    g_autoptr(DuetDataFrame) lines = duet_dataframe_select_exprv(records, value, 1, error);
    return lines ? duet_example_network_word_count_structured(lines, error) : NULL;
}
