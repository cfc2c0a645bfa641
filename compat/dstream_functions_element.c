/* dstream_functions_element.c — the named functions of single elements and values.
 *
 * Layer: compat/. The lambdas of map, flatMap, filter, mapValues / flatMapValues,
 * mapPartitions and reduce (the suites' Int, Long, String and pair elements, handled
 * generically), each with the schema it produces, and their entries of the registry.
 */
#include "compat/dstream_functions_private.h"

#include <string.h>

/* ---- output schemas ---------------------------------------------------------------------- */

static DuetSchema *
schema_int(DuetSchema *input)
{
    return df_single(DUET_TYPE_INT32);
}

static DuetSchema *
schema_element_and_int(DuetSchema *input)
{
    g_autoptr(DuetDataType) element = duet_schema_element_type(input);
    return df_pair_of(element, duet_data_type_new_scalar(DUET_TYPE_INT32));
}

static DuetSchema *
schema_element_and_string(DuetSchema *input)
{
    g_autoptr(DuetDataType) element = duet_schema_element_type(input);
    return df_pair_of(element, duet_data_type_new_scalar(DUET_TYPE_STRING));
}

static DuetSchema *
schema_string_and_int(DuetSchema *input)
{
    return df_pair_of(duet_data_type_new_scalar(DUET_TYPE_STRING),
                      duet_data_type_new_scalar(DUET_TYPE_INT32));
}

static DuetSchema *
schema_int_and_string(DuetSchema *input)
{
    return df_pair_of(duet_data_type_new_scalar(DUET_TYPE_INT32),
                      duet_data_type_new_scalar(DUET_TYPE_STRING));
}

static DuetSchema *
schema_key_and_int(DuetSchema *input)
{
    return df_pair_of(duet_schema_field(input, 0)->type,
                      duet_data_type_new_scalar(DUET_TYPE_INT32));
}

static DuetSchema *
schema_swapped(DuetSchema *input)
{
    return df_pair_of(duet_schema_field(input, 1)->type, duet_schema_field(input, 0)->type);
}

/* For VALUES: the value type, as a one-field schema. */
static DuetSchema *
schema_value_unchanged(DuetSchema *input)
{
    return df_schema_second(input);
}

static DuetSchema *
schema_value_int(DuetSchema *input)
{
    return df_single(DUET_TYPE_INT32);
}

static DuetSchema *
schema_value_string(DuetSchema *input)
{
    return df_single(DUET_TYPE_STRING);
}

/* values_to_set: (K, array<V>) -> (K, array<V>) with distinct sorted values. */
static DuetSchema *
schema_unchanged(DuetSchema *input)
{
    return duet_schema_ref(input);
}

/* ---- element functions ------------------------------------------------------------------- */

static void
identity(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_batch_builder_append_row(out, row);
}

void
df_to_string(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    char text[32];
    int len = g_snprintf(text, sizeof text, "%" G_GINT64_FORMAT, df_int_of(&value));
    duet_batch_builder_append_string(out, 0, text, len);
}

static void
to_int(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    duet_batch_builder_append_int32(out, 0, (gint32)df_int_of(&value));
}

static void
value_to_int(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue value;
    duet_column_builder_append_from(duet_batch_builder_column(out, 0),
                                    duet_batch_column(row->batch, 0), row->index);
    duet_row_get_value(row, 1, &value);
    duet_batch_builder_append_int32(out, 1, (gint32)df_int_of(&value));
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

void
df_plus(const DuetRow *row, DuetBatchBuilder *out, gint64 amount)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    df_append_int(duet_batch_builder_column(out, 0), df_int_of(&value) + amount);
}

static void
plus_4(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    df_plus(row, out, 4);
}

static void
plus_8(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    df_plus(row, out, 8);
}

static void
plus_10(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    df_plus(row, out, 10);
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
    duet_task_fail(DF_SPECIAL_ERROR);
    duet_batch_builder_append_row(out, row);
}

static void
raise_if_1(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    if (df_int_of(&value) == 1)
        duet_task_fail(DF_SPECIAL_ERROR);
    duet_batch_builder_append_row(out, row);
}

/* ---- flatMap functions ------------------------------------------------------------------- */

static void
self_and_double(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    df_append_int(duet_batch_builder_column(out, 0), df_int_of(&value));
    df_append_int(duet_batch_builder_column(out, 0), df_int_of(&value) * 2);
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
    number_char_pairs(row, out, 0, df_int_of(&value));
}

/* ---- filters ----------------------------------------------------------------------------- */

static gboolean
is_even(const DuetRow *row, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 0, &value);
    return df_int_of(&value) % 2 == 0;
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
    return df_int_of(&value) > 0;
}

static gboolean
drop_key_when_zero(const DuetRow *row, gpointer user_data)
{
    DuetValue value;
    duet_row_get_value(row, 1, &value);
    return df_int_of(&value) != 0;
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
    df_append_int(out, df_int_of(value) + 10);
}

static void
value_self_and_plus_10(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data)
{
    df_append_int(out, df_int_of(value));
    df_append_int(out, df_int_of(value) + 10);
}

static void
value_suffix_1_and_2(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data)
{
    char *text = duet_task_scratch_alloc(value->v.str.len + 1);
    memcpy(text, value->v.str.data, value->v.str.len);
    text[value->v.str.len] = '1';
    df_append_string(out, text, value->v.str.len + 1);
    text[value->v.str.len] = '2';
    df_append_string(out, text, value->v.str.len + 1);
}

/* The counter of expire_after_two_idle's state object {counter, expireCounter}. */
static void
value_state_counter(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data)
{
    DuetValue counter;
    duet_value_struct_get(value, 0, &counter);
    duet_column_builder_append_int32(out, (gint32)df_int_of(&counter));
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
            sum += df_int_of(&value);
        }
    }
    df_append_int(duet_batch_builder_column(out, 0), sum);
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
    gint64 sum = df_int_of(a) + df_int_of(b);
    *out = a->type == DUET_TYPE_INT64 ? duet_value_int64(sum) : duet_value_int32((gint32)sum);
}

static void
sub(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    gint64 difference = df_int_of(a) - df_int_of(b);
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
        g_string_append_printf(text, "%" G_GINT64_FORMAT, df_int_of(a));
    if (b->type == DUET_TYPE_STRING)
        g_string_append_len(text, b->v.str.data, (gssize)b->v.str.len);
    else
        g_string_append_printf(text, "%" G_GINT64_FORMAT, df_int_of(b));
    char *copy = duet_task_scratch_strndup(text->str, text->len);
    *out = duet_value_string(copy, text->len);
    g_string_free(text, TRUE);
}

/* ---- this family's entries of the registry ------------------------------------------------- */

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

static const DuetNamedFunction functions[] = {
    MAP("identity", identity, NULL),
    MAP("to_string", df_to_string, df_schema_string),
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
    MAP("second", second, df_schema_second),
    MAP("upper", upper, NULL),
    MAP("values_to_set", values_to_set, schema_unchanged),
    MAP("raise_error", raise_error, NULL),
    MAP("raise_if_1", raise_if_1, NULL),
    FLAT("self_and_double", self_and_double, NULL),
    FLAT("split_chars", split_chars, df_schema_string),
    FLAT("split_space", split_space, df_schema_string),
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
    PARTITION("partition_upper_concat", partition_upper_concat, df_schema_string),
    PARTITION("partition_swap", partition_swap, schema_swapped),
    REDUCE("add", add),
    REDUCE("sub", sub),
    REDUCE("concat_str", concat_str),
};

const DfFamily df_element_family = {functions, G_N_ELEMENTS(functions)};
