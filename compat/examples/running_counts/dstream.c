/* running_counts/dstream.c — running word counts with updateStateByKey.
 *
 *   def update(new_values, total): return sum(new_values) + (total or 0)
 *   ssc.checkpoint(dir)
 *   counts = words.map(lambda w: (w, 1)).updateStateByKey(update)
 *   counts.pprint()
 *
 * The state is an RDD of (word, total), rebuilt every batch and checkpointed. */
#include "compat/example.h"

static gboolean
add_to_total(gint64 time_ms, const DuetValue *key, const DuetValue *values, const DuetValue *total,
             DuetColumnBuilder *new_total, gpointer user_data)
{
    gint64 sum = total->is_null ? 0 : total->v.i64;
    gsize start, end;
    duet_column_list_range(values->v.nested.column, values->v.nested.row, &start, &end);
    DuetColumn *elements = duet_column_child(values->v.nested.column, 0);
    for (gsize element = start; element < end; element++)
        sum += duet_column_get_int64(elements, element);
    duet_column_builder_append_int64(new_total, sum);
    return TRUE;
}

DuetDStream *
duet_example_running_counts_dstream(DuetDStream *lines, GError **error)
{
    g_autoptr(DuetSchema) pair = duet_schema_parse("word STRING, count BIGINT", NULL);
    g_autoptr(DuetDStream) words =
        duet_dstream_flat_map(lines, pair, duet_example_split_words, NULL);
    g_autoptr(DuetDataType) bigint = duet_data_type_new_scalar(DUET_TYPE_INT64);
    return duet_dstream_update_state_by_key(words, bigint, add_to_total, NULL, 0, NULL, error);
}
