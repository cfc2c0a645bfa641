/* dataframe.c — logical plans of streaming DataFrames, built and analysed eagerly.
 *
 * Layer: structured/. Includes rdd/, sources/ and structured/. Every builder resolves its
 * expressions against the child's schema at once (Spark's analyzer messages), computes the
 * output schema, and carries the event-time column forward: withWatermark marks a timestamp
 * column, projections keep the mark on a column they pass through (also under an alias),
 * window() over the marked column marks the window, and an aggregation marks the key that is
 * the marked column. The physical form is in plan.c and stateful.c.
 */
#include "structured/internal.h"
#include "structured/dataframe.h"
#include "structured/sql_parser.h"

#include <stdarg.h>

DuetDataFrame *
duet_dataframe_node_new(DuetPlanKind kind, DuetSchema *schema, DuetDataFrame *child)
{
    DuetDataFrame *frame = g_new0(DuetDataFrame, 1);
    frame->ref_count = 1;
    frame->kind = kind;
    frame->schema = duet_schema_ref(schema);
    frame->child = child ? duet_dataframe_ref(child) : NULL;
    frame->exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    frame->event_time_column = child ? child->event_time_column : -1;
    frame->event_time_is_window = child ? child->event_time_is_window : FALSE;
    frame->delay_ms = child ? child->delay_ms : 0;
    frame->state_time_column = -1;
    frame->session_key = -1;
    frame->is_streaming = child ? child->is_streaming : TRUE;
    return frame;
}

DuetDataFrame *
duet_dataframe_from_source(DuetSource *source)
{
    DuetDataFrame *frame =
        duet_dataframe_node_new(DUET_PLAN_SOURCE, duet_source_schema(source), NULL);
    frame->source = duet_source_ref(source);
    return frame;
}

DuetDataFrame *
duet_dataframe_from_static_source(DuetSource *source)
{
    DuetDataFrame *frame = duet_dataframe_from_source(source);
    frame->is_static = TRUE;
    frame->is_streaming = FALSE;
    return frame;
}

gboolean
duet_dataframe_is_streaming(DuetDataFrame *frame)
{
    return frame->is_streaming;
}

DuetDataFrame *
duet_dataframe_ref(DuetDataFrame *frame)
{
    g_atomic_int_inc(&frame->ref_count);
    return frame;
}

void
duet_dataframe_unref(DuetDataFrame *frame)
{
    if (frame == NULL || !g_atomic_int_dec_and_test(&frame->ref_count))
        return;
    if (frame->child)
        duet_dataframe_unref(frame->child);
    if (frame->right)
        duet_dataframe_unref(frame->right);
    if (frame->left_keys)
        g_array_unref(frame->left_keys);
    if (frame->right_keys)
        g_array_unref(frame->right_keys);
    if (frame->right_values)
        g_array_unref(frame->right_values);
    if (frame->source)
        duet_source_unref(frame->source);
    if (frame->aggs)
        g_ptr_array_unref(frame->aggs);
    if (frame->sort_keys) {
        for (guint index = 0; index < frame->sort_keys->len; index++)
            duet_expr_unref(g_array_index(frame->sort_keys, DuetSortKey, index).expr);
        g_array_unref(frame->sort_keys);
    }
    if (frame->columns)
        g_array_unref(frame->columns);
    if (frame->op_data_free)
        frame->op_data_free(frame->op_data);
    g_ptr_array_unref(frame->exprs);
    duet_schema_unref(frame->schema);
    g_free(frame->parsed_plan);
    g_free(frame);
}

DuetSchema *
duet_dataframe_schema(DuetDataFrame *frame)
{
    return frame->schema;
}

char *
duet_dataframe_tree_string(DuetDataFrame *frame)
{
    return duet_schema_tree_string(frame->schema);
}

DuetSource *
duet_dataframe_source(DuetDataFrame *frame)
{
    while (frame->kind != DUET_PLAN_SOURCE)
        frame = frame->child;
    return frame->source;
}

static void
collect_sources(DuetDataFrame *frame, gboolean streaming, GPtrArray *sources)
{
    if (frame == NULL)
        return;
    if (frame->kind == DUET_PLAN_SOURCE) {
        if (frame->is_static != streaming && !g_ptr_array_find(sources, frame->source, NULL))
            g_ptr_array_add(sources, frame->source);
        return;
    }
    collect_sources(frame->child, streaming, sources);
    collect_sources(frame->right, streaming, sources);
}

GPtrArray *
duet_dataframe_streaming_sources(DuetDataFrame *frame)
{
    GPtrArray *sources = g_ptr_array_new();
    collect_sources(frame, TRUE, sources);
    return sources;
}

gboolean
duet_analysis_error(GError **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error_literal(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS, message);
    g_free(message);
    return FALSE;
}

/* The output index of the event-time column among resolved exprs over child, or -1. */
gint
duet_event_time_among(DuetDataFrame *child, GPtrArray *resolved)
{
    if (child->event_time_column < 0)
        return -1;
    for (guint index = 0; index < resolved->len; index++) {
        const DuetExpr *expr = resolved->pdata[index];
        while (expr->kind == DUET_EXPR_ALIAS)
            expr = expr->children[0];
        if (expr->kind == DUET_EXPR_COLUMN && expr->column_index == child->event_time_column)
            return (gint)index;
    }
    return -1;
}

/* ---- projections and filters -------------------------------------------------------------- */

static char *
output_name(const DuetExpr *expr)
{
    if (expr->kind == DUET_EXPR_FIELD)
        return g_strdup(expr->name); /* select(window.start) is named `start` */
    return duet_expr_name(expr);
}

DuetDataFrame *
duet_dataframe_select(DuetDataFrame *frame, DuetExpr *const *exprs, guint n, GError **error)
{
    GPtrArray *rewritten = NULL;
    g_autoptr(DuetDataFrame) windowed = duet_expand_window(frame, exprs, n, &rewritten, error);
    if (windowed == NULL)
        return NULL;
    g_autoptr(DuetDataFrame) input = duet_expand_generator(windowed, rewritten, error);
    if (input == NULL) {
        g_ptr_array_unref(rewritten);
        return NULL;
    }
    g_autoptr(DuetSchema) schema = duet_schema_new();
    GPtrArray *resolved = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint index = 0; index < n; index++) {
        DuetExpr *expr = rewritten->pdata[index];
        if (expr->kind == DUET_EXPR_COLUMN && g_str_equal(expr->name, "*")) {
            for (guint field = 0; field < duet_schema_n_fields(input->schema); field++) {
                g_autoptr(DuetExpr) column =
                    duet_expr_column(duet_schema_field(input->schema, field)->name);
                DuetExpr *one = duet_expr_resolve(column, input->schema, NULL);
                one->column_index = (gint)field;
                duet_schema_add_field(schema, duet_schema_field(input->schema, field)->name,
                                      duet_expr_type(one), duet_expr_nullable(one));
                g_ptr_array_add(resolved, one);
            }
            continue;
        }
        if (duet_expr_contains_aggregate(expr)) {
            g_autofree char *name = duet_expr_name(expr);
            duet_analysis_error(error,
                                "[MISSING_GROUP_BY] The query does not include a GROUP BY clause. "
                                "Add GROUP BY or turn it into the window functions using OVER "
                                "clauses. (in \"%s\"; streaming aggregations use groupBy().agg())",
                                name);
            g_ptr_array_unref(resolved);
            g_ptr_array_unref(rewritten);
            return NULL;
        }
        DuetExpr *one = duet_expr_resolve(expr, input->schema, error);
        if (one == NULL) {
            g_ptr_array_unref(resolved);
            g_ptr_array_unref(rewritten);
            return NULL;
        }
        g_autofree char *name = output_name(one);
        duet_schema_add_field(schema, name, duet_expr_type(one), duet_expr_nullable(one));
        g_ptr_array_add(resolved, one);
    }
    g_ptr_array_unref(rewritten);
    DuetDataFrame *projected = duet_dataframe_node_new(DUET_PLAN_PROJECT, schema, input);
    projected->event_time_column = duet_event_time_among(input, resolved);
    g_ptr_array_extend_and_steal(projected->exprs, resolved);
    return projected;
}

/* Parses NULL-terminated va_list strings with parse into a new array. */
static GPtrArray *
parse_strings(const char *first, va_list args, DuetExpr *(*parse)(const char *, GError **),
              GError **error)
{
    GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (const char *text = first; text != NULL; text = va_arg(args, const char *)) {
        DuetExpr *expr = parse(text, error);
        if (expr == NULL) {
            g_ptr_array_unref(exprs);
            return NULL;
        }
        g_ptr_array_add(exprs, expr);
    }
    return exprs;
}

DuetDataFrame *
duet_dataframe_select_expr(DuetDataFrame *frame, GError **error, const char *first, ...)
{
    va_list args;
    va_start(args, first);
    GPtrArray *exprs = parse_strings(first, args, duet_sql_parse_select_item, error);
    va_end(args);
    if (exprs == NULL)
        return NULL;
    DuetDataFrame *result =
        duet_dataframe_select(frame, (DuetExpr *const *)exprs->pdata, exprs->len, error);
    g_ptr_array_unref(exprs);
    return result;
}

DuetDataFrame *
duet_dataframe_select_exprv(DuetDataFrame *frame, const char *const *texts, guint n, GError **error)
{
    GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint index = 0; index < n; index++) {
        DuetExpr *expr = duet_sql_parse_select_item(texts[index], error);
        if (expr == NULL) {
            g_ptr_array_unref(exprs);
            return NULL;
        }
        g_ptr_array_add(exprs, expr);
    }
    DuetDataFrame *result =
        duet_dataframe_select(frame, (DuetExpr *const *)exprs->pdata, exprs->len, error);
    g_ptr_array_unref(exprs);
    return result;
}

DuetDataFrame *
duet_dataframe_filter(DuetDataFrame *frame, DuetExpr *condition, GError **error)
{
    DuetExpr *resolved = duet_expr_resolve(condition, frame->schema, error);
    if (resolved == NULL)
        return NULL;
    DuetTypeId type = duet_data_type_id(duet_expr_type(resolved));
    if (type != DUET_TYPE_BOOLEAN && type != DUET_TYPE_NULL) {
        g_autofree char *name = duet_expr_name(resolved);
        g_autofree char *type_name = duet_data_type_to_string(duet_expr_type(resolved));
        duet_analysis_error(
            error,
            "[DATATYPE_MISMATCH.FILTER_NOT_BOOLEAN] Cannot resolve \"%s\" due to data "
            "type mismatch: Filter expression \"%s\" of type \"%s\" is not a boolean.",
            name, name, type_name);
        duet_expr_unref(resolved);
        return NULL;
    }
    DuetDataFrame *filtered = duet_dataframe_node_new(DUET_PLAN_FILTER, frame->schema, frame);
    g_ptr_array_add(filtered->exprs, resolved);
    return filtered;
}

DuetDataFrame *
duet_dataframe_where(DuetDataFrame *frame, const char *condition, GError **error)
{
    g_autoptr(DuetExpr) expr = duet_sql_parse_expression(condition, error);
    return expr ? duet_dataframe_filter(frame, expr, error) : NULL;
}

DuetDataFrame *
duet_dataframe_with_column(DuetDataFrame *frame, const char *name, DuetExpr *expr, GError **error)
{
    guint n_fields = duet_schema_n_fields(frame->schema);
    gint replaced = duet_schema_find_ci(frame->schema, name);
    GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint field = 0; field < n_fields; field++) {
        if ((gint)field == replaced)
            g_ptr_array_add(exprs, duet_expr_alias(expr, name));
        else
            g_ptr_array_add(exprs, duet_expr_column(duet_schema_field(frame->schema, field)->name));
    }
    if (replaced < 0)
        g_ptr_array_add(exprs, duet_expr_alias(expr, name));
    DuetDataFrame *result =
        duet_dataframe_select(frame, (DuetExpr *const *)exprs->pdata, exprs->len, error);
    g_ptr_array_unref(exprs);
    return result;
}

DuetDataFrame *
duet_dataframe_to_df(DuetDataFrame *frame, const char *const *names, guint n, GError **error)
{
    guint n_fields = duet_schema_n_fields(frame->schema);
    if (n != n_fields) {
        duet_analysis_error(
            error,
            "[INVALID_COLUMN_NAME.. ] The number of columns doesn't match.\nOld column "
            "names (%u), new column names (%u)",
            n_fields, n);
        return NULL;
    }
    GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint field = 0; field < n_fields; field++) {
        g_autoptr(DuetExpr) column =
            duet_expr_column(duet_schema_field(frame->schema, field)->name);
        g_ptr_array_add(exprs, duet_expr_alias(column, names[field]));
    }
    DuetDataFrame *result =
        duet_dataframe_select(frame, (DuetExpr *const *)exprs->pdata, exprs->len, error);
    g_ptr_array_unref(exprs);
    return result;
}

DuetDataFrame *
duet_dataframe_with_column_renamed(DuetDataFrame *frame, const char *existing, const char *new_name,
                                   GError **error)
{
    guint n_fields = duet_schema_n_fields(frame->schema);
    gint renamed = duet_schema_find_ci(frame->schema, existing);
    if (renamed < 0) /* Spark: a no-op when the column is absent */
        return duet_dataframe_ref(frame);
    GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint field = 0; field < n_fields; field++) {
        g_autoptr(DuetExpr) column =
            duet_expr_column(duet_schema_field(frame->schema, field)->name);
        g_ptr_array_add(exprs, (gint)field == renamed ? duet_expr_alias(column, new_name)
                                                      : duet_expr_ref(column));
    }
    DuetDataFrame *result =
        duet_dataframe_select(frame, (DuetExpr *const *)exprs->pdata, exprs->len, error);
    g_ptr_array_unref(exprs);
    return result;
}

DuetDataFrame *
duet_dataframe_drop(DuetDataFrame *frame, const char *const *columns, guint n, GError **error)
{
    guint n_fields = duet_schema_n_fields(frame->schema);
    GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint field = 0; field < n_fields; field++) {
        const char *name = duet_schema_field(frame->schema, field)->name;
        gboolean dropped = FALSE;
        for (guint index = 0; index < n && !dropped; index++) /* absent names are ignored */
            dropped = g_ascii_strcasecmp(name, columns[index]) == 0;
        if (!dropped)
            g_ptr_array_add(exprs, duet_expr_column(name));
    }
    DuetDataFrame *result =
        duet_dataframe_select(frame, (DuetExpr *const *)exprs->pdata, exprs->len, error);
    g_ptr_array_unref(exprs);
    return result;
}

DuetDataFrame *
duet_dataframe_map_partitions(DuetDataFrame *frame, DuetSchema *schema, DuetPartitionFunc func,
                              gpointer user_data)
{
    DuetDataFrame *mapped = duet_dataframe_node_new(DUET_PLAN_MAP, schema, frame);
    mapped->map_func = func;
    mapped->map_data = user_data;
    mapped->event_time_column = -1; /* a user function hides the column's origin */
    return mapped;
}

/* ---- event time --------------------------------------------------------------------------- */

DuetDataFrame *
duet_dataframe_with_watermark(DuetDataFrame *frame, const char *column, const char *delay,
                              GError **error)
{
    g_autoptr(DuetExpr) reference = duet_sql_parse_expression(column, error);
    if (reference == NULL)
        return NULL;
    g_autoptr(DuetExpr) resolved = duet_expr_resolve(reference, frame->schema, error);
    if (resolved == NULL)
        return NULL;
    if (resolved->kind != DUET_EXPR_COLUMN ||
        duet_data_type_id(duet_expr_type(resolved)) != DUET_TYPE_TIMESTAMP) {
        g_autofree char *type = duet_data_type_to_string(duet_expr_type(resolved));
        duet_analysis_error(
            error,
            "[EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE] The event time `%s` has the invalid "
            "type \"%s\", but expected \"TIMESTAMP\".",
            column, type);
        return NULL;
    }
    gint64 delay_us = 0;
    if (!duet_parse_interval_us(delay, &delay_us, error))
        return NULL;
    if (delay_us < 0) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "delay threshold (%s) should not be negative.", delay);
        return NULL;
    }
    DuetDataFrame *marked = duet_dataframe_node_new(DUET_PLAN_WATERMARK, frame->schema, frame);
    marked->event_time_column = resolved->column_index;
    marked->event_time_is_window = FALSE;
    marked->delay_ms = delay_us / 1000;
    return marked;
}

gboolean
duet_dataframe_has_watermark(DuetDataFrame *frame)
{
    for (; frame != NULL; frame = frame->child)
        if (frame->kind == DUET_PLAN_WATERMARK)
            return TRUE;
    return FALSE;
}

/* ---- aggregation --------------------------------------------------------------------------- */

struct _DuetGroupedData {
    DuetDataFrame *frame;
    GPtrArray *keys; /* unresolved DuetExpr* */
};

DuetGroupedData *
duet_dataframe_group_by(DuetDataFrame *frame, DuetExpr *const *keys, guint n)
{
    DuetGroupedData *grouped = g_new0(DuetGroupedData, 1);
    grouped->frame = duet_dataframe_ref(frame);
    grouped->keys = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint index = 0; index < n; index++)
        g_ptr_array_add(grouped->keys, duet_expr_ref(keys[index]));
    return grouped;
}

DuetGroupedData *
duet_dataframe_group_by_exprv(DuetDataFrame *frame, const char *const *texts, guint n,
                              GError **error)
{
    GPtrArray *keys = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint index = 0; index < n; index++) {
        DuetExpr *key = duet_sql_parse_select_item(texts[index], error);
        if (key == NULL) {
            g_ptr_array_unref(keys);
            return NULL;
        }
        g_ptr_array_add(keys, key);
    }
    DuetGroupedData *grouped =
        duet_dataframe_group_by(frame, (DuetExpr *const *)keys->pdata, keys->len);
    g_ptr_array_unref(keys);
    return grouped;
}

void
duet_grouped_data_free(DuetGroupedData *grouped)
{
    if (grouped == NULL)
        return;
    duet_dataframe_unref(grouped->frame);
    g_ptr_array_unref(grouped->keys);
    g_free(grouped);
}

DuetDataFrame *
duet_grouped_data_agg(DuetGroupedData *grouped, DuetExpr *const *aggs, guint n, GError **error)
{
    GPtrArray *keys = NULL;
    g_autoptr(DuetDataFrame) windowed = duet_expand_window(
        grouped->frame, (DuetExpr *const *)grouped->keys->pdata, grouped->keys->len, &keys, error);
    if (windowed == NULL)
        return NULL;
    g_autoptr(DuetDataFrame) input = duet_expand_session_window(windowed, keys, error);
    if (input == NULL) {
        g_ptr_array_unref(keys);
        return NULL;
    }
    g_autoptr(DuetSchema) schema = duet_schema_new();
    GPtrArray *resolved = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    GPtrArray *specs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_agg_spec_free);
    gboolean ok = TRUE;
    for (guint index = 0; ok && index < keys->len; index++) {
        DuetExpr *key = duet_expr_resolve(keys->pdata[index], input->schema, error);
        ok = key != NULL;
        if (ok) {
            g_autofree char *name = output_name(key);
            duet_schema_add_field(schema, name, duet_expr_type(key), duet_expr_nullable(key));
            g_ptr_array_add(resolved, key);
        }
    }
    for (guint index = 0; ok && index < n; index++) {
        DuetAggSpec *spec = duet_agg_spec_new(aggs[index], input->schema, error);
        ok = spec != NULL;
        if (ok) {
            duet_schema_add_field(
                schema, spec->name, spec->result_type,
                spec->kind != DUET_AGG_COUNT && spec->kind != DUET_AGG_COUNT_ROWS &&
                    spec->kind != DUET_AGG_APPROX_COUNT_DISTINCT &&
                    spec->kind != DUET_AGG_COLLECT_LIST && spec->kind != DUET_AGG_COLLECT_SET);
            g_ptr_array_add(specs, spec);
        }
    }
    g_ptr_array_unref(keys);
    if (!ok) {
        g_ptr_array_unref(resolved);
        g_ptr_array_unref(specs);
        return NULL;
    }
    DuetDataFrame *aggregated = duet_dataframe_node_new(DUET_PLAN_AGGREGATE, schema, input);
    if (input->kind == DUET_PLAN_SESSION)
        for (guint index = 0; index < resolved->len; index++) {
            const DuetExpr *key = resolved->pdata[index];
            while (key->kind == DUET_EXPR_ALIAS)
                key = key->children[0];
            if (key->kind == DUET_EXPR_COLUMN &&
                key->column_index == (gint)duet_schema_n_fields(input->schema) - 1)
                aggregated->session_key = (gint)index;
        }
    aggregated->event_time_column = duet_event_time_among(input, resolved);
    aggregated->event_time_is_window =
        aggregated->event_time_column >= 0 && input->event_time_is_window;
    aggregated->state_time_column = aggregated->event_time_column;
    g_ptr_array_extend_and_steal(aggregated->exprs, resolved);
    aggregated->aggs = specs;
    return aggregated;
}

DuetDataFrame *
duet_grouped_data_agg_exprv(DuetGroupedData *grouped, const char *const *texts, guint n,
                            GError **error)
{
    GPtrArray *aggs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint index = 0; index < n; index++) {
        DuetExpr *agg = duet_sql_parse_select_item(texts[index], error);
        if (agg == NULL) {
            g_ptr_array_unref(aggs);
            return NULL;
        }
        g_ptr_array_add(aggs, agg);
    }
    DuetDataFrame *result =
        duet_grouped_data_agg(grouped, (DuetExpr *const *)aggs->pdata, aggs->len, error);
    g_ptr_array_unref(aggs);
    return result;
}

DuetDataFrame *
duet_grouped_data_count(DuetGroupedData *grouped, GError **error)
{
    static const char *const count[] = {"count(*) AS count"};
    return duet_grouped_data_agg_exprv(grouped, count, 1, error);
}

/* ---- deduplication, ordering, limits ------------------------------------------------------ */

static DuetDataFrame *
dedup(DuetDataFrame *frame, const char *const *columns, guint n, gboolean within, GError **error)
{
    GArray *indices = g_array_new(FALSE, FALSE, sizeof(guint));
    guint n_fields = duet_schema_n_fields(frame->schema);
    for (guint index = 0; index < (n ? n : n_fields); index++) {
        gint found = n ? duet_schema_find_ci(frame->schema, columns[index]) : (gint)index;
        if (found < 0) {
            g_array_unref(indices);
            g_autofree char *fields = duet_schema_to_string(frame->schema);
            duet_analysis_error(error,
                                "[UNRESOLVED_COLUMN_AMONG_FIELD_NAMES] Cannot resolve column name "
                                "\"%s\" among (%s).",
                                columns[index], fields);
            return NULL;
        }
        guint column = (guint)found;
        g_array_append_val(indices, column);
    }
    if (within && frame->event_time_column < 0) {
        g_array_unref(indices);
        duet_analysis_error(error, "dropDuplicatesWithinWatermark is not supported on streaming "
                                   "DataFrames/DataSets without watermark");
        return NULL;
    }
    DuetDataFrame *deduped = duet_dataframe_node_new(DUET_PLAN_DEDUP, frame->schema, frame);
    deduped->columns = indices;
    deduped->within_watermark = within;
    /* state is evicted by the event time when it is one of the keys (or always, within the
     * watermark); the column stays marked for operators downstream either way */
    gboolean among = within;
    for (guint index = 0; index < indices->len; index++)
        among |= (gint)g_array_index(indices, guint, index) == frame->event_time_column;
    deduped->state_time_column = among ? frame->event_time_column : -1;
    return deduped;
}

DuetDataFrame *
duet_dataframe_drop_duplicates(DuetDataFrame *frame, const char *const *columns, guint n,
                               GError **error)
{
    return dedup(frame, columns, n, FALSE, error);
}

DuetDataFrame *
duet_dataframe_drop_duplicates_within_watermark(DuetDataFrame *frame, const char *const *columns,
                                                guint n, GError **error)
{
    return dedup(frame, columns, n, TRUE, error);
}

DuetDataFrame *
duet_dataframe_order_by(DuetDataFrame *frame, const char *const *specs, guint n, GError **error)
{
    GArray *keys = g_array_new(FALSE, TRUE, sizeof(DuetSortKey));
    for (guint index = 0; index < n; index++) {
        g_autofree char *text = g_strstrip(g_strdup(specs[index]));
        DuetSortKey key = {NULL, TRUE, TRUE};
        gsize len = strlen(text);
        if (len > 5 && g_ascii_strcasecmp(text + len - 5, " DESC") == 0) {
            key.ascending = FALSE;
            key.nulls_first = FALSE;
            text[len - 5] = '\0';
        } else if (len > 4 && g_ascii_strcasecmp(text + len - 4, " ASC") == 0) {
            text[len - 4] = '\0';
        }
        g_autoptr(DuetExpr) parsed = duet_sql_parse_expression(text, error);
        if (parsed != NULL)
            key.expr = duet_expr_resolve(parsed, frame->schema, error);
        if (key.expr == NULL) {
            for (guint done = 0; done < keys->len; done++)
                duet_expr_unref(g_array_index(keys, DuetSortKey, done).expr);
            g_array_unref(keys);
            return NULL;
        }
        g_array_append_val(keys, key);
    }
    DuetDataFrame *sorted = duet_dataframe_node_new(DUET_PLAN_SORT, frame->schema, frame);
    sorted->sort_keys = keys;
    return sorted;
}

DuetDataFrame *
duet_dataframe_limit(DuetDataFrame *frame, gint64 n)
{
    DuetDataFrame *limited = duet_dataframe_node_new(DUET_PLAN_LIMIT, frame->schema, frame);
    limited->limit = MAX(n, 0);
    return limited;
}

DuetDataFrame *
duet_dataframe_repartition(DuetDataFrame *frame, guint n, gboolean shuffle)
{
    DuetDataFrame *repartitioned =
        duet_dataframe_node_new(DUET_PLAN_REPARTITION, frame->schema, frame);
    repartitioned->limit = MAX(n, 1);
    repartitioned->shuffle = shuffle;
    return repartitioned;
}
