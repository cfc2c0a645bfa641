/* stateful.c — the stateful operators: streaming aggregation, deduplication, global limit.
 *
 * Layer: structured/. Spark's StateStoreRestore/StateStoreSave, StreamingDeduplicate and
 * StreamingGlobalLimit over the RDD core. An aggregation pre-aggregates each input partition
 * by key (a partial buffer per group, keyed by the group's bytes), shuffles the partials by
 * key into spark.sql.shuffle.partitions partitions, and merges them into that partition's
 * state store. Then, by output mode: Complete emits every group; Update emits the groups
 * changed in this batch; Append emits groups only when the watermark passes them, exactly
 * once, as they are evicted. Under a watermark, rows whose event time (a window's end for a
 * windowed aggregation) is at or below the late-events watermark are dropped and counted at
 * the operator's input, which for an aggregation means per partial group, as in Spark.
 */
#include "structured/internal.h"

#include <string.h>

typedef DuetStatefulRun StatefulRun;

static void
fail_task(GError *error)
{
    duet_task_fail("%s", error->message);
    g_error_free(error);
}

static gboolean
evicts(const StatefulRun *run)
{
    return run->frame->state_time_column >= 0 && run->execution->has_watermark &&
           run->execution->mode != DUET_OUTPUT_MODE_COMPLETE;
}

static DuetSchema *
pair_schema(void)
{
    return duet_schema_parse("key BINARY, value BINARY", NULL);
}

/* Shuffles (key, value) pair rows by key into the shuffle partitions; a global aggregation
 * (no keys) gathers into one partition, as Spark's AllTuples distribution does. */
static DuetRdd *
exchange(DuetRdd *pairs, DuetDataFrame *frame, DuetExecution *execution, GError **error)
{
    gboolean global = frame->kind == DUET_PLAN_AGGREGATE && frame->exprs->len == 0;
    return duet_rdd_partition_by(pairs, global ? 1 : execution->shuffle_partitions, error);
}

static void
append_pair(DuetBatchBuilder *out, const guint8 *key, gsize key_len, const guint8 *value,
            gsize value_len)
{
    duet_batch_builder_append_string(out, 0, (const char *)key, (gssize)key_len);
    duet_batch_builder_append_string(out, 1, (const char *)value, (gssize)value_len);
}

/* ---- aggregation: the map side ------------------------------------------------------------- */

static void
run_partial(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    StatefulRun *run = user_data;
    DuetDataFrame *frame = run->frame;
    guint n_keys = frame->exprs->len, n_aggs = frame->aggs->len;
    DuetGroupTable *groups = duet_group_table_new(n_aggs);
    GByteArray *key = g_byte_array_new();
    for (guint batch_idx = 0; batch_idx < batches->len && !duet_task_failed(); batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        gsize n_rows = duet_batch_n_rows(batch);
        DuetColumn *keys[n_keys + 1], *inputs[n_aggs + 1];
        GError *error = NULL;
        for (guint index = 0; index < n_keys; index++)
            keys[index] =
                error ? NULL : duet_expr_evaluate(frame->exprs->pdata[index], batch, &error);
        for (guint index = 0; index < n_aggs; index++) {
            const DuetAggSpec *spec = frame->aggs->pdata[index];
            inputs[index] =
                spec->input && !error ? duet_expr_evaluate(spec->input, batch, &error) : NULL;
        }
        for (gsize row = 0; row < n_rows && error == NULL; row++) {
            g_byte_array_set_size(key, 0);
            for (guint index = 0; index < n_keys; index++)
                duet_row_codec_append_cell(key, keys[index], row);
            gint64 time = frame->state_time_column >= 0
                              ? duet_event_time_of(keys[frame->state_time_column], row,
                                                   frame->event_time_is_window)
                              : G_MININT64;
            DuetAggBuffer *buffers = duet_group_table_find(
                groups, key->data, key->len, duet_state_key_hash(key->data, key->len), time);
            for (guint index = 0; index < n_aggs; index++)
                duet_agg_buffer_update(frame->aggs->pdata[index], &buffers[index], inputs[index],
                                       row);
        }
        for (guint index = 0; index < n_keys; index++)
            if (keys[index])
                duet_column_unref(keys[index]);
        for (guint index = 0; index < n_aggs; index++)
            if (inputs[index])
                duet_column_unref(inputs[index]);
        if (error)
            fail_task(error);
    }
    GByteArray *value = g_byte_array_new();
    for (guint index = 0; index < duet_group_table_size(groups); index++) {
        gsize key_len = 0;
        gint64 time = 0;
        const guint8 *group_key = duet_group_table_key(groups, index, &key_len, &time);
        DuetAggBuffer *buffers = duet_group_table_buffers(groups, index);
        g_byte_array_set_size(value, 0);
        duet_row_codec_put_i64(value, time);
        for (guint agg = 0; agg < n_aggs; agg++)
            duet_agg_buffer_write(frame->aggs->pdata[agg], &buffers[agg], value);
        append_pair(out, group_key, key_len, value->data, value->len);
    }
    g_byte_array_unref(value);
    g_byte_array_unref(key);
    duet_group_table_free(groups);
}

/* ---- aggregation: the state side ----------------------------------------------------------- */

/* Appends the group's output row: its key cells, then its finished aggregates. */
static gboolean
emit_group(StatefulRun *run, const DuetStateEntry *entry, DuetBatchBuilder *out)
{
    DuetDataFrame *frame = run->frame;
    guint n_keys = frame->exprs->len, n_aggs = frame->aggs->len;
    DuetByteReader key = {entry->key, entry->key + entry->key_len, FALSE};
    for (guint index = 0; index < n_keys; index++)
        if (!duet_row_codec_read_cell(&key, duet_batch_builder_column(out, index)))
            return FALSE;
    DuetByteReader value = {entry->value->data, entry->value->data + entry->value->len, FALSE};
    for (guint index = 0; index < n_aggs; index++) {
        DuetAggBuffer buffer;
        gboolean ok = duet_agg_buffer_read(frame->aggs->pdata[index], &buffer, &value);
        if (ok)
            duet_agg_buffer_finish(frame->aggs->pdata[index], &buffer,
                                   duet_batch_builder_column(out, n_keys + index));
        duet_agg_buffer_clear(&buffer);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

static void
run_merge(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    StatefulRun *run = user_data;
    DuetDataFrame *frame = run->frame;
    DuetExecution *execution = run->execution;
    DuetStateStore *store = execution->stores->pdata[run->id];
    guint n_aggs = frame->aggs->len;
    gboolean evicting = evicts(run);
    gint64 late_us = execution->late_watermark_ms * 1000;
    DuetStateMetrics metrics = {0};
    GPtrArray *updated = g_ptr_array_new();
    DuetAggBuffer *state = g_new0(DuetAggBuffer, n_aggs);
    DuetAggBuffer *partial = g_new0(DuetAggBuffer, n_aggs);
    gboolean damaged = FALSE;
    gsize fixed_width = 0;
    for (guint index = 0; index < n_aggs; index++) {
        gsize width = duet_agg_fixed_width(frame->aggs->pdata[index]);
        fixed_width = width && (index == 0 || fixed_width) ? fixed_width + width : 0;
    }
    for (guint batch_idx = 0; batch_idx < batches->len && !damaged; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        DuetColumn *keys = duet_batch_column(batch, 0), *values = duet_batch_column(batch, 1);
        gsize n_rows = duet_batch_n_rows(batch);
        for (gsize row = 0; row < n_rows && !damaged; row++) {
            gsize key_len = 0, value_len = 0;
            const guint8 *key = (const guint8 *)duet_column_get_string(keys, row, &key_len);
            const guint8 *value = (const guint8 *)duet_column_get_string(values, row, &value_len);
            gint64 time = duet_row_codec_get_i64(value);
            if (evicting && time <= late_us) {
                metrics.rows_dropped_by_watermark++;
                continue;
            }
            guint64 hash = duet_state_key_hash(key, key_len);
            DuetStateEntry *entry = duet_state_store_get(store, partition, key, key_len, hash);
            gboolean existed = entry != NULL;
            if (entry == NULL || !duet_state_store_was_put(store, partition, entry)) {
                entry = duet_state_store_put(store, partition, key, key_len, hash);
                g_ptr_array_add(updated, entry);
            }
            if (fixed_width > 0 && value_len == 8 + fixed_width) {
                /* fixed-width buffers (count, avg) merge in place, without decoding */
                if (!existed || entry->value->len != fixed_width) {
                    g_byte_array_set_size(entry->value, 0);
                    g_byte_array_append(entry->value, value + 8, (guint)fixed_width);
                } else {
                    gsize at = 0;
                    for (guint index = 0; index < n_aggs; index++) {
                        duet_agg_merge_fixed(frame->aggs->pdata[index], entry->value->data + at,
                                             value + 8 + at);
                        at += duet_agg_fixed_width(frame->aggs->pdata[index]);
                    }
                }
                entry->event_time = time;
                duet_state_store_note_time(store, partition, time);
                continue;
            }
            DuetByteReader stored = {entry->value->data, entry->value->data + entry->value->len,
                                     FALSE};
            DuetByteReader incoming = {value + 8, value + value_len, FALSE};
            for (guint index = 0; index < n_aggs && !damaged; index++) {
                const DuetAggSpec *spec = frame->aggs->pdata[index];
                if (existed)
                    damaged |= !duet_agg_buffer_read(spec, &state[index], &stored);
                else
                    duet_agg_buffer_init(&state[index]);
                damaged |= !duet_agg_buffer_read(spec, &partial[index], &incoming);
                duet_agg_buffer_merge(spec, &state[index], &partial[index]);
                duet_agg_buffer_clear(&partial[index]);
            }
            /* every buffer was read out of entry->value: rewrite it in place */
            g_byte_array_set_size(entry->value, 0);
            for (guint index = 0; index < n_aggs; index++) {
                duet_agg_buffer_write(frame->aggs->pdata[index], &state[index], entry->value);
                duet_agg_buffer_clear(&state[index]);
            }
            entry->event_time = time;
            duet_state_store_note_time(store, partition, time);
        }
    }
    if (!damaged && frame->exprs->len == 0 && partition == 0) {
        /* a global aggregation has its one group every batch, input or not (Spark's final
         * aggregate of no rows is the initial buffer) */
        static const guint8 no_key[1] = {0};
        guint64 hash = duet_state_key_hash(no_key, 0);
        DuetStateEntry *entry = duet_state_store_get(store, partition, no_key, 0, hash);
        if (entry == NULL || !duet_state_store_was_put(store, partition, entry)) {
            gboolean existed = entry != NULL;
            entry = duet_state_store_put(store, partition, no_key, 0, hash);
            g_ptr_array_add(updated, entry);
            if (!existed)
                for (guint index = 0; index < n_aggs; index++) {
                    duet_agg_buffer_init(&state[index]);
                    duet_agg_buffer_write(frame->aggs->pdata[index], &state[index], entry->value);
                }
        }
    }
    metrics.rows_updated = updated->len;
    if (!damaged && execution->mode == DUET_OUTPUT_MODE_COMPLETE) {
        g_autoptr(GPtrArray) all = duet_state_store_entries(store, partition);
        for (guint index = 0; index < all->len && !damaged; index++)
            damaged |= !emit_group(run, all->pdata[index], out);
    } else if (!damaged && execution->mode == DUET_OUTPUT_MODE_UPDATE) {
        for (guint index = 0; index < updated->len && !damaged; index++)
            damaged |= !emit_group(run, updated->pdata[index], out);
    }
    if (!damaged && evicting) {
        g_autoptr(GPtrArray) expired =
            duet_state_store_expired(store, partition, execution->watermark_ms * 1000);
        for (guint index = 0; index < expired->len && !damaged; index++) {
            DuetStateEntry *entry = expired->pdata[index];
            if (execution->mode == DUET_OUTPUT_MODE_APPEND)
                damaged |= !emit_group(run, entry, out);
            duet_state_store_remove(store, partition, entry);
            metrics.rows_removed++;
        }
    }
    metrics.rows_total = duet_state_store_size(store, partition);
    metrics.rows_output = (gint64)duet_batch_builder_n_rows(out);
    duet_state_store_seal_partition(store, partition);
    g_ptr_array_unref(updated);
    g_free(state);
    g_free(partial);
    if (damaged) {
        duet_task_fail("the state of aggregation %u, partition %u is damaged (a buffer does not "
                       "decode); restart the query from its checkpoint",
                       run->id, partition);
        return;
    }
    duet_stateful_add_metrics(execution, run->id, &metrics);
}

DuetRdd *
duet_stateful_aggregate(DuetDataFrame *frame, DuetRdd *child, DuetExecution *execution,
                        GError **error)
{
    g_autoptr(DuetSchema) pairs_schema = pair_schema();
    StatefulRun *partial = duet_stateful_run_new(frame, execution);
    g_autoptr(DuetRdd) pairs = duet_stateful_attach(
        duet_rdd_map_partitions(child, pairs_schema, run_partial, partial, FALSE), frame, partial);
    g_autoptr(DuetRdd) shuffled = exchange(pairs, frame, execution, error);
    if (shuffled == NULL)
        return NULL;
    StatefulRun *merge = duet_stateful_run_new(frame, execution);
    return duet_stateful_attach(
        duet_rdd_map_partitions(shuffled, frame->schema, run_merge, merge, TRUE), frame, merge);
}

/* ---- deduplication ------------------------------------------------------------------------- */

static void
run_dedup_keys(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    StatefulRun *run = user_data;
    DuetDataFrame *frame = run->frame;
    GByteArray *key = g_byte_array_new(), *value = g_byte_array_new();
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
            gint64 time =
                frame->state_time_column >= 0
                    ? duet_event_time_of(duet_batch_column(batch, (guint)frame->state_time_column),
                                         row, frame->event_time_is_window)
                    : G_MININT64;
            duet_stateful_append_row_pair(out, key, value, batch, row, frame->columns, time);
        }
    }
    g_byte_array_unref(key);
    g_byte_array_unref(value);
}

static void
run_dedup_state(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    StatefulRun *run = user_data;
    DuetDataFrame *frame = run->frame;
    DuetExecution *execution = run->execution;
    DuetStateStore *store = execution->stores->pdata[run->id];
    gboolean evicting = run->frame->state_time_column >= 0 && execution->has_watermark;
    gint64 late_us = execution->late_watermark_ms * 1000;
    gint64 delay_us = frame->within_watermark ? frame->delay_ms * 1000 : 0;
    guint n_columns = duet_schema_n_fields(frame->schema);
    DuetStateMetrics metrics = {0};
    gboolean damaged = FALSE;
    for (guint batch_idx = 0; batch_idx < batches->len && !damaged; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        DuetColumn *keys = duet_batch_column(batch, 0), *values = duet_batch_column(batch, 1);
        gsize n_rows = duet_batch_n_rows(batch);
        for (gsize row = 0; row < n_rows && !damaged; row++) {
            gsize key_len = 0, value_len = 0;
            const guint8 *key = (const guint8 *)duet_column_get_string(keys, row, &key_len);
            const guint8 *value = (const guint8 *)duet_column_get_string(values, row, &value_len);
            gint64 time = duet_row_codec_get_i64(value);
            if (evicting && time <= late_us) {
                metrics.rows_dropped_by_watermark++;
                continue;
            }
            guint64 hash = duet_state_key_hash(key, key_len);
            if (duet_state_store_get(store, partition, key, key_len, hash) != NULL) {
                metrics.dropped_duplicate_rows++;
                continue;
            }
            DuetStateEntry *entry = duet_state_store_put(store, partition, key, key_len, hash);
            entry->event_time = time == G_MININT64 ? time : time + delay_us;
            duet_state_store_note_time(store, partition, entry->event_time);
            metrics.rows_updated++;
            DuetByteReader cells = {value + 8, value + value_len, FALSE};
            for (guint column = 0; column < n_columns && !damaged; column++)
                damaged |=
                    !duet_row_codec_read_cell(&cells, duet_batch_builder_column(out, column));
        }
    }
    if (evicting && !damaged) {
        g_autoptr(GPtrArray) expired =
            duet_state_store_expired(store, partition, execution->watermark_ms * 1000);
        for (guint index = 0; index < expired->len; index++) {
            duet_state_store_remove(store, partition, expired->pdata[index]);
            metrics.rows_removed++;
        }
    }
    metrics.rows_total = duet_state_store_size(store, partition);
    metrics.rows_output = (gint64)duet_batch_builder_n_rows(out);
    duet_state_store_seal_partition(store, partition);
    if (damaged) {
        duet_task_fail("a deduplicated row of partition %u does not decode", partition);
        return;
    }
    duet_stateful_add_metrics(execution, run->id, &metrics);
}

DuetRdd *
duet_stateful_dedup(DuetDataFrame *frame, DuetRdd *child, DuetExecution *execution, GError **error)
{
    g_autoptr(DuetSchema) pairs_schema = pair_schema();
    StatefulRun *keys = duet_stateful_run_new(frame, execution);
    g_autoptr(DuetRdd) pairs = duet_stateful_attach(
        duet_rdd_map_partitions(child, pairs_schema, run_dedup_keys, keys, FALSE), frame, keys);
    g_autoptr(DuetRdd) shuffled = exchange(pairs, frame, execution, error);
    if (shuffled == NULL)
        return NULL;
    StatefulRun *state = duet_stateful_run_new(frame, execution);
    return duet_stateful_attach(
        duet_rdd_map_partitions(shuffled, frame->schema, run_dedup_state, state, TRUE), frame,
        state);
}

/* ---- limit --------------------------------------------------------------------------------- */

/* Spark's StreamingGlobalLimit: the number of rows emitted so far is state (key: empty), so
 * that limit n outputs n rows over the whole stream; in Complete mode each result is cut. */
static void
run_limit(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    StatefulRun *run = user_data;
    DuetExecution *execution = run->execution;
    /* Complete mode and static tables cut each result; a stream counts across batches */
    gboolean complete = execution->mode == DUET_OUTPUT_MODE_COMPLETE || run->id == G_MAXUINT;
    DuetStateStore *store = complete ? NULL : execution->stores->pdata[run->id];
    static const guint8 no_key[1] = {0};
    guint64 hash = duet_state_key_hash(no_key, 0);
    DuetStateEntry *entry = store ? duet_state_store_get(store, 0, no_key, 0, hash) : NULL;
    gint64 emitted = 0;
    if (entry && entry->value->len == 8)
        memcpy(&emitted, entry->value->data, 8);
    gint64 before = emitted;
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        gsize n_rows = duet_batch_n_rows(batch);
        gsize take = (gsize)MIN((gint64)n_rows, MAX(run->frame->limit - emitted, 0));
        for (guint column = 0; column < duet_batch_n_columns(batch); column++)
            duet_column_builder_append_range(duet_batch_builder_column(out, column),
                                             duet_batch_column(batch, column), 0, take);
        emitted += (gint64)take;
    }
    DuetStateMetrics metrics = {0};
    if (store != NULL) {
        if (emitted != before) {
            entry = duet_state_store_put(store, 0, no_key, 0, hash);
            g_byte_array_set_size(entry->value, 0);
            g_byte_array_append(entry->value, (const guint8 *)&emitted, 8);
            metrics.rows_updated = 1;
        }
        metrics.rows_total = duet_state_store_size(store, 0);
        duet_state_store_seal_partition(store, 0);
        duet_stateful_add_metrics(execution, run->id, &metrics);
    }
}

DuetRdd *
duet_stateful_limit(DuetDataFrame *frame, DuetRdd *child, DuetExecution *execution, GError **error)
{
    g_autoptr(DuetRdd) gathered = duet_rdd_coalesce(child, 1, FALSE);
    StatefulRun *run = duet_stateful_run_new(frame, execution);
    return duet_stateful_attach(
        duet_rdd_map_partitions(gathered, frame->schema, run_limit, run, TRUE), frame, run);
}
