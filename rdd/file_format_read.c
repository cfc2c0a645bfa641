/* file_format_read.c — reading text, CSV and JSON lines as Spark does: parse modes, the
 * corrupt-record column, partition values from the path, invalid UTF-8, and CSV schema
 * inference.
 *
 * Layer: rdd/. Includes rdd/, GLib and json-glib. The dialects and the modes are described in
 * file_format.h; the scalar conversions are file_format.c's (through rdd/internal.h). Spark's
 * FailureSafeParser is the model: a record is parsed into the data columns, and a malformed one
 * is kept with nulls (PERMISSIVE), dropped (DROPMALFORMED) or fails the read (FAILFAST).
 */
#include "rdd/file_format.h"

#include "rdd/internal.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* Spark's QueryExecutionErrors.malformedRecordsDetectedInRecordParsingError. */
#define FAILFAST_MESSAGE                                                                           \
    "Malformed records are detected in record parsing. Parse Mode: FAILFAST. To process "          \
    "malformed records as null result, try setting the option 'mode' as 'PERMISSIVE'."

DuetFileFormatMode
duet_file_format_mode_from_name(const char *name)
{
    if (name != NULL && g_ascii_strcasecmp(name, "DROPMALFORMED") == 0)
        return DUET_FILE_FORMAT_DROPMALFORMED;
    if (name != NULL && g_ascii_strcasecmp(name, "FAILFAST") == 0)
        return DUET_FILE_FORMAT_FAILFAST;
    return DUET_FILE_FORMAT_PERMISSIVE;
}

/* ---- lines -------------------------------------------------------------------------------- */

/* Called for each line; returns FALSE to stop. */
typedef gboolean (*LineFunc)(const char *line, gsize len, gpointer user_data);

/* Calls func for each line of data: lines end at \n, \r\n or \r (Hadoop's LineReader); a final
 * line break does not start another line. */
static void
for_each_line(const char *data, gsize len, LineFunc func, gpointer user_data)
{
    gsize start = 0;
    for (gsize byte = 0; byte < len; byte++) {
        if (data[byte] != '\n' && data[byte] != '\r')
            continue;
        if (!func(data + start, byte - start, user_data))
            return;
        if (data[byte] == '\r' && byte + 1 < len && data[byte + 1] == '\n')
            byte++;
        start = byte + 1;
    }
    if (start < len)
        func(data + start, len - start, user_data);
}

/* ---- CSV fields --------------------------------------------------------------------------- */

/* Splits one CSV line into fields (univocity as Spark configures it): a field starting with the
 * quote is quoted up to the closing quote; inside it escape+quote and quote+quote are a quote
 * and escape+escape an escape; text after the closing quote up to the separator is kept.
 * fields is cleared first; its entries are NULL for empty unquoted fields. */
static void
csv_split(const DuetFileFormat *format, const char *line, gsize len, GPtrArray *fields)
{
    g_ptr_array_set_size(fields, 0);
    const char separator = format->separator, quote = format->quote, escape = format->escape;
    gsize byte = 0;
    GString *field = g_string_sized_new(32);
    for (;;) {
        g_string_truncate(field, 0);
        gboolean quoted = FALSE;
        if (quote != '\0' && byte < len && line[byte] == quote) {
            quoted = TRUE;
            byte++;
            while (byte < len) {
                char c = line[byte];
                if (c == escape && escape != '\0' && byte + 1 < len &&
                    (line[byte + 1] == quote || line[byte + 1] == escape)) {
                    g_string_append_c(field, line[byte + 1]);
                    byte += 2;
                } else if (c == quote && byte + 1 < len && line[byte + 1] == quote) {
                    g_string_append_c(field, quote);
                    byte += 2;
                } else if (c == quote) {
                    byte++;
                    break;
                } else {
                    g_string_append_c(field, c);
                    byte++;
                }
            }
        }
        /* unquoted text, or what follows a closing quote, up to the separator */
        gsize run = byte;
        while (run < len && line[run] != separator)
            run++;
        g_string_append_len(field, line + byte, (gssize)(run - byte));
        byte = run;
        if (!quoted && field->len == 0)
            g_ptr_array_add(fields, NULL);
        else
            g_ptr_array_add(fields, g_strndup(field->str, field->len));
        if (byte >= len)
            break;
        byte++; /* the separator: another field follows, even an empty one */
    }
    g_string_free(field, TRUE);
}

/* Whether a CSV field is null: empty and unquoted, or equal to nullValue. */
static gboolean
csv_is_null(const DuetFileFormat *format, const char *text)
{
    return text == NULL || (format->null_value != NULL && format->null_value[0] != '\0' &&
                            strcmp(text, format->null_value) == 0);
}

/* Whether text converts to the scalar type id (for DROPMALFORMED, which must know before it
 * appends anything). */
static gboolean
text_fits(DuetTypeId id, const char *text)
{
    gint64 integer;
    gdouble real;
    gint32 days;
    switch (id) {
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
        return TRUE;
    case DUET_TYPE_INT32:
        return duet_file_format_parse_integer(text, G_MININT32, G_MAXINT32, &integer);
    case DUET_TYPE_INT64:
        return duet_file_format_parse_integer(text, G_MININT64, G_MAXINT64, &integer);
    case DUET_TYPE_DOUBLE:
        return duet_file_format_parse_double(text, &real);
    case DUET_TYPE_BOOLEAN:
        return g_ascii_strcasecmp(text, "true") == 0 || g_ascii_strcasecmp(text, "false") == 0;
    case DUET_TYPE_TIMESTAMP:
        return duet_file_format_parse_timestamp(text, &integer);
    case DUET_TYPE_DATE:
        return duet_file_format_parse_date(text, &days);
    default:
        return FALSE;
    }
}

/* ---- JSON values -------------------------------------------------------------------------- */

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
               (value_type == G_TYPE_STRING &&
                duet_file_format_parse_double(json_node_get_string(node), &real) &&
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
        duet_file_format_append_text_value(builder, id, json_node_get_string(node));
        return;
    case DUET_TYPE_DOUBLE:
        if (json_node_get_value_type(node) == G_TYPE_STRING) {
            duet_file_format_append_text_value(builder, id, json_node_get_string(node));
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
        duet_file_format_append_text_value(builder, id, json_node_get_string(node));
        return;
    }
}

/* ---- the decoder -------------------------------------------------------------------------- */

/* What decoding one file needs: the schema split into the columns read from the data, the
 * corrupt-record column and the columns given by the path. */
typedef struct {
    const DuetFileFormat *format;        /* kind, options and mode */
    DuetBatchBuilder *builder;           /* the rows so far */
    DuetSchema *schema;                  /* the output schema (borrowed) */
    guint n_fields;                      /* columns of schema */
    gint corrupt_index;                  /* the corrupt-record column, or -1 */
    GArray *data_columns;                /* guint: schema columns read from the data, in order */
    const char *const *partition_values; /* per column: text from the path, or NULL */
    guint n_lines;                       /* lines seen, for the CSV header */
    guint n_malformed;                   /* malformed records, dropped ones included */
    gboolean failed;                     /* FAILFAST met a malformed record */
    gboolean check_utf8;                 /* the data holds invalid UTF-8: check each JSON line */
    GPtrArray *fields;                   /* CSV fields of the current line (reused) */
    JsonParser *parser;                  /* JSON lines */
} Decoder;

/* Appends the columns that do not come from the data: the corrupt-record column (the line when
 * malformed, else null) and the partition values. */
static void
append_other_columns(Decoder *decoder, const char *line, gsize len, gboolean malformed)
{
    if (decoder->corrupt_index >= 0) {
        DuetColumnBuilder *column =
            duet_batch_builder_column(decoder->builder, (guint)decoder->corrupt_index);
        if (!malformed) {
            duet_column_builder_append_null(column);
        } else if (g_utf8_validate_len(line, len, NULL)) {
            duet_column_builder_append_string(column, line, (gssize)len);
        } else {
            g_autofree char *valid = g_utf8_make_valid(line, (gssize)len);
            duet_column_builder_append_string(column, valid, -1);
        }
    }
    if (decoder->partition_values == NULL)
        return;
    for (guint field = 0; field < decoder->n_fields; field++) {
        const char *text = decoder->partition_values[field];
        if (text == NULL)
            continue;
        DuetColumnBuilder *column = duet_batch_builder_column(decoder->builder, field);
        if (strcmp(text, DUET_FILE_FORMAT_DEFAULT_PARTITION) == 0)
            duet_column_builder_append_null(column);
        else
            duet_file_format_append_text_value(
                column, duet_data_type_id(duet_schema_field(decoder->schema, field)->type), text);
    }
}

/* Counts a malformed record; whether the mode keeps it (FAILFAST also stops the file). */
static gboolean
keep_malformed(Decoder *decoder)
{
    decoder->n_malformed++;
    if (decoder->format->mode == DUET_FILE_FORMAT_FAILFAST)
        decoder->failed = TRUE;
    return decoder->format->mode == DUET_FILE_FORMAT_PERMISSIVE;
}

static gboolean
text_line(const char *line, gsize len, gpointer user_data)
{
    Decoder *decoder = user_data;
    if (decoder->data_columns->len == 1)
        duet_column_builder_append_string(
            duet_batch_builder_column(decoder->builder,
                                      g_array_index(decoder->data_columns, guint, 0)),
            line, (gssize)len);
    append_other_columns(decoder, line, len, FALSE);
    return TRUE;
}

static gboolean
csv_line(const char *line, gsize len, gpointer user_data)
{
    Decoder *decoder = user_data;
    if (decoder->n_lines++ == 0 && decoder->format->header)
        return TRUE;
    if (len == 0)
        return TRUE; /* univocity skips empty lines */
    csv_split(decoder->format, line, len, decoder->fields);
    GArray *columns = decoder->data_columns;
    /* Spark: a token count other than the schema's is a malformed record */
    gboolean malformed = decoder->fields->len != columns->len;
    if (decoder->format->mode == DUET_FILE_FORMAT_DROPMALFORMED) {
        for (guint index = 0; index < columns->len && !malformed; index++) {
            const char *text =
                index < decoder->fields->len ? g_ptr_array_index(decoder->fields, index) : NULL;
            guint field = g_array_index(columns, guint, index);
            malformed =
                !csv_is_null(decoder->format, text) &&
                !text_fits(duet_data_type_id(duet_schema_field(decoder->schema, field)->type),
                           text);
        }
        if (malformed) {
            keep_malformed(decoder);
            return TRUE;
        }
    }
    for (guint index = 0; index < columns->len; index++) {
        guint field = g_array_index(columns, guint, index);
        DuetColumnBuilder *column = duet_batch_builder_column(decoder->builder, field);
        const char *text =
            index < decoder->fields->len ? g_ptr_array_index(decoder->fields, index) : NULL;
        if (csv_is_null(decoder->format, text))
            duet_column_builder_append_null(column);
        else if (!duet_file_format_append_text_value(
                     column, duet_data_type_id(duet_schema_field(decoder->schema, field)->type),
                     text))
            malformed = TRUE;
    }
    if (malformed && !keep_malformed(decoder))
        return FALSE; /* FAILFAST: the builder is thrown away */
    append_other_columns(decoder, line, len, malformed);
    return TRUE;
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

static gboolean
json_line(const char *line, gsize len, gpointer user_data)
{
    Decoder *decoder = user_data;
    if (is_blank(line, len))
        return TRUE; /* Spark's JSON reader skips blank lines */
    JsonObject *object = NULL;
    /* Jackson fails on invalid UTF-8: the record is malformed */
    gboolean valid = !decoder->check_utf8 || g_utf8_validate_len(line, len, NULL);
    if (valid && json_parser_load_from_data(decoder->parser, line, (gssize)len, NULL)) {
        JsonNode *root = json_parser_get_root(decoder->parser);
        if (root != NULL && JSON_NODE_HOLDS_OBJECT(root))
            object = json_node_get_object(root);
    }
    GArray *columns = decoder->data_columns;
    gboolean malformed = object == NULL;
    for (guint index = 0; index < columns->len && !malformed; index++) {
        const DuetField *spec =
            duet_schema_field(decoder->schema, g_array_index(columns, guint, index));
        malformed = !json_fits(spec->type, json_object_get_member(object, spec->name));
    }
    if (malformed && !keep_malformed(decoder))
        return !decoder->failed;
    for (guint index = 0; index < columns->len; index++) {
        guint field = g_array_index(columns, guint, index);
        const DuetField *spec = duet_schema_field(decoder->schema, field);
        DuetColumnBuilder *column = duet_batch_builder_column(decoder->builder, field);
        JsonNode *node = object ? json_object_get_member(object, spec->name) : NULL;
        if (json_fits(spec->type, node))
            json_append(column, spec->type, node);
        else
            duet_column_builder_append_null(column);
    }
    append_other_columns(decoder, line, len, malformed);
    return TRUE;
}

DuetBatch *
duet_file_format_decode_full(const DuetFileFormat *format, DuetSchema *schema, const char *data,
                             gsize len, const char *const *partition_values, guint *n_malformed,
                             GError **error)
{
    g_return_val_if_fail(format != NULL && schema != NULL, NULL);
    Decoder decoder = {
        .format = format,
        .builder = duet_batch_builder_new(schema, 64),
        .schema = schema,
        .n_fields = duet_schema_n_fields(schema),
        .corrupt_index = -1,
        .data_columns = g_array_new(FALSE, FALSE, sizeof(guint)),
        .partition_values = partition_values,
    };
    for (guint field = 0; field < decoder.n_fields; field++) {
        const DuetField *spec = duet_schema_field(schema, field);
        if (partition_values != NULL && partition_values[field] != NULL)
            continue;
        if (format->kind != DUET_FILE_FORMAT_TEXT && format->corrupt_column != NULL &&
            decoder.corrupt_index < 0 && strcmp(spec->name, format->corrupt_column) == 0 &&
            duet_data_type_id(spec->type) == DUET_TYPE_STRING) {
            decoder.corrupt_index = (gint)field;
            continue;
        }
        g_array_append_val(decoder.data_columns, field);
    }
    /* Java's decoder reads invalid UTF-8 as U+FFFD; JSON lines check each line instead */
    char *valid = NULL;
    if (!g_utf8_validate_len(data, len, NULL)) {
        if (format->kind == DUET_FILE_FORMAT_JSON) {
            decoder.check_utf8 = TRUE;
        } else {
            valid = g_utf8_make_valid(data, (gssize)len);
            data = valid;
            len = strlen(valid);
        }
    }
    switch (format->kind) {
    case DUET_FILE_FORMAT_TEXT:
        for_each_line(data, len, text_line, &decoder);
        break;
    case DUET_FILE_FORMAT_CSV:
        decoder.fields = g_ptr_array_new_with_free_func(g_free);
        for_each_line(data, len, csv_line, &decoder);
        g_ptr_array_unref(decoder.fields);
        break;
    case DUET_FILE_FORMAT_JSON:
        decoder.parser = json_parser_new_immutable();
        for_each_line(data, len, json_line, &decoder);
        g_object_unref(decoder.parser);
        break;
    }
    g_free(valid);
    g_array_unref(decoder.data_columns);
    if (n_malformed != NULL)
        *n_malformed = decoder.n_malformed;
    if (decoder.failed) {
        duet_batch_builder_free(decoder.builder);
        g_set_error_literal(error, DUET_FILE_FORMAT_ERROR, DUET_FILE_FORMAT_ERROR_MALFORMED,
                            FAILFAST_MESSAGE);
        return NULL;
    }
    /* every kept line appended one value per column, so the lengths agree */
    DuetBatch *batch = duet_batch_builder_finish(decoder.builder, NULL);
    duet_batch_builder_free(decoder.builder);
    return batch;
}

DuetBatch *
duet_file_format_decode(const DuetFileFormat *format, DuetSchema *schema, const char *data,
                        gsize len, guint *n_malformed)
{
    g_return_val_if_fail(format->mode != DUET_FILE_FORMAT_FAILFAST, NULL);
    return duet_file_format_decode_full(format, schema, data, len, NULL, n_malformed, NULL);
}

/* ---- CSV schema inference (Spark's CSVInferSchema) ---------------------------------------- */

/* The types inference moves through. DECIMAL is Spark's DecimalType(p, 0) for integers beyond
 * bigint; duet has no decimal type, so it ends as a double. */
typedef enum {
    INFER_NULL,
    INFER_INT,
    INFER_LONG,
    INFER_DECIMAL,
    INFER_DOUBLE,
    INFER_TIMESTAMP,
    INFER_BOOLEAN,
    INFER_STRING,
} InferType;

static InferType try_long(const char *text);

static gboolean
is_integral_text(const char *text)
{
    const char *digits = text + (*text == '+' || *text == '-');
    if (*digits == '\0' || strlen(digits) > 38)
        return FALSE;
    for (; *digits; digits++) {
        if (!g_ascii_isdigit(*digits))
            return FALSE;
    }
    return TRUE;
}

static InferType
try_boolean(const char *text)
{
    return g_ascii_strcasecmp(text, "true") == 0 || g_ascii_strcasecmp(text, "false") == 0
               ? INFER_BOOLEAN
               : INFER_STRING;
}

static InferType
try_timestamp(const char *text)
{
    gint64 micros;
    return duet_file_format_parse_timestamp(text, &micros) ? INFER_TIMESTAMP : try_boolean(text);
}

static InferType
try_double(const char *text)
{
    gdouble real;
    return duet_file_format_parse_double(text, &real) ? INFER_DOUBLE : try_timestamp(text);
}

static InferType
try_decimal(const char *text)
{
    return is_integral_text(text) ? INFER_DECIMAL : try_double(text);
}

static InferType
try_long(const char *text)
{
    gint64 value;
    return duet_file_format_parse_integer(text, G_MININT64, G_MAXINT64, &value) ? INFER_LONG
                                                                                : try_decimal(text);
}

static InferType
try_int(const char *text)
{
    gint64 value;
    return duet_file_format_parse_integer(text, G_MININT32, G_MAXINT32, &value) ? INFER_INT
                                                                                : try_long(text);
}

/* TypeCoercion.findTightestCommonType, then CSVInferSchema's own rules; string when none. */
static InferType
compatible_type(InferType a, InferType b)
{
    if (a == b)
        return a;
    if (a == INFER_NULL)
        return b;
    if (b == INFER_NULL)
        return a;
    InferType wider = MAX(a, b), narrower = MIN(a, b);
    if (wider <= INFER_DOUBLE && narrower >= INFER_INT)
        return wider; /* numeric widening: int < bigint < decimal < double */
    return INFER_STRING;
}

static InferType
infer_field(InferType so_far, const char *text)
{
    InferType found;
    switch (so_far) {
    case INFER_NULL:
    case INFER_INT:
        found = try_int(text);
        break;
    case INFER_LONG:
        found = try_long(text);
        break;
    case INFER_DECIMAL:
        found = try_decimal(text);
        break;
    case INFER_DOUBLE:
        found = try_double(text);
        break;
    case INFER_TIMESTAMP:
        found = try_timestamp(text);
        break;
    case INFER_BOOLEAN:
        found = try_boolean(text);
        break;
    default:
        return INFER_STRING;
    }
    return compatible_type(so_far, found);
}

static DuetTypeId
type_of_inferred(InferType type)
{
    static const DuetTypeId ids[] = {
        [INFER_NULL] = DUET_TYPE_STRING,     [INFER_INT] = DUET_TYPE_INT32,
        [INFER_LONG] = DUET_TYPE_INT64,      [INFER_DECIMAL] = DUET_TYPE_DOUBLE,
        [INFER_DOUBLE] = DUET_TYPE_DOUBLE,   [INFER_TIMESTAMP] = DUET_TYPE_TIMESTAMP,
        [INFER_BOOLEAN] = DUET_TYPE_BOOLEAN, [INFER_STRING] = DUET_TYPE_STRING,
    };
    return ids[type];
}

DuetTypeId
duet_file_format_infer_value_type(const char *text)
{
    return type_of_inferred(infer_field(INFER_NULL, text));
}

typedef struct {
    const DuetFileFormat *format; /* CSV options */
    GPtrArray *fields;            /* the current line's fields (reused) */
    char *first_line;             /* the first non-empty line of all files, or NULL */
    GStrv names;                  /* the column names, once the first line was seen */
    GArray *types;                /* InferType per column */
    gboolean infer_types;         /* inferSchema */
} Inference;

/* Spark's CSVUtils.filterHeaderLine and CSVInferSchema.inferRowType over one line. */
static gboolean
infer_line(const char *line, gsize len, gpointer user_data)
{
    Inference *inference = user_data;
    if (len == 0)
        return TRUE;
    if (inference->first_line == NULL) {
        inference->first_line = g_strndup(line, len);
        csv_split(inference->format, line, len, inference->fields);
        guint n = inference->fields->len;
        inference->names = g_new0(char *, n + 1);
        for (guint column = 0; column < n; column++) {
            const char *name = g_ptr_array_index(inference->fields, column);
            inference->names[column] = inference->format->header && name != NULL && name[0] != '\0'
                                           ? g_strdup(name)
                                           : g_strdup_printf("_c%u", column);
        }
        g_array_set_size(inference->types, n);
        if (inference->format->header)
            return TRUE;
    } else if (inference->format->header && strlen(inference->first_line) == len &&
               memcmp(inference->first_line, line, len) == 0) {
        return TRUE; /* the header line of another file */
    }
    if (!inference->infer_types)
        return TRUE;
    csv_split(inference->format, line, len, inference->fields);
    guint n = MIN(inference->fields->len, inference->types->len);
    for (guint column = 0; column < n; column++) {
        const char *text = g_ptr_array_index(inference->fields, column);
        if (csv_is_null(inference->format, text) || text[0] == '\0')
            continue;
        InferType *type = &g_array_index(inference->types, InferType, column);
        *type = infer_field(*type, text);
    }
    return TRUE;
}

/* Spark's CSVUtils.makeSafeHeader: duplicate names (case-insensitively) get their index. */
static void
make_names_unique(GStrv names)
{
    guint n = g_strv_length(names);
    gboolean *duplicate = g_new0(gboolean, n);
    for (guint a = 0; a < n; a++) {
        for (guint b = a + 1; b < n; b++) {
            if (g_ascii_strcasecmp(names[a], names[b]) == 0)
                duplicate[a] = duplicate[b] = TRUE;
        }
    }
    for (guint column = 0; column < n; column++) {
        if (!duplicate[column])
            continue;
        char *renamed = g_strdup_printf("%s%u", names[column], column);
        g_free(names[column]);
        names[column] = renamed;
    }
    g_free(duplicate);
}

DuetSchema *
duet_file_format_infer_schema(const DuetFileFormat *format, const char *const *data,
                              const gsize *lens, guint n_files, gboolean infer_types,
                              GError **error)
{
    if (format->kind != DUET_FILE_FORMAT_CSV) {
        g_set_error(error, DUET_FILE_FORMAT_ERROR, DUET_FILE_FORMAT_ERROR_SCHEMA,
                    "duet infers schemas of CSV files only: give the %s source a schema",
                    duet_file_format_name(format->kind));
        return NULL;
    }
    Inference inference = {
        .format = format,
        .fields = g_ptr_array_new_with_free_func(g_free),
        .types = g_array_new(FALSE, TRUE, sizeof(InferType)),
        .infer_types = infer_types,
    };
    for (guint file = 0; file < n_files; file++) {
        char *valid = NULL;
        const char *bytes = data[file];
        gsize len = lens[file];
        if (!g_utf8_validate_len(bytes, len, NULL)) {
            valid = g_utf8_make_valid(bytes, (gssize)len);
            bytes = valid;
            len = strlen(valid);
        }
        for_each_line(bytes, len, infer_line, &inference);
        g_free(valid);
    }
    DuetSchema *schema = NULL;
    if (inference.names == NULL) {
        g_set_error_literal(error, DUET_FILE_FORMAT_ERROR, DUET_FILE_FORMAT_ERROR_SCHEMA,
                            "[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for CSV. It must be "
                            "specified manually.");
    } else {
        make_names_unique(inference.names);
        schema = duet_schema_new();
        for (guint column = 0; inference.names[column] != NULL; column++) {
            InferType type = g_array_index(inference.types, InferType, column);
            g_autoptr(DuetDataType) data_type = duet_data_type_new_scalar(type_of_inferred(type));
            duet_schema_add_field(schema, inference.names[column], data_type, TRUE);
        }
    }
    g_strfreev(inference.names);
    g_free(inference.first_line);
    g_array_unref(inference.types);
    g_ptr_array_unref(inference.fields);
    return schema;
}
