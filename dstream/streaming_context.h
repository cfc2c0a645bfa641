/* streaming_context.h — Spark's StreamingContext: the batch interval, the DStream graph and
 * the job generator that runs one batch per interval on the RDD core.
 *
 * Layer: dstream/. The context reads time from its DuetContext's clock, so a test gives the
 * DuetContext a manual clock and advances it (Spark's ManualClock): with the clock at 0 and a
 * 1 s interval, the first batch is at 1000 ms and zero time is 0, as in Spark's JobGenerator.
 * All functions are thread-safe.
 */
#pragma once

#include "rdd/rdd.h"

G_BEGIN_DECLS

typedef struct _DuetStreamingContext DuetStreamingContext;
typedef struct _DuetDStream DuetDStream;

typedef enum {
    DUET_STREAMING_STATE_INITIALIZED, /* streams may be added */
    DUET_STREAMING_STATE_ACTIVE,      /* started */
    DUET_STREAMING_STATE_STOPPED,     /* stopped; cannot be restarted (as in Spark) */
} DuetStreamingState;

/* What Spark's BatchInfo holds, in milliseconds of the context's clock. */
typedef struct {
    gint64 batch_time_ms; /* the batch's time */
    gint64 submission_ms; /* when its jobs were generated */
    gint64 start_ms;      /* when its first job started */
    gint64 end_ms;        /* when its last job ended */
    gint64 num_records;   /* input elements of the batch (from input streams) */
    gboolean failed;      /* a job of the batch failed */
} DuetBatchInfo;

static inline gint64
duet_batch_info_scheduling_delay(const DuetBatchInfo *info)
{
    return info->start_ms - info->submission_ms;
}

static inline gint64
duet_batch_info_processing_delay(const DuetBatchInfo *info)
{
    return info->end_ms - info->start_ms;
}

static inline gint64
duet_batch_info_total_delay(const DuetBatchInfo *info)
{
    return info->end_ms - info->submission_ms;
}

/* Spark's StreamingListener (batch events); any callback may be NULL. Called on the job
 * generator's thread. */
typedef struct {
    void (*batch_submitted)(const DuetBatchInfo *info, gpointer user_data);
    void (*batch_started)(const DuetBatchInfo *info, gpointer user_data);
    void (*batch_completed)(const DuetBatchInfo *info, gpointer user_data);
    /* Receiver events: name is the receiver stream's name, message the reason (stopped,
     * error) or NULL. */
    void (*receiver_started)(const char *name, gpointer user_data);
    void (*receiver_stopped)(const char *name, const char *message, gpointer user_data);
    void (*receiver_error)(const char *name, const char *message, gpointer user_data);
    gpointer user_data;
} DuetStreamingListener;

/* (transfer none) on context. batch_interval_ms must be positive. */
DuetStreamingContext *duet_streaming_context_new(DuetContext *context, gint64 batch_interval_ms,
                                                 GError **error);
DuetStreamingContext *duet_streaming_context_ref(DuetStreamingContext *context);
/* Stops the context (immediately) if it is active. */
void duet_streaming_context_unref(DuetStreamingContext *context);

gint64 duet_streaming_context_batch_interval_ms(const DuetStreamingContext *context);
DuetStreamingState duet_streaming_context_state(DuetStreamingContext *context);
/* Spark's ssc.checkpoint(dir): where the context writes its DStream checkpoints
 * (checkpoint-<time>, every batch) and stateful streams their RDD checkpoints (in a fresh
 * <dir>/<uuid> per context, as Spark's SparkContext.setCheckpointDir). */
gboolean duet_streaming_context_checkpoint(DuetStreamingContext *context, const char *directory,
                                           GError **error);
/* Spark's ssc.remember(duration): keep every stream's RDDs at least this long. */
void duet_streaming_context_remember(DuetStreamingContext *context, gint64 duration_ms);
/* The graph as text: the batch interval, then each output operation's lineage, one stream
 * a line with its kind (Spark's class name), slide and window arithmetic. (transfer full) */
char *duet_streaming_context_debug_string(DuetStreamingContext *context);
void duet_streaming_context_add_listener(DuetStreamingContext *context,
                                         const DuetStreamingListener *listener);

/* Builds a new StreamingContext (and its graph) for getOrCreate. */
typedef DuetStreamingContext *(*DuetStreamingContextFactory)(gpointer user_data, GError **error);

/**
 * duet_streaming_context_get_or_create:
 * @checkpoint_dir: the directory given to ssc.checkpoint by the program
 * @create_func: builds the context, its whole graph and its output operations (not started)
 *
 * Spark's StreamingContext.getOrCreate. Without a checkpoint in checkpoint_dir, returns what
 * create_func returns. With one, the context is rebuilt from the newest checkpoint that can be
 * read (dstream/checkpoint.c): unlike Spark, which deserializes the graph, duet calls
 * create_func again — it must build the same graph, which is checked (streams, kinds, slides,
 * schemas, parents, outputs, batch interval) — and then restores the zero time, the state RDDs
 * of stateful streams, the inputs' positions and the batches that were pending. start() re-runs
 * the pending batches (output operations should be idempotent, as Spark requires) and goes on
 * after the checkpoint time. With a manual clock behind the checkpoint time, the clock is moved
 * to it, as Spark moves its ManualClock.
 *
 * Returns: (transfer full): the context, or NULL with error set: DUET_DSTREAM_ERROR_CHECKPOINT
 * when no checkpoint file can be read ("Failed to read checkpoint from directory ...", naming
 * the file and what is wrong with it) or the graph does not match; create_func's error.
 */
DuetStreamingContext *duet_streaming_context_get_or_create(const char *checkpoint_dir,
                                                           DuetStreamingContextFactory create_func,
                                                           gpointer user_data, GError **error);

/* Validates the graph (an output operation exists; stateful streams have a checkpoint
 * directory) and starts the job generator. */
gboolean duet_streaming_context_start(DuetStreamingContext *context, GError **error);
/* Stops. graceful: first run every batch whose time has come on the clock. Idempotent. */
void duet_streaming_context_stop(DuetStreamingContext *context, gboolean graceful);
/* Waits for the context to stop (timeout_ms < 0: forever). Returns TRUE when it stopped;
 * FALSE when the timeout passed. Either way, error receives the first batch failure, if any,
 * as Spark's awaitTermination rethrows it. */
gboolean duet_streaming_context_await_termination(DuetStreamingContext *context, gint64 timeout_ms,
                                                  GError **error);
/* Blocks until the batch at batch_time_ms has completed or failed (or the context stopped),
 * at most timeout_ms of real time. For tests that advance a manual clock. */
gboolean duet_streaming_context_await_batch(DuetStreamingContext *context, gint64 batch_time_ms,
                                            gint64 timeout_ms);
/* Completed batches, oldest first: a copy. (transfer full): GArray of DuetBatchInfo. */
GArray *duet_streaming_context_batch_infos(DuetStreamingContext *context);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetStreamingContext, duet_streaming_context_unref)

G_END_DECLS
