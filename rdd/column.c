/* column.c — immutable columns: access, slicing, gathering, concatenation, comparison.
 *
 * Layer: rdd/. Includes rdd/ only. A column is a window [offset, offset + length) over shared
 * GBytes buffers (layout in internal.h). Offsets of strings, arrays and maps index absolute
 * positions in the data buffer or in the child column; struct children are indexed by the
 * parent's absolute row. Slicing therefore only moves the window.
 */
#include "rdd/internal.h"

#include <math.h>
#include <xxhash.h>

DuetColumn *
duet_column_ref(DuetColumn *column)
{
    g_return_val_if_fail(column != NULL, NULL);
    g_atomic_int_inc(&column->ref_count);
    return column;
}

void
duet_column_unref(DuetColumn *column)
{
    if (column == NULL || !g_atomic_int_dec_and_test(&column->ref_count))
        return;
    for (guint child = 0; child < column->n_children; child++)
        duet_column_unref(column->children[child]);
    g_free(column->children);
    if (column->validity)
        g_bytes_unref(column->validity);
    if (column->values)
        g_bytes_unref(column->values);
    if (column->data)
        g_bytes_unref(column->data);
    duet_data_type_unref(column->type);
    g_free(column);
}

DuetDataType *
duet_column_type(const DuetColumn *column)
{
    return column->type;
}

gsize
duet_column_length(const DuetColumn *column)
{
    return column->length;
}

gsize
duet_column_null_count(const DuetColumn *column)
{
    return column->null_count;
}

gboolean
duet_column_is_null(const DuetColumn *column, gsize row)
{
    g_return_val_if_fail(row < column->length, TRUE);
    if (column->type->id == DUET_TYPE_NULL)
        return TRUE;
    return !duet_column_valid_fast(column, row);
}

static inline const guint8 *
values_at(const DuetColumn *column, gsize width)
{
    return (const guint8 *)g_bytes_get_data(column->values, NULL) + column->offset * width;
}

gboolean
duet_column_get_boolean(const DuetColumn *column, gsize row)
{
    g_return_val_if_fail(row < column->length, FALSE);
    return values_at(column, 1)[row] != 0;
}

gint32
duet_column_get_int32(const DuetColumn *column, gsize row)
{
    g_return_val_if_fail(row < column->length, 0);
    return ((const gint32 *)values_at(column, 4))[row];
}

gint64
duet_column_get_int64(const DuetColumn *column, gsize row)
{
    g_return_val_if_fail(row < column->length, 0);
    return ((const gint64 *)values_at(column, 8))[row];
}

gdouble
duet_column_get_double(const DuetColumn *column, gsize row)
{
    g_return_val_if_fail(row < column->length, 0.0);
    return ((const gdouble *)values_at(column, 8))[row];
}

const gint64 *
duet_column_offsets(const DuetColumn *column)
{
    return (const gint64 *)g_bytes_get_data(column->values, NULL) + column->offset;
}

const char *
duet_column_data(const DuetColumn *column)
{
    return column->data ? g_bytes_get_data(column->data, NULL) : NULL;
}

const void *
duet_column_values(const DuetColumn *column)
{
    return values_at(column, duet_data_type_fixed_width(column->type));
}

const guint8 *
duet_column_validity(const DuetColumn *column, gsize *bit_offset)
{
    *bit_offset = column->offset;
    return column->validity ? g_bytes_get_data(column->validity, NULL) : NULL;
}

const char *
duet_column_get_string(const DuetColumn *column, gsize row, gsize *len)
{
    g_return_val_if_fail(row < column->length, NULL);
    const gint64 *offsets = duet_column_offsets(column);
    *len = (gsize)(offsets[row + 1] - offsets[row]);
    return duet_column_data(column) + offsets[row];
}

void
duet_column_list_range(const DuetColumn *column, gsize row, gsize *start, gsize *end)
{
    const gint64 *offsets = duet_column_offsets(column);
    *start = (gsize)offsets[row];
    *end = (gsize)offsets[row + 1];
}

guint
duet_column_n_children(const DuetColumn *column)
{
    return column->n_children;
}

DuetColumn *
duet_column_child(const DuetColumn *column, guint index)
{
    g_return_val_if_fail(index < column->n_children, NULL);
    return column->children[index];
}

void
duet_column_get_value(const DuetColumn *column, gsize row, DuetValue *value)
{
    value->type = column->type->id;
    value->is_null = duet_column_is_null(column, row);
    if (value->is_null)
        return;
    switch (column->type->id) {
    case DUET_TYPE_BOOLEAN:
        value->v.boolean = duet_column_get_boolean(column, row);
        break;
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE:
        value->v.i32 = duet_column_get_int32(column, row);
        break;
    case DUET_TYPE_INT64:
    case DUET_TYPE_TIMESTAMP:
        value->v.i64 = duet_column_get_int64(column, row);
        break;
    case DUET_TYPE_DOUBLE:
        value->v.f64 = duet_column_get_double(column, row);
        break;
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
        value->v.str.data = duet_column_get_string(column, row, &value->v.str.len);
        break;
    case DUET_TYPE_ARRAY:
    case DUET_TYPE_STRUCT:
    case DUET_TYPE_MAP:
        value->v.nested.column = column;
        value->v.nested.row = row;
        break;
    case DUET_TYPE_NULL:
        break;
    }
}

static gsize
count_nulls(const DuetColumn *column)
{
    if (column->validity == NULL)
        return column->type->id == DUET_TYPE_NULL ? column->length : 0;
    gsize nulls = 0;
    for (gsize row = 0; row < column->length; row++)
        nulls += !duet_column_valid_fast(column, row);
    return nulls;
}

DuetColumn *
duet_column_slice(DuetColumn *column, gsize start, gsize length)
{
    g_return_val_if_fail(start + length <= column->length, NULL);
    DuetColumn *slice = g_new0(DuetColumn, 1);
    slice->ref_count = 1;
    slice->type = duet_data_type_ref(column->type);
    slice->offset = column->offset + start;
    slice->length = length;
    slice->validity = column->validity ? g_bytes_ref(column->validity) : NULL;
    slice->values = column->values ? g_bytes_ref(column->values) : NULL;
    slice->data = column->data ? g_bytes_ref(column->data) : NULL;
    slice->n_children = column->n_children;
    if (column->n_children > 0) {
        slice->children = g_new0(DuetColumn *, column->n_children);
        for (guint child = 0; child < column->n_children; child++)
            slice->children[child] = duet_column_ref(column->children[child]);
    }
    slice->null_count = column->null_count == 0 ? 0 : count_nulls(slice);
    return slice;
}

DuetColumn *
duet_column_take(const DuetColumn *column, const guint32 *rows, gsize n_rows)
{
    DuetColumnBuilder *builder = duet_column_builder_new(column->type, n_rows);
    gsize width = duet_data_type_fixed_width(column->type);
    if (width > 0 && column->validity == NULL) {
        /* Fast gather for fixed-width columns without nulls. */
        const guint8 *values = values_at(column, width);
        builder->values = g_realloc(builder->values, MAX(n_rows * width, 1));
        builder->values_capacity = MAX(n_rows * width, 1);
        switch (width) {
        case 8:
            for (gsize index = 0; index < n_rows; index++)
                ((guint64 *)builder->values)[index] = ((const guint64 *)values)[rows[index]];
            break;
        case 4:
            for (gsize index = 0; index < n_rows; index++)
                ((guint32 *)builder->values)[index] = ((const guint32 *)values)[rows[index]];
            break;
        default:
            for (gsize index = 0; index < n_rows; index++)
                builder->values[index] = values[rows[index]];
            break;
        }
        builder->values_len = n_rows * width;
        builder->length = n_rows;
    } else if (column->type->id == DUET_TYPE_STRING && column->validity == NULL) {
        const gint64 *offsets = duet_column_offsets(column);
        const char *data = duet_column_data(column);
        gsize total = 0;
        for (gsize index = 0; index < n_rows; index++)
            total += (gsize)(offsets[rows[index] + 1] - offsets[rows[index]]);
        builder->data = g_realloc(builder->data, MAX(total, 1));
        builder->data_capacity = MAX(total, 1);
        builder->values = g_realloc(builder->values, sizeof(gint64) * (n_rows + 1));
        builder->values_capacity = sizeof(gint64) * (n_rows + 1);
        gint64 *out_offsets = (gint64 *)builder->values;
        gsize position = 0;
        out_offsets[0] = 0;
        for (gsize index = 0; index < n_rows; index++) {
            gsize start = (gsize)offsets[rows[index]];
            gsize len = (gsize)offsets[rows[index] + 1] - start;
            memcpy(builder->data + position, data + start, len);
            position += len;
            out_offsets[index + 1] = (gint64)position;
        }
        builder->data_len = position;
        builder->values_len = sizeof(gint64) * (n_rows + 1);
        builder->length = n_rows;
    } else {
        for (gsize index = 0; index < n_rows; index++)
            duet_column_builder_append_from(builder, column, rows[index]);
    }
    DuetColumn *result = duet_column_builder_finish(builder);
    duet_column_builder_free(builder);
    return result;
}

DuetColumn *
duet_column_new_null(DuetDataType *type, gsize length)
{
    DuetColumnBuilder *builder = duet_column_builder_new(type, length);
    for (gsize row = 0; row < length; row++)
        duet_column_builder_append_null(builder);
    DuetColumn *column = duet_column_builder_finish(builder);
    duet_column_builder_free(builder);
    return column;
}

DuetColumn *
duet_column_concat(DuetColumn *const *columns, guint n, GError **error)
{
    g_return_val_if_fail(n > 0, NULL);
    gsize total = 0;
    for (guint column_idx = 0; column_idx < n; column_idx++) {
        if (!duet_data_type_equal(columns[column_idx]->type, columns[0]->type)) {
            g_autofree char *first = duet_data_type_to_string(columns[0]->type);
            g_autofree char *other = duet_data_type_to_string(columns[column_idx]->type);
            g_set_error(error, DUET_BATCH_ERROR, DUET_BATCH_ERROR_SCHEMA,
                        "cannot concatenate a %s column with a %s column", first, other);
            return NULL;
        }
        total += columns[column_idx]->length;
    }
    if (n == 1)
        return duet_column_ref(columns[0]);
    DuetColumnBuilder *builder = duet_column_builder_new(columns[0]->type, total);
    for (guint column_idx = 0; column_idx < n; column_idx++)
        duet_column_builder_append_range(builder, columns[column_idx], 0,
                                         columns[column_idx]->length);
    DuetColumn *result = duet_column_builder_finish(builder);
    duet_column_builder_free(builder);
    return result;
}

/* ---- Hash, equality, order ---------------------------------------------------------------- */

guint64
duet_column_hash_row(const DuetColumn *column, gsize row, guint64 seed)
{
    DuetValue value;
    duet_column_get_value(column, row, &value);
    return duet_value_hash(&value, seed);
}

gboolean
duet_column_rows_equal(const DuetColumn *a, gsize row_a, const DuetColumn *b, gsize row_b)
{
    DuetValue x, y;
    duet_column_get_value(a, row_a, &x);
    duet_column_get_value(b, row_b, &y);
    return duet_value_equal(&x, &y);
}

int
duet_column_compare_rows(const DuetColumn *a, gsize row_a, const DuetColumn *b, gsize row_b)
{
    DuetValue x, y;
    duet_column_get_value(a, row_a, &x);
    duet_column_get_value(b, row_b, &y);
    return duet_value_compare(&x, &y);
}
