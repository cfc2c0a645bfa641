/* time_window.c — window() in select and groupBy, as Spark's TimeWindowing rule rewrites it.
 *
 * Layer: structured/. A window(time, duration[, slide[, start]]) call becomes a WINDOW node
 * under the projection or aggregation: it appends a `window` struct column (one row per window
 * a row falls in) and the call is replaced by a reference to that column. The window carries
 * the event-time mark of its time column, so a windowed aggregation is keyed by event time.
 */
#include "structured/internal.h"
#include "structured/dataframe.h"

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
        return duet_analysis_error(error, "The %s of window() must be a literal interval string",
                                   what);
    if (argument->literal.type == DUET_TYPE_STRING) {
        g_autofree char *text =
            g_strndup(argument->literal.v.str.data, argument->literal.v.str.len);
        return duet_parse_interval_us(text, us, error);
    }
    return duet_value_as_int64(&argument->literal, us) ||
           duet_analysis_error(error, "The %s of window() must be an interval", what);
}

/* Spark's TimeWindowing: a WINDOW node under frame for the window(...) call. */
static DuetDataFrame *
window_node(DuetDataFrame *frame, const DuetExpr *call, GError **error)
{
    if (call->n_children < 2 || call->n_children > 4) {
        duet_analysis_error(error,
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
        duet_analysis_error(error,
                            "The window duration (%" G_GINT64_FORMAT
                            ") and the slide duration must be greater than 0.",
                            window);
        return NULL;
    }
    if (slide > window) {
        duet_analysis_error(error,
                            "The slide duration (%" G_GINT64_FORMAT
                            ") must be less than or equal to the windowDuration (%" G_GINT64_FORMAT
                            ").",
                            slide, window);
        return NULL;
    }
    if (ABS(start) >= slide) {
        duet_analysis_error(error,
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
        duet_analysis_error(
            error,
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
    DuetDataFrame *node = duet_dataframe_node_new(DUET_PLAN_WINDOW, schema, frame);
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
DuetDataFrame *
duet_expand_window(DuetDataFrame *frame, DuetExpr *const *exprs, guint n, GPtrArray **rewritten,
                   GError **error)
{
    *rewritten = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    const DuetExpr *call = NULL;
    for (guint index = 0; index < n; index++) {
        const DuetExpr *found = find_window_call(exprs[index]);
        if (found && call) {
            g_clear_pointer(rewritten, g_ptr_array_unref);
            duet_analysis_error(error,
                                "Multiple time/session window expressions would result in a "
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
