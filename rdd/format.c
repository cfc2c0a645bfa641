/* format.c — values as text in Scala's, Python's and Spark SQL's spelling.
 *
 * Layer: rdd/. Includes rdd/ only. The three dialects of format.h. Doubles follow Java's
 * Double.toString (Scala, Spark SQL) or Python's repr, both from the shortest digit string
 * that reads back to the same double. Timestamps are printed in UTC.
 *
 * Scala has no single spelling for a sequence (glom gives a JVM array, groupByKey a
 * CompactBuffer); duet prints every array as CompactBuffer(...), which is what Spark prints
 * for the grouped values users meet most often.
 */
#include "rdd/format.h"
#include "rdd/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* The shortest decimal digits of x (no sign, no point) and the exponent e such that
 * x = 0.d1d2d3... * 10^e, using at least min_digits significant digits (Java's
 * Double.toString, since JDK 19, never uses fewer than two: 4.9E-324, not 5.0E-324; Python
 * uses the true shortest). x must be finite and non-zero. */
static void
shortest_digits(gdouble x, int min_digits, char digits[24], int *exponent)
{
    char text[40];
    for (int precision = min_digits; precision <= 17; precision++) {
        g_snprintf(text, sizeof text, "%.*e", precision - 1, x);
        if (strtod(text, NULL) == x)
            break;
    }
    /* text is "d.ddde[+-]xx" */
    int n_digits = 0;
    const char *cursor = text;
    for (; *cursor && *cursor != 'e'; cursor++) {
        if (g_ascii_isdigit(*cursor))
            digits[n_digits++] = *cursor;
    }
    while (n_digits > 1 && digits[n_digits - 1] == '0')
        n_digits--;
    digits[n_digits] = '\0';
    *exponent = atoi(cursor + 1) + 1;
}

void
duet_format_java_double(GString *out, gdouble value)
{
    if (isnan(value)) {
        g_string_append(out, "NaN");
        return;
    }
    if (isinf(value)) {
        g_string_append(out, value > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (value == 0.0) {
        g_string_append(out, signbit(value) ? "-0.0" : "0.0");
        return;
    }
    if (value < 0) {
        g_string_append_c(out, '-');
        value = -value;
    }
    char digits[24];
    int exponent;
    shortest_digits(value, 2, digits, &exponent);
    int n_digits = (int)strlen(digits);
    if (value >= 1e-3 && value < 1e7) {
        if (exponent <= 0) {
            g_string_append(out, "0.");
            for (int zero = 0; zero < -exponent; zero++)
                g_string_append_c(out, '0');
            g_string_append(out, digits);
        } else {
            for (int digit = 0; digit < exponent; digit++)
                g_string_append_c(out, digit < n_digits ? digits[digit] : '0');
            g_string_append_c(out, '.');
            if (n_digits > exponent)
                g_string_append(out, digits + exponent);
            else
                g_string_append_c(out, '0');
        }
        return;
    }
    /* Computerized scientific notation: d.dddE-n */
    g_string_append_c(out, digits[0]);
    g_string_append_c(out, '.');
    g_string_append(out, n_digits > 1 ? digits + 1 : "0");
    g_string_append_printf(out, "E%d", exponent - 1);
}

/* Python's float repr: repr() switches to exponent form below 1e-4 or from 1e16. */
static void
format_python_double(GString *out, gdouble value)
{
    if (isnan(value)) {
        g_string_append(out, "nan");
        return;
    }
    if (isinf(value)) {
        g_string_append(out, value > 0 ? "inf" : "-inf");
        return;
    }
    if (value == 0.0) {
        g_string_append(out, signbit(value) ? "-0.0" : "0.0");
        return;
    }
    if (value < 0) {
        g_string_append_c(out, '-');
        value = -value;
    }
    char digits[24];
    int exponent;
    shortest_digits(value, 1, digits, &exponent);
    int n_digits = (int)strlen(digits);
    int decimal_exponent = exponent - 1;
    if (decimal_exponent < -4 || decimal_exponent >= 16) {
        g_string_append_c(out, digits[0]);
        if (n_digits > 1) {
            g_string_append_c(out, '.');
            g_string_append(out, digits + 1);
        }
        g_string_append_printf(out, "e%c%02d", decimal_exponent < 0 ? '-' : '+',
                               abs(decimal_exponent));
        return;
    }
    if (exponent <= 0) {
        g_string_append(out, "0.");
        for (int zero = 0; zero < -exponent; zero++)
            g_string_append_c(out, '0');
        g_string_append(out, digits);
        return;
    }
    for (int digit = 0; digit < exponent; digit++)
        g_string_append_c(out, digit < n_digits ? digits[digit] : '0');
    g_string_append_c(out, '.');
    g_string_append(out, n_digits > exponent ? digits + exponent : "0");
}

/* Days since the epoch to a civil date (Howard Hinnant's algorithm). */
static void
civil_from_days(gint64 days, gint64 *year, int *month, int *day)
{
    days += 719468;
    gint64 era = (days >= 0 ? days : days - 146096) / 146097;
    gint64 day_of_era = days - era * 146097;
    gint64 year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    gint64 day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    gint64 mp = (5 * day_of_year + 2) / 153;
    *day = (int)(day_of_year - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = year_of_era + era * 400 + (*month <= 2);
}

void
duet_format_date(GString *out, gint32 days)
{
    gint64 year;
    int month, day;
    civil_from_days(days, &year, &month, &day);
    g_string_append_printf(out, "%04" G_GINT64_FORMAT "-%02d-%02d", year, month, day);
}

static void
split_timestamp(gint64 micros, gint64 *days, int *hour, int *minute, int *second, int *fraction)
{
    gint64 per_day = G_GINT64_CONSTANT(86400000000);
    *days = micros >= 0 ? micros / per_day : -((-micros + per_day - 1) / per_day);
    gint64 rest = micros - *days * per_day;
    *hour = (int)(rest / G_GINT64_CONSTANT(3600000000));
    *minute = (int)(rest / 60000000 % 60);
    *second = (int)(rest / 1000000 % 60);
    *fraction = (int)(rest % 1000000);
}

/* trailing_zero_minimum: digits of the fraction kept at least (0: omitted when zero). */
static void
append_timestamp(GString *out, gint64 micros, int minimum_fraction_digits)
{
    gint64 days;
    int hour, minute, second, fraction;
    split_timestamp(micros, &days, &hour, &minute, &second, &fraction);
    duet_format_date(out, (gint32)days);
    g_string_append_printf(out, " %02d:%02d:%02d", hour, minute, second);
    if (fraction == 0 && minimum_fraction_digits == 0)
        return;
    char text[8];
    g_snprintf(text, sizeof text, "%06d", fraction);
    int n = 6;
    while (n > minimum_fraction_digits && n > 0 && text[n - 1] == '0')
        n--;
    if (n > 0) {
        g_string_append_c(out, '.');
        g_string_append_len(out, text, n);
    }
}

void
duet_format_timestamp(GString *out, gint64 micros)
{
    append_timestamp(out, micros, 0);
}

static void
append_python_string(GString *out, const char *data, gsize len)
{
    gboolean has_single = memchr(data, '\'', len) != NULL;
    gboolean has_double = memchr(data, '"', len) != NULL;
    char quote = has_single && !has_double ? '"' : '\'';
    g_string_append_c(out, quote);
    const char *end = data + len;
    for (const char *cursor = data; cursor < end;) {
        unsigned char c = (unsigned char)*cursor;
        if (c == '\\' || c == (unsigned char)quote) {
            g_string_append_c(out, '\\');
            g_string_append_c(out, (char)c);
            cursor++;
        } else if (c == '\n') {
            g_string_append(out, "\\n");
            cursor++;
        } else if (c == '\r') {
            g_string_append(out, "\\r");
            cursor++;
        } else if (c == '\t') {
            g_string_append(out, "\\t");
            cursor++;
        } else if (c < 0x20 || c == 0x7f) {
            g_string_append_printf(out, "\\x%02x", c);
            cursor++;
        } else if (c < 0x80) {
            g_string_append_c(out, (char)c);
            cursor++;
        } else {
            /* Printable non-ASCII text is kept as is, as Python 3 does. */
            const char *next = g_utf8_find_next_char(cursor, end);
            if (next == NULL)
                next = end;
            g_string_append_len(out, cursor, next - cursor);
            cursor = next;
        }
    }
    g_string_append_c(out, quote);
}

static void format_nested(GString *out, const DuetValue *value, DuetFormatDialect dialect,
                          gboolean top);

static void
format_any(GString *out, const DuetValue *value, DuetFormatDialect dialect, gboolean top)
{
    if (value->is_null || value->type == DUET_TYPE_NULL) {
        g_string_append(out, dialect == DUET_FORMAT_PYTHON      ? "None"
                             : dialect == DUET_FORMAT_SPARK_SQL ? "NULL"
                                                                : "null");
        return;
    }
    switch (value->type) {
    case DUET_TYPE_BOOLEAN:
        if (dialect == DUET_FORMAT_PYTHON)
            g_string_append(out, value->v.boolean ? "True" : "False");
        else
            g_string_append(out, value->v.boolean ? "true" : "false");
        break;
    case DUET_TYPE_INT32:
        g_string_append_printf(out, "%d", value->v.i32);
        break;
    case DUET_TYPE_INT64:
        g_string_append_printf(out, "%" G_GINT64_FORMAT, value->v.i64);
        break;
    case DUET_TYPE_DOUBLE:
        if (dialect == DUET_FORMAT_PYTHON)
            format_python_double(out, value->v.f64);
        else
            duet_format_java_double(out, value->v.f64);
        break;
    case DUET_TYPE_STRING:
        if (dialect == DUET_FORMAT_PYTHON)
            append_python_string(out, value->v.str.data, value->v.str.len);
        else
            g_string_append_len(out, value->v.str.data, (gssize)value->v.str.len);
        break;
    case DUET_TYPE_BINARY:
        if (dialect == DUET_FORMAT_PYTHON) {
            g_string_append(out, "bytearray(b");
            append_python_string(out, value->v.str.data, value->v.str.len);
            g_string_append_c(out, ')');
        } else {
            g_string_append_c(out, '[');
            for (gsize byte = 0; byte < value->v.str.len; byte++)
                g_string_append_printf(out, "%s%02X", byte ? " " : "",
                                       (guint8)value->v.str.data[byte]);
            g_string_append_c(out, ']');
        }
        break;
    case DUET_TYPE_TIMESTAMP:
        if (dialect == DUET_FORMAT_PYTHON) {
            gint64 days, year;
            int hour, minute, second, fraction, month, day;
            split_timestamp(value->v.i64, &days, &hour, &minute, &second, &fraction);
            civil_from_days(days, &year, &month, &day);
            g_string_append_printf(out, "datetime.datetime(%" G_GINT64_FORMAT ", %d, %d, %d, %d",
                                   year, month, day, hour, minute);
            if (second || fraction)
                g_string_append_printf(out, ", %d", second);
            if (fraction)
                g_string_append_printf(out, ", %d", fraction);
            g_string_append_c(out, ')');
        } else {
            /* Scala prints java.sql.Timestamp.toString, which keeps at least ".0". */
            append_timestamp(out, value->v.i64, dialect == DUET_FORMAT_SCALA ? 1 : 0);
        }
        break;
    case DUET_TYPE_DATE:
        if (dialect == DUET_FORMAT_PYTHON) {
            gint64 year;
            int month, day;
            civil_from_days(value->v.i32, &year, &month, &day);
            g_string_append_printf(out, "datetime.date(%" G_GINT64_FORMAT ", %d, %d)", year, month,
                                   day);
        } else {
            duet_format_date(out, value->v.i32);
        }
        break;
    case DUET_TYPE_ARRAY:
    case DUET_TYPE_STRUCT:
    case DUET_TYPE_MAP:
        format_nested(out, value, dialect, top);
        break;
    case DUET_TYPE_NULL:
        break;
    }
}

static void
format_nested(GString *out, const DuetValue *value, DuetFormatDialect dialect, gboolean top)
{
    const DuetColumn *column = value->v.nested.column;
    gsize row = value->v.nested.row;
    const char *separator =
        dialect == DUET_FORMAT_SCALA && value->type == DUET_TYPE_STRUCT ? "," : ", ";
    if (value->type == DUET_TYPE_STRUCT) {
        const char *open = dialect == DUET_FORMAT_SPARK_SQL ? "{" : "(";
        const char *close = dialect == DUET_FORMAT_SPARK_SQL ? "}" : ")";
        g_string_append(out, open);
        for (guint child = 0; child < column->n_children; child++) {
            DuetValue part;
            duet_column_get_value(column->children[child], column->offset + row, &part);
            if (child > 0)
                g_string_append(out, separator);
            format_any(out, &part, dialect, FALSE);
        }
        if (dialect == DUET_FORMAT_PYTHON && column->n_children == 1)
            g_string_append_c(out, ',');
        g_string_append(out, close);
        return;
    }
    gsize start, end;
    duet_column_list_range(column, row, &start, &end);
    if (value->type == DUET_TYPE_ARRAY) {
        g_string_append(out, dialect == DUET_FORMAT_SCALA ? "CompactBuffer(" : "[");
        for (gsize element = start; element < end; element++) {
            DuetValue part;
            duet_column_get_value(column->children[0], element, &part);
            if (element > start)
                g_string_append(out, ", ");
            format_any(out, &part, dialect, FALSE);
        }
        g_string_append(out, dialect == DUET_FORMAT_SCALA ? ")" : "]");
        return;
    }
    g_string_append(out, dialect == DUET_FORMAT_SCALA ? "Map(" : "{");
    for (gsize element = start; element < end; element++) {
        DuetValue key, entry;
        duet_column_get_value(column->children[0], element, &key);
        duet_column_get_value(column->children[1], element, &entry);
        if (element > start)
            g_string_append(out, ", ");
        format_any(out, &key, dialect, FALSE);
        g_string_append(out, dialect == DUET_FORMAT_PYTHON ? ": " : " -> ");
        format_any(out, &entry, dialect, FALSE);
    }
    g_string_append(out, dialect == DUET_FORMAT_SCALA ? ")" : "}");
}

void
duet_format_value(GString *out, const DuetValue *value, DuetFormatDialect dialect)
{
    format_any(out, value, dialect, TRUE);
}

void
duet_format_row(GString *out, const DuetRow *row, DuetFormatDialect dialect)
{
    guint n_columns = duet_batch_n_columns(row->batch);
    if (n_columns == 1) {
        DuetValue value;
        duet_row_get_value(row, 0, &value);
        format_any(out, &value, dialect, TRUE);
        return;
    }
    const char *open = dialect == DUET_FORMAT_SPARK_SQL ? "[" : "(";
    const char *close = dialect == DUET_FORMAT_SPARK_SQL ? "]" : ")";
    const char *separator = dialect == DUET_FORMAT_PYTHON ? ", " : ",";
    g_string_append(out, open);
    for (guint column = 0; column < n_columns; column++) {
        DuetValue value;
        duet_row_get_value(row, column, &value);
        if (column > 0)
            g_string_append(out, separator);
        format_any(out, &value, dialect, FALSE);
    }
    g_string_append(out, close);
}
