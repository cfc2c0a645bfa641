/* batch.h — the unit of data everywhere: an immutable, reference-counted, columnar block.
 *
 * Layer: rdd/. A batch is a schema, a row count and one DuetColumn per field. It is built once
 * with a DuetBatchBuilder and never changed; slices and projections share buffers. A batch
 * crosses threads without locks. Row views (DuetRow) let code read one row at a time without
 * allocating.
 *
 * Rows as elements: an RDD's element is one row of its batches. A one-column row stands for a
 * bare value (Spark's RDD[Int]); a row of n >= 2 columns stands for an n-tuple whose fields are
 * named _1.._n by convention (Spark's RDD[(K, V)]). Pair operations (reduceByKey, join, ...)
 * take column 0 as the key and column 1 as the value.
 */
#pragma once

#include "rdd/column.h"

G_BEGIN_DECLS

typedef struct _DuetBatch DuetBatch;
typedef struct _DuetBatchBuilder DuetBatchBuilder;

#define DUET_BATCH_ERROR (duet_batch_error_quark())
GQuark duet_batch_error_quark(void);

typedef enum {
    DUET_BATCH_ERROR_SCHEMA,  /* columns do not match the schema */
    DUET_BATCH_ERROR_LENGTH,  /* columns of different lengths */
    DUET_BATCH_ERROR_CORRUPT, /* a serialized batch is damaged */
    DUET_BATCH_ERROR_FAILED,
} DuetBatchError;

/* A read-only view of one row of a batch. Visible so that it lives on the stack. */
typedef struct {
    const DuetBatch *batch; /* borrowed */
    gsize index;            /* row within the batch */
} DuetRow;

/* A batch from columns whose lengths and types match the schema. (transfer none) on schema and
 * on each column (the batch takes references). */
DuetBatch *duet_batch_new(DuetSchema *schema, DuetColumn *const *columns, GError **error);
/* A batch with no rows. */
DuetBatch *duet_batch_new_empty(DuetSchema *schema);

DuetBatch *duet_batch_ref(DuetBatch *batch);
void duet_batch_unref(DuetBatch *batch);

/* (transfer none) */
DuetSchema *duet_batch_schema(const DuetBatch *batch);
gsize duet_batch_n_rows(const DuetBatch *batch);
guint duet_batch_n_columns(const DuetBatch *batch);
/* (transfer none) */
DuetColumn *duet_batch_column(const DuetBatch *batch, guint index);

/* Rows [start, start + length), sharing buffers. (transfer full) */
DuetBatch *duet_batch_slice(DuetBatch *batch, gsize start, gsize length);
/* The listed columns in that order, sharing buffers. (transfer full) */
DuetBatch *duet_batch_project(DuetBatch *batch, const guint *columns, guint n);
/* The given rows in that order (a gather; copies). */
DuetBatch *duet_batch_take(DuetBatch *batch, const guint32 *rows, gsize n_rows);
/* Concatenates batches of equal schemas (copies); zero batches give an empty batch of
 * schema. (transfer none) on the array and its batches. */
DuetBatch *duet_batch_concat(DuetSchema *schema, DuetBatch *const *batches, guint n,
                             GError **error);
/* Same schema, same rows, same values (compared with duet_column_rows_equal). */
gboolean duet_batch_equal(const DuetBatch *a, const DuetBatch *b);

/* Row views. */
static inline DuetRow
duet_batch_row(const DuetBatch *batch, gsize index)
{
    DuetRow row = {batch, index};
    return row;
}

gboolean duet_row_is_null(const DuetRow *row, guint column);
gboolean duet_row_get_boolean(const DuetRow *row, guint column);
gint32 duet_row_get_int32(const DuetRow *row, guint column);
gint64 duet_row_get_int64(const DuetRow *row, guint column);
gdouble duet_row_get_double(const DuetRow *row, guint column);
const char *duet_row_get_string(const DuetRow *row, guint column, gsize *len);
void duet_row_get_value(const DuetRow *row, guint column, DuetValue *value);
/* Hash and equality of the whole row (all columns), for distinct and whole-row keys. */
guint64 duet_row_hash(const DuetRow *row, guint64 seed);
gboolean duet_row_equal(const DuetRow *a, const DuetRow *b);

/* Rows as elements: the type of one row taken as a single value (the column's type for one
 * column, a struct of the columns otherwise), and appending a row as such a value. */
DuetDataType *duet_schema_element_type(DuetSchema *schema);
void duet_column_builder_append_row(DuetColumnBuilder *builder, const DuetRow *row);

/* Builders: one column builder per field. A user function writing one output row appends
 * exactly one value to every column (the engine checks the lengths when the batch is
 * finished). (transfer none) on schema. */
DuetBatchBuilder *duet_batch_builder_new(DuetSchema *schema, gsize capacity);
void duet_batch_builder_free(DuetBatchBuilder *builder);
/* (transfer none) */
DuetSchema *duet_batch_builder_schema(const DuetBatchBuilder *builder);
DuetColumnBuilder *duet_batch_builder_column(DuetBatchBuilder *builder, guint index);
/* Rows appended so far (the length of column 0; 0 for a schema without columns). */
gsize duet_batch_builder_n_rows(const DuetBatchBuilder *builder);
/* Appends one row given as values, one per column. FALSE if a value does not fit its column
 * (nothing is appended then). */
gboolean duet_batch_builder_append_values(DuetBatchBuilder *builder, const DuetValue *values);
/* Copies one row of a batch with the same schema. */
void duet_batch_builder_append_row(DuetBatchBuilder *builder, const DuetRow *row);
/* Shorthand appends for column index. */
void duet_batch_builder_append_int32(DuetBatchBuilder *builder, guint column, gint32 x);
void duet_batch_builder_append_int64(DuetBatchBuilder *builder, guint column, gint64 x);
void duet_batch_builder_append_double(DuetBatchBuilder *builder, guint column, gdouble x);
void duet_batch_builder_append_boolean(DuetBatchBuilder *builder, guint column, gboolean x);
void duet_batch_builder_append_string(DuetBatchBuilder *builder, guint column, const char *data,
                                      gssize len);
void duet_batch_builder_append_null(DuetBatchBuilder *builder, guint column);

/* Finishes the batch and resets the builder for reuse. Fails (DUET_BATCH_ERROR_LENGTH) when the
 * columns have different lengths, i.e. a user function appended a partial row. */
DuetBatch *duet_batch_builder_finish(DuetBatchBuilder *builder, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetBatch, duet_batch_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetBatchBuilder, duet_batch_builder_free)

G_END_DECLS
