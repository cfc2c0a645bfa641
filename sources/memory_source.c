/* memory_source.c — Spark's MemoryStream: rows added by hand, one offset per add.
 *
 * Layer: sources/. Includes rdd/ and sources/. Every add (even of no rows) is a new block and
 * the next LongOffset (0 for the first add); a range (start, end] is the blocks start+1 ..
 * end, one partition each. Blocks every consumer committed are forgotten; asking for them
 * again is an error that says so.
 */
#include "sources/internal.h"

typedef struct {
    GMutex lock;
    GPtrArray *blocks; /* DuetBatch* by offset - first_offset */
    gint64 first;      /* offset of blocks[0] */
} Memory;

static Memory *
memory_of(DuetSource *source)
{
    return duet_source_get_data(source);
}

static void
memory_finalize(gpointer data)
{
    Memory *memory = data;
    g_ptr_array_unref(memory->blocks);
    g_mutex_clear(&memory->lock);
    g_free(memory);
}

static char *
memory_description(DuetSource *source)
{
    g_autofree char *schema = duet_schema_to_string(duet_source_schema(source));
    return g_strdup_printf("MemoryStream[%s]", schema);
}

static char *
memory_latest(DuetSource *source, GError **error)
{
    Memory *memory = memory_of(source);
    g_mutex_lock(&memory->lock);
    gint64 latest = memory->first + (gint64)memory->blocks->len - 1;
    g_mutex_unlock(&memory->lock);
    return latest < 0 ? NULL : g_strdup_printf("%" G_GINT64_FORMAT, latest);
}

static GPtrArray *
memory_get_batch(DuetSource *source, const char *start, const char *end, GError **error)
{
    Memory *memory = memory_of(source);
    gint64 from, to;
    g_mutex_lock(&memory->lock);
    if (!duet_long_offset_held_range("memory stream", start, end, memory->first,
                                     (gint64)memory->blocks->len, &from, &to, error)) {
        g_mutex_unlock(&memory->lock);
        return NULL;
    }
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (gint64 offset = from + 1; offset <= to; offset++) {
        GPtrArray *partition = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(partition,
                        duet_batch_ref(g_ptr_array_index(memory->blocks, offset - memory->first)));
        g_ptr_array_add(partitions, partition);
    }
    g_mutex_unlock(&memory->lock);
    return partitions;
}

static void
memory_forget(DuetSource *source, const char *end)
{
    Memory *memory = memory_of(source);
    g_mutex_lock(&memory->lock);
    gint64 drop = duet_long_offset_releasable(end, memory->first, (gint64)memory->blocks->len);
    if (drop > 0) {
        g_ptr_array_remove_range(memory->blocks, 0, (guint)drop);
        memory->first += drop;
    }
    g_mutex_unlock(&memory->lock);
}

static const DuetSourceClass memory_class = {
    .format = "memory",
    .description = memory_description,
    .latest_offset = memory_latest,
    .get_batch = memory_get_batch,
    .forget = memory_forget,
    .finalize = memory_finalize,
    .compare = duet_long_offset_compare,
};

DuetSource *
duet_memory_source_new(DuetSchema *schema)
{
    Memory *memory = g_new0(Memory, 1);
    g_mutex_init(&memory->lock);
    memory->blocks = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    return duet_source_new_internal(&memory_class, schema, memory);
}

gint64
duet_memory_source_add(DuetSource *source, DuetBatch *batch)
{
    g_return_val_if_fail(duet_schema_equal(duet_batch_schema(batch), duet_source_schema(source)),
                         -1);
    Memory *memory = memory_of(source);
    g_mutex_lock(&memory->lock);
    g_ptr_array_add(memory->blocks, duet_batch_ref(batch));
    gint64 latest = memory->first + (gint64)memory->blocks->len - 1;
    g_mutex_unlock(&memory->lock);
    return latest;
}
