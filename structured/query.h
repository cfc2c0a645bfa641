/* query.h — streaming queries: micro-batches with an offsets log and a commit log.
 *
 * Layer: structured/ (includes rdd/, sources/, sinks/). Spark's MicroBatchExecution: at each
 * trigger the query asks its source for the latest offset; when
 * there is new data it writes offsets/N to the checkpoint location (the write-ahead log), runs
 * the plan over the rows of (committed, latest], hands the result to the sink as batch N, writes
 * commits/N and commits the range at the source. On start it resumes from the checkpoint: after
 * a clean stop the next batch is N+1; a batch whose offsets were logged but not committed is
 * re-run with exactly those offsets (the sink ignores what it already committed). Batch ids
 * start at 0. The checkpoint layout is Spark's (metadata, offsets/N, commits/N; "v1" headers)
 * with state/<operator>/ for stateful operators. The watermark used by batch N is computed
 * after batch N-1 (logged in offsets/N and commits/N-1); when it advances and the query has a
 * stateful operator (not in Complete mode), a no-data batch runs so that Append emits and
 * state is evicted without waiting for new input.
 */
#pragma once

#include "sinks/sink.h"
#include "structured/dataframe.h"
#include "structured/progress.h"

G_BEGIN_DECLS

typedef struct _DuetStreamingQuery DuetStreamingQuery;

typedef enum {
    DUET_TRIGGER_CONTINUOUS = -1, /* epochs every interval, map-like queries only */
    DUET_TRIGGER_DEFAULT,         /* ProcessingTime(0): a batch as soon as there is new data */
    DUET_TRIGGER_PROCESSING_TIME, /* a batch every interval of the clock, when there is data */
    DUET_TRIGGER_ONCE,            /* one batch of everything available, then stop */
    DUET_TRIGGER_AVAILABLE_NOW,   /* everything available at start, then stop */
} DuetTriggerKind;

typedef struct {
    DuetTriggerKind kind;
    gint64 interval_ms; /* DUET_TRIGGER_PROCESSING_TIME; the epoch of DUET_TRIGGER_CONTINUOUS */
} DuetTrigger;

/* Spark's StreamingQueryListener. started is called by the thread starting the query, the
 * others by the query's thread; progress after every batch, idle when a trigger finds no new
 * data after a batch ran, terminated once with the failure (NULL after a stop). Any callback
 * may be NULL. */
typedef struct {
    void (*started)(DuetStreamingQuery *query, gpointer user_data);
    void (*progress)(DuetStreamingQuery *query, const DuetQueryProgress *progress,
                     gpointer user_data);
    void (*idle)(DuetStreamingQuery *query, gpointer user_data);
    void (*terminated)(DuetStreamingQuery *query, const GError *exception, gpointer user_data);
    gpointer user_data;
} DuetQueryListener;

/* Everything writeStream...start() takes. */
typedef struct {
    DuetOutputMode mode;
    const char *checkpoint_location;    /* NULL: a temporary directory removed at the end */
    DuetTrigger trigger;                /* {DUET_TRIGGER_DEFAULT, 0} */
    const char *name;                   /* queryName, or NULL */
    const DuetQueryListener *listeners; /* n_listeners entries, copied */
    guint n_listeners;
} DuetQueryOptions;

/* writeStream...start(). checkpoint_location NULL: a temporary directory removed at the end.
 * trigger NULL: the default. Fails (DUET_SQL_ERROR_ANALYSIS) with Spark's output-mode
 * message when the mode does not suit the query, or with the checkpoint's error. */
DuetStreamingQuery *duet_streaming_query_start(DuetContext *context, DuetDataFrame *frame,
                                               DuetSink *sink, DuetOutputMode mode,
                                               const char *checkpoint_location,
                                               const DuetTrigger *trigger, const char *name,
                                               GError **error);
DuetStreamingQuery *duet_streaming_query_start_with(DuetContext *context, DuetDataFrame *frame,
                                                    DuetSink *sink, const DuetQueryOptions *options,
                                                    GError **error);
DuetStreamingQuery *duet_streaming_query_ref(DuetStreamingQuery *query);
/* Stops the query if active. */
void duet_streaming_query_unref(DuetStreamingQuery *query);

/* The query id (kept in the checkpoint's metadata file) and this run's id. */
const char *duet_streaming_query_id(DuetStreamingQuery *query);
const char *duet_streaming_query_run_id(DuetStreamingQuery *query);
const char *duet_streaming_query_name(DuetStreamingQuery *query);
gboolean duet_streaming_query_is_active(DuetStreamingQuery *query);
/* The id of the last batch run (-1 before the first). */
gint64 duet_streaming_query_last_batch_id(DuetStreamingQuery *query);
/* Holds the query off reading its sources' offsets (Spark's awaitProgressLock, which its
 * StreamTest takes for MultiAddData): data added to several sources until the unlock lands in
 * one batch. A trigger waits meanwhile; keep the hold short and never call back into the
 * query while holding it. */
void duet_streaming_query_lock_progress(DuetStreamingQuery *query);
void duet_streaming_query_unlock_progress(DuetStreamingQuery *query);
/* Blocks until every row available now has been processed, over as many batches as the
 * sources' rate limits make (or until the query ended); FALSE with error when the query
 * failed. */
gboolean duet_streaming_query_process_all_available(DuetStreamingQuery *query, GError **error);
/* With a processing-time trigger: waits until the query blocks on its clock, having begun
 * that wait when the clock read now_ms (Spark's StreamManualClock.isStreamWaitingAt), or has
 * ended. FALSE after timeout_ms of real time. */
gboolean duet_streaming_query_await_waiting_at(DuetStreamingQuery *query, gint64 now_ms,
                                               gint64 timeout_ms);
/* The failure that ended the query (Spark's exception), or NULL. (transfer full) */
GError *duet_streaming_query_exception(DuetStreamingQuery *query);
/* query.explain(extended): the plan it runs. (transfer full) */
char *duet_streaming_query_explain(DuetStreamingQuery *query, gboolean extended);
/* Stops after the batch in flight; idempotent. */
void duet_streaming_query_stop(DuetStreamingQuery *query);
/* Waits for the query to end (timeout_ms < 0: forever): TRUE when it ended. error receives
 * the failure that ended it, if any (Spark's StreamingQueryException). */
gboolean duet_streaming_query_await_termination(DuetStreamingQuery *query, gint64 timeout_ms,
                                                GError **error);

/* ---- progress (structured/progress.h) ------------------------------------------------------ */

/* Progress of the batches run so far by this run (at most 100, oldest first). (transfer full) */
GPtrArray *duet_streaming_query_recent_progress(DuetStreamingQuery *query);
/* The latest, or NULL before the first batch. (transfer full) */
DuetQueryProgress *duet_streaming_query_last_progress(DuetStreamingQuery *query);
/* Spark's StreamingQuery.status. (transfer full) */
DuetQueryStatus *duet_streaming_query_status(DuetStreamingQuery *query);
void duet_query_status_free(DuetQueryStatus *status);
/* The global watermark the next batch will use, in milliseconds. */
gint64 duet_streaming_query_watermark_ms(DuetStreamingQuery *query);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetStreamingQuery, duet_streaming_query_unref)

G_END_DECLS
