/* session_window.c — session_window(time, gap) and aggregation over merging sessions.
 *
 * Layer: structured/. Spark's SessionWindowing and MergingSessions: each row opens the session
 * [time, time + gap) (rows with a null time or a gap that is null or not positive are
 * dropped); within one group of the other keys, sessions that overlap or touch
 * (next.start <= current.end) merge into one whose end is the largest, and their aggregate
 * buffers merge. State holds, per group of the other keys, its sessions and their buffers.
 * Complete mode emits every session every batch; Append emits a session once the watermark
 * reaches its end, then forgets it. A row whose own session already ends at or below the
 * late-events watermark is dropped and counted.
 */
#include "structured/internal.h"
#include "structured/dataframe.h"

#include <string.h>

/* ---- the logical rewrite ---------------------------------------------------------------- */

static const DuetExpr *
find_session_call(const DuetExpr *expr)
{
    if (expr->kind == DUET_EXPR_FUNCTION && g_ascii_strcasecmp(expr->name, "session_window") == 0)
        return expr;
    for (guint child = 0; child < expr->n_children; child++) {
        const DuetExpr *found = find_session_call(expr->children[child]);
        if (found)
            return found;
    }
    return NULL;
}

DuetDataFrame *
duet_expand_session_window(DuetDataFrame *frame, GPtrArray *keys, GError **error)
{
    gint found = -1;
    for (guint index = 0; index < keys->len; index++) {
        DuetExpr *key = keys->pdata[index];
        const DuetExpr *call = key->kind == DUET_EXPR_ALIAS ? key->children[0] : key;
        if (find_session_call(key) == NULL)
            continue;
        if (find_session_call(key) != call || found >= 0) {
            duet_analysis_error(error, "Multiple time/session window expressions would result in "
                                       "a cartesian product of rows, therefore they are currently "
                                       "not supported.");
            return NULL;
        }
        found = (gint)index;
    }
    if (found < 0)
        return duet_dataframe_ref(frame);
    DuetExpr *key = keys->pdata[found];
    const DuetExpr *call = key->kind == DUET_EXPR_ALIAS ? key->children[0] : key;
    if (call->n_children != 2) {
        duet_analysis_error(error,
                            "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `session_window` requires 2 "
                            "parameters but the actual number is %u.",
                            call->n_children);
        return NULL;
    }
    g_autoptr(DuetExpr) time = duet_expr_resolve(call->children[0], frame->schema, error);
    if (time == NULL)
        return NULL;
    if (duet_data_type_id(duet_expr_type(time)) != DUET_TYPE_TIMESTAMP) {
        g_autofree char *name = duet_expr_name(time);
        duet_analysis_error(error,
                            "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "
                            "\"session_window(%s)\" due to data type mismatch: the time column "
                            "must be a timestamp.",
                            name);
        return NULL;
    }
    gint64 gap_us = 0;
    g_autoptr(DuetExpr) gap = NULL;
    const DuetExpr *gap_arg = call->children[1];
    if (gap_arg->kind == DUET_EXPR_LITERAL && gap_arg->literal.type == DUET_TYPE_STRING &&
        !gap_arg->literal.is_null) {
        g_autofree char *text = g_strndup(gap_arg->literal.v.str.data, gap_arg->literal.v.str.len);
        if (!duet_parse_interval_us(text, &gap_us, error))
            return NULL;
    } else {
        gap = duet_expr_resolve((DuetExpr *)gap_arg, frame->schema, error); /* per row */
        if (gap == NULL)
            return NULL;
        if (duet_data_type_id(duet_expr_type(gap)) != DUET_TYPE_STRING) {
            duet_analysis_error(error, "The gap of session_window() must be an interval string "
                                       "(a literal or a string expression)");
            return NULL;
        }
    }
    g_autoptr(DuetSchema) schema = duet_schema_new();
    for (guint field = 0; field < duet_schema_n_fields(frame->schema); field++) {
        const DuetField *existing = duet_schema_field(frame->schema, field);
        duet_schema_add_field(schema, existing->name, existing->type, existing->nullable);
    }
    g_autoptr(DuetSchema) bounds = duet_schema_parse("start TIMESTAMP, end TIMESTAMP", NULL);
    g_autoptr(DuetDataType) session_type = duet_data_type_new_struct(bounds);
    duet_schema_add_field(schema, "session_window", session_type, TRUE);
    DuetDataFrame *node = duet_dataframe_node_new(DUET_PLAN_SESSION, schema, frame);
    g_ptr_array_add(node->exprs, duet_expr_ref(time));
    if (gap)
        g_ptr_array_add(node->exprs, duet_expr_ref(gap));
    node->window_us = gap_us;
    if (time->kind == DUET_EXPR_COLUMN && time->column_index == frame->event_time_column &&
        !frame->event_time_is_window) {
        node->event_time_column = (gint)duet_schema_n_fields(schema) - 1;
        node->event_time_is_window = TRUE;
    }
    g_autoptr(DuetExpr) column = duet_expr_column("session_window");
    DuetExpr *replacement =
        key->kind == DUET_EXPR_ALIAS ? duet_expr_alias(column, key->name) : duet_expr_ref(column);
    duet_expr_unref(keys->pdata[found]);
    keys->pdata[found] = replacement;
    return node;
}

/* ---- the session column ------------------------------------------------------------------ */

void
duet_run_session_window(GPtrArray *batches, guint partition, DuetBatchBuilder *out,
                        gpointer user_data)
{
    DuetPlanRun *run = user_data;
    DuetDataFrame *frame = run->frame;
    guint n_child = duet_schema_n_fields(frame->child->schema);
    for (guint batch_idx = 0; batch_idx < batches->len && !duet_task_failed(); batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        GError *error = NULL;
        g_autoptr(DuetColumn) times = duet_expr_evaluate(frame->exprs->pdata[0], batch, &error);
        g_autoptr(DuetColumn) gaps = times && frame->exprs->len > 1
                                         ? duet_expr_evaluate(frame->exprs->pdata[1], batch, &error)
                                         : NULL;
        if (error != NULL) {
            duet_task_fail("%s", error->message);
            g_error_free(error);
            return;
        }
        GArray *rows = g_array_new(FALSE, FALSE, sizeof(guint32));
        DuetColumnBuilder *sessions = duet_batch_builder_column(out, n_child);
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
            if (duet_column_is_null(times, row))
                continue;
            gint64 gap = frame->window_us;
            if (gaps != NULL) {
                gsize len = 0;
                const char *text =
                    duet_column_is_null(gaps, row) ? NULL : duet_column_get_string(gaps, row, &len);
                g_autofree char *copy = text ? g_strndup(text, len) : NULL;
                if (copy == NULL || !duet_parse_interval_us(copy, &gap, NULL))
                    continue;
            }
            if (gap <= 0)
                continue;
            gint64 start = duet_column_get_int64(times, row);
            guint32 row32 = (guint32)row;
            g_array_append_val(rows, row32);
            duet_column_builder_append_int64(duet_column_builder_child(sessions, 0), start);
            duet_column_builder_append_int64(duet_column_builder_child(sessions, 1), start + gap);
            duet_column_builder_end_struct(sessions);
        }
        g_autoptr(DuetBatch) taken = duet_batch_take(batch, (const guint32 *)rows->data, rows->len);
        for (guint column = 0; column < n_child; column++)
            duet_column_builder_append_range(duet_batch_builder_column(out, column),
                                             duet_batch_column(taken, column), 0, rows->len);
        g_array_unref(rows);
    }
}

/* ---- aggregation over sessions -------------------------------------------------------------- */

typedef struct {
    gint64 start, end;
    GByteArray *buffers; /* the aggregates' buffers, as duet_agg_buffer_write writes them */
} Session;

static void
session_clear(Session *session)
{
    if (session->buffers)
        g_byte_array_unref(session->buffers);
}

static int
compare_sessions(gconstpointer a, gconstpointer b)
{
    const Session *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Merges b's buffers into a's. */
static gboolean
merge_buffers(DuetDataFrame *frame, Session *a, const Session *b)
{
    GPtrArray *aggs = frame->aggs;
    DuetByteReader left = {a->buffers->data, a->buffers->data + a->buffers->len, FALSE};
    DuetByteReader right = {b->buffers->data, b->buffers->data + b->buffers->len, FALSE};
    GByteArray *merged = g_byte_array_sized_new(a->buffers->len + b->buffers->len);
    gboolean ok = TRUE;
    for (guint index = 0; index < aggs->len && ok; index++) {
        DuetAggBuffer x, y;
        ok = duet_agg_buffer_read(aggs->pdata[index], &x, &left) &&
             duet_agg_buffer_read(aggs->pdata[index], &y, &right);
        if (ok) {
            duet_agg_buffer_merge(aggs->pdata[index], &x, &y);
            duet_agg_buffer_write(aggs->pdata[index], &x, merged);
        }
        duet_agg_buffer_clear(&x);
        duet_agg_buffer_clear(&y);
    }
    g_byte_array_unref(a->buffers);
    a->buffers = merged;
    return ok;
}

/* The stored sessions of a group: [u32 count] then per session [start][end][u32 len][bytes]. */
static gboolean
decode_sessions(const GByteArray *value, GArray *sessions)
{
    if (value->len < 4)
        return value->len == 0;
    const guint8 *at = value->data + 4, *end = value->data + value->len;
    while (at < end) {
        if (end - at < 20)
            return FALSE;
        Session session;
        guint32 len;
        memcpy(&session.start, at, 8);
        memcpy(&session.end, at + 8, 8);
        memcpy(&len, at + 16, 4);
        at += 20;
        if ((gsize)(end - at) < len)
            return FALSE;
        session.buffers = g_byte_array_sized_new(len);
        g_byte_array_append(session.buffers, at, len);
        g_array_append_val(sessions, session);
        at += len;
    }
    return TRUE;
}

static void
encode_sessions(GArray *sessions, DuetStateEntry *entry)
{
    g_byte_array_set_size(entry->value, 0);
    guint32 count = sessions->len;
    g_byte_array_append(entry->value, (const guint8 *)&count, 4);
    gint64 min_end = G_MAXINT64;
    for (guint index = 0; index < sessions->len; index++) {
        const Session *session = &g_array_index(sessions, Session, index);
        guint32 len = session->buffers->len;
        g_byte_array_append(entry->value, (const guint8 *)&session->start, 8);
        g_byte_array_append(entry->value, (const guint8 *)&session->end, 8);
        g_byte_array_append(entry->value, (const guint8 *)&len, 4);
        g_byte_array_append(entry->value, session->buffers->data, len);
        min_end = MIN(min_end, session->end);
    }
    entry->event_time = min_end; /* the first session to be evicted */
}

/* Sorts and merges overlapping or touching sessions in place. */
static gboolean
merge_sessions(DuetDataFrame *frame, GArray *sessions)
{
    g_array_sort(sessions, compare_sessions);
    guint kept = 0;
    for (guint index = 0; index < sessions->len; index++) {
        Session *next = &g_array_index(sessions, Session, index);
        Session *current = kept ? &g_array_index(sessions, Session, kept - 1) : NULL;
        if (current && next->start <= current->end) {
            current->end = MAX(current->end, next->end);
            if (!merge_buffers(frame, current, next))
                return FALSE;
            session_clear(next);
        } else {
            g_array_index(sessions, Session, kept++) = *next;
        }
    }
    g_array_set_clear_func(sessions, NULL);
    g_array_set_size(sessions, kept);
    g_array_set_clear_func(sessions, (GDestroyNotify)session_clear);
    return TRUE;
}

/* Appends the output row of one session: the keys in groupBy order (the session among them),
 * then the finished aggregates. */
static gboolean
emit_session(DuetDataFrame *frame, const DuetStateEntry *entry, const Session *session,
             DuetBatchBuilder *out)
{
    guint n_keys = frame->exprs->len;
    DuetByteReader key = {entry->key, entry->key + entry->key_len, FALSE};
    for (guint index = 0; index < n_keys; index++) {
        DuetColumnBuilder *column = duet_batch_builder_column(out, index);
        if ((gint)index == frame->session_key) {
            duet_column_builder_append_int64(duet_column_builder_child(column, 0), session->start);
            duet_column_builder_append_int64(duet_column_builder_child(column, 1), session->end);
            duet_column_builder_end_struct(column);
        } else if (!duet_row_codec_read_cell(&key, column)) {
            return FALSE;
        }
    }
    DuetByteReader buffers = {session->buffers->data,
                              session->buffers->data + session->buffers->len, FALSE};
    for (guint index = 0; index < frame->aggs->len; index++) {
        DuetAggBuffer buffer;
        gboolean ok = duet_agg_buffer_read(frame->aggs->pdata[index], &buffer, &buffers);
        if (ok)
            duet_agg_buffer_finish(frame->aggs->pdata[index], &buffer,
                                   duet_batch_builder_column(out, n_keys + index));
        duet_agg_buffer_clear(&buffer);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

typedef DuetStatefulRun SessionRun;

/* Map side: (other keys, [start][end][buffers of the row]) for every row. */
static void
run_session_rows(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    SessionRun *run = user_data;
    DuetDataFrame *frame = run->frame;
    guint n_keys = frame->exprs->len, n_aggs = frame->aggs->len;
    GByteArray *key = g_byte_array_new(), *value = g_byte_array_new();
    for (guint batch_idx = 0; batch_idx < batches->len && !duet_task_failed(); batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
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
        DuetColumn *sessions = error ? NULL : keys[frame->session_key];
        for (gsize row = 0; error == NULL && row < duet_batch_n_rows(batch); row++) {
            g_byte_array_set_size(key, 0);
            g_byte_array_set_size(value, 0);
            for (guint index = 0; index < n_keys; index++)
                if ((gint)index != frame->session_key)
                    duet_row_codec_append_cell(key, keys[index], row);
            gint64 bounds[2] = {duet_column_get_int64(duet_column_child(sessions, 0), row),
                                duet_column_get_int64(duet_column_child(sessions, 1), row)};
            g_byte_array_append(value, (const guint8 *)bounds, 16);
            for (guint index = 0; index < n_aggs; index++) {
                DuetAggBuffer buffer;
                duet_agg_buffer_init(&buffer);
                duet_agg_buffer_update(frame->aggs->pdata[index], &buffer, inputs[index], row);
                duet_agg_buffer_write(frame->aggs->pdata[index], &buffer, value);
                duet_agg_buffer_clear(&buffer);
            }
            duet_batch_builder_append_string(out, 0, (const char *)key->data, (gssize)key->len);
            duet_batch_builder_append_string(out, 1, (const char *)value->data, (gssize)value->len);
        }
        for (guint index = 0; index < n_keys; index++)
            if (keys[index])
                duet_column_unref(keys[index]);
        for (guint index = 0; index < n_aggs; index++)
            if (inputs[index])
                duet_column_unref(inputs[index]);
        if (error) {
            duet_task_fail("%s", error->message);
            g_error_free(error);
        }
    }
    g_byte_array_unref(key);
    g_byte_array_unref(value);
}

/* State side: merge the batch's sessions into each group's stored sessions, then emit. */
static void
run_session_merge(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    SessionRun *run = user_data;
    DuetDataFrame *frame = run->frame;
    DuetExecution *execution = run->execution;
    DuetStateStore *store = execution->stores->pdata[run->id];
    gboolean evicting = frame->state_time_column >= 0 && execution->has_watermark &&
                        execution->mode != DUET_OUTPUT_MODE_COMPLETE;
    gint64 late_us = execution->late_watermark_ms * 1000;
    DuetStateMetrics metrics = {0};
    GHashTable *touched = g_hash_table_new(g_direct_hash, g_direct_equal); /* entry -> GArray */
    gboolean ok = TRUE;
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        DuetColumn *keys = duet_batch_column(batch, 0), *values = duet_batch_column(batch, 1);
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
            gsize key_len = 0, value_len = 0;
            const guint8 *key = (const guint8 *)duet_column_get_string(keys, row, &key_len);
            const guint8 *value = (const guint8 *)duet_column_get_string(values, row, &value_len);
            Session session;
            memcpy(&session.start, value, 8);
            memcpy(&session.end, value + 8, 8);
            if (evicting && session.end <= late_us) {
                metrics.rows_dropped_by_watermark++;
                continue;
            }
            guint64 hash = duet_state_key_hash(key, key_len);
            DuetStateEntry *entry = duet_state_store_get(store, partition, key, key_len, hash);
            GArray *sessions = entry ? g_hash_table_lookup(touched, entry) : NULL;
            if (sessions == NULL) {
                sessions = g_array_new(FALSE, FALSE, sizeof(Session));
                g_array_set_clear_func(sessions, (GDestroyNotify)session_clear);
                if (entry != NULL)
                    ok &= decode_sessions(entry->value, sessions);
                entry = duet_state_store_put(store, partition, key, key_len, hash);
                g_hash_table_insert(touched, entry, sessions);
            }
            session.buffers = g_byte_array_sized_new((guint)value_len - 16);
            g_byte_array_append(session.buffers, value + 16, (guint)value_len - 16);
            g_array_append_val(sessions, session);
        }
    }
    GHashTableIter iter;
    gpointer entry_ptr, sessions_ptr;
    g_hash_table_iter_init(&iter, touched);
    while (ok && g_hash_table_iter_next(&iter, &entry_ptr, &sessions_ptr)) {
        ok = merge_sessions(frame, sessions_ptr);
        encode_sessions(sessions_ptr, entry_ptr);
        duet_state_store_note_time(store, partition, ((DuetStateEntry *)entry_ptr)->event_time);
        metrics.rows_updated += ((GArray *)sessions_ptr)->len;
    }
    g_hash_table_iter_init(&iter, touched);
    while (g_hash_table_iter_next(&iter, NULL, &sessions_ptr))
        g_array_unref(sessions_ptr);
    g_hash_table_unref(touched);
    g_autoptr(GPtrArray) emitting =
        !ok                                            ? g_ptr_array_new()
        : execution->mode == DUET_OUTPUT_MODE_COMPLETE ? duet_state_store_entries(store, partition)
        : evicting ? duet_state_store_expired(store, partition, execution->watermark_ms * 1000)
                   : g_ptr_array_new();
    for (guint index = 0; ok && index < emitting->len; index++) {
        DuetStateEntry *entry = emitting->pdata[index];
        GArray *sessions = g_array_new(FALSE, FALSE, sizeof(Session));
        g_array_set_clear_func(sessions, (GDestroyNotify)session_clear);
        ok = decode_sessions(entry->value, sessions);
        GArray *remaining = g_array_new(FALSE, FALSE, sizeof(Session));
        for (guint at = 0; ok && at < sessions->len; at++) {
            Session *session = &g_array_index(sessions, Session, at);
            gboolean final = execution->mode == DUET_OUTPUT_MODE_COMPLETE ||
                             session->end <= execution->watermark_ms * 1000;
            if (final)
                ok = emit_session(frame, entry, session, out);
            if (execution->mode != DUET_OUTPUT_MODE_COMPLETE && final) {
                metrics.rows_removed++;
            } else {
                Session kept = {session->start, session->end, g_byte_array_ref(session->buffers)};
                g_array_append_val(remaining, kept);
            }
        }
        if (execution->mode != DUET_OUTPUT_MODE_COMPLETE) {
            if (remaining->len == 0) {
                duet_state_store_remove(store, partition, entry);
            } else {
                DuetStateEntry *kept =
                    duet_state_store_put(store, partition, entry->key, entry->key_len, entry->hash);
                encode_sessions(remaining, kept);
                duet_state_store_note_time(store, partition, kept->event_time);
            }
        }
        g_array_set_clear_func(remaining, (GDestroyNotify)session_clear);
        g_array_unref(remaining);
        g_array_unref(sessions);
    }
    g_autoptr(GPtrArray) all = duet_state_store_entries(store, partition);
    for (guint index = 0; index < all->len; index++) {
        DuetStateEntry *entry = all->pdata[index];
        guint32 count = 0;
        if (entry->value->len >= 4)
            memcpy(&count, entry->value->data, 4);
        metrics.rows_total += count;
    }
    metrics.rows_output = (gint64)duet_batch_builder_n_rows(out);
    duet_state_store_seal_partition(store, partition);
    if (!ok) {
        duet_task_fail("the session state of partition %u does not decode (damaged?)", partition);
        return;
    }
    duet_stateful_add_metrics(execution, run->id, &metrics);
}

DuetRdd *
duet_stateful_session_aggregate(DuetDataFrame *frame, DuetRdd *child, DuetExecution *execution,
                                GError **error)
{
    if (frame->exprs->len == 1) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "Global aggregation with session window in streaming query is not supported.");
        return NULL;
    }
    g_autoptr(DuetSchema) pairs = duet_schema_parse("key BINARY, value BINARY", NULL);
    SessionRun *rows_run = g_new(SessionRun, 1);
    *rows_run = (SessionRun){frame, execution, duet_execution_node_id(execution, frame)};
    g_autoptr(DuetRdd) rows = duet_stateful_attach(
        duet_rdd_map_partitions(child, pairs, run_session_rows, rows_run, FALSE), frame, rows_run);
    g_autoptr(DuetRdd) shuffled = duet_rdd_partition_by(rows, execution->shuffle_partitions, error);
    if (shuffled == NULL)
        return NULL;
    SessionRun *merge_run = g_new(SessionRun, 1);
    *merge_run = *rows_run;
    return duet_stateful_attach(
        duet_rdd_map_partitions(shuffled, frame->schema, run_session_merge, merge_run, TRUE), frame,
        merge_run);
}
