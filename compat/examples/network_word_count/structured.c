/* network_word_count/structured.c — the tutorial's word count, in Structured Streaming.
 *
 *   lines = spark.readStream.format("socket").option("host", h).option("port", p).load()
 *   words = lines.select(explode(split(lower(lines.value), "[^a-z']+")).alias("word"))
 *   counts = words.where("word != ''").groupBy("word").count()
 *   counts.writeStream.outputMode("complete").format("console").start()
 *
 * The count is a running total: the query keeps each word's count in its state store. */
#include "compat/example.h"

DuetDataFrame *
duet_example_network_word_count_structured(DuetDataFrame *lines, GError **error)
{
    static const char *const split[] = {"explode(split(lower(value), \"[^a-z']+\")) AS word"};
    static const char *const keys[] = {"word"};
    g_autoptr(DuetDataFrame) words = duet_dataframe_select_exprv(lines, split, 1, error);
    if (words == NULL)
        return NULL;
    g_autoptr(DuetDataFrame) non_empty = duet_dataframe_where(words, "word != ''", error);
    if (non_empty == NULL)
        return NULL;
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(non_empty, keys, 1, error);
    return grouped ? duet_grouped_data_count(grouped, error) : NULL;
}
