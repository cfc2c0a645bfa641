/* internal.h — what the files of dstream/ share and nobody else may see.
 *
 * Layer: dstream/ private (compiled with -DDUET_DSTREAM_COMPILATION). The DStream object and
 * the hooks each kind of stream fills in, the way Spark's DStream subclasses override
 * compute(): a stream computes the RDD of one batch time from its parents' RDDs.
 */
#pragma once

#ifndef DUET_DSTREAM_COMPILATION
#error "dstream/internal.h is private to dstream/; include dstream/dstream.h instead"
#endif

#include "dstream/dstream.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
    const char *name; /* Spark's class name: "MappedDStream", "WindowedDStream", ... */
    /* The RDD for time_ms (a valid batch time of this stream): a new reference; NULL with
     * error unset means "no RDD for this time" (Spark's None); NULL with error set fails the
     * batch. */
    DuetRdd *(*compute)(DuetDStream *stream, gint64 time_ms, GError **error);
    /* Optional hooks of input streams: start/stop with the context (receivers), hear about
     * finished batches (rate control), and report how many records a batch took in. */
    void (*start)(DuetDStream *stream);
    void (*stop)(DuetDStream *stream);
    void (*batch_completed)(DuetDStream *stream, const DuetBatchInfo *info);
    gint64 (*input_size)(DuetDStream *stream, gint64 time_ms);
    /* Optional recovery hooks (checkpoint.c) of inputs that can replay past batches: what the
     * stream adds to a DStream checkpoint (its position and the offsets of the batches after
     * horizon_ms, which a restart may recompute), and taking that back before start. */
    JsonNode *(*checkpoint_save)(DuetDStream *stream, gint64 horizon_ms);
    gboolean (*checkpoint_restore)(DuetDStream *stream, JsonNode *data, GError **error);
    /* Optional: what the kind adds to its line of duet_streaming_context_debug_string, after
     * the slide ("window 300000 ms = 5 batches"). */
    void (*describe)(DuetDStream *stream, GString *out);
    /* Optional: checks and opens what the stream needs once the graph is complete, when the
     * context starts (before any stream starts); an error fails start(). Receivers open their
     * write-ahead logs here and, after getOrCreate, read them back. */
    gboolean (*prepare)(DuetDStream *stream, GError **error);
} DuetDStreamOps;

struct _DuetDStream {
    gint ref_count;                /* atomic */
    DuetStreamingContext *context; /* borrowed: a stream never outlives its context */
    const DuetDStreamOps *ops;     /* the kind */
    DuetSchema *schema;            /* element schema of every RDD it generates */
    gint64 slide_ms;               /* its slide duration */
    GPtrArray *parents;            /* DuetDStream*, owned */
    gpointer op_data;              /* kind-specific */
    GDestroyNotify op_data_free;
    gint64 remember_ms;              /* keep generated RDDs this long (0 until start) */
    gint64 parent_remember_extra_ms; /* windows and state need their parents' past */
    gboolean must_checkpoint;        /* stateful: the context needs a checkpoint directory */
    gint64 checkpoint_interval_ms;   /* 0: default */
    gboolean persist;                /* persist generated RDDs */
    struct _DuetBlockTracker *block_tracker; /* input under the write-ahead log, or NULL */
    gint64 checkpoint_file_time;             /* batch time of the newest checkpointed RDD, if any */
    char *checkpoint_file; /* its RDD checkpoint directory, or NULL (under lock) */

    GMutex lock;           /* guards generated */
    GHashTable *generated; /* gint64* time -> DuetRdd* (NULL value = no RDD) */
};

/* dstream.c */
DuetDStream *duet_dstream_new_internal(DuetStreamingContext *context, const DuetDStreamOps *ops,
                                       DuetSchema *schema, gint64 slide_ms);
void duet_dstream_add_parent(DuetDStream *stream, DuetDStream *parent);
DuetDStream *duet_dstream_parent(const DuetDStream *stream, guint index);
/* Spark's getOrCompute: the RDD of time_ms, computed once and remembered. (transfer full) */
DuetRdd *duet_dstream_get_or_compute(DuetDStream *stream, gint64 time_ms, GError **error);
/* Spark's isTimeValid: after zero time and on the slide grid. */
gboolean duet_dstream_is_time_valid(const DuetDStream *stream, gint64 time_ms);
/* Slicing while the context runs (windows use it). (transfer full) */
GPtrArray *duet_dstream_slice_internal(DuetDStream *stream, gint64 from_ms, gint64 to_ms,
                                       GError **error);
/* Sets remember durations down the graph before start. */
void duet_dstream_initialize_remember(DuetDStream *stream, gint64 duration_ms);
/* Forgets generated RDDs older than time_ms - remember. */
void duet_dstream_clear_old(DuetDStream *stream, gint64 time_ms);
/* Checks what Spark's validateAtStart checks (checkpoint directory for stateful streams). */
gboolean duet_dstream_validate(DuetDStream *stream, GError **error);
/* An empty RDD of the stream's schema. */
DuetRdd *duet_dstream_empty_rdd(DuetDStream *stream);

/* streaming_context.c */
DuetContext *duet_streaming_context_spark_context(DuetStreamingContext *context);
gint64 duet_streaming_context_zero_time(DuetStreamingContext *context);
void duet_streaming_context_register_output(DuetStreamingContext *context, DuetDStream *output);
void duet_streaming_context_register_stream(DuetStreamingContext *context, DuetDStream *stream);
gboolean duet_streaming_context_has_checkpoint_dir(DuetStreamingContext *context);
/* The DStream checkpoint directory, or NULL. (transfer none) */
const char *duet_streaming_context_checkpoint_dir(DuetStreamingContext *context);
/* Whether getOrCreate restored this context from a checkpoint. */
gboolean duet_streaming_context_is_recovering(DuetStreamingContext *context);
/* Inputs that replay batches by offsets keep those of every batch after this time, which a
 * restart from the latest DStream checkpoint may recompute; G_MAXINT64 when the context does
 * not checkpoint. */
gint64 duet_streaming_context_replay_horizon(DuetStreamingContext *context);
/* Tells the listeners about a receiver (started, stopped or error). */
typedef enum {
    DUET_RECEIVER_EVENT_STARTED,
    DUET_RECEIVER_EVENT_STOPPED,
    DUET_RECEIVER_EVENT_ERROR,
} DuetReceiverEvent;
void duet_streaming_context_notify_receiver(DuetStreamingContext *context, DuetReceiverEvent event,
                                            const char *name, const char *message);

/* streaming_context.c, for checkpoint.c. (transfer none) */
GPtrArray *duet_streaming_context_streams(DuetStreamingContext *context);
GPtrArray *duet_streaming_context_outputs(DuetStreamingContext *context);
/* Before start: the context resumes from a checkpoint (zero time, checkpoint time, and the
 * batch times that were pending, re-run first). (transfer none) on pending. */
void duet_streaming_context_set_recovery(DuetStreamingContext *context, gint64 zero_ms,
                                         gint64 checkpoint_ms, GArray *pending);

/* checkpoint.c: writes DStream checkpoints (checkpoint-<time> files) into one directory. */
typedef struct _DuetCheckpointWriter DuetCheckpointWriter;
DuetCheckpointWriter *duet_checkpoint_writer_new(const char *directory);
void duet_checkpoint_writer_free(DuetCheckpointWriter *writer);
const char *duet_checkpoint_writer_directory(DuetCheckpointWriter *writer);
gboolean duet_checkpoint_writer_write(DuetCheckpointWriter *writer, DuetStreamingContext *context,
                                      gint64 time_ms, const gint64 *pending, guint n_pending,
                                      GError **error);
/* (transfer none), or NULL when the context does not checkpoint. */
DuetCheckpointWriter *duet_streaming_context_checkpoint_writer(DuetStreamingContext *context);

/* block_tracker.c: the blocks of one receiver stream under the write-ahead log
 * (Spark's WriteAheadLogBasedBlockHandler + ReceivedBlockTracker). All functions are
 * thread-safe. */
typedef struct _DuetBlockTracker DuetBlockTracker;
DuetBlockTracker *duet_block_tracker_new(const char *name);
void duet_block_tracker_free(DuetBlockTracker *tracker);
/* Opens the data and metadata logs and replays the metadata log: with recovering (getOrCreate
 * restored a checkpoint) the allocated batches and the unallocated blocks come back; on a fresh
 * start only the unallocated blocks do. Errors name the damaged file. */
gboolean duet_block_tracker_open(DuetBlockTracker *tracker, const char *data_dir,
                                 const char *meta_dir, gint64 data_rolling_ms,
                                 gint64 meta_rolling_ms, gboolean recovering, GError **error);
gint64 duet_block_tracker_n_recovered_blocks(DuetBlockTracker *tracker);
/* Logs block (fsynced), then its addition event; the block joins the unallocated ones even
 * when logging fails (the error says so). (transfer none) on block. */
gboolean duet_block_tracker_add(DuetBlockTracker *tracker, DuetBatch *block, gint64 now_ms,
                                GError **error);
/* The blocks of the batch at time_ms: those allocated to it before (a re-run or recovered
 * batch), or, for a new batch time, every unallocated block (the allocation is logged first).
 * (transfer full): GPtrArray of DuetBatch*. */
GPtrArray *duet_block_tracker_get_blocks(DuetBlockTracker *tracker, gint64 time_ms, gint64 now_ms,
                                         GError **error);
/* Forgets the batches before thresh_ms (logging a cleanup event) and deletes the log files no
 * kept block needs; blocks of batches up to completed_ms are dropped from memory. */
void duet_block_tracker_cleanup(DuetBlockTracker *tracker, gint64 completed_ms, gint64 thresh_ms,
                                gint64 now_ms);
gint64 duet_block_tracker_n_logged(DuetBlockTracker *tracker);
gboolean duet_block_tracker_wait_logged(DuetBlockTracker *tracker, gint64 n, gint64 timeout_ms);
/* For the input streams that log what they receive: a tracker (also noted in the stream's
 * block_tracker, borrowed) when spark.streaming.receiver.writeAheadLog.enable is true, else
 * NULL; the prepare hook's work (Spark's error without a checkpoint directory, the logs of
 * stream N under <checkpoint>/receivedData/N and receivedBlockMetadata/N, recovery); and the
 * batch_completed hook's cleaning. */
DuetBlockTracker *duet_block_tracker_new_for_stream(DuetDStream *stream, const char *name);
gboolean duet_block_tracker_prepare(DuetBlockTracker *tracker, DuetDStream *stream, GError **error);
void duet_block_tracker_batch_completed(DuetBlockTracker *tracker, DuetDStream *stream,
                                        const DuetBatchInfo *info);

/* output.c: an output stream's job for one batch, generated (its RDD: NULL with error unset
 * means no job) and then run. */
DuetRdd *duet_dstream_generate_output(DuetDStream *output, gint64 time_ms, GError **error);
gboolean duet_dstream_run_output(DuetDStream *output, DuetRdd *rdd, gint64 time_ms, GError **error);

G_END_DECLS
