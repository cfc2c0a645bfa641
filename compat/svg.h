/* svg.h — a small SVG 1.1 writer for duet's pictures (bench plots, teaching timelines).
 *
 * Layer: compat/. Includes GLib only. A DuetSvg accumulates one standalone document: elements
 * carry a class attribute (styled by one <style> block that the caller passes to
 * duet_svg_new) and may carry a <title> child, which browsers show as a tooltip. Every
 * number is written in the C locale, every text is escaped, so the output is well-formed XML
 * whatever the locale or the labels. Not thread-safe: one writer per thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DuetSvg DuetSvg;

/* A document width x height pixels, its <title> (may be NULL) and the CSS text of its <style>
 * block (may be NULL). (transfer full) */
DuetSvg *duet_svg_new(double width, double height, const char *title, const char *css);
void duet_svg_free(DuetSvg *svg);

/* Opens a <g class="cls"> (cls may be NULL) with an optional <title>; close with
 * duet_svg_group_end. Groups nest. */
void duet_svg_group_begin(DuetSvg *svg, const char *cls, const char *title);
void duet_svg_group_end(DuetSvg *svg);

/* Shapes. cls may be NULL; title, when not NULL, becomes a <title> child (a tooltip). */
void duet_svg_rect(DuetSvg *svg, const char *cls, double x, double y, double width, double height,
                   const char *title);
void duet_svg_line(DuetSvg *svg, const char *cls, double x1, double y1, double x2, double y2,
                   const char *title);
void duet_svg_circle(DuetSvg *svg, const char *cls, double cx, double cy, double radius,
                     const char *title);
/* An open polyline through n_points points, xy = {x0, y0, x1, y1, ...}. */
void duet_svg_polyline(DuetSvg *svg, const char *cls, const double *xy, gsize n_points,
                       const char *title);
/* Text at (x, y); anchor is "start", "middle" or "end". */
void duet_svg_text(DuetSvg *svg, const char *cls, double x, double y, const char *anchor,
                   const char *text);
void duet_svg_textf(DuetSvg *svg, const char *cls, double x, double y, const char *anchor,
                    const char *format, ...) G_GNUC_PRINTF(6, 7);

/* Closes the document and returns its text; svg is freed. (transfer full) */
char *duet_svg_finish(DuetSvg *svg);
/* Closes the document and writes it to path atomically (g_file_set_contents); svg is freed.
 * Fails with a G_FILE_ERROR naming the path. */
gboolean duet_svg_write(DuetSvg *svg, const char *path, GError **error);

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving at most max_ticks ticks over
 * range; 1 when range is not positive. */
double duet_svg_nice_step(double range, int max_ticks);

G_END_DECLS
