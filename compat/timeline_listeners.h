/* timeline_listeners.h — fill a DuetTimeline lane from a running DStream context or query.
 *
 * Layer: compat/ (includes dstream/ and structured/). Conveniences over timeline.h for
 * `duet run`, `demo` and `compare --timeline`: a DStream listener that adds every completed
 * batch (its batch time, processing delay and input records), and a Structured query listener
 * that adds every micro-batch (trigger time, triggerExecution, input rows), the watermark it
 * used (queries with withWatermark) and, when its stateful operators dropped late rows
 * (numRowsDroppedByWatermark, which Spark counts after the partial aggregation: late rows of
 * one group count once), those rows — drawn at the watermark, since progress does not tell
 * their event times; call duet_timeline_add_late_rows yourself where you know them.
 * Windows are not in progress reports: add them with duet_timeline_add_window.
 * The timeline must outlive the context or query (the listeners point into it).
 */
#pragma once

#include "compat/timeline.h"
#include "dstream/streaming_context.h"
#include "structured/query.h"

G_BEGIN_DECLS

/* Adds a listener to context (before or after start) that records its completed batches in
 * lane, numbered from 0 in completion order. */
void duet_timeline_listen_dstream(DuetTimeline *timeline, guint lane,
                                  DuetStreamingContext *context);

/* A query listener recording each progress in lane: pass it in DuetQueryOptions.listeners.
 * Its user_data is owned by the timeline. */
DuetQueryListener duet_timeline_query_listener(DuetTimeline *timeline, guint lane);

G_END_DECLS
