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

/* The table is flat: each slot is one 64-byte cache line holding the hash, the key itself
 * (strings of up to 16 bytes are copied into the slot) and a payload value (the combiner of a
 * reduce), so a probe that hits touches one line. Slots are found by linear probing; a dense
 * array, in insertion order, keeps each key's origin (for output and for nested keys) and the
 * slot it lives in, which gives groups and joins a stable, arrival-ordered output. */
#define INLINE_KEY_BYTES 16

typedef struct {
    guint64 hash;     /* the key's hash */
    guint32 dense;    /* dense index + 1; 0 marks an empty slot */
    guint32 len_kind; /* (byte length << 3) | DuetKeyKind */
    union {
        gint64 i;          /* DUET_KEY_INT */
        gdouble d;         /* DUET_KEY_DOUBLE */
        const char *bytes; /* DUET_KEY_BYTES longer than INLINE_KEY_BYTES */
    } key;
    char inline_bytes[INLINE_KEY_BYTES]; /* DUET_KEY_BYTES up to INLINE_KEY_BYTES */
    DuetValue payload;                   /* the caller's value for this key */
} Slot;

G_STATIC_ASSERT(sizeof(Slot) == 64);

struct _DuetKeyMap {
    Slot *slots;        /* capacity slots */
    gsize mask;         /* capacity - 1 (a power of two) */
    DuetKey *origins;   /* per dense index: the key as first read */
    guint32 *positions; /* per dense index: its slot */
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
    gsize n_slots = round_up_pow2(capacity * 4 / 3 + 1);
    map->slots = g_new0(Slot, n_slots);
    map->mask = n_slots - 1;
    map->entries_capacity = MAX(capacity, 16);
    map->origins = g_new(DuetKey, map->entries_capacity);
    map->positions = g_new(guint32, map->entries_capacity);
    return map;
}

void
duet_key_map_free(DuetKeyMap *map)
{
    if (map == NULL)
        return;
    g_free(map->slots);
    g_free(map->origins);
    g_free(map->positions);
    g_free(map);
}

static inline gboolean
slot_matches(const DuetKeyMap *map, const Slot *slot, const DuetKey *key)
{
    if (slot->hash != key->hash || (slot->len_kind & 7) != (guint32)key->kind)
        return FALSE;
    switch (key->kind) {
    case DUET_KEY_NULL:
        return TRUE;
    case DUET_KEY_INT:
        return slot->key.i == key->i;
    case DUET_KEY_DOUBLE:
        return slot->key.d == key->d || (isnan(slot->key.d) && isnan(key->d));
    case DUET_KEY_BYTES: {
        if ((slot->len_kind >> 3) != key->len)
            return FALSE;
        const char *stored = key->len <= INLINE_KEY_BYTES ? slot->inline_bytes : slot->key.bytes;
        return memcmp(stored, key->bytes, key->len) == 0;
    }
    default:
        return duet_key_equal(&map->origins[slot->dense - 1], key);
    }
}

static void
grow_slots(DuetKeyMap *map)
{
    gsize capacity = (map->mask + 1) * 2;
    Slot *slots = g_new0(Slot, capacity);
    gsize mask = capacity - 1;
    for (gsize dense = 0; dense < map->n_entries; dense++) {
        const Slot *old = &map->slots[map->positions[dense]];
        gsize position = old->hash & mask;
        while (slots[position].dense != 0)
            position = (position + 1) & mask;
        slots[position] = *old;
        map->positions[dense] = (guint32)position;
    }
    g_free(map->slots);
    map->slots = slots;
    map->mask = mask;
}

/* Finds key's slot, inserting the key (with a null payload) when absent. */
static Slot *
upsert(DuetKeyMap *map, const DuetKey *key, gboolean *is_new, guint *dense_index)
{
    gsize position = key->hash & map->mask;
    for (;;) {
        Slot *slot = &map->slots[position];
        if (slot->dense == 0)
            break;
        if (slot_matches(map, slot, key)) {
            *is_new = FALSE;
            *dense_index = slot->dense - 1;
            return slot;
        }
        position = (position + 1) & map->mask;
    }
    if (map->n_entries == map->entries_capacity) {
        map->entries_capacity *= 2;
        map->origins = g_renew(DuetKey, map->origins, map->entries_capacity);
        map->positions = g_renew(guint32, map->positions, map->entries_capacity);
    }
    guint dense = (guint)map->n_entries++;
    Slot *slot = &map->slots[position];
    slot->hash = key->hash;
    slot->dense = dense + 1;
    slot->len_kind = (guint32)key->kind;
    slot->payload = duet_value_null();
    switch (key->kind) {
    case DUET_KEY_INT:
        slot->key.i = key->i;
        break;
    case DUET_KEY_DOUBLE:
        slot->key.d = key->d;
        break;
    case DUET_KEY_BYTES:
        slot->len_kind |= (guint32)key->len << 3;
        if (key->len <= INLINE_KEY_BYTES)
            memcpy(slot->inline_bytes, key->bytes, key->len);
        else
            slot->key.bytes = key->bytes;
        break;
    default:
        break;
    }
    map->origins[dense] = *key;
    map->positions[dense] = (guint32)position;
    *is_new = TRUE;
    *dense_index = dense;
    /* Grow past three quarters full: linear probes stay short, and a smaller table stays in
     * the L3 cache (measured: 100k keys, 0.75 is faster than 0.5). */
    if (map->n_entries * 4 > (map->mask + 1) * 3) {
        grow_slots(map);
        slot = &map->slots[map->positions[dense]];
    }
    return slot;
}

guint
duet_key_map_insert(DuetKeyMap *map, const DuetKey *key, gboolean *is_new)
{
    guint dense;
    upsert(map, key, is_new, &dense);
    return dense;
}

DuetValue *
duet_key_map_upsert(DuetKeyMap *map, const DuetKey *key, gboolean *is_new)
{
    guint dense;
    return &upsert(map, key, is_new, &dense)->payload;
}

DuetValue *
duet_key_map_payload(DuetKeyMap *map, guint index)
{
    return &map->slots[map->positions[index]].payload;
}

gint64
duet_key_map_lookup(const DuetKeyMap *map, const DuetKey *key)
{
    gsize position = key->hash & map->mask;
    for (;;) {
        const Slot *slot = &map->slots[position];
        if (slot->dense == 0)
            return -1;
        if (slot_matches(map, slot, key))
            return slot->dense - 1;
        position = (position + 1) & map->mask;
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
    return &map->origins[index];
}
