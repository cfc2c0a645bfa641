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
    gint ref_count;         /* atomic; scalar singletons are never freed */
    DuetTypeId id;          /* which type */
    DuetDataType *element;  /* array element type; map key type */
    DuetDataType *value;    /* map value type */
    gboolean contains_null; /* array elements / map values may be null */
    DuetSchema *fields;     /* struct fields */
};

struct _DuetSchema {
    gint ref_count; /* atomic */
    GArray *fields; /* of DuetField */
};

/* A column is a window [offset, offset + length) over shared buffers. */
struct _DuetColumn {
    gint ref_count;        /* atomic */
    DuetDataType *type;    /* owned */
    gsize length;          /* rows in this window */
    gsize offset;          /* first row of the window in the buffers below */
    gsize null_count;      /* nulls within the window */
    GBytes *validity;      /* bitmap over the buffers (bit offset+row); NULL = no nulls */
    GBytes *values;        /* fixed width values, or int64 offsets (length+1 from offset) */
    GBytes *data;          /* string/binary bytes; NULL otherwise */
    guint n_children;      /* array: 1, map: 2, struct: n fields */
    DuetColumn **children; /* owned; whole child columns (offsets index into them) */
};

struct _DuetColumnBuilder {
    DuetDataType *type;           /* owned */
    gsize length;                 /* rows appended */
    gsize null_count;             /* nulls appended */
    guint8 *validity;             /* allocated lazily at the first null; bit per row */
    gsize validity_capacity;      /* bytes */
    guint8 *values;               /* fixed-width values or int64 offsets */
    gsize values_len;             /* bytes used */
    gsize values_capacity;        /* bytes */
    guint8 *data;                 /* string bytes */
    gsize data_len;               /* bytes used */
    gsize data_capacity;          /* bytes */
    guint n_children;             /* as in DuetColumn */
    DuetColumnBuilder **children; /* owned */
};

struct _DuetBatch {
    gint ref_count;       /* atomic */
    DuetSchema *schema;   /* owned */
    gsize n_rows;         /* rows in every column */
    guint n_columns;      /* fields of the schema */
    DuetColumn **columns; /* owned */
};

struct _DuetBatchBuilder {
    DuetSchema *schema;          /* owned */
    guint n_columns;             /* fields of the schema */
    DuetColumnBuilder **columns; /* owned */
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

/* ---- The engine: RDD objects, shuffles, the scheduler ------------------------------------ */

typedef struct _DuetShuffle DuetShuffle;

/* What an RDD kind does. compute returns the partition's batches (transfer full) or NULL with
 * the error set; it runs inside a task. */
typedef struct {
    const char *kind; /* Spark's class name: "MapPartitionsRDD", "ShuffledRDD", ... */
    GPtrArray *(*compute)(DuetRdd *rdd, guint partition, GError **error);
} DuetRddOps;

struct _DuetRdd {
    gint ref_count;        /* atomic */
    guint id;              /* unique within the context, Spark's rdd.id */
    DuetContext *context;  /* owned reference */
    DuetSchema *schema;    /* owned */
    guint n_partitions;    /* fixed at creation */
    const DuetRddOps *ops; /* the kind */
    char *name;            /* "MapPartitionsRDD[3] at map" */
    GPtrArray *parents;    /* DuetRdd*, narrow dependencies (owned) */
    GPtrArray *shuffles;   /* DuetShuffle*, shuffle dependencies (owned) */
    gpointer op_data;      /* kind-specific data */
    GDestroyNotify op_data_free;
    guint hash_partitions; /* > 0: rows are hash-partitioned by key into this many parts */
    GArray *attached;      /* AttachedData freed with the RDD, or NULL */

    GMutex lock;                   /* guards everything below */
    gboolean persisted;            /* keep computed partitions */
    GPtrArray **cache;             /* per partition: GPtrArray of DuetBatch, or NULL */
    gboolean checkpoint_requested; /* write on the next job that computes it */
    char *checkpoint_path;         /* set once written */
    DuetRdd *checkpoint_rdd;       /* replaces the lineage once written */
};

/* rdd.c */
DuetRdd *duet_rdd_new_internal(DuetContext *context, DuetSchema *schema, guint n_partitions,
                               const DuetRddOps *ops, const char *operation);
void duet_rdd_add_parent(DuetRdd *rdd, DuetRdd *parent);
void duet_rdd_add_shuffle(DuetRdd *rdd, DuetShuffle *shuffle);
/* Computes a partition inside a task, honouring the cache and a written checkpoint. */
GPtrArray *duet_rdd_compute_partition(DuetRdd *rdd, guint partition, GError **error);
gboolean duet_rdd_is_pair(const DuetRdd *rdd, const char *operation, GError **error);

/* checkpoint.c: writes the checkpoints marked in a lineage; every action calls it after its
 * job. */
gboolean duet_rdd_write_pending_checkpoints(DuetRdd *rdd, GError **error);

/* context.c */
guint duet_context_next_rdd_id(DuetContext *context);
guint duet_context_next_shuffle_id(DuetContext *context);
guint duet_context_next_stage_id(DuetContext *context);
GThreadPool *duet_context_pool(DuetContext *context);
void duet_context_submit(DuetContext *context, GFunc func, gpointer data);

/* task.c: the per-thread task context the scheduler installs. */
struct _DuetTaskContext {
    guint partition_id;   /* partition being computed */
    guint stage_id;       /* stage of the task */
    guint attempt_number; /* 0 for the first attempt */
    gint64 job_time_ms;   /* clock time at job submission */
    char *failure;        /* first failure message, or NULL */
    GSList *scratch;      /* blocks of scratch memory, freed with the task */
    gsize scratch_used;   /* bytes used in the head block */
    gsize scratch_size;   /* size of the head block */
};
void duet_task_context_enter(DuetTaskContext *task);
void duet_task_context_leave(DuetTaskContext *task);
void duet_task_context_clear(DuetTaskContext *task);

/* scheduler.c: runs func(rdd, partition) for the given partitions of rdd as one job, after
 * computing every missing shuffle of its lineage. func runs in worker threads inside a task
 * context; it returns FALSE with error set to fail the attempt. */
typedef gboolean (*DuetTaskFunc)(DuetRdd *rdd, guint partition, gpointer user_data, GError **error);
gboolean duet_scheduler_run_job(DuetRdd *rdd, const guint *partitions, guint n_partitions,
                                DuetTaskFunc func, gpointer user_data, GError **error);

/* shuffle.c */
typedef enum {
    DUET_PARTITIONER_HASH_KEY,    /* xxh3 of column 0 */
    DUET_PARTITIONER_HASH_ROW,    /* xxh3 of every column */
    DUET_PARTITIONER_ROUND_ROBIN, /* Spark's repartition */
    DUET_PARTITIONER_RANGE,       /* sorted bounds on column 0 */
} DuetPartitionerKind;

/* Map-side combining (Spark's Aggregator): rows of (key, value) become (key, combiner). */
typedef struct {
    DuetDataType *combiner_type;    /* owned */
    DuetCreateFunc create_combiner; /* NULL: the value itself is the combiner */
    DuetReduceFunc merge_value;
    DuetReduceFunc merge_combiners;
    gpointer user_data;
} DuetAggregator;

DuetShuffle *duet_shuffle_new(DuetRdd *parent, DuetPartitionerKind kind, guint n_reduce,
                              const DuetAggregator *map_side_combine, DuetBatch *range_bounds,
                              gboolean range_ascending);
void duet_shuffle_free(DuetShuffle *shuffle);
DuetRdd *duet_shuffle_parent(const DuetShuffle *shuffle);
guint duet_shuffle_id(const DuetShuffle *shuffle);
/* The schema of the blocks: the parent's, or (key, combiner) with map-side combining. */
DuetSchema *duet_shuffle_block_schema(const DuetShuffle *shuffle);
/* Runs the map stage unless already done (thread-safe; blocks while another job runs it). */
gboolean duet_shuffle_ensure_computed(DuetShuffle *shuffle, GError **error);
/* The blocks of reduce partition p from every map task, in map order. (transfer full) */
GPtrArray *duet_shuffle_fetch(DuetShuffle *shuffle, guint reduce_partition);

/* combine.c: map-side combine of a task's (key, value) batches into (key, combiner) blocks,
 * one list per reduce partition. */
gboolean duet_combine_partition(const DuetAggregator *aggregator, DuetSchema *block_schema,
                                GPtrArray *batches, guint n_reduce, GPtrArray **out,
                                GError **error);

/* key_map.c: keys (one column, or whole rows) to dense entry indices.
 *
 * A DuetKey is one key read from a batch, with its hash, ready for comparison without
 * touching the batch again: strings point into the batch's buffer, integers are widened to
 * int64 (so int32 and int64 keys meet), doubles are normalised. Nested keys and whole-row keys
 * fall back to the data layer's hash and equality. Batches must outlive the keys. */
typedef enum {
    DUET_KEY_NULL,
    DUET_KEY_INT, /* boolean, int32, int64, date, timestamp */
    DUET_KEY_DOUBLE,
    DUET_KEY_BYTES, /* string, binary */
    DUET_KEY_CELL,  /* nested: compared with duet_column_rows_equal */
    DUET_KEY_ROW,   /* whole row: compared with duet_row_equal */
} DuetKeyKind;

typedef struct {
    guint64 hash;             /* equal keys hash alike */
    DuetKeyKind kind;         /* which of the fields below is meaningful */
    gint64 i;                 /* DUET_KEY_INT */
    gdouble d;                /* DUET_KEY_DOUBLE */
    const char *bytes;        /* DUET_KEY_BYTES */
    gsize len;                /* DUET_KEY_BYTES */
    const DuetColumn *column; /* DUET_KEY_CELL */
    const DuetBatch *batch;   /* DUET_KEY_ROW, and the key's origin in every kind */
    gsize row;                /* row in column/batch */
} DuetKey;

/* Reads keys of one column (or whole rows) of one batch; init caches the raw buffers. */
typedef struct {
    const DuetBatch *batch;   /* the batch */
    const DuetColumn *column; /* key column; NULL for whole rows */
    DuetTypeId type;          /* the column's type id */
    const guint8 *validity;   /* NULL: no nulls */
    gsize bit_offset;         /* of row 0 in validity */
    const void *values;       /* fixed-width values, row 0 first */
    const gint64 *offsets;    /* string offsets, row 0 first */
    const char *data;         /* string bytes */
} DuetKeyReader;

void duet_key_reader_init(DuetKeyReader *reader, const DuetBatch *batch, gint key_column);
void duet_key_reader_read(const DuetKeyReader *reader, gsize row, DuetKey *key);
gboolean duet_key_equal(const DuetKey *a, const DuetKey *b);
/* The reduce partition of a hash in [0, n). */
static inline guint
duet_key_bucket(guint64 hash, guint n)
{
    return (guint)(((hash >> 32) * (guint64)n) >> 32);
}

typedef struct _DuetKeyMap DuetKeyMap;
DuetKeyMap *duet_key_map_new(gsize capacity);
void duet_key_map_free(DuetKeyMap *map);
/* Index of key, inserting a copy of it if new (*is_new tells). */
guint duet_key_map_insert(DuetKeyMap *map, const DuetKey *key, gboolean *is_new);
/* The payload slot of key (a null value when the key is new), inserting the key if absent:
 * the value lives beside the key, so updating a combiner touches one cache line. The pointer
 * is valid until the next insertion. */
DuetValue *duet_key_map_upsert(DuetKeyMap *map, const DuetKey *key, gboolean *is_new);
/* The payload of entry index. */
DuetValue *duet_key_map_payload(DuetKeyMap *map, guint index);
/* Index or -1. */
gint64 duet_key_map_lookup(const DuetKeyMap *map, const DuetKey *key);
guint duet_key_map_size(const DuetKeyMap *map);
/* (transfer none) */
const DuetKey *duet_key_map_key(const DuetKeyMap *map, guint index);

/* file_format.c: the scalar text conversions file_format_read.c shares. */
/* Java's Integer.parseInt / Long.parseLong within [min, max]. */
gboolean duet_file_format_parse_integer(const char *text, gint64 min, gint64 max, gint64 *value);
/* Spark's CSV doubles (NaN, Inf, -Inf) and Java's Double.parseDouble. */
gboolean duet_file_format_parse_double(const char *text, gdouble *value);
/* Appends text converted to the scalar type id; a null and FALSE when it does not convert. */
gboolean duet_file_format_append_text_value(DuetColumnBuilder *builder, DuetTypeId id,
                                            const char *text);

G_END_DECLS
