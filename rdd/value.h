/* value.h — one value of any duet type, by value, without allocating.
 *
 * Layer: rdd/. A DuetValue is what user functions receive and return one at a time (reduce
 * functions, mapValues, state updates). Scalars are held inline; strings and binaries point at
 * bytes owned by somebody else (a batch buffer, a task's scratch arena, a constant); nested
 * values (array, struct, map) point at one row of a column. Nothing here owns memory, so a
 * DuetValue is valid only as long as what it points into.
 */
#pragma once

#include "rdd/types.h"

G_BEGIN_DECLS

typedef struct _DuetColumn DuetColumn;

typedef struct {
    DuetTypeId type;  /* the value's type id; DUET_TYPE_NULL for an untyped null */
    gboolean is_null; /* TRUE: the union below is meaningless */
    union {
        gboolean boolean; /* DUET_TYPE_BOOLEAN */
        gint32 i32;       /* DUET_TYPE_INT32 and DUET_TYPE_DATE */
        gint64 i64;       /* DUET_TYPE_INT64 and DUET_TYPE_TIMESTAMP */
        gdouble f64;      /* DUET_TYPE_DOUBLE */
        struct {
            const char *data; /* not NUL-terminated; borrowed */
            gsize len;        /* in bytes */
        } str;                /* DUET_TYPE_STRING and DUET_TYPE_BINARY */
        struct {
            const DuetColumn *column; /* borrowed; the nested column itself */
            gsize row;                /* row within that column */
        } nested;                     /* DUET_TYPE_ARRAY, DUET_TYPE_STRUCT, DUET_TYPE_MAP */
    } v;
} DuetValue;

/* Constructors, for readable user functions. */
static inline DuetValue
duet_value_null(void)
{
    DuetValue value = {.type = DUET_TYPE_NULL, .is_null = TRUE};
    return value;
}

static inline DuetValue
duet_value_int32(gint32 x)
{
    DuetValue value = {.type = DUET_TYPE_INT32, .is_null = FALSE, .v.i32 = x};
    return value;
}

static inline DuetValue
duet_value_int64(gint64 x)
{
    DuetValue value = {.type = DUET_TYPE_INT64, .is_null = FALSE, .v.i64 = x};
    return value;
}

static inline DuetValue
duet_value_double(gdouble x)
{
    DuetValue value = {.type = DUET_TYPE_DOUBLE, .is_null = FALSE, .v.f64 = x};
    return value;
}

static inline DuetValue
duet_value_boolean(gboolean x)
{
    DuetValue value = {.type = DUET_TYPE_BOOLEAN, .is_null = FALSE, .v.boolean = x ? TRUE : FALSE};
    return value;
}

static inline DuetValue
duet_value_string(const char *data, gsize len)
{
    DuetValue value = {.type = DUET_TYPE_STRING, .is_null = FALSE};
    value.v.str.data = data;
    value.v.str.len = len;
    return value;
}

static inline DuetValue
duet_value_timestamp(gint64 micros)
{
    DuetValue value = {.type = DUET_TYPE_TIMESTAMP, .is_null = FALSE, .v.i64 = micros};
    return value;
}

/* Nested values. A list (array) value: its length and its elements; a map value: its entries'
 * keys and values; a struct value: its fields. The element values borrow from the same
 * column as the nested value. */
gsize duet_value_list_length(const DuetValue *list);
void duet_value_list_get(const DuetValue *list, gsize index, DuetValue *element);
void duet_value_map_get(const DuetValue *map, gsize index, DuetValue *key, DuetValue *value);
guint duet_value_struct_n_fields(const DuetValue *value);
void duet_value_struct_get(const DuetValue *value, guint field, DuetValue *out);

/* Hash of a value, equal for equal values (int32 1 and int64 1 hash alike, so that keys of
 * either width meet in a shuffle; -0.0 and 0.0 too, and every NaN). Uses XXH3. */
guint64 duet_value_hash(const DuetValue *value, guint64 seed);
/* Equality as Spark's keys compare: numbers by value across widths, strings by bytes, nulls
 * equal to nulls (as in grouping), NaN equal to NaN, nested values element by element. */
gboolean duet_value_equal(const DuetValue *a, const DuetValue *b);
/* Total order used by sortByKey: nulls first, then numbers by value (NaN last), strings and
 * binaries by unsigned bytes, booleans false < true, nested lexicographically. */
int duet_value_compare(const DuetValue *a, const DuetValue *b);
/* Numeric value as a double or int64, whatever the numeric type; FALSE if not numeric. */
gboolean duet_value_as_double(const DuetValue *value, gdouble *out);
gboolean duet_value_as_int64(const DuetValue *value, gint64 *out);

G_END_DECLS
