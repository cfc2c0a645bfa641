/* batch_literal.c — JSON literals to batches and batches to Scala-formatted text, for tests. */
#include "tests/common/batch_literal.h"
#include "rdd/format.h"

#include <json-glib/json-glib.h>

static void append_json(DuetColumnBuilder *builder, DuetDataType *type, JsonNode *node);

static void
append_json_list(DuetColumnBuilder *builder, DuetDataType *type, JsonNode *node)
{
    JsonArray *array = json_node_get_array(node);
    DuetColumnBuilder *child = duet_column_builder_child(builder, 0);
    for (guint element = 0; element < json_array_get_length(array); element++)
        append_json(child, duet_data_type_element(type), json_array_get_element(array, element));
    duet_column_builder_end_list(builder);
}

static void
append_json(DuetColumnBuilder *builder, DuetDataType *type, JsonNode *node)
{
    if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
        duet_column_builder_append_null(builder);
        return;
    }
    switch (duet_data_type_id(type)) {
    case DUET_TYPE_BOOLEAN:
        duet_column_builder_append_boolean(builder, json_node_get_boolean(node));
        break;
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE:
        duet_column_builder_append_int32(builder, (gint32)json_node_get_int(node));
        break;
    case DUET_TYPE_INT64:
    case DUET_TYPE_TIMESTAMP:
        duet_column_builder_append_int64(builder, json_node_get_int(node));
        break;
    case DUET_TYPE_DOUBLE:
        duet_column_builder_append_double(builder, json_node_get_double(node));
        break;
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
        duet_column_builder_append_string(builder, json_node_get_string(node), -1);
        break;
    case DUET_TYPE_ARRAY:
        append_json_list(builder, type, node);
        break;
    case DUET_TYPE_STRUCT: {
        JsonArray *array = json_node_get_array(node);
        DuetSchema *fields = duet_data_type_fields(type);
        for (guint field = 0; field < duet_schema_n_fields(fields); field++)
            append_json(duet_column_builder_child(builder, field),
                        duet_schema_field(fields, field)->type,
                        json_array_get_element(array, field));
        duet_column_builder_end_struct(builder);
        break;
    }
    case DUET_TYPE_MAP: {
        /* a map literal is an array of [key, value] pairs */
        JsonArray *array = json_node_get_array(node);
        for (guint entry = 0; entry < json_array_get_length(array); entry++) {
            JsonArray *pair = json_array_get_array_element(array, entry);
            append_json(duet_column_builder_child(builder, 0), duet_data_type_map_key(type),
                        json_array_get_element(pair, 0));
            append_json(duet_column_builder_child(builder, 1), duet_data_type_map_value(type),
                        json_array_get_element(pair, 1));
        }
        duet_column_builder_end_list(builder);
        break;
    }
    default:
        g_error("batch literal: unsupported type");
    }
}

DuetBatch *
duet_test_batch(const char *ddl, const char *json_rows)
{
    GError *error = NULL;
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, &error);
    g_assert_no_error(error);
    g_autoptr(JsonParser) parser = json_parser_new();
    json_parser_load_from_data(parser, json_rows, -1, &error);
    g_assert_no_error(error);
    JsonArray *rows = json_node_get_array(json_parser_get_root(parser));
    guint n_fields = duet_schema_n_fields(schema);
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, json_array_get_length(rows));
    for (guint row = 0; row < json_array_get_length(rows); row++) {
        JsonNode *node = json_array_get_element(rows, row);
        for (guint field = 0; field < n_fields; field++) {
            JsonNode *cell =
                n_fields == 1 ? node : json_array_get_element(json_node_get_array(node), field);
            append_json(duet_batch_builder_column(builder, field),
                        duet_schema_field(schema, field)->type, cell);
        }
    }
    DuetBatch *batch = duet_batch_builder_finish(builder, &error);
    g_assert_no_error(error);
    duet_batch_builder_free(builder);
    return batch;
}

static GPtrArray *
render_rows(DuetBatch *batch)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
    for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
        GString *text = g_string_new(NULL);
        DuetRow row = duet_batch_row(batch, row_idx);
        duet_format_row(text, &row, DUET_FORMAT_SCALA);
        g_ptr_array_add(rows, g_string_free(text, FALSE));
    }
    return rows;
}

static char *
join_rows(GPtrArray *rows)
{
    GString *out = g_string_new("[");
    for (guint row = 0; row < rows->len; row++)
        g_string_append_printf(out, "%s%s", row ? ", " : "", (char *)rows->pdata[row]);
    g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
duet_test_render(DuetBatch *batch)
{
    GPtrArray *rows = render_rows(batch);
    char *text = join_rows(rows);
    g_ptr_array_unref(rows);
    return text;
}

char *
duet_test_render_sorted(DuetBatch *batch)
{
    GPtrArray *rows = render_rows(batch);
    g_ptr_array_sort(rows, compare_strings);
    char *text = join_rows(rows);
    g_ptr_array_unref(rows);
    return text;
}

static DuetBatch *
collect_or_die(DuetRdd *rdd)
{
    GError *error = NULL;
    DuetBatch *batch = duet_rdd_collect(rdd, &error);
    if (error != NULL)
        g_error("collect failed: %s", error->message);
    return batch;
}

char *
duet_test_render_rdd(DuetRdd *rdd)
{
    g_autoptr(DuetBatch) batch = collect_or_die(rdd);
    return duet_test_render(batch);
}

char *
duet_test_render_rdd_sorted(DuetRdd *rdd)
{
    g_autoptr(DuetBatch) batch = collect_or_die(rdd);
    return duet_test_render_sorted(batch);
}

char *
duet_test_render_partitions(DuetRdd *rdd)
{
    GError *error = NULL;
    GPtrArray *partitions = duet_rdd_collect_partitions(rdd, &error);
    if (error != NULL)
        g_error("collect failed: %s", error->message);
    GString *out = g_string_new("[");
    for (guint partition = 0; partition < partitions->len; partition++) {
        g_autofree char *text = duet_test_render(g_ptr_array_index(partitions, partition));
        g_string_append_printf(out, "%s%s", partition ? ", " : "", text);
    }
    g_string_append_c(out, ']');
    g_ptr_array_unref(partitions);
    return g_string_free(out, FALSE);
}
