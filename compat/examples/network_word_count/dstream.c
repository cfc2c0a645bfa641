/* network_word_count/dstream.c — the tutorial's NetworkWordCount, in the DStream API.
 *
 *   lines = ssc.socketTextStream(host, port)
 *   counts = lines.flatMap(lambda line: line.split(" ")) \
 *                 .map(lambda word: (word, 1)).reduceByKey(lambda a, b: a + b)
 *   counts.pprint()
 *
 * Each batch's words are counted alone: a word seen in two batches is printed twice. */
#include "compat/example.h"

DuetDStream *
duet_example_network_word_count_dstream(DuetDStream *lines, GError **error)
{
    g_autoptr(DuetSchema) pair = duet_schema_parse("word STRING, count BIGINT", NULL);
    g_autoptr(DuetDStream) words =
        duet_dstream_flat_map(lines, pair, duet_example_split_words, NULL);
    return duet_dstream_reduce_by_key(words, duet_example_add_int64, NULL, 0, error);
}
