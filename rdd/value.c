/* value.c — hashing, equality and ordering of single values of any type.
 *
 * Layer: rdd/. Includes rdd/ only. These define what "the same key" and "sorted" mean for
 * the whole engine: integers of any width (and dates, timestamps) compare and hash by their
 * value as int64; doubles by value with -0.0 == 0.0 and NaN == NaN (Spark normalises both in
 * grouping keys); strings by bytes; nested values element by element.
 */
#include "rdd/internal.h"

#include <math.h>
#include <xxhash.h>

static gboolean
is_integer(DuetTypeId id)
{
    return id == DUET_TYPE_INT32 || id == DUET_TYPE_INT64 || id == DUET_TYPE_DATE ||
           id == DUET_TYPE_TIMESTAMP || id == DUET_TYPE_BOOLEAN;
}

static gint64
integer_of(const DuetValue *value)
{
    switch (value->type) {
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE:
        return value->v.i32;
    case DUET_TYPE_BOOLEAN:
        return value->v.boolean ? 1 : 0;
    default:
        return value->v.i64;
    }
}

gboolean
duet_value_as_int64(const DuetValue *value, gint64 *out)
{
    if (value->is_null)
        return FALSE;
    if (is_integer(value->type)) {
        *out = integer_of(value);
        return TRUE;
    }
    if (value->type == DUET_TYPE_DOUBLE) {
        *out = (gint64)value->v.f64;
        return TRUE;
    }
    return FALSE;
}

gboolean
duet_value_as_double(const DuetValue *value, gdouble *out)
{
    if (value->is_null)
        return FALSE;
    if (is_integer(value->type)) {
        *out = (gdouble)integer_of(value);
        return TRUE;
    }
    if (value->type == DUET_TYPE_DOUBLE) {
        *out = value->v.f64;
        return TRUE;
    }
    return FALSE;
}

static inline guint64
mix64(guint64 x)
{
    x ^= x >> 30;
    x *= G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= G_GUINT64_CONSTANT(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static guint64 hash_cell(const DuetColumn *column, gsize row, guint64 seed);

guint64
duet_value_hash(const DuetValue *value, guint64 seed)
{
    if (value->is_null || value->type == DUET_TYPE_NULL)
        return mix64(seed ^ G_GUINT64_CONSTANT(0x9e3779b97f4a7c15));
    if (is_integer(value->type))
        return mix64((guint64)integer_of(value) ^ seed);
    switch (value->type) {
    case DUET_TYPE_DOUBLE: {
        gdouble x = value->v.f64 == 0.0 ? 0.0 : value->v.f64;
        if (isnan(x))
            x = NAN;
        guint64 bits;
        memcpy(&bits, &x, sizeof bits);
        return mix64(bits ^ seed ^ G_GUINT64_CONSTANT(0x5851f42d4c957f2d));
    }
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
        return XXH3_64bits_withSeed(value->v.str.data, value->v.str.len, seed);
    case DUET_TYPE_ARRAY:
    case DUET_TYPE_MAP:
    case DUET_TYPE_STRUCT:
        return hash_cell(value->v.nested.column, value->v.nested.row, seed);
    default:
        return seed;
    }
}

/* A nested cell: combine the hashes of its parts in order. */
static guint64
hash_cell(const DuetColumn *column, gsize row, guint64 seed)
{
    guint64 hash = mix64(seed + (guint64)column->type->id);
    if (column->type->id == DUET_TYPE_STRUCT) {
        for (guint child = 0; child < column->n_children; child++) {
            DuetValue part;
            duet_column_get_value(column->children[child], column->offset + row, &part);
            hash = mix64(hash ^ duet_value_hash(&part, child));
        }
        return hash;
    }
    gsize start, end;
    duet_column_list_range(column, row, &start, &end);
    for (gsize element = start; element < end; element++) {
        for (guint child = 0; child < column->n_children; child++) {
            DuetValue part;
            duet_column_get_value(column->children[child], element, &part);
            hash = mix64(hash ^ duet_value_hash(&part, element - start));
        }
    }
    return hash;
}

/* Compares two nested cells; equal_only stops at the first difference without ordering. */
static int
compare_cells(const DuetColumn *a, gsize row_a, const DuetColumn *b, gsize row_b)
{
    if (a->type->id == DUET_TYPE_STRUCT && b->type->id == DUET_TYPE_STRUCT) {
        guint n = MIN(a->n_children, b->n_children);
        for (guint child = 0; child < n; child++) {
            DuetValue x, y;
            duet_column_get_value(a->children[child], a->offset + row_a, &x);
            duet_column_get_value(b->children[child], b->offset + row_b, &y);
            int order = duet_value_compare(&x, &y);
            if (order != 0)
                return order;
        }
        return (int)a->n_children - (int)b->n_children;
    }
    gsize start_a, end_a, start_b, end_b;
    duet_column_list_range(a, row_a, &start_a, &end_a);
    duet_column_list_range(b, row_b, &start_b, &end_b);
    gsize len_a = end_a - start_a, len_b = end_b - start_b;
    for (gsize element = 0; element < MIN(len_a, len_b); element++) {
        for (guint child = 0; child < MIN(a->n_children, b->n_children); child++) {
            DuetValue x, y;
            duet_column_get_value(a->children[child], start_a + element, &x);
            duet_column_get_value(b->children[child], start_b + element, &y);
            int order = duet_value_compare(&x, &y);
            if (order != 0)
                return order;
        }
    }
    return len_a < len_b ? -1 : len_a > len_b ? 1 : 0;
}

static int
compare_doubles(gdouble x, gdouble y)
{
    gboolean x_nan = isnan(x), y_nan = isnan(y);
    if (x_nan || y_nan)
        return x_nan - y_nan; /* NaN sorts last and equals itself, as in Spark */
    return (x > y) - (x < y);
}

int
duet_value_compare(const DuetValue *a, const DuetValue *b)
{
    gboolean a_null = a->is_null || a->type == DUET_TYPE_NULL;
    gboolean b_null = b->is_null || b->type == DUET_TYPE_NULL;
    if (a_null || b_null)
        return b_null - a_null; /* nulls first */
    if (is_integer(a->type) && is_integer(b->type)) {
        gint64 x = integer_of(a), y = integer_of(b);
        return (x > y) - (x < y);
    }
    gdouble x, y;
    if ((a->type == DUET_TYPE_DOUBLE || b->type == DUET_TYPE_DOUBLE) &&
        duet_value_as_double(a, &x) && duet_value_as_double(b, &y))
        return compare_doubles(x, y);
    gboolean a_bytes = a->type == DUET_TYPE_STRING || a->type == DUET_TYPE_BINARY;
    gboolean b_bytes = b->type == DUET_TYPE_STRING || b->type == DUET_TYPE_BINARY;
    if (a_bytes && b_bytes) {
        gsize n = MIN(a->v.str.len, b->v.str.len);
        int order = n ? memcmp(a->v.str.data, b->v.str.data, n) : 0;
        if (order != 0)
            return order < 0 ? -1 : 1;
        return (a->v.str.len > b->v.str.len) - (a->v.str.len < b->v.str.len);
    }
    if (a->type == b->type &&
        (a->type == DUET_TYPE_ARRAY || a->type == DUET_TYPE_MAP || a->type == DUET_TYPE_STRUCT))
        return compare_cells(a->v.nested.column, a->v.nested.row, b->v.nested.column,
                             b->v.nested.row);
    /* Values of unrelated types: order by type id so the order is total. */
    return ((int)a->type > (int)b->type) - ((int)a->type < (int)b->type);
}

gboolean
duet_value_equal(const DuetValue *a, const DuetValue *b)
{
    gboolean a_null = a->is_null || a->type == DUET_TYPE_NULL;
    gboolean b_null = b->is_null || b->type == DUET_TYPE_NULL;
    if (a_null || b_null)
        return a_null && b_null;
    if (is_integer(a->type) && is_integer(b->type))
        return integer_of(a) == integer_of(b);
    if ((a->type == DUET_TYPE_STRING || a->type == DUET_TYPE_BINARY) &&
        (b->type == DUET_TYPE_STRING || b->type == DUET_TYPE_BINARY))
        return a->v.str.len == b->v.str.len &&
               (a->v.str.len == 0 || memcmp(a->v.str.data, b->v.str.data, a->v.str.len) == 0);
    return duet_value_compare(a, b) == 0;
}

/* ---- Nested values ------------------------------------------------------------------------ */

gsize
duet_value_list_length(const DuetValue *list)
{
    g_return_val_if_fail(list->type == DUET_TYPE_ARRAY || list->type == DUET_TYPE_MAP, 0);
    if (list->is_null)
        return 0;
    gsize start, end;
    duet_column_list_range(list->v.nested.column, list->v.nested.row, &start, &end);
    return end - start;
}

void
duet_value_list_get(const DuetValue *list, gsize index, DuetValue *element)
{
    g_return_if_fail(index < duet_value_list_length(list));
    gsize start, end;
    duet_column_list_range(list->v.nested.column, list->v.nested.row, &start, &end);
    duet_column_get_value(list->v.nested.column->children[0], start + index, element);
}

void
duet_value_map_get(const DuetValue *map, gsize index, DuetValue *key, DuetValue *value)
{
    g_return_if_fail(map->type == DUET_TYPE_MAP && index < duet_value_list_length(map));
    gsize start, end;
    duet_column_list_range(map->v.nested.column, map->v.nested.row, &start, &end);
    duet_column_get_value(map->v.nested.column->children[0], start + index, key);
    duet_column_get_value(map->v.nested.column->children[1], start + index, value);
}

guint
duet_value_struct_n_fields(const DuetValue *value)
{
    g_return_val_if_fail(value->type == DUET_TYPE_STRUCT, 0);
    return value->v.nested.column->n_children;
}

void
duet_value_struct_get(const DuetValue *value, guint field, DuetValue *out)
{
    g_return_if_fail(value->type == DUET_TYPE_STRUCT && !value->is_null);
    const DuetColumn *column = value->v.nested.column;
    g_return_if_fail(field < column->n_children);
    duet_column_get_value(column->children[field], column->offset + value->v.nested.row, out);
}
