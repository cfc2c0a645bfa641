/* structured_case_actions.c — the actions of Spark's StreamTest harness on a running query.
 *
 * Layer: compat/. Starting and stopping (one checkpoint for the whole case), adding data,
 * waiting as the harness waits (processAllAvailable, or the manual clock), checking answers
 * against the batches the sink recorded, state metrics and event-time statistics from the
 * progress of every batch, and the ForeachWriter that records open/process/close events.
 */
#include "compat/structured_case.h"
#include "compat/structured_functions.h"
#include "rdd/json_rows.h"
#include "structured/sql_parser.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

gboolean
sc_record_batch(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
{
    Case *c = user_data;
    RecordedBatch recorded = {batch_id, duet_batch_ref(rows)};
    g_mutex_lock(&c->lock);
    g_array_append_val(c->batches, recorded);
    g_mutex_unlock(&c->lock);
    return TRUE;
}

/* Collects new progress of the running query into c->progress. */
static void
sync_progress(Case *c)
{
    if (c->query == NULL)
        return;
    g_autoptr(GPtrArray) recent = duet_streaming_query_recent_progress(c->query);
    for (guint index = 0; index < recent->len; index++) {
        DuetQueryProgress *progress = recent->pdata[index];
        char *key = g_strdup_printf("%s/%" G_GINT64_FORMAT, progress->run_id, progress->batch_id);
        if (g_hash_table_contains(c->seen_progress, key)) {
            g_free(key);
            continue;
        }
        g_hash_table_add(c->seen_progress, key);
        g_ptr_array_add(c->progress, g_steal_pointer(&recent->pdata[index]));
    }
}

gboolean
sc_message_matches(Case *c, JsonObject *action, const char *message)
{
    gboolean ci = json_object_has_member(action, "message_contains_ci");
    const char *member = ci ? "message_contains_ci" : "message_contains";
    if (!json_object_has_member(action, member))
        return TRUE;
    g_autofree char *lower = g_utf8_strdown(message, -1);
    JsonArray *parts = json_object_get_array_member(action, member);
    for (guint index = 0; index < json_array_get_length(parts); index++) {
        const char *part = json_array_get_string_element(parts, index);
        g_autofree char *part_lower = g_utf8_strdown(part, -1);
        if (ci ? strstr(lower, part_lower) == NULL : strstr(message, part) == NULL) {
            sc_fail(c, "the error \"%s\" does not contain \"%s\"", message, part);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
sc_start_stream(Case *c, JsonObject *action, GError **error)
{
    if (c->build_error != NULL) {
        g_propagate_error(error, g_error_copy(c->build_error));
        return FALSE;
    }
    DuetTrigger trigger = {DUET_TRIGGER_DEFAULT, 0};
    JsonObject *spec = action && json_object_has_member(action, "trigger")
                           ? json_object_get_object_member(action, "trigger")
                           : NULL;
    const char *type = sc_string_member(spec, "type", "default");
    if (g_str_equal(type, "ProcessingTime")) {
        trigger.kind = DUET_TRIGGER_PROCESSING_TIME;
        trigger.interval_ms = json_object_get_int_member(spec, "interval_ms");
    } else if (g_str_equal(type, "Once")) {
        trigger.kind = DUET_TRIGGER_ONCE;
    } else if (g_str_equal(type, "AvailableNow")) {
        trigger.kind = DUET_TRIGGER_AVAILABLE_NOW;
    }
    if (action && g_strcmp0(sc_string_member(action, "clock", NULL), "manual") == 0) {
        gint64 start = json_object_has_member(action, "clock_start_ms")
                           ? json_object_get_int_member(action, "clock_start_ms")
                           : 0;
        if (c->manual_clock == NULL) {
            c->manual_clock = duet_clock_new_manual(start);
            duet_context_set_clock(c->context, c->manual_clock);
        }
        c->manual_trigger = TRUE;
    }
    if (action && json_object_has_member(action, "confs")) {
        JsonObject *confs = json_object_get_object_member(action, "confs");
        g_autoptr(GList) names = json_object_get_members(confs);
        for (GList *name = names; name; name = name->next)
            duet_context_set_conf(c->context, name->data,
                                  json_object_get_string_member(confs, name->data));
    }
    c->query = duet_streaming_query_start(c->context, c->frame, c->sink, c->mode, c->checkpoint,
                                          &trigger, NULL, error);
    return c->query != NULL;
}

void
sc_stop_stream(Case *c)
{
    if (c->query == NULL)
        return;
    duet_streaming_query_stop(c->query);
    sync_progress(c);
    g_clear_pointer(&c->query, duet_streaming_query_unref);
}

/* The harness's wait before a check: everything added is processed. A failure of the query
 * fails the case when report_failure (an ExpectFailure may be next otherwise). */
static void
wait_until_processed(Case *c, gboolean report_failure)
{
    if (c->query == NULL)
        return;
    GError *error = NULL;
    if (c->manual_trigger) {
        /* Spark's harness waits until the stream blocks on the manual clock at its time */
        duet_streaming_query_await_waiting_at(c->query, duet_clock_now_ms(c->manual_clock), 30000);
    } else if (!duet_streaming_query_process_all_available(c->query, &error)) {
        if (report_failure)
            sc_fail(c, "the query failed: %s", error->message);
        g_error_free(error);
    }
    sync_progress(c);
}

static void
wait_processed(Case *c)
{
    wait_until_processed(c, TRUE);
}

static GPtrArray *
rows_of_batches(Case *c, guint from, gboolean last_only)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
    g_mutex_lock(&c->lock);
    guint start = last_only ? (c->batches->len ? c->batches->len - 1 : 0) : from;
    for (guint index = start; index < c->batches->len; index++)
        sc_append_actual_rows(c, rows, g_array_index(c->batches, RecordedBatch, index).rows);
    g_mutex_unlock(&c->lock);
    return rows;
}

static const DuetQueryProgress *
last_progress(Case *c, gboolean with_input)
{
    for (guint index = c->progress->len; index > 0; index--) {
        const DuetQueryProgress *progress = c->progress->pdata[index - 1];
        if (!with_input || progress->num_input_rows > 0)
            return progress;
    }
    return NULL;
}

static const DuetStateOperatorProgress *
operator_of(const DuetQueryProgress *progress, guint index)
{
    return progress && progress->state_operators->len > index
               ? progress->state_operators->pdata[index]
               : NULL;
}

static void
assert_num_state_rows(Case *c, JsonObject *action)
{
    const DuetQueryProgress *latest = last_progress(c, FALSE);
    JsonArray *total = json_object_get_array_member(action, "total");
    for (guint index = 0; index < json_array_get_length(total); index++) {
        const DuetStateOperatorProgress *op = operator_of(latest, index);
        sc_check_int(c, "numRowsTotal", json_array_get_int_element(total, index),
                     op ? op->num_rows_total : -1);
    }
    static const char *const sums[] = {"updated", "droppedByWatermark", "removed"};
    for (guint kind = 0; kind < G_N_ELEMENTS(sums); kind++) {
        if (!json_object_has_member(action, sums[kind]))
            continue;
        JsonArray *expected = json_object_get_array_member(action, sums[kind]);
        for (guint index = 0; index < json_array_get_length(expected); index++) {
            gint64 sum = 0;
            for (guint at = c->state_rows_from; at < c->progress->len; at++) {
                const DuetStateOperatorProgress *op = operator_of(c->progress->pdata[at], index);
                if (op)
                    sum += kind == 0   ? op->num_rows_updated
                           : kind == 1 ? op->num_rows_dropped_by_watermark
                                       : op->num_rows_removed;
            }
            g_autofree char *what = g_strdup_printf("%s[%u]", sums[kind], index);
            sc_check_int(c, what, json_array_get_int_element(expected, index), sum);
        }
    }
    c->state_rows_from = c->progress->len;
}

static void
assert_event_stats(Case *c, JsonObject *action)
{
    JsonObject *expect = json_object_get_object_member(action, "expect");
    const DuetQueryProgress *progress = last_progress(c, TRUE);
    if (json_object_get_size(expect) == 0) {
        if (progress && progress->has_watermark)
            sc_fail(c, "eventTime: expected an empty map, the query reports a watermark");
        return;
    }
    if (progress == NULL || !progress->has_event_time) {
        sc_fail(c, "eventTime: no progress with input and event times");
        return;
    }
    const struct {
        const char *name;
        gint64 ms;
    } fields[] = {{"min", progress->event_time_min_ms},
                  {"max", progress->event_time_max_ms},
                  {"avg", progress->event_time_avg_ms},
                  {"watermark", progress->watermark_ms}};
    for (guint index = 0; index < G_N_ELEMENTS(fields); index++) {
        const char *want = sc_string_member(expect, fields[index].name, NULL);
        g_autofree char *got = sc_iso_time(fields[index].ms);
        if (want && !g_str_equal(want, got))
            sc_fail(c, "eventTime.%s: expected %s, got %s", fields[index].name, want, got);
    }
}

/* What a suite does inside an assertion: "sink.clear" (Spark's MemorySink.clear: the batches
 * are forgotten, and with them the latest batch id), "commitLog.purge(N)" (commit entries
 * below N deleted), "clock.advance(MS)". */
static void
run_side_effects(Case *c, JsonArray *effects)
{
    for (guint index = 0; index < json_array_get_length(effects); index++) {
        const char *effect = json_array_get_string_element(effects, index);
        gint64 number = 0;
        const char *open = strchr(effect, '(');
        if (open)
            number = g_ascii_strtoll(open + 1, NULL, 10);
        if (g_str_equal(effect, "sink.clear")) {
            g_mutex_lock(&c->lock);
            g_array_set_size(c->batches, 0);
            c->new_answer_from = 0;
            g_mutex_unlock(&c->lock);
            DuetSchema *schema = duet_sink_schema(c->sink);
            DuetSink *fresh = duet_foreach_batch_sink_new(schema, sc_record_batch, c);
            duet_sink_unref(c->sink);
            c->sink = fresh;
        } else if (g_str_has_prefix(effect, "commitLog.purge(")) {
            for (gint64 batch = 0; batch < number; batch++) {
                g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT, batch);
                g_autofree char *path = g_build_filename(c->checkpoint, "commits", name, NULL);
                g_unlink(path);
            }
        } else if (g_str_has_prefix(effect, "clock.advance(") && c->manual_clock) {
            duet_clock_advance_ms(c->manual_clock, number);
        } else {
            sc_fail(c, "the side effect %s is not implemented", effect);
        }
    }
}

/* The largest batch id with a file in the checkpoint's log, or -1. */
static gint64
latest_log_entry(Case *c, const char *log)
{
    g_autofree char *directory = g_build_filename(c->checkpoint, log, NULL);
    GDir *dir = g_dir_open(directory, 0, NULL);
    gint64 latest = -1;
    const char *entry;
    while (dir && (entry = g_dir_read_name(dir)) != NULL) {
        char *end = NULL;
        gint64 batch = g_ascii_strtoll(entry, &end, 10);
        if (end != entry && *end == '\0')
            latest = MAX(latest, batch);
    }
    if (dir)
        g_dir_close(dir);
    return latest;
}

/* A field of the progress JSON by path ("numInputRows", "sink.numOutputRows",
 * "stateOperators[0].numRowsTotal"), compared with the expected JSON value. */
static void
check_progress_field(Case *c, const DuetQueryProgress *progress, const char *path,
                     JsonNode *expected)
{
    if (progress == NULL) {
        sc_fail(c, "lastProgress.%s: the query has no progress", path);
        return;
    }
    g_autofree char *json = duet_query_progress_json(progress, FALSE);
    g_autoptr(JsonParser) parser = json_parser_new();
    json_parser_load_from_data(parser, json, -1, NULL);
    JsonNode *node = json_parser_get_root(parser);
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    for (char **part = parts; node && *part; part++) {
        char *bracket = strchr(*part, '[');
        gint64 index = bracket ? g_ascii_strtoll(bracket + 1, NULL, 10) : -1;
        if (bracket)
            *bracket = '\0';
        node = JSON_NODE_HOLDS_OBJECT(node) &&
                       json_object_has_member(json_node_get_object(node), *part)
                   ? json_object_get_member(json_node_get_object(node), *part)
                   : NULL;
        if (node && index >= 0)
            node = JSON_NODE_HOLDS_ARRAY(node) &&
                           index < json_array_get_length(json_node_get_array(node))
                       ? json_array_get_element(json_node_get_array(node), (guint)index)
                       : NULL;
    }
    g_autofree char *want = sc_canonical_node(expected);
    g_autofree char *got = node ? sc_canonical_node(node) : g_strdup("(absent)");
    if (!g_str_equal(want, got))
        sc_fail(c, "lastProgress.%s: expected %s, got %s", path, want, got);
}

static void
assert_on_query(Case *c, JsonObject *action)
{
    JsonObject *check = json_object_has_member(action, "check")
                            ? json_object_get_object_member(action, "check")
                            : NULL;
    if (check == NULL)
        return; /* an assertion the suite itself documents as always true */
    if (json_object_has_member(check, "side_effects")) {
        run_side_effects(c, json_object_get_array_member(check, "side_effects"));
        return;
    }
    g_autoptr(GList) names = json_object_get_members(check);
    const DuetQueryProgress *latest = last_progress(c, FALSE);
    for (GList *item = names; item; item = item->next) {
        const char *name = item->data;
        if (g_str_equal(name, "state_save.count")) {
            sc_check_int(c, name, json_object_get_int_member(check, name),
                         latest ? latest->state_operators->len : 0);
        } else if (g_str_has_prefix(name, "state_save.")) {
            const DuetStateOperatorProgress *op = operator_of(latest, 0);
            const char *metric = name + strlen("state_save.");
            gint64 value = !op                                          ? -1
                           : g_str_equal(metric, "numOutputRows")       ? op->num_output_rows
                           : g_str_equal(metric, "numUpdatedStateRows") ? op->num_rows_updated
                           : g_str_equal(metric, "numTotalStateRows")   ? op->num_rows_total
                                                                        : -2;
            sc_check_int(c, name, json_object_get_int_member(check, name), value);
        } else if (g_str_equal(name, "clock_ms") && c->manual_clock) {
            sc_check_int(c, name, json_object_get_int_member(check, name),
                         duet_clock_now_ms(c->manual_clock));
        } else if (g_str_equal(name, "offsetLog.latest") || g_str_equal(name, "commitLog.latest")) {
            sc_check_int(
                c, name, json_object_get_int_member(check, name),
                latest_log_entry(c, g_str_has_prefix(name, "offset") ? "offsets" : "commits"));
        } else if (g_str_equal(name, "sink.latestBatchId")) {
            g_mutex_lock(&c->lock);
            gint64 last =
                c->batches->len
                    ? g_array_index(c->batches, RecordedBatch, c->batches->len - 1).batch_id
                    : -1;
            g_mutex_unlock(&c->lock);
            sc_check_int(c, name, json_object_get_int_member(check, name), last);
        } else if (g_str_equal(name, "lastExecution.batchId")) {
            sc_check_int(c, name, json_object_get_int_member(check, name),
                         latest ? latest->batch_id : -1);
        } else if (g_str_has_prefix(name, "lastProgress.") ||
                   g_str_has_prefix(name, "lastExecutedBatch.")) {
            check_progress_field(c, latest, strchr(name, '.') + 1,
                                 json_object_get_member(check, name));
        } else {
            sc_fail(c, "AssertOnQuery check '%s' is not implemented", name);
        }
    }
}

static void
add_data(Case *c, const char *name, JsonArray *rows)
{
    DuetSource *source = g_hash_table_lookup(c->inputs, name ? name : c->first_input);
    if (source == NULL) {
        sc_fail(c, "AddData to unknown input %s", name);
        return;
    }
    GError *error = NULL;
    g_autoptr(DuetBatch) batch = duet_json_rows_to_batch(duet_source_schema(source), rows, &error);
    if (batch == NULL) {
        sc_fail(c, "AddData: %s", error->message);
        g_error_free(error);
        return;
    }
    duet_memory_source_add(source, batch);
}

typedef struct {
    Case *c;
    GPtrArray *events; /* of the writer instance in use on this thread */
} WriterThread;

static GPrivate current_events;

static gboolean
writer_open(guint partition, gint64 epoch, gpointer user_data)
{
    Case *c = user_data;
    GPtrArray *events = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(events,
                    g_strdup_printf("[\"Open\",%u,%" G_GINT64_FORMAT "]", partition, epoch));
    g_mutex_lock(&c->lock);
    g_ptr_array_add(c->writers, events);
    g_mutex_unlock(&c->lock);
    g_private_set(&current_events, events);
    return TRUE;
}

static gboolean
writer_process(const DuetRow *row, char **message, gpointer user_data)
{
    Case *c = user_data;
    GPtrArray *events = g_private_get(&current_events);
    GString *value = g_string_new(NULL);
    DuetValue cell;
    duet_row_get_value(row, 0, &cell);
    duet_json_append_value(value, &cell);
    g_mutex_lock(&c->lock);
    g_ptr_array_add(events, g_strdup_printf("[\"Process\",%s]", value->str));
    g_mutex_unlock(&c->lock);
    g_string_free(value, TRUE);
    if (c->process_error != NULL) {
        *message = g_strdup(c->process_error);
        return FALSE;
    }
    return TRUE;
}

static void
writer_close(const char *error, gpointer user_data)
{
    Case *c = user_data;
    GPtrArray *events = g_private_get(&current_events);
    GString *text = g_string_new("[\"Close\",");
    if (error == NULL) {
        g_string_append(text, "null]");
    } else {
        g_autoptr(JsonNode) node = json_node_init_string(json_node_alloc(), error);
        g_autofree char *quoted = json_to_string(node, FALSE);
        g_string_append_printf(text, "%s]", quoted);
    }
    g_mutex_lock(&c->lock);
    g_ptr_array_add(events, g_string_free(text, FALSE));
    g_mutex_unlock(&c->lock);
}

const DuetForeachWriter sc_recording_writer = {writer_open, writer_process, writer_close};

static char *
sequence_text(GPtrArray *events)
{
    GString *out = g_string_new("[");
    for (guint index = 0; index < events->len; index++) {
        g_autofree char *event = sc_canonical_text(events->pdata[index]);
        g_string_append_printf(out, "%s%s", index ? "," : "", event);
    }
    g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}

/* Spark's ForeachWriterSuite checks: "exact" (every writer's events, in order of epoch and
 * partition), "exact_prefix" (the expected writers come first), "per_partition_sets"
 * (number of writers, their first and last events as sets, processed values as a multiset). */
static void
check_foreach_events(Case *c, JsonObject *action)
{
    const char *compare = sc_string_member(action, "compare", "exact");
    JsonNode *expect = json_object_get_member(action, "expect");
    g_autoptr(GPtrArray) sequences = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) firsts = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) lasts = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
    g_mutex_lock(&c->lock);
    for (guint index = 0; index < c->writers->len; index++) {
        GPtrArray *events = c->writers->pdata[index];
        g_ptr_array_add(sequences, sequence_text(events));
        if (events->len == 0)
            continue;
        g_ptr_array_add(firsts, sc_canonical_text(events->pdata[0]));
        g_ptr_array_add(lasts, sc_canonical_text(events->pdata[events->len - 1]));
        for (guint at = 0; at < events->len; at++)
            if (g_str_has_prefix(events->pdata[at], "[\"Process\","))
                g_ptr_array_add(values, sc_canonical_text((char *)events->pdata[at] + 11));
    }
    g_mutex_unlock(&c->lock);
    if (g_str_equal(compare, "per_partition_sets")) {
        JsonObject *object = json_node_get_object(expect);
        sc_check_int(c, "number of writers", json_object_get_int_member(object, "num_sequences"),
                     sequences->len);
        static const char *const members[] = {"first_events", "last_events", "process_values"};
        GPtrArray *actuals[] = {firsts, lasts, values};
        for (guint kind = 0; kind < G_N_ELEMENTS(members); kind++) {
            JsonArray *wanted = json_object_get_array_member(object, members[kind]);
            g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
            for (guint index = 0; index < json_array_get_length(wanted); index++) {
                char *text = sc_canonical_node(json_array_get_element(wanted, index));
                if (kind == 2) { /* a value: strip to the bare value, as actual ones are */
                    g_ptr_array_add(expected, text);
                } else {
                    g_ptr_array_add(expected, text);
                }
            }
            g_autoptr(GPtrArray) actual = g_ptr_array_new_with_free_func(g_free);
            for (guint index = 0; index < actuals[kind]->len; index++) {
                char *text = g_strdup(actuals[kind]->pdata[index]);
                if (kind == 2 && g_str_has_suffix(text, "]"))
                    text[strlen(text) - 1] = '\0'; /* "[\"Process\",v]" minus its head */
                g_ptr_array_add(actual, text);
            }
            sc_compare_rows(c, members[kind], expected, actual, FALSE);
        }
        return;
    }
    JsonArray *wanted = json_node_get_array(expect);
    g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
    for (guint index = 0; index < json_array_get_length(wanted); index++)
        g_ptr_array_add(expected, sc_canonical_node(json_array_get_element(wanted, index)));
    g_ptr_array_sort(sequences, sc_compare_strings);
    g_ptr_array_sort(expected, sc_compare_strings);
    if (g_str_equal(compare, "exact_prefix") && sequences->len > expected->len)
        g_ptr_array_set_size(sequences, (gint)expected->len);
    sc_compare_rows(c, "foreach events", expected, sequences, TRUE);
}

gboolean
sc_needs_running_stream(const char *action)
{
    return !g_str_equal(action, "AddData") && !g_str_equal(action, "MultiAddData") &&
           !g_str_equal(action, "StartStream") && !g_str_equal(action, "StopStream");
}

/* NewQuery: the query rebuilt over fresh memory streams of the same schemas, pre-loaded with
 * preload (blocks of rows: an array of blocks for the first input, or an object of input name
 * to blocks), so that their offsets match the checkpoint's. */
static void
new_query(Case *c, JsonNode *preload)
{
    sc_stop_stream(c);
    GHashTableIter iter;
    gpointer name, source;
    GHashTable *fresh =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)duet_source_unref);
    g_hash_table_iter_init(&iter, c->inputs);
    while (g_hash_table_iter_next(&iter, &name, &source)) {
        if (!g_str_equal(duet_source_format(source), "memory")) {
            g_hash_table_insert(fresh, g_strdup(name), duet_source_ref(source));
            continue;
        }
        DuetSource *copy = duet_memory_source_new(duet_source_schema(source));
        JsonArray *blocks = NULL;
        if (preload && JSON_NODE_HOLDS_ARRAY(preload) && g_str_equal(name, c->first_input))
            blocks = json_node_get_array(preload);
        else if (preload && JSON_NODE_HOLDS_OBJECT(preload) &&
                 json_object_has_member(json_node_get_object(preload), name))
            blocks = json_object_get_array_member(json_node_get_object(preload), name);
        for (guint index = 0; blocks && index < json_array_get_length(blocks); index++) {
            GError *error = NULL;
            g_autoptr(DuetBatch) rows = duet_json_rows_to_batch(
                duet_source_schema(copy), json_array_get_array_element(blocks, index), &error);
            if (rows == NULL) {
                sc_fail(c, "NewQuery preload: %s", error->message);
                g_error_free(error);
                break;
            }
            duet_memory_source_add(copy, rows);
        }
        g_hash_table_insert(fresh, g_strdup(name), copy);
    }
    g_hash_table_unref(c->inputs);
    c->inputs = fresh;
    JsonObject *query = json_object_get_object_member(c->spec, "query");
    g_clear_pointer(&c->frame, duet_dataframe_unref);
    g_clear_error(&c->build_error);
    c->frame =
        sc_build_steps(c, NULL, json_object_get_array_member(query, "steps"), &c->build_error);
}

void
sc_run_action(Case *c, JsonObject *action, JsonObject *next)
{
    const char *name = json_object_get_string_member(action, "action");
    GError *error = NULL;
    if (g_str_equal(name, "AddData")) {
        add_data(c, sc_string_member(action, "source", NULL),
                 json_object_get_array_member(action, "rows"));
        /* the harness's usual batch boundary: one batch per AddData */
        if (c->query && !c->manual_trigger)
            wait_until_processed(c, FALSE);
    } else if (g_str_equal(name, "MultiAddData")) {
        /* atomically, as Spark's StreamTest does under the stream's progress lock: a trigger
         * between two of the adds would split them over two batches */
        JsonArray *adds = json_object_get_array_member(action, "adds");
        if (c->query)
            duet_streaming_query_lock_progress(c->query);
        for (guint index = 0; index < json_array_get_length(adds); index++) {
            JsonObject *add = json_array_get_object_element(adds, index);
            add_data(c, sc_string_member(add, "source", NULL),
                     json_object_get_array_member(add, "rows"));
        }
        if (c->query)
            duet_streaming_query_unlock_progress(c->query);
    } else if (g_str_equal(name, "StartStream")) {
        sc_stop_stream(c);
        const char *checkpoint = sc_string_member(action, "checkpoint", "same");
        if (!g_str_equal(checkpoint, "same")) { /* a checkpoint of its own from now on */
            g_ptr_array_add(c->old_checkpoints, c->checkpoint);
            c->checkpoint = g_dir_make_tmp("duet-conformance-XXXXXX", NULL);
        }
        if (sc_start_stream(c, action, &error)) {
            /* Data added while the stream was stopped is the first batch after the start, on
             * its own: without this wait, whether an AddData right after the start joins that
             * batch would depend on thread timing (Spark's harness leaves it open; a
             * deterministic replay, and tests/reference's comparison with Spark, must not) */
            const char *type =
                action && json_object_has_member(action, "trigger")
                    ? sc_string_member(json_object_get_object_member(action, "trigger"), "type",
                                       "default")
                    : "default";
            if (g_str_equal(type, "default") && !c->manual_trigger)
                wait_until_processed(c, FALSE);
        } else {
            const char *next_name = next ? sc_string_member(next, "action", "") : "";
            if (!g_str_equal(next_name, "ExpectStartError"))
                sc_fail(c, "StartStream failed: %s", error->message);
            else
                sc_message_matches(c, next, error->message);
            g_error_free(error);
        }
    } else if (g_str_equal(name, "ExpectStartError")) {
        if (c->query != NULL)
            sc_fail(c, "the query started, but Spark refuses it");
    } else if (g_str_equal(name, "StopStream")) {
        sc_stop_stream(c);
    } else if (g_str_equal(name, "CheckAnswer") || g_str_equal(name, "CheckLastBatch") ||
               g_str_equal(name, "CheckNewAnswer")) {
        wait_processed(c);
        gboolean last = g_str_equal(name, "CheckLastBatch") ||
                        (g_str_equal(name, "CheckAnswer") && c->mode == DUET_OUTPUT_MODE_COMPLETE);
        guint from = g_str_equal(name, "CheckNewAnswer") ? c->new_answer_from : 0;
        g_autoptr(GPtrArray) actual = rows_of_batches(c, from, last);
        g_autoptr(GPtrArray) expected =
            sc_expected_rows(c, json_object_get_array_member(action, "rows"));
        gboolean sorted = json_object_has_member(action, "isSorted") &&
                          json_object_get_boolean_member(action, "isSorted");
        sc_compare_rows(c, name, expected, actual, sorted);
        g_mutex_lock(&c->lock);
        c->new_answer_from = c->batches->len;
        g_mutex_unlock(&c->lock);
    } else if (g_str_equal(name, "AddSocketData")) {
        JsonArray *lines = json_object_get_array_member(action, "lines");
        if (!sc_socket_accept(c)) {
            sc_fail(c, "AddSocketData: the socket source did not connect");
            return;
        }
        GString *text = g_string_new(NULL);
        for (guint index = 0; index < json_array_get_length(lines); index++)
            g_string_append_printf(text, "%s\n", json_array_get_string_element(lines, index));
        if (write(c->socket_client, text->str, text->len) != (gssize)text->len)
            sc_fail(c, "AddSocketData: the write failed: %s", g_strerror(errno));
        g_string_free(text, TRUE);
        c->socket_lines += json_array_get_length(lines);
        if (!duet_socket_source_wait_lines(c->socket_source, c->socket_lines, 30000))
            sc_fail(c, "AddSocketData: the source did not receive the lines");
        if (c->query && !c->manual_trigger)
            wait_until_processed(c, FALSE);
    } else if (g_str_equal(name, "WaitForBatch")) {
        gint64 wanted = json_object_get_int_member(action, "batchId");
        gint64 deadline = g_get_monotonic_time() + 30 * G_TIME_SPAN_SECOND;
        const DuetQueryProgress *latest = NULL;
        while (c->query && g_get_monotonic_time() < deadline) {
            sync_progress(c);
            latest = last_progress(c, FALSE);
            if (latest && latest->batch_id >= wanted)
                break;
            g_usleep(1000); /* waiting (with a deadline) for the query's own thread */
        }
        if (latest == NULL || latest->batch_id < wanted)
            sc_fail(c, "WaitForBatch: batch %" G_GINT64_FORMAT " never ran", wanted);
    } else if (g_str_equal(name, "WaitUntilBatchProcessed")) {
        if (c->query && c->manual_clock)
            duet_streaming_query_await_waiting_at(c->query, duet_clock_now_ms(c->manual_clock),
                                                  30000);
        sync_progress(c);
    } else if (g_str_equal(name, "NewQuery")) {
        new_query(c, json_object_get_member(action, "preload"));
    } else if (g_str_equal(name, "ProcessAllAvailable")) {
        wait_processed(c);
    } else if (g_str_equal(name, "AdvanceManualClock")) {
        if (c->manual_clock == NULL || c->query == NULL) {
            sc_fail(c, "AdvanceManualClock without a running query on a manual clock");
            return;
        }
        gint64 now = duet_clock_now_ms(c->manual_clock);
        duet_streaming_query_await_waiting_at(c->query, now, 30000);
        duet_clock_advance_ms(c->manual_clock, json_object_get_int_member(action, "ms"));
        duet_streaming_query_await_waiting_at(c->query, duet_clock_now_ms(c->manual_clock), 30000);
        sync_progress(c);
    } else if (g_str_equal(name, "AwaitTermination") || g_str_equal(name, "ExpectFailure")) {
        gboolean ended =
            c->query && duet_streaming_query_await_termination(c->query, 60000, &error);
        sync_progress(c);
        if (!ended)
            sc_fail(c, "%s: the query did not end", name);
        else if (g_str_equal(name, "ExpectFailure") && error == NULL)
            sc_fail(c, "ExpectFailure: the query ended without an error");
        else if (g_str_equal(name, "ExpectFailure"))
            sc_message_matches(c, action, error->message);
        else if (error != NULL)
            sc_fail(c, "the query failed: %s", error->message);
        g_clear_error(&error);
        g_clear_pointer(&c->query, duet_streaming_query_unref);
    } else if (g_str_equal(name, "AssertNumStateRows")) {
        wait_processed(c);
        assert_num_state_rows(c, action);
    } else if (g_str_equal(name, "AssertNumStateRowsTotal")) {
        wait_processed(c);
        const DuetStateOperatorProgress *op = operator_of(last_progress(c, FALSE), 0);
        sc_check_int(c, name, json_object_get_int_member(action, "value"),
                     op ? op->num_rows_total : -1);
    } else if (g_str_equal(name, "AssertNumRowsDroppedByWatermark")) {
        wait_processed(c);
        const DuetStateOperatorProgress *op = operator_of(last_progress(c, TRUE), 0);
        sc_check_int(c, name, json_object_get_int_member(action, "value"),
                     op ? op->num_rows_dropped_by_watermark : -1);
    } else if (g_str_equal(name, "AssertCustomMetric")) {
        /* Spark's assertStateOperatorCustomMetric reads the last progress with input */
        wait_processed(c);
        const DuetStateOperatorProgress *op = operator_of(last_progress(c, TRUE), 0);
        const char *metric = sc_string_member(action, "name", "");
        gint64 value = op ? duet_state_operator_progress_metric(op, metric, G_MININT64) : -1;
        if (value == G_MININT64)
            sc_fail(c, "the operator reports no custom metric %s", metric);
        else
            sc_check_int(c, metric, json_object_get_int_member(action, "value"), value);
    } else if (g_str_equal(name, "AssertEventStats")) {
        wait_processed(c);
        assert_event_stats(c, action);
    } else if (g_str_equal(name, "CheckWatermark")) {
        add_data(c, sc_string_member(action, "source", NULL),
                 json_object_get_array_member(action, "adds"));
        wait_processed(c);
        const DuetQueryProgress *latest = last_progress(c, FALSE);
        g_autofree char *got = latest ? sc_iso_time(latest->watermark_ms) : g_strdup("(none)");
        if (!g_str_equal(got, sc_string_member(action, "expect", "")))
            sc_fail(c, "CheckWatermark: expected %s, got %s",
                    sc_string_member(action, "expect", ""), got);
    } else if (g_str_equal(name, "AdvanceRateManualClock")) {
        if (c->manual_clock == NULL) {
            sc_fail(c, "AdvanceRateManualClock without a rate source on a manual clock");
            return;
        }
        duet_clock_advance_ms(c->manual_clock,
                              json_object_get_int_member(action, "seconds") * 1000);
        wait_processed(c);
    } else if (g_str_equal(name, "CheckForeachEvents")) {
        wait_processed(c);
        check_foreach_events(c, action);
    } else if (g_str_equal(name, "ClearForeachEvents")) {
        g_mutex_lock(&c->lock);
        g_ptr_array_set_size(c->writers, 0);
        g_mutex_unlock(&c->lock);
    } else if (g_str_equal(name, "CheckBatchRecord")) {
        wait_processed(c);
        gint64 batch_id = json_object_get_int_member(action, "batchId");
        g_autoptr(GPtrArray) actual = g_ptr_array_new_with_free_func(g_free);
        g_mutex_lock(&c->lock);
        for (guint index = 0; index < c->batches->len; index++) {
            RecordedBatch *batch = &g_array_index(c->batches, RecordedBatch, index);
            if (batch->batch_id == batch_id)
                sc_append_actual_rows(c, actual, batch->rows);
        }
        g_mutex_unlock(&c->lock);
        g_autoptr(GPtrArray) expected =
            sc_expected_rows(c, json_object_get_array_member(action, "rows"));
        sc_compare_rows(c, name, expected, actual, FALSE);
    } else if (g_str_equal(name, "WatermarkAfterData")) {
        /* the suite's helper: add to `first` and `second` (when not empty), process; add 0 to
         * the first input as a dummy batch and process; the watermark that batch used */
        JsonArray *first = json_object_get_array_member(action, "first");
        JsonArray *second = json_object_get_array_member(action, "second");
        JsonArray *inputs = json_object_get_array_member(c->spec, "inputs");
        const char *first_name =
            json_object_get_string_member(json_array_get_object_element(inputs, 0), "name");
        const char *second_name =
            json_object_get_string_member(json_array_get_object_element(inputs, 1), "name");
        if (json_array_get_length(first))
            add_data(c, first_name, first);
        if (json_array_get_length(second))
            add_data(c, second_name, second);
        wait_processed(c);
        g_autoptr(JsonArray) zero = json_array_new();
        json_array_add_int_element(zero, 0);
        add_data(c, first_name, zero);
        wait_processed(c);
        const DuetQueryProgress *latest = last_progress(c, FALSE);
        sc_check_int(c, name, json_object_get_int_member(action, "expect_ms"),
                     latest ? latest->watermark_ms : -1);
    } else if (g_str_equal(name, "AssertOnQuery")) {
        wait_processed(c);
        assert_on_query(c, action);
    } else {
        sc_fail(c, "the action %s is not implemented", name);
    }
}
