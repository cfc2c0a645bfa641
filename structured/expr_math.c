/* expr_math.c — Spark's math functions: abs, round (HALF_UP), floor, ceil, sqrt, pow and isnan.
 *
 * Layer: structured/. Includes rdd/ and structured/. Strings are implicitly cast to double, as
 * Spark's ImplicitCastInputTypes does; floor and ceil give bigint with Java's saturating
 * (long) cast; round works on the decimal digits Double.toString shows, as Scala's BigDecimal
 * does, so that round(2.675, 2) is 2.68.
 */
#include "structured/internal.h"

#include <math.h>
#include <stdlib.h>

/* Spark's implicit cast to a number: numbers, strings (parsed) and null. */
static gboolean
numeric_argument(const DuetExpr *expr, guint argument, const char *required, GError **error)
{
    DuetTypeId id = duet_expr_argument_type(expr, argument);
    if (duet_expr_is_numeric(expr->children[argument]) || id == DUET_TYPE_STRING ||
        id == DUET_TYPE_NULL)
        return TRUE;
    return duet_expr_input_type_error(expr, argument, required, error);
}

/* ---- the functions
 * ------------------------------------------------------------------------------------ */

static gboolean
type_abs(DuetExpr *expr, GError **error)
{
    if (!duet_expr_is_numeric(expr->children[0]) &&
        duet_expr_argument_type(expr, 0) != DUET_TYPE_NULL)
        return duet_expr_input_type_error(expr, 0, "\"NUMERIC\"", error);
    expr->type = duet_data_type_ref(expr->children[0]->type);
    expr->nullable = duet_expr_any_nullable(expr);
    return TRUE;
}

static gboolean
evaluate_abs(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
             DuetColumnBuilder *out, GError **error)
{
    (void)expr;
    (void)error;
    for (gsize row = 0; row < n_rows; row++) {
        DuetValue value;
        duet_column_get_value(arguments[0], row, &value);
        if (value.is_null)
            duet_column_builder_append_null(out);
        else if (value.type == DUET_TYPE_DOUBLE)
            duet_column_builder_append_double(out, fabs(value.v.f64));
        else {
            gint64 number = 0;
            duet_value_as_int64(&value, &number);
            duet_expr_append_int(out, number < 0 ? (gint64)(0 - (guint64)number) : number);
        }
    }
    return TRUE;
}

/* round(x, scale): x's type (a string is a double); the scale must be a constant int. */
static gboolean
type_round(DuetExpr *expr, GError **error)
{
    if (expr->n_children == 1) {
        DuetValue zero = duet_value_int32(0);
        duet_expr_append_default(expr, &zero);
    }
    if (!numeric_argument(expr, 0, "\"NUMERIC\"", error))
        return FALSE;
    const DuetExpr *scale = expr->children[1];
    if (scale->kind != DUET_EXPR_LITERAL ||
        (!scale->literal.is_null && scale->literal.type != DUET_TYPE_INT32))
        return duet_expr_input_type_error(expr, 1, "\"INT\"", error);
    DuetTypeId id = duet_expr_argument_type(expr, 0);
    return duet_expr_set_type(
        expr, id == DUET_TYPE_STRING || id == DUET_TYPE_NULL ? DUET_TYPE_DOUBLE : id,
        duet_expr_any_nullable(expr));
}

/* Spark rounds a double as Scala's BigDecimal(d).setScale(scale, HALF_UP): on the decimal
 * digits of Double.toString (so round(2.675, 2) is 2.68, not 2.67 as in binary). */
static gdouble
round_half_up(gdouble value, gint scale)
{
    if (!isfinite(value))
        return value;
    GString *text = g_string_new(NULL);
    duet_format_java_double(text, value);
    const char *at = text->str;
    gboolean negative = *at == '-';
    if (negative)
        at++;
    GString *digits = g_string_new(NULL);
    gint point = -1, exponent = 0;
    for (; *at && *at != 'E'; at++) {
        if (*at == '.')
            point = (gint)digits->len;
        else
            g_string_append_c(digits, *at);
    }
    if (*at == 'E')
        exponent = atoi(at + 1);
    if (point < 0)
        point = (gint)digits->len;
    point += exponent;         /* value = 0.digits x 10^point */
    gint keep = point + scale; /* digits before the rounding position */
    gdouble result = 0;
    if (keep >= (gint)digits->len) {
        result = fabs(value);
    } else if (keep >= 0) {
        GString *kept = g_string_new_len(digits->str, keep);
        if (keep == 0)
            g_string_assign(kept, "0");
        if (digits->str[keep] >= '5') {
            /* add one to the last kept digit, carrying */
            gint position = (gint)kept->len - 1;
            while (position >= 0 && kept->str[position] == '9')
                kept->str[position--] = '0';
            if (position >= 0)
                kept->str[position]++;
            else
                g_string_prepend_c(kept, '1');
        }
        g_string_append_printf(kept, "E%d", -scale);
        result = g_ascii_strtod(kept->str, NULL);
        g_string_free(kept, TRUE);
    }
    g_string_free(digits, TRUE);
    g_string_free(text, TRUE);
    return negative ? -result : result;
}

static gboolean
evaluate_round(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
               DuetColumnBuilder *out, GError **error)
{
    (void)error;
    gint64 scale = 0;
    if (expr->children[1]->literal.is_null) {
        for (gsize row = 0; row < n_rows; row++)
            duet_column_builder_append_null(out);
        return TRUE;
    }
    scale = expr->children[1]->literal.v.i32;
    gboolean real = duet_data_type_id(expr->type) == DUET_TYPE_DOUBLE;
    for (gsize row = 0; row < n_rows; row++) {
        if (real) {
            gdouble value;
            if (!duet_expr_cell_double(arguments[0], row, &value))
                duet_column_builder_append_null(out);
            else
                duet_column_builder_append_double(out, round_half_up(value, (gint)scale));
            continue;
        }
        gint64 value;
        if (!duet_expr_cell_int(arguments[0], row, &value)) {
            duet_column_builder_append_null(out);
            continue;
        }
        if (scale < 0) {
            /* HALF_UP on the magnitude, as BigDecimal does; overflow wraps as Spark's does */
            guint64 unit = 1;
            for (gint64 step = 0; step < -scale && unit <= G_MAXUINT64 / 10; step++)
                unit *= 10;
            guint64 magnitude = value < 0 ? 0 - (guint64)value : (guint64)value;
            guint64 rounded = (-scale > 19) ? 0 : (magnitude + unit / 2) / unit * unit;
            value = value < 0 ? (gint64)(0 - rounded) : (gint64)rounded;
            if (duet_data_type_id(expr->type) == DUET_TYPE_INT32)
                value = (gint32)(guint32)value;
        }
        duet_expr_append_int(out, value);
    }
    return TRUE;
}

/* floor, ceil: bigint (Java's (long) cast saturates, NaN is 0). */
static gboolean
type_floor(DuetExpr *expr, GError **error)
{
    if (!numeric_argument(expr, 0, "(\"DOUBLE\" or \"DECIMAL\" or \"BIGINT\")", error))
        return FALSE;
    return duet_expr_set_type(expr, DUET_TYPE_INT64, duet_expr_any_nullable(expr));
}

static gboolean
evaluate_floor(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
               DuetColumnBuilder *out, GError **error)
{
    (void)error;
    gboolean ceiling = g_str_equal(expr->name, "ceil") || g_str_equal(expr->name, "ceiling");
    gboolean integral = duet_expr_argument_type(expr, 0) == DUET_TYPE_INT32 ||
                        duet_expr_argument_type(expr, 0) == DUET_TYPE_INT64;
    for (gsize row = 0; row < n_rows; row++) {
        if (integral) {
            gint64 value;
            if (duet_expr_cell_int(arguments[0], row, &value))
                duet_column_builder_append_int64(out, value);
            else
                duet_column_builder_append_null(out);
            continue;
        }
        gdouble value;
        if (!duet_expr_cell_double(arguments[0], row, &value)) {
            duet_column_builder_append_null(out);
            continue;
        }
        gdouble rounded = ceiling ? ceil(value) : floor(value);
        gint64 result = isnan(rounded)                      ? 0
                        : rounded >= 9223372036854775807.0  ? G_MAXINT64
                        : rounded <= -9223372036854775808.0 ? G_MININT64
                                                            : (gint64)rounded;
        duet_column_builder_append_int64(out, result);
    }
    return TRUE;
}

/* sqrt, pow/power: double; sqrt of a negative number is NaN, as Java's Math.sqrt. */
static gboolean
type_double_math(DuetExpr *expr, GError **error)
{
    for (guint argument = 0; argument < expr->n_children; argument++)
        if (!numeric_argument(expr, argument, "\"DOUBLE\"", error))
            return FALSE;
    return duet_expr_set_type(expr, DUET_TYPE_DOUBLE, duet_expr_any_nullable(expr));
}

static gboolean
evaluate_double_math(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
                     DuetColumnBuilder *out, GError **error)
{
    (void)error;
    gboolean square_root = g_str_equal(expr->name, "sqrt");
    for (gsize row = 0; row < n_rows; row++) {
        gdouble x, y = 0;
        if (!duet_expr_cell_double(arguments[0], row, &x) ||
            (!square_root && !duet_expr_cell_double(arguments[1], row, &y))) {
            duet_column_builder_append_null(out);
            continue;
        }
        duet_column_builder_append_double(out, square_root ? sqrt(x) : pow(x, y));
    }
    return TRUE;
}

/* isnan(x): never null; isnan(null) is false. */
static gboolean
type_isnan(DuetExpr *expr, GError **error)
{
    if (!numeric_argument(expr, 0, "\"DOUBLE\"", error))
        return FALSE;
    return duet_expr_set_type(expr, DUET_TYPE_BOOLEAN, FALSE);
}

static gboolean
evaluate_isnan(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
               DuetColumnBuilder *out, GError **error)
{
    (void)expr;
    (void)error;
    for (gsize row = 0; row < n_rows; row++) {
        gdouble value;
        duet_column_builder_append_boolean(out, duet_expr_cell_double(arguments[0], row, &value) &&
                                                    isnan(value));
    }
    return TRUE;
}

/* ---- the table ------------------------------------------------------------------------------- */

static const DuetFunctionDef functions[] = {
    {"abs", 1, 1, type_abs, evaluate_abs},
    {"round", 1, 2, type_round, evaluate_round},
    {"floor", 1, 1, type_floor, evaluate_floor},
    {"ceil", 1, 1, type_floor, evaluate_floor},
    {"ceiling", 1, 1, type_floor, evaluate_floor},
    {"sqrt", 1, 1, type_double_math, evaluate_double_math},
    {"pow", 2, 2, type_double_math, evaluate_double_math},
    {"power", 2, 2, type_double_math, evaluate_double_math},
    {"isnan", 1, 1, type_isnan, evaluate_isnan},
};

const DuetFunctionDef *
duet_expr_math_function(const char *name)
{
    for (gsize entry = 0; entry < G_N_ELEMENTS(functions); entry++)
        if (g_str_equal(functions[entry].name, name))
            return &functions[entry];
    return NULL;
}
