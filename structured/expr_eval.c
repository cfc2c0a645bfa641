/* expr_eval.c — evaluating resolved expressions a batch at a time, and the built-in functions.
 *
 * Layer: structured/. Includes rdd/ and structured/. Every node turns its children's columns
 * into its own column in one loop over the rows: no tree walk per row. Arithmetic follows
 * Spark's default (non-ANSI) mode: integer overflow wraps, x / 0 and x % 0 are null, casts of
 * unparsable strings are null.
 */
#include "structured/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- reading cells as numbers ------------------------------------------------------------ */

/* A cell as double (strings parsed); FALSE for null or unparsable. */
static gboolean
cell_double(const DuetColumn *column, gsize row, gdouble *out)
{
    DuetValue value;
    duet_column_get_value(column, row, &value);
    if (value.is_null)
        return FALSE;
    if (value.type == DUET_TYPE_STRING) {
        g_autofree char *text = g_strstrip(g_strndup(value.v.str.data, value.v.str.len));
        char *end = NULL;
        *out = g_ascii_strtod(text, &end);
        return end != text && *end == '\0';
    }
    return duet_value_as_double(&value, out);
}

static gboolean
cell_int(const DuetColumn *column, gsize row, gint64 *out)
{
    DuetValue value;
    duet_column_get_value(column, row, &value);
    if (value.is_null)
        return FALSE;
    if (value.type == DUET_TYPE_STRING) {
        g_autofree char *text = g_strstrip(g_strndup(value.v.str.data, value.v.str.len));
        char *end = NULL;
        gint64 parsed = g_ascii_strtoll(text, &end, 10);
        if (end != text && *end == '\0') {
            *out = parsed;
            return TRUE;
        }
        gdouble real = g_ascii_strtod(text, &end);
        if (end == text || *end != '\0' || !isfinite(real))
            return FALSE;
        *out = (gint64)real; /* Spark truncates "1.5" to 1 */
        return TRUE;
    }
    if (value.type == DUET_TYPE_DOUBLE) {
        *out = (gint64)value.v.f64;
        return isfinite(value.v.f64);
    }
    return duet_value_as_int64(&value, out);
}

static void
append_int(DuetColumnBuilder *builder, gint64 value)
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
            if (!cell_double(left, row, &a) || !cell_double(right, row, &b)) {
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
        if (!cell_int(left, row, &a) || !cell_int(right, row, &b)) {
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
        append_int(out, result);
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
        if (!cell_double(left, row, &x) || !cell_double(right, row, &y)) {
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

/* "yyyy-MM-dd[ HH:mm:ss[.ffffff]]" (or with 'T') in UTC, to microseconds. */
static gboolean
parse_timestamp(const char *text, gint64 *micros)
{
    int year, month, day, hour = 0, minute = 0, second = 0, consumed = 0;
    if (sscanf(text, "%d-%d-%d%n", &year, &month, &day, &consumed) != 3)
        return FALSE;
    const char *rest = text + consumed;
    gint64 fraction = 0;
    if (*rest == ' ' || *rest == 'T') {
        int more = 0;
        if (sscanf(rest + 1, "%d:%d:%d%n", &hour, &minute, &second, &more) != 3)
            return FALSE;
        rest += 1 + more;
        if (*rest == '.') {
            gint64 scale = 100000;
            for (rest++; g_ascii_isdigit(*rest); rest++, scale /= 10)
                fraction += (*rest - '0') * scale;
        }
    }
    if (*rest != '\0' || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
        minute > 59 || second > 59)
        return FALSE;
    GDateTime *time = g_date_time_new_utc(year, month, day, hour, minute, second);
    if (time == NULL)
        return FALSE;
    *micros = g_date_time_to_unix(time) * 1000000 + fraction;
    g_date_time_unref(time);
    return TRUE;
}

static void
evaluate_cast(const DuetExpr *expr, DuetColumn *input, gsize n, DuetColumnBuilder *out)
{
    DuetTypeId target = duet_data_type_id(expr->type);
    DuetTypeId source = duet_data_type_id(duet_column_type(input));
    for (gsize row = 0; row < n; row++) {
        DuetValue value;
        duet_column_get_value(input, row, &value);
        if (value.is_null) {
            duet_column_builder_append_null(out);
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
            else if (!cell_int(input, row, &number)) {
                duet_column_builder_append_null(out);
                break;
            }
            append_int(out, number);
            break;
        }
        case DUET_TYPE_DOUBLE: {
            gdouble number;
            if (source == DUET_TYPE_TIMESTAMP)
                number = (gdouble)value.v.i64 / 1e6;
            else if (source == DUET_TYPE_BOOLEAN)
                number = value.v.boolean ? 1 : 0;
            else if (!cell_double(input, row, &number)) {
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
                if (!parse_timestamp(text, &micros)) {
                    duet_column_builder_append_null(out);
                    break;
                }
            } else if (source == DUET_TYPE_TIMESTAMP) {
                micros = value.v.i64;
            } else {
                /* a number of seconds, as Spark's CAST(x AS TIMESTAMP) */
                gdouble seconds = 0;
                duet_value_as_double(&value, &seconds);
                micros = (gint64)llround(seconds * 1e6);
            }
            duet_column_builder_append_int64(out, micros);
            break;
        }
        default:
            duet_column_builder_append_value(out, &value);
            break;
        }
    }
}

/* ---- functions --------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    guint min_args, max_args; /* G_MAXUINT: variadic */
} FunctionInfo;

static const FunctionInfo functions[] = {
    {"lower", 1, 1},
    {"upper", 1, 1},
    {"trim", 1, 1},
    {"ltrim", 1, 1},
    {"rtrim", 1, 1},
    {"length", 1, 1},
    {"concat", 1, G_MAXUINT},
    {"abs", 1, 1},
    {"coalesce", 1, G_MAXUINT},
    {"substring", 2, 3},
    {"timestamp_seconds", 1, 1},
    {"current_timestamp", 0, 0},
    {"now", 0, 0},
};

/* The time current_timestamp() reads on this thread: the micro-batch's timestamp while a task
 * of the batch runs (Spark's ComputeCurrentTime fixes it per batch), else the wall clock. */
static __thread gint64 batch_time_us = G_MININT64;

void
duet_expr_set_batch_time(gint64 micros)
{
    batch_time_us = micros;
}

static gint64
current_time_us(void)
{
    return batch_time_us != G_MININT64 ? batch_time_us : g_get_real_time();
}

gboolean
duet_expr_type_function(DuetExpr *expr, GError **error)
{
    const FunctionInfo *info = NULL;
    for (gsize entry = 0; entry < G_N_ELEMENTS(functions); entry++)
        if (g_str_equal(functions[entry].name, expr->name))
            info = &functions[entry];
    if (info == NULL) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "[UNRESOLVED_ROUTINE] Cannot resolve function `%s` on search path "
                    "[`system`.`builtin`, `system`.`session`, `spark_catalog`.`default`].",
                    expr->name);
        return FALSE;
    }
    if (expr->n_children < info->min_args || expr->n_children > info->max_args) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires %u parameters but the "
                    "actual number is %u.",
                    expr->name, info->min_args, expr->n_children);
        return FALSE;
    }
    if (expr->n_children == 0) { /* current_timestamp(), now() */
        expr->type = duet_data_type_new_scalar(DUET_TYPE_TIMESTAMP);
        expr->nullable = FALSE;
        return TRUE;
    }
    gboolean any_nullable = FALSE;
    for (guint child = 0; child < expr->n_children; child++)
        any_nullable |= expr->children[child]->nullable;
    DuetTypeId first = duet_data_type_id(expr->children[0]->type);
    expr->nullable = any_nullable;
    if (g_str_equal(expr->name, "length")) {
        expr->type = duet_data_type_new_scalar(DUET_TYPE_INT32);
    } else if (g_str_equal(expr->name, "abs")) {
        if (first != DUET_TYPE_INT32 && first != DUET_TYPE_INT64 && first != DUET_TYPE_DOUBLE) {
            g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                        "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] abs requires a number");
            return FALSE;
        }
        expr->type = duet_data_type_ref(expr->children[0]->type);
    } else if (g_str_equal(expr->name, "coalesce")) {
        expr->type = duet_data_type_ref(expr->children[0]->type);
        expr->nullable = TRUE;
        for (guint child = 0; child < expr->n_children; child++) {
            if (!expr->children[child]->nullable)
                expr->nullable = FALSE;
            if (duet_data_type_id(expr->children[child]->type) != DUET_TYPE_NULL &&
                duet_data_type_id(expr->type) == DUET_TYPE_NULL) {
                duet_data_type_unref(expr->type);
                expr->type = duet_data_type_ref(expr->children[child]->type);
            }
        }
    } else if (g_str_equal(expr->name, "timestamp_seconds")) {
        expr->type = duet_data_type_new_scalar(DUET_TYPE_TIMESTAMP);
    } else {
        expr->type = duet_data_type_new_scalar(DUET_TYPE_STRING);
    }
    return TRUE;
}

static char *
cell_string(const DuetColumn *column, gsize row)
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

/* Spark's substring(str, pos, len): 1-based, 0 acts as 1, negative counts from the end. */
static char *
substring(const char *text, gint64 position, gint64 length)
{
    glong n = g_utf8_strlen(text, -1);
    gint64 start = position > 0 ? position - 1 : position < 0 ? n + position : 0;
    if (start < 0) {
        length += start;
        start = 0;
    }
    if (start >= n || length <= 0)
        return g_strdup("");
    gint64 end = MIN(n, start + length);
    const char *from = g_utf8_offset_to_pointer(text, (glong)start);
    const char *to = g_utf8_offset_to_pointer(text, (glong)end);
    return g_strndup(from, to - from);
}

static void
evaluate_function(const DuetExpr *expr, DuetColumn **arguments, gsize n, DuetColumnBuilder *out)
{
    const char *name = expr->name;
    if (expr->n_children == 0) { /* current_timestamp(), now(): one value for the batch */
        gint64 now = current_time_us();
        for (gsize row = 0; row < n; row++)
            duet_column_builder_append_int64(out, now);
        return;
    }
    for (gsize row = 0; row < n; row++) {
        if (g_str_equal(name, "coalesce")) {
            guint chosen = 0;
            while (chosen < expr->n_children && duet_column_is_null(arguments[chosen], row))
                chosen++;
            if (chosen == expr->n_children) {
                duet_column_builder_append_null(out);
            } else {
                DuetValue value;
                duet_column_get_value(arguments[chosen], row, &value);
                if (!duet_column_builder_append_value(out, &value))
                    duet_column_builder_append_null(out);
            }
            continue;
        }
        if (g_str_equal(name, "abs")) {
            DuetValue value;
            duet_column_get_value(arguments[0], row, &value);
            if (value.is_null)
                duet_column_builder_append_null(out);
            else if (value.type == DUET_TYPE_DOUBLE)
                duet_column_builder_append_double(out, fabs(value.v.f64));
            else {
                gint64 number = 0;
                duet_value_as_int64(&value, &number);
                append_int(out, number < 0 ? (gint64)(0 - (guint64)number) : number);
            }
            continue;
        }
        if (g_str_equal(name, "timestamp_seconds")) {
            gdouble seconds;
            if (!cell_double(arguments[0], row, &seconds))
                duet_column_builder_append_null(out);
            else
                duet_column_builder_append_int64(out, (gint64)llround(seconds * 1e6));
            continue;
        }
        /* string functions: null in, null out */
        gboolean any_null = FALSE;
        for (guint argument = 0; argument < expr->n_children; argument++)
            any_null |= duet_column_is_null(arguments[argument], row);
        if (any_null) {
            duet_column_builder_append_null(out);
            continue;
        }
        g_autofree char *text = cell_string(arguments[0], row);
        if (g_str_equal(name, "length")) {
            duet_column_builder_append_int32(out, (gint32)g_utf8_strlen(text, -1));
            continue;
        }
        char *result = NULL;
        if (g_str_equal(name, "lower"))
            result = g_utf8_strdown(text, -1);
        else if (g_str_equal(name, "upper"))
            result = g_utf8_strup(text, -1);
        else if (g_str_equal(name, "trim"))
            result = g_strstrip(g_strdup(text));
        else if (g_str_equal(name, "ltrim"))
            result = g_strchug(g_strdup(text));
        else if (g_str_equal(name, "rtrim"))
            result = g_strchomp(g_strdup(text));
        else if (g_str_equal(name, "substring")) {
            gint64 position = 1, length = G_MAXINT32;
            cell_int(arguments[1], row, &position);
            if (expr->n_children > 2)
                cell_int(arguments[2], row, &length);
            result = substring(text, position, length);
        } else if (g_str_equal(name, "concat")) {
            GString *joined = g_string_new(text);
            for (guint argument = 1; argument < expr->n_children; argument++) {
                g_autofree char *part = cell_string(arguments[argument], row);
                g_string_append(joined, part);
            }
            result = g_string_free(joined, FALSE);
        }
        duet_column_builder_append_string(out, result ? result : "", -1);
        g_free(result);
    }
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
        evaluate_cast(expr, children[0], n, out);
        break;
    case DUET_EXPR_FUNCTION:
        evaluate_function(expr, children, n, out);
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
