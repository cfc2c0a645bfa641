/* internal.h — what the files of structured/ share and nobody else may see.
 *
 * Layer: structured/ private (compiled with -DDUET_STRUCTURED_COMPILATION).
 */
#pragma once

#ifndef DUET_STRUCTURED_COMPILATION
#error "structured/internal.h is private to structured/"
#endif

#include "rdd/format.h"
#include "sinks/sink.h"
#include "structured/dataframe.h"
#include "structured/expr.h"
#include "structured/udf.h"

G_BEGIN_DECLS

struct _DuetExpr {
    gint ref_count; /* atomic */
    DuetExprKind kind;
    DuetBinaryOp op;         /* DUET_EXPR_BINARY */
    char *name;              /* column name, alias, or lower-case function name */
    DuetValue literal;       /* DUET_EXPR_LITERAL; strings point at literal_bytes */
    char *literal_bytes;     /* owned copy of a string literal */
    DuetDataType *cast_type; /* DUET_EXPR_CAST target (owned) */
    DuetExpr **children;     /* owned */
    guint n_children;
    /* set by resolution */
    DuetDataType *type; /* result type (owned), NULL until resolved */
    gboolean nullable;
    gint column_index; /* DUET_EXPR_COLUMN: field index in the input schema */
};

/* expr_function.c: what current_timestamp() returns on the calling thread (G_MININT64: the wall
 * clock). Tasks of a micro-batch set the batch's timestamp. */
void duet_expr_set_batch_time(gint64 micros);
gint64 duet_expr_current_time_us(void);

/* ---- built-in scalar functions (expr_function.c, expr_string.c, expr_math.c, expr_time.c) - */

/* Types a function node whose children are resolved: sets expr->type and expr->nullable, and
 * may append the default arguments Spark fills in (split's limit -1, round's scale 0), which
 * then show in the node's name as they do in Spark's. */
typedef gboolean (*DuetFunctionTypeFunc)(DuetExpr *expr, GError **error);
/* Evaluates a typed function node over n_rows rows of its argument columns into out (of the
 * node's type). Errors are Spark's runtime exceptions (a bad regex in a column, a group index
 * out of range): they fail the batch, never one row. */
typedef gboolean (*DuetFunctionEvalFunc)(const DuetExpr *expr, DuetColumn *const *arguments,
                                         gsize n_rows, DuetColumnBuilder *out, GError **error);

typedef struct {
    const char *name;         /* Spark's lower-case name */
    guint min_args, max_args; /* G_MAXUINT: variadic */
    DuetFunctionTypeFunc type;
    DuetFunctionEvalFunc evaluate;
} DuetFunctionDef;

/* The definition of a function by lower-case name, or NULL; one lookup per file. */
const DuetFunctionDef *duet_expr_string_function(const char *name);
const DuetFunctionDef *duet_expr_math_function(const char *name);
const DuetFunctionDef *duet_expr_time_function(const char *name);
const DuetFunctionDef *duet_expr_lookup_function(const char *name);
/* udf.c: registered user functions (never freed once registered). */
typedef struct {
    guint n_arguments;
    DuetDataType *result_type;
    DuetUdfFunc func;
    gpointer user_data;
} DuetUdf;
typedef struct {
    const DuetAggregator *aggregator;
    gpointer user_data;
} DuetUdaf;
const DuetUdf *duet_udf_lookup(const char *name);
const DuetUdaf *duet_udaf_lookup(const char *name);
/* expr_function.c: helpers the function files share. */
gboolean duet_expr_any_nullable(const DuetExpr *expr);
DuetTypeId duet_expr_argument_type(const DuetExpr *expr, guint argument);
/* Sets a scalar result type; returns TRUE. */
gboolean duet_expr_set_type(DuetExpr *expr, DuetTypeId id, gboolean nullable);
gboolean duet_expr_row_has_null(DuetColumn *const *arguments, guint n, gsize row);
/* expr_function.c: typing and evaluation of DUET_EXPR_FUNCTION nodes (children resolved). */
gboolean duet_expr_type_function(DuetExpr *expr, GError **error);
gboolean duet_expr_evaluate_function(const DuetExpr *expr, DuetColumn *const *arguments,
                                     gsize n_rows, DuetColumnBuilder *out, GError **error);

/* expr.c: helpers the function files share. */
/* Appends a resolved literal argument (a default Spark fills in). (transfer none) */
void duet_expr_append_default(DuetExpr *expr, const DuetValue *value);
/* Spark's findWiderTypeForTwo: int < bigint < double, null widens to anything, string with an
 * atomic type is string, date with timestamp is timestamp; NULL when there is none.
 * (transfer full) */
DuetDataType *duet_expr_wider_type(DuetDataType *a, DuetDataType *b);
/* The common type of children [first, first + n), or an analysis error
 * "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] ... Input to `what` should all be the same type".
 * (transfer full) */
DuetDataType *duet_expr_common_type(DuetExpr *expr, guint first, guint n, const char *what,
                                    GError **error);
/* "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "f(x)" due to data type mismatch:
 * Parameter 1 requires the "DOUBLE" type, however "x" has the type "STRING"." */
gboolean duet_expr_input_type_error(const DuetExpr *expr, guint argument, const char *required,
                                    GError **error);
gboolean duet_expr_is_numeric(const DuetExpr *expr);

/* expr_eval.c: cell readers and conversions the function files share. */
/* A cell as double / integer (strings parsed as Spark's implicit cast does); FALSE for null
 * or unparsable. */
gboolean duet_expr_cell_double(const DuetColumn *column, gsize row, gdouble *out);
gboolean duet_expr_cell_int(const DuetColumn *column, gsize row, gint64 *out);
/* Spark's cast of a string (data[0..len), spaces trimmed) to double; FALSE when it does not
 * parse (Spark's null). */
gboolean duet_expr_parse_double(const char *data, gsize len, gdouble *out);
/* A cell as text, Spark's cast to string; NULL for null. (transfer full) */
char *duet_expr_cell_string(const DuetColumn *column, gsize row);
/* Appends an integer to an int or bigint builder. */
void duet_expr_append_int(DuetColumnBuilder *builder, gint64 value);
/* Spark's CAST of a whole column to target (null where a string does not parse); a new
 * reference to input when the types are equal. (transfer full) */
DuetColumn *duet_expr_cast_column(DuetColumn *input, DuetDataType *target);

/* expr_time.c: Spark's cast of a string to timestamp ("yyyy-MM-dd[ HH:mm:ss[.ffffff]]", 'T'
 * accepted) and to date ("yyyy[-MM[-dd]]", anything after a space or 'T' ignored), in UTC. */
gboolean duet_expr_parse_timestamp(const char *text, gint64 *micros);
gboolean duet_expr_parse_date(const char *text, gint32 *days);

/* ---- bytes (row_codec.c) ------------------------------------------------------------------ */

typedef struct {
    const guint8 *at;
    const guint8 *end;
    gboolean damaged; /* a read ran past the end */
} DuetByteReader;

void duet_row_codec_append_cell(GByteArray *out, const DuetColumn *column, gsize row);
void duet_row_codec_append_value(GByteArray *out, const DuetValue *value);
/* Scalar values only; strings point into the reader's bytes. */
gboolean duet_row_codec_read_value(DuetByteReader *reader, DuetTypeId type, DuetValue *value);
/* Any type, appended to builder (whose type says how to read). */
gboolean duet_row_codec_read_cell(DuetByteReader *reader, DuetColumnBuilder *builder);
/* An int64 as 8 little-endian bytes (event times in shuffled values and state): appended to
 * out, and read from at (which must hold 8 bytes). */
void duet_row_codec_put_i64(GByteArray *out, gint64 value);
gint64 duet_row_codec_get_i64(const guint8 *at);

/* ---- aggregate functions (agg_function.c) ------------------------------------------------ */

typedef enum {
    DUET_AGG_COUNT_ROWS, /* count(*), count(1) */
    DUET_AGG_COUNT,
    DUET_AGG_SUM,
    DUET_AGG_AVG,
    DUET_AGG_MIN,
    DUET_AGG_MAX,
    DUET_AGG_FIRST,
    DUET_AGG_LAST,
    DUET_AGG_COLLECT_LIST,
    DUET_AGG_COLLECT_SET,
    DUET_AGG_APPROX_COUNT_DISTINCT,
    DUET_AGG_STDDEV_SAMP,
    DUET_AGG_STDDEV_POP,
    DUET_AGG_VAR_SAMP,
    DUET_AGG_VAR_POP,
    DUET_AGG_MEDIAN,
    DUET_AGG_USER, /* a registered Aggregator */
} DuetAggKind;

typedef struct {
    DuetAggKind kind;
    DuetExpr *input; /* resolved; NULL for count(*) */
    DuetTypeId input_type;
    DuetDataType *result_type;
    char *name;           /* the output column's name */
    const DuetUdaf *user; /* DUET_AGG_USER */
} DuetAggSpec;

typedef struct {
    gint64 count;      /* count: rows; avg: values; collect: elements */
    gboolean has;      /* sum/min/max/first/last: value holds something */
    DuetValue value;   /* strings point into bytes */
    gdouble sum;       /* avg; the running mean of stddev/variance */
    gdouble m2;        /* stddev/variance: sum of squared deviations (Welford) */
    GByteArray *bytes; /* string bytes of value, or collected elements (length-prefixed) */
} DuetAggBuffer;

gboolean duet_agg_is_function(const char *name);
gboolean duet_expr_contains_aggregate(const DuetExpr *expr);
/* An (optionally aliased) aggregate call, its argument resolved against schema. */
DuetAggSpec *duet_agg_spec_new(DuetExpr *expr, DuetSchema *schema, GError **error);
void duet_agg_spec_free(DuetAggSpec *spec);
void duet_agg_buffer_init(DuetAggBuffer *buffer);
void duet_agg_buffer_clear(DuetAggBuffer *buffer);
/* input is the evaluated argument column (NULL for count(*)). */
void duet_agg_buffer_update(const DuetAggSpec *spec, DuetAggBuffer *buffer, const DuetColumn *input,
                            gsize row);
void duet_agg_buffer_merge(const DuetAggSpec *spec, DuetAggBuffer *buffer,
                           const DuetAggBuffer *other);
void duet_agg_buffer_write(const DuetAggSpec *spec, const DuetAggBuffer *buffer, GByteArray *out);
gboolean duet_agg_buffer_read(const DuetAggSpec *spec, DuetAggBuffer *buffer,
                              DuetByteReader *reader);
/* The encoded size of a buffer that is always the same size (count, avg), or 0; such buffers
 * merge in place on their bytes. */
gsize duet_agg_fixed_width(const DuetAggSpec *spec);
void duet_agg_merge_fixed(const DuetAggSpec *spec, guint8 *state, const guint8 *partial);
void duet_agg_buffer_finish(const DuetAggSpec *spec, const DuetAggBuffer *buffer,
                            DuetColumnBuilder *out);

/* ---- pre-aggregation (group_table.c) ------------------------------------------------------ */

typedef struct _DuetGroupTable DuetGroupTable;
DuetGroupTable *duet_group_table_new(guint n_buffers);
void duet_group_table_free(DuetGroupTable *table);
/* The buffers of the group whose key is key (hash: duet_state_key_hash of it), added (with
 * zeroed buffers and event_time) when new. (transfer none), valid until the next find. */
DuetAggBuffer *duet_group_table_find(DuetGroupTable *table, const guint8 *key, gsize len,
                                     guint64 hash, gint64 event_time);
guint duet_group_table_size(const DuetGroupTable *table);
/* Group index (in insertion order): its key bytes and event time. (transfer none) */
const guint8 *duet_group_table_key(const DuetGroupTable *table, guint index, gsize *len,
                                   gint64 *event_time);
DuetAggBuffer *duet_group_table_buffers(DuetGroupTable *table, guint index);

/* ---- state (state_store.c) ----------------------------------------------------------------- */

typedef struct {
    guint8 *key;
    gsize key_len;
    guint64 hash;
    gint64 event_time; /* microseconds; what eviction compares with the watermark */
    GByteArray *value;
} DuetStateEntry;

typedef struct _DuetStateStore DuetStateStore;

/* The session confs that shape a store's files (Spark's StateStoreConf). */
typedef struct {
    gint64 min_deltas_for_snapshot; /* spark.sql.streaming.stateStore.minDeltasForSnapshot (10) */
    gint64 min_versions_to_retain;  /* spark.sql.streaming.minBatchesToRetain (100) */
    gint64 maintenance_interval_ms; /* spark.sql.streaming.stateStore.maintenanceInterval (60s) */
} DuetStateStoreConf;

/* The format version of state deltas and snapshots (v1 was duet's one file per operator). */
#define DUET_STATE_FILE_VERSION  2
#define DUET_STATE_KIND_DELTA    "state-delta"
#define DUET_STATE_KIND_SNAPSHOT "state-snapshot"

/* Spark's defaults. */
void duet_state_store_conf_init(DuetStateStoreConf *conf);
guint64 duet_state_key_hash(const guint8 *key, gsize len);
/* Loads version (0 = empty) of the store kept in directory (state/<operator>; NULL: throwaway
 * state, never written), every partition's files in parallel. n_sides is 2 for a
 * stream-stream join: partitions [0, n/2) are the left side (<partition>/left/), the rest the
 * right (<partition - n/2>/right/). conf NULL: Spark's defaults. Errors name the damaged or
 * missing file (DUET_FILE_ERROR). */
DuetStateStore *duet_state_store_open(const char *directory, guint n_partitions, guint n_sides,
                                      const DuetStateStoreConf *conf, gint64 version,
                                      GError **error);
void duet_state_store_free(DuetStateStore *store);
/* Before each batch: now_ms is the batch's clock time, which decides whether the batch ends
 * with maintenance (a snapshot, the cleanup). */
void duet_state_store_begin_batch(DuetStateStore *store, gint64 now_ms);
gint64 duet_state_store_version(const DuetStateStore *store);
guint duet_state_store_n_partitions(const DuetStateStore *store);
guint duet_state_store_size(const DuetStateStore *store, guint partition);
DuetStateEntry *duet_state_store_get(DuetStateStore *store, guint partition, const guint8 *key,
                                     gsize len, guint64 hash);
/* The entry for key, created empty if missing, marked as put in this batch. */
DuetStateEntry *duet_state_store_put(DuetStateStore *store, guint partition, const guint8 *key,
                                     gsize len, guint64 hash);
gboolean duet_state_store_was_put(DuetStateStore *store, guint partition, DuetStateEntry *entry);
void duet_state_store_remove(DuetStateStore *store, guint partition, DuetStateEntry *entry);
/* (transfer container) */
GPtrArray *duet_state_store_entries(DuetStateStore *store, guint partition);
/* Callers that set an entry's event_time report it, so that eviction can skip partitions
 * with nothing old enough. */
void duet_state_store_note_time(DuetStateStore *store, guint partition, gint64 event_time);
/* The entries whose event time is at or below watermark (without scanning when none can be).
 * (transfer container) */
GPtrArray *duet_state_store_expired(DuetStateStore *store, guint partition, gint64 watermark);
/* Encodes one partition's changes of this batch and hands them to the store's writer threads
 * as its next delta file (the task that changed it calls this, so partitions encode in
 * parallel and their fsyncs are in flight together; commit waits for the writes and reports
 * the first error). Later changes to the partition are not recorded. */
void duet_state_store_seal_partition(DuetStateStore *store, guint partition);
/* Ends the batch: seals the partitions no task sealed, waits for every delta, reports the
 * first write error, and moves to the next version; when maintenance is due, snapshots and cleanup
 * run in the background. */
gboolean duet_state_store_commit(DuetStateStore *store, GError **error);
/* directory/<version>.<suffix> (transfer full) */
char *duet_state_file_path(const char *directory, gint64 version, const char *suffix);
/* Spark's cleanup of one partition's directory: deletes the files older than the newest
 * snapshot at or below latest - retain. */
void duet_state_store_cleanup_directory(const char *directory, gint64 latest, gint64 retain);

/* ---- state schemas (state_schema.c) ----------------------------------------------------- */

/* Spark's StateSchemaCompatibilityChecker for stateful operator id (node): compares the key and
 * value schemas of its state with checkpoint/state/<id>/_metadata/schema, failing with Spark's
 * "Provided schema doesn't match to the schema for existing state! ..." (naming the operator
 * and both schemas) when a field count, a type or a nullability (nullable to non-nullable)
 * changed; names may change. Writes the file when it is missing or the schema compatibly
 * changed. check FALSE (spark.sql.streaming.stateStore.stateSchemaCheck=false) only writes a
 * missing file. */
gboolean duet_state_schema_check(const char *checkpoint, guint id, DuetDataFrame *node,
                                 gboolean check, GError **error);

/* ---- checkpoint files (checkpoint_file.c) ----------------------------------------------- */

/* Spark's MetadataVersionUtil.validateVersion of a log's first line ("v1"), with Spark's
 * messages after "checkpoint file <path>: ". */
gboolean duet_checkpoint_parse_version(const char *path, const char *text, guint max_version,
                                       guint *version, GError **error);
/* That text (what: "the batch metadata") is JSON (an object when object is TRUE). */
gboolean duet_checkpoint_check_json(const char *path, const char *what, const char *text,
                                    gboolean object, GError **error);
/* A text checkpoint file's contents; binary garbage is an error naming the file. */
char *duet_checkpoint_read_text(const char *path, GError **error);
/* duet_versioned_file_read, a future version reported with Spark's UnsupportedLogVersion. */
GBytes *duet_checkpoint_read_versioned(const char *path, const char *kind, guint max_version,
                                       guint *version, GError **error);

/* ---- one batch's execution (plan.c, stateful.c) --------------------------------------------- */

typedef struct {
    gint64 rows_total, rows_updated, rows_dropped_by_watermark, rows_removed;
    gint64 rows_output;            /* rows the operator emitted */
    gint64 dropped_duplicate_rows; /* deduplication: input rows already in state */
} DuetStateMetrics;

typedef struct {
    gint64 count, min, max; /* microseconds */
    gdouble sum;
} DuetEventTimeStats;

typedef struct {
    DuetContext *context;
    GHashTable *inputs; /* DuetSource* -> DuetRdd*: this batch's rows of each streaming source */
    gint64 batch_id;
    gint64 batch_timestamp_ms;
    gint64 watermark_ms;      /* batch N's: eviction and Append emission */
    gint64 late_watermark_ms; /* batch N-1's: late-row filtering */
    gboolean has_watermark;
    DuetOutputMode mode;
    guint shuffle_partitions;
    GHashTable *node_ids; /* DuetDataFrame* -> id (GINT_TO_POINTER(id + 1)) */
    GPtrArray *stores;    /* DuetStateStore* by stateful operator id */
    GMutex lock;          /* guards the arrays below */
    GArray *event_time;   /* DuetEventTimeStats by watermark node id */
    GArray *metrics;      /* DuetStateMetrics by stateful operator id */
} DuetExecution;

/* Numbers plan's stateful operators (top-down, into stateful_nodes) and watermark nodes, and
 * sizes the per-node arrays; stores start NULL. */
void duet_execution_init(DuetExecution *execution, DuetContext *context, DuetDataFrame *plan,
                         DuetOutputMode mode, guint shuffle_partitions, GPtrArray *stateful_nodes,
                         GPtrArray *watermark_nodes);
void duet_execution_clear(DuetExecution *execution);
/* The id a stateful or watermark node has in this execution; G_MAXUINT for a node that
 * keeps no state (a stateful operator on the static side of a streaming query). */
guint duet_execution_node_id(DuetExecution *execution, gconstpointer node);

/* ---- logical plans (dataframe.c) ------------------------------------------------------------ */

typedef enum {
    DUET_PLAN_SOURCE,
    DUET_PLAN_PROJECT,
    DUET_PLAN_FILTER,
    DUET_PLAN_WINDOW,      /* appends a `window` struct column, one row per window of each row */
    DUET_PLAN_WATERMARK,   /* passes rows, records their event times */
    DUET_PLAN_AGGREGATE,   /* stateful: groupBy + agg */
    DUET_PLAN_DEDUP,       /* stateful: dropDuplicates, dropDuplicatesWithinWatermark */
    DUET_PLAN_SORT,        /* orderBy (Complete mode, after an aggregation) */
    DUET_PLAN_LIMIT,       /* limit: global across batches in Append, per result in Complete */
    DUET_PLAN_MAP,         /* a user function over rows (map, flatMap, mapPartitions) */
    DUET_PLAN_REPARTITION, /* repartition(n) (a shuffle) or coalesce(n) */
    DUET_PLAN_UNION,       /* child's rows, then right's */
    DUET_PLAN_JOIN,        /* an equi-join of child (left) and right on key columns */
    DUET_PLAN_GENERATE,    /* explode: one row per element of an array (outer: within_watermark) */
    DUET_PLAN_SESSION,     /* appends a `session_window` struct column [time, time + gap) */
    DUET_PLAN_GROUP_STATE, /* stateful: groupByKey + (flat)MapGroupsWithState (group_state.c) */
} DuetPlanKind;

typedef enum {
    DUET_JOIN_INNER,
    DUET_JOIN_LEFT_OUTER,
} DuetJoinType;

typedef struct {
    DuetExpr *expr; /* resolved */
    gboolean ascending;
    gboolean nulls_first;
} DuetSortKey;

struct _DuetDataFrame {
    gint ref_count;
    DuetPlanKind kind;
    DuetSchema *schema;      /* output schema */
    DuetDataFrame *child;    /* every kind but SOURCE; the left side of UNION and JOIN */
    DuetDataFrame *right;    /* UNION, JOIN: the right side */
    DuetSource *source;      /* SOURCE */
    gboolean is_static;      /* SOURCE: a static (batch) table, read whole at every batch */
    gboolean is_streaming;   /* some leaf below is a streaming source */
    DuetJoinType join_type;  /* JOIN */
    GArray *left_keys;       /* JOIN: key column indices in child (guint) */
    GArray *right_keys;      /* JOIN: key column indices in right (guint) */
    GArray *right_values;    /* JOIN: right's non-key column indices (guint) */
    gboolean has_time_bound; /* JOIN: right time - left time within [lower_us, upper_us] */
    gint left_time_column, right_time_column;
    gint64 lower_us, upper_us;
    GPtrArray *exprs;          /* PROJECT: DuetExpr*; FILTER: the condition; AGGREGATE: the keys;
                                * WINDOW: the time column */
    GPtrArray *aggs;           /* AGGREGATE: DuetAggSpec* */
    GArray *sort_keys;         /* SORT: DuetSortKey */
    GArray *columns;           /* DEDUP: key column indices (guint) */
    gboolean within_watermark; /* DEDUP: dropDuplicatesWithinWatermark */
    gint64 window_us, slide_us, start_us; /* WINDOW */
    gint64 delay_ms;                      /* WATERMARK; and the event time's delay */
    gint64 limit;                         /* LIMIT; REPARTITION: the partitions */
    gboolean shuffle;                     /* REPARTITION: repartition, not coalesce */
    DuetPartitionFunc map_func;           /* MAP */
    gpointer map_data;
    /* The event-time column of the output (-1 none): the watermarked column, or a window over
     * it; and whether it is a struct whose `end` field is the time (a window). */
    gint event_time_column;
    gboolean event_time_is_window;
    /* AGGREGATE, DEDUP: the key column whose time evicts state and judges late rows (-1: the
     * state is never evicted) */
    gint state_time_column;
    gint session_key;  /* AGGREGATE: the key that is a session_window (-1 none) */
    char *parsed_plan; /* duet_catalog_sql: Spark's parsed (unresolved) plan, for explain */
    /* What a kind keeps to itself, owned by the node (GROUP_STATE: group_state.c's operator;
     * its key column indices are in columns). */
    gpointer op_data;
    GDestroyNotify op_data_free;
};

/* What a plan node's task needs: the node and the batch's execution. */
typedef struct {
    DuetDataFrame *frame;
    DuetExecution *execution;
} DuetPlanRun;

/* dataframe.c: a new plan node over child, inheriting its event-time mark. */
DuetDataFrame *duet_dataframe_node_new(DuetPlanKind kind, DuetSchema *schema, DuetDataFrame *child);
/* Sets Spark's AnalysisException (DUET_SQL_ERROR_ANALYSIS); returns FALSE. */
gboolean duet_analysis_error(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* The output index of child's event-time column among exprs resolved over child, or -1. */
gint duet_event_time_among(DuetDataFrame *child, GPtrArray *resolved);
/* time_window.c: where exprs call window(...), a WINDOW node under frame and exprs rewritten
 * to use its column; otherwise frame and exprs as they are. (transfer full) both. */
DuetDataFrame *duet_expand_window(DuetDataFrame *frame, DuetExpr *const *exprs, guint n,
                                  GPtrArray **rewritten, GError **error);
/* generate.c: where a select item is explode(...), a GENERATE node under frame, and the item
 * (in exprs, replaced in place) refers to its column. (transfer full) */
DuetDataFrame *duet_expand_generator(DuetDataFrame *frame, GPtrArray *exprs, GError **error);
void duet_run_generate(GPtrArray *batches, guint partition, DuetBatchBuilder *out,
                       gpointer user_data);
/* session_window.c: where a groupBy key is session_window(...), a SESSION node under frame and
 * the key (in keys, replaced in place) refers to its column. (transfer full) */
DuetDataFrame *duet_expand_session_window(DuetDataFrame *frame, GPtrArray *keys, GError **error);
/* user_data: a DuetPlanRun. */
void duet_run_session_window(GPtrArray *batches, guint partition, DuetBatchBuilder *out,
                             gpointer user_data);
DuetRdd *duet_stateful_session_aggregate(DuetDataFrame *frame, DuetRdd *child,
                                         DuetExecution *execution, GError **error);
/* plan.c: the physical plan of frame over one batch's input, as RDD transformations. */
DuetRdd *duet_plan_rdd(DuetDataFrame *frame, DuetExecution *execution, GError **error);
/* stateful_run.c: what the stateful operators' tasks share. */
typedef struct {
    DuetDataFrame *frame;
    DuetExecution *execution;
    guint id; /* the operator's id in the execution */
} DuetStatefulRun;
DuetStatefulRun *duet_stateful_run_new(DuetDataFrame *frame, DuetExecution *execution);
/* Keeps frame and run (freed with g_free) alive as long as rdd. Returns rdd. */
DuetRdd *duet_stateful_attach(DuetRdd *rdd, DuetDataFrame *frame, gpointer run);
/* The event time (µs) of a row's time column: the timestamp, or a window's end; G_MININT64
 * for null. */
gint64 duet_event_time_of(const DuetColumn *column, gsize row, gboolean is_window);
void duet_stateful_add_metrics(DuetExecution *execution, guint id, const DuetStateMetrics *metrics);
/* The map side of a keyed operator: appends to out (key column 0, value column 1) the pair of a
 * row: key, the row codec of key_columns' cells; value, time (8 bytes, see
 * duet_row_codec_put_i64) and then every column's cell. key and value are scratch buffers. */
void duet_stateful_append_row_pair(DuetBatchBuilder *out, GByteArray *key, GByteArray *value,
                                   DuetBatch *batch, gsize row, GArray *key_columns, gint64 time);
/* stateful.c: the stateful operators. */
DuetRdd *duet_stateful_aggregate(DuetDataFrame *frame, DuetRdd *child, DuetExecution *execution,
                                 GError **error);
DuetRdd *duet_stateful_dedup(DuetDataFrame *frame, DuetRdd *child, DuetExecution *execution,
                             GError **error);
DuetRdd *duet_stateful_join(DuetDataFrame *frame, DuetRdd *left, DuetRdd *right,
                            DuetExecution *execution, GError **error);
DuetRdd *duet_stateful_limit(DuetDataFrame *frame, DuetRdd *child, DuetExecution *execution,
                             GError **error);
/* group_state.c: the physical (flat)MapGroupsWithState over child; whether node asks for
 * no-data batches when the watermark advances (event-time timeout) or at every trigger
 * (processing-time timeout), OR-ed into the flags; its explain() line; and the output-mode
 * checker's rules for it: counts (multiple/mixed operators, checked first) and nodes (modes,
 * aggregations, a watermark for event-time timeouts; checked after the aggregation rules). */
DuetRdd *duet_group_state_rdd(DuetDataFrame *frame, DuetRdd *child, DuetExecution *execution,
                              GError **error);
void duet_group_state_no_data_batches(DuetDataFrame *node, gboolean *on_watermark,
                                      gboolean *every_trigger);
void duet_group_state_explain(GString *out, DuetDataFrame *frame);
/* The user's state type of a GROUP_STATE node. (transfer none) */
DuetDataType *duet_group_state_state_type(DuetDataFrame *frame);
gboolean duet_group_state_check_counts(DuetDataFrame *plan, DuetOutputMode mode, GError **error);
gboolean duet_group_state_check_nodes(DuetDataFrame *plan, DuetOutputMode mode, GError **error);
/* output_mode.c: Spark's UnsupportedOperationChecker for the mode. */
gboolean duet_check_output_mode(DuetDataFrame *plan, DuetOutputMode mode, GError **error);
/* output_mode.c: Spark's checkForContinuous: map-like queries only, no current time. */
gboolean duet_check_continuous(DuetDataFrame *plan, GError **error);
/* Interval strings ("10 seconds", "200 milliseconds", "1 minute 30 seconds"), or a number of
 * microseconds, to microseconds. */
gboolean duet_parse_interval_us(const char *text, gint64 *us, GError **error);

/* ---- the optimizer (optimizer.c) --------------------------------------------------------- */

/* A shallow copy of one node: the same fields, new references to its children. (transfer full) */
DuetExpr *duet_expr_copy_node(const DuetExpr *expr);
/* An equivalent plan (same output schema, rows, event-time marks and stateful operators, in the
 * same order) after Spark's rules: constant folding, filter pushdown, column pruning, collapsed
 * projections and combined filters. (transfer full) */
DuetDataFrame *duet_optimize(DuetDataFrame *plan);
/* duet_optimize, or plan itself when context's "duet.sql.optimizer.enabled" is "false" (to
 * compare the two, and as a way out). (transfer full) */
DuetDataFrame *duet_optimize_for(DuetContext *context, DuetDataFrame *plan);

G_END_DECLS
