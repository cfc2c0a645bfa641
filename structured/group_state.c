/* group_state.c — groupByKey + (flat)MapGroupsWithState: a user function over each key's new
 * rows and its saved state, with processing-time and event-time timeouts.
 *
 * Layer: structured/. Spark's FlatMapGroupsWithStateExec and GroupStateImpl over the RDD core,
 * built like the aggregation in stateful.c: the map side encodes each row as a (key, value)
 * pair of BINARY cells (row_codec.c; the value leads with the row's event time), the pairs are
 * shuffled by key into spark.sql.shuffle.partitions partitions, and each partition's task
 * works against that partition of the operator's state store:
 *   1. the pairs are grouped by key and the groups ordered by key (Spark sorts the input by
 *      the grouping attributes), their rows decoded into one batch that each group sees as
 *      a slice; the function runs once per group;
 *   2. with a timeout configured, every entry whose timeout is below the threshold (the batch
 *      timestamp, or the watermark for eviction) gets a call with no rows and hasTimedOut —
 *      entries changed in step 1 included, exactly as Spark scans the store after the data.
 * After each call the state is written back as Spark does: removed without a timeout deletes
 * the key; otherwise an update, a remove, or a changed timeout writes the entry. A state entry
 * is a defined flag and the state value's cell; its timeout (ms) rides in the entry's event
 * time (G_MAXINT64 when none), so the store's expiry scan finds the keys that time out.
 */
#include "structured/group_state.h"
#include "structured/internal.h"

#include <string.h>

#define NO_TIMESTAMP (-1) /* Spark's GroupStateImpl.NO_TIMESTAMP */

G_DEFINE_QUARK(duet - group - state - error - quark, duet_group_state_error)

/* What a GROUP_STATE plan node holds besides its key columns (frame->columns). */
typedef struct {
    DuetGroupStateFunc func;
    gpointer user_data;
    DuetDataType *state_type;      /* owned */
    DuetDataType *key_type;        /* owned: a struct of the key columns */
    gboolean is_map;               /* mapGroupsWithState: one row per call, Update only */
    DuetOutputMode mode;           /* the operator's output mode (flatMapGroupsWithState) */
    DuetGroupStateTimeout timeout; /* GroupStateTimeout */
    gboolean watermark_present;    /* the input has a watermarked column */
    gint event_time_column;        /* the input's event-time column (-1 none) */
    gboolean event_time_is_window; /* ... and whether it is a window (its end is the time) */
} GroupStateOp;

struct _DuetKeyGroupedData {
    DuetDataFrame *frame; /* owned */
    GArray *columns;      /* key column indices (guint) */
};

struct _DuetGroupState {
    const GroupStateOp *op;
    DuetColumnBuilder *builder; /* of the state type: makes value */
    DuetColumn *value;          /* one row: the state value while defined */
    gboolean defined;           /* a value exists */
    gboolean updated;           /* update() was called (and no remove() after it) */
    gboolean removed;           /* remove() was called (and no update() after it) */
    gint64 timeout_ms;          /* the timeout set during this call, or NO_TIMESTAMP */
    gboolean timed_out;         /* this call is for a timeout */
    gint64 batch_ms;            /* the batch timestamp */
    gint64 watermark_ms;        /* the watermark for eviction */
};

static const char *
mode_name(DuetOutputMode mode)
{
    return mode == DUET_OUTPUT_MODE_APPEND   ? "Append"
           : mode == DUET_OUTPUT_MODE_UPDATE ? "Update"
                                             : "Complete";
}

static void
op_free(gpointer data)
{
    GroupStateOp *op = data;
    duet_data_type_unref(op->state_type);
    duet_data_type_unref(op->key_type);
    g_free(op);
}

/* ---- building the plan node ------------------------------------------------------------- */

DuetKeyGroupedData *
duet_group_state_group_by_key(DuetDataFrame *frame, const char *const *columns, guint n,
                              GError **error)
{
    g_return_val_if_fail(frame != NULL, NULL);
    if (n == 0) {
        duet_analysis_error(error, "groupByKey needs at least one key column");
        return NULL;
    }
    GArray *indices = g_array_sized_new(FALSE, FALSE, sizeof(guint), n);
    for (guint index = 0; index < n; index++) {
        gint found = duet_schema_find_ci(frame->schema, columns[index]);
        if (found < 0) {
            g_autofree char *names = duet_schema_to_string(frame->schema);
            duet_analysis_error(error, "cannot resolve `%s` given input columns: %s",
                                columns[index], names);
            g_array_unref(indices);
            return NULL;
        }
        guint column = (guint)found;
        g_array_append_val(indices, column);
    }
    DuetKeyGroupedData *grouped = g_new0(DuetKeyGroupedData, 1);
    grouped->frame = duet_dataframe_ref(frame);
    grouped->columns = indices;
    return grouped;
}

void
duet_key_grouped_data_free(DuetKeyGroupedData *grouped)
{
    if (grouped == NULL)
        return;
    duet_dataframe_unref(grouped->frame);
    g_array_unref(grouped->columns);
    g_free(grouped);
}

static DuetDataFrame *
node_new(DuetKeyGroupedData *grouped, gboolean is_map, DuetOutputMode mode,
         const DuetGroupStateSpec *spec, GError **error)
{
    g_return_val_if_fail(grouped != NULL && spec != NULL && spec->func != NULL, NULL);
    g_return_val_if_fail(spec->state_type != NULL && spec->output_schema != NULL, NULL);
    DuetTypeId state_id = duet_data_type_id(spec->state_type);
    if (state_id == DUET_TYPE_NULL) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT,
                    "the state type of %sGroupsWithState cannot be the null type",
                    is_map ? "map" : "flatMap");
        return NULL;
    }
    DuetDataFrame *child = grouped->frame;
    GroupStateOp *op = g_new0(GroupStateOp, 1);
    op->func = spec->func;
    op->user_data = spec->user_data;
    op->state_type = duet_data_type_ref(spec->state_type);
    op->is_map = is_map;
    op->mode = mode;
    op->timeout = spec->timeout;
    op->watermark_present = child->event_time_column >= 0;
    op->event_time_column = child->event_time_column;
    op->event_time_is_window = child->event_time_is_window;
    g_autoptr(DuetSchema) keys = duet_schema_project(
        child->schema, (const guint *)grouped->columns->data, grouped->columns->len);
    op->key_type = duet_data_type_new_struct(keys);
    DuetDataFrame *node =
        duet_dataframe_node_new(DUET_PLAN_GROUP_STATE, spec->output_schema, child);
    node->columns = g_array_copy(grouped->columns);
    node->op_data = op;
    node->op_data_free = op_free;
    /* the output carries no watermark: the function may emit any time (Spark's
     * produceOutputWatermark is None) */
    node->event_time_column = -1;
    node->event_time_is_window = FALSE;
    return node;
}

DuetDataFrame *
duet_group_state_map(DuetKeyGroupedData *grouped, const DuetGroupStateSpec *spec, GError **error)
{
    return node_new(grouped, TRUE, DUET_OUTPUT_MODE_UPDATE, spec, error);
}

DuetDataFrame *
duet_group_state_flat_map(DuetKeyGroupedData *grouped, DuetOutputMode mode,
                          const DuetGroupStateSpec *spec, GError **error)
{
    if (mode != DUET_OUTPUT_MODE_APPEND && mode != DUET_OUTPUT_MODE_UPDATE) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT,
                    "The output mode of function should be append or update");
        return NULL;
    }
    return node_new(grouped, FALSE, mode, spec, error);
}

/* ---- GroupState ---------------------------------------------------------------------------- */

gboolean
duet_group_state_exists(const DuetGroupState *state)
{
    return state->defined;
}

gboolean
duet_group_state_get(DuetGroupState *state, DuetValue *value, GError **error)
{
    if (!state->defined) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_NO_SUCH_ELEMENT,
                    "State is either not defined or has already been removed");
        return FALSE;
    }
    duet_column_get_value(state->value, 0, value);
    return TRUE;
}

/* Makes the value column from what was appended to the builder. */
static void
take_value(DuetGroupState *state)
{
    g_clear_pointer(&state->value, duet_column_unref);
    state->value = duet_column_builder_finish(state->builder);
    state->defined = TRUE;
    state->updated = TRUE;
    state->removed = FALSE;
}

static gboolean
wrong_type(DuetGroupState *state, GError **error)
{
    g_autofree char *type = duet_data_type_to_string(state->op->state_type);
    g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT,
                "the new state value does not fit the state type %s", type);
    return FALSE;
}

gboolean
duet_group_state_update(DuetGroupState *state, const DuetValue *value, GError **error)
{
    if (value == NULL || value->is_null || value->type == DUET_TYPE_NULL) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT,
                    "'null' is not a valid state value");
        return FALSE;
    }
    if (!duet_column_builder_append_value(state->builder, value))
        return wrong_type(state, error);
    take_value(state);
    return TRUE;
}

gboolean
duet_group_state_update_fields(DuetGroupState *state, const DuetValue *fields, guint n,
                               GError **error)
{
    if (duet_data_type_id(state->op->state_type) != DUET_TYPE_STRUCT ||
        duet_schema_n_fields(duet_data_type_fields(state->op->state_type)) != n)
        return wrong_type(state, error);
    /* a scratch builder, so that a field that does not fit leaves nothing behind */
    g_autoptr(DuetColumnBuilder) builder = duet_column_builder_new(state->op->state_type, 1);
    for (guint field = 0; field < n; field++)
        if (!duet_column_builder_append_value(duet_column_builder_child(builder, field),
                                              &fields[field]))
            return wrong_type(state, error);
    duet_column_builder_end_struct(builder);
    g_clear_pointer(&state->value, duet_column_unref);
    state->value = duet_column_builder_finish(builder);
    state->defined = TRUE;
    state->updated = TRUE;
    state->removed = FALSE;
    return TRUE;
}

void
duet_group_state_remove(DuetGroupState *state)
{
    g_clear_pointer(&state->value, duet_column_unref);
    state->defined = FALSE;
    state->updated = FALSE;
    state->removed = TRUE;
}

gboolean
duet_group_state_set_timeout_duration_ms(DuetGroupState *state, gint64 duration_ms, GError **error)
{
    if (state->op->timeout != DUET_GROUP_STATE_PROCESSING_TIME_TIMEOUT) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_UNSUPPORTED,
                    "Cannot set timeout duration without enabling processing time timeout in "
                    "[map|flatMap]GroupsWithState");
        return FALSE;
    }
    if (duration_ms <= 0) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT,
                    "Timeout duration must be positive");
        return FALSE;
    }
    state->timeout_ms = state->batch_ms + duration_ms;
    return TRUE;
}

gboolean
duet_group_state_set_timeout_duration(DuetGroupState *state, const char *duration, GError **error)
{
    g_return_val_if_fail(duration != NULL, FALSE);
    gint64 us = 0;
    GError *local = NULL;
    if (!duet_parse_interval_us(duration, &us, &local)) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT, "%s",
                    local->message);
        g_error_free(local);
        return FALSE;
    }
    if (us < 0) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT,
                    "Provided duration (%s) is negative", duration);
        return FALSE;
    }
    return duet_group_state_set_timeout_duration_ms(state, us / 1000, error);
}

gboolean
duet_group_state_set_timeout_timestamp_ms(DuetGroupState *state, gint64 timestamp_ms,
                                          GError **error)
{
    if (state->op->timeout != DUET_GROUP_STATE_EVENT_TIME_TIMEOUT) {
        /* sic: Spark's message lacks the closing bracket */
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_UNSUPPORTED,
                    "Cannot set timeout timestamp without enabling event time timeout in "
                    "[map|flatMapGroupsWithState");
        return FALSE;
    }
    if (timestamp_ms <= 0) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT,
                    "Timeout timestamp must be positive");
        return FALSE;
    }
    if (state->watermark_ms != NO_TIMESTAMP && timestamp_ms < state->watermark_ms) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT,
                    "Timeout timestamp (%" G_GINT64_FORMAT ") cannot be earlier than the "
                    "current watermark (%" G_GINT64_FORMAT ")",
                    timestamp_ms, state->watermark_ms);
        return FALSE;
    }
    state->timeout_ms = timestamp_ms;
    return TRUE;
}

gboolean
duet_group_state_has_timed_out(const DuetGroupState *state)
{
    return state->timed_out;
}

gint64
duet_group_state_current_processing_time_ms(const DuetGroupState *state)
{
    return state->batch_ms;
}

gboolean
duet_group_state_current_watermark_ms(const DuetGroupState *state, gint64 *watermark_ms,
                                      GError **error)
{
    if (!state->op->watermark_present) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_UNSUPPORTED,
                    "Cannot get event time watermark timestamp without setting watermark before "
                    "[map|flatMap]GroupsWithState");
        return FALSE;
    }
    *watermark_ms = state->watermark_ms;
    return TRUE;
}

/* ---- the map side: (key, value) pairs -------------------------------------------------------- */

typedef DuetStatefulRun GroupRun;

static void
run_pairs(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    GroupRun *run = user_data;
    DuetDataFrame *frame = run->frame;
    const GroupStateOp *op = frame->op_data;
    gboolean timed = op->timeout == DUET_GROUP_STATE_EVENT_TIME_TIMEOUT && op->watermark_present;
    GByteArray *key = g_byte_array_new(), *value = g_byte_array_new();
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
            gint64 time =
                timed ? duet_event_time_of(duet_batch_column(batch, (guint)op->event_time_column),
                                           row, op->event_time_is_window)
                      : G_MININT64;
            duet_stateful_append_row_pair(out, key, value, batch, row, frame->columns, time);
        }
    }
    g_byte_array_unref(key);
    g_byte_array_unref(value);
}

/* ---- the state side ---------------------------------------------------------------------- */

/* One key of the partition: its bytes and, for a key with new data, its rows. */
typedef struct {
    const guint8 *key; /* borrowed from the shuffled batch or the state entry */
    gsize key_len;
    guint64 hash;
    GArray *values;  /* const guint8 * of each row's value cells (past the time); NULL: timeout */
    GArray *lengths; /* gsize, their lengths */
} Group;

static guint
group_hash(gconstpointer data)
{
    return (guint)((const Group *)data)->hash;
}

static gboolean
group_equal(gconstpointer a, gconstpointer b)
{
    const Group *x = a, *y = b;
    return x->hash == y->hash && x->key_len == y->key_len &&
           (x->key_len == 0 || memcmp(x->key, y->key, x->key_len) == 0);
}

static void
group_free(Group *group)
{
    if (group->values)
        g_array_unref(group->values);
    if (group->lengths)
        g_array_unref(group->lengths);
    g_free(group);
}

/* The keys of groups as a struct column (one row each, in groups' order), and the order that
 * sorts them ascending. NULL when a key does not decode. (transfer full) */
static DuetColumn *
decode_keys(const GroupStateOp *op, GPtrArray *groups, guint32 **order)
{
    g_autoptr(DuetColumnBuilder) builder = duet_column_builder_new(op->key_type, groups->len);
    guint n_fields = duet_schema_n_fields(duet_data_type_fields(op->key_type));
    for (guint index = 0; index < groups->len; index++) {
        const Group *group = groups->pdata[index];
        DuetByteReader reader = {group->key, group->key + group->key_len, FALSE};
        for (guint field = 0; field < n_fields; field++)
            if (!duet_row_codec_read_cell(&reader, duet_column_builder_child(builder, field)))
                return NULL;
        duet_column_builder_end_struct(builder);
    }
    DuetColumn *keys = duet_column_builder_finish(builder);
    *order = g_new(guint32, MAX(groups->len, 1));
    for (guint index = 0; index < groups->len; index++)
        (*order)[index] = index;
    return keys;
}

static int
compare_keys(gconstpointer a, gconstpointer b, gpointer data)
{
    const DuetColumn *keys = data;
    guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
    int order = duet_column_compare_rows(keys, x, keys, y);
    return order ? order : (x < y ? -1 : x > y);
}

/* What every call of the partition shares. */
typedef struct {
    GroupRun *run;
    guint partition;
    DuetStateStore *store;
    DuetBatchBuilder *out;
    DuetGroupState state;
    DuetStateMetrics metrics;
} CallContext;

/* Runs the function on one key and writes its state back (Spark's
 * callFunctionAndUpdateState and onIteratorCompletion). */
static gboolean
call_group(CallContext *ctx, const Group *group, const DuetValue *key, GPtrArray *rows,
           GError **error)
{
    const GroupStateOp *op = ctx->run->frame->op_data;
    DuetGroupState *state = &ctx->state;
    guint partition = ctx->partition;
    DuetStateEntry *entry =
        duet_state_store_get(ctx->store, partition, group->key, group->key_len, group->hash);
    g_clear_pointer(&state->value, duet_column_unref);
    state->defined = state->updated = state->removed = FALSE;
    state->timed_out = group->values == NULL;
    state->timeout_ms = NO_TIMESTAMP;
    gint64 stored_timeout = NO_TIMESTAMP;
    if (entry != NULL) {
        DuetByteReader reader = {entry->value->data, entry->value->data + entry->value->len, FALSE};
        if (reader.at < reader.end && *reader.at++ == 1) {
            if (!duet_row_codec_read_cell(&reader, state->builder)) {
                g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_FAILED,
                            "the state of a key in partition %u does not decode; restart the "
                            "query from its checkpoint",
                            partition);
                return FALSE;
            }
            state->value = duet_column_builder_finish(state->builder);
            state->defined = TRUE;
        }
        stored_timeout = entry->event_time == G_MAXINT64 ? NO_TIMESTAMP : entry->event_time;
    }
    gsize before = duet_batch_builder_n_rows(ctx->out);
    GError *local = NULL;
    if (!op->func(key, rows, state, ctx->out, op->user_data, &local)) {
        if (local == NULL)
            g_set_error(&local, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_FAILED,
                        "the %sGroupsWithState function failed without saying why",
                        op->is_map ? "map" : "flatMap");
        g_propagate_error(error, local);
        return FALSE;
    }
    gsize after = duet_batch_builder_n_rows(ctx->out);
    guint n_columns = duet_schema_n_fields(duet_batch_builder_schema(ctx->out));
    for (guint column = 0; column < n_columns; column++)
        if (duet_column_builder_length(duet_batch_builder_column(ctx->out, column)) != after) {
            g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_FAILED,
                        "the %sGroupsWithState function appended a partial row (column %u has "
                        "another length than column 0)",
                        op->is_map ? "map" : "flatMap", column);
            return FALSE;
        }
    if (op->is_map && after != before + 1) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_FAILED,
                    "the mapGroupsWithState function must append exactly one row per call, not "
                    "%" G_GSIZE_FORMAT,
                    after - before);
        return FALSE;
    }
    if (state->removed && state->timeout_ms == NO_TIMESTAMP) {
        if (entry != NULL)
            duet_state_store_remove(ctx->store, partition, entry);
        ctx->metrics.rows_removed++;
        return TRUE;
    }
    if (!state->updated && !state->removed && state->timeout_ms == stored_timeout)
        return TRUE;
    entry = duet_state_store_put(ctx->store, partition, group->key, group->key_len, group->hash);
    g_byte_array_set_size(entry->value, 0);
    guint8 defined = state->defined ? 1 : 0;
    g_byte_array_append(entry->value, &defined, 1);
    if (state->defined)
        duet_row_codec_append_cell(entry->value, state->value, 0);
    entry->event_time = state->timeout_ms == NO_TIMESTAMP ? G_MAXINT64 : state->timeout_ms;
    duet_state_store_note_time(ctx->store, partition, entry->event_time);
    ctx->metrics.rows_updated++;
    return TRUE;
}

/* Calls the function for each group in key order; rows (when the groups have data) is the
 * decoded batch of their rows, group after group in key order. */
static gboolean
call_groups(CallContext *ctx, GPtrArray *groups, gboolean with_data, GError **error)
{
    const GroupStateOp *op = ctx->run->frame->op_data;
    DuetDataFrame *child = ctx->run->frame->child;
    guint32 *order = NULL;
    g_autoptr(DuetColumn) keys = decode_keys(op, groups, &order);
    if (keys == NULL) {
        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_FAILED,
                    "a key of partition %u does not decode", ctx->partition);
        return FALSE;
    }
    g_qsort_with_data(order, (gint)groups->len, sizeof(guint32), compare_keys, keys);
    g_autoptr(DuetBatch) all = NULL;
    if (with_data) {
        g_autoptr(DuetBatchBuilder) builder = duet_batch_builder_new(child->schema, 0);
        guint n_columns = duet_schema_n_fields(child->schema);
        for (guint index = 0; index < groups->len; index++) {
            const Group *group = groups->pdata[order[index]];
            for (guint row = 0; row < group->values->len; row++) {
                const guint8 *at = g_array_index(group->values, const guint8 *, row);
                DuetByteReader reader = {at, at + g_array_index(group->lengths, gsize, row), FALSE};
                for (guint column = 0; column < n_columns; column++)
                    if (!duet_row_codec_read_cell(&reader,
                                                  duet_batch_builder_column(builder, column))) {
                        g_free(order);
                        g_set_error(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_FAILED,
                                    "a row of partition %u does not decode", ctx->partition);
                        return FALSE;
                    }
            }
        }
        all = duet_batch_builder_finish(builder, error);
        if (all == NULL) {
            g_free(order);
            return FALSE;
        }
    }
    gboolean ok = TRUE;
    gsize start = 0;
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    DuetColumn *single = duet_column_n_children(keys) == 1 ? duet_column_child(keys, 0) : NULL;
    for (guint index = 0; index < groups->len && ok; index++) {
        const Group *group = groups->pdata[order[index]];
        g_ptr_array_set_size(rows, 0);
        if (with_data) {
            g_ptr_array_add(rows, duet_batch_slice(all, start, group->values->len));
            start += group->values->len;
        }
        DuetValue key;
        duet_column_get_value(single ? single : keys, order[index], &key);
        ok = call_group(ctx, group, &key, rows, error);
    }
    g_free(order);
    return ok;
}

static void
run_groups(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    GroupRun *run = user_data;
    DuetExecution *execution = run->execution;
    const GroupStateOp *op = run->frame->op_data;
    CallContext ctx = {.run = run, .partition = partition, .out = out};
    ctx.store = execution->stores->pdata[run->id];
    ctx.state.op = op;
    ctx.state.builder = duet_column_builder_new(op->state_type, 1);
    ctx.state.batch_ms = execution->batch_timestamp_ms;
    gboolean event_time = op->timeout == DUET_GROUP_STATE_EVENT_TIME_TIMEOUT &&
                          op->watermark_present && execution->has_watermark;
    ctx.state.watermark_ms = op->watermark_present ? execution->watermark_ms : NO_TIMESTAMP;
    gint64 late_us = execution->late_watermark_ms * 1000;
    GHashTable *index = g_hash_table_new(group_hash, group_equal);
    GPtrArray *groups = g_ptr_array_new_with_free_func((GDestroyNotify)group_free);
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        DuetColumn *keys = duet_batch_column(batch, 0), *values = duet_batch_column(batch, 1);
        gsize n_rows = duet_batch_n_rows(batch);
        for (gsize row = 0; row < n_rows; row++) {
            gsize key_len = 0, value_len = 0;
            const guint8 *key = (const guint8 *)duet_column_get_string(keys, row, &key_len);
            const guint8 *value = (const guint8 *)duet_column_get_string(values, row, &value_len);
            gint64 time = duet_row_codec_get_i64(value);
            /* Spark drops late rows only under an event-time timeout */
            if (event_time && time <= late_us) {
                ctx.metrics.rows_dropped_by_watermark++;
                continue;
            }
            Group probe = {key, key_len, duet_state_key_hash(key, key_len), NULL, NULL};
            Group *group = g_hash_table_lookup(index, &probe);
            if (group == NULL) {
                group = g_new(Group, 1);
                *group = probe;
                group->values = g_array_new(FALSE, FALSE, sizeof(const guint8 *));
                group->lengths = g_array_new(FALSE, FALSE, sizeof(gsize));
                g_hash_table_add(index, group);
                g_ptr_array_add(groups, group);
            }
            const guint8 *cells = value + 8;
            gsize cells_len = value_len - 8;
            g_array_append_val(group->values, cells);
            g_array_append_val(group->lengths, cells_len);
        }
    }
    g_hash_table_unref(index);
    GError *error = NULL;
    gboolean ok = call_groups(&ctx, groups, TRUE, &error);
    g_ptr_array_unref(groups);
    gboolean timing_out = op->timeout == DUET_GROUP_STATE_PROCESSING_TIME_TIMEOUT || event_time;
    if (ok && timing_out) {
        /* timed out: timeout < threshold, i.e. at or below threshold - 1 */
        gint64 threshold = op->timeout == DUET_GROUP_STATE_PROCESSING_TIME_TIMEOUT
                               ? execution->batch_timestamp_ms
                               : execution->watermark_ms;
        g_autoptr(GPtrArray) expired =
            duet_state_store_expired(ctx.store, partition, threshold - 1);
        GPtrArray *timed_out = g_ptr_array_new_with_free_func((GDestroyNotify)group_free);
        for (guint at = 0; at < expired->len; at++) {
            const DuetStateEntry *entry = expired->pdata[at];
            Group *group = g_new0(Group, 1);
            group->key = entry->key;
            group->key_len = entry->key_len;
            group->hash = entry->hash;
            g_ptr_array_add(timed_out, group);
        }
        ok = call_groups(&ctx, timed_out, FALSE, &error);
        g_ptr_array_unref(timed_out);
    }
    g_clear_pointer(&ctx.state.value, duet_column_unref);
    duet_column_builder_free(ctx.state.builder);
    ctx.metrics.rows_total = duet_state_store_size(ctx.store, partition);
    ctx.metrics.rows_output = (gint64)duet_batch_builder_n_rows(out);
    duet_state_store_seal_partition(ctx.store, partition);
    if (!ok) {
        duet_task_fail("%s", error->message);
        g_error_free(error);
        return;
    }
    g_mutex_lock(&execution->lock);
    DuetStateMetrics *total = &g_array_index(execution->metrics, DuetStateMetrics, run->id);
    total->rows_total += ctx.metrics.rows_total;
    total->rows_updated += ctx.metrics.rows_updated;
    total->rows_removed += ctx.metrics.rows_removed;
    total->rows_dropped_by_watermark += ctx.metrics.rows_dropped_by_watermark;
    total->rows_output += ctx.metrics.rows_output;
    g_mutex_unlock(&execution->lock);
}

DuetRdd *
duet_group_state_rdd(DuetDataFrame *frame, DuetRdd *child, DuetExecution *execution, GError **error)
{
    if (duet_execution_node_id(execution, frame) == G_MAXUINT) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                    "duet: (flat)MapGroupsWithState inside the static side of a streaming query "
                    "is not supported yet");
        return NULL;
    }
    g_autoptr(DuetSchema) pair_schema = duet_schema_parse("key BINARY, value BINARY", NULL);
    GroupRun *pairs_run = duet_stateful_run_new(frame, execution);
    g_autoptr(DuetRdd) pairs = duet_stateful_attach(
        duet_rdd_map_partitions(child, pair_schema, run_pairs, pairs_run, FALSE), frame, pairs_run);
    g_autoptr(DuetRdd) shuffled =
        duet_rdd_partition_by(pairs, execution->shuffle_partitions, error);
    if (shuffled == NULL)
        return NULL;
    GroupRun *state_run = duet_stateful_run_new(frame, execution);
    return duet_stateful_attach(
        duet_rdd_map_partitions(shuffled, frame->schema, run_groups, state_run, TRUE), frame,
        state_run);
}

/* ---- what the rest of the engine asks ---------------------------------------------------- */

void
duet_group_state_no_data_batches(DuetDataFrame *node, gboolean *on_watermark,
                                 gboolean *every_trigger)
{
    if (node->kind != DUET_PLAN_GROUP_STATE)
        return;
    const GroupStateOp *op = node->op_data;
    /* Spark's FlatMapGroupsWithStateExec.shouldRunAnotherBatch */
    if (op->timeout == DUET_GROUP_STATE_EVENT_TIME_TIMEOUT)
        *on_watermark = TRUE;
    else if (op->timeout == DUET_GROUP_STATE_PROCESSING_TIME_TIMEOUT)
        *every_trigger = TRUE;
}

void
duet_group_state_explain(GString *out, DuetDataFrame *frame)
{
    const GroupStateOp *op = frame->op_data;
    static const char *const timeouts[] = {"NoTimeout", "ProcessingTimeTimeout",
                                           "EventTimeTimeout"};
    g_string_append_printf(out, "FlatMapGroupsWithState <function>, [");
    for (guint index = 0; index < frame->columns->len; index++)
        g_string_append_printf(
            out, "%s%s", index ? ", " : "",
            duet_schema_field(frame->child->schema, g_array_index(frame->columns, guint, index))
                ->name);
    g_string_append_printf(out, "], %s, %s%s\n", op->is_map ? "Update" : mode_name(op->mode),
                           timeouts[op->timeout], op->is_map ? ", isMapGroupsWithState" : "");
}

/* ---- the output-mode checker (Spark's UnsupportedOperationChecker) --------------------------- */

/* The streaming (flat)MapGroupsWithState nodes (bottom-up) and aggregations of a plan. */
static void
collect_nodes(DuetDataFrame *frame, GPtrArray *nodes, guint *aggregates)
{
    if (frame == NULL || !frame->is_streaming)
        return;
    collect_nodes(frame->child, nodes, aggregates);
    collect_nodes(frame->right, nodes, aggregates);
    if (frame->kind == DUET_PLAN_GROUP_STATE)
        g_ptr_array_add(nodes, frame);
    else if (frame->kind == DUET_PLAN_AGGREGATE)
        (*aggregates)++;
}

gboolean
duet_group_state_check_counts(DuetDataFrame *plan, DuetOutputMode mode, GError **error)
{
    g_autoptr(GPtrArray) nodes = g_ptr_array_new();
    guint aggregates = 0, maps = 0, flat_maps = 0;
    gboolean all_append = TRUE;
    collect_nodes(plan, nodes, &aggregates);
    for (guint index = 0; index < nodes->len; index++) {
        DuetDataFrame *node = nodes->pdata[index];
        const GroupStateOp *op = node->op_data;
        if (op->is_map) {
            maps++;
        } else {
            flat_maps++;
            all_append &= op->mode == DUET_OUTPUT_MODE_APPEND;
        }
    }
    if (maps >= 2)
        return duet_analysis_error(error, "Multiple mapGroupsWithStates are not supported on a "
                                          "streaming DataFrames/Datasets");
    if (maps > 0 && flat_maps > 0)
        return duet_analysis_error(error, "Mixing mapGroupsWithStates and flatMapGroupsWithStates "
                                          "are not supported on a streaming DataFrames/Datasets");
    if (flat_maps >= 2 && (mode != DUET_OUTPUT_MODE_APPEND || !all_append))
        return duet_analysis_error(error,
                                   "Multiple flatMapGroupsWithStates are not supported when they "
                                   "are not all in append mode or the output mode is not append "
                                   "on a streaming DataFrames/Datasets");
    return TRUE;
}

gboolean
duet_group_state_check_nodes(DuetDataFrame *plan, DuetOutputMode mode, GError **error)
{
    g_autoptr(GPtrArray) nodes = g_ptr_array_new();
    guint aggregates = 0;
    collect_nodes(plan, nodes, &aggregates);
    for (guint index = 0; index < nodes->len; index++) {
        DuetDataFrame *node = nodes->pdata[index];
        const GroupStateOp *op = node->op_data;
        if (op->is_map) {
            if (aggregates > 0)
                return duet_analysis_error(error, "mapGroupsWithState is not supported with "
                                                  "aggregation on a streaming DataFrame/Dataset");
            if (mode != DUET_OUTPUT_MODE_UPDATE)
                return duet_analysis_error(error,
                                           "mapGroupsWithState is not supported with %s output "
                                           "mode on a streaming DataFrame/Dataset",
                                           mode_name(mode));
        } else if (aggregates == 0) {
            /* without aggregation the operator's mode must be the query's */
            if (op->mode != mode)
                return duet_analysis_error(
                    error,
                    "flatMapGroupsWithState in %s mode is not supported "
                    "with %s output mode on a streaming DataFrame/Dataset",
                    op->mode == DUET_OUTPUT_MODE_APPEND ? "append" : "update", mode_name(mode));
        } else {
            guint below = 0;
            g_autoptr(GPtrArray) ignored = g_ptr_array_new();
            collect_nodes(node->child, ignored, &below);
            if (op->mode == DUET_OUTPUT_MODE_UPDATE)
                return duet_analysis_error(error, "flatMapGroupsWithState in update mode is not "
                                                  "supported with aggregation on a streaming "
                                                  "DataFrame/Dataset");
            if (below > 0)
                return duet_analysis_error(error, "flatMapGroupsWithState in append mode is not "
                                                  "supported after aggregation on a streaming "
                                                  "DataFrame/Dataset");
        }
        if (op->timeout == DUET_GROUP_STATE_EVENT_TIME_TIMEOUT && !op->watermark_present)
            return duet_analysis_error(
                error, "Watermark must be specified in the query using "
                       "'[Dataset/DataFrame].withWatermark()' for using event-time timeout in a "
                       "[map|flatMap]GroupsWithState. Event-time timeout not supported without "
                       "watermark.");
    }
    return TRUE;
}

DuetDataType *
duet_group_state_state_type(DuetDataFrame *frame)
{
    const GroupStateOp *op = frame->op_data;
    return op->state_type;
}
