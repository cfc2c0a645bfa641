/* expr_eval.c — evaluating resolved expressions a batch at a time: operators, casts, CASE, IN.
 *
 * Layer: structured/. Includes rdd/ and structured/. Every node turns its children's columns
 * into its own column in one loop over the rows: no tree walk per row. Arithmetic follows
 * Spark's default (non-ANSI) mode: integer overflow wraps, x / 0 and x % 0 are null, casts of
 * unparsable strings are null. Function calls are dispatched to expr_function.c.
 */
#include "structured/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading cells as numbers ------------------------------------------------------------ */

/* Calls parse on the string data[0..len) trimmed and NUL-terminated: on the stack when it is
 * short, so casting a column allocates nothing per row. */
static gboolean
with_trimmed(const char *data, gsize len, gboolean (*parse)(const char *, gpointer), gpointer out)
{
    char stack[64];
    char *text = len < sizeof stack ? stack : g_malloc(len + 1);
    if (len)
        memcpy(text, data, len);
    text[len] = '\0';
    gboolean ok = parse(g_strstrip(text), out);
    if (text != stack)
        g_free(text);
    return ok;
}

static gboolean
parse_double(const char *text, gpointer out)
{
    char *end = NULL;
    *(gdouble *)out = g_ascii_strtod(text, &end);
    return end != text && *end == '\0';
}

static gboolean
parse_int(const char *text, gpointer out)
{
    char *end = NULL;
    gint64 parsed = g_ascii_strtoll(text, &end, 10);
    if (end != text && *end == '\0') {
        *(gint64 *)out = parsed;
        return TRUE;
    }
    gdouble real = g_ascii_strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(real))
        return FALSE;
    *(gint64 *)out = (gint64)real; /* Spark truncates "1.5" to 1 */
    return TRUE;
}

gboolean
duet_expr_parse_double(const char *data, gsize len, gdouble *out)
{
    return with_trimmed(data, len, parse_double, out);
}

gboolean
duet_expr_cell_double(const DuetColumn *column, gsize row, gdouble *out)
{
    DuetValue value;
    duet_column_get_value(column, row, &value);
    if (value.is_null)
        return FALSE;
    if (value.type == DUET_TYPE_STRING)
        return duet_expr_parse_double(value.v.str.data, value.v.str.len, out);
    return duet_value_as_double(&value, out);
}

gboolean
duet_expr_cell_int(const DuetColumn *column, gsize row, gint64 *out)
{
    DuetValue value;
    duet_column_get_value(column, row, &value);
    if (value.is_null)
        return FALSE;
    if (value.type == DUET_TYPE_STRING)
        return with_trimmed(value.v.str.data, value.v.str.len, parse_int, out);
    if (value.type == DUET_TYPE_DOUBLE) {
        *out = (gint64)value.v.f64;
        return isfinite(value.v.f64);
    }
    return duet_value_as_int64(&value, out);
}

void
duet_expr_append_int(DuetColumnBuilder *builder, gint64 value)
{
    if (duet_data_type_id(duet_column_builder_type(builder)) == DUET_TYPE_INT32)
        duet_column_builder_append_int32(builder, (gint32)value);
    else
        duet_column_builder_append_int64(builder, value);
}

/* ---- arithmetic and comparison ----------------------------------------------------------- */

static void
evaluate_arithmetic(const DuetExpr *expr, DuetColumn *left, DuetColumn *right, gsize n,
                    DuetColumnBuilder *out)
{
    gboolean real = duet_data_type_id(expr->type) == DUET_TYPE_DOUBLE;
    gboolean narrow = duet_data_type_id(expr->type) == DUET_TYPE_INT32;
    for (gsize row = 0; row < n; row++) {
        if (real) {
            gdouble a, b;
            if (!duet_expr_cell_double(left, row, &a) || !duet_expr_cell_double(right, row, &b)) {
                duet_column_builder_append_null(out);
                continue;
            }
            gdouble result = 0;
            switch (expr->op) {
            case DUET_BINARY_ADD:
                result = a + b;
                break;
            case DUET_BINARY_SUBTRACT:
                result = a - b;
                break;
            case DUET_BINARY_MULTIPLY:
                result = a * b;
                break;
            case DUET_BINARY_DIVIDE:
            case DUET_BINARY_REMAINDER:
                if (b == 0) {
                    duet_column_builder_append_null(out);
                    continue;
                }
                result = expr->op == DUET_BINARY_DIVIDE ? a / b : fmod(a, b);
                break;
            default:
                break;
            }
            duet_column_builder_append_double(out, result);
            continue;
        }
        gint64 a, b;
        if (!duet_expr_cell_int(left, row, &a) || !duet_expr_cell_int(right, row, &b)) {
            duet_column_builder_append_null(out);
            continue;
        }
        /* wrap on overflow, in the result's width, as the JVM does */
        guint64 x = (guint64)a, y = (guint64)b;
        gint64 result = 0;
        switch (expr->op) {
        case DUET_BINARY_ADD:
            result = (gint64)(x + y);
            break;
        case DUET_BINARY_SUBTRACT:
            result = (gint64)(x - y);
            break;
        case DUET_BINARY_MULTIPLY:
            result = (gint64)(x * y);
            break;
        case DUET_BINARY_REMAINDER:
            if (b == 0) {
                duet_column_builder_append_null(out);
                continue;
            }
            result = (b == -1) ? 0 : a % b;
            break;
        default:
            break;
        }
        if (narrow)
            result = (gint32)(guint32)result;
        duet_expr_append_int(out, result);
    }
}

/* Orders two non-null cells the way Spark's comparison does after its implicit casts. */
static int
compare_cells(const DuetColumn *left, const DuetColumn *right, gsize row, gboolean *comparable)
{
    DuetValue a, b;
    duet_column_get_value(left, row, &a);
    duet_column_get_value(right, row, &b);
    gboolean a_text = a.type == DUET_TYPE_STRING, b_text = b.type == DUET_TYPE_STRING;
    *comparable = TRUE;
    if (a_text != b_text) {
        /* string against number: compare as doubles; unparsable is null */
        gdouble x, y;
        if (!duet_expr_cell_double(left, row, &x) || !duet_expr_cell_double(right, row, &y)) {
            *comparable = FALSE;
            return 0;
        }
        return (x > y) - (x < y);
    }
    return duet_value_compare(&a, &b);
}

static void
evaluate_comparison(const DuetExpr *expr, DuetColumn *left, DuetColumn *right, gsize n,
                    DuetColumnBuilder *out)
{
    for (gsize row = 0; row < n; row++) {
        if (duet_column_is_null(left, row) || duet_column_is_null(right, row)) {
            duet_column_builder_append_null(out);
            continue;
        }
        gboolean comparable;
        int order = compare_cells(left, right, row, &comparable);
        if (!comparable) {
            duet_column_builder_append_null(out);
            continue;
        }
        gboolean result = FALSE;
        switch (expr->op) {
        case DUET_BINARY_EQUAL:
            result = order == 0;
            break;
        case DUET_BINARY_NOT_EQUAL:
            result = order != 0;
            break;
        case DUET_BINARY_LESS:
            result = order < 0;
            break;
        case DUET_BINARY_LESS_EQUAL:
            result = order <= 0;
            break;
        case DUET_BINARY_GREATER:
            result = order > 0;
            break;
        case DUET_BINARY_GREATER_EQUAL:
            result = order >= 0;
            break;
        default:
            break;
        }
        duet_column_builder_append_boolean(out, result);
    }
}

/* SQL's three-valued AND / OR. */
static void
evaluate_logic(const DuetExpr *expr, DuetColumn *left, DuetColumn *right, gsize n,
               DuetColumnBuilder *out)
{
    gboolean is_and = expr->op == DUET_BINARY_AND;
    for (gsize row = 0; row < n; row++) {
        gboolean left_null = duet_column_is_null(left, row);
        gboolean right_null = duet_column_is_null(right, row);
        gboolean a = !left_null && duet_column_get_boolean(left, row);
        gboolean b = !right_null && duet_column_get_boolean(right, row);
        if (is_and) {
            if ((!left_null && !a) || (!right_null && !b))
                duet_column_builder_append_boolean(out, FALSE);
            else if (left_null || right_null)
                duet_column_builder_append_null(out);
            else
                duet_column_builder_append_boolean(out, TRUE);
        } else {
            if ((!left_null && a) || (!right_null && b))
                duet_column_builder_append_boolean(out, TRUE);
            else if (left_null || right_null)
                duet_column_builder_append_null(out);
            else
                duet_column_builder_append_boolean(out, FALSE);
        }
    }
}

/* ---- casts ------------------------------------------------------------------------------- */

char *
duet_expr_cell_string(const DuetColumn *column, gsize row)
{
    DuetValue value;
    duet_column_get_value(column, row, &value);
    if (value.is_null)
        return NULL;
    if (value.type == DUET_TYPE_STRING)
        return g_strndup(value.v.str.data, value.v.str.len);
    GString *text = g_string_new(NULL);
    duet_format_value(text, &value, DUET_FORMAT_SPARK_SQL);
    return g_string_free(text, FALSE);
}

static void
evaluate_cast(DuetTypeId target, DuetColumn *input, gsize n, DuetColumnBuilder *out)
{
    DuetTypeId source = duet_data_type_id(duet_column_type(input));
    for (gsize row = 0; row < n; row++) {
        DuetValue value;
        duet_column_get_value(input, row, &value);
        if (value.is_null) {
            duet_column_builder_append_null(out);
            continue;
        }
        if (target == DUET_TYPE_STRING && source == DUET_TYPE_BINARY) {
            /* Spark decodes the bytes as UTF-8, replacing invalid sequences with U+FFFD */
            g_autofree char *text = g_utf8_make_valid(value.v.str.data, (gssize)value.v.str.len);
            duet_column_builder_append_string(out, text, -1);
            continue;
        }
        if (target == DUET_TYPE_BINARY && source == DUET_TYPE_STRING) {
            duet_column_builder_append_string(out, value.v.str.data, (gssize)value.v.str.len);
            continue;
        }
        switch (target) {
        case DUET_TYPE_STRING: {
            GString *text = g_string_new(NULL);
            duet_format_value(text, &value, DUET_FORMAT_SPARK_SQL);
            duet_column_builder_append_string(out, text->str, (gssize)text->len);
            g_string_free(text, TRUE);
            break;
        }
        case DUET_TYPE_INT32:
        case DUET_TYPE_INT64: {
            gint64 number;
            if (source == DUET_TYPE_TIMESTAMP) /* seconds, rounded down */
                number =
                    value.v.i64 >= 0 ? value.v.i64 / 1000000 : -((-value.v.i64 + 999999) / 1000000);
            else if (source == DUET_TYPE_BOOLEAN)
                number = value.v.boolean ? 1 : 0;
            else if (!duet_expr_cell_int(input, row, &number)) {
                duet_column_builder_append_null(out);
                break;
            }
            duet_expr_append_int(out, number);
            break;
        }
        case DUET_TYPE_DOUBLE: {
            gdouble number;
            if (source == DUET_TYPE_TIMESTAMP)
                number = (gdouble)value.v.i64 / 1e6;
            else if (source == DUET_TYPE_BOOLEAN)
                number = value.v.boolean ? 1 : 0;
            else if (!duet_expr_cell_double(input, row, &number)) {
                duet_column_builder_append_null(out);
                break;
            }
            duet_column_builder_append_double(out, number);
            break;
        }
        case DUET_TYPE_BOOLEAN: {
            if (source == DUET_TYPE_STRING) {
                g_autofree char *text = g_strstrip(g_strndup(value.v.str.data, value.v.str.len));
                if (!g_ascii_strcasecmp(text, "true") || !g_ascii_strcasecmp(text, "t") ||
                    !g_ascii_strcasecmp(text, "yes") || !g_ascii_strcasecmp(text, "y") ||
                    !strcmp(text, "1"))
                    duet_column_builder_append_boolean(out, TRUE);
                else if (!g_ascii_strcasecmp(text, "false") || !g_ascii_strcasecmp(text, "f") ||
                         !g_ascii_strcasecmp(text, "no") || !g_ascii_strcasecmp(text, "n") ||
                         !strcmp(text, "0"))
                    duet_column_builder_append_boolean(out, FALSE);
                else
                    duet_column_builder_append_null(out);
            } else {
                gdouble number = 0;
                duet_value_as_double(&value, &number);
                duet_column_builder_append_boolean(out, number != 0);
            }
            break;
        }
        case DUET_TYPE_TIMESTAMP: {
            gint64 micros;
            if (source == DUET_TYPE_STRING) {
                g_autofree char *text = g_strstrip(g_strndup(value.v.str.data, value.v.str.len));
                if (!duet_expr_parse_timestamp(text, &micros)) {
                    duet_column_builder_append_null(out);
                    break;
                }
            } else if (source == DUET_TYPE_TIMESTAMP) {
                micros = value.v.i64;
            } else if (source == DUET_TYPE_DATE) {
                micros = (gint64)value.v.i32 * G_GINT64_CONSTANT(86400000000);
            } else {
                /* a number of seconds, as Spark's CAST(x AS TIMESTAMP) */
                gdouble seconds = 0;
                duet_value_as_double(&value, &seconds);
                micros = (gint64)llround(seconds * 1e6);
            }
            duet_column_builder_append_int64(out, micros);
            break;
        }
        case DUET_TYPE_DATE: {
            gint32 days;
            if (source == DUET_TYPE_STRING) {
                g_autofree char *text = g_strstrip(g_strndup(value.v.str.data, value.v.str.len));
                if (!duet_expr_parse_date(text, &days)) {
                    duet_column_builder_append_null(out);
                    break;
                }
            } else if (source == DUET_TYPE_TIMESTAMP) {
                gint64 day_us = G_GINT64_CONSTANT(86400000000);
                days = (gint32)(value.v.i64 >= 0 ? value.v.i64 / day_us
                                                 : -((-value.v.i64 + day_us - 1) / day_us));
            } else {
                days = value.v.i32;
            }
            duet_column_builder_append_int32(out, days);
            break;
        }
        default:
            if (!duet_column_builder_append_value(out, &value))
                duet_column_builder_append_null(out);
            break;
        }
    }
}

DuetColumn *
duet_expr_cast_column(DuetColumn *input, DuetDataType *target)
{
    if (duet_data_type_equal(duet_column_type(input), target))
        return duet_column_ref(input);
    gsize n = duet_column_length(input);
    DuetColumnBuilder *out = duet_column_builder_new(target, n);
    if (duet_data_type_id(duet_column_type(input)) == DUET_TYPE_NULL)
        for (gsize row = 0; row < n; row++)
            duet_column_builder_append_null(out);
    else
        evaluate_cast(duet_data_type_id(target), input, n, out);
    DuetColumn *result = duet_column_builder_finish(out);
    duet_column_builder_free(out);
    return result;
}

/* ---- CASE WHEN and IN ---------------------------------------------------------------------- */

/* Spark's CaseWhen: the first branch whose condition is true (not null) gives the row's value.
 * One pass per branch marks the rows it takes, then one pass gathers. */
static void
evaluate_case(const DuetExpr *expr, DuetColumn **children, gsize n, DuetColumnBuilder *out)
{
    guint n_branches = expr->n_children / 2;
    gboolean has_else = expr->n_children % 2 == 1;
    guint none = G_MAXUINT;
    guint *chosen = g_new(guint, MAX(n, 1));
    for (gsize row = 0; row < n; row++)
        chosen[row] = has_else ? n_branches : none;
    for (guint branch = n_branches; branch-- > 0;) {
        DuetColumn *condition = children[2 * branch];
        for (gsize row = 0; row < n; row++)
            if (!duet_column_is_null(condition, row) && duet_column_get_boolean(condition, row))
                chosen[row] = branch;
    }
    DuetColumn **values = g_new0(DuetColumn *, n_branches + 1);
    for (guint branch = 0; branch < n_branches; branch++)
        values[branch] = duet_expr_cast_column(children[2 * branch + 1], expr->type);
    if (has_else)
        values[n_branches] = duet_expr_cast_column(children[2 * n_branches], expr->type);
    for (gsize row = 0; row < n; row++) {
        if (chosen[row] == none || duet_column_is_null(values[chosen[row]], row))
            duet_column_builder_append_null(out);
        else
            duet_column_builder_append_from(out, values[chosen[row]], row);
    }
    for (guint branch = 0; branch <= n_branches; branch++)
        if (values[branch])
            duet_column_unref(values[branch]);
    g_free(values);
    g_free(chosen);
}

/* Spark's In over the common type of the value and the list: true on a match; else null when
 * the value or an element is null; else false. One pass per list element. */
static void
evaluate_in(const DuetExpr *expr, DuetColumn **children, gsize n, DuetColumnBuilder *out)
{
    enum { NO_MATCH, MATCH, SAW_NULL };
    g_autoptr(DuetDataType) common = duet_data_type_new_scalar(DUET_TYPE_NULL);
    for (guint child = 0; child < expr->n_children; child++) {
        DuetDataType *wider = duet_expr_wider_type(common, expr->children[child]->type);
        g_assert(wider != NULL); /* checked at resolution */
        duet_data_type_unref(common);
        common = wider;
    }
    guint8 *state = g_new0(guint8, MAX(n, 1));
    g_autoptr(DuetColumn) value = duet_expr_cast_column(children[0], common);
    for (guint child = 1; child < expr->n_children; child++) {
        g_autoptr(DuetColumn) element = duet_expr_cast_column(children[child], common);
        for (gsize row = 0; row < n; row++) {
            if (state[row] == MATCH || duet_column_is_null(value, row))
                continue;
            if (duet_column_is_null(element, row))
                state[row] = SAW_NULL;
            else if (duet_column_compare_rows(value, row, element, row) == 0)
                state[row] = MATCH;
        }
    }
    for (gsize row = 0; row < n; row++) {
        if (duet_column_is_null(value, row) || state[row] == SAW_NULL)
            duet_column_builder_append_null(out);
        else
            duet_column_builder_append_boolean(out, state[row] == MATCH);
    }
    g_free(state);
}

/* ---- the evaluator ----------------------------------------------------------------------- */

DuetColumn *
duet_expr_evaluate(const DuetExpr *expr, DuetBatch *batch, GError **error)
{
    g_return_val_if_fail(duet_expr_is_resolved(expr), NULL);
    gsize n = duet_batch_n_rows(batch);
    if (expr->kind == DUET_EXPR_COLUMN)
        return duet_column_ref(duet_batch_column(batch, (guint)expr->column_index));
    if (expr->kind == DUET_EXPR_ALIAS)
        return duet_expr_evaluate(expr->children[0], batch, error);
    DuetColumn **children = g_new0(DuetColumn *, MAX(expr->n_children, 1));
    DuetColumn *result = NULL;
    for (guint child = 0; child < expr->n_children; child++) {
        children[child] = duet_expr_evaluate(expr->children[child], batch, error);
        if (children[child] == NULL)
            goto out;
    }
    DuetColumnBuilder *out = duet_column_builder_new(expr->type, n);
    switch (expr->kind) {
    case DUET_EXPR_LITERAL:
        for (gsize row = 0; row < n; row++)
            duet_column_builder_append_value(out, &expr->literal);
        break;
    case DUET_EXPR_BINARY:
        if (expr->op <= DUET_BINARY_REMAINDER)
            evaluate_arithmetic(expr, children[0], children[1], n, out);
        else if (expr->op >= DUET_BINARY_AND)
            evaluate_logic(expr, children[0], children[1], n, out);
        else
            evaluate_comparison(expr, children[0], children[1], n, out);
        break;
    case DUET_EXPR_NOT:
        for (gsize row = 0; row < n; row++) {
            if (duet_column_is_null(children[0], row))
                duet_column_builder_append_null(out);
            else
                duet_column_builder_append_boolean(out, !duet_column_get_boolean(children[0], row));
        }
        break;
    case DUET_EXPR_NEGATE:
        for (gsize row = 0; row < n; row++) {
            DuetValue value;
            duet_column_get_value(children[0], row, &value);
            if (value.is_null)
                duet_column_builder_append_null(out);
            else if (value.type == DUET_TYPE_DOUBLE)
                duet_column_builder_append_double(out, -value.v.f64);
            else if (value.type == DUET_TYPE_INT32)
                duet_column_builder_append_int32(out, (gint32)(0u - (guint32)value.v.i32));
            else
                duet_column_builder_append_int64(out, (gint64)(0 - (guint64)value.v.i64));
        }
        break;
    case DUET_EXPR_IS_NULL:
    case DUET_EXPR_IS_NOT_NULL:
        for (gsize row = 0; row < n; row++)
            duet_column_builder_append_boolean(out, duet_column_is_null(children[0], row) ==
                                                        (expr->kind == DUET_EXPR_IS_NULL));
        break;
    case DUET_EXPR_CAST:
        evaluate_cast(duet_data_type_id(expr->type), children[0], n, out);
        break;
    case DUET_EXPR_FUNCTION:
        if (!duet_expr_evaluate_function(expr, children, n, out, error)) {
            duet_column_builder_free(out);
            goto out;
        }
        break;
    case DUET_EXPR_CASE:
        evaluate_case(expr, children, n, out);
        break;
    case DUET_EXPR_IN:
        evaluate_in(expr, children, n, out);
        break;
    case DUET_EXPR_FIELD: {
        DuetColumn *field = duet_column_child(children[0], (guint)expr->column_index);
        for (gsize row = 0; row < n; row++) {
            if (duet_column_is_null(children[0], row))
                duet_column_builder_append_null(out);
            else
                duet_column_builder_append_from(out, field, row);
        }
        break;
    }
    default:
        break;
    }
    result = duet_column_builder_finish(out);
    duet_column_builder_free(out);
out:
    for (guint child = 0; child < expr->n_children; child++)
        if (children[child])
            duet_column_unref(children[child]);
    g_free(children);
    return result;
}
