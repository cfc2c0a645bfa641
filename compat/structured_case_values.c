/* structured_case_values.c — rows of a Structured case as canonical JSON, and comparisons.
 *
 * Layer: compat/. Expected rows (a bare value is a one-column row) and the rows a sink
 * received become canonical JSON text (integral numbers as integers, so 1 and 1.0 compare
 * equal), compared as multisets or in order; small helpers over the case's JSON.
 */
#include "compat/structured_case.h"
#include "compat/structured_functions.h"
#include "rdd/json_rows.h"
#include "structured/sql_parser.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void
sc_fail(Case *c, const char *format, ...)
{
    if (c->failure->len)
        return;
    va_list args;
    va_start(args, format);
    g_string_append_vprintf(c->failure, format, args);
    va_end(args);
}

/* Canonical JSON text of a node: integral numbers as integers, so 1 and 1.0 compare equal. */
static void
append_canonical(GString *out, JsonNode *node)
{
    if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
        g_string_append(out, "null");
    } else if (JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray *array = json_node_get_array(node);
        g_string_append_c(out, '[');
        for (guint index = 0; index < json_array_get_length(array); index++) {
            if (index)
                g_string_append_c(out, ',');
            append_canonical(out, json_array_get_element(array, index));
        }
        g_string_append_c(out, ']');
    } else if (json_node_get_value_type(node) == G_TYPE_DOUBLE) {
        gdouble value = json_node_get_double(node);
        if (value == floor(value) && fabs(value) < 9e15)
            g_string_append_printf(out, "%" G_GINT64_FORMAT, (gint64)value);
        else
            g_string_append_printf(out, "%.10g", value);
    } else {
        duet_json_append_node(out, node);
    }
}

char *
sc_canonical_text(const char *json)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, json, -1, NULL))
        return g_strdup(json);
    GString *out = g_string_new(NULL);
    append_canonical(out, json_parser_get_root(parser));
    return g_string_free(out, FALSE);
}

static gboolean
output_is_single_scalar(Case *c)
{
    JsonArray *columns = json_object_has_member(c->spec, "output_columns")
                             ? json_object_get_array_member(c->spec, "output_columns")
                             : NULL;
    if (columns == NULL || json_array_get_length(columns) != 1)
        return FALSE;
    const char *type = json_array_get_string_element(json_array_get_array_element(columns, 0), 1);
    return !g_str_has_prefix(type, "struct") && !g_str_has_prefix(type, "array");
}

/* Expected rows as canonical strings (a bare value is a one-column row). */
GPtrArray *
sc_expected_rows(Case *c, JsonArray *rows)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    gboolean wrap = output_is_single_scalar(c);
    for (guint index = 0; index < json_array_get_length(rows); index++) {
        JsonNode *row = json_array_get_element(rows, index);
        GString *text = g_string_new(NULL);
        if (wrap || !JSON_NODE_HOLDS_ARRAY(row)) {
            g_string_append_c(text, '[');
            append_canonical(text, row);
            g_string_append_c(text, ']');
        } else {
            append_canonical(text, row);
        }
        g_ptr_array_add(out, g_string_free(text, FALSE));
    }
    return out;
}

/* Rows of a batch as canonical strings: always an array per row. */
void
sc_append_actual_rows(Case *c, GPtrArray *out, DuetBatch *batch)
{
    gsize n_rows = duet_batch_n_rows(batch);
    guint n_columns = duet_batch_n_columns(batch);
    for (gsize row = 0; row < n_rows; row++) {
        GString *json = g_string_new("[");
        for (guint column = 0; column < n_columns; column++) {
            DuetValue value;
            duet_column_get_value(duet_batch_column(batch, column), row, &value);
            if (column)
                g_string_append_c(json, ',');
            if (c->timestamps_as_ms && value.type == DUET_TYPE_TIMESTAMP && !value.is_null)
                value = duet_value_int64(value.v.i64 / 1000);
            duet_json_append_value(json, &value);
        }
        g_string_append_c(json, ']');
        g_ptr_array_add(out, sc_canonical_text(json->str));
        g_string_free(json, TRUE);
    }
}

int
sc_compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
join_rows(GPtrArray *rows)
{
    GString *out = g_string_new("[");
    for (guint index = 0; index < rows->len; index++)
        g_string_append_printf(out, "%s%s", index ? ", " : "", (char *)rows->pdata[index]);
    g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}

/* Compares as multisets, or in order when sorted. */
void
sc_compare_rows(Case *c, const char *what, GPtrArray *expected, GPtrArray *actual, gboolean sorted)
{
    if (!sorted) {
        g_ptr_array_sort(expected, sc_compare_strings);
        g_ptr_array_sort(actual, sc_compare_strings);
    }
    gboolean equal = expected->len == actual->len;
    for (guint index = 0; equal && index < expected->len; index++)
        equal = g_str_equal(expected->pdata[index], actual->pdata[index]);
    if (!equal) {
        g_autofree char *want = join_rows(expected);
        g_autofree char *got = join_rows(actual);
        sc_fail(c, "%s: expected %s, got %s", what, want, got);
    }
}

DuetSchema *
sc_schema_of_columns(JsonArray *columns, GError **error)
{
    GString *ddl = g_string_new(NULL);
    for (guint index = 0; index < json_array_get_length(columns); index++) {
        JsonArray *column = json_array_get_array_element(columns, index);
        g_string_append_printf(ddl, "%s`%s` %s", index ? ", " : "",
                               json_array_get_string_element(column, 0),
                               json_array_get_string_element(column, 1));
    }
    DuetSchema *schema = duet_schema_parse(ddl->str, error);
    g_string_free(ddl, TRUE);
    return schema;
}

const char *
sc_string_member(JsonObject *object, const char *member, const char *fallback)
{
    return object && json_object_has_member(object, member)
               ? json_object_get_string_member(object, member)
               : fallback;
}

/* The strings of an array member, as a NULL-terminated vector. */
GStrv
sc_strings_member(JsonObject *object, const char *member)
{
    JsonArray *array = json_object_has_member(object, member)
                           ? json_object_get_array_member(object, member)
                           : NULL;
    guint n = array ? json_array_get_length(array) : 0;
    GStrv strings = g_new0(char *, n + 1);
    for (guint index = 0; index < n; index++)
        strings[index] = g_strdup(json_array_get_string_element(array, index));
    return strings;
}

void
sc_check_int(Case *c, const char *what, gint64 expected, gint64 actual)
{
    if (expected != actual)
        sc_fail(c, "%s: expected %" G_GINT64_FORMAT ", got %" G_GINT64_FORMAT, what, expected,
                actual);
}

char *
sc_iso_time(gint64 ms)
{
    g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(ms / 1000);
    g_autofree char *seconds = g_date_time_format(time, "%Y-%m-%dT%H:%M:%S");
    return g_strdup_printf("%s.%03dZ", seconds, (int)(ms % 1000));
}

char *
sc_canonical_node(JsonNode *node)
{
    GString *out = g_string_new(NULL);
    append_canonical(out, node);
    return g_string_free(out, FALSE);
}
