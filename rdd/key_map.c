/* key_map.c — reading keys out of batches, hashing them, and mapping them to dense indices.
 *
 * Layer: rdd/. Includes rdd/ only. This is the engine's hottest code: every shuffle, map-side
 * combine, group, join and distinct goes through it. Keys are read straight from the column
 * buffers (DuetKeyReader caches them once per batch), hashed with XXH3 (bytes) or a 64-bit
 * finaliser (integers), and kept in an open-addressing table of entry indices with linear
 * probing, so a lookup touches one slot array and one entry in the common case.
 */
#include "rdd/internal.h"

#include <math.h>
#include <xxhash.h>

/* SplitMix64's finaliser: a full-avalanche mix of one 64-bit integer. */
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

#define NULL_KEY_HASH G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)

void
duet_key_reader_init(DuetKeyReader *reader, const DuetBatch *batch, gint key_column)
{
    memset(reader, 0, sizeof *reader);
    reader->batch = batch;
    if (key_column < 0)
        return;
    const DuetColumn *column = duet_batch_column(batch, (guint)key_column);
    reader->column = column;
    reader->type = duet_data_type_id(duet_column_type(column));
    reader->validity = duet_column_validity(column, &reader->bit_offset);
    switch (reader->type) {
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
        reader->offsets = duet_column_offsets(column);
        reader->data = duet_column_data(column);
        break;
    case DUET_TYPE_BOOLEAN:
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE:
    case DUET_TYPE_INT64:
    case DUET_TYPE_TIMESTAMP:
    case DUET_TYPE_DOUBLE:
        reader->values = duet_column_values(column);
        break;
    default:
        break;
    }
}

static inline gboolean
reader_is_null(const DuetKeyReader *reader, gsize row)
{
    if (reader->validity == NULL)
        return FALSE;
    gsize bit = reader->bit_offset + row;
    return ((reader->validity[bit >> 3] >> (bit & 7)) & 1) == 0;
}

static inline void
set_int_key(DuetKey *key, gint64 value)
{
    key->kind = DUET_KEY_INT;
    key->i = value;
    key->hash = mix64((guint64)value);
}

void
duet_key_reader_read(const DuetKeyReader *reader, gsize row, DuetKey *key)
{
    key->batch = reader->batch;
    key->row = row;
    key->column = reader->column;
    if (reader->column == NULL) {
        DuetRow whole = duet_batch_row(reader->batch, row);
        key->kind = DUET_KEY_ROW;
        key->hash = duet_row_hash(&whole, 0);
        return;
    }
    if (reader_is_null(reader, row)) {
        key->kind = DUET_KEY_NULL;
        key->hash = NULL_KEY_HASH;
        return;
    }
    switch (reader->type) {
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY: {
        gint64 start = reader->offsets[row];
        key->kind = DUET_KEY_BYTES;
        key->bytes = reader->data + start;
        key->len = (gsize)(reader->offsets[row + 1] - start);
        key->hash = XXH3_64bits(key->bytes, key->len);
        return;
    }
    case DUET_TYPE_INT64:
    case DUET_TYPE_TIMESTAMP:
        set_int_key(key, ((const gint64 *)reader->values)[row]);
        return;
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE:
        set_int_key(key, ((const gint32 *)reader->values)[row]);
        return;
    case DUET_TYPE_BOOLEAN:
        set_int_key(key, ((const guint8 *)reader->values)[row] ? 1 : 0);
        return;
    case DUET_TYPE_DOUBLE: {
        gdouble value = ((const gdouble *)reader->values)[row];
        if (value == 0.0)
            value = 0.0; /* -0.0 and 0.0 are one key */
        if (isnan(value))
            value = NAN;
        key->kind = DUET_KEY_DOUBLE;
        key->d = value;
        guint64 bits;
        memcpy(&bits, &value, sizeof bits);
        key->hash = mix64(bits ^ G_GUINT64_CONSTANT(0x5851f42d4c957f2d));
        return;
    }
    default:
        key->kind = DUET_KEY_CELL;
        key->hash = duet_column_hash_row(reader->column, row, 0);
        return;
    }
}

gboolean
duet_key_equal(const DuetKey *a, const DuetKey *b)
{
    if (a->hash != b->hash || a->kind != b->kind)
        return FALSE;
    switch (a->kind) {
    case DUET_KEY_NULL:
        return TRUE;
    case DUET_KEY_INT:
        return a->i == b->i;
    case DUET_KEY_DOUBLE:
        return a->d == b->d || (isnan(a->d) && isnan(b->d));
    case DUET_KEY_BYTES:
        return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
    case DUET_KEY_CELL:
        return duet_column_rows_equal(a->column, a->row, b->column, b->row);
    case DUET_KEY_ROW: {
        DuetRow row_a = duet_batch_row(a->batch, a->row);
        DuetRow row_b = duet_batch_row(b->batch, b->row);
        return duet_row_equal(&row_a, &row_b);
    }
    }
    return FALSE;
}

/* The table: slots hold entry index + 1 (0 = empty); entries are kept densely in insertion
 * order, which gives groups and joins a stable, arrival-ordered output. */
struct _DuetKeyMap {
    guint32 *slots;   /* capacity entries */
    gsize mask;       /* capacity - 1 (capacity is a power of two) */
    DuetKey *entries; /* n_entries used of entries_capacity */
    gsize n_entries;
    gsize entries_capacity;
};

static gsize
round_up_pow2(gsize n)
{
    gsize capacity = 16;
    while (capacity < n)
        capacity <<= 1;
    return capacity;
}

DuetKeyMap *
duet_key_map_new(gsize capacity)
{
    DuetKeyMap *map = g_new0(DuetKeyMap, 1);
    gsize slots = round_up_pow2(capacity * 2);
    map->slots = g_new0(guint32, slots);
    map->mask = slots - 1;
    map->entries_capacity = MAX(capacity, 16);
    map->entries = g_new(DuetKey, map->entries_capacity);
    return map;
}

void
duet_key_map_free(DuetKeyMap *map)
{
    if (map == NULL)
        return;
    g_free(map->slots);
    g_free(map->entries);
    g_free(map);
}

static void
grow_slots(DuetKeyMap *map)
{
    gsize capacity = (map->mask + 1) * 2;
    guint32 *slots = g_new0(guint32, capacity);
    gsize mask = capacity - 1;
    for (gsize entry_idx = 0; entry_idx < map->n_entries; entry_idx++) {
        gsize slot = map->entries[entry_idx].hash & mask;
        while (slots[slot] != 0)
            slot = (slot + 1) & mask;
        slots[slot] = (guint32)(entry_idx + 1);
    }
    g_free(map->slots);
    map->slots = slots;
    map->mask = mask;
}

guint
duet_key_map_insert(DuetKeyMap *map, const DuetKey *key, gboolean *is_new)
{
    gsize slot = key->hash & map->mask;
    for (;;) {
        guint32 occupant = map->slots[slot];
        if (occupant == 0)
            break;
        if (duet_key_equal(&map->entries[occupant - 1], key)) {
            *is_new = FALSE;
            return occupant - 1;
        }
        slot = (slot + 1) & map->mask;
    }
    if (map->n_entries == map->entries_capacity) {
        map->entries_capacity *= 2;
        map->entries = g_renew(DuetKey, map->entries, map->entries_capacity);
    }
    guint index = (guint)map->n_entries++;
    map->entries[index] = *key;
    map->slots[slot] = index + 1;
    *is_new = TRUE;
    /* Keep the load factor under one half so probe chains stay short. */
    if (map->n_entries * 2 > map->mask + 1)
        grow_slots(map);
    return index;
}

gint64
duet_key_map_lookup(const DuetKeyMap *map, const DuetKey *key)
{
    gsize slot = key->hash & map->mask;
    for (;;) {
        guint32 occupant = map->slots[slot];
        if (occupant == 0)
            return -1;
        if (duet_key_equal(&map->entries[occupant - 1], key))
            return occupant - 1;
        slot = (slot + 1) & map->mask;
    }
}

guint
duet_key_map_size(const DuetKeyMap *map)
{
    return (guint)map->n_entries;
}

const DuetKey *
duet_key_map_key(const DuetKeyMap *map, guint index)
{
    return &map->entries[index];
}
