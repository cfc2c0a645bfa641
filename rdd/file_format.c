/* file_format.c — text, CSV and JSON lines as Spark reads and writes them.
 *
 * Layer: rdd/. Includes rdd/ and GLib. See file_format.h for the dialects. This file holds the
 * options, the schema checks, the scalar text conversions (shared with file_format_read.c,
 * which reads records), the writers and Spark's partition directory names.
 */
#include "rdd/file_format.h"

#include "rdd/format.h"
#include "rdd/internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(duet - file - format - error - quark, duet_file_format_error)

void
duet_file_format_init(DuetFileFormat *format, DuetFileFormatKind kind)
{
    format->kind = kind;
    format->header = FALSE;
    format->separator = ',';
    format->quote = '"';
    format->escape = '\\';
    format->null_value = "";
    format->mode = DUET_FILE_FORMAT_PERMISSIVE;
    format->corrupt_column = "_corrupt_record";
}

static const char *const kind_names[] = {"text", "csv", "json"};
static const char *const kind_extensions[] = {"txt", "csv", "json"};

gboolean
duet_file_format_kind_from_name(const char *name, DuetFileFormatKind *kind)
{
    for (guint index = 0; name != NULL && index < G_N_ELEMENTS(kind_names); index++) {
        if (g_ascii_strcasecmp(name, kind_names[index]) == 0) {
            *kind = (DuetFileFormatKind)index;
            return TRUE;
        }
    }
    return FALSE;
}

const char *
duet_file_format_name(DuetFileFormatKind kind)
{
    return kind_names[kind];
}

const char *
duet_file_format_extension(DuetFileFormatKind kind)
{
    return kind_extensions[kind];
}

DuetSchema *
duet_file_format_text_schema(void)
{
    return duet_schema_new_simple("value", DUET_TYPE_STRING, NULL);
}

gboolean
duet_file_format_check_schema(const DuetFileFormat *format, DuetSchema *schema, GError **error)
{
    guint n_fields = duet_schema_n_fields(schema);
    if (format->kind == DUET_FILE_FORMAT_TEXT) {
        if (n_fields != 1) {
            g_set_error(error, DUET_FILE_FORMAT_ERROR, DUET_FILE_FORMAT_ERROR_SCHEMA,
                        "Text data source supports only a single column, and you have %u "
                        "columns.",
                        n_fields);
            return FALSE;
        }
        DuetDataType *type = duet_schema_field(schema, 0)->type;
        if (duet_data_type_id(type) != DUET_TYPE_STRING) {
            g_autofree char *name = duet_data_type_to_string(type);
            g_set_error(error, DUET_FILE_FORMAT_ERROR, DUET_FILE_FORMAT_ERROR_SCHEMA,
                        "Text data source does not support %s data type.", name);
            return FALSE;
        }
    }
    if (format->kind != DUET_FILE_FORMAT_TEXT && format->corrupt_column != NULL) {
        /* Spark's ExprUtils.verifyColumnNameOfCorruptRecord */
        gint corrupt = duet_schema_find(schema, format->corrupt_column);
        if (corrupt >= 0) {
            const DuetField *field = duet_schema_field(schema, (guint)corrupt);
            if (duet_data_type_id(field->type) != DUET_TYPE_STRING || !field->nullable) {
                g_set_error_literal(error, DUET_FILE_FORMAT_ERROR, DUET_FILE_FORMAT_ERROR_SCHEMA,
                                    "The field for corrupt records must be string type and "
                                    "nullable");
                return FALSE;
            }
        }
    }
    if (format->kind == DUET_FILE_FORMAT_CSV) {
        for (guint field = 0; field < n_fields; field++) {
            DuetDataType *type = duet_schema_field(schema, field)->type;
            DuetTypeId id = duet_data_type_id(type);
            if (id == DUET_TYPE_ARRAY || id == DUET_TYPE_STRUCT || id == DUET_TYPE_MAP) {
                g_autofree char *name = duet_data_type_to_string(type);
                g_set_error(error, DUET_FILE_FORMAT_ERROR, DUET_FILE_FORMAT_ERROR_SCHEMA,
                            "CSV data source does not support %s data type.", name);
                return FALSE;
            }
        }
    }
    return TRUE;
}

/* ---- dates and timestamps ----------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static gint64
days_from_civil(gint64 year, guint month, guint day)
{
    year -= month <= 2;
    gint64 era = (year >= 0 ? year : year - 399) / 400;
    gint64 year_of_era = year - era * 400;
    gint64 day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    gint64 day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

static void
civil_from_days(gint64 days, gint64 *year, guint *month, guint *day)
{
    days += 719468;
    gint64 era = (days >= 0 ? days : days - 146096) / 146097;
    gint64 day_of_era = days - era * 146097;
    gint64 year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    gint64 day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    gint64 mp = (5 * day_of_year + 2) / 153;
    *day = (guint)(day_of_year - (153 * mp + 2) / 5 + 1);
    *month = (guint)(mp < 10 ? mp + 3 : mp - 9);
    *year = year_of_era + era * 400 + (*month <= 2);
}

static void
append_date(GString *out, gint32 days)
{
    gint64 year;
    guint month, day;
    civil_from_days(days, &year, &month, &day);
    g_string_append_printf(out, "%04" G_GINT64_FORMAT "-%02u-%02u", year, month, day);
}

void
duet_file_format_append_timestamp(GString *out, gint64 micros)
{
    gint64 seconds = micros / G_USEC_PER_SEC;
    gint64 fraction = micros % G_USEC_PER_SEC;
    if (fraction < 0) {
        fraction += G_USEC_PER_SEC;
        seconds--;
    }
    gint64 days = seconds / 86400, in_day = seconds % 86400;
    if (in_day < 0) {
        in_day += 86400;
        days--;
    }
    append_date(out, (gint32)days);
    g_string_append_printf(out, "T%02d:%02d:%02d.%03dZ", (int)(in_day / 3600),
                           (int)(in_day / 60 % 60), (int)(in_day % 60), (int)(fraction / 1000));
}

/* Reads exactly n digits at *cursor. */
static gboolean
read_digits(const char **cursor, guint n, gint64 *value)
{
    *value = 0;
    for (guint index = 0; index < n; index++) {
        if (!g_ascii_isdigit((*cursor)[index]))
            return FALSE;
        *value = *value * 10 + ((*cursor)[index] - '0');
    }
    *cursor += n;
    return TRUE;
}

static gboolean
read_date(const char **cursor, gint64 *days)
{
    gint64 year, month, day;
    if (!read_digits(cursor, 4, &year) || **cursor != '-')
        return FALSE;
    (*cursor)++;
    if (!read_digits(cursor, 2, &month) || **cursor != '-')
        return FALSE;
    (*cursor)++;
    if (!read_digits(cursor, 2, &day) || month < 1 || month > 12 || day < 1 || day > 31)
        return FALSE;
    *days = days_from_civil(year, (guint)month, (guint)day);
    return TRUE;
}

gboolean
duet_file_format_parse_date(const char *text, gint32 *days)
{
    const char *cursor = text;
    gint64 value;
    if (!read_date(&cursor, &value) || *cursor != '\0')
        return FALSE;
    *days = (gint32)value;
    return TRUE;
}

gboolean
duet_file_format_parse_timestamp(const char *text, gint64 *micros)
{
    const char *cursor = text;
    gint64 days, hour = 0, minute = 0, second = 0, fraction = 0, offset = 0;
    if (!read_date(&cursor, &days))
        return FALSE;
    if (*cursor == 'T' || *cursor == ' ') {
        cursor++;
        if (!read_digits(&cursor, 2, &hour) || *cursor++ != ':' ||
            !read_digits(&cursor, 2, &minute))
            return FALSE;
        if (*cursor == ':') {
            cursor++;
            if (!read_digits(&cursor, 2, &second))
                return FALSE;
            if (*cursor == '.') {
                cursor++;
                guint n_digits = 0;
                for (; g_ascii_isdigit(*cursor); cursor++, n_digits++) {
                    if (n_digits < 6)
                        fraction = fraction * 10 + (*cursor - '0');
                }
                if (n_digits == 0)
                    return FALSE;
                for (; n_digits < 6; n_digits++)
                    fraction *= 10;
            }
        }
        if (hour > 23 || minute > 59 || second > 59)
            return FALSE;
        if (*cursor == 'Z') {
            cursor++;
        } else if (*cursor == '+' || *cursor == '-') {
            int sign = *cursor++ == '-' ? -1 : 1;
            gint64 zone_hours, zone_minutes = 0;
            if (!read_digits(&cursor, 2, &zone_hours))
                return FALSE;
            if (*cursor == ':')
                cursor++;
            if (*cursor != '\0' && !read_digits(&cursor, 2, &zone_minutes))
                return FALSE;
            offset = sign * (zone_hours * 3600 + zone_minutes * 60);
        }
    }
    if (*cursor != '\0')
        return FALSE;
    *micros =
        ((days * 86400 + hour * 3600 + minute * 60 + second) - offset) * G_USEC_PER_SEC + fraction;
    return TRUE;
}

/* ---- text values shared by CSV (and JSON strings) ------------------------------------------ */

/* Java's Integer.parseInt / Long.parseLong: optional sign, digits only, in range. */
gboolean
duet_file_format_parse_integer(const char *text, gint64 min, gint64 max, gint64 *value)
{
    const char *digits = text;
    if (*digits == '+' || *digits == '-')
        digits++;
    if (*digits == '\0')
        return FALSE;
    for (const char *cursor = digits; *cursor; cursor++) {
        if (!g_ascii_isdigit(*cursor))
            return FALSE;
    }
    char *end = NULL;
    errno = 0;
    gint64 parsed = g_ascii_strtoll(text, &end, 10);
    if (errno != 0 || parsed < min || parsed > max)
        return FALSE;
    *value = parsed;
    return TRUE;
}

/* Spark's CSV doubles: nanValue "NaN", positiveInf "Inf", negativeInf "-Inf", then Java's
 * Double.parseDouble (which also takes "Infinity"). */
gboolean
duet_file_format_parse_double(const char *text, gdouble *value)
{
    if (strcmp(text, "NaN") == 0) {
        *value = NAN;
        return TRUE;
    }
    if (strcmp(text, "Inf") == 0 || strcmp(text, "Infinity") == 0 ||
        strcmp(text, "+Infinity") == 0) {
        *value = INFINITY;
        return TRUE;
    }
    if (strcmp(text, "-Inf") == 0 || strcmp(text, "-Infinity") == 0) {
        *value = -INFINITY;
        return TRUE;
    }
    if (*text == '\0' || strpbrk(text, "iInNxX") != NULL)
        return FALSE;
    char *end = NULL;
    gdouble parsed = g_ascii_strtod(text, &end);
    if (end == text || *end != '\0')
        return FALSE;
    *value = parsed;
    return TRUE;
}

/* Appends the value of one scalar column converted from text, or null when it does not
 * convert. */
gboolean
duet_file_format_append_text_value(DuetColumnBuilder *builder, DuetTypeId id, const char *text)
{
    gint64 integer;
    gdouble real;
    gint32 days;
    switch (id) {
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
        duet_column_builder_append_string(builder, text, -1);
        return TRUE;
    case DUET_TYPE_INT32:
        if (!duet_file_format_parse_integer(text, G_MININT32, G_MAXINT32, &integer))
            break;
        duet_column_builder_append_int32(builder, (gint32)integer);
        return TRUE;
    case DUET_TYPE_INT64:
        if (!duet_file_format_parse_integer(text, G_MININT64, G_MAXINT64, &integer))
            break;
        duet_column_builder_append_int64(builder, integer);
        return TRUE;
    case DUET_TYPE_DOUBLE:
        if (!duet_file_format_parse_double(text, &real))
            break;
        duet_column_builder_append_double(builder, real);
        return TRUE;
    case DUET_TYPE_BOOLEAN:
        if (g_ascii_strcasecmp(text, "true") == 0 || g_ascii_strcasecmp(text, "false") == 0) {
            duet_column_builder_append_boolean(builder, g_ascii_strcasecmp(text, "true") == 0);
            return TRUE;
        }
        break;
    case DUET_TYPE_TIMESTAMP:
        if (!duet_file_format_parse_timestamp(text, &integer))
            break;
        duet_column_builder_append_int64(builder, integer);
        return TRUE;
    case DUET_TYPE_DATE:
        if (!duet_file_format_parse_date(text, &days))
            break;
        duet_column_builder_append_int32(builder, days);
        return TRUE;
    default:
        break;
    }
    duet_column_builder_append_null(builder);
    return FALSE;
}

/* ---- writing ------------------------------------------------------------------------------ */

/* Jackson's string escaping: the short forms \" \\ \b \t \n \f \r, other control characters
 * as \u00XX in upper-case hex. */
static void
append_jackson_string(GString *out, const char *data, gsize len)
{
    g_string_append_c(out, '"');
    for (gsize byte = 0; byte < len; byte++) {
        unsigned char c = (unsigned char)data[byte];
        switch (c) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\b':
            g_string_append(out, "\\b");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\f':
            g_string_append(out, "\\f");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        default:
            if (c < 0x20)
                g_string_append_printf(out, "\\u%04X", c);
            else
                g_string_append_c(out, (char)c);
        }
    }
    g_string_append_c(out, '"');
}

/* A scalar's text as the CSV writer and JSON map keys show it. */
static void
append_scalar_text(GString *out, const DuetValue *value)
{
    switch (value->type) {
    case DUET_TYPE_TIMESTAMP:
        duet_file_format_append_timestamp(out, value->v.i64);
        return;
    case DUET_TYPE_DATE:
        append_date(out, value->v.i32);
        return;
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
        g_string_append_len(out, value->v.str.data, (gssize)value->v.str.len);
        return;
    default:
        duet_format_value(out, value, DUET_FORMAT_SCALA);
        return;
    }
}

static void append_json_struct(GString *out, DuetSchema *fields, const DuetValue *value);

static void
append_json_value(GString *out, DuetDataType *type, const DuetValue *value)
{
    if (value->is_null || value->type == DUET_TYPE_NULL) {
        g_string_append(out, "null");
        return;
    }
    switch (value->type) {
    case DUET_TYPE_BOOLEAN:
        g_string_append(out, value->v.boolean ? "true" : "false");
        return;
    case DUET_TYPE_INT32:
        g_string_append_printf(out, "%d", value->v.i32);
        return;
    case DUET_TYPE_INT64:
        g_string_append_printf(out, "%" G_GINT64_FORMAT, value->v.i64);
        return;
    case DUET_TYPE_DOUBLE:
        if (!isfinite(value->v.f64)) {
            /* Jackson quotes non-numeric numbers */
            g_string_append_c(out, '"');
            duet_format_java_double(out, value->v.f64);
            g_string_append_c(out, '"');
        } else {
            duet_format_java_double(out, value->v.f64);
        }
        return;
    case DUET_TYPE_STRING:
        append_jackson_string(out, value->v.str.data, value->v.str.len);
        return;
    case DUET_TYPE_BINARY: {
        g_autofree char *base64 =
            g_base64_encode((const guchar *)value->v.str.data, value->v.str.len);
        g_string_append_printf(out, "\"%s\"", base64);
        return;
    }
    case DUET_TYPE_TIMESTAMP:
    case DUET_TYPE_DATE: {
        GString *text = g_string_new(NULL);
        append_scalar_text(text, value);
        append_jackson_string(out, text->str, text->len);
        g_string_free(text, TRUE);
        return;
    }
    case DUET_TYPE_ARRAY:
        g_string_append_c(out, '[');
        for (gsize element = 0; element < duet_value_list_length(value); element++) {
            DuetValue part;
            duet_value_list_get(value, element, &part);
            if (element)
                g_string_append_c(out, ',');
            append_json_value(out, duet_data_type_element(type), &part);
        }
        g_string_append_c(out, ']');
        return;
    case DUET_TYPE_MAP:
        g_string_append_c(out, '{');
        for (gsize element = 0; element < duet_value_list_length(value); element++) {
            DuetValue key, entry;
            duet_value_map_get(value, element, &key, &entry);
            if (element)
                g_string_append_c(out, ',');
            GString *text = g_string_new(NULL);
            append_scalar_text(text, &key);
            append_jackson_string(out, text->str, text->len);
            g_string_free(text, TRUE);
            g_string_append_c(out, ':');
            append_json_value(out, duet_data_type_map_value(type), &entry);
        }
        g_string_append_c(out, '}');
        return;
    case DUET_TYPE_STRUCT:
        append_json_struct(out, duet_data_type_fields(type), value);
        return;
    default:
        g_string_append(out, "null");
        return;
    }
}

static void
append_json_struct(GString *out, DuetSchema *fields, const DuetValue *value)
{
    g_string_append_c(out, '{');
    gboolean first = TRUE;
    for (guint field = 0; field < duet_value_struct_n_fields(value); field++) {
        DuetValue part;
        duet_value_struct_get(value, field, &part);
        if (part.is_null || part.type == DUET_TYPE_NULL)
            continue;
        const DuetField *spec = duet_schema_field(fields, field);
        if (!first)
            g_string_append_c(out, ',');
        first = FALSE;
        append_jackson_string(out, spec->name, strlen(spec->name));
        g_string_append_c(out, ':');
        append_json_value(out, spec->type, &part);
    }
    g_string_append_c(out, '}');
}

/* One CSV field as univocity writes it for Spark: trimmed, quoted when needed. */
static void
append_csv_field(GString *out, const DuetFileFormat *format, const char *data, gsize len,
                 gboolean is_null)
{
    const char separator = format->separator, quote = format->quote ? format->quote : '"';
    if (is_null) {
        if (format->null_value != NULL)
            g_string_append(out, format->null_value);
        return;
    }
    while (len > 0 && (unsigned char)data[0] <= ' ') {
        data++;
        len--;
    }
    while (len > 0 && (unsigned char)data[len - 1] <= ' ')
        len--;
    gboolean needs_quote = len == 0; /* emptyValue "\"\"" */
    for (gsize byte = 0; byte < len && !needs_quote; byte++)
        needs_quote = data[byte] == separator || data[byte] == quote || data[byte] == '\n' ||
                      data[byte] == '\r';
    if (!needs_quote) {
        g_string_append_len(out, data, (gssize)len);
        return;
    }
    g_string_append_c(out, quote);
    for (gsize byte = 0; byte < len; byte++) {
        if (data[byte] == quote)
            g_string_append_c(out, format->escape ? format->escape : '\\');
        g_string_append_c(out, data[byte]);
    }
    g_string_append_c(out, quote);
}

void
duet_file_format_encode_header(const DuetFileFormat *format, DuetSchema *schema, GString *out)
{
    for (guint field = 0; field < duet_schema_n_fields(schema); field++) {
        const char *name = duet_schema_field(schema, field)->name;
        if (field)
            g_string_append_c(out, format->separator);
        append_csv_field(out, format, name, strlen(name), FALSE);
    }
    g_string_append_c(out, '\n');
}

void
duet_file_format_encode(const DuetFileFormat *format, DuetBatch *batch, GString *out)
{
    DuetSchema *schema = duet_batch_schema(batch);
    guint n_columns = duet_batch_n_columns(batch);
    GString *text = g_string_new(NULL);
    for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
        DuetRow row = duet_batch_row(batch, row_idx);
        switch (format->kind) {
        case DUET_FILE_FORMAT_TEXT:
            if (!duet_row_is_null(&row, 0)) {
                gsize len;
                const char *data = duet_row_get_string(&row, 0, &len);
                g_string_append_len(out, data, (gssize)len);
            }
            break;
        case DUET_FILE_FORMAT_CSV:
            for (guint column = 0; column < n_columns; column++) {
                DuetValue value;
                duet_row_get_value(&row, column, &value);
                if (column)
                    g_string_append_c(out, format->separator);
                g_string_truncate(text, 0);
                gboolean is_null = value.is_null || value.type == DUET_TYPE_NULL;
                if (!is_null)
                    append_scalar_text(text, &value);
                append_csv_field(out, format, text->str, text->len, is_null);
            }
            break;
        case DUET_FILE_FORMAT_JSON: {
            g_string_append_c(out, '{');
            gboolean first = TRUE;
            for (guint column = 0; column < n_columns; column++) {
                DuetValue value;
                duet_row_get_value(&row, column, &value);
                if (value.is_null || value.type == DUET_TYPE_NULL)
                    continue; /* ignoreNullFields */
                const DuetField *spec = duet_schema_field(schema, column);
                if (!first)
                    g_string_append_c(out, ',');
                first = FALSE;
                append_jackson_string(out, spec->name, strlen(spec->name));
                g_string_append_c(out, ':');
                append_json_value(out, spec->type, &value);
            }
            g_string_append_c(out, '}');
            break;
        }
        }
        g_string_append_c(out, '\n');
    }
    g_string_free(text, TRUE);
}

/* ---- partition directories ---------------------------------------------------------------- */

/* ExternalCatalogUtils.charToEscape (the non-Windows set). */
static gboolean
needs_path_escaping(unsigned char c)
{
    return (c >= 0x01 && c <= 0x1F) || c == 0x7F || strchr("\"#%'*/:=?\\{[]^", c) != NULL;
}

void
duet_file_format_escape_path_name(GString *out, const char *text)
{
    for (const unsigned char *cursor = (const unsigned char *)text; *cursor; cursor++) {
        if (needs_path_escaping(*cursor))
            g_string_append_printf(out, "%%%02X", *cursor);
        else
            g_string_append_c(out, (char)*cursor);
    }
}

char *
duet_file_format_unescape_path_name(const char *text)
{
    GString *out = g_string_sized_new(strlen(text));
    for (const char *cursor = text; *cursor; cursor++) {
        if (cursor[0] == '%' && g_ascii_isxdigit(cursor[1]) && g_ascii_isxdigit(cursor[2])) {
            g_string_append_c(out, (char)(g_ascii_xdigit_value(cursor[1]) * 16 +
                                          g_ascii_xdigit_value(cursor[2])));
            cursor += 2;
        } else {
            g_string_append_c(out, *cursor);
        }
    }
    return g_string_free(out, FALSE);
}

/* Spark's Cast to string of a timestamp (UTC): "yyyy-MM-dd HH:mm:ss" and the fraction without
 * trailing zeros. */
static void
append_cast_timestamp(GString *out, gint64 micros)
{
    GString *iso = g_string_new(NULL);
    duet_file_format_append_timestamp(iso, micros);
    g_string_append_len(out, iso->str, 10);
    g_string_append_c(out, ' ');
    g_string_append_len(out, iso->str + 11, 8);
    g_string_free(iso, TRUE);
    gint64 fraction = micros % G_USEC_PER_SEC;
    if (fraction < 0)
        fraction += G_USEC_PER_SEC;
    if (fraction != 0) {
        char digits[8];
        g_snprintf(digits, sizeof digits, "%06d", (int)fraction);
        for (int last = 5; last >= 0 && digits[last] == '0'; last--)
            digits[last] = '\0';
        g_string_append_printf(out, ".%s", digits);
    }
}

void
duet_file_format_append_partition_dir(GString *out, const char *column, const DuetValue *value)
{
    duet_file_format_escape_path_name(out, column);
    g_string_append_c(out, '=');
    GString *text = g_string_new(NULL);
    if (!value->is_null && value->type != DUET_TYPE_NULL) {
        switch (value->type) {
        case DUET_TYPE_TIMESTAMP:
            append_cast_timestamp(text, value->v.i64);
            break;
        case DUET_TYPE_DOUBLE:
            duet_format_java_double(text, value->v.f64);
            break;
        default:
            append_scalar_text(text, value);
            break;
        }
    }
    if (text->len == 0)
        g_string_append(out, DUET_FILE_FORMAT_DEFAULT_PARTITION);
    else
        duet_file_format_escape_path_name(out, text->str);
    g_string_free(text, TRUE);
}
