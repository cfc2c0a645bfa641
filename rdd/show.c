/* show.c — Dataset.showString and the console sink block, character for character.
 *
 * Layer: rdd/. Includes rdd/ only. Follows Spark's Dataset.showString: take numRows (+1 to
 * know whether there is more), render every cell, escape \n \r \t \f \b \v \a as two
 * characters, truncate data cells longer than `truncate` (Java String.length, i.e. UTF-16
 * code units) to truncate - 3 characters + "...", or to `truncate` characters when truncate <
 * 4; width = max(3, widest cell); East Asian wide characters count as two columns.
 */
#include "rdd/show.h"
#include "rdd/format.h"

static gboolean
is_full_width(gunichar c)
{
    return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
           (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0xFE10 && c <= 0xFE19) || (c >= 0xFE30 && c <= 0xFE6F) ||
           (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6);
}

/* Display width: characters, East Asian wide ones counting twice. */
static gsize
half_width(const char *text)
{
    gsize width = 0;
    for (const char *cursor = text; *cursor; cursor = g_utf8_next_char(cursor))
        width += is_full_width(g_utf8_get_char(cursor)) ? 2 : 1;
    return width;
}

/* Java's String.length: UTF-16 code units. */
static gsize
java_length(const char *text)
{
    gsize length = 0;
    for (const char *cursor = text; *cursor; cursor = g_utf8_next_char(cursor))
        length += g_utf8_get_char(cursor) > 0xFFFF ? 2 : 1;
    return length;
}

/* The first n UTF-16 code units of text (never splitting a character). */
static void
append_java_prefix(GString *out, const char *text, gsize n)
{
    gsize units = 0;
    for (const char *cursor = text; *cursor; cursor = g_utf8_next_char(cursor)) {
        gsize unit = g_utf8_get_char(cursor) > 0xFFFF ? 2 : 1;
        if (units + unit > n)
            break;
        units += unit;
        g_string_append_len(out, cursor, g_utf8_next_char(cursor) - cursor);
    }
}

static char *
escape_meta(const char *text)
{
    GString *out = g_string_new(NULL);
    for (const char *cursor = text; *cursor; cursor++) {
        switch (*cursor) {
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        case '\f':
            g_string_append(out, "\\f");
            break;
        case '\b':
            g_string_append(out, "\\b");
            break;
        case '\v':
            g_string_append(out, "\\v");
            break;
        case '\a':
            g_string_append(out, "\\a");
            break;
        default:
            g_string_append_c(out, *cursor);
            break;
        }
    }
    return g_string_free(out, FALSE);
}

static char *
cell_text(DuetBatch *rows, gsize row, guint column, gint truncate)
{
    DuetValue value;
    duet_column_get_value(duet_batch_column(rows, column), row, &value);
    GString *raw = g_string_new(NULL);
    duet_format_value(raw, &value, DUET_FORMAT_SPARK_SQL);
    char *escaped = escape_meta(raw->str);
    g_string_free(raw, TRUE);
    if (truncate <= 0 || java_length(escaped) <= (gsize)truncate)
        return escaped;
    GString *cut = g_string_new(NULL);
    if (truncate < 4) {
        append_java_prefix(cut, escaped, (gsize)truncate);
    } else {
        append_java_prefix(cut, escaped, (gsize)truncate - 3);
        g_string_append(cut, "...");
    }
    g_free(escaped);
    return g_string_free(cut, FALSE);
}

static void
append_padded(GString *out, const char *text, gsize width, gboolean right_align)
{
    gsize pad = width - MIN(width, half_width(text));
    if (right_align)
        for (gsize space = 0; space < pad; space++)
            g_string_append_c(out, ' ');
    g_string_append(out, text);
    if (!right_align)
        for (gsize space = 0; space < pad; space++)
            g_string_append_c(out, ' ');
}

void
duet_show_string(GString *out, DuetBatch *rows, gint num_rows, gint truncate, gboolean has_more)
{
    DuetSchema *schema = duet_batch_schema(rows);
    guint n_columns = duet_schema_n_fields(schema);
    gsize limit = (gsize)MAX(num_rows, 0);
    gsize n_rows = MIN(duet_batch_n_rows(rows), limit);
    has_more = has_more || duet_batch_n_rows(rows) > limit;
    gboolean right_align = truncate > 0;

    /* cells[row][column], row 0 = the header */
    GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);
    gsize *widths = g_new0(gsize, MAX(n_columns, 1));
    for (guint column = 0; column < n_columns; column++) {
        char *header = escape_meta(duet_schema_field(schema, column)->name);
        widths[column] = MAX(3, half_width(header));
        g_ptr_array_add(cells, header);
    }
    for (gsize row = 0; row < n_rows; row++) {
        for (guint column = 0; column < n_columns; column++) {
            char *text = cell_text(rows, row, column, truncate);
            widths[column] = MAX(widths[column], half_width(text));
            g_ptr_array_add(cells, text);
        }
    }
    GString *separator = g_string_new("+");
    for (guint column = 0; column < n_columns; column++) {
        for (gsize dash = 0; dash < widths[column]; dash++)
            g_string_append_c(separator, '-');
        g_string_append_c(separator, '+');
    }
    g_string_append_c(separator, '\n');

    g_string_append(out, separator->str);
    for (gsize row = 0; row <= n_rows; row++) {
        g_string_append_c(out, '|');
        for (guint column = 0; column < n_columns; column++) {
            append_padded(out, cells->pdata[row * n_columns + column], widths[column], right_align);
            g_string_append_c(out, '|');
        }
        g_string_append_c(out, '\n');
        if (row == 0)
            g_string_append(out, separator->str);
    }
    g_string_append(out, separator->str);
    if (has_more)
        g_string_append_printf(out, "only showing top %d %s\n", num_rows,
                               num_rows == 1 ? "row" : "rows");
    g_string_free(separator, TRUE);
    g_free(widths);
    g_ptr_array_unref(cells);
}

void
duet_show_console_batch(GString *out, gint64 batch_id, DuetBatch *rows, gint num_rows,
                        gboolean truncate)
{
    static const char dashes[] = "-------------------------------------------";
    g_string_append_printf(out, "%s\nBatch: %" G_GINT64_FORMAT "\n%s\n", dashes, batch_id, dashes);
    duet_show_string(out, rows, num_rows, truncate ? 20 : 0, FALSE);
    g_string_append_c(out, '\n');
}
