/* windowed_counts/dstream.c — word counts over a 5-minute window sliding every minute.
 *
 *   pairs = lines.map(lambda line: (line.split(",")[1], 1))
 *   counts = pairs.reduceByKeyAndWindow(lambda a, b: a + b, lambda a, b: a - b,
 *                                       windowDuration=300, slideDuration=60,
 *                                       filterFunc=lambda kv: kv[1] > 0)
 *   counts.pprint()
 *
 * The window is the last five batches, whatever times the records carry: processing time.
 * With the inverse function each slide adds the entering batch and subtracts the leaving one
 * instead of recounting the whole window. */
#include "compat/example.h"

/* A line is "epoch_seconds,word": the pair (word, 1). */
static void
word_of_event(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len;
    const char *word = duet_example_field(row, 1, &len);
    if (word == NULL || len == 0)
        return;
    duet_batch_builder_append_string(out, 0, word, (gssize)len);
    duet_batch_builder_append_int64(out, 1, 1);
}

DuetDStream *
duet_example_windowed_counts_dstream(DuetDStream *lines, GError **error)
{
    g_autoptr(DuetSchema) pair = duet_schema_parse("word STRING, count BIGINT", NULL);
    g_autoptr(DuetDStream) words = duet_dstream_flat_map(lines, pair, word_of_event, NULL);
    return duet_dstream_reduce_by_key_and_window(words, duet_example_add_int64,
                                                 duet_example_subtract_int64, 5 * 60000, 60000, 0,
                                                 duet_example_count_above_zero, NULL, error);
}
