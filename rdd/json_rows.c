/* json_rows.c — JSON rows to batches, and values to compact JSON.
 *
 * Layer: rdd/. Includes rdd/ and json-glib. See json_rows.h for the shapes.
 */
#include "rdd/json_rows.h"

#include "rdd/format.h"

static gboolean append_node(DuetColumnBuilder *builder, DuetDataType *type, JsonNode *node);

static gboolean
append_list(DuetColumnBuilder *builder, DuetDataType *type, JsonNode *node)
{
    if (!JSON_NODE_HOLDS_ARRAY(node))
        return FALSE;
    JsonArray *array = json_node_get_array(node);
    for (guint element = 0; element < json_array_get_length(array); element++) {
        JsonNode *item = json_array_get_element(array, element);
        if (duet_data_type_id(type) == DUET_TYPE_MAP) {
            if (!JSON_NODE_HOLDS_ARRAY(item) ||
                json_array_get_length(json_node_get_array(item)) != 2)
                return FALSE;
            JsonArray *pair = json_node_get_array(item);
            if (!append_node(duet_column_builder_child(builder, 0), duet_data_type_map_key(type),
                             json_array_get_element(pair, 0)) ||
                !append_node(duet_column_builder_child(builder, 1), duet_data_type_map_value(type),
                             json_array_get_element(pair, 1)))
                return FALSE;
        } else if (!append_node(duet_column_builder_child(builder, 0), duet_data_type_element(type),
                                item)) {
            return FALSE;
        }
    }
    duet_column_builder_end_list(builder);
    return TRUE;
}

static gboolean
append_node(DuetColumnBuilder *builder, DuetDataType *type, JsonNode *node)
{
    if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
        duet_column_builder_append_null(builder);
        return TRUE;
    }
    DuetTypeId id = duet_data_type_id(type);
    if (id == DUET_TYPE_ARRAY || id == DUET_TYPE_MAP)
        return append_list(builder, type, node);
    if (id == DUET_TYPE_STRUCT) {
        if (!JSON_NODE_HOLDS_ARRAY(node))
            return FALSE;
        JsonArray *array = json_node_get_array(node);
        DuetSchema *fields = duet_data_type_fields(type);
        if (json_array_get_length(array) != duet_schema_n_fields(fields))
            return FALSE;
        for (guint field = 0; field < duet_schema_n_fields(fields); field++) {
            if (!append_node(duet_column_builder_child(builder, field),
                             duet_schema_field(fields, field)->type,
                             json_array_get_element(array, field)))
                return FALSE;
        }
        duet_column_builder_end_struct(builder);
        return TRUE;
    }
    if (!JSON_NODE_HOLDS_VALUE(node))
        return FALSE;
    GType value_type = json_node_get_value_type(node);
    switch (id) {
    case DUET_TYPE_BOOLEAN:
        if (value_type != G_TYPE_BOOLEAN)
            return FALSE;
        duet_column_builder_append_boolean(builder, json_node_get_boolean(node));
        return TRUE;
    case DUET_TYPE_INT32:
    case DUET_TYPE_DATE:
        if (value_type != G_TYPE_INT64)
            return FALSE;
        duet_column_builder_append_int32(builder, (gint32)json_node_get_int(node));
        return TRUE;
    case DUET_TYPE_INT64:
    case DUET_TYPE_TIMESTAMP:
        if (value_type != G_TYPE_INT64)
            return FALSE;
        duet_column_builder_append_int64(builder, json_node_get_int(node));
        return TRUE;
    case DUET_TYPE_DOUBLE:
        if (value_type != G_TYPE_INT64 && value_type != G_TYPE_DOUBLE)
            return FALSE;
        duet_column_builder_append_double(builder, json_node_get_double(node));
        return TRUE;
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
        if (value_type != G_TYPE_STRING)
            return FALSE;
        duet_column_builder_append_string(builder, json_node_get_string(node), -1);
        return TRUE;
    default:
        return FALSE;
    }
}

DuetBatch *
duet_json_rows_to_batch(DuetSchema *schema, JsonArray *rows, GError **error)
{
    guint n_fields = duet_schema_n_fields(schema);
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, json_array_get_length(rows));
    DuetBatch *batch = NULL;
    for (guint row = 0; row < json_array_get_length(rows); row++) {
        JsonNode *node = json_array_get_element(rows, row);
        if (n_fields > 1 && (!JSON_NODE_HOLDS_ARRAY(node) ||
                             json_array_get_length(json_node_get_array(node)) != n_fields)) {
            g_set_error(error, DUET_BATCH_ERROR, DUET_BATCH_ERROR_SCHEMA,
                        "row %u is not an array of %u values", row, n_fields);
            goto out;
        }
        for (guint field = 0; field < n_fields; field++) {
            JsonNode *cell =
                n_fields == 1 ? node : json_array_get_element(json_node_get_array(node), field);
            const DuetField *column = duet_schema_field(schema, field);
            if (!append_node(duet_batch_builder_column(builder, field), column->type, cell)) {
                g_autofree char *type = duet_data_type_to_string(column->type);
                g_set_error(error, DUET_BATCH_ERROR, DUET_BATCH_ERROR_SCHEMA,
                            "row %u, column %s: the value is not a %s", row, column->name, type);
                goto out;
            }
        }
    }
    batch = duet_batch_builder_finish(builder, error);
out:
    duet_batch_builder_free(builder);
    return batch;
}

DuetDataType *
duet_json_infer_type(JsonNode *node)
{
    if (node == NULL || JSON_NODE_HOLDS_NULL(node))
        return NULL;
    if (JSON_NODE_HOLDS_VALUE(node)) {
        GType type = json_node_get_value_type(node);
        if (type == G_TYPE_INT64) {
            gint64 value = json_node_get_int(node);
            return duet_data_type_new_scalar(
                value >= G_MININT32 && value <= G_MAXINT32 ? DUET_TYPE_INT32 : DUET_TYPE_INT64);
        }
        if (type == G_TYPE_DOUBLE)
            return duet_data_type_new_scalar(DUET_TYPE_DOUBLE);
        if (type == G_TYPE_BOOLEAN)
            return duet_data_type_new_scalar(DUET_TYPE_BOOLEAN);
        return duet_data_type_new_scalar(DUET_TYPE_STRING);
    }
    if (!JSON_NODE_HOLDS_ARRAY(node))
        return NULL;
    JsonArray *array = json_node_get_array(node);
    guint n = json_array_get_length(array);
    /* A tuple: two or more elements whose types differ. */
    gboolean tuple = FALSE;
    g_autoptr(DuetDataType) first = NULL;
    for (guint element = 0; element < n; element++) {
        g_autoptr(DuetDataType) type = duet_json_infer_type(json_array_get_element(array, element));
        if (type == NULL)
            continue;
        if (first == NULL)
            first = duet_data_type_ref(type);
        else if (!duet_data_type_equal(first, type))
            tuple = TRUE;
    }
    if (tuple) {
        g_autoptr(DuetSchema) fields = duet_schema_new();
        for (guint element = 0; element < n; element++) {
            g_autoptr(DuetDataType) type =
                duet_json_infer_type(json_array_get_element(array, element));
            g_autofree char *name = g_strdup_printf("_%u", element + 1);
            duet_schema_add_field(fields, name,
                                  type ? type : duet_data_type_new_scalar(DUET_TYPE_STRING), TRUE);
        }
        return duet_data_type_new_struct(fields);
    }
    return duet_data_type_new_array(first ? first : duet_data_type_new_scalar(DUET_TYPE_INT32),
                                    TRUE);
}

static void
append_json_string(GString *out, const char *data, gsize len)
{
    g_string_append_c(out, '"');
    for (gsize byte = 0; byte < len; byte++) {
        unsigned char c = (unsigned char)data[byte];
        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", c);
        else if (c < 0x20)
            g_string_append_printf(out, "\\u%04x", c);
        else
            g_string_append_c(out, (char)c);
    }
    g_string_append_c(out, '"');
}

void
duet_json_append_value(GString *out, const DuetValue *value)
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
    case DUET_TYPE_DATE:
        g_string_append_printf(out, "%d", value->v.i32);
        return;
    case DUET_TYPE_INT64:
    case DUET_TYPE_TIMESTAMP:
        g_string_append_printf(out, "%" G_GINT64_FORMAT, value->v.i64);
        return;
    case DUET_TYPE_DOUBLE:
        duet_format_java_double(out, value->v.f64);
        return;
    case DUET_TYPE_STRING:
    case DUET_TYPE_BINARY:
        append_json_string(out, value->v.str.data, value->v.str.len);
        return;
    case DUET_TYPE_STRUCT:
        g_string_append_c(out, '[');
        for (guint field = 0; field < duet_value_struct_n_fields(value); field++) {
            DuetValue part;
            duet_value_struct_get(value, field, &part);
            if (field)
                g_string_append_c(out, ',');
            duet_json_append_value(out, &part);
        }
        g_string_append_c(out, ']');
        return;
    case DUET_TYPE_ARRAY:
    case DUET_TYPE_MAP:
        g_string_append_c(out, '[');
        for (gsize element = 0; element < duet_value_list_length(value); element++) {
            if (element)
                g_string_append_c(out, ',');
            if (value->type == DUET_TYPE_MAP) {
                DuetValue key, entry;
                duet_value_map_get(value, element, &key, &entry);
                g_string_append_c(out, '[');
                duet_json_append_value(out, &key);
                g_string_append_c(out, ',');
                duet_json_append_value(out, &entry);
                g_string_append_c(out, ']');
            } else {
                DuetValue part;
                duet_value_list_get(value, element, &part);
                duet_json_append_value(out, &part);
            }
        }
        g_string_append_c(out, ']');
        return;
    default:
        return;
    }
}

void
duet_json_append_row(GString *out, const DuetRow *row)
{
    guint n_columns = duet_batch_n_columns(row->batch);
    if (n_columns == 1) {
        DuetValue value;
        duet_row_get_value(row, 0, &value);
        duet_json_append_value(out, &value);
        return;
    }
    g_string_append_c(out, '[');
    for (guint column = 0; column < n_columns; column++) {
        DuetValue value;
        duet_row_get_value(row, column, &value);
        if (column)
            g_string_append_c(out, ',');
        duet_json_append_value(out, &value);
    }
    g_string_append_c(out, ']');
}

void
duet_json_append_node(GString *out, JsonNode *node)
{
    if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
        g_string_append(out, "null");
        return;
    }
    if (JSON_NODE_HOLDS_ARRAY(node)) {
        JsonArray *array = json_node_get_array(node);
        g_string_append_c(out, '[');
        for (guint element = 0; element < json_array_get_length(array); element++) {
            if (element)
                g_string_append_c(out, ',');
            duet_json_append_node(out, json_array_get_element(array, element));
        }
        g_string_append_c(out, ']');
        return;
    }
    if (JSON_NODE_HOLDS_OBJECT(node)) {
        g_string_append(out, "{}");
        return;
    }
    GType type = json_node_get_value_type(node);
    if (type == G_TYPE_INT64)
        g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
    else if (type == G_TYPE_DOUBLE)
        duet_format_java_double(out, json_node_get_double(node));
    else if (type == G_TYPE_BOOLEAN)
        g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
    else {
        const char *text = json_node_get_string(node);
        append_json_string(out, text, strlen(text));
    }
}
