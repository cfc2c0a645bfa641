/* combine.c — map-side combining of (key, value) rows into one (key, combiner) row per key.
 *
 * Layer: rdd/. Includes rdd/ only. This is reduceByKey's hot loop. A task's input can hold
 * millions of rows and hundreds of thousands of keys; one hash table over all of them would
 * not fit in the CPU cache, and every row would pay a trip to memory. So for large inputs
 * with scalar keys the rows are first radix-partitioned by the top bits of their key hash:
 * one sequential pass copies each row's hash, key and value into a compact 64-byte record in
 * one of RADIX_PARTITIONS buffers. Each buffer is then combined on its own in a table small
 * enough to stay in the L2 cache. Small inputs and nested keys skip the partitioning.
 */
#include "rdd/internal.h"

#define RADIX_BITS       5
#define RADIX_PARTITIONS (1u << RADIX_BITS)
#define RADIX_MIN_ROWS   65536
#define INLINE_BYTES     16

/* One input row, with everything the combine needs and no pointer into the cold input except
 * for string keys longer than INLINE_BYTES. */
typedef struct {
    guint64 hash;
    guint32 len;
    guint32 kind; /* DuetKeyKind */
    union {
        gint64 i;
        gdouble d;
        const char *bytes; /* long strings: the input batch's bytes */
    } key;
    char inline_bytes[INLINE_BYTES];
    DuetValue value;
} Record;

G_STATIC_ASSERT(sizeof(Record) == 64);

static void
record_to_key(const Record *record, DuetKey *key)
{
    memset(key, 0, sizeof *key);
    key->hash = record->hash;
    key->kind = (DuetKeyKind)record->kind;
    key->i = record->key.i;
    key->d = record->key.d;
    key->len = record->len;
    key->bytes = record->len <= INLINE_BYTES ? record->inline_bytes : record->key.bytes;
}

/* Appends a scalar key, rebuilt from its DuetKey, to a column of the key's type. */
static void
append_key(DuetColumnBuilder *builder, const DuetKey *key)
{
    switch (key->kind) {
    case DUET_KEY_NULL:
        duet_column_builder_append_null(builder);
        return;
    case DUET_KEY_BYTES:
        duet_column_builder_append_string(builder, key->bytes, (gssize)key->len);
        return;
    case DUET_KEY_DOUBLE:
        duet_column_builder_append_double(builder, key->d);
        return;
    case DUET_KEY_INT:
        switch (duet_data_type_id(duet_column_builder_type(builder))) {
        case DUET_TYPE_BOOLEAN:
            duet_column_builder_append_boolean(builder, key->i != 0);
            return;
        case DUET_TYPE_INT32:
        case DUET_TYPE_DATE:
            duet_column_builder_append_int32(builder, (gint32)key->i);
            return;
        default:
            duet_column_builder_append_int64(builder, key->i);
            return;
        }
    default:
        duet_column_builder_append_from(builder, duet_batch_column(key->batch, 0), key->row);
        return;
    }
}

/* Folds one (key, value) into map with the aggregator's create/merge functions. */
static inline void
fold(DuetKeyMap *map, const DuetAggregator *aggregator, const DuetKey *key, const DuetValue *value)
{
    gboolean is_new;
    DuetValue *combiner = duet_key_map_upsert(map, key, &is_new);
    if (is_new) {
        if (aggregator->create_combiner != NULL)
            aggregator->create_combiner(value, combiner, aggregator->user_data);
        else
            *combiner = *value;
    } else {
        DuetValue merged;
        aggregator->merge_value(combiner, value, &merged, aggregator->user_data);
        *combiner = merged;
    }
}

/* Emits every entry of map into the builder of its reduce partition. */
static gboolean
emit(DuetKeyMap *map, DuetBatchBuilder **builders, guint n_reduce, GError **error)
{
    for (guint entry = 0; entry < duet_key_map_size(map); entry++) {
        const DuetKey *key = duet_key_map_key(map, entry);
        DuetBatchBuilder *builder = builders[duet_key_bucket(key->hash, n_reduce)];
        append_key(duet_batch_builder_column(builder, 0), key);
        DuetColumnBuilder *values = duet_batch_builder_column(builder, 1);
        if (!duet_column_builder_append_value(values, duet_key_map_payload(map, entry))) {
            g_autofree char *type = duet_data_type_to_string(duet_column_builder_type(values));
            g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID,
                        "a combine function returned a value that is not of the declared "
                        "combiner type %s",
                        type);
            return FALSE;
        }
    }
    return TRUE;
}

static gsize
count_rows(GPtrArray *batches)
{
    gsize n_rows = 0;
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++)
        n_rows += duet_batch_n_rows(g_ptr_array_index(batches, batch_idx));
    return n_rows;
}

static gboolean
is_scalar_key(DuetSchema *schema)
{
    DuetTypeId id = duet_data_type_id(duet_schema_field(schema, 0)->type);
    return id != DUET_TYPE_ARRAY && id != DUET_TYPE_STRUCT && id != DUET_TYPE_MAP;
}

/* The direct path: one table over all rows. */
static void
combine_direct(const DuetAggregator *aggregator, GPtrArray *batches, DuetKeyMap *map)
{
    for (guint batch_idx = 0; batch_idx < batches->len && !duet_task_failed(); batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        DuetColumn *values = duet_batch_column(batch, 1);
        DuetKeyReader reader;
        duet_key_reader_init(&reader, batch, 0);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetKey key;
            duet_key_reader_read(&reader, row_idx, &key);
            DuetValue value;
            duet_column_get_value(values, row_idx, &value);
            fold(map, aggregator, &key, &value);
        }
    }
}

/* Radix pass: every row becomes a Record in the buffer of its hash's top bits. */
static void
partition_records(GPtrArray *batches, gsize n_rows, Record **buffers, gsize *counts)
{
    gsize capacity = n_rows / RADIX_PARTITIONS * 5 / 4 + 64;
    gsize capacities[RADIX_PARTITIONS];
    for (guint part = 0; part < RADIX_PARTITIONS; part++) {
        buffers[part] = g_new(Record, capacity);
        capacities[part] = capacity;
        counts[part] = 0;
    }
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        DuetColumn *values = duet_batch_column(batch, 1);
        DuetKeyReader reader;
        duet_key_reader_init(&reader, batch, 0);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetKey key;
            duet_key_reader_read(&reader, row_idx, &key);
            guint part = (guint)(key.hash >> (64 - RADIX_BITS));
            if (counts[part] == capacities[part]) {
                capacities[part] *= 2;
                buffers[part] = g_renew(Record, buffers[part], capacities[part]);
            }
            Record *record = &buffers[part][counts[part]++];
            record->hash = key.hash;
            record->kind = key.kind;
            record->len = (guint32)key.len;
            if (key.kind == DUET_KEY_BYTES) {
                if (key.len <= INLINE_BYTES)
                    memcpy(record->inline_bytes, key.bytes, key.len);
                else
                    record->key.bytes = key.bytes;
            } else if (key.kind == DUET_KEY_DOUBLE) {
                record->key.d = key.d;
            } else {
                record->key.i = key.i;
            }
            duet_column_get_value(values, row_idx, &record->value);
        }
    }
}

/**
 * duet_combine_partition:
 * @aggregator: createCombiner/mergeValue and the combiner type
 * @block_schema: (key, combiner) schema of the output batches
 * @batches: the task's (key, value) input; must stay alive until the call returns
 * @out: (out): n_reduce lists receiving one batch each (if non-empty)
 *
 * Map-side combine of Spark's Aggregator, bucketed by reduce partition.
 */
gboolean
duet_combine_partition(const DuetAggregator *aggregator, DuetSchema *block_schema,
                       GPtrArray *batches, guint n_reduce, GPtrArray **out, GError **error)
{
    gsize n_rows = count_rows(batches);
    gboolean radix = n_rows >= RADIX_MIN_ROWS && is_scalar_key(block_schema);
    DuetBatchBuilder **builders = g_new0(DuetBatchBuilder *, n_reduce);
    for (guint bucket = 0; bucket < n_reduce; bucket++)
        builders[bucket] = duet_batch_builder_new(block_schema, 1024);

    gboolean ok = TRUE;
    if (!radix) {
        DuetKeyMap *map = duet_key_map_new(MIN(n_rows, 1 << 16));
        combine_direct(aggregator, batches, map);
        ok = !duet_task_failed() && emit(map, builders, n_reduce, error);
        duet_key_map_free(map);
    } else {
        Record *buffers[RADIX_PARTITIONS];
        gsize counts[RADIX_PARTITIONS];
        partition_records(batches, n_rows, buffers, counts);
        for (guint part = 0; part < RADIX_PARTITIONS; part++) {
            if (ok && !duet_task_failed()) {
                DuetKeyMap *map = duet_key_map_new(MIN(counts[part], 4096));
                for (gsize record_idx = 0; record_idx < counts[part]; record_idx++) {
                    DuetKey key;
                    record_to_key(&buffers[part][record_idx], &key);
                    fold(map, aggregator, &key, &buffers[part][record_idx].value);
                }
                ok = !duet_task_failed() && emit(map, builders, n_reduce, error);
                duet_key_map_free(map);
            }
            g_free(buffers[part]);
        }
    }

    for (guint bucket = 0; bucket < n_reduce; bucket++) {
        if (ok) {
            DuetBatch *block = duet_batch_builder_finish(builders[bucket], error);
            if (block == NULL)
                ok = FALSE;
            else if (duet_batch_n_rows(block) > 0)
                g_ptr_array_add(out[bucket], block);
            else
                duet_batch_unref(block);
        }
        duet_batch_builder_free(builders[bucket]);
    }
    g_free(builders);
    return ok && !duet_task_failed();
}
