/* timeline.h — a recorder of what the two APIs did over time, drawn as a teaching picture.
 *
 * Layer: compat/. Includes GLib only. `duet run`, `duet demo` and `duet compare` take
 * `--timeline FILE.svg`: they add one lane per API, record each batch (when it started, how long
 * it took, how many input rows it had), the windows it computed (DStream windows over batch
 * times, Structured event-time windows), the watermark each batch used and the late rows the
 * watermark dropped, then write an SVG picture of it.
 *
 * The picture has one horizontal time axis shared by every lane, in milliseconds of the
 * caller's clock (a manual clock in a replay, the system clock in a live run; epoch-sized times
 * are labelled relative to the first one). Event times (windows, watermarks, late rows) are
 * drawn on the same axis: in a replay, event time and batch time are the same clock. In a lane,
 * from top to bottom:
 *   - a batch track: one <rect class="batch"> per batch, from start_ms over processing_ms
 *     (at least 4 px wide), labelled "#id", its input rows and processing time;
 *   - a window track: one <rect class="window"> per window over [start_ms, end_ms), stacked so
 *     that overlapping (sliding) windows do not hide each other;
 *   - one <line class="watermark"> per recorded watermark, a dashed vertical line at
 *     watermark_ms across the window track (the latest one labelled);
 *   - one <circle class="late"> per add_late_rows call, at event_time_ms, with the count.
 * Every element has a <title> tooltip with its numbers. Lanes are <g class="lane">, with the
 * lane name as their first <text class="lane-name">. The legend uses classes "legend-*", so
 * counting class="batch" counts batches.
 *
 * Thread-safety: every function may be called from any thread (a DStream listener runs on the
 * job generator's thread); calls are serialized by a lock inside the timeline.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DuetTimeline DuetTimeline;

/* An empty timeline with no lanes. (transfer full) */
DuetTimeline *duet_timeline_new(void);
void duet_timeline_free(DuetTimeline *timeline);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetTimeline, duet_timeline_free)

/* The picture's heading (default "duet timeline"). */
void duet_timeline_set_title(DuetTimeline *timeline, const char *title);

/* Adds a lane named name ("DStream", "Structured") below the others; returns its index, which
 * the other calls take as lane. */
guint duet_timeline_add_lane(DuetTimeline *timeline, const char *name);

/* A batch of lane: started at start_ms, took processing_ms, read rows_in input rows. For a
 * DStream batch start_ms is its batch time; for a Structured micro-batch, its trigger time. */
void duet_timeline_add_batch(DuetTimeline *timeline, guint lane, gint64 batch_id, gint64 start_ms,
                             gint64 processing_ms, gint64 rows_in);

/* A window of lane over [start_ms, end_ms), with a label (e.g. "3 rows"; may be NULL). */
void duet_timeline_add_window(DuetTimeline *timeline, guint lane, gint64 start_ms, gint64 end_ms,
                              const char *label);

/* The batch at at_ms used watermark_ms as its watermark (Structured: the watermark a batch uses
 * is computed from the previous batch). Each call adds one watermark line. */
void duet_timeline_set_watermark(DuetTimeline *timeline, guint lane, gint64 at_ms,
                                 gint64 watermark_ms);

/* count rows with event time event_time_ms arrived behind the watermark and were dropped. */
void duet_timeline_add_late_rows(DuetTimeline *timeline, guint lane, gint64 event_time_ms,
                                 gint64 count);

/* Keeps data until the timeline is freed, then calls free_func on it (for listeners whose
 * user_data must live as long as the timeline). */
void duet_timeline_keep(DuetTimeline *timeline, gpointer data, GDestroyNotify free_func);

/* The picture as SVG text. (transfer full) */
char *duet_timeline_to_svg(DuetTimeline *timeline);

/* Writes the picture to path (atomically). Fails with a G_FILE_ERROR naming the file. */
gboolean duet_timeline_write_svg(DuetTimeline *timeline, const char *path, GError **error);

G_END_DECLS
