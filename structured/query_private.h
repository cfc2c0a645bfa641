/* query_private.h — the streaming query's fields, shared by the files of the query engine.
 *
 * Layer: structured/ private (query.c, query_log.c, query_progress.c).
 */
#pragma once

#include "structured/internal.h"
#include "structured/query.h"

G_BEGIN_DECLS

struct _DuetStreamingQuery {
    gint ref_count;
    DuetContext *context; /* owned */
    DuetDataFrame *frame; /* owned */
    DuetSink *sink;       /* owned */
    GPtrArray *sources;   /* the plan's streaming sources (DuetSource*, borrowed from frame) */
    guint *consumers;     /* our consumer id at each source */
    DuetOutputMode mode;
    DuetTrigger trigger;
    char *id, *run_id, *name;
    char *checkpoint;   /* the checkpoint location */
    gboolean temporary; /* remove the checkpoint at the end */
    /* the plan's stateful and watermark nodes, and the execution state kept across batches */
    DuetExecution execution;
    GPtrArray *stateful_nodes;     /* DuetDataFrame*, top-down */
    GPtrArray *watermark_nodes;    /* DuetDataFrame* */
    gint64 *node_watermarks;       /* per watermark node, ms */
    DuetStateStoreConf state_conf; /* snapshots and retention of state and logs */
    gboolean runs_no_data_batches;
    /* processing-time timeouts: a no-data batch at every trigger */
    gboolean no_data_every_trigger;
    /* Held while a trigger reads its sources' latest offsets (Spark's awaitProgressLock around
     * constructNextBatch): whoever holds it (duet_streaming_query_lock_progress) adds data to
     * several sources that no batch can split. */
    GMutex progress_lock;
    GMutex lock;   /* guards everything below */
    GCond changed; /* a batch finished, the query ended, or a stop was asked */
    gboolean active;
    gboolean stopping;
    GError *failure;            /* what ended the query, if it failed */
    gint64 next_batch;          /* id of the next batch */
    char **committed;           /* per source: offset of the last committed batch, or NULL */
    gint64 watermark_ms;        /* global watermark for the next batch */
    gint64 used_watermark_ms;   /* the watermark the last batch used */
    GPtrArray *progress;        /* DuetQueryProgress*, the last 100 */
    gint64 last_trigger_us;     /* monotonic start of the previous batch (input rates) */
    GArray *listeners;          /* DuetQueryListener */
    gboolean idle_reported;     /* an idle event was sent since the last batch */
    char **available_now;       /* Trigger.AvailableNow: the offsets to stop at */
    gboolean *self_capped;      /* per source: it caps its own latest offsets at its
                                 * AvailableNow target (it has a rate limit to keep) */
    const char *status_message; /* Spark's StreamingQueryStatus.message */
    gboolean trigger_active;
    gboolean data_available;
    gboolean waiting;       /* blocked on the clock for the next trigger */
    gint64 wait_started_ms; /* the clock's time when that wait began */
    GThread *thread;
};

/* query_trigger.c: the latest offset of every source. (transfer full) */
char **duet_query_latest_offsets(DuetStreamingQuery *query, GError **error);
/* The same with every source's rate limit ignored (Trigger.Once). */
char **duet_query_latest_offsets_all(DuetStreamingQuery *query, GError **error);
/* Trigger.AvailableNow: prepares every source's target (or, for a source without a rate
 * limit, takes its latest offset now as the cap). */
gboolean duet_query_prepare_available_now(DuetStreamingQuery *query, GError **error);
/* Caps latest (the offsets a trigger found) at the targets of the sources the query caps. */
void duet_query_cap_available_now(DuetStreamingQuery *query, char **latest);
/* Lifts the sources' targets once the query stopped. */
void duet_query_release_available_now(DuetStreamingQuery *query);
/* query.c: reads (from, to] of every source that moved into the execution's inputs, adding
 * each source's row count to rows[index]. */
gboolean duet_query_read_inputs(DuetStreamingQuery *query, char *const *from, char *const *to,
                                gint64 *rows, GError **error);
/* query.c: the plan's output partitions as a sink takes them, one list of one batch per
 * partition. (transfer full) */
GPtrArray *duet_query_sink_lists(GPtrArray *results);
/* query.c: marks the query ended (with failure, taken) and tells the listeners. */
void duet_query_finish(DuetStreamingQuery *query, GError *failure);
/* continuous.c: the thread of a query with a continuous trigger. */
gpointer duet_query_continuous_main(gpointer data);

/* query_log.c */
char *duet_query_log_path(DuetStreamingQuery *query, const char *log, gint64 batch);
gint64 duet_query_latest_in(DuetStreamingQuery *query, const char *log);
/* Spark's HDFSMetadataLog.purge: deletes checkpoint/log's batches below threshold. */
void duet_query_purge_log(DuetStreamingQuery *query, const char *log, gint64 threshold);
gint64 duet_query_json_number(const char *text, const char *field, gint64 fallback);
char **duet_query_offsets_new(DuetStreamingQuery *query);
void duet_query_offsets_free(DuetStreamingQuery *query, char **offsets);
char **duet_query_offsets_copy(DuetStreamingQuery *query, char *const *offsets);
char **duet_query_read_offsets(DuetStreamingQuery *query, gint64 batch, char **metadata,
                               GError **error);
gboolean duet_query_write_offsets(DuetStreamingQuery *query, gint64 batch, char *const *offsets,
                                  gint64 timestamp_ms, GError **error);
gboolean duet_query_write_commit(DuetStreamingQuery *query, gint64 batch, gint64 next_watermark_ms,
                                 GError **error);
gboolean duet_query_load_metadata(DuetStreamingQuery *query, GError **error);
gboolean duet_query_recover(DuetStreamingQuery *query, gint64 *rerun, char ***rerun_end,
                            gint64 *rerun_timestamp, GError **error);

/* query_progress.c */
DuetQueryProgress *duet_query_make_progress(DuetStreamingQuery *query, gint64 batch,
                                            gint64 timestamp_ms, gint64 *input_rows,
                                            char *const *starts, char *const *ends,
                                            gint64 output_rows, gint64 started_us,
                                            gint64 add_batch_us);

G_END_DECLS
