/* file_format.c — text, CSV and JSON lines as Spark reads and writes them.
 *
 * Layer: rdd/. Includes rdd/, GLib and json-glib. See file_format.h for the dialects. Reading
 * never fails on a record: what does not fit is null, as in Spark's PERMISSIVE mode.
 */
#include "rdd/file_format.h"

#include "rdd/format.h"

#include <json-glib/json-glib.h>
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
static gboolean
parse_integer(const char *text, gint64 min, gint64 max, gint64 *value)
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
static gboolean
parse_double(const char *text, gdouble *value)
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
static gboolean
append_from_text(DuetColumnBuilder *builder, DuetTypeId id, const char *text)
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
        if (!parse_integer(text, G_MININT32, G_MAXINT32, &integer))
            break;
        duet_column_builder_append_int32(builder, (gint32)integer);
        return TRUE;
    case DUET_TYPE_INT64:
        if (!parse_integer(text, G_MININT64, G_MAXINT64, &integer))
            break;
        duet_column_builder_append_int64(builder, integer);
        return TRUE;
    case DUET_TYPE_DOUBLE:
        if (!parse_double(text, &real))
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

/* ---- lines -------------------------------------------------------------------------------- */

/* Calls func for each line of data: lines end at \n, \r\n or \r (Hadoop's LineReader); a final
 * line break does not start another line. */
typedef void (*LineFunc)(const char *line, gsize len, gpointer user_data);

static void
for_each_line(const char *data, gsize len, LineFunc func, gpointer user_data)
{
    gsize start = 0;
    for (gsize byte = 0; byte < len; byte++) {
        if (data[byte] != '\n' && data[byte] != '\r')
            continue;
        func(data + start, byte - start, user_data);
        if (data[byte] == '\r' && byte + 1 < len && data[byte + 1] == '\n')
            byte++;
        start = byte + 1;
    }
    if (start < len)
        func(data + start, len - start, user_data);
}

typedef struct {
    const DuetFileFormat *format;
    DuetBatchBuilder *builder;
    guint n_fields;
    guint n_lines;     /* lines seen, for the CSV header */
    guint n_malformed; /* bad records */
    JsonParser *parser;
} Decoder;

static void
text_line(const char *line, gsize len, gpointer user_data)
{
    Decoder *decoder = user_data;
    duet_batch_builder_append_string(decoder->builder, 0, line, (gssize)len);
}

/* Splits one CSV line into fields; NULL entries are empty unquoted fields. (transfer full) */
static GPtrArray *
csv_split(const char *line, gsize len, char separator)
{
    GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);
    gsize byte = 0;
    for (;;) {
        GString *field = g_string_new(NULL);
        gboolean quoted = FALSE;
        if (byte < len && line[byte] == '"') {
            quoted = TRUE;
            byte++;
            while (byte < len) {
                char c = line[byte];
                if (c == '\\' && byte + 1 < len &&
                    (line[byte + 1] == '"' || line[byte + 1] == '\\')) {
                    g_string_append_c(field, line[byte + 1]);
                    byte += 2;
                } else if (c == '"' && byte + 1 < len && line[byte + 1] == '"') {
                    g_string_append_c(field, '"');
                    byte += 2;
                } else if (c == '"') {
                    byte++;
                    break;
                } else {
                    g_string_append_c(field, c);
                    byte++;
                }
            }
        }
        /* unquoted text, or what follows a closing quote, up to the separator */
        while (byte < len && line[byte] != separator)
            g_string_append_c(field, line[byte++]);
        if (!quoted && field->len == 0) {
            g_string_free(field, TRUE);
            g_ptr_array_add(fields, NULL);
        } else {
            g_ptr_array_add(fields, g_string_free(field, FALSE));
        }
        if (byte >= len)
            break;
        byte++; /* the separator: another field follows, even an empty one */
    }
    return fields;
}

static void
csv_line(const char *line, gsize len, gpointer user_data)
{
    Decoder *decoder = user_data;
    if (decoder->n_lines++ == 0 && decoder->format->header)
        return;
    if (len == 0)
        return; /* univocity skips empty lines */
    GPtrArray *fields = csv_split(line, len, decoder->format->separator);
    gboolean malformed = fields->len != decoder->n_fields;
    DuetSchema *schema = duet_batch_builder_schema(decoder->builder);
    for (guint field = 0; field < decoder->n_fields; field++) {
        DuetColumnBuilder *column = duet_batch_builder_column(decoder->builder, field);
        const char *text = field < fields->len ? g_ptr_array_index(fields, field) : NULL;
        if (text == NULL)
            duet_column_builder_append_null(column);
        else if (!append_from_text(column,
                                   duet_data_type_id(duet_schema_field(schema, field)->type), text))
            malformed = TRUE;
    }
    decoder->n_malformed += malformed;
    g_ptr_array_unref(fields);
}

/* ---- JSON --------------------------------------------------------------------------------- */

/* Whether node converts to type (Spark's JacksonParser rules; see the header). */
static gboolean
json_fits(DuetDataType *type, JsonNode *node)
{
    if (node == NULL || JSON_NODE_HOLDS_NULL(node))
        return TRUE;
    DuetTypeId id = duet_data_type_id(type);
    switch (id) {
    case DUET_TYPE_STRING:
        return TRUE;
    case DUET_TYPE_ARRAY: {
        if (!JSON_NODE_HOLDS_ARRAY(node))
            return FALSE;
        JsonArray *array = json_node_get_array(node);
        for (guint element = 0; element < json_array_get_length(array); element++) {
            if (!json_fits(duet_data_type_element(type), json_array_get_element(array, element)))
                return FALSE;
        }
        return TRUE;
    }
    case DUET_TYPE_STRUCT: {
        if (!JSON_NODE_HOLDS_OBJECT(node))
            return FALSE;
        JsonObject *object = json_node_get_object(node);
        DuetSchema *fields = duet_data_type_fields(type);
        for (guint field = 0; field < duet_schema_n_fields(fields); field++) {
            const DuetField *column = duet_schema_field(fields, field);
            if (!json_fits(column->type, json_object_get_member(object, column->name)))
                return FALSE;
        }
        return TRUE;
    }
    case DUET_TYPE_MAP: {
        if (!JSON_NODE_HOLDS_OBJECT(node) ||
            duet_data_type_id(duet_data_type_map_key(type)) != DUET_TYPE_STRING)
            return FALSE;
        JsonObjectIter iter;
        JsonNode *member;
        json_object_iter_init(&iter, json_node_get_object(node));
        while (json_object_iter_next(&iter, NULL, &member)) {
            if (!json_fits(duet_data_type_map_value(type), member))
                return FALSE;
        }
        return TRUE;
    }
    default:
        break;
    }
    if (!JSON_NODE_HOLDS_VALUE(node))
        return FALSE;
    GType value_type = json_node_get_value_type(node);
    gint64 integer;
    gint32 days;
    gdouble real;
    switch (id) {
    case DUET_TYPE_BOOLEAN:
        return value_type == G_TYPE_BOOLEAN;
    case DUET_TYPE_INT32:
        return value_type == G_TYPE_INT64 && json_node_get_int(node) >= G_MININT32 &&
               json_node_get_int(node) <= G_MAXINT32;
    case DUET_TYPE_INT64:
        return value_type == G_TYPE_INT64;
    case DUET_TYPE_DOUBLE:
        return value_type == G_TYPE_INT64 || value_type == G_TYPE_DOUBLE ||
               (value_type == G_TYPE_STRING && parse_double(json_node_get_string(node), &real) &&
                !isfinite(real));
    case DUET_TYPE_TIMESTAMP:
        return value_type == G_TYPE_INT64 ||
               (value_type == G_TYPE_STRING &&
                duet_file_format_parse_timestamp(json_node_get_string(node), &integer));
    case DUET_TYPE_DATE:
        return value_type == G_TYPE_STRING &&
               duet_file_format_parse_date(json_node_get_string(node), &days);
    case DUET_TYPE_BINARY:
        return value_type == G_TYPE_STRING;
    default:
        return FALSE;
    }
}

/* Appends a node that json_fits type. */
static void
json_append(DuetColumnBuilder *builder, DuetDataType *type, JsonNode *node)
{
    if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
        duet_column_builder_append_null(builder);
        return;
    }
    DuetTypeId id = duet_data_type_id(type);
    switch (id) {
    case DUET_TYPE_STRING:
        if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
            duet_column_builder_append_string(builder, json_node_get_string(node), -1);
        } else {
            g_autofree char *text = json_to_string(node, FALSE);
            duet_column_builder_append_string(builder, text, -1);
        }
        return;
    case DUET_TYPE_ARRAY: {
        JsonArray *array = json_node_get_array(node);
        for (guint element = 0; element < json_array_get_length(array); element++)
            json_append(duet_column_builder_child(builder, 0), duet_data_type_element(type),
                        json_array_get_element(array, element));
        duet_column_builder_end_list(builder);
        return;
    }
    case DUET_TYPE_STRUCT: {
        JsonObject *object = json_node_get_object(node);
        DuetSchema *fields = duet_data_type_fields(type);
        for (guint field = 0; field < duet_schema_n_fields(fields); field++) {
            const DuetField *column = duet_schema_field(fields, field);
            json_append(duet_column_builder_child(builder, field), column->type,
                        json_object_get_member(object, column->name));
        }
        duet_column_builder_end_struct(builder);
        return;
    }
    case DUET_TYPE_MAP: {
        JsonObjectIter iter;
        const char *key;
        JsonNode *member;
        json_object_iter_init(&iter, json_node_get_object(node));
        while (json_object_iter_next(&iter, &key, &member)) {
            duet_column_builder_append_string(duet_column_builder_child(builder, 0), key, -1);
            json_append(duet_column_builder_child(builder, 1), duet_data_type_map_value(type),
                        member);
        }
        duet_column_builder_end_list(builder);
        return;
    }
    case DUET_TYPE_TIMESTAMP:
        if (json_node_get_value_type(node) == G_TYPE_INT64) {
            duet_column_builder_append_int64(builder, json_node_get_int(node) * G_USEC_PER_SEC);
            return;
        }
        append_from_text(builder, id, json_node_get_string(node));
        return;
    case DUET_TYPE_DOUBLE:
        if (json_node_get_value_type(node) == G_TYPE_STRING) {
            append_from_text(builder, id, json_node_get_string(node));
            return;
        }
        duet_column_builder_append_double(builder, json_node_get_double(node));
        return;
    case DUET_TYPE_BOOLEAN:
        duet_column_builder_append_boolean(builder, json_node_get_boolean(node));
        return;
    case DUET_TYPE_INT32:
        duet_column_builder_append_int32(builder, (gint32)json_node_get_int(node));
        return;
    case DUET_TYPE_INT64:
        duet_column_builder_append_int64(builder, json_node_get_int(node));
        return;
    default:
        append_from_text(builder, id, json_node_get_string(node));
        return;
    }
}

static gboolean
is_blank(const char *line, gsize len)
{
    for (gsize byte = 0; byte < len; byte++) {
        if (!g_ascii_isspace(line[byte]))
            return FALSE;
    }
    return TRUE;
}

static void
json_line(const char *line, gsize len, gpointer user_data)
{
    Decoder *decoder = user_data;
    if (is_blank(line, len))
        return; /* Spark's JSON reader skips blank lines */
    DuetSchema *schema = duet_batch_builder_schema(decoder->builder);
    JsonObject *object = NULL;
    if (json_parser_load_from_data(decoder->parser, line, (gssize)len, NULL)) {
        JsonNode *root = json_parser_get_root(decoder->parser);
        if (root != NULL && JSON_NODE_HOLDS_OBJECT(root))
            object = json_node_get_object(root);
    }
    gboolean malformed = object == NULL;
    for (guint field = 0; field < decoder->n_fields; field++) {
        DuetColumnBuilder *column = duet_batch_builder_column(decoder->builder, field);
        const DuetField *spec = duet_schema_field(schema, field);
        JsonNode *node = object ? json_object_get_member(object, spec->name) : NULL;
        if (json_fits(spec->type, node)) {
            json_append(column, spec->type, node);
        } else {
            duet_column_builder_append_null(column);
            malformed = TRUE;
        }
    }
    decoder->n_malformed += malformed;
}

DuetBatch *
duet_file_format_decode(const DuetFileFormat *format, DuetSchema *schema, const char *data,
                        gsize len, guint *n_malformed)
{
    Decoder decoder = {
        .format = format,
        .builder = duet_batch_builder_new(schema, 64),
        .n_fields = duet_schema_n_fields(schema),
    };
    switch (format->kind) {
    case DUET_FILE_FORMAT_TEXT:
        g_return_val_if_fail(decoder.n_fields == 1, NULL);
        for_each_line(data, len, text_line, &decoder);
        break;
    case DUET_FILE_FORMAT_CSV:
        for_each_line(data, len, csv_line, &decoder);
        break;
    case DUET_FILE_FORMAT_JSON:
        decoder.parser = json_parser_new_immutable();
        for_each_line(data, len, json_line, &decoder);
        g_object_unref(decoder.parser);
        break;
    }
    /* every line appended one value per column, so the lengths agree */
    DuetBatch *batch = duet_batch_builder_finish(decoder.builder, NULL);
    duet_batch_builder_free(decoder.builder);
    if (n_malformed != NULL)
        *n_malformed = decoder.n_malformed;
    return batch;
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
append_csv_field(GString *out, const char *data, gsize len, gboolean is_null, char separator)
{
    if (is_null)
        return; /* nullValue "" */
    while (len > 0 && (unsigned char)data[0] <= ' ') {
        data++;
        len--;
    }
    while (len > 0 && (unsigned char)data[len - 1] <= ' ')
        len--;
    gboolean quote = len == 0; /* emptyValue "\"\"" */
    for (gsize byte = 0; byte < len && !quote; byte++)
        quote = data[byte] == separator || data[byte] == '"' || data[byte] == '\n' ||
                data[byte] == '\r';
    if (!quote) {
        g_string_append_len(out, data, (gssize)len);
        return;
    }
    g_string_append_c(out, '"');
    for (gsize byte = 0; byte < len; byte++) {
        if (data[byte] == '"')
            g_string_append_c(out, '\\');
        g_string_append_c(out, data[byte]);
    }
    g_string_append_c(out, '"');
}

void
duet_file_format_encode_header(const DuetFileFormat *format, DuetSchema *schema, GString *out)
{
    for (guint field = 0; field < duet_schema_n_fields(schema); field++) {
        const char *name = duet_schema_field(schema, field)->name;
        if (field)
            g_string_append_c(out, format->separator);
        append_csv_field(out, name, strlen(name), FALSE, format->separator);
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
                append_csv_field(out, text->str, text->len, is_null, format->separator);
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
