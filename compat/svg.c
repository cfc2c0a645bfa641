/* svg.c — a small SVG 1.1 writer: escaped text, C-locale numbers, classes and tooltips.
 *
 * Layer: compat/. Includes GLib only. See svg.h. Numbers go through g_ascii_formatd so that a
 * locale with a decimal comma cannot break the XML; texts through g_markup_escape_text.
 */
#include "compat/svg.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

struct _DuetSvg {
    GString *text; /* the document so far */
    int depth;     /* open <g> elements, closed by finish if the caller forgot */
};

/* Appends " name=\"value\"" with value in the C locale, at most 2 decimals. */
static void
append_number(GString *text, const char *name, double value)
{
    char buffer[G_ASCII_DTOSTR_BUF_SIZE];
    if (!isfinite(value))
        value = 0;
    g_ascii_formatd(buffer, sizeof buffer, "%.2f", value);
    /* trim "12.50" to "12.5" and "12.00" to "12" */
    char *end = buffer + strlen(buffer);
    if (strchr(buffer, '.')) {
        while (end > buffer && end[-1] == '0')
            *--end = '\0';
        if (end > buffer && end[-1] == '.')
            *--end = '\0';
    }
    g_string_append_printf(text, " %s=\"%s\"", name, g_str_equal(buffer, "-0") ? "0" : buffer);
}

static void
append_escaped(GString *text, const char *raw)
{
    g_autofree char *escaped = g_markup_escape_text(raw, -1);
    g_string_append(text, escaped);
}

static void
append_class(GString *text, const char *cls)
{
    if (cls == NULL)
        return;
    g_string_append(text, " class=\"");
    append_escaped(text, cls);
    g_string_append_c(text, '"');
}

/* Ends an element's start tag: "/>" without a title, else "><title>..</title></name>". */
static void
close_element(GString *text, const char *name, const char *title)
{
    if (title == NULL) {
        g_string_append(text, "/>\n");
        return;
    }
    g_string_append(text, "><title>");
    append_escaped(text, title);
    g_string_append_printf(text, "</title></%s>\n", name);
}

DuetSvg *
duet_svg_new(double width, double height, const char *title, const char *css)
{
    DuetSvg *svg = g_new0(DuetSvg, 1);
    svg->text = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"");
    append_number(svg->text, "width", width);
    append_number(svg->text, "height", height);
    char box[4 * G_ASCII_DTOSTR_BUF_SIZE];
    g_snprintf(box, sizeof box, "0 0 %d %d", (int)ceil(width), (int)ceil(height));
    g_string_append_printf(svg->text, " viewBox=\"%s\" font-family=\"sans-serif\">\n", box);
    if (title) {
        g_string_append(svg->text, "<title>");
        append_escaped(svg->text, title);
        g_string_append(svg->text, "</title>\n");
    }
    if (css) {
        g_string_append(svg->text, "<style type=\"text/css\">");
        append_escaped(svg->text, css);
        g_string_append(svg->text, "</style>\n");
    }
    g_string_append(svg->text, "<rect class=\"background\" x=\"0\" y=\"0\" width=\"100%\" "
                               "height=\"100%\" fill=\"white\"/>\n");
    return svg;
}

void
duet_svg_free(DuetSvg *svg)
{
    if (svg == NULL)
        return;
    g_string_free(svg->text, TRUE);
    g_free(svg);
}

void
duet_svg_group_begin(DuetSvg *svg, const char *cls, const char *title)
{
    g_return_if_fail(svg != NULL);
    g_string_append(svg->text, "<g");
    append_class(svg->text, cls);
    g_string_append(svg->text, ">\n");
    if (title) {
        g_string_append(svg->text, "<title>");
        append_escaped(svg->text, title);
        g_string_append(svg->text, "</title>\n");
    }
    svg->depth++;
}

void
duet_svg_group_end(DuetSvg *svg)
{
    g_return_if_fail(svg != NULL && svg->depth > 0);
    g_string_append(svg->text, "</g>\n");
    svg->depth--;
}

void
duet_svg_rect(DuetSvg *svg, const char *cls, double x, double y, double width, double height,
              const char *title)
{
    g_return_if_fail(svg != NULL);
    g_string_append(svg->text, "<rect");
    append_class(svg->text, cls);
    append_number(svg->text, "x", x);
    append_number(svg->text, "y", y);
    append_number(svg->text, "width", MAX(width, 0));
    append_number(svg->text, "height", MAX(height, 0));
    close_element(svg->text, "rect", title);
}

void
duet_svg_line(DuetSvg *svg, const char *cls, double x1, double y1, double x2, double y2,
              const char *title)
{
    g_return_if_fail(svg != NULL);
    g_string_append(svg->text, "<line");
    append_class(svg->text, cls);
    append_number(svg->text, "x1", x1);
    append_number(svg->text, "y1", y1);
    append_number(svg->text, "x2", x2);
    append_number(svg->text, "y2", y2);
    close_element(svg->text, "line", title);
}

void
duet_svg_circle(DuetSvg *svg, const char *cls, double cx, double cy, double radius,
                const char *title)
{
    g_return_if_fail(svg != NULL);
    g_string_append(svg->text, "<circle");
    append_class(svg->text, cls);
    append_number(svg->text, "cx", cx);
    append_number(svg->text, "cy", cy);
    append_number(svg->text, "r", MAX(radius, 0));
    close_element(svg->text, "circle", title);
}

void
duet_svg_polyline(DuetSvg *svg, const char *cls, const double *xy, gsize n_points,
                  const char *title)
{
    g_return_if_fail(svg != NULL && (xy != NULL || n_points == 0));
    g_string_append(svg->text, "<polyline");
    append_class(svg->text, cls);
    g_string_append(svg->text, " points=\"");
    char buffer[G_ASCII_DTOSTR_BUF_SIZE];
    for (gsize point = 0; point < n_points; point++) {
        double x = isfinite(xy[2 * point]) ? xy[2 * point] : 0;
        double y = isfinite(xy[2 * point + 1]) ? xy[2 * point + 1] : 0;
        g_string_append(svg->text, point ? " " : "");
        g_string_append(svg->text, g_ascii_formatd(buffer, sizeof buffer, "%.2f", x));
        g_string_append_c(svg->text, ',');
        g_string_append(svg->text, g_ascii_formatd(buffer, sizeof buffer, "%.2f", y));
    }
    g_string_append(svg->text, "\" fill=\"none\"");
    close_element(svg->text, "polyline", title);
}

void
duet_svg_text(DuetSvg *svg, const char *cls, double x, double y, const char *anchor,
              const char *text)
{
    g_return_if_fail(svg != NULL && text != NULL);
    g_string_append(svg->text, "<text");
    append_class(svg->text, cls);
    append_number(svg->text, "x", x);
    append_number(svg->text, "y", y);
    if (anchor && !g_str_equal(anchor, "start"))
        g_string_append_printf(svg->text, " text-anchor=\"%s\"",
                               g_str_equal(anchor, "end") ? "end" : "middle");
    g_string_append_c(svg->text, '>');
    append_escaped(svg->text, text);
    g_string_append(svg->text, "</text>\n");
}

void
duet_svg_textf(DuetSvg *svg, const char *cls, double x, double y, const char *anchor,
               const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *text = g_strdup_vprintf(format, args);
    va_end(args);
    duet_svg_text(svg, cls, x, y, anchor, text);
}

char *
duet_svg_finish(DuetSvg *svg)
{
    g_return_val_if_fail(svg != NULL, NULL);
    while (svg->depth > 0)
        duet_svg_group_end(svg);
    g_string_append(svg->text, "</svg>\n");
    char *text = g_string_free(svg->text, FALSE);
    g_free(svg);
    return text;
}

gboolean
duet_svg_write(DuetSvg *svg, const char *path, GError **error)
{
    g_return_val_if_fail(svg != NULL && path != NULL, FALSE);
    g_autofree char *text = duet_svg_finish(svg);
    if (!g_file_set_contents(path, text, -1, error)) {
        g_prefix_error(error, "cannot write the SVG picture: ");
        return FALSE;
    }
    return TRUE;
}

double
duet_svg_nice_step(double range, int max_ticks)
{
    if (!(range > 0) || !isfinite(range) || max_ticks < 1)
        return 1;
    double raw = range / max_ticks;
    double power = pow(10, floor(log10(raw)));
    static const double multiples[] = {1, 2, 5, 10};
    for (guint index = 0; index < G_N_ELEMENTS(multiples); index++) {
        if (multiples[index] * power >= raw)
            return multiples[index] * power;
    }
    return 10 * power;
}
