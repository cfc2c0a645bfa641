/* rdd.h — resilient distributed datasets on the local core, and the rdd/ umbrella header.
 *
 * Layer: rdd/. An RDD is an immutable, partitioned dataset defined by its lineage: its parents
 * and the transformation that derives it. Its elements are the rows of its batches (see
 * batch.h: a one-column row is a bare value, an n-column row an n-tuple; pair operations key
 * on column 0). Narrow transformations pipeline inside one task; wide ones cut a stage at a
 * hash shuffle with map-side combining where Spark does it. Actions run a job on the context's
 * scheduler and report failures as a GError.
 *
 * User functions are plain C callbacks with a user_data pointer. They are called from worker
 * threads, many at once, so they must be thread-safe; they must not allocate per row (write
 * output into the given builder, borrow scratch from task.h), and they fail their task with
 * duet_task_fail(). RDD objects are thread-safe and reference-counted; every function that
 * takes an RDD borrows it ((transfer none)) and returns a new reference ((transfer full)).
 */
#pragma once

#include "rdd/types.h"
#include "rdd/value.h"
#include "rdd/column.h"
#include "rdd/batch.h"
#include "rdd/clock.h"
#include "rdd/context.h"
#include "rdd/task.h"

G_BEGIN_DECLS

typedef struct _DuetRdd DuetRdd;

#define DUET_RDD_ERROR (duet_rdd_error_quark())
GQuark duet_rdd_error_quark(void);

typedef enum {
    DUET_RDD_ERROR_INVALID,          /* bad arguments: wrong schema for a pair operation, ... */
    DUET_RDD_ERROR_JOB_ABORTED,      /* a task failed every attempt; the message is Spark's
                                        "Job aborted due to stage failure: ..." */
    DUET_RDD_ERROR_EMPTY_COLLECTION, /* reduce/first on an empty RDD */
    DUET_RDD_ERROR_IO,               /* saveAsTextFile / checkpoint I/O */
    DUET_RDD_ERROR_CHECKPOINT,       /* a checkpoint that cannot be read back */
    DUET_RDD_ERROR_FAILED,
} DuetRddError;

/* ---- User function types ---------------------------------------------------------------- */

/* map: append exactly one row to out. flatMap: append zero or more rows. */
typedef void (*DuetMapFunc)(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data);
typedef gboolean (*DuetFilterFunc)(const DuetRow *row, gpointer user_data);
/* mapPartitions(WithIndex): the partition's batches in order ((transfer none)); append any
 * number of rows. */
typedef void (*DuetPartitionFunc)(GPtrArray *batches, guint partition_index, DuetBatchBuilder *out,
                                  gpointer user_data);
/* mapValues / flatMapValues: append one (or any number of) values to out. */
typedef void (*DuetValueFunc)(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data);
/* reduce-style: *out = f(a, b). A string result may point into a, b, a constant or task
 * scratch memory. */
typedef void (*DuetReduceFunc)(const DuetValue *a, const DuetValue *b, DuetValue *out,
                               gpointer user_data);
/* combineByKey's createCombiner: *out = f(value). */
typedef void (*DuetCreateFunc)(const DuetValue *value, DuetValue *out, gpointer user_data);
/* foreach / foreachPartition. */
typedef void (*DuetForeachFunc)(const DuetRow *row, gpointer user_data);
typedef void (*DuetForeachPartitionFunc)(GPtrArray *batches, guint partition_index,
                                         gpointer user_data);

/* ---- Creating RDDs ---------------------------------------------------------------------- */

/* Spark's parallelize: partition i of n holds rows [i*len/n, (i+1)*len/n). (transfer none) */
DuetRdd *duet_rdd_parallelize(DuetContext *context, DuetBatch *data, guint num_partitions);
/* One partition per element of partitions, each a GPtrArray of DuetBatch (a block RDD).
 * (transfer none) on everything. */
DuetRdd *duet_rdd_new_from_partitions(DuetContext *context, DuetSchema *schema,
                                      GPtrArray *partitions);
DuetRdd *duet_rdd_new_empty(DuetContext *context, DuetSchema *schema);

DuetRdd *duet_rdd_ref(DuetRdd *rdd);
void duet_rdd_unref(DuetRdd *rdd);

guint duet_rdd_id(const DuetRdd *rdd);
/* (transfer none) */
DuetSchema *duet_rdd_schema(const DuetRdd *rdd);
DuetContext *duet_rdd_context(const DuetRdd *rdd);
guint duet_rdd_n_partitions(const DuetRdd *rdd);
/* Spark's toDebugString: the lineage, indented at shuffle boundaries. (transfer full) */
char *duet_rdd_debug_string(DuetRdd *rdd);
/* A short name such as "MapPartitionsRDD[3] at map". */
const char *duet_rdd_name(const DuetRdd *rdd);

/* Frees data with destroy when the RDD is freed: for user data that only this RDD's
 * functions use (g_object_set_data_full's role). */
void duet_rdd_attach_data(DuetRdd *rdd, gpointer data, GDestroyNotify destroy);

/* ---- Narrow transformations (pipelined in one task) ---------------------------------------- */

DuetRdd *duet_rdd_map(DuetRdd *rdd, DuetSchema *out_schema, DuetMapFunc f, gpointer user_data);
DuetRdd *duet_rdd_flat_map(DuetRdd *rdd, DuetSchema *out_schema, DuetMapFunc f, gpointer user_data);
DuetRdd *duet_rdd_filter(DuetRdd *rdd, DuetFilterFunc f, gpointer user_data);
/* preserves_partitioning: the output keeps the parent's partitioner (Spark's flag). */
DuetRdd *duet_rdd_map_partitions(DuetRdd *rdd, DuetSchema *out_schema, DuetPartitionFunc f,
                                 gpointer user_data, gboolean preserves_partitioning);
/* Same as map_partitions: the index is always passed. Kept for the name mapping. */
DuetRdd *duet_rdd_map_partitions_with_index(DuetRdd *rdd, DuetSchema *out_schema,
                                            DuetPartitionFunc f, gpointer user_data,
                                            gboolean preserves_partitioning);
/* Partitions of rdds[0], then of rdds[1], ... All schemas must be equal. */
DuetRdd *duet_rdd_union(DuetRdd *const *rdds, guint n, GError **error);
/* Without a shuffle: merges contiguous parent partitions into num_partitions groups (never
 * more partitions than the parent has). With shuffle: the same as repartition. */
DuetRdd *duet_rdd_coalesce(DuetRdd *rdd, guint num_partitions, gboolean shuffle);
/* One element per partition: an array of the partition's elements (a one-column RDD is
 * array<T>; an n-column one is array<struct<_1,..,_n>>). */
DuetRdd *duet_rdd_glom(DuetRdd *rdd);
/* Pair RDDs: f maps each value; the key is kept; value_type is f's output type. */
DuetRdd *duet_rdd_map_values(DuetRdd *rdd, DuetDataType *value_type, DuetValueFunc f,
                             gpointer user_data, GError **error);
DuetRdd *duet_rdd_flat_map_values(DuetRdd *rdd, DuetDataType *value_type, DuetValueFunc f,
                                  gpointer user_data, GError **error);
/* The key column / value column of a pair RDD. */
DuetRdd *duet_rdd_keys(DuetRdd *rdd);
DuetRdd *duet_rdd_values(DuetRdd *rdd);
/* Keeps every row with probability fraction, seeded (without replacement). */
DuetRdd *duet_rdd_sample(DuetRdd *rdd, gdouble fraction, guint64 seed);

/* ---- Wide transformations (a hash shuffle) ------------------------------------------------ */

/* num_partitions 0 means the parent's partition count (Spark's defaultPartitioner for one
 * parent), or for several parents the largest of their counts. Pair operations fail with
 * DUET_RDD_ERROR_INVALID unless the RDD has exactly two columns. Keys are placed by an XXH3
 * hash of the key (Spark uses the JVM hashCode, so which partition a key lands in differs;
 * the set of rows per key does not). */
DuetRdd *duet_rdd_partition_by(DuetRdd *rdd, guint num_partitions, GError **error);
/* Spark's repartition: a shuffle that spreads rows round-robin, starting each input partition
 * at a position derived from its index. */
DuetRdd *duet_rdd_repartition(DuetRdd *rdd, guint num_partitions);
/* Combines values per key with f on the map side, then on the reduce side. */
DuetRdd *duet_rdd_reduce_by_key(DuetRdd *rdd, DuetReduceFunc f, gpointer user_data,
                                guint num_partitions, GError **error);
/* (key, array<value>), values in arrival order within a partition. */
DuetRdd *duet_rdd_group_by_key(DuetRdd *rdd, guint num_partitions, GError **error);
/* combiner_type is the type of the combined values (scalar or string). */
DuetRdd *duet_rdd_combine_by_key(DuetRdd *rdd, DuetDataType *combiner_type,
                                 DuetCreateFunc create_combiner, DuetReduceFunc merge_value,
                                 DuetReduceFunc merge_combiners, gpointer user_data,
                                 guint num_partitions, GError **error);
/* zero is copied (strings too) before the call returns. */
DuetRdd *duet_rdd_aggregate_by_key(DuetRdd *rdd, const DuetValue *zero, DuetDataType *zero_type,
                                   DuetReduceFunc seq_op, DuetReduceFunc comb_op,
                                   gpointer user_data, guint num_partitions, GError **error);
/* (element, bigint count). For a multi-column RDD the element is a struct of the row. */
DuetRdd *duet_rdd_count_by_value(DuetRdd *rdd, guint num_partitions);
DuetRdd *duet_rdd_distinct(DuetRdd *rdd, guint num_partitions);
/* Joins of (K, V) with (K, W): (K, struct<_1: V, _2: W>); the outer sides are nullable. */
DuetRdd *duet_rdd_join(DuetRdd *left, DuetRdd *right, guint num_partitions, GError **error);
DuetRdd *duet_rdd_left_outer_join(DuetRdd *left, DuetRdd *right, guint num_partitions,
                                  GError **error);
DuetRdd *duet_rdd_right_outer_join(DuetRdd *left, DuetRdd *right, guint num_partitions,
                                   GError **error);
DuetRdd *duet_rdd_full_outer_join(DuetRdd *left, DuetRdd *right, guint num_partitions,
                                  GError **error);
/* (K, struct<_1: array<V>, _2: array<W>, ...>) over any number of pair RDDs with equal key
 * types. */
DuetRdd *duet_rdd_cogroup(DuetRdd *const *rdds, guint n, guint num_partitions, GError **error);
/* Range-partitions by key (sampling the keys, as Spark's RangePartitioner does, which runs a
 * job) and sorts each partition. */
DuetRdd *duet_rdd_sort_by_key(DuetRdd *rdd, gboolean ascending, guint num_partitions,
                              GError **error);
/* Every pair of elements (a, b): (struct a, struct b) columns _1 and _2, or the bare values for
 * one-column RDDs. */
DuetRdd *duet_rdd_cartesian(DuetRdd *left, DuetRdd *right);

/* ---- Actions ----------------------------------------------------------------------------- */

/* All rows, partitions in order. (transfer full) */
DuetBatch *duet_rdd_collect(DuetRdd *rdd, GError **error);
/* Each partition's rows, in order: a GPtrArray of DuetBatch (for glom-like checks). */
GPtrArray *duet_rdd_collect_partitions(DuetRdd *rdd, GError **error);
gboolean duet_rdd_count(DuetRdd *rdd, gint64 *count, GError **error);
/* The first n rows, scanning partitions in order and stopping early as Spark's take does. */
DuetBatch *duet_rdd_take(DuetRdd *rdd, gsize n, GError **error);
/* A one-row batch; DUET_RDD_ERROR_EMPTY_COLLECTION on an empty RDD. */
DuetBatch *duet_rdd_first(DuetRdd *rdd, GError **error);
/* One-column RDDs: reduce with f; DUET_RDD_ERROR_EMPTY_COLLECTION when empty. The result is
 * a one-row batch (so strings have an owner). */
DuetBatch *duet_rdd_reduce(DuetRdd *rdd, DuetReduceFunc f, gpointer user_data, GError **error);
/* fold(zero)(f): zero per partition, then across partitions; never fails on empty. */
DuetBatch *duet_rdd_fold(DuetRdd *rdd, const DuetValue *zero, DuetReduceFunc f, gpointer user_data,
                         GError **error);
gboolean duet_rdd_foreach(DuetRdd *rdd, DuetForeachFunc f, gpointer user_data, GError **error);
gboolean duet_rdd_foreach_partition(DuetRdd *rdd, DuetForeachPartitionFunc f, gpointer user_data,
                                    GError **error);
/* Spark's saveAsTextFile: a directory with part-00000.. (one per partition, each element's
 * Scala toString per line) and an empty _SUCCESS; fails if the directory exists. */
gboolean duet_rdd_save_as_text_file(DuetRdd *rdd, const char *path, GError **error);

/* ---- Persistence ------------------------------------------------------------------------- */

/* Keeps computed partitions in memory (MEMORY_ONLY); later jobs reuse them. */
DuetRdd *duet_rdd_persist(DuetRdd *rdd);
void duet_rdd_unpersist(DuetRdd *rdd);
gboolean duet_rdd_is_persisted(const DuetRdd *rdd);
/* Marks the RDD for checkpointing (the context needs a checkpoint directory). The next job
 * that computes it writes every partition to <dir>/rdd-<id>/part-NNNNN and then replaces its
 * lineage with the checkpoint files. */
gboolean duet_rdd_checkpoint(DuetRdd *rdd, GError **error);
gboolean duet_rdd_is_checkpointed(const DuetRdd *rdd);
/* The directory an RDD was checkpointed to, or NULL. */
const char *duet_rdd_checkpoint_path(const DuetRdd *rdd);
/* Reads a checkpointed RDD back from its directory (a corrupt or truncated file is an error
 * that names the file). */
DuetRdd *duet_rdd_read_checkpoint(DuetContext *context, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetRdd, duet_rdd_unref)

G_END_DECLS
