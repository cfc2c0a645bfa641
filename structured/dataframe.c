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

static DuetDataFrame *
frame_new(DuetPlanKind kind, DuetSchema *schema, DuetDataFrame *child)
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
    frame->is_streaming = child ? child->is_streaming : TRUE;
    return frame;
}

DuetDataFrame *
duet_dataframe_from_source(DuetSource *source)
{
    DuetDataFrame *frame = frame_new(DUET_PLAN_SOURCE, duet_source_schema(source), NULL);
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
    g_ptr_array_unref(frame->exprs);
    duet_schema_unref(frame->schema);
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

static gboolean analysis_error(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
analysis_error(GError **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error_literal(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS, message);
    g_free(message);
    return FALSE;
}

/* ---- window() ---------------------------------------------------------------------------- */

static const DuetExpr *
find_window_call(const DuetExpr *expr)
{
    if (expr->kind == DUET_EXPR_FUNCTION && g_ascii_strcasecmp(expr->name, "window") == 0)
        return expr;
    for (guint child = 0; child < expr->n_children; child++) {
        const DuetExpr *found = find_window_call(expr->children[child]);
        if (found)
            return found;
    }
    return NULL;
}

/* A copy of expr with every window(...) call replaced by the column `window`. */
static DuetExpr *
replace_window_call(const DuetExpr *expr)
{
    if (expr->kind == DUET_EXPR_FUNCTION && g_ascii_strcasecmp(expr->name, "window") == 0)
        return duet_expr_column("window");
    if (expr->n_children == 0)
        return duet_expr_ref((DuetExpr *)expr);
    DuetExpr *children[expr->n_children];
    for (guint child = 0; child < expr->n_children; child++)
        children[child] = replace_window_call(expr->children[child]);
    DuetExpr *copy = NULL;
    switch (expr->kind) {
    case DUET_EXPR_ALIAS:
        copy = duet_expr_alias(children[0], expr->name);
        break;
    case DUET_EXPR_CAST:
        copy = duet_expr_cast(children[0], expr->cast_type);
        break;
    case DUET_EXPR_BINARY:
        copy = duet_expr_binary(expr->op, children[0], children[1]);
        break;
    case DUET_EXPR_FUNCTION:
        copy = duet_expr_function(expr->name, children, expr->n_children);
        break;
    case DUET_EXPR_NOT:
        copy = duet_expr_not(children[0]);
        break;
    case DUET_EXPR_NEGATE:
        copy = duet_expr_negate(children[0]);
        break;
    case DUET_EXPR_IS_NULL:
        copy = duet_expr_is_null(children[0]);
        break;
    case DUET_EXPR_IS_NOT_NULL:
        copy = duet_expr_is_not_null(children[0]);
        break;
    default:
        copy = duet_expr_ref((DuetExpr *)expr);
        break;
    }
    for (guint child = 0; child < expr->n_children; child++)
        duet_expr_unref(children[child]);
    return copy;
}

static gboolean
duration_argument(const DuetExpr *argument, const char *what, gint64 *us, GError **error)
{
    if (argument->kind != DUET_EXPR_LITERAL || argument->literal.is_null)
        return analysis_error(error, "The %s of window() must be a literal interval string", what);
    if (argument->literal.type == DUET_TYPE_STRING) {
        g_autofree char *text =
            g_strndup(argument->literal.v.str.data, argument->literal.v.str.len);
        return duet_parse_interval_us(text, us, error);
    }
    return duet_value_as_int64(&argument->literal, us) ||
           analysis_error(error, "The %s of window() must be an interval", what);
}

/* Spark's TimeWindowing: a WINDOW node under frame for the window(...) call. */
static DuetDataFrame *
window_node(DuetDataFrame *frame, const DuetExpr *call, GError **error)
{
    if (call->n_children < 2 || call->n_children > 4) {
        analysis_error(error,
                       "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `window` requires [2, 3, 4] "
                       "parameters but the actual number is %u.",
                       call->n_children);
        return NULL;
    }
    gint64 window = 0, slide = 0, start = 0;
    if (!duration_argument(call->children[1], "windowDuration", &window, error))
        return NULL;
    slide = window;
    if (call->n_children > 2 &&
        !duration_argument(call->children[2], "slideDuration", &slide, error))
        return NULL;
    if (call->n_children > 3 && !duration_argument(call->children[3], "startTime", &start, error))
        return NULL;
    if (window <= 0 || slide <= 0) {
        analysis_error(error,
                       "The window duration (%" G_GINT64_FORMAT
                       ") and the slide duration must be greater than 0.",
                       window);
        return NULL;
    }
    if (slide > window) {
        analysis_error(error,
                       "The slide duration (%" G_GINT64_FORMAT
                       ") must be less than or equal to the windowDuration (%" G_GINT64_FORMAT ").",
                       slide, window);
        return NULL;
    }
    if (ABS(start) >= slide) {
        analysis_error(error,
                       "The absolute value of start time (%" G_GINT64_FORMAT
                       ") must be less than the slideDuration (%" G_GINT64_FORMAT ").",
                       start, slide);
        return NULL;
    }
    DuetExpr *time = duet_expr_resolve(call->children[0], frame->schema, error);
    if (time == NULL)
        return NULL;
    DuetTypeId type = duet_data_type_id(duet_expr_type(time));
    if (type == DUET_TYPE_STRING) {
        /* a string time is cast implicitly, as Spark's type coercion does */
        g_autoptr(DuetDataType) timestamp = duet_data_type_new_scalar(DUET_TYPE_TIMESTAMP);
        g_autoptr(DuetExpr) cast = duet_expr_cast(time, timestamp);
        duet_expr_unref(time);
        time = duet_expr_resolve(cast, frame->schema, error);
        if (time == NULL)
            return NULL;
        type = DUET_TYPE_TIMESTAMP;
    }
    if (type != DUET_TYPE_TIMESTAMP) {
        g_autofree char *name = duet_expr_name(time);
        g_autofree char *type_name = duet_data_type_to_string(duet_expr_type(time));
        g_autofree char *upper = g_ascii_strup(type_name, -1);
        duet_expr_unref(time);
        analysis_error(error,
                       "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"window(%s)\" "
                       "due to data type mismatch: The first parameter requires the "
                       "\"TIMESTAMP\" type, however \"%s\" has the type \"%s\".",
                       name, name, upper);
        return NULL;
    }
    g_autoptr(DuetSchema) schema = duet_schema_new();
    for (guint field = 0; field < duet_schema_n_fields(frame->schema); field++) {
        const DuetField *existing = duet_schema_field(frame->schema, field);
        duet_schema_add_field(schema, existing->name, existing->type, existing->nullable);
    }
    g_autoptr(DuetSchema) bounds = duet_schema_parse("start TIMESTAMP, end TIMESTAMP", NULL);
    g_autoptr(DuetDataType) window_type = duet_data_type_new_struct(bounds);
    duet_schema_add_field(schema, "window", window_type, TRUE);
    DuetDataFrame *node = frame_new(DUET_PLAN_WINDOW, schema, frame);
    g_ptr_array_add(node->exprs, time);
    node->window_us = window;
    node->slide_us = slide;
    node->start_us = start;
    if (time->kind == DUET_EXPR_COLUMN && time->column_index == frame->event_time_column &&
        !frame->event_time_is_window) {
        node->event_time_column = (gint)duet_schema_n_fields(schema) - 1;
        node->event_time_is_window = TRUE;
    }
    return node;
}

/* Where exprs use window(...), a WINDOW node under frame and the exprs rewritten to use its
 * column; otherwise frame and exprs unchanged. (transfer full) both. */
static DuetDataFrame *
expand_window(DuetDataFrame *frame, DuetExpr *const *exprs, guint n, GPtrArray **rewritten,
              GError **error)
{
    *rewritten = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    const DuetExpr *call = NULL;
    for (guint index = 0; index < n; index++) {
        const DuetExpr *found = find_window_call(exprs[index]);
        if (found && call) {
            g_clear_pointer(rewritten, g_ptr_array_unref);
            analysis_error(error, "Multiple time/session window expressions would result in a "
                                  "cartesian product of rows, therefore they are currently not "
                                  "supported.");
            return NULL;
        }
        call = call ? call : found;
    }
    for (guint index = 0; index < n; index++)
        g_ptr_array_add(*rewritten,
                        call ? replace_window_call(exprs[index]) : duet_expr_ref(exprs[index]));
    if (call == NULL)
        return duet_dataframe_ref(frame);
    DuetDataFrame *node = window_node(frame, call, error);
    if (node == NULL)
        g_clear_pointer(rewritten, g_ptr_array_unref);
    return node;
}

/* The output index of the event-time column among resolved exprs over child, or -1. */
static gint
event_time_among(DuetDataFrame *child, GPtrArray *resolved)
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
    g_autoptr(DuetDataFrame) input = expand_window(frame, exprs, n, &rewritten, error);
    if (input == NULL)
        return NULL;
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
            analysis_error(error,
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
    DuetDataFrame *projected = frame_new(DUET_PLAN_PROJECT, schema, input);
    projected->event_time_column = event_time_among(input, resolved);
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
        analysis_error(error,
                       "[DATATYPE_MISMATCH.FILTER_NOT_BOOLEAN] Cannot resolve \"%s\" due to data "
                       "type mismatch: Filter expression \"%s\" of type \"%s\" is not a boolean.",
                       name, name, type_name);
        duet_expr_unref(resolved);
        return NULL;
    }
    DuetDataFrame *filtered = frame_new(DUET_PLAN_FILTER, frame->schema, frame);
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
        analysis_error(error,
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
duet_dataframe_map_partitions(DuetDataFrame *frame, DuetSchema *schema, DuetPartitionFunc func,
                              gpointer user_data)
{
    DuetDataFrame *mapped = frame_new(DUET_PLAN_MAP, schema, frame);
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
        analysis_error(error,
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
    DuetDataFrame *marked = frame_new(DUET_PLAN_WATERMARK, frame->schema, frame);
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
    g_autoptr(DuetDataFrame) input = expand_window(
        grouped->frame, (DuetExpr *const *)grouped->keys->pdata, grouped->keys->len, &keys, error);
    if (input == NULL)
        return NULL;
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
    DuetDataFrame *aggregated = frame_new(DUET_PLAN_AGGREGATE, schema, input);
    aggregated->event_time_column = event_time_among(input, resolved);
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
            analysis_error(error,
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
        analysis_error(error, "dropDuplicatesWithinWatermark is not supported on streaming "
                              "DataFrames/DataSets without watermark");
        return NULL;
    }
    DuetDataFrame *deduped = frame_new(DUET_PLAN_DEDUP, frame->schema, frame);
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
    DuetDataFrame *sorted = frame_new(DUET_PLAN_SORT, frame->schema, frame);
    sorted->sort_keys = keys;
    return sorted;
}

DuetDataFrame *
duet_dataframe_limit(DuetDataFrame *frame, gint64 n)
{
    DuetDataFrame *limited = frame_new(DUET_PLAN_LIMIT, frame->schema, frame);
    limited->limit = MAX(n, 0);
    return limited;
}

DuetDataFrame *
duet_dataframe_repartition(DuetDataFrame *frame, guint n, gboolean shuffle)
{
    DuetDataFrame *repartitioned = frame_new(DUET_PLAN_REPARTITION, frame->schema, frame);
    repartitioned->limit = MAX(n, 1);
    repartitioned->shuffle = shuffle;
    return repartitioned;
}

/* ---- union and join ----------------------------------------------------------------------- */

static gboolean
check_mixed(DuetDataFrame *left, DuetDataFrame *right, const char *what, GError **error)
{
    if (left->is_streaming != right->is_streaming && g_str_equal(what, "Union"))
        return analysis_error(error, "Union between streaming and batch DataFrames/Datasets is "
                                     "not supported");
    return TRUE;
}

DuetDataFrame *
duet_dataframe_union(DuetDataFrame *left, DuetDataFrame *right, GError **error)
{
    guint n = duet_schema_n_fields(left->schema);
    if (n != duet_schema_n_fields(right->schema)) {
        analysis_error(error,
                       "[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the same "
                       "number of columns, but the first input has %u columns and the second "
                       "input has %u columns.",
                       n, duet_schema_n_fields(right->schema));
        return NULL;
    }
    if (!check_mixed(left, right, "Union", error))
        return NULL;
    for (guint field = 0; field < n; field++) {
        DuetDataType *a = duet_schema_field(left->schema, field)->type;
        DuetDataType *b = duet_schema_field(right->schema, field)->type;
        if (!duet_data_type_equal(a, b)) {
            g_autofree char *x = duet_data_type_to_string(a);
            g_autofree char *y = duet_data_type_to_string(b);
            analysis_error(error,
                           "[INCOMPATIBLE_COLUMN_TYPE] UNION can only be performed on inputs with "
                           "compatible column types. The column %u of the second input is \"%s\" "
                           "where the first input has \"%s\" (duet does not widen union types).",
                           field + 1, y, x);
            return NULL;
        }
    }
    DuetDataFrame *unioned = frame_new(DUET_PLAN_UNION, left->schema, left);
    unioned->right = duet_dataframe_ref(right);
    unioned->is_streaming = left->is_streaming || right->is_streaming;
    /* the event time survives when both sides carry it in the same column */
    if (left->event_time_column != right->event_time_column)
        unioned->event_time_column = -1;
    return unioned;
}

static GArray *
key_indices(DuetDataFrame *side, const char *const *using_columns, guint n, GError **error)
{
    GArray *indices = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint index = 0; index < n; index++) {
        gint found = duet_schema_find_ci(side->schema, using_columns[index]);
        if (found < 0) {
            g_autofree char *fields = duet_schema_to_string(side->schema);
            analysis_error(
                error,
                "[UNRESOLVED_USING_COLUMN_FOR_JOIN] USING column `%s` cannot be resolved "
                "on the %s side of the join. The %s-side columns: %s.",
                using_columns[index], "one", "that", fields);
            g_array_unref(indices);
            return NULL;
        }
        guint column = (guint)found;
        g_array_append_val(indices, column);
    }
    return indices;
}

static gboolean
contains_index(GArray *indices, guint column)
{
    for (guint index = 0; index < indices->len; index++)
        if (g_array_index(indices, guint, index) == column)
            return TRUE;
    return FALSE;
}

DuetDataFrame *
duet_dataframe_join(DuetDataFrame *left, DuetDataFrame *right, const char *const *using_columns,
                    guint n, const char *type, GError **error)
{
    DuetJoinType join_type;
    if (type == NULL || g_ascii_strcasecmp(type, "inner") == 0) {
        join_type = DUET_JOIN_INNER;
    } else if (g_ascii_strcasecmp(type, "left") == 0 ||
               g_ascii_strcasecmp(type, "left_outer") == 0 ||
               g_ascii_strcasecmp(type, "leftouter") == 0) {
        join_type = DUET_JOIN_LEFT_OUTER;
    } else {
        analysis_error(
            error, "duet: the %s join type is not supported yet (inner and left outer are)", type);
        return NULL;
    }
    if (n == 0) {
        analysis_error(error, "duet: a join needs USING columns (cross joins are not supported)");
        return NULL;
    }
    if (!left->is_streaming && right->is_streaming) {
        analysis_error(error, "duet: a join with a static left side and a streaming right side "
                              "is not supported; put the stream on the left");
        return NULL;
    }
    if (join_type == DUET_JOIN_LEFT_OUTER && right->is_streaming) {
        analysis_error(error,
                       "Stream-stream LeftOuter join between two streaming DataFrame/Datasets is "
                       "not supported without a watermark in the join keys, or a watermark on the "
                       "nullable side and an appropriate range condition (duet supports only inner "
                       "stream-stream joins)");
        return NULL;
    }
    GArray *left_keys = key_indices(left, using_columns, n, error);
    GArray *right_keys = left_keys ? key_indices(right, using_columns, n, error) : NULL;
    if (right_keys == NULL) {
        if (left_keys)
            g_array_unref(left_keys);
        return NULL;
    }
    g_autoptr(DuetSchema) schema = duet_schema_new();
    GArray *left_order = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint index = 0; index < n; index++) {
        guint column = g_array_index(left_keys, guint, index);
        const DuetField *field = duet_schema_field(left->schema, column);
        duet_schema_add_field(schema, field->name, field->type, field->nullable);
        g_array_append_val(left_order, column);
    }
    for (guint column = 0; column < duet_schema_n_fields(left->schema); column++) {
        if (contains_index(left_keys, column))
            continue;
        const DuetField *field = duet_schema_field(left->schema, column);
        duet_schema_add_field(schema, field->name, field->type, field->nullable);
        g_array_append_val(left_order, column);
    }
    GArray *right_values = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint column = 0; column < duet_schema_n_fields(right->schema); column++) {
        if (contains_index(right_keys, column))
            continue;
        const DuetField *field = duet_schema_field(right->schema, column);
        duet_schema_add_field(schema, field->name, field->type,
                              field->nullable || join_type == DUET_JOIN_LEFT_OUTER);
        g_array_append_val(right_values, column);
    }
    DuetDataFrame *joined = frame_new(DUET_PLAN_JOIN, schema, left);
    joined->right = duet_dataframe_ref(right);
    joined->join_type = join_type;
    joined->left_keys = left_keys;
    joined->right_keys = right_keys;
    joined->right_values = right_values;
    joined->columns = left_order; /* left columns in output order */
    joined->is_streaming = left->is_streaming || right->is_streaming;
    joined->event_time_column = -1;
    for (guint index = 0; index < left_order->len; index++)
        if ((gint)g_array_index(left_order, guint, index) == left->event_time_column)
            joined->event_time_column = (gint)index;
    /* state is evicted by a join key that carries event time on either side */
    for (guint index = 0; index < n; index++) {
        gint left_column = (gint)g_array_index(left_keys, guint, index);
        gint right_column = (gint)g_array_index(right_keys, guint, index);
        if (left_column == left->event_time_column || right_column == right->event_time_column) {
            joined->state_time_column = (gint)index; /* a key position */
            joined->event_time_is_window = left_column == left->event_time_column
                                               ? left->event_time_is_window
                                               : right->event_time_is_window;
        }
    }
    if (joined->event_time_column < 0)
        joined->event_time_is_window = FALSE;
    return joined;
}

/* ---- explain ------------------------------------------------------------------------------- */

static void
append_names(GString *out, GPtrArray *exprs)
{
    for (guint index = 0; index < exprs->len; index++) {
        g_autofree char *name = duet_expr_name(exprs->pdata[index]);
        g_string_append_printf(out, "%s%s", index ? ", " : "", name);
    }
}

static void
append_explain(GString *out, DuetDataFrame *frame, guint depth)
{
    for (guint level = 0; level < depth; level++)
        g_string_append(out, level + 1 == depth ? "+- " : "   ");
    switch (frame->kind) {
    case DUET_PLAN_SOURCE: {
        g_autofree char *description = duet_source_description(frame->source);
        g_string_append_printf(
            out, "%s %s\n",
            frame->is_static ? "LocalTableScan" : "StreamingDataSourceV2ScanRelation", description);
        return;
    }
    case DUET_PLAN_PROJECT:
        g_string_append(out, "Project [");
        append_names(out, frame->exprs);
        g_string_append(out, "]\n");
        break;
    case DUET_PLAN_FILTER: {
        g_autofree char *name = duet_expr_name(frame->exprs->pdata[0]);
        g_string_append_printf(out, "Filter %s\n", name);
        break;
    }
    case DUET_PLAN_WINDOW: {
        g_autofree char *name = duet_expr_name(frame->exprs->pdata[0]);
        g_string_append_printf(out,
                               "Expand window(%s, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                               ", %" G_GINT64_FORMAT ")\n",
                               name, frame->window_us, frame->slide_us, frame->start_us);
        break;
    }
    case DUET_PLAN_WATERMARK:
        g_string_append_printf(
            out, "EventTimeWatermark %s, %" G_GINT64_FORMAT " milliseconds\n",
            duet_schema_field(frame->schema, (guint)frame->event_time_column)->name,
            frame->delay_ms);
        break;
    case DUET_PLAN_AGGREGATE:
        g_string_append(out, "StateStoreSave [");
        append_names(out, frame->exprs);
        g_string_append(out, "], functions=[");
        for (guint index = 0; index < frame->aggs->len; index++) {
            const DuetAggSpec *spec = frame->aggs->pdata[index];
            g_string_append_printf(out, "%s%s", index ? ", " : "", spec->name);
        }
        g_string_append(out, "]\n");
        break;
    case DUET_PLAN_DEDUP:
        g_string_append_printf(out, "%s [",
                               frame->within_watermark ? "DeduplicateWithinWatermark"
                                                       : "StreamingDeduplicate");
        for (guint index = 0; index < frame->columns->len; index++)
            g_string_append_printf(
                out, "%s%s", index ? ", " : "",
                duet_schema_field(frame->schema, g_array_index(frame->columns, guint, index))
                    ->name);
        g_string_append(out, "]\n");
        break;
    case DUET_PLAN_SORT:
        g_string_append(out, "Sort [");
        for (guint index = 0; index < frame->sort_keys->len; index++) {
            const DuetSortKey *key = &g_array_index(frame->sort_keys, DuetSortKey, index);
            g_autofree char *name = duet_expr_name(key->expr);
            g_string_append_printf(out, "%s%s %s", index ? ", " : "", name,
                                   key->ascending ? "ASC NULLS FIRST" : "DESC NULLS LAST");
        }
        g_string_append(out, "], true\n");
        break;
    case DUET_PLAN_LIMIT:
        g_string_append_printf(out, "StreamingGlobalLimit %" G_GINT64_FORMAT "\n", frame->limit);
        break;
    case DUET_PLAN_MAP:
        g_string_append(out, "MapPartitions <function>\n");
        break;
    case DUET_PLAN_REPARTITION:
        g_string_append_printf(out, "%s %" G_GINT64_FORMAT "\n",
                               frame->shuffle ? "Exchange RoundRobinPartitioning" : "Coalesce",
                               frame->limit);
        break;
    case DUET_PLAN_UNION:
        g_string_append(out, "Union\n");
        break;
    case DUET_PLAN_JOIN:
        g_string_append_printf(out, "%s %s\n",
                               frame->right->is_streaming ? "StreamingSymmetricHashJoin"
                                                          : "BroadcastHashJoin",
                               frame->join_type == DUET_JOIN_INNER ? "Inner" : "LeftOuter");
        break;
    }
    append_explain(out, frame->child, depth + 1);
    if (frame->right)
        append_explain(out, frame->right, depth + 1);
}

char *
duet_dataframe_explain(DuetDataFrame *frame)
{
    GString *out = g_string_new("== Physical Plan ==\n");
    append_explain(out, frame, 0);
    return g_string_free(out, FALSE);
}
