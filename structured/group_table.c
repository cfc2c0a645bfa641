/* group_table.c — a hash table of groups keyed by bytes, for per-partition pre-aggregation.
 *
 * Layer: structured/. Open addressing with linear probing over a power-of-two slot array of
 * (hash, group index); the keys live back to back in one byte arena and the groups' aggregate
 * buffers in one array, so adding a group allocates nothing in the common case and a lookup
 * touches one slot and one key. Groups keep their insertion order.
 */
#include "structured/internal.h"

#include <string.h>

typedef struct {
    guint64 hash;
    guint32 group; /* index + 1; 0 = empty slot */
} Slot;

typedef struct {
    guint64 hash;
    gsize key_offset, key_len;
    gint64 event_time;
} Group;

struct _DuetGroupTable {
    guint n_buffers; /* aggregate buffers per group */
    Slot *slots;
    gsize mask;      /* capacity - 1 */
    GArray *groups;  /* Group */
    GArray *buffers; /* DuetAggBuffer, n_buffers per group */
    GByteArray *keys;
};

DuetGroupTable *
duet_group_table_new(guint n_buffers)
{
    DuetGroupTable *table = g_new0(DuetGroupTable, 1);
    table->n_buffers = n_buffers;
    table->mask = 1023;
    table->slots = g_new0(Slot, table->mask + 1);
    table->groups = g_array_new(FALSE, FALSE, sizeof(Group));
    table->buffers = g_array_new(FALSE, TRUE, sizeof(DuetAggBuffer));
    table->keys = g_byte_array_new();
    return table;
}

void
duet_group_table_free(DuetGroupTable *table)
{
    if (table == NULL)
        return;
    for (guint index = 0; index < table->buffers->len; index++)
        duet_agg_buffer_clear(&g_array_index(table->buffers, DuetAggBuffer, index));
    g_free(table->slots);
    g_array_unref(table->groups);
    g_array_unref(table->buffers);
    g_byte_array_unref(table->keys);
    g_free(table);
}

static void
grow(DuetGroupTable *table)
{
    gsize capacity = (table->mask + 1) * 2;
    Slot *slots = g_new0(Slot, capacity);
    for (gsize index = 0; index <= table->mask; index++) {
        Slot slot = table->slots[index];
        if (slot.group == 0)
            continue;
        gsize at = slot.hash & (capacity - 1);
        while (slots[at].group != 0)
            at = (at + 1) & (capacity - 1);
        slots[at] = slot;
    }
    g_free(table->slots);
    table->slots = slots;
    table->mask = capacity - 1;
}

DuetAggBuffer *
duet_group_table_find(DuetGroupTable *table, const guint8 *key, gsize len, guint64 hash,
                      gint64 event_time)
{
    gsize at = hash & table->mask;
    for (;;) {
        Slot *slot = &table->slots[at];
        if (slot->group == 0)
            break;
        if (slot->hash == hash) {
            const Group *group = &g_array_index(table->groups, Group, slot->group - 1);
            if (group->key_len == len &&
                (len == 0 || memcmp(table->keys->data + group->key_offset, key, len) == 0))
                return &g_array_index(table->buffers, DuetAggBuffer,
                                      (gsize)(slot->group - 1) * table->n_buffers);
        }
        at = (at + 1) & table->mask;
    }
    /* a new group */
    Group group = {hash, table->keys->len, len, event_time};
    g_byte_array_append(table->keys, key, (guint)len);
    g_array_append_val(table->groups, group);
    g_array_set_size(table->buffers, table->groups->len * table->n_buffers);
    table->slots[at] = (Slot){hash, table->groups->len};
    if (table->groups->len * 2 > table->mask + 1)
        grow(table);
    return &g_array_index(table->buffers, DuetAggBuffer,
                          (gsize)(table->groups->len - 1) * table->n_buffers);
}

guint
duet_group_table_size(const DuetGroupTable *table)
{
    return table->groups->len;
}

const guint8 *
duet_group_table_key(const DuetGroupTable *table, guint index, gsize *len, gint64 *event_time)
{
    const Group *group = &g_array_index(table->groups, Group, index);
    *len = group->key_len;
    *event_time = group->event_time;
    return table->keys->data + group->key_offset;
}

DuetAggBuffer *
duet_group_table_buffers(DuetGroupTable *table, guint index)
{
    return &g_array_index(table->buffers, DuetAggBuffer, (gsize)index * table->n_buffers);
}
