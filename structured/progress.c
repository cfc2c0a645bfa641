/* progress.c — Spark's StreamingQueryProgress and StreamingQueryStatus as JSON.
 *
 * Layer: structured/. The fields are built into a json-glib tree in the order of Spark's
 * jsonValue methods (progress.scala), then printed as json4s/Jackson print them: compact, or
 * pretty with Jackson's DefaultPrettyPrinter (objects indent two spaces a level, arrays stay
 * on the line: "[ {" ... "}, {" ... "} ]", empty ones "[ ]" and "{ }").
 */
#include "structured/progress.h"
#include "rdd/format.h"

#include <math.h>
#include <string.h>

/* ---- the model ----------------------------------------------------------------------------- */

static void
metric_clear(DuetMetric *metric)
{
    g_free(metric->name);
}

static GArray *
metrics_new(void)
{
    GArray *metrics = g_array_new(FALSE, TRUE, sizeof(DuetMetric));
    g_array_set_clear_func(metrics, (GDestroyNotify)metric_clear);
    return metrics;
}

static GArray *
metrics_copy(const GArray *metrics)
{
    GArray *copy = metrics_new();
    for (guint index = 0; metrics && index < metrics->len; index++) {
        const DuetMetric *metric = &g_array_index(metrics, DuetMetric, index);
        duet_metrics_add(copy, metric->name, metric->value);
    }
    return copy;
}

void
duet_metrics_add(GArray *metrics, const char *name, gint64 value)
{
    for (guint index = 0; index < metrics->len; index++) {
        DuetMetric *metric = &g_array_index(metrics, DuetMetric, index);
        if (g_str_equal(metric->name, name)) {
            metric->value = value;
            return;
        }
    }
    DuetMetric metric = {g_strdup(name), value};
    g_array_append_val(metrics, metric);
}

DuetStateOperatorProgress *
duet_state_operator_progress_new(const char *operator_name)
{
    DuetStateOperatorProgress *progress = g_new0(DuetStateOperatorProgress, 1);
    progress->operator_name = g_strdup(operator_name);
    progress->custom_metrics = metrics_new();
    return progress;
}

void
duet_state_operator_progress_free(DuetStateOperatorProgress *progress)
{
    if (progress == NULL)
        return;
    g_free(progress->operator_name);
    g_array_unref(progress->custom_metrics);
    g_free(progress);
}

static DuetStateOperatorProgress *
state_operator_copy(const DuetStateOperatorProgress *progress)
{
    DuetStateOperatorProgress *copy = g_memdup2(progress, sizeof *progress);
    copy->operator_name = g_strdup(progress->operator_name);
    copy->custom_metrics = metrics_copy(progress->custom_metrics);
    return copy;
}

gint64
duet_state_operator_progress_metric(const DuetStateOperatorProgress *progress, const char *name,
                                    gint64 fallback)
{
    for (guint index = 0; index < progress->custom_metrics->len; index++) {
        const DuetMetric *metric = &g_array_index(progress->custom_metrics, DuetMetric, index);
        if (g_str_equal(metric->name, name))
            return metric->value;
    }
    return fallback;
}

DuetSourceProgress *
duet_source_progress_new(const char *description)
{
    DuetSourceProgress *progress = g_new0(DuetSourceProgress, 1);
    progress->description = g_strdup(description);
    return progress;
}

void
duet_source_progress_free(DuetSourceProgress *progress)
{
    if (progress == NULL)
        return;
    g_free(progress->description);
    g_free(progress->start_offset);
    g_free(progress->end_offset);
    g_free(progress->latest_offset);
    g_free(progress);
}

static DuetSourceProgress *
source_copy(const DuetSourceProgress *progress)
{
    DuetSourceProgress *copy = g_memdup2(progress, sizeof *progress);
    copy->description = g_strdup(progress->description);
    copy->start_offset = g_strdup(progress->start_offset);
    copy->end_offset = g_strdup(progress->end_offset);
    copy->latest_offset = g_strdup(progress->latest_offset);
    return copy;
}

DuetQueryProgress *
duet_query_progress_new(void)
{
    DuetQueryProgress *progress = g_new0(DuetQueryProgress, 1);
    progress->duration_ms = metrics_new();
    progress->state_operators =
        g_ptr_array_new_with_free_func((GDestroyNotify)duet_state_operator_progress_free);
    progress->sources = g_ptr_array_new_with_free_func((GDestroyNotify)duet_source_progress_free);
    return progress;
}

DuetQueryProgress *
duet_query_progress_copy(const DuetQueryProgress *progress)
{
    DuetQueryProgress *copy = g_memdup2(progress, sizeof *progress);
    copy->id = g_strdup(progress->id);
    copy->run_id = g_strdup(progress->run_id);
    copy->name = g_strdup(progress->name);
    copy->sink_description = g_strdup(progress->sink_description);
    copy->duration_ms = metrics_copy(progress->duration_ms);
    copy->state_operators =
        g_ptr_array_new_with_free_func((GDestroyNotify)duet_state_operator_progress_free);
    for (guint index = 0; index < progress->state_operators->len; index++)
        g_ptr_array_add(copy->state_operators,
                        state_operator_copy(progress->state_operators->pdata[index]));
    copy->sources = g_ptr_array_new_with_free_func((GDestroyNotify)duet_source_progress_free);
    for (guint index = 0; index < progress->sources->len; index++)
        g_ptr_array_add(copy->sources, source_copy(progress->sources->pdata[index]));
    copy->observed_metrics =
        progress->observed_metrics ? json_node_copy(progress->observed_metrics) : NULL;
    return copy;
}

void
duet_query_progress_free(DuetQueryProgress *progress)
{
    if (progress == NULL)
        return;
    g_free(progress->id);
    g_free(progress->run_id);
    g_free(progress->name);
    g_free(progress->sink_description);
    g_array_unref(progress->duration_ms);
    g_ptr_array_unref(progress->state_operators);
    g_ptr_array_unref(progress->sources);
    if (progress->observed_metrics)
        json_node_unref(progress->observed_metrics);
    g_free(progress);
}

char *
duet_format_iso_ms(gint64 ms)
{
    gint64 seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(seconds);
    if (time == NULL)
        return g_strdup("invalid");
    g_autofree char *text = g_date_time_format(time, "%Y-%m-%dT%H:%M:%S");
    return g_strdup_printf("%s.%03dZ", text, (int)(ms - seconds * 1000));
}

/* ---- the JSON tree, in Spark's field order ------------------------------------------------- */

/* safeDoubleToJValue: NaN and infinities are left out. */
static void
add_double(JsonBuilder *builder, const char *name, gdouble value)
{
    if (isnan(value) || isinf(value))
        return;
    json_builder_set_member_name(builder, name);
    json_builder_add_double_value(builder, value);
}

/* safeMapToJValue: sorted keys; an empty map is left out. */
static int
compare_metrics(gconstpointer a, gconstpointer b)
{
    return strcmp(((const DuetMetric *)a)->name, ((const DuetMetric *)b)->name);
}

static void
add_metrics(JsonBuilder *builder, const char *name, const GArray *metrics)
{
    if (metrics == NULL || metrics->len == 0)
        return;
    g_autoptr(GArray) sorted = g_array_copy((GArray *)metrics);
    g_array_set_clear_func(sorted, NULL);
    g_array_sort(sorted, compare_metrics);
    json_builder_set_member_name(builder, name);
    json_builder_begin_object(builder);
    for (guint index = 0; index < sorted->len; index++) {
        const DuetMetric *metric = &g_array_index(sorted, DuetMetric, index);
        json_builder_set_member_name(builder, metric->name);
        json_builder_add_int_value(builder, metric->value);
    }
    json_builder_end_object(builder);
}

static void
add_int(JsonBuilder *builder, const char *name, gint64 value)
{
    json_builder_set_member_name(builder, name);
    json_builder_add_int_value(builder, value);
}

static void
add_string(JsonBuilder *builder, const char *name, const char *value)
{
    json_builder_set_member_name(builder, name);
    if (value)
        json_builder_add_string_value(builder, value);
    else
        json_builder_add_null_value(builder);
}

/* tryParse: an offset that is JSON is embedded as JSON, else as a string; null stays null. */
static void
add_offset(JsonBuilder *builder, const char *name, const char *offset)
{
    json_builder_set_member_name(builder, name);
    g_autoptr(JsonParser) parser = json_parser_new();
    if (offset != NULL && json_parser_load_from_data(parser, offset, -1, NULL) &&
        json_parser_get_root(parser) != NULL)
        json_builder_add_value(builder, json_node_copy(json_parser_get_root(parser)));
    else if (offset != NULL)
        json_builder_add_string_value(builder, offset);
    else
        json_builder_add_null_value(builder);
}

static void
add_state_operator(JsonBuilder *builder, const DuetStateOperatorProgress *op)
{
    json_builder_begin_object(builder);
    add_string(builder, "operatorName", op->operator_name);
    add_int(builder, "numRowsTotal", op->num_rows_total);
    add_int(builder, "numRowsUpdated", op->num_rows_updated);
    add_int(builder, "allUpdatesTimeMs", op->all_updates_time_ms);
    add_int(builder, "numRowsRemoved", op->num_rows_removed);
    add_int(builder, "allRemovalsTimeMs", op->all_removals_time_ms);
    add_int(builder, "commitTimeMs", op->commit_time_ms);
    add_int(builder, "memoryUsedBytes", op->memory_used_bytes);
    add_int(builder, "numRowsDroppedByWatermark", op->num_rows_dropped_by_watermark);
    add_int(builder, "numShufflePartitions", op->num_shuffle_partitions);
    add_int(builder, "numStateStoreInstances", op->num_state_store_instances);
    add_metrics(builder, "customMetrics", op->custom_metrics);
    json_builder_end_object(builder);
}

static void
add_source(JsonBuilder *builder, const DuetSourceProgress *source)
{
    json_builder_begin_object(builder);
    add_string(builder, "description", source->description);
    add_offset(builder, "startOffset", source->start_offset);
    add_offset(builder, "endOffset", source->end_offset);
    add_offset(builder, "latestOffset", source->latest_offset);
    add_int(builder, "numInputRows", source->num_input_rows);
    add_double(builder, "inputRowsPerSecond", source->input_rows_per_second);
    add_double(builder, "processedRowsPerSecond", source->processed_rows_per_second);
    json_builder_end_object(builder);
}

static JsonNode *
progress_tree(const DuetQueryProgress *progress)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    add_string(builder, "id", progress->id);
    add_string(builder, "runId", progress->run_id);
    add_string(builder, "name", progress->name);
    g_autofree char *timestamp = duet_format_iso_ms(progress->timestamp_ms);
    add_string(builder, "timestamp", timestamp);
    add_int(builder, "batchId", progress->batch_id);
    add_int(builder, "numInputRows", progress->num_input_rows);
    add_double(builder, "inputRowsPerSecond", progress->input_rows_per_second);
    add_double(builder, "processedRowsPerSecond", progress->processed_rows_per_second);
    add_metrics(builder, "durationMs", progress->duration_ms);
    if (progress->has_watermark) { /* sorted keys: avg, max, min, watermark */
        json_builder_set_member_name(builder, "eventTime");
        json_builder_begin_object(builder);
        if (progress->has_event_time) {
            g_autofree char *avg = duet_format_iso_ms(progress->event_time_avg_ms);
            g_autofree char *max = duet_format_iso_ms(progress->event_time_max_ms);
            g_autofree char *min = duet_format_iso_ms(progress->event_time_min_ms);
            add_string(builder, "avg", avg);
            add_string(builder, "max", max);
            add_string(builder, "min", min);
        }
        g_autofree char *watermark = duet_format_iso_ms(progress->watermark_ms);
        add_string(builder, "watermark", watermark);
        json_builder_end_object(builder);
    }
    json_builder_set_member_name(builder, "stateOperators");
    json_builder_begin_array(builder);
    for (guint index = 0; index < progress->state_operators->len; index++)
        add_state_operator(builder, progress->state_operators->pdata[index]);
    json_builder_end_array(builder);
    json_builder_set_member_name(builder, "sources");
    json_builder_begin_array(builder);
    for (guint index = 0; index < progress->sources->len; index++)
        add_source(builder, progress->sources->pdata[index]);
    json_builder_end_array(builder);
    json_builder_set_member_name(builder, "sink");
    json_builder_begin_object(builder);
    add_string(builder, "description", progress->sink_description);
    add_int(builder, "numOutputRows", progress->sink_num_output_rows);
    json_builder_end_object(builder);
    if (progress->observed_metrics && JSON_NODE_HOLDS_OBJECT(progress->observed_metrics) &&
        json_object_get_size(json_node_get_object(progress->observed_metrics)) > 0) {
        /* names sorted; each row keeps its schema's order */
        JsonObject *metrics = json_node_get_object(progress->observed_metrics);
        GList *names = g_list_sort(json_object_get_members(metrics), (GCompareFunc)strcmp);
        json_builder_set_member_name(builder, "observedMetrics");
        json_builder_begin_object(builder);
        for (GList *name = names; name; name = name->next) {
            json_builder_set_member_name(builder, name->data);
            json_builder_add_value(builder,
                                   json_node_copy(json_object_get_member(metrics, name->data)));
        }
        json_builder_end_object(builder);
        g_list_free(names);
    }
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

/* ---- printing as Jackson does ------------------------------------------------------------ */

static void
append_string(GString *out, const char *text)
{
    g_autoptr(JsonNode) node = json_node_init_string(json_node_alloc(), text);
    g_autofree char *quoted = json_to_string(node, FALSE);
    g_string_append(out, quoted);
}

static void
indent(GString *out, guint level)
{
    g_string_append_c(out, '\n');
    for (guint space = 0; space < level * 2; space++)
        g_string_append_c(out, ' ');
}

/* level: the number of objects around (arrays do not indent in Jackson's printer). */
static void
print_node(GString *out, JsonNode *node, gboolean pretty, guint level)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_NULL:
        g_string_append(out, "null");
        return;
    case JSON_NODE_VALUE: {
        GType type = json_node_get_value_type(node);
        if (type == G_TYPE_INT64)
            g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
        else if (type == G_TYPE_DOUBLE)
            duet_format_java_double(out, json_node_get_double(node));
        else if (type == G_TYPE_BOOLEAN)
            g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
        else
            append_string(out, json_node_get_string(node));
        return;
    }
    case JSON_NODE_ARRAY: {
        JsonArray *array = json_node_get_array(node);
        guint n = json_array_get_length(array);
        if (n == 0) {
            g_string_append(out, pretty ? "[ ]" : "[]");
            return;
        }
        g_string_append(out, pretty ? "[ " : "[");
        for (guint index = 0; index < n; index++) {
            if (index)
                g_string_append(out, pretty ? ", " : ",");
            print_node(out, json_array_get_element(array, index), pretty, level);
        }
        g_string_append(out, pretty ? " ]" : "]");
        return;
    }
    case JSON_NODE_OBJECT: {
        JsonObject *object = json_node_get_object(node);
        GList *names = json_object_get_members(object);
        if (names == NULL) {
            g_string_append(out, pretty ? "{ }" : "{}");
            return;
        }
        g_string_append_c(out, '{');
        for (GList *name = names; name; name = name->next) {
            if (name != names)
                g_string_append_c(out, ',');
            if (pretty)
                indent(out, level + 1);
            append_string(out, name->data);
            g_string_append(out, pretty ? " : " : ":");
            print_node(out, json_object_get_member(object, name->data), pretty, level + 1);
        }
        g_list_free(names);
        if (pretty)
            indent(out, level);
        g_string_append_c(out, '}');
        return;
    }
    }
}

static char *
print_tree(JsonNode *root, gboolean pretty)
{
    GString *out = g_string_new(NULL);
    print_node(out, root, pretty, 0);
    json_node_unref(root);
    return g_string_free(out, FALSE);
}

char *
duet_query_progress_json(const DuetQueryProgress *progress, gboolean pretty)
{
    return print_tree(progress_tree(progress), pretty);
}

char *
duet_query_status_json(const DuetQueryStatus *status, gboolean pretty)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    add_string(builder, "message", status->message);
    json_builder_set_member_name(builder, "isDataAvailable");
    json_builder_add_boolean_value(builder, status->is_data_available);
    json_builder_set_member_name(builder, "isTriggerActive");
    json_builder_add_boolean_value(builder, status->is_trigger_active);
    json_builder_end_object(builder);
    return print_tree(json_builder_get_root(builder), pretty);
}
