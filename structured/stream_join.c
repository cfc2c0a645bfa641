/* stream_join.c — equi-joins of a stream with a static table or with another stream.
 *
 * Layer: structured/. Both sides are shuffled together by their join key (each row tagged
 * with its side) into spark.sql.shuffle.partitions partitions. Against a static table the
 * join is stateless: every batch joins its rows with the whole table (Spark's stream-static
 * join; a left outer join emits unmatched rows with nulls). Between two streams it is Spark's
 * StreamingSymmetricHashJoin (inner): each side's rows are kept in state by key; a new left
 * row joins the right side's stored rows, then a new right row joins the left side's stored
 * rows (the batch's left rows included), so every pair is emitted exactly once. A side whose
 * input carries a watermarked column drops rows at or below the late-events watermark
 * (counted); when a join key carries event time (a window over a watermarked column on either
 * side), rows whose key time is at or below the watermark are not stored, and stored rows are
 * evicted from both sides once the watermark passes them. With a time bound (right's time
 * minus left's within [lower, upper], Spark's range condition), a row joins only rows within
 * the bound, and each side's rows are evicted by Spark's state watermark for that side:
 * left rows at or below watermark - upper, right rows at or below watermark + lower.
 */
#include "structured/internal.h"

#include <string.h>
#include <xxhash.h>

enum { SIDE_LEFT = 0, SIDE_RIGHT = 1 };

typedef struct {
    DuetDataFrame *frame;
    DuetExecution *execution;
    guint id;
    guint side; /* for the map side */
} JoinRun;

/* A row on the reduce side: its key and its cells, pointing into the shuffled batch. */
typedef struct {
    const guint8 *key;
    gsize key_len;
    gint64 late_time, key_time;
    const guint8 *cells;
    gsize cells_len;
} SideRow;

/* Map side: (key, [side][late time][key time][cells]) for every row of one side. */
static void
run_tag(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    JoinRun *run = user_data;
    DuetDataFrame *frame = run->frame;
    DuetDataFrame *input = run->side == SIDE_LEFT ? frame->child : frame->right;
    GArray *keys = run->side == SIDE_LEFT ? frame->left_keys : frame->right_keys;
    GArray *cells = run->side == SIDE_LEFT ? frame->columns : frame->right_values;
    /* the time a stored row is evicted by: the side's own time under a time bound, else a
     * join key carrying event time */
    gint key_time_column =
        frame->has_time_bound
            ? (run->side == SIDE_LEFT ? frame->left_time_column : frame->right_time_column)
        : frame->state_time_column >= 0 ? (gint)g_array_index(keys, guint, frame->state_time_column)
                                        : -1;
    gboolean key_time_is_window = frame->has_time_bound ? FALSE : frame->event_time_is_window;
    GByteArray *key = g_byte_array_new(), *value = g_byte_array_new();
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
            g_byte_array_set_size(key, 0);
            g_byte_array_set_size(value, 0);
            gboolean null_key = FALSE;
            for (guint index = 0; index < keys->len; index++) {
                DuetColumn *column = duet_batch_column(batch, g_array_index(keys, guint, index));
                null_key |= duet_column_is_null(column, row);
                duet_row_codec_append_cell(key, column, row);
            }
            if (null_key && (frame->join_type == DUET_JOIN_INNER || run->side == SIDE_RIGHT))
                continue; /* a null key never matches */
            guint8 side = (guint8)run->side;
            g_byte_array_append(value, &side, 1);
            duet_row_codec_put_i64(
                value,
                input->event_time_column >= 0
                    ? duet_event_time_of(duet_batch_column(batch, (guint)input->event_time_column),
                                         row, input->event_time_is_window)
                    : G_MININT64);
            duet_row_codec_put_i64(
                value, key_time_column >= 0
                           ? duet_event_time_of(duet_batch_column(batch, (guint)key_time_column),
                                                row, key_time_is_window)
                           : G_MININT64);
            for (guint index = 0; index < cells->len; index++)
                duet_row_codec_append_cell(
                    value, duet_batch_column(batch, g_array_index(cells, guint, index)), row);
            duet_batch_builder_append_string(out, 0, (const char *)key->data, (gssize)key->len);
            duet_batch_builder_append_string(out, 1, (const char *)value->data, (gssize)value->len);
        }
    }
    g_byte_array_unref(key);
    g_byte_array_unref(value);
}

/* Appends the output row of a left row's cells and a right row's cells (NULL: nulls). */
static gboolean
emit(DuetDataFrame *frame, const guint8 *left, gsize left_len, const guint8 *right, gsize right_len,
     DuetBatchBuilder *out)
{
    guint n_left = frame->columns->len, n_right = frame->right_values->len;
    DuetByteReader reader = {left, left + left_len, FALSE};
    for (guint column = 0; column < n_left; column++)
        if (!duet_row_codec_read_cell(&reader, duet_batch_builder_column(out, column)))
            return FALSE;
    if (right == NULL) {
        for (guint column = 0; column < n_right; column++)
            duet_batch_builder_append_null(out, n_left + column);
        return TRUE;
    }
    DuetByteReader other = {right, right + right_len, FALSE};
    for (guint column = 0; column < n_right; column++)
        if (!duet_row_codec_read_cell(&other, duet_batch_builder_column(out, n_left + column)))
            return FALSE;
    return TRUE;
}

/* Stored rows of a key: [u32 count] then [u32 length][cells] per row. */
static guint32
stored_count(const DuetStateEntry *entry)
{
    guint32 count = 0;
    if (entry && entry->value->len >= 4)
        memcpy(&count, entry->value->data, 4);
    return GUINT32_FROM_LE(count);
}

static void
store_row(DuetStateEntry *entry, const SideRow *row)
{
    guint32 count = GUINT32_TO_LE(stored_count(entry) + 1);
    if (entry->value->len < 4)
        g_byte_array_set_size(entry->value, 4);
    memcpy(entry->value->data, &count, 4);
    guint32 length = GUINT32_TO_LE((guint32)row->cells_len);
    g_byte_array_append(entry->value, (const guint8 *)&length, 4);
    duet_row_codec_put_i64(entry->value, row->key_time);
    g_byte_array_append(entry->value, row->cells, (guint)row->cells_len);
    entry->event_time =
        count == GUINT32_TO_LE(1) ? row->key_time : MIN(entry->event_time, row->key_time);
}

/* Whether a left row at left_time and a right row at right_time satisfy the time bound
 * (right - left within [lower, upper]). */
static gboolean
within_bound(DuetDataFrame *frame, gint64 left_time, gint64 right_time)
{
    if (!frame->has_time_bound)
        return TRUE;
    if (left_time == G_MININT64 || right_time == G_MININT64)
        return FALSE;
    gint64 delta = right_time - left_time;
    return delta >= frame->lower_us && delta <= frame->upper_us;
}

/* Removes the stored rows at or below threshold from entry; returns how many. */
static guint32
evict_rows(DuetStateStore *store, guint table, DuetStateEntry *entry, gint64 threshold)
{
    GByteArray *kept = g_byte_array_sized_new(entry->value->len);
    g_byte_array_set_size(kept, 4);
    guint32 count = 0, removed = 0;
    gint64 min_time = G_MAXINT64;
    const guint8 *at = entry->value->data + 4, *end = entry->value->data + entry->value->len;
    while (at + 12 <= end) {
        guint32 length;
        memcpy(&length, at, 4);
        length = GUINT32_FROM_LE(length);
        gint64 time = duet_row_codec_get_i64(at + 4);
        if (time <= threshold) {
            removed++;
        } else {
            g_byte_array_append(kept, at, 12 + length);
            count++;
            min_time = MIN(min_time, time);
        }
        at += 12 + length;
    }
    if (count == 0) {
        g_byte_array_unref(kept);
        duet_state_store_remove(store, table, entry);
        return removed;
    }
    guint32 count_le = GUINT32_TO_LE(count);
    memcpy(kept->data, &count_le, 4);
    DuetStateEntry *same =
        duet_state_store_put(store, table, entry->key, entry->key_len, entry->hash);
    g_byte_array_unref(same->value);
    same->value = kept;
    same->event_time = min_time;
    duet_state_store_note_time(store, table, min_time);
    return removed;
}

/* Joins row with every row stored under its key in the other side's table. */
static gboolean
join_stored(DuetDataFrame *frame, const SideRow *row, guint side, DuetStateEntry *other,
            DuetBatchBuilder *out)
{
    if (other == NULL)
        return TRUE;
    const guint8 *at = other->value->data + 4, *end = other->value->data + other->value->len;
    while (at + 12 <= end) {
        guint32 length;
        memcpy(&length, at, 4);
        length = GUINT32_FROM_LE(length);
        gint64 time = duet_row_codec_get_i64(at + 4);
        const guint8 *cells = at + 12;
        if (cells + length > end)
            return FALSE;
        gboolean bound = side == SIDE_LEFT ? within_bound(frame, row->key_time, time)
                                           : within_bound(frame, time, row->key_time);
        if (!bound) {
            at = cells + length;
            continue;
        }
        gboolean ok = side == SIDE_LEFT
                          ? emit(frame, row->cells, row->cells_len, cells, length, out)
                          : emit(frame, cells, length, row->cells, row->cells_len, out);
        if (!ok)
            return FALSE;
        at = cells + length;
    }
    return TRUE;
}

static void
read_rows(GPtrArray *batches, GArray *left, GArray *right)
{
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        DuetColumn *keys = duet_batch_column(batch, 0), *values = duet_batch_column(batch, 1);
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
            SideRow side_row;
            gsize value_len = 0;
            side_row.key = (const guint8 *)duet_column_get_string(keys, row, &side_row.key_len);
            const guint8 *value = (const guint8 *)duet_column_get_string(values, row, &value_len);
            side_row.late_time = duet_row_codec_get_i64(value + 1);
            side_row.key_time = duet_row_codec_get_i64(value + 9);
            side_row.cells = value + 17;
            side_row.cells_len = value_len - 17;
            g_array_append_val(value[0] == SIDE_LEFT ? left : right, side_row);
        }
    }
}

/* SideRows hashed and compared by their key bytes, so any row (of either side) probes the
 * table without an allocation. */
static guint
side_row_key_hash(gconstpointer row)
{
    const SideRow *side_row = row;
    return (guint)XXH3_64bits(side_row->key, side_row->key_len);
}

static gboolean
side_row_key_equal(gconstpointer a, gconstpointer b)
{
    const SideRow *x = a, *y = b;
    return x->key_len == y->key_len && (x->key_len == 0 || memcmp(x->key, y->key, x->key_len) == 0);
}

/* Stream-static: the batch's left rows against the whole static table. */
static gboolean
join_static(DuetDataFrame *frame, GArray *left, GArray *right, DuetBatchBuilder *out)
{
    /* the first right row of each key stands for the key; the value holds all its rows */
    GHashTable *table = g_hash_table_new_full(side_row_key_hash, side_row_key_equal, NULL,
                                              (GDestroyNotify)g_ptr_array_unref);
    for (guint index = 0; index < right->len; index++) {
        SideRow *row = &g_array_index(right, SideRow, index);
        GPtrArray *rows = g_hash_table_lookup(table, row);
        if (rows == NULL) {
            rows = g_ptr_array_new();
            g_hash_table_insert(table, row, rows);
        }
        g_ptr_array_add(rows, row);
    }
    gboolean ok = TRUE;
    for (guint index = 0; ok && index < left->len; index++) {
        SideRow *row = &g_array_index(left, SideRow, index);
        GPtrArray *matches = g_hash_table_lookup(table, row);
        if (matches == NULL && frame->join_type == DUET_JOIN_LEFT_OUTER)
            ok = emit(frame, row->cells, row->cells_len, NULL, 0, out);
        for (guint match = 0; ok && matches && match < matches->len; match++) {
            SideRow *other = matches->pdata[match];
            ok = emit(frame, row->cells, row->cells_len, other->cells, other->cells_len, out);
        }
    }
    g_hash_table_unref(table);
    return ok;
}

/* Stream-stream: Spark's symmetric hash join over the two sides' state. */
static gboolean
join_streams(JoinRun *run, guint partition, GArray *left, GArray *right, DuetBatchBuilder *out,
             DuetStateMetrics *metrics)
{
    DuetDataFrame *frame = run->frame;
    DuetExecution *execution = run->execution;
    DuetStateStore *store = execution->stores->pdata[run->id];
    guint n = duet_state_store_n_partitions(store) / 2;
    guint tables[2] = {partition, n + partition};
    gboolean watermarked[2] = {frame->child->event_time_column >= 0 && execution->has_watermark,
                               frame->right->event_time_column >= 0 && execution->has_watermark};
    gboolean key_evicts =
        (frame->state_time_column >= 0 || frame->has_time_bound) && execution->has_watermark;
    gint64 late_us = execution->late_watermark_ms * 1000;
    gint64 watermark_us = execution->watermark_ms * 1000;
    /* Spark's state watermarks: a left row can still meet a right row later than the
     * watermark while left + upper > watermark; a right row while right - lower > watermark */
    gint64 thresholds[2] = {watermark_us, watermark_us};
    if (frame->has_time_bound) {
        thresholds[SIDE_LEFT] = watermark_us - frame->upper_us;
        thresholds[SIDE_RIGHT] = watermark_us + frame->lower_us;
    }
    GArray *sides[2] = {left, right};
    for (guint side = SIDE_LEFT; side <= SIDE_RIGHT; side++) {
        for (guint index = 0; index < sides[side]->len; index++) {
            SideRow *row = &g_array_index(sides[side], SideRow, index);
            if (watermarked[side] && row->late_time <= late_us) {
                metrics->rows_dropped_by_watermark++;
                continue;
            }
            guint64 hash = duet_state_key_hash(row->key, row->key_len);
            DuetStateEntry *other =
                duet_state_store_get(store, tables[1 - side], row->key, row->key_len, hash);
            if (!join_stored(frame, row, side, other, out))
                return FALSE;
            if (key_evicts && row->key_time <= thresholds[side])
                continue; /* too old to be matched later: not stored */
            store_row(duet_state_store_put(store, tables[side], row->key, row->key_len, hash), row);
            duet_state_store_note_time(store, tables[side], row->key_time);
            metrics->rows_updated++;
        }
    }
    for (guint side = SIDE_LEFT; side <= SIDE_RIGHT; side++) {
        if (key_evicts) {
            g_autoptr(GPtrArray) expired =
                duet_state_store_expired(store, tables[side], thresholds[side]);
            for (guint index = 0; index < expired->len; index++)
                metrics->rows_removed +=
                    evict_rows(store, tables[side], expired->pdata[index], thresholds[side]);
        }
        g_autoptr(GPtrArray) entries = duet_state_store_entries(store, tables[side]);
        for (guint index = 0; index < entries->len; index++)
            metrics->rows_total += stored_count(entries->pdata[index]);
        duet_state_store_seal_partition(store, tables[side]);
    }
    return TRUE;
}

static void
run_join(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    JoinRun *run = user_data;
    GArray *left = g_array_new(FALSE, FALSE, sizeof(SideRow));
    GArray *right = g_array_new(FALSE, FALSE, sizeof(SideRow));
    read_rows(batches, left, right);
    DuetStateMetrics metrics = {0};
    gboolean ok = run->frame->right->is_streaming
                      ? join_streams(run, partition, left, right, out, &metrics)
                      : join_static(run->frame, left, right, out);
    g_array_unref(left);
    g_array_unref(right);
    if (!ok) {
        duet_task_fail("a joined row of partition %u does not decode (damaged state?)", partition);
        return;
    }
    if (run->frame->right->is_streaming) {
        metrics.rows_output = (gint64)duet_batch_builder_n_rows(out);
        duet_stateful_add_metrics(run->execution, run->id, &metrics);
    }
}

static JoinRun *
join_run_new(DuetDataFrame *frame, DuetExecution *execution, guint side)
{
    JoinRun *run = g_new(JoinRun, 1);
    run->frame = frame;
    run->execution = execution;
    run->id = frame->right->is_streaming ? duet_execution_node_id(execution, frame) : 0;
    run->side = side;
    return run;
}

DuetRdd *
duet_stateful_join(DuetDataFrame *frame, DuetRdd *left, DuetRdd *right, DuetExecution *execution,
                   GError **error)
{
    g_autoptr(DuetSchema) pairs = duet_schema_parse("key BINARY, value BINARY", NULL);
    JoinRun *left_run = join_run_new(frame, execution, SIDE_LEFT);
    JoinRun *right_run = join_run_new(frame, execution, SIDE_RIGHT);
    g_autoptr(DuetRdd) tagged_left = duet_stateful_attach(
        duet_rdd_map_partitions(left, pairs, run_tag, left_run, FALSE), frame, left_run);
    g_autoptr(DuetRdd) tagged_right = duet_stateful_attach(
        duet_rdd_map_partitions(right, pairs, run_tag, right_run, FALSE), frame, right_run);
    DuetRdd *both[] = {tagged_left, tagged_right};
    g_autoptr(DuetRdd) tagged = duet_rdd_union(both, 2, error);
    if (tagged == NULL)
        return NULL;
    g_autoptr(DuetRdd) shuffled =
        duet_rdd_partition_by(tagged, execution->shuffle_partitions, error);
    if (shuffled == NULL)
        return NULL;
    JoinRun *run = join_run_new(frame, execution, SIDE_LEFT);
    return duet_stateful_attach(
        duet_rdd_map_partitions(shuffled, frame->schema, run_join, run, TRUE), frame, run);
}
