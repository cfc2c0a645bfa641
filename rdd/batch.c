/* batch.c — immutable columnar batches: construction, slicing, projection, gathering,
 * concatenation, and row views.
 *
 * Layer: rdd/. Includes rdd/ only. A batch is a schema plus one column per field, all of one
 * length. Everything here either shares the columns (slice, project) or copies through the
 * column functions (take, concat).
 */
#include "rdd/internal.h"

G_DEFINE_QUARK(duet - batch - error - quark, duet_batch_error)

static DuetBatch *
batch_alloc(DuetSchema *schema, gsize n_rows)
{
    DuetBatch *batch = g_new0(DuetBatch, 1);
    batch->ref_count = 1;
    batch->schema = duet_schema_ref(schema);
    batch->n_rows = n_rows;
    batch->n_columns = duet_schema_n_fields(schema);
    batch->columns = g_new0(DuetColumn *, MAX(batch->n_columns, 1));
    return batch;
}

DuetBatch *
duet_batch_new(DuetSchema *schema, DuetColumn *const *columns, GError **error)
{
    g_return_val_if_fail(schema != NULL, NULL);
    guint n_columns = duet_schema_n_fields(schema);
    gsize n_rows = n_columns > 0 ? columns[0]->length : 0;
    for (guint column = 0; column < n_columns; column++) {
        const DuetField *field = duet_schema_field(schema, column);
        if (!duet_data_type_equal(field->type, columns[column]->type)) {
            g_autofree char *want = duet_data_type_to_string(field->type);
            g_autofree char *got = duet_data_type_to_string(columns[column]->type);
            g_set_error(error, DUET_BATCH_ERROR, DUET_BATCH_ERROR_SCHEMA,
                        "column %u (%s) should be %s but is %s", column, field->name, want, got);
            return NULL;
        }
        if (columns[column]->length != n_rows) {
            g_set_error(error, DUET_BATCH_ERROR, DUET_BATCH_ERROR_LENGTH,
                        "column %u (%s) has %zu rows, column 0 has %zu", column, field->name,
                        columns[column]->length, n_rows);
            return NULL;
        }
    }
    DuetBatch *batch = batch_alloc(schema, n_rows);
    for (guint column = 0; column < n_columns; column++)
        batch->columns[column] = duet_column_ref(columns[column]);
    return batch;
}

DuetBatch *
duet_batch_new_empty(DuetSchema *schema)
{
    DuetBatch *batch = batch_alloc(schema, 0);
    for (guint column = 0; column < batch->n_columns; column++)
        batch->columns[column] = duet_column_new_null(duet_schema_field(schema, column)->type, 0);
    return batch;
}

DuetBatch *
duet_batch_ref(DuetBatch *batch)
{
    g_return_val_if_fail(batch != NULL, NULL);
    g_atomic_int_inc(&batch->ref_count);
    return batch;
}

void
duet_batch_unref(DuetBatch *batch)
{
    if (batch == NULL || !g_atomic_int_dec_and_test(&batch->ref_count))
        return;
    for (guint column = 0; column < batch->n_columns; column++)
        duet_column_unref(batch->columns[column]);
    g_free(batch->columns);
    duet_schema_unref(batch->schema);
    g_free(batch);
}

DuetSchema *
duet_batch_schema(const DuetBatch *batch)
{
    return batch->schema;
}

gsize
duet_batch_n_rows(const DuetBatch *batch)
{
    return batch->n_rows;
}

guint
duet_batch_n_columns(const DuetBatch *batch)
{
    return batch->n_columns;
}

DuetColumn *
duet_batch_column(const DuetBatch *batch, guint index)
{
    g_return_val_if_fail(index < batch->n_columns, NULL);
    return batch->columns[index];
}

DuetBatch *
duet_batch_slice(DuetBatch *batch, gsize start, gsize length)
{
    g_return_val_if_fail(start + length <= batch->n_rows, NULL);
    if (start == 0 && length == batch->n_rows)
        return duet_batch_ref(batch);
    DuetBatch *slice = batch_alloc(batch->schema, length);
    for (guint column = 0; column < batch->n_columns; column++)
        slice->columns[column] = duet_column_slice(batch->columns[column], start, length);
    return slice;
}

DuetBatch *
duet_batch_project(DuetBatch *batch, const guint *columns, guint n)
{
    g_autoptr(DuetSchema) schema = duet_schema_project(batch->schema, columns, n);
    DuetBatch *projected = batch_alloc(schema, batch->n_rows);
    for (guint column = 0; column < n; column++)
        projected->columns[column] = duet_column_ref(batch->columns[columns[column]]);
    return projected;
}

DuetBatch *
duet_batch_take(DuetBatch *batch, const guint32 *rows, gsize n_rows)
{
    DuetBatch *taken = batch_alloc(batch->schema, n_rows);
    for (guint column = 0; column < batch->n_columns; column++)
        taken->columns[column] = duet_column_take(batch->columns[column], rows, n_rows);
    return taken;
}

DuetBatch *
duet_batch_concat(DuetSchema *schema, DuetBatch *const *batches, guint n, GError **error)
{
    if (n == 0)
        return duet_batch_new_empty(schema);
    if (n == 1 && duet_schema_equal(batches[0]->schema, schema))
        return duet_batch_ref(batches[0]);
    gsize n_rows = 0;
    for (guint batch_idx = 0; batch_idx < n; batch_idx++) {
        if (!duet_schema_equal(batches[batch_idx]->schema, schema)) {
            g_autofree char *want = duet_schema_to_string(schema);
            g_autofree char *got = duet_schema_to_string(batches[batch_idx]->schema);
            g_set_error(error, DUET_BATCH_ERROR, DUET_BATCH_ERROR_SCHEMA,
                        "cannot concatenate a batch of %s into %s", got, want);
            return NULL;
        }
        n_rows += batches[batch_idx]->n_rows;
    }
    DuetBatch *result = batch_alloc(schema, n_rows);
    DuetColumn **parts = g_new(DuetColumn *, n);
    for (guint column = 0; column < result->n_columns; column++) {
        for (guint batch_idx = 0; batch_idx < n; batch_idx++)
            parts[batch_idx] = batches[batch_idx]->columns[column];
        result->columns[column] = duet_column_concat(parts, n, NULL);
    }
    g_free(parts);
    return result;
}

gboolean
duet_batch_equal(const DuetBatch *a, const DuetBatch *b)
{
    if (!duet_schema_equal(a->schema, b->schema) || a->n_rows != b->n_rows)
        return FALSE;
    for (guint column = 0; column < a->n_columns; column++) {
        for (gsize row = 0; row < a->n_rows; row++) {
            if (!duet_column_rows_equal(a->columns[column], row, b->columns[column], row))
                return FALSE;
        }
    }
    return TRUE;
}

/* ---- Row views ---------------------------------------------------------------------------- */

gboolean
duet_row_is_null(const DuetRow *row, guint column)
{
    return duet_column_is_null(row->batch->columns[column], row->index);
}

gboolean
duet_row_get_boolean(const DuetRow *row, guint column)
{
    return duet_column_get_boolean(row->batch->columns[column], row->index);
}

gint32
duet_row_get_int32(const DuetRow *row, guint column)
{
    return duet_column_get_int32(row->batch->columns[column], row->index);
}

gint64
duet_row_get_int64(const DuetRow *row, guint column)
{
    return duet_column_get_int64(row->batch->columns[column], row->index);
}

gdouble
duet_row_get_double(const DuetRow *row, guint column)
{
    return duet_column_get_double(row->batch->columns[column], row->index);
}

const char *
duet_row_get_string(const DuetRow *row, guint column, gsize *len)
{
    return duet_column_get_string(row->batch->columns[column], row->index, len);
}

void
duet_row_get_value(const DuetRow *row, guint column, DuetValue *value)
{
    duet_column_get_value(row->batch->columns[column], row->index, value);
}

guint64
duet_row_hash(const DuetRow *row, guint64 seed)
{
    guint64 hash = seed;
    for (guint column = 0; column < row->batch->n_columns; column++)
        hash = duet_column_hash_row(row->batch->columns[column], row->index, hash + column);
    return hash;
}

gboolean
duet_row_equal(const DuetRow *a, const DuetRow *b)
{
    if (a->batch->n_columns != b->batch->n_columns)
        return FALSE;
    for (guint column = 0; column < a->batch->n_columns; column++) {
        if (!duet_column_rows_equal(a->batch->columns[column], a->index, b->batch->columns[column],
                                    b->index))
            return FALSE;
    }
    return TRUE;
}
