/* dstream_functions.c — C implementations of the named functions of functions.md.
 *
 * Layer: compat/. Each function works on whatever element schema the case gives it (an Int
 * or a Long, a String, a pair) the way the Scala/Java/Python lambda would, and declares the
 * schema it produces. Functions that must fail call duet_task_fail with the suite's message.
 */
#include "compat/dstream_functions.h"

#include <string.h>

#define SPECIAL_ERROR "This is a special error"

/* ---- schema helpers ---------------------------------------------------------------------- */

static DuetSchema *
single(DuetTypeId id)
{
    DuetSchema *schema = duet_schema_new();
    duet_schema_add_field(schema, "value", duet_data_type_new_scalar(id), TRUE);
    return schema;
}

static DuetSchema *
pair_of(DuetDataType *key, DuetDataType *value)
{
    DuetSchema *schema = duet_schema_new();
    duet_schema_add_field(schema, "_1", key, TRUE);
    duet_schema_add_field(schema, "_2", value, TRUE);
    return schema;
}

static DuetSchema *
schema_string(DuetSchema *input)
{
    return single(DUET_TYPE_STRING);
}

static DuetSchema *
schema_int(DuetSchema *input)
{
    return single(DUET_TYPE_INT32);
}

static DuetSchema *
schema_element_and_int(DuetSchema *input)
{
    g_autoptr(DuetDataType) element = duet_schema_element_type(input);
    return pair_of(element, duet_data_type_new_scalar(DUET_TYPE_INT32));
}

static DuetSchema *
schema_element_and_string(DuetSchema *input)
{
    g_autoptr(DuetDataType) element = duet_schema_element_type(input);
    return pair_of(element, duet_data_type_new_scalar(DUET_TYPE_STRING));
}

static DuetSchema *
schema_string_and_int(DuetSchema *input)
{
    return pair_of(duet_data_type_new_scalar(DUET_TYPE_STRING),
                   duet_data_type_new_scalar(DUET_TYPE_INT32));
}

static DuetSchema *
schema_int_and_string(DuetSchema *input)
{
    return pair_of(duet_data_type_new_scalar(DUET_TYPE_INT32),
                   duet_data_type_new_scalar(DUET_TYPE_STRING));
}

static DuetSchema *
schema_key_and_int(DuetSchema *input)
{
    return pair_of(duet_schema_field(input, 0)->type, duet_data_type_new_scalar(DUET_TYPE_INT32));
}

static DuetSchema *
schema_swapped(DuetSchema *input)
{
    return pair_of(duet_schema_field(input, 1)->type, duet_schema_field(input, 0)->type);
}

static DuetSchema *
schema_second(DuetSchema *input)
{
    DuetSchema *schema = duet_schema_new();
    duet_schema_add_field(schema, "value", duet_schema_field(input, 1)->type, TRUE);
    return schema;
}

static DuetSchema *
schema_first(DuetSchema *input)
{
    DuetSchema *schema = duet_schema_new();
    duet_schema_add_field(schema, "value", duet_schema_field(input, 0)->type, TRUE);
    return schema;
}

/* For VALUES: the value type, as a one-field schema. */
static DuetSchema *
schema_value_unchanged(DuetSchema *input)
{
    return schema_second(input);
}

static DuetSchema *
schema_value_int(DuetSchema *input)
{
    return single(DUET_TYPE_INT32);
}

static DuetSchema *
schema_value_string(DuetSchema *input)
{
    return single(DUET_TYPE_STRING);
}

/* values_to_set: (K, array<V>) -> (K, array<V>) with distinct sorted values. */
static DuetSchema *
schema_unchanged(DuetSchema *input)
{
    return duet_schema_ref(input);
}

/* ---- value helpers ----------------------------------------------------------------------- */

static gint64
int_of(const DuetValue *value)
{
    gint64 result = 0;
    duet_value_as_int64(value, &result);
    return result;
}

/* Appends an integer to a column of int or bigint. */
static void
append_int(DuetColumnBuilder *builder, gint64 value)
{
    if (duet_data_type_id(duet_column_builder_type(builder)) == DUET_TYPE_INT64)
        duet_column_builder_append_int64(builder, value);
    else
        duet_column_builder_append_int32(builder, (gint32)value);
}

static void
append_string(DuetColumnBuilder *builder, const char *data, gsize len)
{
    duet_column_builder_append_string(builder, data, (gssize)len);
}

/* ---- element functions ------------------------------------------------------------------- */

static void
identity(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_batch_builder_append_row(out, row);
}

static void
to_string(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    char text[32];
    int len = g_snprintf(text, sizeof text, "%" G_GINT64_FORMAT, int_of(&value));
    duet_batch_builder_append_string(out, 0, text, len);
}

static void
to_int(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    duet_batch_builder_append_int32(out, 0, (gint32)int_of(&value));
}

static void
value_to_int(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue value;
    duet_column_builder_append_from(duet_batch_builder_column(out, 0),
                                    duet_batch_column(row->batch, 0), row->index);
    duet_row_get_value(row, 1, &value);
    duet_batch_builder_append_int32(out, 1, (gint32)int_of(&value));
}

static void
len(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize length;
    const char *text = duet_row_get_string(row, 0, &length);
    duet_batch_builder_append_int32(out, 0, (gint32)g_utf8_strlen(text, (gssize)length));
}

static void
pair_with_1(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_column_builder_append_row(duet_batch_builder_column(out, 0), row);
    duet_batch_builder_append_int32(out, 1, 1);
}

static void
pair_with_x(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_column_builder_append_row(duet_batch_builder_column(out, 0), row);
    duet_batch_builder_append_string(out, 1, "x", 1);
}

static void
pair_with_len(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize length;
    const char *text = duet_row_get_string(row, 0, &length);
    duet_batch_builder_append_string(out, 0, text, (gssize)length);
    duet_batch_builder_append_int32(out, 1, (gint32)g_utf8_strlen(text, (gssize)length));
}

static void
plus(const DuetRow *row, DuetBatchBuilder *out, gint64 amount)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    append_int(duet_batch_builder_column(out, 0), int_of(&value) + amount);
}

static void
plus_4(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    plus(row, out, 4);
}

static void
plus_8(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    plus(row, out, 8);
}

static void
plus_10(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    plus(row, out, 10);
}

static void
swap(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_column_builder_append_from(duet_batch_builder_column(out, 0),
                                    duet_batch_column(row->batch, 1), row->index);
    duet_column_builder_append_from(duet_batch_builder_column(out, 1),
                                    duet_batch_column(row->batch, 0), row->index);
}

static void
second(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_column_builder_append_from(duet_batch_builder_column(out, 0),
                                    duet_batch_column(row->batch, 1), row->index);
}

static void
first_of_pair(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_column_builder_append_from(duet_batch_builder_column(out, 0),
                                    duet_batch_column(row->batch, 0), row->index);
}

static void
upper(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize length;
    const char *text = duet_row_get_string(row, 0, &length);
    char *upper_text = duet_task_scratch_strndup(text, length);
    for (gsize byte = 0; byte < length; byte++)
        upper_text[byte] = g_ascii_toupper(upper_text[byte]);
    duet_batch_builder_append_string(out, 0, upper_text, (gssize)length);
}

static gint
compare_values(gconstpointer a, gconstpointer b)
{
    return duet_value_compare(a, b);
}

/* (K, Iterable[V]) -> (K, Set[V]): the set as a sorted array without duplicates. */
static void
values_to_set(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_column_builder_append_from(duet_batch_builder_column(out, 0),
                                    duet_batch_column(row->batch, 0), row->index);
    DuetValue list;
    duet_row_get_value(row, 1, &list);
    gsize n = duet_value_list_length(&list);
    DuetValue *values = duet_task_scratch_alloc(sizeof(DuetValue) * MAX(n, 1));
    for (gsize element = 0; element < n; element++)
        duet_value_list_get(&list, element, &values[element]);
    qsort(values, n, sizeof(DuetValue), (int (*)(const void *, const void *))compare_values);
    DuetColumnBuilder *lists = duet_batch_builder_column(out, 1);
    for (gsize element = 0; element < n; element++) {
        if (element > 0 && duet_value_equal(&values[element - 1], &values[element]))
            continue;
        duet_column_builder_append_value(duet_column_builder_child(lists, 0), &values[element]);
    }
    duet_column_builder_end_list(lists);
}

static void
raise_error(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_task_fail(SPECIAL_ERROR);
    duet_batch_builder_append_row(out, row);
}

static void
raise_if_1(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    if (int_of(&value) == 1)
        duet_task_fail(SPECIAL_ERROR);
    duet_batch_builder_append_row(out, row);
}

/* ---- flatMap functions ------------------------------------------------------------------- */

static void
self_and_double(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    append_int(duet_batch_builder_column(out, 0), int_of(&value));
    append_int(duet_batch_builder_column(out, 0), int_of(&value) * 2);
}

static void
split_chars(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize length;
    const char *text = duet_row_get_string(row, 0, &length);
    for (const char *cursor = text; cursor < text + length;) {
        const char *next = g_utf8_find_next_char(cursor, text + length);
        if (next == NULL)
            next = text + length;
        duet_batch_builder_append_string(out, 0, cursor, next - cursor);
        cursor = next;
    }
}

static void
split_space(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize length;
    const char *text = duet_row_get_string(row, 0, &length);
    gsize start = 0;
    for (gsize byte = 0; byte <= length; byte++) {
        if (byte == length || text[byte] == ' ') {
            duet_batch_builder_append_string(out, 0, text + start, (gssize)(byte - start));
            start = byte + 1;
        }
    }
}

/* For each character c of the string in column `column`: (number, c). */
static void
number_char_pairs(const DuetRow *row, DuetBatchBuilder *out, guint column, gint64 number)
{
    gsize length;
    const char *text = duet_row_get_string(row, column, &length);
    for (const char *cursor = text; cursor < text + length;) {
        const char *next = g_utf8_find_next_char(cursor, text + length);
        if (next == NULL)
            next = text + length;
        duet_batch_builder_append_int32(out, 0, (gint32)number);
        duet_batch_builder_append_string(out, 1, cursor, next - cursor);
        cursor = next;
    }
}

static void
len_letter_pairs(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize length;
    const char *text = duet_row_get_string(row, 0, &length);
    number_char_pairs(row, out, 0, g_utf8_strlen(text, (gssize)length));
}

static void
value_key_chars(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 1, &value);
    number_char_pairs(row, out, 0, int_of(&value));
}

/* ---- filters ----------------------------------------------------------------------------- */

static gboolean
is_even(const DuetRow *row, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    return int_of(&value) % 2 == 0;
}

static gboolean
string_contains_a(const DuetRow *row, guint column)
{
    gsize length;
    const char *text = duet_row_get_string(row, column, &length);
    return memchr(text, 'a', length) != NULL;
}

static gboolean
contains_a(const DuetRow *row, gpointer user_data)
{
    return string_contains_a(row, 0);
}

static gboolean
key_contains_a(const DuetRow *row, gpointer user_data)
{
    return string_contains_a(row, 0);
}

static gboolean
value_gt_0(const DuetRow *row, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 1, &value);
    return int_of(&value) > 0;
}

static gboolean
drop_key_when_zero(const DuetRow *row, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 1, &value);
    return int_of(&value) != 0;
}

/* ---- value functions (mapValues, flatMapValues) --------------------------------------------- */

static void
value_identity(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data)
{
    duet_column_builder_append_value(out, value);
}

static void
value_plus_10(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data)
{
    append_int(out, int_of(value) + 10);
}

static void
value_self_and_plus_10(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data)
{
    append_int(out, int_of(value));
    append_int(out, int_of(value) + 10);
}

static void
value_suffix_1_and_2(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data)
{
    char *text = duet_task_scratch_alloc(value->v.str.len + 1);
    memcpy(text, value->v.str.data, value->v.str.len);
    text[value->v.str.len] = '1';
    append_string(out, text, value->v.str.len + 1);
    text[value->v.str.len] = '2';
    append_string(out, text, value->v.str.len + 1);
}

/* The counter of expire_after_two_idle's state object {counter, expireCounter}. */
static void
value_state_counter(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data)
{
    DuetValue counter;
    duet_value_struct_get(value, 0, &counter);
    duet_column_builder_append_int32(out, (gint32)int_of(&counter));
}

/* ---- partition functions ----------------------------------------------------------------- */

static void
partition_sum(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    gint64 sum = 0;
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetValue value;
            DuetRow row = duet_batch_row(batch, row_idx);
            duet_row_get_value(&row, 0, &value);
            sum += int_of(&value);
        }
    }
    append_int(duet_batch_builder_column(out, 0), sum);
}

static void
partition_upper_concat(GPtrArray *batches, guint partition, DuetBatchBuilder *out,
                       gpointer user_data)
{
    GString *text = g_string_new(NULL);
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetRow row = duet_batch_row(batch, row_idx);
            gsize length;
            const char *part = duet_row_get_string(&row, 0, &length);
            g_string_append_len(text, part, (gssize)length);
        }
    }
    for (gsize byte = 0; byte < text->len; byte++)
        text->str[byte] = g_ascii_toupper(text->str[byte]);
    duet_batch_builder_append_string(out, 0, text->str, (gssize)text->len);
    g_string_free(text, TRUE);
}

static void
partition_swap(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetRow row = duet_batch_row(batch, row_idx);
            swap(&row, out, NULL);
        }
    }
}

/* ---- reduce functions -------------------------------------------------------------------- */

static void
add(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    gint64 sum = int_of(a) + int_of(b);
    *out = a->type == DUET_TYPE_INT64 ? duet_value_int64(sum) : duet_value_int32((gint32)sum);
}

static void
sub(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    gint64 difference = int_of(a) - int_of(b);
    *out = a->type == DUET_TYPE_INT64 ? duet_value_int64(difference)
                                      : duet_value_int32((gint32)difference);
}

/* PySpark's combineByKey(str, add, add): a + str(b). */
static void
concat_str(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    GString *text = g_string_new(NULL);
    if (a->type == DUET_TYPE_STRING)
        g_string_append_len(text, a->v.str.data, (gssize)a->v.str.len);
    else
        g_string_append_printf(text, "%" G_GINT64_FORMAT, int_of(a));
    if (b->type == DUET_TYPE_STRING)
        g_string_append_len(text, b->v.str.data, (gssize)b->v.str.len);
    else
        g_string_append_printf(text, "%" G_GINT64_FORMAT, int_of(b));
    char *copy = duet_task_scratch_strndup(text->str, text->len);
    *out = duet_value_string(copy, text->len);
    g_string_free(text, TRUE);
}

/* ---- RDD-level functions ----------------------------------------------------------------- */

static DuetRdd *
rdd_map_to_string(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    g_autoptr(DuetSchema) schema = single(DUET_TYPE_STRING);
    return duet_rdd_map(rdd, schema, to_string, NULL);
}

static void
plus_2(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    plus(row, out, 2);
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
    g_set_error_literal(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_FAILED, SPECIAL_ERROR);
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
    g_autoptr(DuetSchema) schema = pair_of(element, element);
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
        sum += int_of(&value);
    }
    return sum;
}

static gboolean
running_sum_state(gint64 time_ms, const DuetValue *key, const DuetValue *values,
                  const DuetValue *state, DuetColumnBuilder *new_state, gpointer user_data)
{
    append_int(new_state, sum_of(values) + (state->is_null ? 0 : int_of(state)));
    return TRUE;
}

static gboolean
time_sum_state(gint64 time_ms, const DuetValue *key, const DuetValue *values,
               const DuetValue *state, DuetColumnBuilder *new_state, gpointer user_data)
{
    gint64 previous = state->is_null ? 0 : int_of(state);
    append_int(new_state, duet_value_list_length(values) > 0 ? time_ms + previous : previous);
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
        counter = int_of(&field);
        duet_value_struct_get(state, 1, &field);
        expire_counter = int_of(&field);
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
    return schema_second(input);
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
    return single(DUET_TYPE_INT64);
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
    gint64 sum = (value->is_null ? 0 : int_of(value)) +
                 (duet_state_get(state, &current) ? int_of(&current) : 0);
    DuetValue updated = duet_value_int32((gint32)sum);
    duet_state_update(state, &updated);
    return sum;
}

static void
running_sum_emit_sum(gint64 time_ms, const DuetValue *key, const DuetValue *value, DuetState *state,
                     DuetColumnBuilder *mapped, gpointer user_data)
{
    append_int(mapped, update_running_sum(value, state));
}

static void
running_sum_emit_key_doubled(gint64 time_ms, const DuetValue *key, const DuetValue *value,
                             DuetState *state, DuetColumnBuilder *mapped, gpointer user_data)
{
    update_running_sum(value, state);
    char *doubled = duet_task_scratch_alloc(key->v.str.len * 2 + 1);
    memcpy(doubled, key->v.str.data, key->v.str.len);
    memcpy(doubled + key->v.str.len, key->v.str.data, key->v.str.len);
    append_string(mapped, doubled, key->v.str.len * 2);
}

static void
running_sum_emit_key_sum(gint64 time_ms, const DuetValue *key, const DuetValue *value,
                         DuetState *state, DuetColumnBuilder *mapped, gpointer user_data)
{
    gint64 sum = update_running_sum(value, state);
    duet_column_builder_append_value(duet_column_builder_child(mapped, 0), key);
    append_int(duet_column_builder_child(mapped, 1), sum);
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
    return pair_of(duet_data_type_new_scalar(DUET_TYPE_INT32),
                   duet_data_type_new_scalar(DUET_TYPE_INT32));
}

static DuetSchema *
mapping_int_key(DuetSchema *input)
{
    return pair_of(duet_data_type_new_scalar(DUET_TYPE_INT32), duet_schema_field(input, 0)->type);
}

static DuetSchema *
mapping_int_key_sum(DuetSchema *input)
{
    g_autoptr(DuetSchema) key_sum =
        pair_of(duet_schema_field(input, 0)->type, duet_data_type_new_scalar(DUET_TYPE_INT32));
    g_autoptr(DuetDataType) key_sum_type = duet_data_type_new_struct(key_sum);
    return pair_of(duet_data_type_new_scalar(DUET_TYPE_INT32), key_sum_type);
}

static DuetSchema *
mapping_value_key(DuetSchema *input)
{
    return pair_of(duet_schema_field(input, 1)->type, duet_schema_field(input, 0)->type);
}

/* ---- the registry ------------------------------------------------------------------------ */

#define MAP(n, f, s)                                                                               \
    {                                                                                              \
        n, DUET_NAMED_MAP, .map = f, .schema = s                                                   \
    }
#define FLAT(n, f, s)                                                                              \
    {                                                                                              \
        n, DUET_NAMED_FLAT_MAP, .map = f, .schema = s                                              \
    }
#define FILTER(n, f)                                                                               \
    {                                                                                              \
        n, DUET_NAMED_FILTER, .filter = f                                                          \
    }
#define VALUES(n, f, s)                                                                            \
    {                                                                                              \
        n, DUET_NAMED_VALUES, .values = f, .schema = s                                             \
    }
#define PARTITION(n, f, s)                                                                         \
    {                                                                                              \
        n, DUET_NAMED_PARTITION, .partition = f, .schema = s                                       \
    }
#define REDUCE(n, f)                                                                               \
    {                                                                                              \
        n, DUET_NAMED_REDUCE, .reduce = f                                                          \
    }
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

static const DuetNamedFunction registry[] = {
    MAP("identity", identity, NULL),
    MAP("to_string", to_string, schema_string),
    MAP("to_int", to_int, schema_int),
    MAP("value_to_int", value_to_int, schema_key_and_int),
    MAP("len", len, schema_int),
    MAP("pair_with_1", pair_with_1, schema_element_and_int),
    MAP("pair_with_x", pair_with_x, schema_element_and_string),
    MAP("pair_with_len", pair_with_len, schema_string_and_int),
    MAP("plus_4", plus_4, NULL),
    MAP("plus_8", plus_8, NULL),
    MAP("plus_10", plus_10, NULL),
    MAP("swap", swap, schema_swapped),
    MAP("second", second, schema_second),
    MAP("upper", upper, NULL),
    MAP("values_to_set", values_to_set, schema_unchanged),
    MAP("raise_error", raise_error, NULL),
    MAP("raise_if_1", raise_if_1, NULL),
    FLAT("self_and_double", self_and_double, NULL),
    FLAT("split_chars", split_chars, schema_string),
    FLAT("split_space", split_space, schema_string),
    FLAT("len_letter_pairs", len_letter_pairs, schema_int_and_string),
    FLAT("value_key_chars", value_key_chars, schema_int_and_string),
    FILTER("is_even", is_even),
    FILTER("contains_a", contains_a),
    FILTER("key_contains_a", key_contains_a),
    FILTER("value_gt_0", value_gt_0),
    FILTER("drop_key_when_zero", drop_key_when_zero),
    VALUES("values.identity", value_identity, schema_value_unchanged),
    VALUES("values.plus_10", value_plus_10, schema_value_unchanged),
    VALUES("values.self_and_plus_10", value_self_and_plus_10, schema_value_unchanged),
    VALUES("values.suffix_1_and_2", value_suffix_1_and_2, schema_value_string),
    VALUES("values.state_counter", value_state_counter, schema_value_int),
    PARTITION("partition_sum", partition_sum, NULL),
    PARTITION("partition_upper_concat", partition_upper_concat, schema_string),
    PARTITION("partition_swap", partition_swap, schema_swapped),
    REDUCE("add", add),
    REDUCE("sub", sub),
    REDUCE("concat_str", concat_str),
    RDD("rdd_map_to_string", rdd_map_to_string, schema_string),
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

const DuetNamedFunction *
duet_named_function(const char *name)
{
    for (gsize entry = 0; entry < G_N_ELEMENTS(registry); entry++) {
        if (g_str_equal(registry[entry].name, name))
            return &registry[entry];
    }
    return NULL;
}

DuetDataType *
duet_named_value_type(const DuetNamedFunction *function, DuetSchema *input)
{
    g_autoptr(DuetSchema) schema = function->schema(input);
    return duet_data_type_ref(duet_schema_field(schema, 0)->type);
}
