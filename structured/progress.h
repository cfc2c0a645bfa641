/* progress.h — Spark's StreamingQueryProgress and StreamingQueryStatus, and their JSON.
 *
 * Layer: structured/ (includes rdd/). What a query reports after every batch, with Spark's
 * field names: the batch's input rows and rates, durations, event-time statistics with the
 * watermark, one entry per stateful operator (top-down in the plan), one per source, the sink.
 * duet_query_progress_json prints it exactly as Spark's progress.prettyJson does (Jackson's
 * pretty printer: two-space indents, " : ", arrays of objects as "[ {" ... "} ]"; map-valued
 * fields with sorted keys and left out when empty; NaN and infinite rates left out; offsets
 * that are JSON embedded as JSON).
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A named number of a map-valued field (durationMs, customMetrics). */
typedef struct {
    char *name;
    gint64 value;
} DuetMetric;

typedef struct {
    char *operator_name; /* "stateStoreSave", "dedupe", "symmetricHashJoin", "globalLimit" */
    gint64 num_rows_total, num_rows_updated, all_updates_time_ms, num_rows_removed;
    gint64 all_removals_time_ms, commit_time_ms, memory_used_bytes;
    gint64 num_rows_dropped_by_watermark, num_shuffle_partitions, num_state_store_instances;
    GArray *custom_metrics; /* DuetMetric, e.g. numDroppedDuplicateRows */
    gint64 num_output_rows; /* the operator's emitted rows (Spark's SQL metric; not in JSON) */
} DuetStateOperatorProgress;

typedef struct {
    char *description;
    char *start_offset, *end_offset, *latest_offset; /* offset JSON text, or NULL */
    gint64 num_input_rows;
    gdouble input_rows_per_second, processed_rows_per_second;
} DuetSourceProgress;

typedef struct {
    char *id, *run_id, *name; /* name may be NULL */
    gint64 batch_id;
    gint64 timestamp_ms; /* the trigger's time (batchTimestampMs) */
    gint64 num_input_rows;
    gdouble input_rows_per_second, processed_rows_per_second;
    GArray *duration_ms;     /* DuetMetric: addBatch, getBatch, latestOffset, queryPlanning,
                              * triggerExecution, walCommit, ... */
    gboolean has_watermark;  /* the query has withWatermark: eventTime is reported */
    gint64 watermark_ms;     /* the watermark the batch used */
    gboolean has_event_time; /* the batch had rows with event times: min/max/avg are set */
    gint64 event_time_min_ms, event_time_max_ms, event_time_avg_ms;
    GPtrArray *state_operators; /* DuetStateOperatorProgress*, top-down (0 = nearest the sink) */
    GPtrArray *sources;         /* DuetSourceProgress* */
    char *sink_description;
    gint64 sink_num_output_rows;
    JsonNode *observed_metrics; /* an object of name -> row object, or NULL */
} DuetQueryProgress;

typedef struct {
    char *message; /* "Waiting for data to arrive", "Processing new data", ... */
    gboolean is_data_available;
    gboolean is_trigger_active;
} DuetQueryStatus;

DuetQueryProgress *duet_query_progress_new(void);
DuetQueryProgress *duet_query_progress_copy(const DuetQueryProgress *progress);
void duet_query_progress_free(DuetQueryProgress *progress);
DuetStateOperatorProgress *duet_state_operator_progress_new(const char *operator_name);
void duet_state_operator_progress_free(DuetStateOperatorProgress *progress);
DuetSourceProgress *duet_source_progress_new(const char *description);
void duet_source_progress_free(DuetSourceProgress *progress);
/* A custom metric's value, or fallback when absent. */
gint64 duet_state_operator_progress_metric(const DuetStateOperatorProgress *progress,
                                           const char *name, gint64 fallback);
void duet_metrics_add(GArray *metrics, const char *name, gint64 value);

/* Spark's prettyJson and json. (transfer full) */
char *duet_query_progress_json(const DuetQueryProgress *progress, gboolean pretty);
char *duet_query_status_json(const DuetQueryStatus *status, gboolean pretty);
/* yyyy-MM-dd'T'HH:mm:ss.SSS'Z' of epoch milliseconds. (transfer full) */
char *duet_format_iso_ms(gint64 ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetQueryProgress, duet_query_progress_free)

G_END_DECLS
