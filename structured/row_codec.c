/* row_codec.c — cells of a row as compact bytes, and back into column builders.
 *
 * Layer: structured/. Stateful operators key their state by grouping values and ship partial
 * aggregates and whole rows through the RDD core's shuffle as BINARY cells; this is the byte
 * form (Spark's UnsafeRow plays the same part). A cell is a null flag, then the value:
 * booleans 1 byte, int/date 4, bigint/timestamp/double 8 (little-endian), strings and binaries
 * a 4-byte length and the bytes, structs their fields in order, arrays a 4-byte count and the
 * elements. Two equal values always encode to equal bytes, so the bytes are the key.
 */
#include "structured/internal.h"

#include <math.h>
#include <string.h>

static void
put(GByteArray *out, const void *data, gsize len)
{
    g_byte_array_append(out, data, (guint)len);
}

void
duet_row_codec_append_cell(GByteArray *out, const DuetColumn *column, gsize row)
{
    guint8 is_null = duet_column_is_null(column, row);
    put(out, &is_null, 1);
    if (is_null)
        return;
    DuetDataType *type = duet_column_type(column);
    switch (duet_data_type_id(type)) {
    case DUET_TYPE_NULL:
        return;
    case DUET_TYPE_BOOLEAN: {
        guint8 value = duet_column_get_boolean(column, row) ? 1 : 0;
        put(out, &value, 1);
        return;
    }
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE: {
        gint32 value = GINT32_TO_LE(duet_column_get_int32(column, row));
        put(out, &value, 4);
        return;
    }
    case DUET_TYPE_INT64:
    case DUET_TYPE_TIMESTAMP: {
        gint64 value = GINT64_TO_LE(duet_column_get_int64(column, row));
        put(out, &value, 8);
        return;
    }
    case DUET_TYPE_DOUBLE: {
        gdouble value = duet_column_get_double(column, row);
        if (value == 0)
            value = 0; /* -0.0 groups with 0.0, as in Spark */
        if (isnan(value))
            value = NAN; /* every NaN is one key */
        put(out, &value, 8);
        return;
    }
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY: {
        gsize len = 0;
        const char *data = duet_column_get_string(column, row, &len);
        guint32 length = GUINT32_TO_LE((guint32)len);
        put(out, &length, 4);
        put(out, data, len);
        return;
    }
    case DUET_TYPE_STRUCT:
        for (guint field = 0; field < duet_column_n_children(column); field++)
            duet_row_codec_append_cell(out, duet_column_child(column, field), row);
        return;
    case DUET_TYPE_ARRAY:
    case DUET_TYPE_MAP: {
        gsize start = 0, end = 0;
        duet_column_list_range(column, row, &start, &end);
        guint32 count = GUINT32_TO_LE((guint32)(end - start));
        put(out, &count, 4);
        for (gsize element = start; element < end; element++)
            for (guint child = 0; child < duet_column_n_children(column); child++)
                duet_row_codec_append_cell(out, duet_column_child(column, child), element);
        return;
    }
    }
}

void
duet_row_codec_put_i64(GByteArray *out, gint64 value)
{
    value = GINT64_TO_LE(value);
    g_byte_array_append(out, (const guint8 *)&value, 8);
}

gint64
duet_row_codec_get_i64(const guint8 *at)
{
    gint64 value;
    memcpy(&value, at, 8);
    return GINT64_FROM_LE(value);
}

void
duet_row_codec_append_value(GByteArray *out, const DuetValue *value)
{
    gboolean nested = value->type == DUET_TYPE_STRUCT || value->type == DUET_TYPE_ARRAY ||
                      value->type == DUET_TYPE_MAP;
    if (nested && !value->is_null) {
        duet_row_codec_append_cell(out, value->v.nested.column, value->v.nested.row);
        return;
    }
    guint8 is_null = value->is_null;
    put(out, &is_null, 1);
    if (is_null)
        return;
    switch (value->type) {
    case DUET_TYPE_BOOLEAN: {
        guint8 flag = value->v.boolean ? 1 : 0;
        put(out, &flag, 1);
        return;
    }
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE: {
        gint32 x = GINT32_TO_LE(value->v.i32);
        put(out, &x, 4);
        return;
    }
    case DUET_TYPE_INT64:
    case DUET_TYPE_TIMESTAMP: {
        gint64 x = GINT64_TO_LE(value->v.i64);
        put(out, &x, 8);
        return;
    }
    case DUET_TYPE_DOUBLE:
        put(out, &value->v.f64, 8);
        return;
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY: {
        guint32 length = GUINT32_TO_LE((guint32)value->v.str.len);
        put(out, &length, 4);
        put(out, value->v.str.data, value->v.str.len);
        return;
    }
    default:
        return; /* nested values were written by the cell encoder above */
    }
}

static gboolean
take(DuetByteReader *reader, void *data, gsize len)
{
    if ((gsize)(reader->end - reader->at) < len) {
        reader->damaged = TRUE;
        return FALSE;
    }
    memcpy(data, reader->at, len);
    reader->at += len;
    return TRUE;
}

gboolean
duet_row_codec_read_value(DuetByteReader *reader, DuetTypeId type, DuetValue *value)
{
    guint8 is_null = 1;
    if (!take(reader, &is_null, 1))
        return FALSE;
    value->type = type;
    value->is_null = is_null != 0;
    if (value->is_null)
        return TRUE;
    switch (type) {
    case DUET_TYPE_BOOLEAN: {
        guint8 flag = 0;
        if (!take(reader, &flag, 1))
            return FALSE;
        value->v.boolean = flag != 0;
        return TRUE;
    }
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE: {
        gint32 x = 0;
        if (!take(reader, &x, 4))
            return FALSE;
        value->v.i32 = GINT32_FROM_LE(x);
        return TRUE;
    }
    case DUET_TYPE_INT64:
    case DUET_TYPE_TIMESTAMP: {
        gint64 x = 0;
        if (!take(reader, &x, 8))
            return FALSE;
        value->v.i64 = GINT64_FROM_LE(x);
        return TRUE;
    }
    case DUET_TYPE_DOUBLE:
        return take(reader, &value->v.f64, 8);
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY: {
        guint32 length = 0;
        if (!take(reader, &length, 4))
            return FALSE;
        length = GUINT32_FROM_LE(length);
        if ((gsize)(reader->end - reader->at) < length) {
            reader->damaged = TRUE;
            return FALSE;
        }
        value->v.str.data = (const char *)reader->at;
        value->v.str.len = length;
        reader->at += length;
        return TRUE;
    }
    default:
        reader->damaged = TRUE; /* nested values are read with duet_row_codec_read_cell */
        return FALSE;
    }
}

gboolean
duet_row_codec_read_cell(DuetByteReader *reader, DuetColumnBuilder *builder)
{
    DuetDataType *type = duet_column_builder_type(builder);
    DuetTypeId id = duet_data_type_id(type);
    if (id == DUET_TYPE_STRUCT || id == DUET_TYPE_ARRAY || id == DUET_TYPE_MAP) {
        guint8 is_null = 1;
        if (!take(reader, &is_null, 1))
            return FALSE;
        if (is_null) {
            duet_column_builder_append_null(builder);
            return TRUE;
        }
        if (id == DUET_TYPE_STRUCT) {
            guint n = duet_schema_n_fields(duet_data_type_fields(type));
            for (guint field = 0; field < n; field++)
                if (!duet_row_codec_read_cell(reader, duet_column_builder_child(builder, field)))
                    return FALSE;
            duet_column_builder_end_struct(builder);
            return TRUE;
        }
        guint32 count = 0;
        if (!take(reader, &count, 4))
            return FALSE;
        count = GUINT32_FROM_LE(count);
        guint children = id == DUET_TYPE_MAP ? 2 : 1;
        for (guint32 element = 0; element < count; element++)
            for (guint child = 0; child < children; child++)
                if (!duet_row_codec_read_cell(reader, duet_column_builder_child(builder, child)))
                    return FALSE;
        duet_column_builder_end_list(builder);
        return TRUE;
    }
    DuetValue value;
    if (!duet_row_codec_read_value(reader, id, &value))
        return FALSE;
    if (value.is_null)
        duet_column_builder_append_null(builder);
    else
        duet_column_builder_append_value(builder, &value);
    return TRUE;
}
