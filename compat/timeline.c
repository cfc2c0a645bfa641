/* timeline.c — records batches, windows, watermarks and late rows per API lane; draws them.
 *
 * Layer: compat/. Includes compat/svg.h and GLib. See timeline.h for what the picture shows.
 * Recording only appends to arrays under a lock; all layout happens in duet_timeline_to_svg:
 * one time scale for every lane, a batch track, window sub-rows chosen greedily (a window goes
 * to the first sub-row whose last window ended at or before its start, as interval-graph
 * colouring does), then the watermark lines and the late rows.
 */
#include "compat/timeline.h"
#include "compat/svg.h"

#include <math.h>
#include <string.h>

typedef struct {
    gint64 batch_id, start_ms, processing_ms, rows_in;
} Batch;

typedef struct {
    gint64 start_ms, end_ms;
    char *label; /* owned; may be NULL */
} Window;

typedef struct {
    gint64 at_ms, watermark_ms;
} Watermark;

typedef struct {
    gint64 event_time_ms, count;
} LateRows;

typedef struct {
    char *name;
    GArray *batches;    /* Batch, in recording order */
    GArray *windows;    /* Window */
    GArray *watermarks; /* Watermark */
    GArray *late;       /* LateRows */
} Lane;

struct _DuetTimeline {
    GMutex lock;      /* guards everything below */
    char *title;      /* the heading */
    GPtrArray *lanes; /* Lane *, top to bottom */
    GArray *kept;     /* Kept: data freed with the timeline (duet_timeline_keep) */
};

typedef struct {
    gpointer data;
    GDestroyNotify free_func;
} Kept;

/* Layout, in pixels. */
#define MARGIN_LEFT   130.0 /* lane names */
#define MARGIN_RIGHT  110.0 /* the last batch's labels */
#define MARGIN_TOP    54.0  /* the heading */
#define LANE_GAP      18.0
#define BATCH_TRACK   50.0 /* label, rect, label */
#define BATCH_HEIGHT  18.0
#define WINDOW_ROW    20.0
#define WINDOW_HEIGHT 15.0
#define LATE_TRACK    24.0
#define MIN_BATCH_PX  4.0
#define CHAR_WIDTH    6.0            /* of a 10 px label, to keep labels apart */
#define WATERMARK_GAP 12.0           /* above the window track: the watermark's label */
#define EPOCH_LIKE_MS 100000000000LL /* beyond ~1973: label times relative to the first */

static const char CSS[] =
    "text{font-size:11px;fill:#222}"
    ".heading{font-size:15px;font-weight:bold}"
    ".lane-name{font-size:13px;font-weight:bold}"
    ".track-name{font-size:10px;fill:#777}"
    ".lane-band{fill:#f4f4f4;fill-opacity:0.6;stroke:#ddd}"
    ".batch{fill:#4a7bd0;stroke:#24487f}"
    ".batch-label,.window-label,.late-label{font-size:10px}"
    ".window{fill:#f2b84b;fill-opacity:0.55;stroke:#a8741c}"
    ".watermark{stroke:#7b2cbf;stroke-width:1.5;stroke-dasharray:5,3}"
    ".watermark-label{font-size:10px;fill:#7b2cbf}"
    ".late{fill:#d62828;stroke:#7a1010}"
    ".late-label{fill:#d62828}"
    ".axis,.tick{stroke:#444}"
    ".grid{stroke:#e4e4e4}"
    ".legend-batch{fill:#4a7bd0}.legend-window{fill:#f2b84b}.legend-late{fill:#d62828}"
    ".legend-watermark{stroke:#7b2cbf;stroke-width:1.5;stroke-dasharray:5,3}";

static void
lane_free(gpointer data)
{
    Lane *lane = data;
    for (guint index = 0; index < lane->windows->len; index++)
        g_free(g_array_index(lane->windows, Window, index).label);
    g_array_unref(lane->batches);
    g_array_unref(lane->windows);
    g_array_unref(lane->watermarks);
    g_array_unref(lane->late);
    g_free(lane->name);
    g_free(lane);
}

DuetTimeline *
duet_timeline_new(void)
{
    DuetTimeline *timeline = g_new0(DuetTimeline, 1);
    g_mutex_init(&timeline->lock);
    timeline->title = g_strdup("duet timeline");
    timeline->lanes = g_ptr_array_new_with_free_func(lane_free);
    timeline->kept = g_array_new(FALSE, FALSE, sizeof(Kept));
    return timeline;
}

void
duet_timeline_free(DuetTimeline *timeline)
{
    if (timeline == NULL)
        return;
    g_ptr_array_unref(timeline->lanes);
    for (guint index = 0; index < timeline->kept->len; index++) {
        Kept *kept = &g_array_index(timeline->kept, Kept, index);
        kept->free_func(kept->data);
    }
    g_array_unref(timeline->kept);
    g_free(timeline->title);
    g_mutex_clear(&timeline->lock);
    g_free(timeline);
}

void
duet_timeline_set_title(DuetTimeline *timeline, const char *title)
{
    g_return_if_fail(timeline != NULL && title != NULL);
    g_mutex_lock(&timeline->lock);
    g_free(timeline->title);
    timeline->title = g_strdup(title);
    g_mutex_unlock(&timeline->lock);
}

void
duet_timeline_keep(DuetTimeline *timeline, gpointer data, GDestroyNotify free_func)
{
    g_return_if_fail(timeline != NULL && free_func != NULL);
    g_mutex_lock(&timeline->lock);
    Kept kept = {data, free_func};
    g_array_append_val(timeline->kept, kept);
    g_mutex_unlock(&timeline->lock);
}

guint
duet_timeline_add_lane(DuetTimeline *timeline, const char *name)
{
    g_return_val_if_fail(timeline != NULL && name != NULL, 0);
    Lane *lane = g_new0(Lane, 1);
    lane->name = g_strdup(name);
    lane->batches = g_array_new(FALSE, FALSE, sizeof(Batch));
    lane->windows = g_array_new(FALSE, FALSE, sizeof(Window));
    lane->watermarks = g_array_new(FALSE, FALSE, sizeof(Watermark));
    lane->late = g_array_new(FALSE, FALSE, sizeof(LateRows));
    g_mutex_lock(&timeline->lock);
    g_ptr_array_add(timeline->lanes, lane);
    guint index = timeline->lanes->len - 1;
    g_mutex_unlock(&timeline->lock);
    return index;
}

/* The lane at index, with the lock held; NULL (lock released, a critical logged) if none. */
static Lane *
lock_lane(DuetTimeline *timeline, guint index)
{
    g_mutex_lock(&timeline->lock);
    if (index >= timeline->lanes->len) {
        g_mutex_unlock(&timeline->lock);
        g_critical("duet_timeline: no lane %u (add it with duet_timeline_add_lane)", index);
        return NULL;
    }
    return g_ptr_array_index(timeline->lanes, index);
}

void
duet_timeline_add_batch(DuetTimeline *timeline, guint lane, gint64 batch_id, gint64 start_ms,
                        gint64 processing_ms, gint64 rows_in)
{
    g_return_if_fail(timeline != NULL);
    Lane *target = lock_lane(timeline, lane);
    if (target == NULL)
        return;
    Batch batch = {batch_id, start_ms, MAX(processing_ms, 0), rows_in};
    g_array_append_val(target->batches, batch);
    g_mutex_unlock(&timeline->lock);
}

void
duet_timeline_add_window(DuetTimeline *timeline, guint lane, gint64 start_ms, gint64 end_ms,
                         const char *label)
{
    g_return_if_fail(timeline != NULL);
    Lane *target = lock_lane(timeline, lane);
    if (target == NULL)
        return;
    Window window = {start_ms, MAX(end_ms, start_ms), g_strdup(label)};
    g_array_append_val(target->windows, window);
    g_mutex_unlock(&timeline->lock);
}

void
duet_timeline_set_watermark(DuetTimeline *timeline, guint lane, gint64 at_ms, gint64 watermark_ms)
{
    g_return_if_fail(timeline != NULL);
    Lane *target = lock_lane(timeline, lane);
    if (target == NULL)
        return;
    Watermark watermark = {at_ms, watermark_ms};
    g_array_append_val(target->watermarks, watermark);
    g_mutex_unlock(&timeline->lock);
}

void
duet_timeline_add_late_rows(DuetTimeline *timeline, guint lane, gint64 event_time_ms, gint64 count)
{
    g_return_if_fail(timeline != NULL);
    Lane *target = lock_lane(timeline, lane);
    if (target == NULL)
        return;
    LateRows late = {event_time_ms, count};
    g_array_append_val(target->late, late);
    g_mutex_unlock(&timeline->lock);
}

/* ---- drawing ------------------------------------------------------------------------------- */

typedef struct {
    DuetSvg *svg;
    gint64 origin_ms;  /* time at the left edge of the plot */
    gboolean relative; /* label times as "+N s" from origin_ms (epoch-sized clocks) */
    double px_per_ms;
    double plot_width;
} Scale;

static double
x_of(const Scale *scale, gint64 ms)
{
    return MARGIN_LEFT + (double)(ms - scale->origin_ms) * scale->px_per_ms;
}

/* A time for a label: "12.5 s", "750 ms", or "+12.5 s" on an epoch-sized clock. */
static char *
format_time(const Scale *scale, gint64 ms)
{
    gint64 shown = scale->relative ? ms - scale->origin_ms : ms;
    const char *sign = scale->relative ? "+" : "";
    if (shown % 1000 == 0)
        return g_strdup_printf("%s%" G_GINT64_FORMAT " s", sign, shown / 1000);
    if (ABS(shown) >= 1000) {
        /* milliseconds as seconds: 1.25 s, 12.5 s, never an exponent */
        char buffer[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd(buffer, sizeof buffer, "%.3f", shown / 1000.0);
        char *end = buffer + strlen(buffer);
        while (end[-1] == '0')
            *--end = '\0';
        return g_strdup_printf("%s%s s", sign, buffer);
    }
    return g_strdup_printf("%s%" G_GINT64_FORMAT " ms", sign, shown);
}

static gint
by_start(gconstpointer a, gconstpointer b)
{
    const Batch *left = a, *right = b;
    return (left->start_ms > right->start_ms) - (left->start_ms < right->start_ms);
}

static gint
window_by_start(gconstpointer a, gconstpointer b)
{
    const Window *left = a, *right = b;
    if (left->start_ms != right->start_ms)
        return (left->start_ms > right->start_ms) - (left->start_ms < right->start_ms);
    return (left->end_ms > right->end_ms) - (left->end_ms < right->end_ms);
}

/* Assigns each window (sorted by start) a sub-row; returns the number of sub-rows. */
static guint
stack_windows(GArray *windows, guint *rows)
{
    GArray *row_ends = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (guint index = 0; index < windows->len; index++) {
        const Window *window = &g_array_index(windows, Window, index);
        guint row = 0;
        while (row < row_ends->len && g_array_index(row_ends, gint64, row) > window->start_ms)
            row++;
        if (row == row_ends->len)
            g_array_append_val(row_ends, window->end_ms);
        else
            g_array_index(row_ends, gint64, row) = window->end_ms;
        rows[index] = row;
    }
    guint n_rows = row_ends->len;
    g_array_unref(row_ends);
    return n_rows;
}

static double
lane_height(const Lane *lane, guint window_rows)
{
    double height = BATCH_TRACK + 8;
    if (lane->windows->len || lane->watermarks->len)
        height += MAX(window_rows, 1) * WINDOW_ROW + 8;
    if (lane->watermarks->len)
        height += WATERMARK_GAP;
    if (lane->late->len)
        height += LATE_TRACK;
    return height;
}

static void
draw_batches(const Scale *scale, const Lane *lane, double top)
{
    DuetSvg *svg = scale->svg;
    duet_svg_text(svg, "track-name", MARGIN_LEFT - 8, top + 30, "end", "batches");
    GArray *sorted = g_array_copy(lane->batches);
    g_array_sort(sorted, by_start);
    double next_label_x = -G_MAXDOUBLE;
    for (guint index = 0; index < sorted->len; index++) {
        const Batch *batch = &g_array_index(sorted, Batch, index);
        double x = x_of(scale, batch->start_ms);
        double width = MAX(batch->processing_ms * scale->px_per_ms, MIN_BATCH_PX);
        g_autofree char *at = format_time(scale, batch->start_ms);
        g_autofree char *title = g_strdup_printf(
            "%s batch %" G_GINT64_FORMAT " at %s: %" G_GINT64_FORMAT " input rows, processed in "
            "%" G_GINT64_FORMAT " ms",
            lane->name, batch->batch_id, at, batch->rows_in, batch->processing_ms);
        duet_svg_rect(svg, "batch", x, top + 17, width, BATCH_HEIGHT, title);
        /* labels that would overlap the previous ones are left to the tooltips */
        if (x >= next_label_x) {
            g_autofree char *above =
                g_strdup_printf("#%" G_GINT64_FORMAT " %s", batch->batch_id, at);
            g_autofree char *below =
                g_strdup_printf("%" G_GINT64_FORMAT " rows, %" G_GINT64_FORMAT " ms",
                                batch->rows_in, batch->processing_ms);
            duet_svg_text(svg, "batch-label", x, top + 13, "start", above);
            duet_svg_text(svg, "batch-label", x, top + 47, "start", below);
            next_label_x = x + (double)MAX(strlen(above), strlen(below)) * CHAR_WIDTH + 8;
        }
    }
    g_array_unref(sorted);
}

/* Draws the window track from top; returns the y below it. */
static double
draw_windows(const Scale *scale, const Lane *lane, double top)
{
    DuetSvg *svg = scale->svg;
    GArray *sorted = g_array_copy(lane->windows);
    g_array_sort(sorted, window_by_start);
    guint *rows = g_new0(guint, MAX(sorted->len, 1));
    guint n_rows = MAX(stack_windows(sorted, rows), 1);
    duet_svg_text(svg, "track-name", MARGIN_LEFT - 8, top + 12, "end", "windows");
    for (guint index = 0; index < sorted->len; index++) {
        const Window *window = &g_array_index(sorted, Window, index);
        double x = x_of(scale, window->start_ms);
        double width = MAX((window->end_ms - window->start_ms) * scale->px_per_ms, 2.0);
        double y = top + rows[index] * WINDOW_ROW;
        g_autofree char *start = format_time(scale, window->start_ms);
        g_autofree char *end = format_time(scale, window->end_ms);
        g_autofree char *title =
            g_strdup_printf("%s window [%s, %s)%s%s", lane->name, start, end,
                            window->label ? ": " : "", window->label ? window->label : "");
        duet_svg_rect(svg, "window", x, y, width, WINDOW_HEIGHT, title);
        g_autofree char *text =
            window->label ? g_strdup(window->label) : g_strdup_printf("[%s, %s)", start, end);
        if (strlen(text) * 5.5 + 6 < width)
            duet_svg_text(svg, "window-label", x + 3, y + 11, "start", text);
    }
    g_free(rows);
    g_array_unref(sorted);
    return top + n_rows * WINDOW_ROW;
}

static void
draw_watermarks(const Scale *scale, const Lane *lane, double top, double bottom)
{
    gint64 latest_at = G_MININT64;
    guint latest = 0;
    for (guint index = 0; index < lane->watermarks->len; index++) {
        const Watermark *mark = &g_array_index(lane->watermarks, Watermark, index);
        if (mark->at_ms >= latest_at) {
            latest_at = mark->at_ms;
            latest = index;
        }
    }
    for (guint index = 0; index < lane->watermarks->len; index++) {
        const Watermark *mark = &g_array_index(lane->watermarks, Watermark, index);
        double x = x_of(scale, mark->watermark_ms);
        g_autofree char *value = format_time(scale, mark->watermark_ms);
        g_autofree char *at = format_time(scale, mark->at_ms);
        g_autofree char *title =
            g_strdup_printf("%s watermark %s, used by the batch at %s: rows with an earlier "
                            "event time are late",
                            lane->name, value, at);
        duet_svg_line(scale->svg, "watermark", x, top - WATERMARK_GAP + 2, x, bottom, title);
        if (index == latest)
            duet_svg_textf(scale->svg, "watermark-label", x + 3, top - 3, "start", "watermark %s",
                           value);
    }
}

static void
draw_late(const Scale *scale, const Lane *lane, double top)
{
    duet_svg_text(scale->svg, "track-name", MARGIN_LEFT - 8, top + 14, "end", "late, dropped");
    for (guint index = 0; index < lane->late->len; index++) {
        const LateRows *late = &g_array_index(lane->late, LateRows, index);
        double x = x_of(scale, late->event_time_ms);
        g_autofree char *at = format_time(scale, late->event_time_ms);
        g_autofree char *title = g_strdup_printf(
            "%s: %" G_GINT64_FORMAT " late row%s with event time %s, behind the watermark, "
            "dropped",
            lane->name, late->count, late->count == 1 ? "" : "s", at);
        double radius = 3.5 + MIN(log2((double)MAX(late->count, 1)), 6.0);
        duet_svg_circle(scale->svg, "late", x, top + 10, radius, title);
        duet_svg_textf(scale->svg, "late-label", x + radius + 2, top + 14, "start",
                       "%" G_GINT64_FORMAT, late->count);
    }
}

static void
draw_axis(const Scale *scale, double top, double bottom)
{
    DuetSvg *svg = scale->svg;
    duet_svg_line(svg, "axis", MARGIN_LEFT, bottom, MARGIN_LEFT + scale->plot_width, bottom, NULL);
    double range_ms = scale->plot_width / scale->px_per_ms;
    gint64 step = MAX((gint64)duet_svg_nice_step(range_ms, 10), 1);
    gint64 first =
        scale->relative ? scale->origin_ms : (gint64)ceil((double)scale->origin_ms / step) * step;
    for (gint64 tick = first; tick <= scale->origin_ms + (gint64)range_ms; tick += step) {
        double x = x_of(scale, tick);
        duet_svg_line(svg, "grid", x, top, x, bottom, NULL);
        duet_svg_line(svg, "tick", x, bottom, x, bottom + 5, NULL);
        g_autofree char *label = format_time(scale, tick);
        duet_svg_text(svg, "tick-label", x, bottom + 17, "middle", label);
    }
    duet_svg_text(svg, "track-name", 12, bottom + 17, "start", "time");
}

static void
draw_legend(DuetSvg *svg, double y)
{
    double x = MARGIN_LEFT;
    duet_svg_rect(svg, "legend-batch", x, y - 9, 14, 10, NULL);
    duet_svg_text(svg, "legend-text", x + 18, y, "start", "batch (width: processing time)");
    x += 200;
    duet_svg_rect(svg, "legend-window", x, y - 9, 14, 10, NULL);
    duet_svg_text(svg, "legend-text", x + 18, y, "start", "window");
    x += 80;
    duet_svg_line(svg, "legend-watermark", x, y - 10, x, y + 2, NULL);
    duet_svg_text(svg, "legend-text", x + 6, y, "start", "watermark");
    x += 90;
    duet_svg_circle(svg, "legend-late", x + 5, y - 4, 4.5, NULL);
    duet_svg_text(svg, "legend-text", x + 14, y, "start", "late rows dropped (count)");
}

/* The time range every lane's elements cover; FALSE when nothing was recorded. */
static gboolean
time_range(DuetTimeline *timeline, gint64 *min_ms, gint64 *max_ms)
{
    gboolean any = FALSE;
    gint64 low = G_MAXINT64, high = G_MININT64;
#define COVER(start, end)                                                                          \
    do {                                                                                           \
        low = MIN(low, (start));                                                                   \
        high = MAX(high, (end));                                                                   \
        any = TRUE;                                                                                \
    } while (0)
    for (guint lane_idx = 0; lane_idx < timeline->lanes->len; lane_idx++) {
        const Lane *lane = g_ptr_array_index(timeline->lanes, lane_idx);
        for (guint index = 0; index < lane->batches->len; index++) {
            const Batch *batch = &g_array_index(lane->batches, Batch, index);
            COVER(batch->start_ms, batch->start_ms + batch->processing_ms);
        }
        for (guint index = 0; index < lane->windows->len; index++) {
            const Window *window = &g_array_index(lane->windows, Window, index);
            COVER(window->start_ms, window->end_ms);
        }
        for (guint index = 0; index < lane->watermarks->len; index++) {
            gint64 value = g_array_index(lane->watermarks, Watermark, index).watermark_ms;
            COVER(value, value);
        }
        for (guint index = 0; index < lane->late->len; index++) {
            gint64 value = g_array_index(lane->late, LateRows, index).event_time_ms;
            COVER(value, value);
        }
    }
#undef COVER
    *min_ms = low;
    *max_ms = high;
    return any;
}

char *
duet_timeline_to_svg(DuetTimeline *timeline)
{
    g_return_val_if_fail(timeline != NULL, NULL);
    g_mutex_lock(&timeline->lock);
    gint64 min_ms = 0, max_ms = 0;
    gboolean any = time_range(timeline, &min_ms, &max_ms);
    guint most_batches = 0;
    for (guint lane_idx = 0; lane_idx < timeline->lanes->len; lane_idx++) {
        const Lane *lane = g_ptr_array_index(timeline->lanes, lane_idx);
        most_batches = MAX(most_batches, lane->batches->len);
    }
    Scale scale = {NULL, any ? min_ms : 0, min_ms >= EPOCH_LIKE_MS, 1, 0};
    scale.plot_width = CLAMP(most_batches * 70.0, 640.0, 2000.0);
    /* leave room after the last element for its label */
    double range_ms = any && max_ms > min_ms ? (double)(max_ms - min_ms) * 1.06 : 1000.0;
    scale.px_per_ms = scale.plot_width / range_ms;

    /* heights first: the document's size goes in its root element */
    guint *window_rows = g_new0(guint, MAX(timeline->lanes->len, 1));
    double height = MARGIN_TOP;
    for (guint lane_idx = 0; lane_idx < timeline->lanes->len; lane_idx++) {
        const Lane *lane = g_ptr_array_index(timeline->lanes, lane_idx);
        GArray *sorted = g_array_copy(lane->windows);
        g_array_sort(sorted, window_by_start);
        guint *rows = g_new0(guint, MAX(sorted->len, 1));
        window_rows[lane_idx] = stack_windows(sorted, rows);
        g_free(rows);
        g_array_unref(sorted);
        height += lane_height(lane, window_rows[lane_idx]) + LANE_GAP;
    }
    double axis_y = height;
    height += 60;
    scale.svg =
        duet_svg_new(MARGIN_LEFT + scale.plot_width + MARGIN_RIGHT, height, timeline->title, CSS);
    duet_svg_text(scale.svg, "heading", 12, 24, "start", timeline->title);
    if (!any)
        duet_svg_text(scale.svg, "track-name", MARGIN_LEFT, 42, "start",
                      "nothing was recorded: no batch, window, watermark or late row");
    draw_axis(&scale, MARGIN_TOP - 4, axis_y);
    double top = MARGIN_TOP;
    for (guint lane_idx = 0; lane_idx < timeline->lanes->len; lane_idx++) {
        const Lane *lane = g_ptr_array_index(timeline->lanes, lane_idx);
        double lane_bottom = top + lane_height(lane, window_rows[lane_idx]);
        duet_svg_group_begin(scale.svg, "lane", NULL);
        duet_svg_text(scale.svg, "lane-name", 12, top + 18, "start", lane->name);
        duet_svg_rect(scale.svg, "lane-band", MARGIN_LEFT - 4, top - 4, scale.plot_width + 8,
                      lane_bottom - top + 4, NULL);
        draw_batches(&scale, lane, top);
        double y = top + BATCH_TRACK + 8;
        if (lane->windows->len || lane->watermarks->len) {
            y += lane->watermarks->len ? WATERMARK_GAP : 0;
            double windows_top = y;
            y = draw_windows(&scale, lane, y) + 8;
            if (lane->late->len)
                draw_late(&scale, lane, y);
            draw_watermarks(&scale, lane, windows_top, y + (lane->late->len ? LATE_TRACK : 0));
        } else if (lane->late->len) {
            draw_late(&scale, lane, y);
        }
        duet_svg_group_end(scale.svg);
        top = lane_bottom + LANE_GAP;
    }
    draw_legend(scale.svg, axis_y + 42);
    g_free(window_rows);
    g_mutex_unlock(&timeline->lock);
    return duet_svg_finish(scale.svg);
}

gboolean
duet_timeline_write_svg(DuetTimeline *timeline, const char *path, GError **error)
{
    g_return_val_if_fail(timeline != NULL && path != NULL, FALSE);
    g_autofree char *text = duet_timeline_to_svg(timeline);
    if (!g_file_set_contents(path, text, -1, error)) {
        g_prefix_error(error, "cannot write the timeline picture: ");
        return FALSE;
    }
    return TRUE;
}
