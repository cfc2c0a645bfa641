/* internal.h — what the files of rdd/ share and nobody else may see.
 *
 * Layer: rdd/ private. The layouts of columns, batches and builders, so that the engine's hot
 * loops (hashing, shuffling, gathering) read buffers directly instead of through accessors.
 * Compiling this header outside rdd/ is an error: the build defines DUET_RDD_COMPILATION for
 * rdd/'s own files only.
 */
#pragma once

#ifndef DUET_RDD_COMPILATION
#error "rdd/internal.h is private to rdd/; include rdd/rdd.h instead"
#endif

#include "rdd/rdd.h"

G_BEGIN_DECLS

struct _DuetDataType {
    gint ref_count;          /* atomic; scalar singletons are never freed */
    DuetTypeId id;           /* which type */
    DuetDataType *element;   /* array element type; map key type */
    DuetDataType *value;     /* map value type */
    gboolean contains_null;  /* array elements / map values may be null */
    DuetSchema *fields;      /* struct fields */
};

struct _DuetSchema {
    gint ref_count;  /* atomic */
    GArray *fields;  /* of DuetField */
};

/* A column is a window [offset, offset + length) over shared buffers. */
struct _DuetColumn {
    gint ref_count;          /* atomic */
    DuetDataType *type;      /* owned */
    gsize length;            /* rows in this window */
    gsize offset;            /* first row of the window in the buffers below */
    gsize null_count;        /* nulls within the window */
    GBytes *validity;        /* bitmap over the buffers (bit offset+row); NULL = no nulls */
    GBytes *values;          /* fixed width values, or int64 offsets (length+1 from offset) */
    GBytes *data;            /* string/binary bytes; NULL otherwise */
    guint n_children;        /* array: 1, map: 2, struct: n fields */
    DuetColumn **children;   /* owned; whole child columns (offsets index into them) */
};

struct _DuetColumnBuilder {
    DuetDataType *type;        /* owned */
    gsize length;              /* rows appended */
    gsize null_count;          /* nulls appended */
    guint8 *validity;          /* allocated lazily at the first null; bit per row */
    gsize validity_capacity;   /* bytes */
    guint8 *values;            /* fixed-width values or int64 offsets */
    gsize values_len;          /* bytes used */
    gsize values_capacity;     /* bytes */
    guint8 *data;              /* string bytes */
    gsize data_len;            /* bytes used */
    gsize data_capacity;       /* bytes */
    guint n_children;          /* as in DuetColumn */
    DuetColumnBuilder **children; /* owned */
};

struct _DuetBatch {
    gint ref_count;        /* atomic */
    DuetSchema *schema;    /* owned */
    gsize n_rows;          /* rows in every column */
    guint n_columns;       /* fields of the schema */
    DuetColumn **columns;  /* owned */
};

struct _DuetBatchBuilder {
    DuetSchema *schema;             /* owned */
    guint n_columns;                /* fields of the schema */
    DuetColumnBuilder **columns;    /* owned */
};

/* Fast inline reads for engine loops (no bounds checks: callers guarantee row < length). */
static inline gboolean
duet_column_valid_fast(const DuetColumn *column, gsize row)
{
    if (column->validity == NULL)
        return TRUE;
    const guint8 *bits = g_bytes_get_data(column->validity, NULL);
    gsize bit = column->offset + row;
    return (bits[bit >> 3] >> (bit & 7)) & 1;
}

G_END_DECLS
