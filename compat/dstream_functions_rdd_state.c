/* dstream_functions_rdd_state.c — the named functions of whole RDDs and of keyed state.
 *
 * Layer: compat/. The functions that see more than one element: transform (one RDD),
 * transformWith (two), StreamingContext.transform (several RDDs of the same batch time),
 * updateStateByKey (a key's new values and its state) and mapWithState (a record and its key's
 * state, with timeouts), and their entries of the registry.
 */
#include "compat/dstream_functions_private.h"

#include <string.h>

/* ---- RDD-level functions ----------------------------------------------------------------- */

static DuetSchema *
schema_first(DuetSchema *input)
{
    DuetSchema *schema = duet_schema_new();
    duet_schema_add_field(schema, "value", duet_schema_field(input, 0)->type, TRUE);
    return schema;
}

static void
first_of_pair(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_column_builder_append_from(duet_batch_builder_column(out, 0),
                                    duet_batch_column(row->batch, 0), row->index);
}

static DuetRdd *
rdd_map_to_string(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    g_autoptr(DuetSchema) schema = df_single(DUET_TYPE_STRING);
    return duet_rdd_map(rdd, schema, df_to_string, NULL);
}

static void
plus_2(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    df_plus(row, out, 2);
}

static DuetRdd *
rdd_map_plus_2(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    return duet_rdd_map(rdd, duet_rdd_schema(rdd), plus_2, NULL);
}

static DuetRdd *
rdd_map_first(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    g_autoptr(DuetSchema) schema = schema_first(duet_rdd_schema(rdd));
    return duet_rdd_map(rdd, schema, first_of_pair, NULL);
}

static DuetRdd *
rdd_sort_by_key(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    return duet_rdd_sort_by_key(rdd, TRUE, 0, error);
}

static DuetRdd *
rdd_cartesian_self(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    return duet_rdd_cartesian(rdd, rdd);
}

static DuetRdd *
returns_null(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    return NULL;
}

static DuetRdd *
rdd_join(DuetRdd *rdd, DuetRdd *other, gint64 time_ms, gpointer user_data, GError **error)
{
    return duet_rdd_join(rdd, other, 0, error);
}

static DuetRdd *
rdd_union(DuetRdd *rdd, DuetRdd *other, gint64 time_ms, gpointer user_data, GError **error)
{
    DuetRdd *both[] = {rdd, other};
    return duet_rdd_union(both, 2, error);
}

static DuetRdd *
rdd_raise_error(DuetRdd *rdd, DuetRdd *other, gint64 time_ms, gpointer user_data, GError **error)
{
    g_set_error_literal(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_FAILED, DF_SPECIAL_ERROR);
    return NULL;
}

static DuetRdd *
rdds_union(GPtrArray *rdds, gint64 time_ms, GError **error)
{
    return duet_rdd_union((DuetRdd *const *)rdds->pdata, rdds->len, error);
}

static DuetRdd *
rdds_union_2_3_1(GPtrArray *rdds, gint64 time_ms, GError **error)
{
    DuetRdd *order[] = {rdds->pdata[1], rdds->pdata[2], rdds->pdata[0]};
    return duet_rdd_union(order, 3, error);
}

static void
self_pair(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_column_builder_append_row(duet_batch_builder_column(out, 0), row);
    duet_column_builder_append_row(duet_batch_builder_column(out, 1), row);
}

/* rdds[0].union(rdds[1]).map(i => (i, i)).join(rdds[2]) */
static DuetRdd *
rdds_union12_self_pair_join3(GPtrArray *rdds, gint64 time_ms, GError **error)
{
    DuetRdd *first_two[] = {rdds->pdata[0], rdds->pdata[1]};
    g_autoptr(DuetRdd) both = duet_rdd_union(first_two, 2, error);
    if (both == NULL)
        return NULL;
    g_autoptr(DuetDataType) element = duet_schema_element_type(duet_rdd_schema(both));
    g_autoptr(DuetSchema) schema = df_pair_of(element, element);
    g_autoptr(DuetRdd) pairs = duet_rdd_map(both, schema, self_pair, NULL);
    return duet_rdd_join(pairs, rdds->pdata[2], 0, error);
}

/* ---- updateStateByKey functions ---------------------------------------------------------- */

static gint64
sum_of(const DuetValue *values)
{
    gint64 sum = 0;
    for (gsize element = 0; element < duet_value_list_length(values); element++) {
        DuetValue value;
        duet_value_list_get(values, element, &value);
        sum += df_int_of(&value);
    }
    return sum;
}

static gboolean
running_sum_state(gint64 time_ms, const DuetValue *key, const DuetValue *values,
                  const DuetValue *state, DuetColumnBuilder *new_state, gpointer user_data)
{
    df_append_int(new_state, sum_of(values) + (state->is_null ? 0 : df_int_of(state)));
    return TRUE;
}

static gboolean
time_sum_state(gint64 time_ms, const DuetValue *key, const DuetValue *values,
               const DuetValue *state, DuetColumnBuilder *new_state, gpointer user_data)
{
    gint64 previous = state->is_null ? 0 : df_int_of(state);
    df_append_int(new_state, duet_value_list_length(values) > 0 ? time_ms + previous : previous);
    return TRUE;
}

/* State object {counter, expireCounter}: see functions.md. */
static gboolean
expire_after_two_idle(gint64 time_ms, const DuetValue *key, const DuetValue *values,
                      const DuetValue *state, DuetColumnBuilder *new_state, gpointer user_data)
{
    gint64 counter = 0, expire_counter = 0;
    if (!state->is_null) {
        DuetValue field;
        duet_value_struct_get(state, 0, &field);
        counter = df_int_of(&field);
        duet_value_struct_get(state, 1, &field);
        expire_counter = df_int_of(&field);
    }
    gint64 n = sum_of(values);
    if (n == 0) {
        expire_counter += 1;
    } else {
        counter += n;
        expire_counter = 0;
    }
    if (expire_counter == 2)
        return FALSE;
    duet_column_builder_append_int32(duet_column_builder_child(new_state, 0), (gint32)counter);
    duet_column_builder_append_int32(duet_column_builder_child(new_state, 1),
                                     (gint32)expire_counter);
    duet_column_builder_end_struct(new_state);
    return TRUE;
}

/* Python: s = state or []; s.extend(values) */
static gboolean
append_values_state(gint64 time_ms, const DuetValue *key, const DuetValue *values,
                    const DuetValue *state, DuetColumnBuilder *new_state, gpointer user_data)
{
    DuetColumnBuilder *elements = duet_column_builder_child(new_state, 0);
    for (gsize element = 0; !state->is_null && element < duet_value_list_length(state); element++) {
        DuetValue value;
        duet_value_list_get(state, element, &value);
        duet_column_builder_append_value(elements, &value);
    }
    for (gsize element = 0; element < duet_value_list_length(values); element++) {
        DuetValue value;
        duet_value_list_get(values, element, &value);
        duet_column_builder_append_value(elements, &value);
    }
    duet_column_builder_end_list(new_state);
    return TRUE;
}

static DuetSchema *
schema_state_same_as_value(DuetSchema *input)
{
    return df_schema_second(input);
}

static DuetSchema *
schema_state_object(DuetSchema *input)
{
    g_autoptr(DuetSchema) fields = duet_schema_parse("counter INT, expireCounter INT", NULL);
    DuetSchema *schema = duet_schema_new();
    g_autoptr(DuetDataType) object = duet_data_type_new_struct(fields);
    duet_schema_add_field(schema, "value", object, TRUE);
    return schema;
}

static DuetSchema *
schema_state_bigint(DuetSchema *input)
{
    return df_single(DUET_TYPE_INT64);
}

static DuetSchema *
schema_state_value_list(DuetSchema *input)
{
    DuetSchema *schema = duet_schema_new();
    g_autoptr(DuetDataType) list =
        duet_data_type_new_array(duet_schema_field(input, 1)->type, TRUE);
    duet_schema_add_field(schema, "value", list, TRUE);
    return schema;
}

/* ---- mapWithState functions ------------------------------------------------------------- */

/* sum = value.getOrElse(0) + state.getOption.getOrElse(0); state.update(sum) */
static gint64
update_running_sum(const DuetValue *value, DuetState *state)
{
    DuetValue current;
    gint64 sum = (value->is_null ? 0 : df_int_of(value)) +
                 (duet_state_get(state, &current) ? df_int_of(&current) : 0);
    DuetValue updated = duet_value_int32((gint32)sum);
    duet_state_update(state, &updated);
    return sum;
}

static void
running_sum_emit_sum(gint64 time_ms, const DuetValue *key, const DuetValue *value, DuetState *state,
                     DuetColumnBuilder *mapped, gpointer user_data)
{
    df_append_int(mapped, update_running_sum(value, state));
}

static void
running_sum_emit_key_doubled(gint64 time_ms, const DuetValue *key, const DuetValue *value,
                             DuetState *state, DuetColumnBuilder *mapped, gpointer user_data)
{
    update_running_sum(value, state);
    char *doubled = duet_task_scratch_alloc(key->v.str.len * 2 + 1);
    memcpy(doubled, key->v.str.data, key->v.str.len);
    memcpy(doubled + key->v.str.len, key->v.str.data, key->v.str.len);
    df_append_string(mapped, doubled, key->v.str.len * 2);
}

static void
running_sum_emit_key_sum(gint64 time_ms, const DuetValue *key, const DuetValue *value,
                         DuetState *state, DuetColumnBuilder *mapped, gpointer user_data)
{
    gint64 sum = update_running_sum(value, state);
    duet_column_builder_append_value(duet_column_builder_child(mapped, 0), key);
    df_append_int(duet_column_builder_child(mapped, 1), sum);
    duet_column_builder_end_struct(mapped);
}

static void
running_sum_emit_none(gint64 time_ms, const DuetValue *key, const DuetValue *value,
                      DuetState *state, DuetColumnBuilder *mapped, gpointer user_data)
{
    update_running_sum(value, state);
}

static void
toggle_remove_emit_key(gint64 time_ms, const DuetValue *key, const DuetValue *value,
                       DuetState *state, DuetColumnBuilder *mapped, gpointer user_data)
{
    if (duet_state_exists(state)) {
        duet_state_remove(state);
        duet_column_builder_append_value(mapped, key);
    } else {
        duet_state_update(state, value);
    }
}

static void
set_1_emit_key_on_timeout(gint64 time_ms, const DuetValue *key, const DuetValue *value,
                          DuetState *state, DuetColumnBuilder *mapped, gpointer user_data)
{
    if (!value->is_null) {
        DuetValue one = duet_value_int32(1);
        duet_state_update(state, &one);
    }
    if (duet_state_is_timing_out(state))
        duet_column_builder_append_value(mapped, key);
}

/* (state, mapped) types for an input (key, value) schema. */
static DuetSchema *
mapping_int_int(DuetSchema *input)
{
    return df_pair_of(duet_data_type_new_scalar(DUET_TYPE_INT32),
                      duet_data_type_new_scalar(DUET_TYPE_INT32));
}

static DuetSchema *
mapping_int_key(DuetSchema *input)
{
    return df_pair_of(duet_data_type_new_scalar(DUET_TYPE_INT32),
                      duet_schema_field(input, 0)->type);
}

static DuetSchema *
mapping_int_key_sum(DuetSchema *input)
{
    g_autoptr(DuetSchema) key_sum =
        df_pair_of(duet_schema_field(input, 0)->type, duet_data_type_new_scalar(DUET_TYPE_INT32));
    g_autoptr(DuetDataType) key_sum_type = duet_data_type_new_struct(key_sum);
    return df_pair_of(duet_data_type_new_scalar(DUET_TYPE_INT32), key_sum_type);
}

static DuetSchema *
mapping_value_key(DuetSchema *input)
{
    return df_pair_of(duet_schema_field(input, 1)->type, duet_schema_field(input, 0)->type);
}

/* ---- this family's entries of the registry ------------------------------------------------- */

#define RDD(n, f, s)                                                                               \
    {                                                                                              \
        n, DUET_NAMED_RDD, .rdd = f, .schema = s                                                   \
    }
#define RDD2(n, f)                                                                                 \
    {                                                                                              \
        n, DUET_NAMED_RDD2, .rdd2 = f                                                              \
    }
#define RDDS(n, f)                                                                                 \
    {                                                                                              \
        n, DUET_NAMED_RDDS, .rdds = f                                                              \
    }
#define UPDATE(n, f, s)                                                                            \
    {                                                                                              \
        n, DUET_NAMED_UPDATE, .update = f, .schema = s                                             \
    }
#define MAPPING(n, f, s)                                                                           \
    {                                                                                              \
        n, DUET_NAMED_MAPPING, .mapping = f, .schema = s                                           \
    }

static const DuetNamedFunction functions[] = {
    RDD("rdd_map_to_string", rdd_map_to_string, df_schema_string),
    RDD("rdd_map_plus_2", rdd_map_plus_2, NULL),
    RDD("rdd_map_first", rdd_map_first, schema_first),
    RDD("rdd_sort_by_key", rdd_sort_by_key, NULL),
    RDD("rdd_cartesian_self", rdd_cartesian_self, NULL),
    RDD("returns_null", returns_null, NULL),
    RDD2("rdd_join", rdd_join),
    RDD2("rdd_union", rdd_union),
    RDD2("raise_error", rdd_raise_error),
    RDDS("rdds_union", rdds_union),
    RDDS("rdds_union_2_3_1", rdds_union_2_3_1),
    RDDS("rdds_union12_self_pair_join3", rdds_union12_self_pair_join3),
    UPDATE("running_sum_state", running_sum_state, schema_state_same_as_value),
    UPDATE("running_sum_state_iter", running_sum_state, schema_state_same_as_value),
    UPDATE("time_sum_state", time_sum_state, schema_state_bigint),
    UPDATE("expire_after_two_idle", expire_after_two_idle, schema_state_object),
    UPDATE("append_values_state", append_values_state, schema_state_value_list),
    MAPPING("running_sum_emit_sum", running_sum_emit_sum, mapping_int_int),
    MAPPING("running_sum_emit_key_doubled", running_sum_emit_key_doubled, mapping_int_key),
    MAPPING("running_sum_emit_key_sum", running_sum_emit_key_sum, mapping_int_key_sum),
    MAPPING("running_sum_emit_none", running_sum_emit_none, mapping_int_int),
    MAPPING("toggle_remove_emit_key", toggle_remove_emit_key, mapping_value_key),
    MAPPING("set_1_emit_key_on_timeout", set_1_emit_key_on_timeout, mapping_int_key),
};

const DfFamily df_rdd_state_family = {functions, G_N_ELEMENTS(functions)};
