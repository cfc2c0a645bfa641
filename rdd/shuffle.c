/* shuffle.c — the map side of a shuffle: bucket rows by partitioner, combine, keep the blocks.
 *
 * Layer: rdd/. Includes rdd/ only. A DuetShuffle is Spark's ShuffleDependency plus its map
 * outputs: the parent RDD, a partitioner, and (for reduceByKey/combineByKey) a map-side
 * Aggregator. Its map stage runs one task per parent partition; each task computes the
 * partition, assigns every row a reduce partition, and stores one block (a list of batches)
 * per reduce partition in memory. Reduce-side RDDs fetch their column of blocks in map order.
 *
 * Bucketing is columnar: a task computes the bucket of every row of a batch, counts, and
 * gathers each bucket's rows with one duet_batch_take, instead of appending row by row.
 */
#include "rdd/internal.h"

struct _DuetShuffle {
    guint id;                  /* Spark's shuffleId */
    DuetRdd *parent;           /* the map side (owned) */
    DuetPartitionerKind kind;  /* how rows pick a reduce partition */
    guint n_reduce;            /* reduce partitions */
    gboolean combine;          /* map-side combining with aggregator */
    DuetAggregator aggregator; /* valid when combine */
    DuetSchema *block_schema;  /* schema of the blocks */
    DuetBatch *range_bounds;   /* RANGE: n_reduce - 1 sorted keys in one column */
    gboolean range_ascending;  /* RANGE: sort direction */

    GMutex lock;        /* held while the map stage runs */
    gboolean computed;  /* blocks are complete */
    guint n_map;        /* parent partitions */
    GPtrArray **blocks; /* [map * n_reduce + reduce]: GPtrArray of DuetBatch */
};

DuetShuffle *
duet_shuffle_new(DuetRdd *parent, DuetPartitionerKind kind, guint n_reduce,
                 const DuetAggregator *map_side_combine, DuetBatch *range_bounds,
                 gboolean range_ascending)
{
    DuetShuffle *shuffle = g_new0(DuetShuffle, 1);
    shuffle->id = duet_context_next_shuffle_id(parent->context);
    shuffle->parent = duet_rdd_ref(parent);
    shuffle->kind = kind;
    shuffle->n_reduce = MAX(n_reduce, 1);
    shuffle->n_map = parent->n_partitions;
    g_mutex_init(&shuffle->lock);
    if (map_side_combine != NULL) {
        shuffle->combine = TRUE;
        shuffle->aggregator = *map_side_combine;
        duet_data_type_ref(shuffle->aggregator.combiner_type);
        shuffle->block_schema = duet_schema_new();
        const DuetField *key = duet_schema_field(parent->schema, 0);
        duet_schema_add_field(shuffle->block_schema, key->name, key->type, key->nullable);
        duet_schema_add_field(shuffle->block_schema, duet_schema_field(parent->schema, 1)->name,
                              shuffle->aggregator.combiner_type, TRUE);
    } else {
        shuffle->block_schema = duet_schema_ref(parent->schema);
    }
    if (range_bounds != NULL)
        shuffle->range_bounds = duet_batch_ref(range_bounds);
    shuffle->range_ascending = range_ascending;
    return shuffle;
}

static void
free_blocks(DuetShuffle *shuffle)
{
    if (shuffle->blocks == NULL)
        return;
    for (gsize block = 0; block < (gsize)shuffle->n_map * shuffle->n_reduce; block++) {
        if (shuffle->blocks[block] != NULL)
            g_ptr_array_unref(shuffle->blocks[block]);
    }
    g_clear_pointer(&shuffle->blocks, g_free);
}

void
duet_shuffle_free(DuetShuffle *shuffle)
{
    if (shuffle == NULL)
        return;
    free_blocks(shuffle);
    if (shuffle->combine)
        duet_data_type_unref(shuffle->aggregator.combiner_type);
    if (shuffle->range_bounds != NULL)
        duet_batch_unref(shuffle->range_bounds);
    duet_schema_unref(shuffle->block_schema);
    duet_rdd_unref(shuffle->parent);
    g_mutex_clear(&shuffle->lock);
    g_free(shuffle);
}

DuetRdd *
duet_shuffle_parent(const DuetShuffle *shuffle)
{
    return shuffle->parent;
}

guint
duet_shuffle_id(const DuetShuffle *shuffle)
{
    return shuffle->id;
}

DuetSchema *
duet_shuffle_block_schema(const DuetShuffle *shuffle)
{
    return shuffle->block_schema;
}

/* ---- Partitioners ------------------------------------------------------------------------ */

/* Java's java.util.Random, for Spark's repartition start positions. */
typedef struct {
    gint64 seed;
} JavaRandom;

static void
java_random_init(JavaRandom *random, gint64 seed)
{
    random->seed = (seed ^ G_GINT64_CONSTANT(0x5DEECE66D)) & ((G_GINT64_CONSTANT(1) << 48) - 1);
}

static gint32
java_random_next(JavaRandom *random, int bits)
{
    random->seed = (gint64)(((guint64)random->seed * G_GUINT64_CONSTANT(0x5DEECE66D) + 0xB) &
                            ((G_GUINT64_CONSTANT(1) << 48) - 1));
    return (gint32)(random->seed >> (48 - bits));
}

static gint32
java_random_next_int(JavaRandom *random, gint32 bound)
{
    if ((bound & -bound) == bound)
        return (gint32)(((gint64)bound * (gint64)java_random_next(random, 31)) >> 31);
    gint32 bits, value;
    do {
        bits = java_random_next(random, 31);
        value = bits % bound;
    } while ((gint32)((guint32)bits - (guint32)value + (guint32)(bound - 1)) < 0);
    return value;
}

/* scala.util.hashing.byteswap32 */
static gint32
byteswap32(gint32 value)
{
    guint32 hash = (guint32)value * 0x9e3775cdu;
    hash = GUINT32_SWAP_LE_BE(hash);
    return (gint32)(hash * 0x9e3775cdu);
}

/* Spark's RDD.coalesce(shuffle = true): partition index starts at
 * new Random(byteswap32(index)).nextInt(n) and deals rows round-robin from the next one. */
static guint
round_robin_start(guint map_partition, guint n_reduce)
{
    JavaRandom random;
    java_random_init(&random, byteswap32((gint32)map_partition));
    return (guint)java_random_next_int(&random, (gint32)n_reduce);
}

/* RangePartitioner.getPartition: the first bound >= key (binary search), mirrored when
 * descending. */
static guint
range_bucket(const DuetShuffle *shuffle, const DuetColumn *keys, gsize row)
{
    const DuetColumn *bounds = duet_batch_column(shuffle->range_bounds, 0);
    gsize low = 0, high = duet_column_length(bounds);
    while (low < high) {
        gsize middle = (low + high) / 2;
        if (duet_column_compare_rows(bounds, middle, keys, row) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    guint partition = (guint)low;
    return shuffle->range_ascending ? partition : shuffle->n_reduce - 1 - partition;
}

/* Fills buckets[row] for every row of batch. position carries round-robin state across the
 * batches of one map task. */
static void
assign_buckets(const DuetShuffle *shuffle, DuetBatch *batch, guint32 *buckets, guint *position)
{
    gsize n_rows = duet_batch_n_rows(batch);
    switch (shuffle->kind) {
    case DUET_PARTITIONER_HASH_KEY:
    case DUET_PARTITIONER_HASH_ROW: {
        DuetKeyReader reader;
        duet_key_reader_init(&reader, batch, shuffle->kind == DUET_PARTITIONER_HASH_KEY ? 0 : -1);
        for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
            DuetKey key;
            duet_key_reader_read(&reader, row_idx, &key);
            buckets[row_idx] = duet_key_bucket(key.hash, shuffle->n_reduce);
        }
        break;
    }
    case DUET_PARTITIONER_ROUND_ROBIN:
        for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
            *position = (*position + 1) % shuffle->n_reduce;
            buckets[row_idx] = *position;
        }
        break;
    case DUET_PARTITIONER_RANGE: {
        const DuetColumn *keys = duet_batch_column(batch, 0);
        for (gsize row_idx = 0; row_idx < n_rows; row_idx++)
            buckets[row_idx] = range_bucket(shuffle, keys, row_idx);
        break;
    }
    }
}

/* Splits batch into per-bucket blocks with one gather per non-empty bucket. */
static void
scatter_batch(DuetShuffle *shuffle, DuetBatch *batch, GPtrArray **out, guint *position)
{
    gsize n_rows = duet_batch_n_rows(batch);
    guint n_reduce = shuffle->n_reduce;
    if (n_rows == 0)
        return;
    guint32 *buckets = g_new(guint32, n_rows);
    assign_buckets(shuffle, batch, buckets, position);
    if (n_reduce == 1) {
        g_ptr_array_add(out[0], duet_batch_ref(batch));
        g_free(buckets);
        return;
    }
    /* Counting sort of row indices by bucket, stable within a bucket. */
    gsize *starts = g_new0(gsize, n_reduce + 1);
    for (gsize row_idx = 0; row_idx < n_rows; row_idx++)
        starts[buckets[row_idx] + 1]++;
    for (guint bucket = 0; bucket < n_reduce; bucket++)
        starts[bucket + 1] += starts[bucket];
    guint32 *order = g_new(guint32, n_rows);
    gsize *fill = g_memdup2(starts, sizeof(gsize) * n_reduce);
    for (gsize row_idx = 0; row_idx < n_rows; row_idx++)
        order[fill[buckets[row_idx]]++] = (guint32)row_idx;
    for (guint bucket = 0; bucket < n_reduce; bucket++) {
        gsize count = starts[bucket + 1] - starts[bucket];
        if (count == n_rows)
            g_ptr_array_add(out[bucket], duet_batch_ref(batch));
        else if (count > 0)
            g_ptr_array_add(out[bucket], duet_batch_take(batch, order + starts[bucket], count));
    }
    g_free(fill);
    g_free(order);
    g_free(starts);
    g_free(buckets);
}

/* ---- The map stage ----------------------------------------------------------------------- */

static gboolean
map_task(DuetRdd *parent, guint partition, gpointer user_data, GError **error)
{
    DuetShuffle *shuffle = user_data;
    GPtrArray *batches = duet_rdd_compute_partition(parent, partition, error);
    if (batches == NULL)
        return FALSE;
    GPtrArray **out = g_new0(GPtrArray *, shuffle->n_reduce);
    for (guint bucket = 0; bucket < shuffle->n_reduce; bucket++)
        out[bucket] = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);

    gboolean ok = TRUE;
    if (shuffle->combine) {
        ok = duet_combine_partition(&shuffle->aggregator, shuffle->block_schema, batches,
                                    shuffle->n_reduce, out, error);
    } else {
        guint position = shuffle->kind == DUET_PARTITIONER_ROUND_ROBIN
                             ? round_robin_start(partition, shuffle->n_reduce)
                             : 0;
        for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++)
            scatter_batch(shuffle, g_ptr_array_index(batches, batch_idx), out, &position);
    }
    g_ptr_array_unref(batches);

    /* Publish the task's blocks; a retried attempt replaces what a failed one left. */
    for (guint bucket = 0; bucket < shuffle->n_reduce; bucket++) {
        gsize block = (gsize)partition * shuffle->n_reduce + bucket;
        if (ok) {
            if (shuffle->blocks[block] != NULL)
                g_ptr_array_unref(shuffle->blocks[block]);
            shuffle->blocks[block] = out[bucket];
        } else {
            g_ptr_array_unref(out[bucket]);
        }
    }
    g_free(out);
    return ok;
}

/**
 * duet_shuffle_ensure_computed:
 *
 * Runs the shuffle's map stage once. Concurrent callers wait for the first; a failed stage
 * leaves the shuffle uncomputed so that a later job can try again.
 */
gboolean
duet_shuffle_ensure_computed(DuetShuffle *shuffle, GError **error)
{
    g_mutex_lock(&shuffle->lock);
    gboolean ok = TRUE;
    if (!shuffle->computed) {
        free_blocks(shuffle);
        shuffle->blocks = g_new0(GPtrArray *, (gsize)shuffle->n_map * shuffle->n_reduce + 1);
        ok =
            duet_scheduler_run_job(shuffle->parent, NULL, shuffle->n_map, map_task, shuffle, error);
        if (ok)
            shuffle->computed = TRUE;
        else
            free_blocks(shuffle);
    }
    g_mutex_unlock(&shuffle->lock);
    return ok;
}

GPtrArray *
duet_shuffle_fetch(DuetShuffle *shuffle, guint reduce_partition)
{
    GPtrArray *batches = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    for (guint map_partition = 0; map_partition < shuffle->n_map; map_partition++) {
        GPtrArray *block =
            shuffle->blocks[(gsize)map_partition * shuffle->n_reduce + reduce_partition];
        if (block == NULL)
            continue;
        for (guint batch_idx = 0; batch_idx < block->len; batch_idx++)
            g_ptr_array_add(batches, duet_batch_ref(g_ptr_array_index(block, batch_idx)));
    }
    return batches;
}
