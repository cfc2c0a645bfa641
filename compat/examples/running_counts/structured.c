/* running_counts/structured.c — running word counts as a streaming aggregation.
 *
 *   words = lines.select(explode(split(lower(lines.value), "[^a-z']+")).alias("word"))
 *   counts = words.where("word != ''").groupBy("word").count()
 *   counts.writeStream.outputMode("complete").option("checkpointLocation", dir).start()
 *
 * No update function to write: the aggregation's state store keeps each word's count. */
#include "compat/example.h"

DuetDataFrame *
duet_example_running_counts_structured(DuetDataFrame *lines, GError **error)
{
    return duet_example_network_word_count_structured(lines, error);
}
