/* structured_conformance.c — replays Spark's Structured Streaming test vectors.
 *
 * Layer: compat/. Each case of ../shared/conformance/structured/cases.json describes a query
 * in a neutral step language and the actions of Spark's StreamTest harness. This file runs a
 * case by its kind: stream cases (structured_case_query.c builds the query,
 * structured_case_actions.c performs the harness's actions, structured_case_values.c compares
 * rows), batch queries, API errors, console text, ForeachWriter events, direct MemorySink
 * calls, function vectors and progress JSON.
 */
#include "compat/structured_case.h"
#include "compat/structured_functions.h"
#include "rdd/atomic_file.h"
#include "rdd/json_rows.h"
#include "structured/query.h"
#include "structured/sql_parser.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
run_batch_case(Case *c)
{
    JsonArray *steps = json_object_get_array_member(c->spec, "steps");
    for (guint index = 0; index < json_array_get_length(steps); index++) {
        JsonObject *action = json_array_get_object_element(steps, index);
        if (!g_str_equal(sc_string_member(action, "action", ""), "CollectBatch")) {
            sc_fail(c, "batch case action %s is not implemented",
                    sc_string_member(action, "action", ""));
            return;
        }
        GError *error = NULL;
        g_autoptr(DuetBatch) rows = duet_dataframe_collect(c->context, c->frame, &error);
        if (rows == NULL) {
            sc_fail(c, "collect failed: %s", error->message);
            g_error_free(error);
            return;
        }
        g_autoptr(GPtrArray) actual = g_ptr_array_new_with_free_func(g_free);
        sc_append_actual_rows(c, actual, rows);
        g_autoptr(GPtrArray) expected =
            sc_expected_rows(c, json_object_get_array_member(action, "rows"));
        gboolean ordered = json_object_has_member(action, "ordered") &&
                           json_object_get_boolean_member(action, "ordered");
        sc_compare_rows(c, "CollectBatch", expected, actual, ordered);
    }
}

static void
run_api_error_case(Case *c)
{
    JsonArray *steps = json_object_get_array_member(c->spec, "steps");
    for (guint index = 0; index < json_array_get_length(steps); index++) {
        JsonObject *action = json_array_get_object_element(steps, index);
        const char *call = sc_string_member(action, "call", "");
        /* name("arg", "arg") on the input DataFrame */
        g_autoptr(GRegex) pattern =
            g_regex_new("^(\\w+)\\(\"([^\"]*)\"(?:, *\"([^\"]*)\")?\\)$", 0, 0, NULL);
        g_autoptr(GMatchInfo) match = NULL;
        if (!g_regex_match(pattern, call, 0, &match)) {
            sc_fail(c, "cannot read the call %s", call);
            return;
        }
        g_autofree char *method = g_match_info_fetch(match, 1);
        g_autofree char *first = g_match_info_fetch(match, 2);
        g_autofree char *second = g_match_info_fetch(match, 3);
        GError *error = NULL;
        g_autoptr(DuetDataFrame) result = NULL;
        if (g_str_equal(method, "withWatermark"))
            result = duet_dataframe_with_watermark(c->frame, first, second, &error);
        else {
            sc_fail(c, "the call %s is not implemented", method);
            return;
        }
        if (result != NULL) {
            sc_fail(c, "%s succeeded, Spark throws", call);
            return;
        }
        sc_message_matches(c, action, error->message);
        g_error_free(error);
    }
}

static void
run_stream_case(Case *c)
{
    JsonArray *steps = json_object_get_array_member(c->spec, "steps");
    guint n = json_array_get_length(steps);
    gboolean started_manually = FALSE;
    for (guint index = 0; index < n; index++) {
        const char *name =
            sc_string_member(json_array_get_object_element(steps, index), "action", "");
        if (g_str_equal(name, "StartStream"))
            started_manually = TRUE;
        if (sc_needs_running_stream(name) || started_manually)
            break;
    }
    GError *error = NULL;
    if (!started_manually && !sc_start_stream(c, NULL, &error)) {
        const char *first =
            n ? sc_string_member(json_array_get_object_element(steps, 0), "action", "") : "";
        if (g_str_equal(first, "ExpectStartError"))
            sc_message_matches(c, json_array_get_object_element(steps, 0), error->message);
        else
            sc_fail(c, "starting the query failed: %s", error->message);
        g_error_free(error);
        return;
    }
    for (guint index = 0; index < n && c->failure->len == 0; index++)
        sc_run_action(c, json_array_get_object_element(steps, index),
                      index + 1 < n ? json_array_get_object_element(steps, index + 1) : NULL);
}

static void
append_console(const char *text, gpointer user_data)
{
    Case *c = user_data;
    g_mutex_lock(&c->lock);
    g_string_append(c->console, text);
    g_mutex_unlock(&c->lock);
}

/* Console options are case-insensitive, as Spark's. */
static const char *
option_ci(JsonObject *options, const char *name)
{
    g_autoptr(GList) names = options ? json_object_get_members(options) : NULL;
    for (GList *item = names; item; item = item->next)
        if (g_ascii_strcasecmp(item->data, name) == 0)
            return json_object_get_string_member(options, item->data);
    return NULL;
}

static gint
console_num_rows(JsonObject *options)
{
    const char *text = option_ci(options, "numRows");
    return text ? (gint)g_ascii_strtoll(text, NULL, 10) : 20;
}

static gboolean
console_truncate(JsonObject *options)
{
    const char *text = option_ci(options, "truncate");
    return text == NULL || g_ascii_strcasecmp(text, "false") != 0;
}

/* The error a case's ForeachWriter.process throws: the Close event it expects. */
static char *
expected_process_error(JsonObject *spec)
{
    JsonArray *steps = json_object_get_array_member(spec, "steps");
    for (guint index = 0; index < json_array_get_length(steps); index++) {
        JsonObject *action = json_array_get_object_element(steps, index);
        if (!g_str_equal(sc_string_member(action, "action", ""), "CheckForeachEvents") ||
            !JSON_NODE_HOLDS_ARRAY(json_object_get_member(action, "expect")))
            continue;
        JsonArray *sequences = json_object_get_array_member(action, "expect");
        for (guint at = 0; at < json_array_get_length(sequences); at++) {
            JsonArray *events = json_array_get_array_element(sequences, at);
            for (guint event = 0; event < json_array_get_length(events); event++) {
                JsonArray *item = json_array_get_array_element(events, event);
                if (g_str_equal(json_array_get_string_element(item, 0), "Close") &&
                    !json_array_get_null_element(item, 1))
                    return g_strdup(json_array_get_string_element(item, 1));
            }
        }
    }
    return NULL;
}

static gint64
iso_ms(const char *text)
{
    g_autoptr(GDateTime) time = text ? g_date_time_new_from_iso8601(text, NULL) : NULL;
    return time ? g_date_time_to_unix(time) * 1000 + g_date_time_get_microsecond(time) / 1000 : 0;
}

static gdouble
double_member(JsonObject *object, const char *name)
{
    if (!json_object_has_member(object, name))
        return NAN;
    JsonNode *node = json_object_get_member(object, name);
    if (json_node_get_value_type(node) == G_TYPE_STRING) {
        const char *text = json_node_get_string(node);
        return g_str_equal(text, "NaN")         ? NAN
               : g_str_equal(text, "+Infinity") ? INFINITY
               : g_str_equal(text, "-Infinity") ? -INFINITY
                                                : g_ascii_strtod(text, NULL);
    }
    return json_node_get_double(node);
}

static GArray *
metrics_member(JsonObject *object, const char *name, GArray *into)
{
    JsonObject *map =
        json_object_has_member(object, name) ? json_object_get_object_member(object, name) : NULL;
    g_autoptr(GList) names = map ? json_object_get_members(map) : NULL;
    for (GList *item = names; item; item = item->next)
        duet_metrics_add(into, item->data, json_object_get_int_member(map, item->data));
    return into;
}

/* Spark's StreamingQueryProgress / StreamingQueryStatus built from the suite's values, and
 * their prettyJson compared with the suite's text. */
static void
run_progress_json_case(Case *c)
{
    JsonObject *fields = json_object_get_object_member(c->spec, "progress");
    g_autofree char *text = NULL;
    if (json_object_has_member(fields, "message")) {
        DuetQueryStatus status = {(char *)sc_string_member(fields, "message", ""),
                                  json_object_get_boolean_member(fields, "isDataAvailable"),
                                  json_object_get_boolean_member(fields, "isTriggerActive")};
        text = duet_query_status_json(&status, TRUE);
    } else {
        g_autoptr(DuetQueryProgress) progress = duet_query_progress_new();
        progress->id = g_strdup(sc_string_member(fields, "id", NULL));
        progress->run_id = g_strdup(sc_string_member(fields, "runId", NULL));
        progress->name = g_strdup(sc_string_member(fields, "name", NULL));
        progress->timestamp_ms = iso_ms(sc_string_member(fields, "timestamp", NULL));
        progress->batch_id = json_object_get_int_member(fields, "batchId");
        metrics_member(fields, "durationMs", progress->duration_ms);
        JsonObject *event_time = json_object_has_member(fields, "eventTime")
                                     ? json_object_get_object_member(fields, "eventTime")
                                     : NULL;
        if (event_time && json_object_has_member(event_time, "watermark")) {
            progress->has_watermark = TRUE;
            progress->watermark_ms = iso_ms(sc_string_member(event_time, "watermark", NULL));
            progress->has_event_time = json_object_has_member(event_time, "max");
            progress->event_time_max_ms = iso_ms(sc_string_member(event_time, "max", NULL));
            progress->event_time_min_ms = iso_ms(sc_string_member(event_time, "min", NULL));
            progress->event_time_avg_ms = iso_ms(sc_string_member(event_time, "avg", NULL));
        }
        JsonArray *operators = json_object_get_array_member(fields, "stateOperators");
        for (guint index = 0; operators && index < json_array_get_length(operators); index++) {
            JsonObject *spec = json_array_get_object_element(operators, index);
            DuetStateOperatorProgress *op =
                duet_state_operator_progress_new(sc_string_member(spec, "operatorName", ""));
            op->num_rows_total = json_object_get_int_member(spec, "numRowsTotal");
            op->num_rows_updated = json_object_get_int_member(spec, "numRowsUpdated");
            op->all_updates_time_ms = json_object_get_int_member(spec, "allUpdatesTimeMs");
            op->num_rows_removed = json_object_get_int_member(spec, "numRowsRemoved");
            op->all_removals_time_ms = json_object_get_int_member(spec, "allRemovalsTimeMs");
            op->commit_time_ms = json_object_get_int_member(spec, "commitTimeMs");
            op->memory_used_bytes = json_object_get_int_member(spec, "memoryUsedBytes");
            op->num_rows_dropped_by_watermark =
                json_object_get_int_member(spec, "numRowsDroppedByWatermark");
            op->num_shuffle_partitions = json_object_get_int_member(spec, "numShufflePartitions");
            op->num_state_store_instances =
                json_object_get_int_member(spec, "numStateStoreInstances");
            metrics_member(spec, "customMetrics", op->custom_metrics);
            g_ptr_array_add(progress->state_operators, op);
        }
        JsonArray *sources = json_object_get_array_member(fields, "sources");
        for (guint index = 0; sources && index < json_array_get_length(sources); index++) {
            JsonObject *spec = json_array_get_object_element(sources, index);
            DuetSourceProgress *source =
                duet_source_progress_new(sc_string_member(spec, "description", ""));
            source->start_offset = g_strdup(sc_string_member(spec, "startOffset", NULL));
            source->end_offset = g_strdup(sc_string_member(spec, "endOffset", NULL));
            source->latest_offset = g_strdup(sc_string_member(spec, "latestOffset", NULL));
            source->num_input_rows = json_object_get_int_member(spec, "numInputRows");
            source->input_rows_per_second = double_member(spec, "inputRowsPerSecond");
            source->processed_rows_per_second = double_member(spec, "processedRowsPerSecond");
            /* Spark's top-level numbers are the sums over sources */
            progress->num_input_rows += source->num_input_rows;
            progress->input_rows_per_second =
                (index ? progress->input_rows_per_second : 0) + source->input_rows_per_second;
            progress->processed_rows_per_second =
                (index ? progress->processed_rows_per_second : 0) +
                source->processed_rows_per_second;
            g_ptr_array_add(progress->sources, source);
        }
        if (sources == NULL || json_array_get_length(sources) == 0)
            progress->input_rows_per_second = progress->processed_rows_per_second = NAN;
        JsonObject *sink = json_object_get_object_member(fields, "sink");
        progress->sink_description = g_strdup(sc_string_member(sink, "description", ""));
        progress->sink_num_output_rows = json_object_get_int_member(sink, "numOutputRows");
        if (json_object_has_member(fields, "observedMetrics"))
            progress->observed_metrics =
                json_node_copy(json_object_get_member(fields, "observedMetrics"));
        text = duet_query_progress_json(progress, TRUE);
    }
    const char *expected = sc_string_member(c->spec, "expected_text", "");
    if (!g_str_equal(text, expected))
        sc_fail(c, "JSON differs:\n--- expected\n%s\n--- got\n%s", expected, text);
}

static void
run_function_case(Case *c)
{
    const char *function = sc_string_member(c->spec, "function", "");
    JsonArray *vectors = json_object_get_array_member(c->spec, "vectors");
    if (!g_str_has_prefix(function, "RateStreamProvider.valueAtSecond")) {
        sc_fail(c, "the function %s is not known to the runner", function);
        return;
    }
    for (guint index = 0; index < json_array_get_length(vectors); index++) {
        JsonObject *vector = json_array_get_object_element(vectors, index);
        JsonArray *args = json_object_get_array_member(vector, "args");
        gint64 got = duet_rate_source_value_at_second(json_array_get_int_element(args, 0),
                                                      json_array_get_int_element(args, 1),
                                                      json_array_get_int_element(args, 2));
        sc_check_int(c, function, json_object_get_int_member(vector, "result"), got);
    }
}

/* Direct calls on Spark's MemorySink. */
static void
run_sink_unit_case(Case *c)
{
    JsonArray *steps = json_object_get_array_member(c->spec, "steps");
    g_autoptr(DuetSink) sink = NULL;
    for (guint index = 0; index < json_array_get_length(steps) && c->failure->len == 0; index++) {
        JsonObject *action = json_array_get_object_element(steps, index);
        const char *name = sc_string_member(action, "action", "");
        GError *error = NULL;
        if (g_str_equal(name, "SinkAddBatch")) {
            JsonArray *rows = json_object_get_array_member(action, "rows");
            if (sink == NULL) {
                g_autoptr(DuetDataType) type =
                    json_array_get_length(rows)
                        ? duet_json_infer_type(json_array_get_element(rows, 0))
                        : duet_data_type_new_scalar(DUET_TYPE_INT32);
                g_autoptr(DuetSchema) schema = duet_schema_new();
                duet_schema_add_field(schema, "value", type, TRUE);
                sink = duet_memory_sink_new(schema);
            }
            g_autoptr(DuetBatch) batch =
                duet_json_rows_to_batch(duet_sink_schema(sink), rows, &error);
            GPtrArray *partitions = batch ? duet_sink_partitions_of(batch) : NULL;
            if (batch == NULL ||
                !duet_sink_add_batch(sink, json_object_get_int_member(action, "batchId"),
                                     partitions, DUET_OUTPUT_MODE_APPEND, &error))
                sc_fail(c, "SinkAddBatch: %s", error->message);
            g_clear_error(&error);
            if (partitions)
                g_ptr_array_unref(partitions);
        } else if (g_str_equal(name, "SinkAssert")) {
            gint64 latest = sink ? duet_sink_latest_batch_id(sink) : -1;
            gint64 expected = json_object_get_null_member(action, "latestBatchId")
                                  ? -1
                                  : json_object_get_int_member(action, "latestBatchId");
            sc_check_int(c, "latestBatchId", expected, latest);
            static const char *const members[] = {"latestBatchData", "allData"};
            for (guint kind = 0; kind < 2; kind++) {
                g_autoptr(GPtrArray) actual = g_ptr_array_new_with_free_func(g_free);
                if (sink) {
                    g_autoptr(DuetBatch) rows = kind ? duet_memory_sink_all_data(sink)
                                                     : duet_memory_sink_latest_batch_data(sink);
                    if (rows)
                        sc_append_actual_rows(c, actual, rows);
                }
                g_autoptr(GPtrArray) wanted =
                    sc_expected_rows(c, json_object_get_array_member(action, members[kind]));
                sc_compare_rows(c, members[kind], wanted, actual, TRUE);
            }
        } else {
            sc_fail(c, "sink_unit action %s is not implemented", name);
        }
    }
}

static void
recorded_batch_clear(RecordedBatch *batch)
{
    duet_batch_unref(batch->rows);
}

/* --dump-json: the batches the sink received (rows as canonical JSON arrays, in the order the
 * sink got them), the console text and the first failure. */
static void
dump_result(Case *c)
{
    JsonObject *result = json_object_new();
    json_object_set_string_member(result, "api", "structured");
    JsonArray *batches = json_array_new();
    g_mutex_lock(&c->lock);
    for (guint index = 0; index < c->batches->len; index++) {
        RecordedBatch *recorded = &g_array_index(c->batches, RecordedBatch, index);
        g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
        sc_append_actual_rows(c, texts, recorded->rows);
        JsonArray *rows = json_array_new();
        for (guint row = 0; row < texts->len; row++)
            json_array_add_element(rows, json_from_string(texts->pdata[row], NULL));
        JsonObject *batch = json_object_new();
        json_object_set_int_member(batch, "batch_id", recorded->batch_id);
        json_object_set_array_member(batch, "rows", rows);
        json_array_add_object_element(batches, batch);
    }
    if (c->console->len)
        json_object_set_string_member(result, "console", c->console->str);
    g_mutex_unlock(&c->lock);
    json_object_set_array_member(result, "batches", batches);
    if (c->failure->len)
        json_object_set_string_member(result, "failure", c->failure->str);
    duet_conformance_dump(json_object_get_string_member(c->spec, "id"), result);
}

static void
run_case(JsonObject *spec, GString *failure)
{
    Case c = {.spec = spec, .failure = failure};
    const char *kind = sc_string_member(spec, "kind", "stream");
    if (g_str_equal(kind, "function")) {
        run_function_case(&c);
        return;
    }
    if (g_str_equal(kind, "sink_unit")) {
        run_sink_unit_case(&c);
        return;
    }
    if (g_str_equal(kind, "progress_json")) {
        run_progress_json_case(&c);
        return;
    }
    GError *error = NULL;
    /* Spark's test session: local[2], a failed task fails the job */
    c.context = duet_context_new("local[2,1]", &error);
    duet_context_set_conf(c.context, "spark.sql.shuffle.partitions", "5");
    if (json_object_has_member(spec, "confs")) {
        JsonObject *confs = json_object_get_object_member(spec, "confs");
        g_autoptr(GList) names = json_object_get_members(confs);
        for (GList *name = names; name; name = name->next)
            duet_context_set_conf(c.context, name->data,
                                  json_object_get_string_member(confs, name->data));
    }
    c.inputs =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)duet_source_unref);
    c.batches = g_array_new(FALSE, FALSE, sizeof(RecordedBatch));
    g_array_set_clear_func(c.batches, (GDestroyNotify)recorded_batch_clear);
    c.progress = g_ptr_array_new_with_free_func((GDestroyNotify)duet_query_progress_free);
    c.seen_progress = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_mutex_init(&c.lock);
    c.console = g_string_new(NULL);
    c.writers = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    const char *mode = sc_string_member(spec, "output_mode", "append");
    c.mode = g_str_equal(mode, "complete") ? DUET_OUTPUT_MODE_COMPLETE
             : g_str_equal(mode, "update") ? DUET_OUTPUT_MODE_UPDATE
                                           : DUET_OUTPUT_MODE_APPEND;
    c.checkpoint = g_dir_make_tmp("duet-conformance-XXXXXX", NULL);
    c.old_checkpoints = g_ptr_array_new_with_free_func(g_free);
    c.socket_listener = c.socket_client = -1;
    if (!sc_setup_inputs(&c, &error)) {
        sc_fail(&c, "%s", error->message);
        g_clear_error(&error);
    } else {
        JsonObject *query = json_object_get_object_member(spec, "query");
        c.frame =
            sc_build_steps(&c, NULL, json_object_get_array_member(query, "steps"), &c.build_error);
        if (c.frame == NULL && c.build_error == NULL) /* no steps: the input itself */
            c.frame = sc_input_frame(&c, NULL, &c.build_error);
        if (g_str_equal(kind, "api_error")) {
            g_clear_pointer(&c.frame, duet_dataframe_unref);
            g_clear_error(&c.build_error);
            c.frame = sc_input_frame(&c, json_object_new(), &c.build_error);
            if (c.frame)
                run_api_error_case(&c);
        } else if (c.frame == NULL && !g_str_equal(kind, "stream_error")) {
            sc_fail(&c, "building the query failed: %s", c.build_error->message);
        } else if (g_str_equal(kind, "batch")) {
            run_batch_case(&c);
        } else {
            g_autoptr(DuetSchema) empty = duet_schema_new();
            DuetSchema *schema = c.frame ? duet_dataframe_schema(c.frame) : empty;
            if (g_str_equal(kind, "console")) {
                JsonObject *options = json_object_has_member(spec, "sink_options")
                                          ? json_object_get_object_member(spec, "sink_options")
                                          : NULL;
                c.sink = duet_console_sink_new(schema, console_num_rows(options),
                                               console_truncate(options), append_console, &c);
            } else if (g_str_equal(kind, "foreach")) {
                c.process_error = expected_process_error(spec);
                c.sink = duet_foreach_sink_new(schema, &sc_recording_writer, &c);
            } else {
                c.sink = duet_foreach_batch_sink_new(schema, sc_record_batch, &c);
            }
            c.timestamps_as_ms =
                strstr(sc_string_member(spec, "row_encoding", ""), "epoch milli") != NULL;
            run_stream_case(&c);
            sc_stop_stream(&c);
            if (g_str_equal(kind, "console") && c.failure->len == 0 &&
                !g_str_equal(c.console->str, sc_string_member(spec, "expected_stdout", "")))
                sc_fail(&c, "console output differs:\n--- expected\n%s--- got\n%s",
                        sc_string_member(spec, "expected_stdout", ""), c.console->str);
        }
    }
    sc_stop_stream(&c);
    dump_result(&c);
    g_clear_error(&c.build_error);
    if (c.sink)
        duet_sink_unref(c.sink);
    if (c.frame)
        duet_dataframe_unref(c.frame);
    g_array_unref(c.batches);
    g_string_free(c.console, TRUE);
    g_ptr_array_unref(c.writers);
    g_free(c.process_error);
    g_ptr_array_unref(c.progress);
    g_hash_table_unref(c.seen_progress);
    g_hash_table_unref(c.inputs);
    g_free(c.first_input);
    if (c.checkpoint) {
        duet_remove_tree(c.checkpoint);
        g_free(c.checkpoint);
    }
    for (guint index = 0; index < c.old_checkpoints->len; index++)
        duet_remove_tree(c.old_checkpoints->pdata[index]);
    g_ptr_array_unref(c.old_checkpoints);
    if (c.socket_client >= 0)
        close(c.socket_client);
    if (c.socket_listener >= 0)
        close(c.socket_listener);
    if (c.socket_source)
        duet_source_unref(c.socket_source);
    if (c.manual_clock)
        duet_clock_unref(c.manual_clock);
    g_mutex_clear(&c.lock);
    duet_context_unref(c.context);
}

int
duet_structured_conformance_run(JsonArray *cases, const char *only, GHashTable *known_failures,
                                guint *passed, guint *failed)
{
    duet_structured_register_case_functions();
    for (guint index = 0; index < json_array_get_length(cases); index++) {
        JsonObject *spec = json_array_get_object_element(cases, index);
        const char *id = json_object_get_string_member(spec, "id");
        if (only != NULL && !g_str_has_prefix(id, only))
            continue;
        GString *failure = g_string_new(NULL);
        run_case(spec, failure);
        const char *reason = known_failures ? g_hash_table_lookup(known_failures, id) : NULL;
        if (failure->len == 0 && reason == NULL) {
            printf("PASS %s\n", id);
            (*passed)++;
        } else if (failure->len == 0) {
            printf("FAIL %s: passes now; remove it from the known failures\n", id);
            (*failed)++;
        } else if (reason != NULL) {
            printf("PASS %s (known failure: %s)\n", id, reason);
            (*passed)++;
        } else {
            printf("FAIL %s: %s\n", id, failure->str);
            (*failed)++;
        }
        fflush(stdout);
        g_string_free(failure, TRUE);
    }
    return 0;
}
