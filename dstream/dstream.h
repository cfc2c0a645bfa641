/* dstream.h — Spark's legacy streaming API: discretized streams of RDDs, and the dstream/
 * umbrella header.
 *
 * Layer: dstream/ (includes rdd/; never structured/). A DStream is a sequence of RDDs, one
 * per batch time, defined like an RDD by its parents and a transformation; the
 * StreamingContext (streaming_context.h) generates every output stream's RDD at each batch
 * time and runs the output operations as jobs on the RDD core. Names map one to one onto
 * Spark's (dstream/README.md has the table): reduceByKey is duet_dstream_reduce_by_key.
 *
 * A DStream belongs to its context and must not outlive it. Functions that build streams
 * borrow their arguments and return a new reference; they must be called before the context
 * starts. User functions have the RDD core's signatures (rdd/rdd.h) and run in tasks.
 */
#pragma once

#include "rdd/rdd.h"
#include "dstream/streaming_context.h"
#include "sinks/sink.h"

G_BEGIN_DECLS

typedef struct _DuetDStream DuetDStream;

#define DUET_DSTREAM_ERROR (duet_dstream_error_quark())
GQuark duet_dstream_error_quark(void);

typedef enum {
    DUET_DSTREAM_ERROR_INVALID,    /* bad durations, schemas, or a stream built after start */
    DUET_DSTREAM_ERROR_NO_RDD,     /* a parent had no RDD where one was needed */
    DUET_DSTREAM_ERROR_NULL_RDD,   /* a transform function returned no RDD */
    DUET_DSTREAM_ERROR_STATE,      /* the context is in the wrong state for this call */
    DUET_DSTREAM_ERROR_CHECKPOINT, /* a DStream checkpoint that cannot be read or used */
    DUET_DSTREAM_ERROR_FAILED,
} DuetDStreamError;

DuetDStream *duet_dstream_ref(DuetDStream *stream);
void duet_dstream_unref(DuetDStream *stream);
/* (transfer none) */
DuetSchema *duet_dstream_schema(const DuetDStream *stream);
gint64 duet_dstream_slide_ms(const DuetDStream *stream);
DuetStreamingContext *duet_dstream_context(const DuetDStream *stream);

/* ---- Inputs ------------------------------------------------------------------------------ */

/* Spark's queueStream: each batch takes the next queued RDD (one_at_a_time) or the union of
 * all queued RDDs; with nothing queued, default_rdd, or an empty RDD when that is NULL. */
DuetDStream *duet_streaming_context_queue_stream(DuetStreamingContext *context, DuetSchema *schema,
                                                 gboolean one_at_a_time, DuetRdd *default_rdd);
/* Queues an RDD for a queue stream (thread-safe; may be called while running). */
void duet_dstream_queue_push(DuetDStream *queue_stream, DuetRdd *rdd);
/* A stream of prepared batches (Spark's TestInputStream): batch k (1-based) is batches[k-1]
 * cut into num_partitions partitions as parallelize cuts it; a NULL element means "no RDD" at
 * that time; past the end every batch is empty. (transfer none) on batches. */
DuetDStream *duet_streaming_context_batches_stream(DuetStreamingContext *context,
                                                   DuetSchema *schema, GPtrArray *batches,
                                                   guint num_partitions);

/* Spark's textFileStream(directory): the lines of files that appear in the directory (see
 * dstream/file_input.c for which files a batch takes). Schema "value STRING". */
DuetDStream *duet_streaming_context_text_file_stream(DuetStreamingContext *context,
                                                     const char *directory);

/* ---- Transformations --------------------------------------------------------------------- */

DuetDStream *duet_dstream_map(DuetDStream *stream, DuetSchema *out_schema, DuetMapFunc f,
                              gpointer user_data);
DuetDStream *duet_dstream_flat_map(DuetDStream *stream, DuetSchema *out_schema, DuetMapFunc f,
                                   gpointer user_data);
DuetDStream *duet_dstream_filter(DuetDStream *stream, DuetFilterFunc f, gpointer user_data);
DuetDStream *duet_dstream_map_partitions(DuetDStream *stream, DuetSchema *out_schema,
                                         DuetPartitionFunc f, gpointer user_data);
DuetDStream *duet_dstream_glom(DuetDStream *stream);
DuetDStream *duet_dstream_repartition(DuetDStream *stream, guint num_partitions);
DuetDStream *duet_dstream_map_values(DuetDStream *stream, DuetDataType *value_type, DuetValueFunc f,
                                     gpointer user_data, GError **error);
DuetDStream *duet_dstream_flat_map_values(DuetDStream *stream, DuetDataType *value_type,
                                          DuetValueFunc f, gpointer user_data, GError **error);
/* Every stream must have the same slide and schema. */
DuetDStream *duet_dstream_union(DuetDStream *const *streams, guint n, GError **error);
/* One element per batch: its number of elements, as a bigint (an empty batch gives 0). */
DuetDStream *duet_dstream_count(DuetDStream *stream);
/* One-column streams: at most one element per batch, f over the batch. */
DuetDStream *duet_dstream_reduce(DuetDStream *stream, DuetReduceFunc f, gpointer user_data,
                                 GError **error);
DuetDStream *duet_dstream_count_by_value(DuetDStream *stream, guint num_partitions);
/* Pair operations; num_partitions 0 = the context's default parallelism, as Spark. */
DuetDStream *duet_dstream_reduce_by_key(DuetDStream *stream, DuetReduceFunc f, gpointer user_data,
                                        guint num_partitions, GError **error);
DuetDStream *duet_dstream_group_by_key(DuetDStream *stream, guint num_partitions, GError **error);
DuetDStream *duet_dstream_combine_by_key(DuetDStream *stream, DuetDataType *combiner_type,
                                         DuetCreateFunc create_combiner, DuetReduceFunc merge_value,
                                         DuetReduceFunc merge_combiners, gpointer user_data,
                                         guint num_partitions, GError **error);
DuetDStream *duet_dstream_join(DuetDStream *stream, DuetDStream *other, guint num_partitions,
                               GError **error);
DuetDStream *duet_dstream_left_outer_join(DuetDStream *stream, DuetDStream *other,
                                          guint num_partitions, GError **error);
DuetDStream *duet_dstream_right_outer_join(DuetDStream *stream, DuetDStream *other,
                                           guint num_partitions, GError **error);
DuetDStream *duet_dstream_full_outer_join(DuetDStream *stream, DuetDStream *other,
                                          guint num_partitions, GError **error);
DuetDStream *duet_dstream_cogroup(DuetDStream *stream, DuetDStream *other, guint num_partitions,
                                  GError **error);

/* transform: f builds the batch's RDD from the stream's RDD (a new reference). Returning NULL
 * without an error fails the batch as Spark does ("Transform function must not return
 * null"). out_schema is the schema of what f returns. */
typedef DuetRdd *(*DuetTransformFunc)(DuetRdd *rdd, gint64 time_ms, gpointer user_data,
                                      GError **error);
typedef DuetRdd *(*DuetTransformWithFunc)(DuetRdd *rdd, DuetRdd *other, gint64 time_ms,
                                          gpointer user_data, GError **error);
DuetDStream *duet_dstream_transform(DuetDStream *stream, DuetSchema *out_schema,
                                    DuetTransformFunc f, gpointer user_data);
DuetDStream *duet_dstream_transform_with(DuetDStream *stream, DuetDStream *other,
                                         DuetSchema *out_schema, DuetTransformWithFunc f,
                                         gpointer user_data, GError **error);
/* The RDDs of every batch time in [from_ms, to_ms] (both ends included, aligned to the
 * slide), computing them if needed; times without an RDD are skipped. The context must have
 * been started. (transfer full): a GPtrArray of DuetRdd. */
GPtrArray *duet_dstream_slice(DuetDStream *stream, gint64 from_ms, gint64 to_ms, GError **error);

/* ---- Windows (processing time) ------------------------------------------------------------- */

/* window and slide must be multiples of the stream's slide (slide_ms 0 = the stream's). */
DuetDStream *duet_dstream_window(DuetDStream *stream, gint64 window_ms, gint64 slide_ms,
                                 GError **error);
DuetDStream *duet_dstream_count_by_window(DuetDStream *stream, gint64 window_ms, gint64 slide_ms,
                                          GError **error);
/* inv_f NULL: reduce each window anew; else update the previous window incrementally. */
DuetDStream *duet_dstream_reduce_by_window(DuetDStream *stream, DuetReduceFunc f,
                                           DuetReduceFunc inv_f, gint64 window_ms, gint64 slide_ms,
                                           gpointer user_data, GError **error);
/* Spark's reduceByKeyAndWindow: without inv_f the window is reduced anew (keys absent from
 * the window are absent); with inv_f the previous window's values are updated by reducing
 * the entering batches and inverse-reducing the leaving ones, and keys stay (at their
 * inverse-reduced value, e.g. 0) unless filter_f drops them. */
DuetDStream *duet_dstream_reduce_by_key_and_window(DuetDStream *stream, DuetReduceFunc f,
                                                   DuetReduceFunc inv_f, gint64 window_ms,
                                                   gint64 slide_ms, guint num_partitions,
                                                   DuetFilterFunc filter_f, gpointer user_data,
                                                   GError **error);
DuetDStream *duet_dstream_count_by_value_and_window(DuetDStream *stream, gint64 window_ms,
                                                    gint64 slide_ms, guint num_partitions,
                                                    GError **error);
DuetDStream *duet_dstream_group_by_key_and_window(DuetDStream *stream, gint64 window_ms,
                                                  gint64 slide_ms, guint num_partitions,
                                                  GError **error);

/* ---- State ------------------------------------------------------------------------------- */

/* updateStateByKey's function: values is an array value of the key's new values in this
 * batch (possibly empty), state the previous state (is_null when the key has none). Append
 * the new state to new_state and return TRUE, or return FALSE (appending nothing) to drop the
 * key. Called for every key with new values or a state, every batch. */
typedef gboolean (*DuetUpdateStateFunc)(gint64 time_ms, const DuetValue *key,
                                        const DuetValue *values, const DuetValue *state,
                                        DuetColumnBuilder *new_state, gpointer user_data);
/* initial_state: (transfer none) nullable pair RDD (key, state). */
DuetDStream *duet_dstream_update_state_by_key(DuetDStream *stream, DuetDataType *state_type,
                                              DuetUpdateStateFunc f, gpointer user_data,
                                              guint num_partitions, DuetRdd *initial_state,
                                              GError **error);

/* mapWithState: f is called once per (key, value) record of the batch, in order, with the
 * key's State, and appends zero or one mapped value to mapped. With a timeout, keys idle
 * longer than it are found on the batches whose state is checkpointed (every checkpoint
 * interval, default 10 batch intervals, as Spark's "full scan" batches); f is then called
 * with a null value and duet_state_is_timing_out TRUE, and the state is removed. */
typedef struct _DuetState DuetState;
gboolean duet_state_exists(const DuetState *state);
/* FALSE (leaving value untouched) when there is no state: Spark's NoSuchElementException. */
gboolean duet_state_get(const DuetState *state, DuetValue *value);
/* The value must stay valid until f returns (task scratch memory, the input, a constant).
 * Updating or removing a state that is timing out fails the task, as in Spark. */
void duet_state_update(DuetState *state, const DuetValue *value);
void duet_state_remove(DuetState *state);
gboolean duet_state_is_timing_out(const DuetState *state);

typedef void (*DuetMappingFunc)(gint64 time_ms, const DuetValue *key, const DuetValue *value,
                                DuetState *state, DuetColumnBuilder *mapped, gpointer user_data);

/* Spark's StateSpec. */
typedef struct {
    DuetMappingFunc function;  /* required */
    gpointer user_data;        /* for function */
    DuetDataType *state_type;  /* required: the state's type */
    DuetDataType *mapped_type; /* required: the type of mapped values */
    gint64 timeout_ms;         /* 0: no timeout */
    guint num_partitions;      /* 0: default parallelism */
    DuetRdd *initial_state;    /* nullable (key, state) pair RDD */
} DuetStateSpec;

DuetDStream *duet_dstream_map_with_state(DuetDStream *stream, const DuetStateSpec *spec,
                                         GError **error);
/* stateSnapshots(): every (key, state) pair after each batch. mapped must come from
 * duet_dstream_map_with_state. */
DuetDStream *duet_dstream_state_snapshots(DuetDStream *mapped, GError **error);

/* ---- Output operations and persistence ------------------------------------------------------ */

/* foreachRDD: f runs on the job generator's thread once per batch that has an RDD. */
typedef gboolean (*DuetForeachRddFunc)(DuetRdd *rdd, gint64 time_ms, gpointer user_data,
                                       GError **error);
void duet_dstream_foreach_rdd(DuetDStream *stream, DuetForeachRddFunc f, gpointer user_data);
/* Receives printed text; NULL prints to standard output. */
typedef DuetSinkTextFunc DuetTextFunc;
/* Writes every batch's RDD to a shared sink (sinks/sink.h) in Append mode, with the batch's
 * index (0 for the first batch) as its batch id, so a re-run batch is not written twice. */
void duet_dstream_write_to_sink(DuetDStream *stream, DuetSink *sink);
/* print and pprint write through a console sink (sinks/sink.h). Scala's print(num):
 * "-------------------------------------------\nTime: 1000 ms\n..." */
void duet_dstream_print(DuetDStream *stream, guint num, DuetTextFunc sink, gpointer user_data);
/* PySpark's pprint(num): the time as Python's datetime (UTC) and elements as repr. */
void duet_dstream_pprint(DuetDStream *stream, guint num, DuetTextFunc sink, gpointer user_data);
/* Spark's saveAsTextFiles(prefix, suffix): each batch's RDD saved with saveAsTextFile to
 * "prefix-TIME_IN_MS" or "prefix-TIME_IN_MS.suffix" (suffix NULL or empty: no suffix). */
void duet_dstream_save_as_text_files(DuetDStream *stream, const char *prefix, const char *suffix);
void duet_dstream_persist(DuetDStream *stream);
void duet_dstream_checkpoint(DuetDStream *stream, gint64 interval_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetDStream, duet_dstream_unref)

G_END_DECLS
