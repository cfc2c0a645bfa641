/* bench_plot.c — `duet bench --plot FILE.svg`: each API's batches over time, in two panels.
 *
 * Layer: compat/ (includes compat/svg.h). The top panel is each batch's latency (ms), the
 * bottom one its processing rate (input rows / processing time), both against the time the
 * batch completed (seconds since the API's start), so both APIs share one time axis. Each API
 * is one <g class="series"> holding a <polyline class="latency"> and a
 * <polyline class="rate"> (and a <circle class="point"> per batch when there are at most 200),
 * with the API's name as its <title>; the legend uses classes "legend-*".
 */
#include "compat/bench.h"
#include "compat/svg.h"

#include <math.h>

#define WIDTH        860.0
#define LEFT         80.0
#define RIGHT        30.0
#define PANEL_HEIGHT 220.0
#define PANEL_GAP    70.0
#define TOP          60.0
#define MAX_POINTS   200

static const char CSS[] =
    "text{font-size:11px;fill:#222}.heading{font-size:15px;font-weight:bold}"
    ".panel-title{font-size:12px;font-weight:bold}.axis{stroke:#444}.grid{stroke:#e6e6e6}"
    ".latency,.rate{stroke-width:1.6}"
    ".api-0 polyline,.legend-0{stroke:#1f77b4}.api-0 circle,.legend-0{fill:#1f77b4}"
    ".api-1 polyline,.legend-1{stroke:#d62728}.api-1 circle,.legend-1{fill:#d62728}"
    ".api-2 polyline,.legend-2{stroke:#2ca02c}.api-2 circle,.legend-2{fill:#2ca02c}";

typedef struct {
    double top;   /* pixel y of the panel's top */
    double max_y; /* value at the top */
    double max_t; /* seconds at the right edge */
} Panel;

static double
px_x(const Panel *panel, double t)
{
    return LEFT + (WIDTH - LEFT - RIGHT) * (panel->max_t > 0 ? t / panel->max_t : 0);
}

static double
px_y(const Panel *panel, double value)
{
    return panel->top + PANEL_HEIGHT * (1 - (panel->max_y > 0 ? value / panel->max_y : 0));
}

/* "1.2M", "350k", "12.5": short numbers for axis labels. */
static char *
short_number(double value)
{
    char buffer[G_ASCII_DTOSTR_BUF_SIZE];
    if (value >= 1e6)
        return g_strdup_printf("%sM", g_ascii_formatd(buffer, sizeof buffer, "%.4g", value / 1e6));
    if (value >= 1e4)
        return g_strdup_printf("%sk", g_ascii_formatd(buffer, sizeof buffer, "%.4g", value / 1e3));
    return g_strdup(g_ascii_formatd(buffer, sizeof buffer, "%.4g", value));
}

static void
draw_panel(DuetSvg *svg, Panel *panel, const char *title, const char *unit)
{
    panel->max_y = duet_svg_nice_step(panel->max_y > 0 ? panel->max_y : 1, 5) *
                   ceil((panel->max_y > 0 ? panel->max_y : 1) /
                        duet_svg_nice_step(panel->max_y > 0 ? panel->max_y : 1, 5));
    duet_svg_text(svg, "panel-title", LEFT, panel->top - 10, "start", title);
    double y_step = duet_svg_nice_step(panel->max_y, 5);
    for (double value = 0; value <= panel->max_y + y_step / 2; value += y_step) {
        double y = px_y(panel, value);
        duet_svg_line(svg, "grid", LEFT, y, WIDTH - RIGHT, y, NULL);
        g_autofree char *label = short_number(value);
        duet_svg_text(svg, "tick-label", LEFT - 6, y + 4, "end", label);
    }
    double t_step = duet_svg_nice_step(panel->max_t, 10);
    double bottom = panel->top + PANEL_HEIGHT;
    for (double t = 0; t <= panel->max_t + t_step / 2; t += t_step) {
        double x = px_x(panel, t);
        duet_svg_line(svg, "grid", x, panel->top, x, bottom, NULL);
        char buffer[G_ASCII_DTOSTR_BUF_SIZE];
        duet_svg_textf(svg, "tick-label", x, bottom + 15, "middle", "%s s",
                       g_ascii_formatd(buffer, sizeof buffer, "%.4g", t));
    }
    duet_svg_line(svg, "axis", LEFT, bottom, WIDTH - RIGHT, bottom, NULL);
    duet_svg_line(svg, "axis", LEFT, panel->top, LEFT, bottom, NULL);
    duet_svg_text(svg, "unit", 12, panel->top - 10, "start", unit);
}

static const char *
api_title(const char *api)
{
    return g_str_equal(api, "dstream")      ? "DStream"
           : g_str_equal(api, "structured") ? "Structured"
                                            : api;
}

static double
rate_of(const DuetBenchSample *sample)
{
    return sample->processing_ms > 0 ? sample->rows / (sample->processing_ms / 1000.0) : 0;
}

static void
draw_series(DuetSvg *svg, const Panel *latency, const Panel *rate, const DuetBenchResult *result,
            guint index)
{
    g_autofree char *cls = g_strdup_printf("api-%u", index % 3);
    duet_svg_group_begin(svg, "series", api_title(result->api));
    duet_svg_group_begin(svg, cls, NULL);
    guint n = result->samples->len;
    double *latency_points = g_new(double, 2 * MAX(n, 1));
    double *rate_points = g_new(double, 2 * MAX(n, 1));
    for (guint sample_idx = 0; sample_idx < n; sample_idx++) {
        const DuetBenchSample *sample =
            &g_array_index(result->samples, DuetBenchSample, sample_idx);
        latency_points[2 * sample_idx] = px_x(latency, sample->t_s);
        latency_points[2 * sample_idx + 1] = px_y(latency, sample->latency_ms);
        rate_points[2 * sample_idx] = px_x(rate, sample->t_s);
        rate_points[2 * sample_idx + 1] = px_y(rate, rate_of(sample));
    }
    g_autofree char *latency_title =
        g_strdup_printf("%s: latency per batch", api_title(result->api));
    g_autofree char *rate_title = g_strdup_printf("%s: rows/s per batch", api_title(result->api));
    duet_svg_polyline(svg, "latency", latency_points, n, latency_title);
    duet_svg_polyline(svg, "rate", rate_points, n, rate_title);
    for (guint sample_idx = 0; n <= MAX_POINTS && sample_idx < n; sample_idx++) {
        const DuetBenchSample *sample =
            &g_array_index(result->samples, DuetBenchSample, sample_idx);
        g_autofree char *tip = g_strdup_printf("%s batch %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT
                                               " rows, latency %.1f ms, "
                                               "processing %.1f ms",
                                               api_title(result->api), sample->batch, sample->rows,
                                               sample->latency_ms, sample->processing_ms);
        duet_svg_circle(svg, "point", latency_points[2 * sample_idx],
                        latency_points[2 * sample_idx + 1], 2.5, tip);
        duet_svg_circle(svg, "point", rate_points[2 * sample_idx], rate_points[2 * sample_idx + 1],
                        2.5, tip);
    }
    g_free(latency_points);
    g_free(rate_points);
    duet_svg_group_end(svg);
    duet_svg_group_end(svg);
}

gboolean
duet_bench_plot_write(const char *path, const char *title, GPtrArray *results, GError **error)
{
    Panel latency = {TOP + 10, 0, 0}, rate = {TOP + 10 + PANEL_HEIGHT + PANEL_GAP, 0, 0};
    for (guint index = 0; index < results->len; index++) {
        const DuetBenchResult *result = g_ptr_array_index(results, index);
        for (guint sample_idx = 0; sample_idx < result->samples->len; sample_idx++) {
            const DuetBenchSample *sample =
                &g_array_index(result->samples, DuetBenchSample, sample_idx);
            latency.max_y = MAX(latency.max_y, sample->latency_ms);
            rate.max_y = MAX(rate.max_y, rate_of(sample));
            latency.max_t = MAX(latency.max_t, sample->t_s);
        }
    }
    latency.max_t = latency.max_t > 0 ? latency.max_t * 1.02 : 1;
    rate.max_t = latency.max_t;
    double height = rate.top + PANEL_HEIGHT + 70;
    DuetSvg *svg = duet_svg_new(WIDTH, height, title, CSS);
    duet_svg_text(svg, "heading", 12, 24, "start", title);
    draw_panel(svg, &latency, "latency per batch", "ms");
    draw_panel(svg, &rate, "processing rate per batch (input rows / processing time)", "rows/s");
    for (guint index = 0; index < results->len; index++)
        draw_series(svg, &latency, &rate, g_ptr_array_index(results, index), index);
    double legend_y = rate.top + PANEL_HEIGHT + 45;
    for (guint index = 0; index < results->len; index++) {
        const DuetBenchResult *result = g_ptr_array_index(results, index);
        g_autofree char *cls = g_strdup_printf("legend-%u", index % 3);
        double x = LEFT + index * 160.0;
        duet_svg_rect(svg, cls, x, legend_y - 9, 14, 10, NULL);
        duet_svg_text(svg, "legend-text", x + 20, legend_y, "start", api_title(result->api));
    }
    duet_svg_text(svg, "legend-text", WIDTH - RIGHT, legend_y, "end",
                  "time: seconds since each API's start");
    if (!duet_svg_write(svg, path, error)) {
        g_prefix_error(error, "--plot: ");
        return FALSE;
    }
    return TRUE;
}
