/* batch_builder.c — building a batch row by row or column by column.
 *
 * Layer: rdd/. Includes rdd/ only. One column builder per field; finish() checks that every
 * column got the same number of values, which is how a user function that appended a partial
 * row is caught.
 */
#include "rdd/internal.h"

DuetDataType *
duet_schema_element_type(DuetSchema *schema)
{
    if (duet_schema_n_fields(schema) == 1)
        return duet_data_type_ref(duet_schema_field(schema, 0)->type);
    return duet_data_type_new_struct(schema);
}

void
duet_column_builder_append_row(DuetColumnBuilder *builder, const DuetRow *row)
{
    guint n_columns = duet_batch_n_columns(row->batch);
    if (n_columns == 1) {
        duet_column_builder_append_from(builder, duet_batch_column(row->batch, 0), row->index);
        return;
    }
    for (guint column = 0; column < n_columns; column++)
        duet_column_builder_append_from(duet_column_builder_child(builder, column),
                                        duet_batch_column(row->batch, column), row->index);
    duet_column_builder_end_struct(builder);
}

DuetBatchBuilder *
duet_batch_builder_new(DuetSchema *schema, gsize capacity)
{
    g_return_val_if_fail(schema != NULL, NULL);
    DuetBatchBuilder *builder = g_new0(DuetBatchBuilder, 1);
    builder->schema = duet_schema_ref(schema);
    builder->n_columns = duet_schema_n_fields(schema);
    builder->columns = g_new0(DuetColumnBuilder *, MAX(builder->n_columns, 1));
    for (guint column = 0; column < builder->n_columns; column++)
        builder->columns[column] =
            duet_column_builder_new(duet_schema_field(schema, column)->type, capacity);
    return builder;
}

void
duet_batch_builder_free(DuetBatchBuilder *builder)
{
    if (builder == NULL)
        return;
    for (guint column = 0; column < builder->n_columns; column++)
        duet_column_builder_free(builder->columns[column]);
    g_free(builder->columns);
    duet_schema_unref(builder->schema);
    g_free(builder);
}

DuetSchema *
duet_batch_builder_schema(const DuetBatchBuilder *builder)
{
    return builder->schema;
}

DuetColumnBuilder *
duet_batch_builder_column(DuetBatchBuilder *builder, guint index)
{
    g_return_val_if_fail(index < builder->n_columns, NULL);
    return builder->columns[index];
}

gsize
duet_batch_builder_n_rows(const DuetBatchBuilder *builder)
{
    return builder->n_columns > 0 ? builder->columns[0]->length : 0;
}

gboolean
duet_batch_builder_append_values(DuetBatchBuilder *builder, const DuetValue *values)
{
    /* Check first so that a failure appends nothing. */
    for (guint column = 0; column < builder->n_columns; column++) {
        const DuetValue *value = &values[column];
        if (value->is_null || value->type == DUET_TYPE_NULL)
            continue;
        DuetTypeId target = builder->columns[column]->type->id;
        gboolean fits = value->type == target ||
                        (target == DUET_TYPE_INT64 && value->type == DUET_TYPE_INT32) ||
                        (target == DUET_TYPE_DOUBLE &&
                         (value->type == DUET_TYPE_INT32 || value->type == DUET_TYPE_INT64)) ||
                        (target == DUET_TYPE_TIMESTAMP && value->type == DUET_TYPE_INT64) ||
                        (target == DUET_TYPE_INT64 && value->type == DUET_TYPE_TIMESTAMP) ||
                        (target == DUET_TYPE_DATE && value->type == DUET_TYPE_INT32) ||
                        (target == DUET_TYPE_INT32 && value->type == DUET_TYPE_DATE) ||
                        (target == DUET_TYPE_STRING && value->type == DUET_TYPE_BINARY) ||
                        (target == DUET_TYPE_BINARY && value->type == DUET_TYPE_STRING);
        if (!fits)
            return FALSE;
    }
    for (guint column = 0; column < builder->n_columns; column++)
        duet_column_builder_append_value(builder->columns[column], &values[column]);
    return TRUE;
}

void
duet_batch_builder_append_row(DuetBatchBuilder *builder, const DuetRow *row)
{
    for (guint column = 0; column < builder->n_columns; column++)
        duet_column_builder_append_from(builder->columns[column],
                                        duet_batch_column(row->batch, column), row->index);
}

void
duet_batch_builder_append_int32(DuetBatchBuilder *builder, guint column, gint32 x)
{
    duet_column_builder_append_int32(builder->columns[column], x);
}

void
duet_batch_builder_append_int64(DuetBatchBuilder *builder, guint column, gint64 x)
{
    duet_column_builder_append_int64(builder->columns[column], x);
}

void
duet_batch_builder_append_double(DuetBatchBuilder *builder, guint column, gdouble x)
{
    duet_column_builder_append_double(builder->columns[column], x);
}

void
duet_batch_builder_append_boolean(DuetBatchBuilder *builder, guint column, gboolean x)
{
    duet_column_builder_append_boolean(builder->columns[column], x);
}

void
duet_batch_builder_append_string(DuetBatchBuilder *builder, guint column, const char *data,
                                 gssize len)
{
    duet_column_builder_append_string(builder->columns[column], data, len);
}

void
duet_batch_builder_append_null(DuetBatchBuilder *builder, guint column)
{
    duet_column_builder_append_null(builder->columns[column]);
}

DuetBatch *
duet_batch_builder_finish(DuetBatchBuilder *builder, GError **error)
{
    gsize n_rows = duet_batch_builder_n_rows(builder);
    for (guint column = 1; column < builder->n_columns; column++) {
        gsize length = builder->columns[column]->length;
        if (length != n_rows) {
            g_set_error(error, DUET_BATCH_ERROR, DUET_BATCH_ERROR_LENGTH,
                        "column %u (%s) has %zu rows, column 0 (%s) has %zu: a function "
                        "appended a partial row",
                        column, duet_schema_field(builder->schema, column)->name, length,
                        duet_schema_field(builder->schema, 0)->name, n_rows);
            /* Reset so the builder can be reused. */
            for (guint reset = 0; reset < builder->n_columns; reset++)
                duet_column_unref(duet_column_builder_finish(builder->columns[reset]));
            return NULL;
        }
    }
    DuetColumn **columns = g_new(DuetColumn *, MAX(builder->n_columns, 1));
    for (guint column = 0; column < builder->n_columns; column++)
        columns[column] = duet_column_builder_finish(builder->columns[column]);
    DuetBatch *batch = g_new0(DuetBatch, 1);
    batch->ref_count = 1;
    batch->schema = duet_schema_ref(builder->schema);
    batch->n_rows = n_rows;
    batch->n_columns = builder->n_columns;
    batch->columns = columns;
    return batch;
}
