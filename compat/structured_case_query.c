/* structured_case_query.c — a Structured case's inputs and query, built from its steps.
 *
 * Layer: compat/. Memory streams, rate sources and static tables from the case's inputs; the
 * query from the neutral step language (toDF, select, groupBy/agg, withWatermark, dedup, union,
 * join, ...) through the public structured/ API.
 */
#include "compat/structured_case.h"
#include "compat/structured_functions.h"
#include "rdd/json_rows.h"
#include "structured/sql_parser.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

DuetDataFrame *
sc_input_frame(Case *c, JsonObject *step, GError **error)
{
    const char *name = sc_string_member(step, "input", c->first_input);
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
        return current ? duet_dataframe_ref(current) : sc_input_frame(c, step, error);
    JsonNode *node = json_object_get_member(step, member);
    if (JSON_NODE_HOLDS_ARRAY(node))
        return sc_build_steps(c, NULL, json_node_get_array(node), error);
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
    return sc_build_steps(c, table, json_object_get_array_member(spec, "steps"), error);
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
    g_auto(GStrv) columns = sc_strings_member(step, "using");
    return duet_dataframe_join(left, right, (const char *const *)columns, g_strv_length(columns),
                               sc_string_member(step, "type", "inner"), error);
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
                                   : sc_input_frame(c, step, error);
        if (input == NULL || !json_object_has_member(step, "cols"))
            return input;
        g_auto(GStrv) names = sc_strings_member(step, "cols");
        DuetDataFrame *renamed =
            duet_dataframe_to_df(input, (const char *const *)names, g_strv_length(names), error);
        duet_dataframe_unref(input);
        return renamed;
    }
    g_autoptr(DuetDataFrame) implicit = NULL;
    if (frame == NULL) {
        /* a query over the (first) input itself, as the suites' static DataFrames are */
        implicit = sc_input_frame(c, step, error);
        if (implicit == NULL)
            return NULL;
        frame = implicit;
    }
    if (g_str_equal(op, "select") || g_str_equal(op, "selectExpr")) {
        g_auto(GStrv) exprs = sc_strings_member(step, "exprs");
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
        g_auto(GStrv) cols = sc_strings_member(step, "cols");
        duet_grouped_data_free(*grouped);
        *grouped = duet_dataframe_group_by_exprv(frame, (const char *const *)cols,
                                                 g_strv_length(cols), error);
        return *grouped ? duet_dataframe_ref(frame) : NULL;
    }
    if (g_str_equal(op, "agg") || g_str_equal(op, "count")) {
        if (*grouped == NULL) /* Dataset.agg(...): a global aggregation */
            *grouped = duet_dataframe_group_by(frame, NULL, 0);
        g_auto(GStrv) exprs = sc_strings_member(step, "exprs");
        DuetDataFrame *result =
            g_str_equal(op, "count")
                ? duet_grouped_data_count(*grouped, error)
                : duet_grouped_data_agg_exprv(*grouped, (const char *const *)exprs,
                                              g_strv_length(exprs), error);
        g_clear_pointer(grouped, duet_grouped_data_free);
        return result;
    }
    if (g_str_equal(op, "dropDuplicates") || g_str_equal(op, "dropDuplicatesWithinWatermark")) {
        g_auto(GStrv) cols = sc_strings_member(step, "cols");
        return g_str_equal(op, "dropDuplicates")
                   ? duet_dataframe_drop_duplicates(frame, (const char *const *)cols,
                                                    g_strv_length(cols), error)
                   : duet_dataframe_drop_duplicates_within_watermark(
                         frame, (const char *const *)cols, g_strv_length(cols), error);
    }
    if (g_str_equal(op, "orderBy") || g_str_equal(op, "sort")) {
        g_auto(GStrv) cols = sc_strings_member(step, "cols");
        return duet_dataframe_order_by(frame, (const char *const *)cols, g_strv_length(cols),
                                       error);
    }
    if (g_str_equal(op, "limit"))
        return duet_dataframe_limit(frame, json_object_get_int_member(step, "n"));
    if (g_str_equal(op, "repartition") || g_str_equal(op, "coalesce"))
        return duet_dataframe_repartition(frame, (guint)json_object_get_int_member(step, "n"),
                                          g_str_equal(op, "repartition"));
    if (g_str_equal(op, "map") || g_str_equal(op, "flatMap"))
        return duet_structured_named_map(frame, sc_string_member(step, "named", NULL),
                                         sc_string_member(step, "f", "?"), error);
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

DuetDataFrame *
sc_build_steps(Case *c, DuetDataFrame *frame, JsonArray *steps, GError **error)
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
    if (g_ascii_strcasecmp(sc_string_member(options, "useManualClock", "false"), "true") == 0 &&
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

/* A socket source connected to a loopback server the harness writes to (AddSocketData). */
static gboolean
add_socket_input(Case *c, JsonObject *input, GError **error)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    c->socket_listener = socket(AF_INET, SOCK_STREAM, 0);
    if (c->socket_listener < 0 ||
        bind(c->socket_listener, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(c->socket_listener, 1) != 0 ||
        getsockname(c->socket_listener, (struct sockaddr *)&address, &length) != 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "the socket input's test server: %s", g_strerror(errno));
        return FALSE;
    }
    JsonObject *options = json_object_has_member(input, "options")
                              ? json_object_get_object_member(input, "options")
                              : NULL;
    DuetSourceOptions *parsed = duet_source_options_new();
    g_autoptr(GList) names = options ? json_object_get_members(options) : NULL;
    for (GList *name = names; name; name = name->next)
        duet_source_options_set(parsed, name->data,
                                json_object_get_string_member(options, name->data));
    g_autofree char *port = g_strdup_printf("%u", ntohs(address.sin_port));
    duet_source_options_set(parsed, "host", "127.0.0.1");
    duet_source_options_set(parsed, "port", port);
    DuetSource *source = duet_source_new("socket", parsed, NULL, duet_context_clock(c->context),
                                         duet_context_default_partitions(c->context), error);
    g_hash_table_unref(parsed);
    if (source == NULL)
        return FALSE;
    const char *name = json_object_get_string_member(input, "name");
    c->socket_source = source;
    g_hash_table_insert(c->inputs, g_strdup(name), duet_source_ref(source));
    if (c->first_input == NULL)
        c->first_input = g_strdup(name);
    return TRUE;
}

gboolean
sc_socket_accept(Case *c)
{
    if (c->socket_client < 0 && c->socket_listener >= 0)
        c->socket_client = accept(c->socket_listener, NULL, NULL);
    return c->socket_client >= 0;
}

gboolean
sc_setup_inputs(Case *c, GError **error)
{
    JsonArray *inputs = json_object_has_member(c->spec, "inputs")
                            ? json_object_get_array_member(c->spec, "inputs")
                            : NULL;
    for (guint index = 0; inputs && index < json_array_get_length(inputs); index++) {
        JsonObject *input = json_array_get_object_element(inputs, index);
        const char *kind = sc_string_member(input, "kind", "memory");
        if (g_str_equal(kind, "rate")) {
            if (!add_rate_input(c, input, error))
                return FALSE;
            continue;
        }
        if (g_str_equal(kind, "socket")) {
            if (!add_socket_input(c, input, error))
                return FALSE;
            continue;
        }
        if (!g_str_has_prefix(kind, "memory") && !g_str_has_prefix(kind, "block_rdd")) {
            g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                        "the %s input is not wired into the conformance runner yet", kind);
            return FALSE;
        }
        g_autoptr(DuetSchema) schema =
            sc_schema_of_columns(json_object_get_array_member(input, "columns"), error);
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
            sc_schema_of_columns(json_object_get_array_member(table, "columns"), error);
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
