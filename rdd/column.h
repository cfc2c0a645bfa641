/* column.h — immutable, reference-counted columns, and the builders that make them.
 *
 * Layer: rdd/. A column is one field's values for the rows of a batch, in the layout Arrow and
 * DuckDB use: a validity bitmap (absent when the column has no nulls), then
 *   - fixed-width types: one flat value array (bool as one byte, int32, int64, double, ...);
 *   - string/binary: int64 offsets (length + 1 of them) into one byte buffer;
 *   - array: int64 offsets into one child column of elements;
 *   - map: int64 offsets into two child columns, keys and values;
 *   - struct: one child column per field, each as long as the struct column.
 * Buffers are GBytes: a slice shares them and only moves its window (offset, length), so slicing
 * and projecting never copy. Raw accessors exist for vectorised operators; they return pointers
 * already adjusted to the column's first row.
 *
 * A DuetColumnBuilder is mutable and single-threaded; duet_column_builder_finish() hands its
 * buffers to an immutable column which may then cross threads freely. Appending never
 * allocates per value: buffers grow geometrically.
 */
#pragma once

#include "rdd/value.h"

G_BEGIN_DECLS

typedef struct _DuetColumnBuilder DuetColumnBuilder;

DuetColumn *duet_column_ref(DuetColumn *column);
void duet_column_unref(DuetColumn *column);

/* (transfer none) */
DuetDataType *duet_column_type(const DuetColumn *column);
gsize duet_column_length(const DuetColumn *column);
gsize duet_column_null_count(const DuetColumn *column);

/* Per-row access. row must be < length (g_return on misuse). */
gboolean duet_column_is_null(const DuetColumn *column, gsize row);
gboolean duet_column_get_boolean(const DuetColumn *column, gsize row);
gint32 duet_column_get_int32(const DuetColumn *column, gsize row);
gint64 duet_column_get_int64(const DuetColumn *column, gsize row);
gdouble duet_column_get_double(const DuetColumn *column, gsize row);
/* Borrowed bytes of a string/binary cell (not NUL-terminated); *len receives the size. */
const char *duet_column_get_string(const DuetColumn *column, gsize row, gsize *len);
/* Fills *value with the cell, borrowing from the column. */
void duet_column_get_value(const DuetColumn *column, gsize row, DuetValue *value);

/* Nested access. For arrays and maps: the [start, end) element range of a row in the child
 * column(s). For structs: child i is field i. (transfer none) */
void duet_column_list_range(const DuetColumn *column, gsize row, gsize *start, gsize *end);
guint duet_column_n_children(const DuetColumn *column);
DuetColumn *duet_column_child(const DuetColumn *column, guint index);

/* Raw accessors for vectorised code: pointers to the first row of this column's window.
 * validity is NULL when the column has no nulls; otherwise bit (bit_offset + row) is 1 for a
 * valid row. */
const guint8 *duet_column_validity(const DuetColumn *column, gsize *bit_offset);
const void *duet_column_values(const DuetColumn *column);    /* fixed-width types */
const gint64 *duet_column_offsets(const DuetColumn *column); /* string/binary/array/map */
const char *duet_column_data(const DuetColumn *column);      /* string/binary bytes */

/* A window of rows [start, start + length), sharing buffers. (transfer full) */
DuetColumn *duet_column_slice(DuetColumn *column, gsize start, gsize length);
/* A column of the given rows, in the given order (a gather; copies). */
DuetColumn *duet_column_take(const DuetColumn *column, const guint32 *rows, gsize n_rows);
/* A column of length rows, all null. */
DuetColumn *duet_column_new_null(DuetDataType *type, gsize length);
/* Concatenation of columns of the same type (copies). */
DuetColumn *duet_column_concat(DuetColumn *const *columns, guint n, GError **error);

/* Hash / equality / comparison of one cell, same semantics as the duet_value_* functions. */
guint64 duet_column_hash_row(const DuetColumn *column, gsize row, guint64 seed);
gboolean duet_column_rows_equal(const DuetColumn *a, gsize row_a, const DuetColumn *b, gsize row_b);
int duet_column_compare_rows(const DuetColumn *a, gsize row_a, const DuetColumn *b, gsize row_b);

/* Builders. (transfer none) on type. capacity is a hint in rows. */
DuetColumnBuilder *duet_column_builder_new(DuetDataType *type, gsize capacity);
void duet_column_builder_free(DuetColumnBuilder *builder);
/* (transfer none) */
DuetDataType *duet_column_builder_type(const DuetColumnBuilder *builder);
gsize duet_column_builder_length(const DuetColumnBuilder *builder);

void duet_column_builder_append_null(DuetColumnBuilder *builder);
void duet_column_builder_append_boolean(DuetColumnBuilder *builder, gboolean x);
void duet_column_builder_append_int32(DuetColumnBuilder *builder, gint32 x); /* int32, date */
void duet_column_builder_append_int64(DuetColumnBuilder *builder, gint64 x); /* int64, ts */
void duet_column_builder_append_double(DuetColumnBuilder *builder, gdouble x);
void duet_column_builder_append_string(DuetColumnBuilder *builder, const char *data, gssize len);
/* Appends a value, converting between numeric widths when the value's type differs from the
 * column's (an int32 value into an int64 column, ...). Returns FALSE, appending nothing, when
 * the value cannot be stored in this column. */
gboolean duet_column_builder_append_value(DuetColumnBuilder *builder, const DuetValue *value);
/* Copies one cell of a column of the same type (deep, for nested types). */
void duet_column_builder_append_from(DuetColumnBuilder *builder, const DuetColumn *column,
                                     gsize row);
/* Copies rows [start, start + n) of a column of the same type. */
void duet_column_builder_append_range(DuetColumnBuilder *builder, const DuetColumn *column,
                                      gsize start, gsize n);

/* Nested building. For an array (child 0) or a map (children 0 = keys, 1 = values): append the
 * row's elements to the child builder(s), then call end_list to close the row. For a struct:
 * append one value to every child, then end_struct. A null nested row is append_null (which
 * appends nulls to struct children so lengths stay equal). (transfer none) */
DuetColumnBuilder *duet_column_builder_child(DuetColumnBuilder *builder, guint index);
void duet_column_builder_end_list(DuetColumnBuilder *builder);
void duet_column_builder_end_struct(DuetColumnBuilder *builder);

/* Hands the buffers to a new immutable column and resets the builder to empty, so that one
 * builder can produce many columns. (transfer full) */
DuetColumn *duet_column_builder_finish(DuetColumnBuilder *builder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetColumn, duet_column_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetColumnBuilder, duet_column_builder_free)

G_END_DECLS
