/* structured_conformance.c — replays Spark's Structured Streaming test vectors.
 *
 * Layer: compat/. Each case of ../shared/conformance/structured/cases.json describes a query
 * in a neutral step language and the actions of Spark's StreamTest harness; this file builds
 * the query with the public structured/ API over memory sources, records every batch the sink
 * receives (as Spark's harness sink does: by batch id, re-runs ignored), and performs the
 * actions with the harness's semantics (see the cases' README): implicit start, waiting with
 * processAllAvailable (or for the manual clock), restarts from one checkpoint, answers
 * compared as multisets, state metrics from the progress of each batch.
 */
#include "compat/conformance.h"
#include "compat/structured_functions.h"
#include "rdd/json_rows.h"
#include "structured/query.h"
#include "structured/sql_parser.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    gint64 batch_id;
    DuetBatch *rows;
} RecordedBatch;

typedef struct {
    JsonObject *spec;
    DuetContext *context;
    DuetClock *manual_clock; /* the context's clock when a case needs a manual one */
    gboolean manual_trigger; /* a StartStream asked for the manual trigger clock */
    GHashTable *inputs;      /* name -> DuetSource (memory) */
    char *first_input;
    char *checkpoint;
    DuetOutputMode mode;
    DuetDataFrame *frame;
    GError *build_error; /* building the query failed: reported at start */
    DuetSink *sink;
    DuetStreamingQuery *query;
    GMutex lock;
    GArray *batches;           /* RecordedBatch, guarded by lock */
    guint new_answer_from;     /* first batch index not yet seen by CheckNewAnswer */
    GPtrArray *progress;       /* DuetQueryProgress*, every batch of every run */
    GHashTable *seen_progress; /* "runId/batchId" */
    guint state_rows_from;     /* first progress index for AssertNumStateRows sums */
    gboolean timestamps_as_ms; /* row_encoding: timestamps as epoch milliseconds */
    GString *console;          /* what a console sink printed */
    GPtrArray *writers;        /* foreach: GPtrArray of event texts per writer instance */
    char *process_error;       /* foreach: the error process() throws, if the case expects one */
    GString *failure;
} Case;

static void fail(Case *c, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
fail(Case *c, const char *format, ...)
{
    if (c->failure->len)
        return;
    va_list args;
    va_start(args, format);
    g_string_append_vprintf(c->failure, format, args);
    va_end(args);
}

/* ---- values ---------------------------------------------------------------------------------- */

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

static char *
canonical_text(const char *json)
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
static GPtrArray *
expected_rows(Case *c, JsonArray *rows)
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
static void
append_actual_rows(Case *c, GPtrArray *out, DuetBatch *batch)
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
        g_ptr_array_add(out, canonical_text(json->str));
        g_string_free(json, TRUE);
    }
}

static int
compare_strings(gconstpointer a, gconstpointer b)
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
static void
compare_rows(Case *c, const char *what, GPtrArray *expected, GPtrArray *actual, gboolean sorted)
{
    if (!sorted) {
        g_ptr_array_sort(expected, compare_strings);
        g_ptr_array_sort(actual, compare_strings);
    }
    gboolean equal = expected->len == actual->len;
    for (guint index = 0; equal && index < expected->len; index++)
        equal = g_str_equal(expected->pdata[index], actual->pdata[index]);
    if (!equal) {
        g_autofree char *want = join_rows(expected);
        g_autofree char *got = join_rows(actual);
        fail(c, "%s: expected %s, got %s", what, want, got);
    }
}

/* ---- the query ------------------------------------------------------------------------------- */

static DuetSchema *
schema_of_columns(JsonArray *columns, GError **error)
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

static const char *
string_member(JsonObject *object, const char *member, const char *fallback)
{
    return object && json_object_has_member(object, member)
               ? json_object_get_string_member(object, member)
               : fallback;
}

/* The strings of an array member, as a NULL-terminated vector. */
static GStrv
strings_member(JsonObject *object, const char *member)
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

static DuetDataFrame *build_steps(Case *c, DuetDataFrame *frame, JsonArray *steps, GError **error);

static DuetDataFrame *
input_frame(Case *c, JsonObject *step, GError **error)
{
    const char *name = string_member(step, "input", c->first_input);
    DuetSource *source = name ? g_hash_table_lookup(c->inputs, name) : NULL;
    if (source == NULL) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED, "no input named %s",
                    name ? name : "(none)");
        return NULL;
    }
    return duet_dataframe_from_source(source);
}

/* A side of a union or join: a sub-pipeline, or the name of a static table. */
static DuetDataFrame *
side_frame(Case *c, DuetDataFrame *current, JsonObject *step, const char *member, GError **error)
{
    if (!json_object_has_member(step, member))
        return current ? duet_dataframe_ref(current) : input_frame(c, step, error);
    JsonNode *node = json_object_get_member(step, member);
    if (JSON_NODE_HOLDS_ARRAY(node))
        return build_steps(c, NULL, json_node_get_array(node), error);
    const char *name = json_node_get_string(node);
    DuetSource *source = name ? g_hash_table_lookup(c->inputs, name) : NULL;
    JsonObject *tables = json_object_has_member(c->spec, "static_tables")
                             ? json_object_get_object_member(c->spec, "static_tables")
                             : NULL;
    if (source == NULL || tables == NULL || !json_object_has_member(tables, name)) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED, "no static table named %s",
                    name ? name : "(none)");
        return NULL;
    }
    g_autoptr(DuetDataFrame) table = duet_dataframe_from_static_source(source);
    JsonObject *spec = json_object_get_object_member(tables, name);
    if (!json_object_has_member(spec, "steps"))
        return g_steal_pointer(&table);
    return build_steps(c, table, json_object_get_array_member(spec, "steps"), error);
}

static DuetDataFrame *
apply_union(Case *c, DuetDataFrame *frame, JsonObject *step, GError **error)
{
    g_autoptr(DuetDataFrame) left = side_frame(c, frame, step, "left", error);
    g_autoptr(DuetDataFrame) right = left ? side_frame(c, NULL, step, "right", error) : NULL;
    return right ? duet_dataframe_union(left, right, error) : NULL;
}

static DuetDataFrame *
apply_join(Case *c, DuetDataFrame *frame, JsonObject *step, GError **error)
{
    g_autoptr(DuetDataFrame) left = side_frame(c, frame, step, "left", error);
    g_autoptr(DuetDataFrame) right = left ? side_frame(c, NULL, step, "right", error) : NULL;
    if (right == NULL)
        return NULL;
    if (!json_object_has_member(step, "using")) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                    "duet: joins on conditions other than USING columns are not supported yet");
        return NULL;
    }
    g_auto(GStrv) columns = strings_member(step, "using");
    return duet_dataframe_join(left, right, (const char *const *)columns, g_strv_length(columns),
                               string_member(step, "type", "inner"), error);
}

static DuetDataFrame *
apply_step(Case *c, DuetDataFrame *frame, DuetGroupedData **grouped, JsonObject *step,
           GError **error)
{
    const char *op = json_object_get_string_member(step, "op");
    if (g_str_equal(op, "union") || g_str_equal(op, "join"))
        return g_str_equal(op, "union") ? apply_union(c, frame, step, error)
                                        : apply_join(c, frame, step, error);
    if (g_str_equal(op, "toDF") || g_str_equal(op, "toDS")) {
        DuetDataFrame *input = frame && !json_object_has_member(step, "input")
                                   ? duet_dataframe_ref(frame)
                                   : input_frame(c, step, error);
        if (input == NULL || !json_object_has_member(step, "cols"))
            return input;
        g_auto(GStrv) names = strings_member(step, "cols");
        DuetDataFrame *renamed =
            duet_dataframe_to_df(input, (const char *const *)names, g_strv_length(names), error);
        duet_dataframe_unref(input);
        return renamed;
    }
    g_autoptr(DuetDataFrame) implicit = NULL;
    if (frame == NULL) {
        /* a query over the (first) input itself, as the suites' static DataFrames are */
        implicit = input_frame(c, step, error);
        if (implicit == NULL)
            return NULL;
        frame = implicit;
    }
    if (g_str_equal(op, "select") || g_str_equal(op, "selectExpr")) {
        g_auto(GStrv) exprs = strings_member(step, "exprs");
        return duet_dataframe_select_exprv(frame, (const char *const *)exprs, g_strv_length(exprs),
                                           error);
    }
    if (g_str_equal(op, "withColumn")) {
        g_autoptr(DuetExpr) expr =
            duet_sql_parse_expression(json_object_get_string_member(step, "expr"), error);
        return expr ? duet_dataframe_with_column(frame, json_object_get_string_member(step, "name"),
                                                 expr, error)
                    : NULL;
    }
    if (g_str_equal(op, "where") || g_str_equal(op, "filter"))
        return duet_dataframe_where(frame, json_object_get_string_member(step, "expr"), error);
    if (g_str_equal(op, "withWatermark"))
        return duet_dataframe_with_watermark(frame, json_object_get_string_member(step, "col"),
                                             json_object_get_string_member(step, "delay"), error);
    if (g_str_equal(op, "groupBy")) {
        g_auto(GStrv) cols = strings_member(step, "cols");
        duet_grouped_data_free(*grouped);
        *grouped = duet_dataframe_group_by_exprv(frame, (const char *const *)cols,
                                                 g_strv_length(cols), error);
        return *grouped ? duet_dataframe_ref(frame) : NULL;
    }
    if (g_str_equal(op, "agg") || g_str_equal(op, "count")) {
        if (*grouped == NULL) /* Dataset.agg(...): a global aggregation */
            *grouped = duet_dataframe_group_by(frame, NULL, 0);
        g_auto(GStrv) exprs = strings_member(step, "exprs");
        DuetDataFrame *result =
            g_str_equal(op, "count")
                ? duet_grouped_data_count(*grouped, error)
                : duet_grouped_data_agg_exprv(*grouped, (const char *const *)exprs,
                                              g_strv_length(exprs), error);
        g_clear_pointer(grouped, duet_grouped_data_free);
        return result;
    }
    if (g_str_equal(op, "dropDuplicates") || g_str_equal(op, "dropDuplicatesWithinWatermark")) {
        g_auto(GStrv) cols = strings_member(step, "cols");
        return g_str_equal(op, "dropDuplicates")
                   ? duet_dataframe_drop_duplicates(frame, (const char *const *)cols,
                                                    g_strv_length(cols), error)
                   : duet_dataframe_drop_duplicates_within_watermark(
                         frame, (const char *const *)cols, g_strv_length(cols), error);
    }
    if (g_str_equal(op, "orderBy") || g_str_equal(op, "sort")) {
        g_auto(GStrv) cols = strings_member(step, "cols");
        return duet_dataframe_order_by(frame, (const char *const *)cols, g_strv_length(cols),
                                       error);
    }
    if (g_str_equal(op, "limit"))
        return duet_dataframe_limit(frame, json_object_get_int_member(step, "n"));
    if (g_str_equal(op, "repartition") || g_str_equal(op, "coalesce"))
        return duet_dataframe_repartition(frame, (guint)json_object_get_int_member(step, "n"),
                                          g_str_equal(op, "repartition"));
    if (g_str_equal(op, "map") || g_str_equal(op, "flatMap"))
        return duet_structured_named_map(frame, string_member(step, "named", NULL),
                                         string_member(step, "f", "?"), error);
    if (g_str_equal(op, "union"))
        return apply_union(c, frame, step, error);
    if (g_str_equal(op, "join"))
        return apply_join(c, frame, step, error);
    if (g_str_equal(op, "createOrReplaceTempView") || g_str_equal(op, "sql")) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                    "duet: SQL over temporary views is not implemented yet");
        return NULL;
    }
    g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                "duet: the query step '%s' is not implemented yet (it needs %s)", op,
                g_str_equal(op, "union") || g_str_equal(op, "join") ? "queries over several sources"
                                                                    : "its operator");
    return NULL;
}

static DuetDataFrame *
build_steps(Case *c, DuetDataFrame *frame, JsonArray *steps, GError **error)
{
    DuetDataFrame *current = frame ? duet_dataframe_ref(frame) : NULL;
    DuetGroupedData *grouped = NULL;
    for (guint index = 0; index < json_array_get_length(steps) && (current || index == 0);
         index++) {
        DuetDataFrame *next =
            apply_step(c, current, &grouped, json_array_get_object_element(steps, index), error);
        if (current)
            duet_dataframe_unref(current);
        current = next;
    }
    if (current == NULL && frame == NULL && json_array_get_length(steps) > 0 && error &&
        *error == NULL)
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED, "empty query");
    duet_grouped_data_free(grouped);
    return current;
}

/* ---- the sink ---------------------------------------------------------------------------------
 */

static gboolean
record_batch(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
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

/* ---- actions ----------------------------------------------------------------------------------
 */

static gboolean
message_matches(Case *c, JsonObject *action, const char *message)
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
            fail(c, "the error \"%s\" does not contain \"%s\"", message, part);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
start_stream(Case *c, JsonObject *action, GError **error)
{
    if (c->build_error != NULL) {
        g_propagate_error(error, g_error_copy(c->build_error));
        return FALSE;
    }
    DuetTrigger trigger = {DUET_TRIGGER_DEFAULT, 0};
    JsonObject *spec = action && json_object_has_member(action, "trigger")
                           ? json_object_get_object_member(action, "trigger")
                           : NULL;
    const char *type = string_member(spec, "type", "default");
    if (g_str_equal(type, "ProcessingTime")) {
        trigger.kind = DUET_TRIGGER_PROCESSING_TIME;
        trigger.interval_ms = json_object_get_int_member(spec, "interval_ms");
    } else if (g_str_equal(type, "Once")) {
        trigger.kind = DUET_TRIGGER_ONCE;
    } else if (g_str_equal(type, "AvailableNow")) {
        trigger.kind = DUET_TRIGGER_AVAILABLE_NOW;
    }
    if (action && g_strcmp0(string_member(action, "clock", NULL), "manual") == 0) {
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

static void
stop_stream(Case *c)
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
            fail(c, "the query failed: %s", error->message);
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
        append_actual_rows(c, rows, g_array_index(c->batches, RecordedBatch, index).rows);
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
check_int(Case *c, const char *what, gint64 expected, gint64 actual)
{
    if (expected != actual)
        fail(c, "%s: expected %" G_GINT64_FORMAT ", got %" G_GINT64_FORMAT, what, expected, actual);
}

static char *
iso_time(gint64 ms)
{
    g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(ms / 1000);
    g_autofree char *seconds = g_date_time_format(time, "%Y-%m-%dT%H:%M:%S");
    return g_strdup_printf("%s.%03dZ", seconds, (int)(ms % 1000));
}

static void
assert_num_state_rows(Case *c, JsonObject *action)
{
    const DuetQueryProgress *latest = last_progress(c, FALSE);
    JsonArray *total = json_object_get_array_member(action, "total");
    for (guint index = 0; index < json_array_get_length(total); index++) {
        const DuetStateOperatorProgress *op = operator_of(latest, index);
        check_int(c, "numRowsTotal", json_array_get_int_element(total, index),
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
            check_int(c, what, json_array_get_int_element(expected, index), sum);
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
            fail(c, "eventTime: expected an empty map, the query reports a watermark");
        return;
    }
    if (progress == NULL || !progress->has_event_time) {
        fail(c, "eventTime: no progress with input and event times");
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
        const char *want = string_member(expect, fields[index].name, NULL);
        g_autofree char *got = iso_time(fields[index].ms);
        if (want && !g_str_equal(want, got))
            fail(c, "eventTime.%s: expected %s, got %s", fields[index].name, want, got);
    }
}

static gboolean record_batch(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error);

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
            DuetSink *fresh = duet_foreach_batch_sink_new(schema, record_batch, c);
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
            fail(c, "the side effect %s is not implemented", effect);
        }
    }
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
            check_int(c, name, json_object_get_int_member(check, name),
                      latest ? latest->state_operators->len : 0);
        } else if (g_str_has_prefix(name, "state_save.")) {
            const DuetStateOperatorProgress *op = operator_of(latest, 0);
            const char *metric = name + strlen("state_save.");
            gint64 value = !op                                          ? -1
                           : g_str_equal(metric, "numOutputRows")       ? op->num_output_rows
                           : g_str_equal(metric, "numUpdatedStateRows") ? op->num_rows_updated
                           : g_str_equal(metric, "numTotalStateRows")   ? op->num_rows_total
                                                                        : -2;
            check_int(c, name, json_object_get_int_member(check, name), value);
        } else if (g_str_equal(name, "clock_ms") && c->manual_clock) {
            check_int(c, name, json_object_get_int_member(check, name),
                      duet_clock_now_ms(c->manual_clock));
        } else if (g_str_has_suffix(name, ".latest") ||
                   g_str_equal(name, "lastExecution.batchId")) {
            check_int(c, name, json_object_get_int_member(check, name),
                      latest ? latest->batch_id : -1);
        } else {
            fail(c, "AssertOnQuery check '%s' is not implemented", name);
        }
    }
}

static void
add_data(Case *c, const char *name, JsonArray *rows)
{
    DuetSource *source = g_hash_table_lookup(c->inputs, name ? name : c->first_input);
    if (source == NULL) {
        fail(c, "AddData to unknown input %s", name);
        return;
    }
    GError *error = NULL;
    g_autoptr(DuetBatch) batch = duet_json_rows_to_batch(duet_source_schema(source), rows, &error);
    if (batch == NULL) {
        fail(c, "AddData: %s", error->message);
        g_error_free(error);
        return;
    }
    duet_memory_source_add(source, batch);
}

/* ---- foreach writers --------------------------------------------------------------------------
 */

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

static const DuetForeachWriter recording_writer = {writer_open, writer_process, writer_close};

static char *
canonical_node(JsonNode *node)
{
    GString *out = g_string_new(NULL);
    append_canonical(out, node);
    return g_string_free(out, FALSE);
}

static char *
sequence_text(GPtrArray *events)
{
    GString *out = g_string_new("[");
    for (guint index = 0; index < events->len; index++) {
        g_autofree char *event = canonical_text(events->pdata[index]);
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
    const char *compare = string_member(action, "compare", "exact");
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
        g_ptr_array_add(firsts, canonical_text(events->pdata[0]));
        g_ptr_array_add(lasts, canonical_text(events->pdata[events->len - 1]));
        for (guint at = 0; at < events->len; at++)
            if (g_str_has_prefix(events->pdata[at], "[\"Process\","))
                g_ptr_array_add(values, canonical_text((char *)events->pdata[at] + 11));
    }
    g_mutex_unlock(&c->lock);
    if (g_str_equal(compare, "per_partition_sets")) {
        JsonObject *object = json_node_get_object(expect);
        check_int(c, "number of writers", json_object_get_int_member(object, "num_sequences"),
                  sequences->len);
        static const char *const members[] = {"first_events", "last_events", "process_values"};
        GPtrArray *actuals[] = {firsts, lasts, values};
        for (guint kind = 0; kind < G_N_ELEMENTS(members); kind++) {
            JsonArray *wanted = json_object_get_array_member(object, members[kind]);
            g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
            for (guint index = 0; index < json_array_get_length(wanted); index++) {
                char *text = canonical_node(json_array_get_element(wanted, index));
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
            compare_rows(c, members[kind], expected, actual, FALSE);
        }
        return;
    }
    JsonArray *wanted = json_node_get_array(expect);
    g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
    for (guint index = 0; index < json_array_get_length(wanted); index++)
        g_ptr_array_add(expected, canonical_node(json_array_get_element(wanted, index)));
    g_ptr_array_sort(sequences, compare_strings);
    g_ptr_array_sort(expected, compare_strings);
    if (g_str_equal(compare, "exact_prefix") && sequences->len > expected->len)
        g_ptr_array_set_size(sequences, (gint)expected->len);
    compare_rows(c, "foreach events", expected, sequences, TRUE);
}

static gboolean
needs_running_stream(const char *action)
{
    return !g_str_equal(action, "AddData") && !g_str_equal(action, "MultiAddData") &&
           !g_str_equal(action, "StartStream") && !g_str_equal(action, "StopStream");
}

static void
run_action(Case *c, JsonObject *action, JsonObject *next)
{
    const char *name = json_object_get_string_member(action, "action");
    GError *error = NULL;
    if (g_str_equal(name, "AddData")) {
        add_data(c, string_member(action, "source", NULL),
                 json_object_get_array_member(action, "rows"));
        /* the harness's usual batch boundary: one batch per AddData */
        if (c->query && !c->manual_trigger)
            wait_until_processed(c, FALSE);
    } else if (g_str_equal(name, "MultiAddData")) {
        JsonArray *adds = json_object_get_array_member(action, "adds");
        for (guint index = 0; index < json_array_get_length(adds); index++) {
            JsonObject *add = json_array_get_object_element(adds, index);
            add_data(c, string_member(add, "source", NULL),
                     json_object_get_array_member(add, "rows"));
        }
    } else if (g_str_equal(name, "StartStream")) {
        stop_stream(c);
        if (!start_stream(c, action, &error)) {
            const char *next_name = next ? string_member(next, "action", "") : "";
            if (!g_str_equal(next_name, "ExpectStartError"))
                fail(c, "StartStream failed: %s", error->message);
            else
                message_matches(c, next, error->message);
            g_error_free(error);
        }
    } else if (g_str_equal(name, "ExpectStartError")) {
        if (c->query != NULL)
            fail(c, "the query started, but Spark refuses it");
    } else if (g_str_equal(name, "StopStream")) {
        stop_stream(c);
    } else if (g_str_equal(name, "CheckAnswer") || g_str_equal(name, "CheckLastBatch") ||
               g_str_equal(name, "CheckNewAnswer")) {
        wait_processed(c);
        gboolean last = g_str_equal(name, "CheckLastBatch") ||
                        (g_str_equal(name, "CheckAnswer") && c->mode == DUET_OUTPUT_MODE_COMPLETE);
        guint from = g_str_equal(name, "CheckNewAnswer") ? c->new_answer_from : 0;
        g_autoptr(GPtrArray) actual = rows_of_batches(c, from, last);
        g_autoptr(GPtrArray) expected =
            expected_rows(c, json_object_get_array_member(action, "rows"));
        gboolean sorted = json_object_has_member(action, "isSorted") &&
                          json_object_get_boolean_member(action, "isSorted");
        compare_rows(c, name, expected, actual, sorted);
        g_mutex_lock(&c->lock);
        c->new_answer_from = c->batches->len;
        g_mutex_unlock(&c->lock);
    } else if (g_str_equal(name, "ProcessAllAvailable")) {
        wait_processed(c);
    } else if (g_str_equal(name, "AdvanceManualClock")) {
        if (c->manual_clock == NULL || c->query == NULL) {
            fail(c, "AdvanceManualClock without a running query on a manual clock");
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
            fail(c, "%s: the query did not end", name);
        else if (g_str_equal(name, "ExpectFailure") && error == NULL)
            fail(c, "ExpectFailure: the query ended without an error");
        else if (g_str_equal(name, "ExpectFailure"))
            message_matches(c, action, error->message);
        else if (error != NULL)
            fail(c, "the query failed: %s", error->message);
        g_clear_error(&error);
        g_clear_pointer(&c->query, duet_streaming_query_unref);
    } else if (g_str_equal(name, "AssertNumStateRows")) {
        wait_processed(c);
        assert_num_state_rows(c, action);
    } else if (g_str_equal(name, "AssertNumStateRowsTotal")) {
        wait_processed(c);
        const DuetStateOperatorProgress *op = operator_of(last_progress(c, FALSE), 0);
        check_int(c, name, json_object_get_int_member(action, "value"),
                  op ? op->num_rows_total : -1);
    } else if (g_str_equal(name, "AssertNumRowsDroppedByWatermark")) {
        wait_processed(c);
        const DuetStateOperatorProgress *op = operator_of(last_progress(c, TRUE), 0);
        check_int(c, name, json_object_get_int_member(action, "value"),
                  op ? op->num_rows_dropped_by_watermark : -1);
    } else if (g_str_equal(name, "AssertCustomMetric")) {
        /* Spark's assertStateOperatorCustomMetric reads the last progress with input */
        wait_processed(c);
        const DuetStateOperatorProgress *op = operator_of(last_progress(c, TRUE), 0);
        const char *metric = string_member(action, "name", "");
        gint64 value = op ? duet_state_operator_progress_metric(op, metric, G_MININT64) : -1;
        if (value == G_MININT64)
            fail(c, "the operator reports no custom metric %s", metric);
        else
            check_int(c, metric, json_object_get_int_member(action, "value"), value);
    } else if (g_str_equal(name, "AssertEventStats")) {
        wait_processed(c);
        assert_event_stats(c, action);
    } else if (g_str_equal(name, "CheckWatermark")) {
        add_data(c, string_member(action, "source", NULL),
                 json_object_get_array_member(action, "adds"));
        wait_processed(c);
        const DuetQueryProgress *latest = last_progress(c, FALSE);
        g_autofree char *got = latest ? iso_time(latest->watermark_ms) : g_strdup("(none)");
        if (!g_str_equal(got, string_member(action, "expect", "")))
            fail(c, "CheckWatermark: expected %s, got %s", string_member(action, "expect", ""),
                 got);
    } else if (g_str_equal(name, "AdvanceRateManualClock")) {
        if (c->manual_clock == NULL) {
            fail(c, "AdvanceRateManualClock without a rate source on a manual clock");
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
                append_actual_rows(c, actual, batch->rows);
        }
        g_mutex_unlock(&c->lock);
        g_autoptr(GPtrArray) expected =
            expected_rows(c, json_object_get_array_member(action, "rows"));
        compare_rows(c, name, expected, actual, FALSE);
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
        check_int(c, name, json_object_get_int_member(action, "expect_ms"),
                  latest ? latest->watermark_ms : -1);
    } else if (g_str_equal(name, "AssertOnQuery")) {
        wait_processed(c);
        assert_on_query(c, action);
    } else {
        fail(c, "the action %s is not implemented", name);
    }
}

/* ---- cases ------------------------------------------------------------------------------------
 */

/* A rate source; option useManualClock runs the context on a manual clock from 0 (Spark's
 * rate source then uses its own ManualClock). */
static gboolean
add_rate_input(Case *c, JsonObject *input, GError **error)
{
    JsonObject *options = json_object_has_member(input, "options")
                              ? json_object_get_object_member(input, "options")
                              : NULL;
    DuetSourceOptions *parsed = duet_source_options_new();
    g_autoptr(GList) names = options ? json_object_get_members(options) : NULL;
    for (GList *name = names; name; name = name->next)
        duet_source_options_set(parsed, name->data,
                                json_object_get_string_member(options, name->data));
    if (g_ascii_strcasecmp(string_member(options, "useManualClock", "false"), "true") == 0 &&
        c->manual_clock == NULL) {
        c->manual_clock = duet_clock_new_manual(0);
        duet_context_set_clock(c->context, c->manual_clock);
    }
    DuetSource *source = duet_source_new("rate", parsed, NULL, duet_context_clock(c->context),
                                         duet_context_default_partitions(c->context), error);
    g_hash_table_unref(parsed);
    if (source == NULL)
        return FALSE;
    const char *name = json_object_get_string_member(input, "name");
    g_hash_table_insert(c->inputs, g_strdup(name), source);
    if (c->first_input == NULL)
        c->first_input = g_strdup(name);
    return TRUE;
}

static gboolean
setup_inputs(Case *c, GError **error)
{
    JsonArray *inputs = json_object_has_member(c->spec, "inputs")
                            ? json_object_get_array_member(c->spec, "inputs")
                            : NULL;
    for (guint index = 0; inputs && index < json_array_get_length(inputs); index++) {
        JsonObject *input = json_array_get_object_element(inputs, index);
        const char *kind = string_member(input, "kind", "memory");
        if (g_str_equal(kind, "rate")) {
            if (!add_rate_input(c, input, error))
                return FALSE;
            continue;
        }
        if (!g_str_has_prefix(kind, "memory") && !g_str_has_prefix(kind, "block_rdd")) {
            g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                        "the %s input is not wired into the conformance runner yet", kind);
            return FALSE;
        }
        g_autoptr(DuetSchema) schema =
            schema_of_columns(json_object_get_array_member(input, "columns"), error);
        if (schema == NULL)
            return FALSE;
        const char *name = json_object_get_string_member(input, "name");
        g_hash_table_insert(c->inputs, g_strdup(name), duet_memory_source_new(schema));
        if (c->first_input == NULL)
            c->first_input = g_strdup(name);
    }
    JsonObject *tables = json_object_has_member(c->spec, "static_tables")
                             ? json_object_get_object_member(c->spec, "static_tables")
                             : NULL;
    g_autoptr(GList) names = tables ? json_object_get_members(tables) : NULL;
    for (GList *item = names; item; item = item->next) {
        JsonObject *table = json_object_get_object_member(tables, item->data);
        if (!json_object_has_member(table, "rows")) {
            g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                        "static table %s is built by steps, not implemented yet",
                        (char *)item->data);
            return FALSE;
        }
        g_autoptr(DuetSchema) schema =
            schema_of_columns(json_object_get_array_member(table, "columns"), error);
        if (schema == NULL)
            return FALSE;
        DuetSource *source = duet_memory_source_new(schema);
        g_autoptr(DuetBatch) rows =
            duet_json_rows_to_batch(schema, json_object_get_array_member(table, "rows"), error);
        if (rows == NULL) {
            duet_source_unref(source);
            return FALSE;
        }
        duet_memory_source_add(source, rows);
        g_hash_table_insert(c->inputs, g_strdup(item->data), source);
        if (c->first_input == NULL)
            c->first_input = g_strdup(item->data);
    }
    return TRUE;
}

static void
run_batch_case(Case *c)
{
    JsonArray *steps = json_object_get_array_member(c->spec, "steps");
    for (guint index = 0; index < json_array_get_length(steps); index++) {
        JsonObject *action = json_array_get_object_element(steps, index);
        if (!g_str_equal(string_member(action, "action", ""), "CollectBatch")) {
            fail(c, "batch case action %s is not implemented", string_member(action, "action", ""));
            return;
        }
        GError *error = NULL;
        g_autoptr(DuetBatch) rows = duet_dataframe_collect(c->context, c->frame, &error);
        if (rows == NULL) {
            fail(c, "collect failed: %s", error->message);
            g_error_free(error);
            return;
        }
        g_autoptr(GPtrArray) actual = g_ptr_array_new_with_free_func(g_free);
        append_actual_rows(c, actual, rows);
        g_autoptr(GPtrArray) expected =
            expected_rows(c, json_object_get_array_member(action, "rows"));
        gboolean ordered = json_object_has_member(action, "ordered") &&
                           json_object_get_boolean_member(action, "ordered");
        compare_rows(c, "CollectBatch", expected, actual, ordered);
    }
}

static void
run_api_error_case(Case *c)
{
    JsonArray *steps = json_object_get_array_member(c->spec, "steps");
    for (guint index = 0; index < json_array_get_length(steps); index++) {
        JsonObject *action = json_array_get_object_element(steps, index);
        const char *call = string_member(action, "call", "");
        /* name("arg", "arg") on the input DataFrame */
        g_autoptr(GRegex) pattern =
            g_regex_new("^(\\w+)\\(\"([^\"]*)\"(?:, *\"([^\"]*)\")?\\)$", 0, 0, NULL);
        g_autoptr(GMatchInfo) match = NULL;
        if (!g_regex_match(pattern, call, 0, &match)) {
            fail(c, "cannot read the call %s", call);
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
            fail(c, "the call %s is not implemented", method);
            return;
        }
        if (result != NULL) {
            fail(c, "%s succeeded, Spark throws", call);
            return;
        }
        message_matches(c, action, error->message);
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
        const char *name = string_member(json_array_get_object_element(steps, index), "action", "");
        if (g_str_equal(name, "StartStream"))
            started_manually = TRUE;
        if (needs_running_stream(name) || started_manually)
            break;
    }
    GError *error = NULL;
    if (!started_manually && !start_stream(c, NULL, &error)) {
        const char *first =
            n ? string_member(json_array_get_object_element(steps, 0), "action", "") : "";
        if (g_str_equal(first, "ExpectStartError"))
            message_matches(c, json_array_get_object_element(steps, 0), error->message);
        else
            fail(c, "starting the query failed: %s", error->message);
        g_error_free(error);
        return;
    }
    for (guint index = 0; index < n && c->failure->len == 0; index++)
        run_action(c, json_array_get_object_element(steps, index),
                   index + 1 < n ? json_array_get_object_element(steps, index + 1) : NULL);
}

/* ---- other kinds of cases ----------------------------------------------------------------------
 */

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
        if (!g_str_equal(string_member(action, "action", ""), "CheckForeachEvents") ||
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
        DuetQueryStatus status = {(char *)string_member(fields, "message", ""),
                                  json_object_get_boolean_member(fields, "isDataAvailable"),
                                  json_object_get_boolean_member(fields, "isTriggerActive")};
        text = duet_query_status_json(&status, TRUE);
    } else {
        g_autoptr(DuetQueryProgress) progress = duet_query_progress_new();
        progress->id = g_strdup(string_member(fields, "id", NULL));
        progress->run_id = g_strdup(string_member(fields, "runId", NULL));
        progress->name = g_strdup(string_member(fields, "name", NULL));
        progress->timestamp_ms = iso_ms(string_member(fields, "timestamp", NULL));
        progress->batch_id = json_object_get_int_member(fields, "batchId");
        metrics_member(fields, "durationMs", progress->duration_ms);
        JsonObject *event_time = json_object_has_member(fields, "eventTime")
                                     ? json_object_get_object_member(fields, "eventTime")
                                     : NULL;
        if (event_time && json_object_has_member(event_time, "watermark")) {
            progress->has_watermark = TRUE;
            progress->watermark_ms = iso_ms(string_member(event_time, "watermark", NULL));
            progress->has_event_time = json_object_has_member(event_time, "max");
            progress->event_time_max_ms = iso_ms(string_member(event_time, "max", NULL));
            progress->event_time_min_ms = iso_ms(string_member(event_time, "min", NULL));
            progress->event_time_avg_ms = iso_ms(string_member(event_time, "avg", NULL));
        }
        JsonArray *operators = json_object_get_array_member(fields, "stateOperators");
        for (guint index = 0; operators && index < json_array_get_length(operators); index++) {
            JsonObject *spec = json_array_get_object_element(operators, index);
            DuetStateOperatorProgress *op =
                duet_state_operator_progress_new(string_member(spec, "operatorName", ""));
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
                duet_source_progress_new(string_member(spec, "description", ""));
            source->start_offset = g_strdup(string_member(spec, "startOffset", NULL));
            source->end_offset = g_strdup(string_member(spec, "endOffset", NULL));
            source->latest_offset = g_strdup(string_member(spec, "latestOffset", NULL));
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
        progress->sink_description = g_strdup(string_member(sink, "description", ""));
        progress->sink_num_output_rows = json_object_get_int_member(sink, "numOutputRows");
        if (json_object_has_member(fields, "observedMetrics"))
            progress->observed_metrics =
                json_node_copy(json_object_get_member(fields, "observedMetrics"));
        text = duet_query_progress_json(progress, TRUE);
    }
    const char *expected = string_member(c->spec, "expected_text", "");
    if (!g_str_equal(text, expected))
        fail(c, "JSON differs:\n--- expected\n%s\n--- got\n%s", expected, text);
}

static void
run_function_case(Case *c)
{
    const char *function = string_member(c->spec, "function", "");
    JsonArray *vectors = json_object_get_array_member(c->spec, "vectors");
    if (!g_str_has_prefix(function, "RateStreamProvider.valueAtSecond")) {
        fail(c, "the function %s is not known to the runner", function);
        return;
    }
    for (guint index = 0; index < json_array_get_length(vectors); index++) {
        JsonObject *vector = json_array_get_object_element(vectors, index);
        JsonArray *args = json_object_get_array_member(vector, "args");
        gint64 got = duet_rate_source_value_at_second(json_array_get_int_element(args, 0),
                                                      json_array_get_int_element(args, 1),
                                                      json_array_get_int_element(args, 2));
        check_int(c, function, json_object_get_int_member(vector, "result"), got);
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
        const char *name = string_member(action, "action", "");
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
                fail(c, "SinkAddBatch: %s", error->message);
            g_clear_error(&error);
            if (partitions)
                g_ptr_array_unref(partitions);
        } else if (g_str_equal(name, "SinkAssert")) {
            gint64 latest = sink ? duet_sink_latest_batch_id(sink) : -1;
            gint64 expected = json_object_get_null_member(action, "latestBatchId")
                                  ? -1
                                  : json_object_get_int_member(action, "latestBatchId");
            check_int(c, "latestBatchId", expected, latest);
            static const char *const members[] = {"latestBatchData", "allData"};
            for (guint kind = 0; kind < 2; kind++) {
                g_autoptr(GPtrArray) actual = g_ptr_array_new_with_free_func(g_free);
                if (sink) {
                    g_autoptr(DuetBatch) rows = kind ? duet_memory_sink_all_data(sink)
                                                     : duet_memory_sink_latest_batch_data(sink);
                    if (rows)
                        append_actual_rows(c, actual, rows);
                }
                g_autoptr(GPtrArray) wanted =
                    expected_rows(c, json_object_get_array_member(action, members[kind]));
                compare_rows(c, members[kind], wanted, actual, TRUE);
            }
        } else {
            fail(c, "sink_unit action %s is not implemented", name);
        }
    }
}

static void
recorded_batch_clear(RecordedBatch *batch)
{
    duet_batch_unref(batch->rows);
}

static void
run_case(JsonObject *spec, GString *failure)
{
    Case c = {.spec = spec, .failure = failure};
    const char *kind = string_member(spec, "kind", "stream");
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
    const char *mode = string_member(spec, "output_mode", "append");
    c.mode = g_str_equal(mode, "complete") ? DUET_OUTPUT_MODE_COMPLETE
             : g_str_equal(mode, "update") ? DUET_OUTPUT_MODE_UPDATE
                                           : DUET_OUTPUT_MODE_APPEND;
    c.checkpoint = g_dir_make_tmp("duet-conformance-XXXXXX", NULL);
    if (!setup_inputs(&c, &error)) {
        fail(&c, "%s", error->message);
        g_clear_error(&error);
    } else {
        JsonObject *query = json_object_get_object_member(spec, "query");
        c.frame =
            build_steps(&c, NULL, json_object_get_array_member(query, "steps"), &c.build_error);
        if (c.frame == NULL && c.build_error == NULL) /* no steps: the input itself */
            c.frame = input_frame(&c, NULL, &c.build_error);
        if (g_str_equal(kind, "api_error")) {
            g_clear_pointer(&c.frame, duet_dataframe_unref);
            g_clear_error(&c.build_error);
            c.frame = input_frame(&c, json_object_new(), &c.build_error);
            if (c.frame)
                run_api_error_case(&c);
        } else if (c.frame == NULL && !g_str_equal(kind, "stream_error")) {
            fail(&c, "building the query failed: %s", c.build_error->message);
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
                c.sink = duet_foreach_sink_new(schema, &recording_writer, &c);
            } else {
                c.sink = duet_foreach_batch_sink_new(schema, record_batch, &c);
            }
            c.timestamps_as_ms =
                strstr(string_member(spec, "row_encoding", ""), "epoch milli") != NULL;
            run_stream_case(&c);
            stop_stream(&c);
            if (g_str_equal(kind, "console") && c.failure->len == 0 &&
                !g_str_equal(c.console->str, string_member(spec, "expected_stdout", "")))
                fail(&c, "console output differs:\n--- expected\n%s--- got\n%s",
                     string_member(spec, "expected_stdout", ""), c.console->str);
        }
    }
    stop_stream(&c);
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
        duet_conformance_remove_tree(c.checkpoint);
        g_free(c.checkpoint);
    }
    if (c.manual_clock)
        duet_clock_unref(c.manual_clock);
    g_mutex_clear(&c.lock);
    duet_context_unref(c.context);
}

int
duet_structured_conformance_run(JsonArray *cases, const char *only, GHashTable *known_failures,
                                guint *passed, guint *failed)
{
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
