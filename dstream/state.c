/* state.c — updateStateByKey: per-key state carried from batch to batch.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. Spark's StateDStream: the state RDD of batch t
 * is the previous batch's state RDD (or the initial state RDD, at the first batch) cogrouped
 * with batch t's values; the update function sees every key that has new values or a state,
 * and a key whose function returns "none" is dropped. State RDDs are persisted, and
 * checkpointed every checkpoint interval (default: 10 s, at least one slide) so that their
 * lineage stays short, which is why Spark requires a checkpoint directory here.
 */
#include "dstream/internal.h"

typedef struct {
    DuetUpdateStateFunc update;
    gpointer user_data;
    DuetDataType *state_type; /* owned */
    guint num_partitions;     /* 0 = default parallelism */
    DuetRdd *initial;         /* initial state, or NULL (owned) */
} State;

static void
state_free(gpointer data)
{
    State *state = data;
    duet_data_type_unref(state->state_type);
    if (state->initial)
        duet_rdd_unref(state->initial);
    g_free(state);
}

/* What update_partition needs about one batch. */
typedef struct {
    const State *state;
    gint64 time_ms;
} Update;

static void
update_partition(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    const Update *update = user_data;
    DuetColumnBuilder *keys = duet_batch_builder_column(out, 0);
    DuetColumnBuilder *states = duet_batch_builder_column(out, 1);
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetRow row = duet_batch_row(batch, row_idx);
            DuetValue key, groups, values, state_list, state;
            duet_row_get_value(&row, 0, &key);
            duet_row_get_value(&row, 1, &groups);
            duet_value_struct_get(&groups, 0, &values);
            duet_value_struct_get(&groups, 1, &state_list);
            if (duet_value_list_length(&state_list) > 0)
                duet_value_list_get(&state_list, 0, &state);
            else
                state = duet_value_null();
            gsize before = duet_column_builder_length(states);
            gboolean keep = update->state->update(update->time_ms, &key, &values, &state, states,
                                                  update->state->user_data);
            gsize appended = duet_column_builder_length(states) - before;
            if ((keep && appended != 1) || (!keep && appended != 0)) {
                duet_task_fail("the updateStateByKey function must append exactly one state "
                               "when it returns TRUE and none when it returns FALSE");
                return;
            }
            if (keep)
                duet_column_builder_append_from(keys, duet_batch_column(batch, 0), row_idx);
        }
    }
}

static DuetRdd *
state_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    State *state = stream->op_data;
    GError *local = NULL;
    DuetRdd *previous = duet_dstream_get_or_compute(stream, time_ms - stream->slide_ms, &local);
    if (local == NULL && previous == NULL && state->initial != NULL)
        previous = duet_rdd_ref(state->initial);
    DuetRdd *values =
        local == NULL ? duet_dstream_get_or_compute(duet_dstream_parent(stream, 0), time_ms, &local)
                      : NULL;
    if (local != NULL) {
        g_propagate_error(error, local);
        if (previous)
            duet_rdd_unref(previous);
        return NULL;
    }
    if (previous == NULL && values == NULL)
        return NULL;
    if (values == NULL)
        values = duet_dstream_empty_rdd(duet_dstream_parent(stream, 0));
    if (previous == NULL)
        previous = duet_dstream_empty_rdd(stream);

    DuetContext *spark = duet_streaming_context_spark_context(stream->context);
    guint partitions =
        state->num_partitions ? state->num_partitions : duet_context_default_partitions(spark);
    DuetRdd *sides[] = {values, previous};
    DuetRdd *result = NULL;
    g_autoptr(DuetRdd) grouped = duet_rdd_cogroup(sides, 2, partitions, error);
    if (grouped != NULL) {
        Update *update = g_new0(Update, 1);
        update->state = state;
        update->time_ms = time_ms;
        result = duet_rdd_map_partitions(grouped, stream->schema, update_partition, update, TRUE);
        duet_rdd_attach_data(result, update, g_free);
        /* Checkpoint every interval to cut the lineage that each batch adds. */
        gint64 interval = stream->checkpoint_interval_ms > 0 ? stream->checkpoint_interval_ms
                                                             : MAX(stream->slide_ms, 10000);
        gint64 every = MAX(interval / stream->slide_ms, 1);
        gint64 index =
            (time_ms - duet_streaming_context_zero_time(stream->context)) / stream->slide_ms;
        if (index % every == 0 && !duet_rdd_checkpoint(result, error))
            g_clear_pointer(&result, duet_rdd_unref);
    }
    duet_rdd_unref(values);
    duet_rdd_unref(previous);
    return result;
}

static const DuetDStreamOps state_ops = {.name = "StateDStream", .compute = state_compute};

DuetDStream *
duet_dstream_update_state_by_key(DuetDStream *stream, DuetDataType *state_type,
                                 DuetUpdateStateFunc f, gpointer user_data, guint num_partitions,
                                 DuetRdd *initial_state, GError **error)
{
    g_return_val_if_fail(stream != NULL && state_type != NULL && f != NULL, NULL);
    if (duet_schema_n_fields(stream->schema) != 2) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "updateStateByKey needs a DStream of (key, value) pairs");
        return NULL;
    }
    g_autoptr(DuetSchema) schema = duet_schema_new();
    const DuetField *key = duet_schema_field(stream->schema, 0);
    duet_schema_add_field(schema, key->name, key->type, key->nullable);
    duet_schema_add_field(schema, "state", state_type, TRUE);
    if (initial_state != NULL &&
        !duet_data_type_equal(duet_schema_field(duet_rdd_schema(initial_state), 0)->type,
                              key->type)) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "the initial state RDD's keys are not of the stream's key type");
        return NULL;
    }
    DuetDStream *stateful =
        duet_dstream_new_internal(stream->context, &state_ops, schema, stream->slide_ms);
    duet_dstream_add_parent(stateful, stream);
    State *state = g_new0(State, 1);
    state->update = f;
    state->user_data = user_data;
    state->state_type = duet_data_type_ref(state_type);
    state->num_partitions = num_partitions;
    state->initial = initial_state ? duet_rdd_ref(initial_state) : NULL;
    stateful->op_data = state;
    stateful->op_data_free = state_free;
    stateful->must_checkpoint = TRUE;
    stateful->persist = TRUE;
    stateful->parent_remember_extra_ms = stateful->slide_ms;
    return stateful;
}
