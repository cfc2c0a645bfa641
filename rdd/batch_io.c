/* batch_io.c — the binary encoding of batches for checkpoints, state stores and logs.
 *
 * Layer: rdd/. Includes rdd/ only. Little-endian. A batch is its schema, its row count, then
 * each column's window written from row 0: a validity flag and bitmap, then the values
 * (fixed width), or rebased int64 offsets plus bytes (string/binary), or rebased offsets plus
 * the referenced range of the child columns (array/map), or the children (struct). Reading
 * checks every count, length and offset against what remains, so damaged input is a
 * DUET_BATCH_ERROR_CORRUPT error and never a crash.
 */
#include "rdd/batch_io.h"
#include "rdd/internal.h"

#define MAX_NESTING 64

/* ---- Writing ------------------------------------------------------------------------------ */

static void
put_u8(GByteArray *out, guint8 value)
{
    g_byte_array_append(out, &value, 1);
}

static void
put_u32(GByteArray *out, guint32 value)
{
    value = GUINT32_TO_LE(value);
    g_byte_array_append(out, (const guint8 *)&value, 4);
}

static void
put_u64(GByteArray *out, guint64 value)
{
    value = GUINT64_TO_LE(value);
    g_byte_array_append(out, (const guint8 *)&value, 8);
}

static void put_schema(GByteArray *out, const DuetSchema *schema);

static void
put_type(GByteArray *out, const DuetDataType *type)
{
    put_u8(out, (guint8)type->id);
    switch (type->id) {
    case DUET_TYPE_ARRAY:
        put_u8(out, (guint8)type->contains_null);
        put_type(out, type->element);
        break;
    case DUET_TYPE_MAP:
        put_u8(out, (guint8)type->contains_null);
        put_type(out, type->element);
        put_type(out, type->value);
        break;
    case DUET_TYPE_STRUCT:
        put_schema(out, type->fields);
        break;
    default:
        break;
    }
}

static void
put_schema(GByteArray *out, const DuetSchema *schema)
{
    put_u32(out, duet_schema_n_fields(schema));
    for (guint field_idx = 0; field_idx < duet_schema_n_fields(schema); field_idx++) {
        const DuetField *field = duet_schema_field(schema, field_idx);
        gsize len = strlen(field->name);
        put_u32(out, (guint32)len);
        g_byte_array_append(out, (const guint8 *)field->name, (guint)len);
        put_u8(out, (guint8)field->nullable);
        put_type(out, field->type);
    }
}

static gboolean
window_valid(const DuetColumn *column, gsize absolute)
{
    if (column->validity == NULL)
        return TRUE;
    const guint8 *bits = g_bytes_get_data(column->validity, NULL);
    return (bits[absolute >> 3] >> (absolute & 7)) & 1;
}

/* Writes rows [start, start + n) of the column's buffers (absolute indices). */
static void
put_window(GByteArray *out, const DuetColumn *column, gsize start, gsize n)
{
    gboolean has_nulls = column->validity != NULL;
    put_u8(out, (guint8)has_nulls);
    if (has_nulls) {
        gsize n_bytes = (n + 7) / 8;
        guint8 *bits = g_malloc0(MAX(n_bytes, 1));
        for (gsize row = 0; row < n; row++) {
            if (window_valid(column, start + row))
                bits[row >> 3] |= (guint8)(1u << (row & 7));
        }
        g_byte_array_append(out, bits, (guint)n_bytes);
        g_free(bits);
    }
    const guint8 *values = column->values ? g_bytes_get_data(column->values, NULL) : NULL;
    gsize width = duet_data_type_fixed_width(column->type);
    switch (column->type->id) {
    case DUET_TYPE_NULL:
        break;
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
    case DUET_TYPE_ARRAY:
    case DUET_TYPE_MAP: {
        const gint64 *offsets = (const gint64 *)values + start;
        gint64 base = offsets[0];
        for (gsize row = 0; row <= n; row++)
            put_u64(out, (guint64)(offsets[row] - base));
        gsize span = (gsize)(offsets[n] - base);
        if (column->type->id == DUET_TYPE_STRING || column->type->id == DUET_TYPE_BINARY) {
            const guint8 *data = g_bytes_get_data(column->data, NULL);
            g_byte_array_append(out, data + base, (guint)span);
        } else {
            for (guint child = 0; child < column->n_children; child++)
                put_window(out, column->children[child], (gsize)base, span);
        }
        break;
    }
    case DUET_TYPE_STRUCT:
        for (guint child = 0; child < column->n_children; child++)
            put_window(out, column->children[child], start, n);
        break;
    default:
        if (G_BYTE_ORDER == G_LITTLE_ENDIAN) {
            g_byte_array_append(out, values + start * width, (guint)(n * width));
        } else {
            for (gsize row = 0; row < n; row++) {
                if (width == 8)
                    put_u64(out, ((const guint64 *)values)[start + row]);
                else if (width == 4)
                    put_u32(out, ((const guint32 *)values)[start + row]);
                else
                    put_u8(out, values[start + row]);
            }
        }
        break;
    }
}

void
duet_batch_serialize(const DuetBatch *batch, GByteArray *out)
{
    put_schema(out, batch->schema);
    put_u64(out, batch->n_rows);
    for (guint column = 0; column < batch->n_columns; column++) {
        const DuetColumn *col = batch->columns[column];
        put_window(out, col, col->offset, batch->n_rows);
    }
}

/* ---- Reading ------------------------------------------------------------------------------ */

typedef struct {
    const guint8 *data;
    gsize len;
    gsize offset;
    GError **error;
    gboolean failed;
} Reader;

static gboolean
corrupt(Reader *reader, const char *what)
{
    if (!reader->failed)
        g_set_error(reader->error, DUET_BATCH_ERROR, DUET_BATCH_ERROR_CORRUPT,
                    "damaged batch encoding at byte %zu: %s", reader->offset, what);
    reader->failed = TRUE;
    return FALSE;
}

static gboolean
take(Reader *reader, gsize n, const guint8 **out)
{
    if (reader->failed)
        return FALSE;
    if (n > reader->len - reader->offset)
        return corrupt(reader, "truncated");
    *out = reader->data + reader->offset;
    reader->offset += n;
    return TRUE;
}

static gboolean
get_u8(Reader *reader, guint8 *value)
{
    const guint8 *bytes;
    if (!take(reader, 1, &bytes))
        return FALSE;
    *value = bytes[0];
    return TRUE;
}

static gboolean
get_u32(Reader *reader, guint32 *value)
{
    const guint8 *bytes;
    if (!take(reader, 4, &bytes))
        return FALSE;
    memcpy(value, bytes, 4);
    *value = GUINT32_FROM_LE(*value);
    return TRUE;
}

static gboolean
get_u64(Reader *reader, guint64 *value)
{
    const guint8 *bytes;
    if (!take(reader, 8, &bytes))
        return FALSE;
    memcpy(value, bytes, 8);
    *value = GUINT64_FROM_LE(*value);
    return TRUE;
}

static DuetSchema *get_schema(Reader *reader, guint depth);

static DuetDataType *
get_type(Reader *reader, guint depth)
{
    guint8 id;
    if (depth > MAX_NESTING) {
        corrupt(reader, "types nested too deeply");
        return NULL;
    }
    if (!get_u8(reader, &id))
        return NULL;
    if (id <= DUET_TYPE_DATE)
        return duet_data_type_new_scalar((DuetTypeId)id);
    guint8 contains_null;
    switch (id) {
    case DUET_TYPE_ARRAY: {
        if (!get_u8(reader, &contains_null))
            return NULL;
        g_autoptr(DuetDataType) element = get_type(reader, depth + 1);
        return element ? duet_data_type_new_array(element, contains_null != 0) : NULL;
    }
    case DUET_TYPE_MAP: {
        if (!get_u8(reader, &contains_null))
            return NULL;
        g_autoptr(DuetDataType) key = get_type(reader, depth + 1);
        g_autoptr(DuetDataType) value = key ? get_type(reader, depth + 1) : NULL;
        return value ? duet_data_type_new_map(key, value, contains_null != 0) : NULL;
    }
    case DUET_TYPE_STRUCT: {
        g_autoptr(DuetSchema) fields = get_schema(reader, depth + 1);
        return fields ? duet_data_type_new_struct(fields) : NULL;
    }
    default:
        corrupt(reader, "unknown type id");
        return NULL;
    }
}

static DuetSchema *
get_schema(Reader *reader, guint depth)
{
    guint32 n_fields;
    if (!get_u32(reader, &n_fields))
        return NULL;
    if (n_fields > reader->len - reader->offset)
        return corrupt(reader, "impossible field count"), NULL;
    DuetSchema *schema = duet_schema_new();
    for (guint32 field_idx = 0; field_idx < n_fields; field_idx++) {
        guint32 name_len;
        const guint8 *name;
        guint8 nullable;
        if (!get_u32(reader, &name_len) || !take(reader, name_len, &name) ||
            !get_u8(reader, &nullable))
            break;
        g_autoptr(DuetDataType) type = get_type(reader, depth);
        if (type == NULL)
            break;
        g_autofree char *field_name = g_strndup((const char *)name, name_len);
        duet_schema_add_field(schema, field_name, type, nullable != 0);
    }
    if (reader->failed) {
        duet_schema_unref(schema);
        return NULL;
    }
    return schema;
}

static GBytes *
copy_bytes(const guint8 *data, gsize len)
{
    return g_bytes_new(data, len);
}

/* Reads n rows of a column of type. */
static DuetColumn *
get_column(Reader *reader, DuetDataType *type, gsize n, guint depth)
{
    if (depth > MAX_NESTING) {
        corrupt(reader, "columns nested too deeply");
        return NULL;
    }
    guint8 has_nulls;
    if (!get_u8(reader, &has_nulls))
        return NULL;
    DuetColumn *column = g_new0(DuetColumn, 1);
    column->ref_count = 1;
    column->type = duet_data_type_ref(type);
    column->length = n;
    const guint8 *bytes;
    if (has_nulls) {
        if (!take(reader, (n + 7) / 8, &bytes))
            goto fail;
        column->validity = copy_bytes(bytes, (n + 7) / 8);
        column->null_count = 0;
        for (gsize row = 0; row < n; row++)
            column->null_count += !((bytes[row >> 3] >> (row & 7)) & 1);
        if (column->null_count == 0)
            g_clear_pointer(&column->validity, g_bytes_unref);
    }
    gsize width = duet_data_type_fixed_width(type);
    switch (type->id) {
    case DUET_TYPE_NULL:
        column->null_count = n;
        column->values = g_bytes_new(NULL, 0);
        break;
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
    case DUET_TYPE_ARRAY:
    case DUET_TYPE_MAP: {
        if (n + 1 > (reader->len - reader->offset) / 8 + 1) {
            corrupt(reader, "truncated offsets");
            goto fail;
        }
        if (!take(reader, (n + 1) * 8, &bytes))
            goto fail;
        gint64 *offsets = g_new(gint64, n + 1);
        for (gsize row = 0; row <= n; row++) {
            guint64 value;
            memcpy(&value, bytes + row * 8, 8);
            offsets[row] = (gint64)GUINT64_FROM_LE(value);
            if (offsets[row] < 0 || (row == 0 && offsets[0] != 0) ||
                (row > 0 && offsets[row] < offsets[row - 1])) {
                g_free(offsets);
                corrupt(reader, "offsets out of order");
                goto fail;
            }
        }
        column->values = g_bytes_new_take(offsets, (n + 1) * 8);
        gsize span = (gsize)offsets[n];
        if (type->id == DUET_TYPE_STRING || type->id == DUET_TYPE_BINARY) {
            if (!take(reader, span, &bytes))
                goto fail;
            column->data = copy_bytes(bytes, span);
        } else {
            if (span > reader->len) {
                corrupt(reader, "impossible element count");
                goto fail;
            }
            column->n_children = type->id == DUET_TYPE_ARRAY ? 1 : 2;
            column->children = g_new0(DuetColumn *, column->n_children);
            DuetDataType *child_types[2] = {type->element, type->value};
            for (guint child = 0; child < column->n_children; child++) {
                column->children[child] = get_column(reader, child_types[child], span, depth + 1);
                if (column->children[child] == NULL)
                    goto fail;
            }
        }
        break;
    }
    case DUET_TYPE_STRUCT: {
        column->n_children = duet_schema_n_fields(type->fields);
        column->children = g_new0(DuetColumn *, MAX(column->n_children, 1));
        column->values = g_bytes_new(NULL, 0);
        for (guint child = 0; child < column->n_children; child++) {
            column->children[child] =
                get_column(reader, duet_schema_field(type->fields, child)->type, n, depth + 1);
            if (column->children[child] == NULL)
                goto fail;
        }
        break;
    }
    default:
        if (n > (reader->len - reader->offset) / width || !take(reader, n * width, &bytes)) {
            corrupt(reader, "truncated values");
            goto fail;
        }
        if (G_BYTE_ORDER == G_LITTLE_ENDIAN) {
            column->values = copy_bytes(bytes, n * width);
        } else {
            guint8 *swapped = g_memdup2(bytes, n * width);
            for (gsize row = 0; row < n; row++) {
                if (width == 8)
                    ((guint64 *)swapped)[row] = GUINT64_FROM_LE(((guint64 *)swapped)[row]);
                else if (width == 4)
                    ((guint32 *)swapped)[row] = GUINT32_FROM_LE(((guint32 *)swapped)[row]);
            }
            column->values = g_bytes_new_take(swapped, n * width);
        }
        break;
    }
    return column;
fail:
    duet_column_unref(column);
    return NULL;
}

DuetBatch *
duet_batch_deserialize(const guint8 *data, gsize len, gsize *offset, GError **error)
{
    g_return_val_if_fail(offset != NULL && *offset <= len, NULL);
    Reader reader = {data, len, *offset, error, FALSE};
    g_autoptr(DuetSchema) schema = get_schema(&reader, 0);
    if (schema == NULL)
        return NULL;
    guint64 n_rows;
    if (!get_u64(&reader, &n_rows))
        return NULL;
    guint n_columns = duet_schema_n_fields(schema);
    if (n_columns > 0 && n_rows > len) {
        corrupt(&reader, "impossible row count");
        return NULL;
    }
    DuetColumn **columns = g_new0(DuetColumn *, MAX(n_columns, 1));
    gboolean ok = TRUE;
    for (guint column = 0; column < n_columns && ok; column++) {
        columns[column] =
            get_column(&reader, duet_schema_field(schema, column)->type, (gsize)n_rows, 0);
        ok = columns[column] != NULL;
    }
    DuetBatch *batch = NULL;
    if (ok) {
        batch = g_new0(DuetBatch, 1);
        batch->ref_count = 1;
        batch->schema = duet_schema_ref(schema);
        batch->n_rows = (gsize)n_rows;
        batch->n_columns = n_columns;
        batch->columns = columns;
        *offset = reader.offset;
    } else {
        for (guint column = 0; column < n_columns; column++)
            if (columns[column])
                duet_column_unref(columns[column]);
        g_free(columns);
    }
    return batch;
}
