/* column_builder.c — building columns value by value, without allocating per value.
 *
 * Layer: rdd/. Includes rdd/ only. A builder owns growable raw buffers (values or int64
 * offsets, string bytes, a validity bitmap created at the first null) and child builders for
 * nested types; buffers double when full. finish() wraps the buffers in GBytes without copying
 * and leaves the builder empty for the next column.
 *
 * Layout produced (see internal.h): fixed-width values at index row; for string/binary/array/
 * map, offsets[row] .. offsets[row + 1] index the bytes or the child's elements; struct
 * children have one entry per row.
 */
#include "rdd/internal.h"

static void
reserve(guint8 **buffer, gsize *capacity, gsize needed)
{
    if (needed <= *capacity)
        return;
    gsize grown = MAX(*capacity * 2, 64);
    while (grown < needed)
        grown *= 2;
    *buffer = g_realloc(*buffer, grown);
    *capacity = grown;
}

static gboolean
has_offsets(DuetTypeId id)
{
    return id == DUET_TYPE_STRING || id == DUET_TYPE_BINARY || id == DUET_TYPE_ARRAY ||
           id == DUET_TYPE_MAP;
}

static void
start_offsets(DuetColumnBuilder *builder)
{
    if (!has_offsets(builder->type->id))
        return;
    reserve(&builder->values, &builder->values_capacity, sizeof(gint64));
    memset(builder->values, 0, sizeof(gint64));
    builder->values_len = sizeof(gint64);
}

DuetColumnBuilder *
duet_column_builder_new(DuetDataType *type, gsize capacity)
{
    g_return_val_if_fail(type != NULL, NULL);
    DuetColumnBuilder *builder = g_new0(DuetColumnBuilder, 1);
    builder->type = duet_data_type_ref(type);
    gsize width = duet_data_type_fixed_width(type);
    if (width > 0)
        reserve(&builder->values, &builder->values_capacity, width * MAX(capacity, 1));
    else if (has_offsets(type->id))
        reserve(&builder->values, &builder->values_capacity, sizeof(gint64) * (capacity + 1));
    if (type->id == DUET_TYPE_STRING || type->id == DUET_TYPE_BINARY)
        reserve(&builder->data, &builder->data_capacity, 8 * MAX(capacity, 1));
    start_offsets(builder);
    switch (type->id) {
    case DUET_TYPE_ARRAY:
        builder->n_children = 1;
        builder->children = g_new0(DuetColumnBuilder *, 1);
        builder->children[0] = duet_column_builder_new(type->element, capacity);
        break;
    case DUET_TYPE_MAP:
        builder->n_children = 2;
        builder->children = g_new0(DuetColumnBuilder *, 2);
        builder->children[0] = duet_column_builder_new(type->element, capacity);
        builder->children[1] = duet_column_builder_new(type->value, capacity);
        break;
    case DUET_TYPE_STRUCT:
        builder->n_children = duet_schema_n_fields(type->fields);
        builder->children = g_new0(DuetColumnBuilder *, MAX(builder->n_children, 1));
        for (guint child = 0; child < builder->n_children; child++)
            builder->children[child] =
                duet_column_builder_new(duet_schema_field(type->fields, child)->type, capacity);
        break;
    default:
        break;
    }
    return builder;
}

void
duet_column_builder_free(DuetColumnBuilder *builder)
{
    if (builder == NULL)
        return;
    for (guint child = 0; child < builder->n_children; child++)
        duet_column_builder_free(builder->children[child]);
    g_free(builder->children);
    g_free(builder->values);
    g_free(builder->data);
    g_free(builder->validity);
    duet_data_type_unref(builder->type);
    g_free(builder);
}

DuetDataType *
duet_column_builder_type(const DuetColumnBuilder *builder)
{
    return builder->type;
}

gsize
duet_column_builder_length(const DuetColumnBuilder *builder)
{
    return builder->length;
}

/* Records the validity of the row being appended (row = builder->length). */
static inline void
set_valid(DuetColumnBuilder *builder, gboolean valid)
{
    gsize row = builder->length;
    if (valid && builder->validity == NULL)
        return;
    if (builder->validity == NULL) {
        /* First null: every earlier row was valid. */
        gsize bytes = MAX(row / 8 + 1, 16);
        builder->validity = g_malloc(bytes * 2);
        builder->validity_capacity = bytes * 2;
        memset(builder->validity, 0xff, builder->validity_capacity);
    }
    /* Bytes added by growing are uninitialised; that is fine because every row from the first
     * null on sets or clears its own bit here. */
    reserve(&builder->validity, &builder->validity_capacity, row / 8 + 1);
    guint8 *byte = &builder->validity[row / 8];
    if (valid)
        *byte |= (guint8)(1u << (row % 8));
    else
        *byte &= (guint8) ~(1u << (row % 8));
}

static inline void
push_fixed(DuetColumnBuilder *builder, const void *value, gsize width)
{
    reserve(&builder->values, &builder->values_capacity, builder->values_len + width);
    memcpy(builder->values + builder->values_len, value, width);
    builder->values_len += width;
}

static inline void
push_offset(DuetColumnBuilder *builder, gint64 offset)
{
    push_fixed(builder, &offset, sizeof offset);
}

void
duet_column_builder_append_null(DuetColumnBuilder *builder)
{
    static const guint8 zeros[8] = {0};
    set_valid(builder, FALSE);
    builder->null_count++;
    switch (builder->type->id) {
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
        push_offset(builder, (gint64)builder->data_len);
        break;
    case DUET_TYPE_ARRAY:
    case DUET_TYPE_MAP:
        push_offset(builder, (gint64)builder->children[0]->length);
        break;
    case DUET_TYPE_STRUCT:
        for (guint child = 0; child < builder->n_children; child++)
            duet_column_builder_append_null(builder->children[child]);
        break;
    case DUET_TYPE_NULL:
        break;
    default:
        push_fixed(builder, zeros, duet_data_type_fixed_width(builder->type));
        break;
    }
    builder->length++;
}

void
duet_column_builder_append_boolean(DuetColumnBuilder *builder, gboolean x)
{
    g_return_if_fail(builder->type->id == DUET_TYPE_BOOLEAN);
    guint8 byte = x ? 1 : 0;
    set_valid(builder, TRUE);
    push_fixed(builder, &byte, 1);
    builder->length++;
}

void
duet_column_builder_append_int32(DuetColumnBuilder *builder, gint32 x)
{
    g_return_if_fail(builder->type->id == DUET_TYPE_INT32 || builder->type->id == DUET_TYPE_DATE);
    set_valid(builder, TRUE);
    push_fixed(builder, &x, sizeof x);
    builder->length++;
}

void
duet_column_builder_append_int64(DuetColumnBuilder *builder, gint64 x)
{
    g_return_if_fail(builder->type->id == DUET_TYPE_INT64 ||
                     builder->type->id == DUET_TYPE_TIMESTAMP);
    set_valid(builder, TRUE);
    push_fixed(builder, &x, sizeof x);
    builder->length++;
}

void
duet_column_builder_append_double(DuetColumnBuilder *builder, gdouble x)
{
    g_return_if_fail(builder->type->id == DUET_TYPE_DOUBLE);
    set_valid(builder, TRUE);
    push_fixed(builder, &x, sizeof x);
    builder->length++;
}

void
duet_column_builder_append_string(DuetColumnBuilder *builder, const char *data, gssize len)
{
    g_return_if_fail(builder->type->id == DUET_TYPE_STRING ||
                     builder->type->id == DUET_TYPE_BINARY);
    gsize n = len < 0 ? strlen(data) : (gsize)len;
    set_valid(builder, TRUE);
    reserve(&builder->data, &builder->data_capacity, builder->data_len + n);
    if (n > 0)
        memcpy(builder->data + builder->data_len, data, n);
    builder->data_len += n;
    push_offset(builder, (gint64)builder->data_len);
    builder->length++;
}

DuetColumnBuilder *
duet_column_builder_child(DuetColumnBuilder *builder, guint index)
{
    g_return_val_if_fail(index < builder->n_children, NULL);
    return builder->children[index];
}

void
duet_column_builder_end_list(DuetColumnBuilder *builder)
{
    g_return_if_fail(builder->type->id == DUET_TYPE_ARRAY || builder->type->id == DUET_TYPE_MAP);
    set_valid(builder, TRUE);
    push_offset(builder, (gint64)builder->children[0]->length);
    builder->length++;
}

void
duet_column_builder_end_struct(DuetColumnBuilder *builder)
{
    g_return_if_fail(builder->type->id == DUET_TYPE_STRUCT);
    set_valid(builder, TRUE);
    builder->length++;
}

/* Appends a nested value referenced by (column, row), deep. */
static void append_cell(DuetColumnBuilder *builder, const DuetColumn *column, gsize row);

gboolean
duet_column_builder_append_value(DuetColumnBuilder *builder, const DuetValue *value)
{
    DuetTypeId target = builder->type->id;
    if (value->is_null || value->type == DUET_TYPE_NULL) {
        duet_column_builder_append_null(builder);
        return TRUE;
    }
    switch (target) {
    case DUET_TYPE_BOOLEAN:
        if (value->type != DUET_TYPE_BOOLEAN)
            return FALSE;
        duet_column_builder_append_boolean(builder, value->v.boolean);
        return TRUE;
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE:
        if (value->type != DUET_TYPE_INT32 && value->type != DUET_TYPE_DATE)
            return FALSE;
        duet_column_builder_append_int32(builder, value->v.i32);
        return TRUE;
    case DUET_TYPE_INT64:
    case DUET_TYPE_TIMESTAMP:
        if (value->type == DUET_TYPE_INT64 || value->type == DUET_TYPE_TIMESTAMP)
            duet_column_builder_append_int64(builder, value->v.i64);
        else if (value->type == DUET_TYPE_INT32)
            duet_column_builder_append_int64(builder, value->v.i32);
        else
            return FALSE;
        return TRUE;
    case DUET_TYPE_DOUBLE:
        if (value->type == DUET_TYPE_DOUBLE)
            duet_column_builder_append_double(builder, value->v.f64);
        else if (value->type == DUET_TYPE_INT32)
            duet_column_builder_append_double(builder, value->v.i32);
        else if (value->type == DUET_TYPE_INT64)
            duet_column_builder_append_double(builder, (gdouble)value->v.i64);
        else
            return FALSE;
        return TRUE;
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
        if (value->type != DUET_TYPE_STRING && value->type != DUET_TYPE_BINARY)
            return FALSE;
        duet_column_builder_append_string(builder, value->v.str.data, (gssize)value->v.str.len);
        return TRUE;
    case DUET_TYPE_ARRAY:
    case DUET_TYPE_STRUCT:
    case DUET_TYPE_MAP:
        if (value->type != target ||
            !duet_data_type_equal(value->v.nested.column->type, builder->type))
            return FALSE;
        append_cell(builder, value->v.nested.column, value->v.nested.row);
        return TRUE;
    case DUET_TYPE_NULL:
        return FALSE;
    }
    return FALSE;
}

static void
append_cell(DuetColumnBuilder *builder, const DuetColumn *column, gsize row)
{
    if (duet_column_is_null(column, row)) {
        duet_column_builder_append_null(builder);
        return;
    }
    switch (builder->type->id) {
    case DUET_TYPE_BOOLEAN:
        duet_column_builder_append_boolean(builder, duet_column_get_boolean(column, row));
        break;
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE:
        duet_column_builder_append_int32(builder, duet_column_get_int32(column, row));
        break;
    case DUET_TYPE_INT64:
    case DUET_TYPE_TIMESTAMP:
        duet_column_builder_append_int64(builder, duet_column_get_int64(column, row));
        break;
    case DUET_TYPE_DOUBLE:
        duet_column_builder_append_double(builder, duet_column_get_double(column, row));
        break;
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY: {
        gsize len;
        const char *data = duet_column_get_string(column, row, &len);
        duet_column_builder_append_string(builder, data, (gssize)len);
        break;
    }
    case DUET_TYPE_ARRAY:
    case DUET_TYPE_MAP: {
        gsize start, end;
        duet_column_list_range(column, row, &start, &end);
        for (guint child = 0; child < builder->n_children; child++)
            duet_column_builder_append_range(builder->children[child], column->children[child],
                                             start, end - start);
        duet_column_builder_end_list(builder);
        break;
    }
    case DUET_TYPE_STRUCT:
        for (guint child = 0; child < builder->n_children; child++)
            append_cell(builder->children[child], column->children[child], column->offset + row);
        duet_column_builder_end_struct(builder);
        break;
    case DUET_TYPE_NULL:
        duet_column_builder_append_null(builder);
        break;
    }
}

void
duet_column_builder_append_from(DuetColumnBuilder *builder, const DuetColumn *column, gsize row)
{
    g_return_if_fail(row < column->length);
    append_cell(builder, column, row);
}

void
duet_column_builder_append_range(DuetColumnBuilder *builder, const DuetColumn *column, gsize start,
                                 gsize n)
{
    g_return_if_fail(start + n <= column->length);
    gsize width = duet_data_type_fixed_width(builder->type);
    if (width > 0 && column->validity == NULL && builder->validity == NULL) {
        /* Fast path: one memcpy for fixed-width columns without nulls. */
        const guint8 *values = g_bytes_get_data(column->values, NULL);
        reserve(&builder->values, &builder->values_capacity, builder->values_len + n * width);
        memcpy(builder->values + builder->values_len, values + (column->offset + start) * width,
               n * width);
        builder->values_len += n * width;
        builder->length += n;
        return;
    }
    for (gsize row = start; row < start + n; row++)
        append_cell(builder, column, row);
}

DuetColumn *
duet_column_builder_finish(DuetColumnBuilder *builder)
{
    DuetColumn *column = g_new0(DuetColumn, 1);
    column->ref_count = 1;
    column->type = duet_data_type_ref(builder->type);
    column->length = builder->length;
    column->null_count = builder->null_count;
    if (builder->null_count > 0)
        column->validity = g_bytes_new_take(builder->validity, builder->validity_capacity);
    else
        g_free(builder->validity);
    column->values = g_bytes_new_take(builder->values, builder->values_len);
    if (builder->type->id == DUET_TYPE_STRING || builder->type->id == DUET_TYPE_BINARY)
        column->data = g_bytes_new_take(builder->data, builder->data_len);
    else
        g_free(builder->data);
    column->n_children = builder->n_children;
    if (builder->n_children > 0) {
        column->children = g_new0(DuetColumn *, builder->n_children);
        for (guint child = 0; child < builder->n_children; child++)
            column->children[child] = duet_column_builder_finish(builder->children[child]);
    }
    builder->length = builder->null_count = 0;
    builder->validity = builder->values = builder->data = NULL;
    builder->validity_capacity = builder->values_capacity = builder->data_capacity = 0;
    builder->values_len = builder->data_len = 0;
    start_offsets(builder);
    return column;
}
