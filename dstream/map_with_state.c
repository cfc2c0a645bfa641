/* map_with_state.c — mapWithState and stateSnapshots.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. Spark's InternalMapWithStateDStream computes,
 * per batch, one RDD holding both the mapped values and the new state map; the mapped stream
 * and stateSnapshots() read it. Here that RDD has rows of two kinds in one schema:
 *   kind 0 — a mapped value (column "mapped");
 *   kind 1 — a key's state and the batch time it was last updated (columns key, state,
 *            updated).
 * Batch t cogroups the batch's (key, value) records with batch t - 1's state rows (or the
 * initial state) and calls the mapping function per record; on "full scan" batches (those
 * whose state RDD is checkpointed, every checkpoint interval: Spark's
 * MapWithStateRDD.doFullScan) keys idle since before t - timeout time out.
 */
#include "dstream/internal.h"

#define KIND_MAPPED 0
#define KIND_STATE  1

/* Column positions of the internal RDD. */
enum { COLUMN_KIND, COLUMN_KEY, COLUMN_STATE, COLUMN_UPDATED, COLUMN_MAPPED };

struct _DuetState {
    gboolean exists;     /* the key has a state */
    DuetValue value;     /* its value when it exists */
    gboolean updated;    /* update() was called in this batch */
    gboolean removed;    /* remove() was called */
    gboolean timing_out; /* the call is the key's timeout call */
};

gboolean
duet_state_exists(const DuetState *state)
{
    return state->exists;
}

gboolean
duet_state_get(const DuetState *state, DuetValue *value)
{
    if (!state->exists)
        return FALSE;
    *value = state->value;
    return TRUE;
}

void
duet_state_update(DuetState *state, const DuetValue *value)
{
    if (state->timing_out) {
        duet_task_fail("Cannot update the state that is timing out");
        return;
    }
    state->value = *value;
    state->exists = TRUE;
    state->updated = TRUE;
    state->removed = FALSE;
}

void
duet_state_remove(DuetState *state)
{
    if (state->timing_out) {
        duet_task_fail("Cannot remove the state that is timing out");
        return;
    }
    if (state->removed) {
        duet_task_fail("Cannot remove the state that has already been removed");
        return;
    }
    state->exists = FALSE;
    state->removed = TRUE;
}

gboolean
duet_state_is_timing_out(const DuetState *state)
{
    return state->timing_out;
}

typedef struct {
    DuetStateSpec spec;       /* types and the initial RDD are owned references */
    DuetSchema *state_schema; /* (key, struct<state, updated>) of the previous state */
} MapWithState;

static void
map_with_state_free(gpointer data)
{
    MapWithState *mws = data;
    duet_data_type_unref(mws->spec.state_type);
    duet_data_type_unref(mws->spec.mapped_type);
    if (mws->spec.initial_state)
        duet_rdd_unref(mws->spec.initial_state);
    duet_schema_unref(mws->state_schema);
    g_free(mws);
}

/* One batch's work, attached to the RDD that runs it. */
typedef struct {
    const MapWithState *mws;
    gint64 time_ms;
    gboolean full_scan;
} Batch;

/* Appends the mapped value the function just appended as a kind-0 row, if it did. */
static void
finish_mapped_row(DuetBatchBuilder *out, gsize before)
{
    DuetColumnBuilder *mapped = duet_batch_builder_column(out, COLUMN_MAPPED);
    gsize produced = duet_column_builder_length(mapped) - before;
    if (produced > 1) {
        duet_task_fail("the mapWithState function appended %" G_GSIZE_FORMAT
                       " mapped values for one record; it may append at most one",
                       produced);
        return;
    }
    if (produced == 1) {
        duet_batch_builder_append_int32(out, COLUMN_KIND, KIND_MAPPED);
        duet_batch_builder_append_null(out, COLUMN_KEY);
        duet_batch_builder_append_null(out, COLUMN_STATE);
        duet_batch_builder_append_null(out, COLUMN_UPDATED);
    }
}

static void
process_partition(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    const Batch *batch_info = user_data;
    const DuetStateSpec *spec = &batch_info->mws->spec;
    DuetColumnBuilder *mapped = duet_batch_builder_column(out, COLUMN_MAPPED);
    for (guint batch_idx = 0; batch_idx < batches->len && !duet_task_failed(); batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetRow row = duet_batch_row(batch, row_idx);
            DuetValue key, groups, values, previous;
            duet_row_get_value(&row, 0, &key);
            duet_row_get_value(&row, 1, &groups);
            duet_value_struct_get(&groups, 0, &values);
            duet_value_struct_get(&groups, 1, &previous);
            DuetState state = {0};
            gint64 updated = 0;
            if (duet_value_list_length(&previous) > 0) {
                DuetValue record, time;
                duet_value_list_get(&previous, 0, &record);
                duet_value_struct_get(&record, 0, &state.value);
                duet_value_struct_get(&record, 1, &time);
                state.exists = TRUE;
                updated = time.v.i64;
            }
            gsize n_values = duet_value_list_length(&values);
            for (gsize value_idx = 0; value_idx < n_values; value_idx++) {
                DuetValue value;
                duet_value_list_get(&values, value_idx, &value);
                gsize before = duet_column_builder_length(mapped);
                state.updated = FALSE;
                spec->function(batch_info->time_ms, &key, &value, &state, mapped, spec->user_data);
                finish_mapped_row(out, before);
                if (state.updated || (state.exists && spec->timeout_ms > 0))
                    updated = batch_info->time_ms;
                state.removed = FALSE;
            }
            /* Timeouts: only keys without data in this batch, only on full-scan batches. */
            if (n_values == 0 && state.exists && spec->timeout_ms > 0 && batch_info->full_scan &&
                updated < batch_info->time_ms - spec->timeout_ms) {
                DuetValue none = duet_value_null();
                gsize before = duet_column_builder_length(mapped);
                state.timing_out = TRUE;
                spec->function(batch_info->time_ms, &key, &none, &state, mapped, spec->user_data);
                finish_mapped_row(out, before);
                state.exists = FALSE;
            }
            if (!state.exists)
                continue;
            duet_batch_builder_append_int32(out, COLUMN_KIND, KIND_STATE);
            duet_column_builder_append_from(duet_batch_builder_column(out, COLUMN_KEY),
                                            duet_batch_column(batch, 0), row_idx);
            if (!duet_column_builder_append_value(duet_batch_builder_column(out, COLUMN_STATE),
                                                  &state.value)) {
                duet_task_fail("a mapWithState state value is not of the declared state type");
                return;
            }
            duet_batch_builder_append_int64(out, COLUMN_UPDATED, updated);
            duet_batch_builder_append_null(out, COLUMN_MAPPED);
        }
    }
}

/* (key, struct<state, updated>) rows from the internal RDD's kind-1 rows. */
static void
state_rows(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    if (duet_row_get_int32(row, COLUMN_KIND) != KIND_STATE)
        return;
    duet_column_builder_append_from(duet_batch_builder_column(out, 0),
                                    duet_batch_column(row->batch, COLUMN_KEY), row->index);
    DuetColumnBuilder *record = duet_batch_builder_column(out, 1);
    duet_column_builder_append_from(duet_column_builder_child(record, 0),
                                    duet_batch_column(row->batch, COLUMN_STATE), row->index);
    duet_column_builder_append_from(duet_column_builder_child(record, 1),
                                    duet_batch_column(row->batch, COLUMN_UPDATED), row->index);
    duet_column_builder_end_struct(record);
}

/* The initial (key, state) pairs, updated "now" (Spark: createFromPairRDD at the first batch). */
static void
initial_rows(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    const gint64 *time_ms = user_data;
    duet_column_builder_append_from(duet_batch_builder_column(out, 0),
                                    duet_batch_column(row->batch, 0), row->index);
    DuetColumnBuilder *record = duet_batch_builder_column(out, 1);
    duet_column_builder_append_from(duet_column_builder_child(record, 0),
                                    duet_batch_column(row->batch, 1), row->index);
    duet_column_builder_append_int64(duet_column_builder_child(record, 1), *time_ms);
    duet_column_builder_end_struct(record);
}

static DuetRdd *
internal_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    MapWithState *mws = stream->op_data;
    GError *local = NULL;
    DuetRdd *previous_internal =
        duet_dstream_get_or_compute(stream, time_ms - stream->slide_ms, &local);
    DuetRdd *data =
        local == NULL ? duet_dstream_get_or_compute(duet_dstream_parent(stream, 0), time_ms, &local)
                      : NULL;
    if (local != NULL) {
        g_propagate_error(error, local);
        if (previous_internal)
            duet_rdd_unref(previous_internal);
        return NULL;
    }
    if (data == NULL)
        data = duet_dstream_empty_rdd(duet_dstream_parent(stream, 0));
    DuetRdd *previous;
    if (previous_internal != NULL) {
        previous = duet_rdd_flat_map(previous_internal, mws->state_schema, state_rows, NULL);
        duet_rdd_unref(previous_internal);
    } else if (mws->spec.initial_state != NULL) {
        gint64 *now = g_new(gint64, 1);
        *now = time_ms;
        previous = duet_rdd_map(mws->spec.initial_state, mws->state_schema, initial_rows, now);
        duet_rdd_attach_data(previous, now, g_free);
    } else {
        g_autoptr(DuetBatch) empty = duet_batch_new_empty(mws->state_schema);
        previous =
            duet_rdd_parallelize(duet_streaming_context_spark_context(stream->context), empty, 1);
    }
    DuetContext *spark = duet_streaming_context_spark_context(stream->context);
    guint partitions = mws->spec.num_partitions ? mws->spec.num_partitions
                                                : duet_context_default_partitions(spark);
    DuetRdd *sides[] = {data, previous};
    DuetRdd *result = NULL;
    g_autoptr(DuetRdd) grouped = duet_rdd_cogroup(sides, 2, partitions, error);
    if (grouped != NULL) {
        gint64 interval = stream->checkpoint_interval_ms > 0 ? stream->checkpoint_interval_ms
                                                             : 10 * stream->slide_ms;
        gint64 since_zero = time_ms - duet_streaming_context_zero_time(stream->context);
        Batch *batch = g_new0(Batch, 1);
        batch->mws = mws;
        batch->time_ms = time_ms;
        batch->full_scan = since_zero % interval == 0;
        result = duet_rdd_map_partitions(grouped, stream->schema, process_partition, batch, TRUE);
        duet_rdd_attach_data(result, batch, g_free);
        if (batch->full_scan && !duet_rdd_checkpoint(result, error))
            g_clear_pointer(&result, duet_rdd_unref);
    }
    duet_rdd_unref(data);
    duet_rdd_unref(previous);
    return result;
}

static const DuetDStreamOps internal_ops = {.name = "InternalMapWithStateDStream",
                                            .compute = internal_compute};

/* The mapped stream and the snapshot stream project the internal RDD. */
typedef struct {
    gint kind;        /* which rows */
    guint columns[2]; /* which columns */
    guint n_columns;
} Projection;

static gboolean
is_kind(const DuetRow *row, gpointer user_data)
{
    const Projection *projection = user_data;
    return duet_row_get_int32(row, COLUMN_KIND) == projection->kind;
}

static void
project_row(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    const Projection *projection = user_data;
    for (guint column = 0; column < projection->n_columns; column++)
        duet_column_builder_append_from(duet_batch_builder_column(out, column),
                                        duet_batch_column(row->batch, projection->columns[column]),
                                        row->index);
}

static DuetRdd *
projection_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    Projection *projection = stream->op_data;
    DuetRdd *internal = duet_dstream_get_or_compute(duet_dstream_parent(stream, 0), time_ms, error);
    if (internal == NULL)
        return NULL;
    g_autoptr(DuetRdd) rows = duet_rdd_filter(internal, is_kind, projection);
    duet_rdd_unref(internal);
    return duet_rdd_map(rows, stream->schema, project_row, projection);
}

static const DuetDStreamOps mapped_ops = {.name = "MapWithStateDStream",
                                          .compute = projection_compute};

static DuetDStream *
new_projection(DuetDStream *internal, DuetSchema *schema, gint kind, guint first, guint second,
               guint n_columns)
{
    DuetDStream *stream =
        duet_dstream_new_internal(internal->context, &mapped_ops, schema, internal->slide_ms);
    duet_dstream_add_parent(stream, internal);
    Projection *projection = g_new0(Projection, 1);
    projection->kind = kind;
    projection->columns[0] = first;
    projection->columns[1] = second;
    projection->n_columns = n_columns;
    stream->op_data = projection;
    stream->op_data_free = g_free;
    return stream;
}

DuetDStream *
duet_dstream_map_with_state(DuetDStream *stream, const DuetStateSpec *spec, GError **error)
{
    g_return_val_if_fail(stream != NULL && spec != NULL && spec->function != NULL &&
                             spec->state_type != NULL && spec->mapped_type != NULL,
                         NULL);
    if (duet_schema_n_fields(stream->schema) != 2) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "mapWithState needs a DStream of (key, value) pairs");
        return NULL;
    }
    DuetDataType *key_type = duet_schema_field(stream->schema, 0)->type;
    g_autoptr(DuetSchema) internal_schema = duet_schema_new();
    g_autoptr(DuetDataType) int_type = duet_data_type_new_scalar(DUET_TYPE_INT32);
    g_autoptr(DuetDataType) long_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    duet_schema_add_field(internal_schema, "kind", int_type, FALSE);
    duet_schema_add_field(internal_schema, "key", key_type, TRUE);
    duet_schema_add_field(internal_schema, "state", spec->state_type, TRUE);
    duet_schema_add_field(internal_schema, "updated", long_type, TRUE);
    duet_schema_add_field(internal_schema, "mapped", spec->mapped_type, TRUE);

    DuetDStream *internal = duet_dstream_new_internal(stream->context, &internal_ops,
                                                      internal_schema, stream->slide_ms);
    duet_dstream_add_parent(internal, stream);
    MapWithState *mws = g_new0(MapWithState, 1);
    mws->spec = *spec;
    duet_data_type_ref(spec->state_type);
    duet_data_type_ref(spec->mapped_type);
    if (spec->initial_state)
        duet_rdd_ref(spec->initial_state);
    g_autoptr(DuetSchema) record = duet_schema_new();
    duet_schema_add_field(record, "state", spec->state_type, TRUE);
    duet_schema_add_field(record, "updated", long_type, FALSE);
    g_autoptr(DuetDataType) record_type = duet_data_type_new_struct(record);
    mws->state_schema = duet_schema_new();
    duet_schema_add_field(mws->state_schema, "key", key_type, TRUE);
    duet_schema_add_field(mws->state_schema, "record", record_type, FALSE);
    internal->op_data = mws;
    internal->op_data_free = map_with_state_free;
    internal->must_checkpoint = TRUE;
    internal->persist = TRUE;
    internal->parent_remember_extra_ms = internal->slide_ms;

    g_autoptr(DuetSchema) mapped_schema = duet_schema_new();
    duet_schema_add_field(mapped_schema, "value", spec->mapped_type, TRUE);
    DuetDStream *mapped = new_projection(internal, mapped_schema, KIND_MAPPED, COLUMN_MAPPED, 0, 1);
    duet_dstream_unref(internal);
    return mapped;
}

DuetDStream *
duet_dstream_state_snapshots(DuetDStream *mapped, GError **error)
{
    if (mapped->ops != &mapped_ops || ((Projection *)mapped->op_data)->kind != KIND_MAPPED) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "stateSnapshots needs the DStream that mapWithState returned");
        return NULL;
    }
    DuetDStream *internal = duet_dstream_parent(mapped, 0);
    g_autoptr(DuetSchema) schema = duet_schema_new();
    duet_schema_add_field(schema, "key", duet_schema_field(internal->schema, COLUMN_KEY)->type,
                          TRUE);
    duet_schema_add_field(schema, "state", duet_schema_field(internal->schema, COLUMN_STATE)->type,
                          TRUE);
    return new_projection(internal, schema, KIND_STATE, COLUMN_KEY, COLUMN_STATE, 2);
}
