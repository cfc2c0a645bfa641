/* expr.c — expression trees: construction, Spark's names, resolution and typing.
 *
 * Layer: structured/. Includes rdd/ and structured/. Evaluation lives in expr_eval.c; the
 * layout both share is in structured/internal.h.
 */
#include "structured/internal.h"

G_DEFINE_QUARK(duet - sql - error - quark, duet_sql_error)

static DuetExpr *
expr_new(DuetExprKind kind, guint n_children)
{
    DuetExpr *expr = g_new0(DuetExpr, 1);
    expr->ref_count = 1;
    expr->kind = kind;
    expr->n_children = n_children;
    expr->children = g_new0(DuetExpr *, MAX(n_children, 1));
    expr->column_index = -1;
    expr->literal = duet_value_null();
    return expr;
}

DuetExpr *
duet_expr_ref(DuetExpr *expr)
{
    g_atomic_int_inc(&expr->ref_count);
    return expr;
}

void
duet_expr_unref(DuetExpr *expr)
{
    if (expr == NULL || !g_atomic_int_dec_and_test(&expr->ref_count))
        return;
    for (guint child = 0; child < expr->n_children; child++)
        duet_expr_unref(expr->children[child]);
    g_free(expr->children);
    g_free(expr->name);
    g_free(expr->literal_bytes);
    if (expr->cast_type)
        duet_data_type_unref(expr->cast_type);
    if (expr->type)
        duet_data_type_unref(expr->type);
    g_free(expr);
}

DuetExpr *
duet_expr_column(const char *name)
{
    DuetExpr *expr = expr_new(DUET_EXPR_COLUMN, 0);
    expr->name = g_strdup(name);
    return expr;
}

DuetExpr *
duet_expr_literal(const DuetValue *value)
{
    DuetExpr *expr = expr_new(DUET_EXPR_LITERAL, 0);
    expr->literal = *value;
    if (!value->is_null && (value->type == DUET_TYPE_STRING || value->type == DUET_TYPE_BINARY)) {
        expr->literal_bytes = g_strndup(value->v.str.data, value->v.str.len);
        expr->literal.v.str.data = expr->literal_bytes;
    }
    return expr;
}

DuetExpr *
duet_expr_literal_int(gint64 value)
{
    DuetValue literal = value >= G_MININT32 && value <= G_MAXINT32 ? duet_value_int32((gint32)value)
                                                                   : duet_value_int64(value);
    return duet_expr_literal(&literal);
}

DuetExpr *
duet_expr_literal_string(const char *text)
{
    DuetValue literal = duet_value_string(text, strlen(text));
    return duet_expr_literal(&literal);
}

DuetExpr *
duet_expr_literal_null(void)
{
    DuetValue literal = duet_value_null();
    return duet_expr_literal(&literal);
}

static DuetExpr *
unary(DuetExprKind kind, DuetExpr *child)
{
    DuetExpr *expr = expr_new(kind, 1);
    expr->children[0] = duet_expr_ref(child);
    return expr;
}

DuetExpr *
duet_expr_binary(DuetBinaryOp op, DuetExpr *left, DuetExpr *right)
{
    DuetExpr *expr = expr_new(DUET_EXPR_BINARY, 2);
    expr->op = op;
    expr->children[0] = duet_expr_ref(left);
    expr->children[1] = duet_expr_ref(right);
    return expr;
}

DuetExpr *
duet_expr_not(DuetExpr *child)
{
    return unary(DUET_EXPR_NOT, child);
}

DuetExpr *
duet_expr_negate(DuetExpr *child)
{
    return unary(DUET_EXPR_NEGATE, child);
}

DuetExpr *
duet_expr_is_null(DuetExpr *child)
{
    return unary(DUET_EXPR_IS_NULL, child);
}

DuetExpr *
duet_expr_is_not_null(DuetExpr *child)
{
    return unary(DUET_EXPR_IS_NOT_NULL, child);
}

DuetExpr *
duet_expr_cast(DuetExpr *child, DuetDataType *type)
{
    DuetExpr *expr = unary(DUET_EXPR_CAST, child);
    expr->cast_type = duet_data_type_ref(type);
    return expr;
}

DuetExpr *
duet_expr_alias(DuetExpr *child, const char *name)
{
    DuetExpr *expr = unary(DUET_EXPR_ALIAS, child);
    expr->name = g_strdup(name);
    return expr;
}

DuetExpr *
duet_expr_function(const char *name, DuetExpr *const *arguments, guint n)
{
    DuetExpr *expr = expr_new(DUET_EXPR_FUNCTION, n);
    expr->name = g_ascii_strdown(name, -1);
    for (guint argument = 0; argument < n; argument++)
        expr->children[argument] = duet_expr_ref(arguments[argument]);
    return expr;
}

DuetExpr *
duet_expr_case_when(DuetExpr *const *conditions, DuetExpr *const *values, guint n,
                    DuetExpr *else_value)
{
    g_return_val_if_fail(n > 0, NULL);
    DuetExpr *expr = expr_new(DUET_EXPR_CASE, 2 * n + (else_value ? 1 : 0));
    for (guint branch = 0; branch < n; branch++) {
        expr->children[2 * branch] = duet_expr_ref(conditions[branch]);
        expr->children[2 * branch + 1] = duet_expr_ref(values[branch]);
    }
    if (else_value)
        expr->children[2 * n] = duet_expr_ref(else_value);
    return expr;
}

DuetExpr *
duet_expr_when(DuetExpr *condition, DuetExpr *value, DuetExpr *else_value)
{
    return duet_expr_case_when(&condition, &value, 1, else_value);
}

DuetExpr *
duet_expr_in(DuetExpr *value, DuetExpr *const *list, guint n)
{
    DuetExpr *expr = expr_new(DUET_EXPR_IN, n + 1);
    expr->children[0] = duet_expr_ref(value);
    for (guint element = 0; element < n; element++)
        expr->children[element + 1] = duet_expr_ref(list[element]);
    return expr;
}

DuetExprKind
duet_expr_kind(const DuetExpr *expr)
{
    return expr->kind;
}

gboolean
duet_expr_is_resolved(const DuetExpr *expr)
{
    return expr->type != NULL;
}

DuetDataType *
duet_expr_type(const DuetExpr *expr)
{
    return expr->type;
}

gboolean
duet_expr_nullable(const DuetExpr *expr)
{
    return expr->nullable;
}

/* ---- names ------------------------------------------------------------------------------- */

static const char *
binary_symbol(DuetBinaryOp op)
{
    static const char *const symbols[] = {
        "+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">=", "AND", "OR"};
    return symbols[op];
}

/* Spark's math expressions print their SQL names in capitals (UnaryMathExpression's name):
 * FLOOR(x), CEIL(x), SQRT(x), POWER(x, y). */
static const char *
function_display_name(const char *name)
{
    static const char *const capitals[][2] = {
        {"floor", "FLOOR"}, {"ceil", "CEIL"},   {"sqrt", "SQRT"},
        {"pow", "POWER"},   {"power", "POWER"},
    };
    for (gsize entry = 0; entry < G_N_ELEMENTS(capitals); entry++)
        if (g_str_equal(capitals[entry][0], name))
            return capitals[entry][1];
    return name;
}

static void
append_name(GString *out, const DuetExpr *expr)
{
    switch (expr->kind) {
    case DUET_EXPR_COLUMN:
    case DUET_EXPR_ALIAS:
        g_string_append(out, expr->name);
        return;
    case DUET_EXPR_LITERAL:
        if (expr->literal.is_null)
            g_string_append(out, "NULL");
        else
            duet_format_value(out, &expr->literal, DUET_FORMAT_SPARK_SQL);
        return;
    case DUET_EXPR_BINARY:
        if (expr->op == DUET_BINARY_NOT_EQUAL) {
            /* Spark writes a != b as NOT (a = b) */
            g_string_append(out, "(NOT (");
            append_name(out, expr->children[0]);
            g_string_append(out, " = ");
            append_name(out, expr->children[1]);
            g_string_append(out, "))");
            return;
        }
        g_string_append_c(out, '(');
        append_name(out, expr->children[0]);
        g_string_append_printf(out, " %s ", binary_symbol(expr->op));
        append_name(out, expr->children[1]);
        g_string_append_c(out, ')');
        return;
    case DUET_EXPR_NOT:
        g_string_append(out, "(NOT ");
        append_name(out, expr->children[0]);
        g_string_append_c(out, ')');
        return;
    case DUET_EXPR_NEGATE:
        g_string_append(out, "(- ");
        append_name(out, expr->children[0]);
        g_string_append_c(out, ')');
        return;
    case DUET_EXPR_IS_NULL:
    case DUET_EXPR_IS_NOT_NULL:
        g_string_append_c(out, '(');
        append_name(out, expr->children[0]);
        g_string_append(out, expr->kind == DUET_EXPR_IS_NULL ? " IS NULL)" : " IS NOT NULL)");
        return;
    case DUET_EXPR_CAST: {
        g_autofree char *type = duet_data_type_to_string(expr->cast_type);
        g_autofree char *upper = g_ascii_strup(type, -1);
        g_string_append(out, "CAST(");
        append_name(out, expr->children[0]);
        g_string_append_printf(out, " AS %s)", upper);
        return;
    }
    case DUET_EXPR_FIELD:
        append_name(out, expr->children[0]);
        g_string_append_printf(out, ".%s", expr->name);
        return;
    case DUET_EXPR_CASE:
        g_string_append(out, "CASE");
        for (guint child = 0; child + 1 < expr->n_children; child += 2) {
            g_string_append(out, " WHEN ");
            append_name(out, expr->children[child]);
            g_string_append(out, " THEN ");
            append_name(out, expr->children[child + 1]);
        }
        if (expr->n_children % 2 == 1) {
            g_string_append(out, " ELSE ");
            append_name(out, expr->children[expr->n_children - 1]);
        }
        g_string_append(out, " END");
        return;
    case DUET_EXPR_IN:
        g_string_append_c(out, '(');
        append_name(out, expr->children[0]);
        g_string_append(out, " IN (");
        for (guint child = 1; child < expr->n_children; child++) {
            if (child > 1)
                g_string_append(out, ", ");
            append_name(out, expr->children[child]);
        }
        g_string_append(out, "))");
        return;
    case DUET_EXPR_FUNCTION:
        if ((g_str_equal(expr->name, "like") || g_str_equal(expr->name, "rlike")) &&
            (expr->n_children == 2 || expr->n_children == 3)) {
            /* Spark's Like.sql and RLike.sql: infix, unparenthesised */
            append_name(out, expr->children[0]);
            g_string_append(out, g_str_equal(expr->name, "like") ? " LIKE " : " RLIKE ");
            append_name(out, expr->children[1]);
            if (expr->n_children == 3) {
                g_string_append(out, " ESCAPE '");
                append_name(out, expr->children[2]);
                g_string_append_c(out, '\'');
            }
            return;
        }
        g_string_append_printf(out, "%s(", function_display_name(expr->name));
        for (guint argument = 0; argument < expr->n_children; argument++) {
            if (argument)
                g_string_append(out, ", ");
            append_name(out, expr->children[argument]);
        }
        g_string_append_c(out, ')');
        return;
    }
}

char *
duet_expr_name(const DuetExpr *expr)
{
    GString *out = g_string_new(NULL);
    append_name(out, expr);
    return g_string_free(out, FALSE);
}

/* ---- resolution -------------------------------------------------------------------------- */

static DuetDataType *
scalar(DuetTypeId id)
{
    return duet_data_type_new_scalar(id);
}

static gboolean
is_numeric_id(DuetTypeId id)
{
    return id == DUET_TYPE_INT32 || id == DUET_TYPE_INT64 || id == DUET_TYPE_DOUBLE;
}

/* Spark's numeric widening for arithmetic: int < bigint < double; strings become double. */
static DuetTypeId
wider_numeric(DuetTypeId a, DuetTypeId b)
{
    if (a == DUET_TYPE_DOUBLE || b == DUET_TYPE_DOUBLE || a == DUET_TYPE_STRING ||
        b == DUET_TYPE_STRING)
        return DUET_TYPE_DOUBLE;
    if (a == DUET_TYPE_INT64 || b == DUET_TYPE_INT64)
        return DUET_TYPE_INT64;
    return DUET_TYPE_INT32;
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

static gboolean
unresolved_column(const char *name, DuetSchema *schema, GError **error)
{
    GString *suggestions = g_string_new(NULL);
    for (guint field = 0; field < duet_schema_n_fields(schema); field++)
        g_string_append_printf(suggestions, "%s`%s`", field ? ", " : "",
                               duet_schema_field(schema, field)->name);
    gboolean result = analysis_error(
        error,
        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `%s` "
        "cannot be resolved. Did you mean one of the following? [%s].",
        name, suggestions->str);
    g_string_free(suggestions, TRUE);
    return result;
}

static gboolean
type_is(const DuetExpr *expr, DuetTypeId id)
{
    return duet_data_type_id(expr->type) == id;
}

gboolean
duet_expr_is_numeric(const DuetExpr *expr)
{
    return is_numeric_id(duet_data_type_id(expr->type));
}

static char *
sql_type_name(const DuetDataType *type)
{
    g_autofree char *text = duet_data_type_to_string(type);
    return g_ascii_strup(text, -1);
}

gboolean
duet_expr_input_type_error(const DuetExpr *expr, guint argument, const char *required,
                           GError **error)
{
    g_autofree char *name = duet_expr_name(expr);
    g_autofree char *input = duet_expr_name(expr->children[argument]);
    g_autofree char *type = sql_type_name(expr->children[argument]->type);
    return analysis_error(error,
                          "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s\" due "
                          "to data type mismatch: Parameter %u requires the %s type, however "
                          "\"%s\" has the type \"%s\".",
                          name, argument + 1, required, input, type);
}

DuetDataType *
duet_expr_wider_type(DuetDataType *a, DuetDataType *b)
{
    DuetTypeId x = duet_data_type_id(a), y = duet_data_type_id(b);
    if (duet_data_type_equal(a, b) || y == DUET_TYPE_NULL)
        return duet_data_type_ref(a);
    if (x == DUET_TYPE_NULL)
        return duet_data_type_ref(b);
    if (is_numeric_id(x) && is_numeric_id(y))
        return scalar(wider_numeric(x, y));
    if ((x == DUET_TYPE_DATE && y == DUET_TYPE_TIMESTAMP) ||
        (x == DUET_TYPE_TIMESTAMP && y == DUET_TYPE_DATE))
        return scalar(DUET_TYPE_TIMESTAMP);
    gboolean atomic_x = x <= DUET_TYPE_DATE && x != DUET_TYPE_BINARY;
    gboolean atomic_y = y <= DUET_TYPE_DATE && y != DUET_TYPE_BINARY;
    if ((x == DUET_TYPE_STRING && atomic_y) || (y == DUET_TYPE_STRING && atomic_x))
        return scalar(DUET_TYPE_STRING);
    /* nested types must agree (up to nullability): duet does not cast their elements */
    return NULL;
}

DuetDataType *
duet_expr_common_type(DuetExpr *expr, guint first, guint n, const char *what, GError **error)
{
    DuetDataType *common = scalar(DUET_TYPE_NULL);
    for (guint child = first; child < first + n; child++) {
        DuetDataType *wider = duet_expr_wider_type(common, expr->children[child]->type);
        duet_data_type_unref(common);
        common = wider;
        if (common == NULL)
            break;
    }
    if (common != NULL)
        return common;
    GString *types = g_string_new(NULL);
    for (guint child = first; child < first + n; child++) {
        g_autofree char *type = sql_type_name(expr->children[child]->type);
        g_string_append_printf(types, "%s\"%s\"", types->len ? ", " : "", type);
    }
    g_autofree char *name = duet_expr_name(expr);
    analysis_error(error,
                   "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"%s\" due to data type "
                   "mismatch: Input to `%s` should all be the same type, but it's [%s].",
                   name, what, types->str);
    g_string_free(types, TRUE);
    return NULL;
}

void
duet_expr_append_default(DuetExpr *expr, const DuetValue *value)
{
    DuetExpr *literal = duet_expr_literal(value);
    literal->type = scalar(value->is_null ? DUET_TYPE_NULL : value->type);
    literal->nullable = value->is_null;
    expr->children = g_renew(DuetExpr *, expr->children, expr->n_children + 1);
    expr->children[expr->n_children++] = literal;
}

/* Spark's CaseWhen: boolean conditions, values of one common type; null without an ELSE. */
static gboolean
type_case(DuetExpr *expr, GError **error)
{
    gboolean has_else = expr->n_children % 2 == 1;
    for (guint child = 0; child + 1 < expr->n_children; child += 2) {
        DuetTypeId condition = duet_data_type_id(expr->children[child]->type);
        if (condition != DUET_TYPE_BOOLEAN && condition != DUET_TYPE_NULL)
            return duet_expr_input_type_error(expr, child, "\"BOOLEAN\"", error);
    }
    /* the values: children 1, 3, 5, ... and the else (the last, at an even index) */
    DuetDataType *common = scalar(DUET_TYPE_NULL);
    gboolean nullable = !has_else;
    for (guint child = 1; child < expr->n_children; child++) {
        if (child % 2 == 0 && child != expr->n_children - 1)
            continue;
        nullable |= expr->children[child]->nullable;
        DuetDataType *wider = duet_expr_wider_type(common, expr->children[child]->type);
        duet_data_type_unref(common);
        common = wider;
        if (common == NULL)
            break;
    }
    if (common == NULL) {
        GString *types = g_string_new(NULL);
        for (guint child = 1; child < expr->n_children; child++) {
            if (child % 2 == 0 && child != expr->n_children - 1)
                continue;
            g_autofree char *type = sql_type_name(expr->children[child]->type);
            g_string_append_printf(types, "%s\"%s\"", types->len ? ", " : "", type);
        }
        g_autofree char *name = duet_expr_name(expr);
        analysis_error(error,
                       "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"%s\" due to data "
                       "type mismatch: Input to `casewhen` should all be the same type, but it's "
                       "[%s].",
                       name, types->str);
        g_string_free(types, TRUE);
        return FALSE;
    }
    expr->type = common;
    expr->nullable = nullable;
    return TRUE;
}

/* Types one node whose children are resolved. */
static gboolean
type_node(DuetExpr *expr, GError **error)
{
    DuetExpr **children = expr->children;
    gboolean any_nullable = FALSE;
    for (guint child = 0; child < expr->n_children; child++)
        any_nullable |= children[child]->nullable;
    switch (expr->kind) {
    case DUET_EXPR_LITERAL:
        expr->type = scalar(expr->literal.is_null ? DUET_TYPE_NULL : expr->literal.type);
        expr->nullable = expr->literal.is_null;
        return TRUE;
    case DUET_EXPR_BINARY: {
        DuetTypeId left = duet_data_type_id(children[0]->type);
        DuetTypeId right = duet_data_type_id(children[1]->type);
        expr->nullable = any_nullable;
        if (expr->op <= DUET_BINARY_REMAINDER) {
            gboolean operable =
                (is_numeric_id(left) || left == DUET_TYPE_STRING || left == DUET_TYPE_NULL) &&
                (is_numeric_id(right) || right == DUET_TYPE_STRING || right == DUET_TYPE_NULL);
            if (!operable) {
                g_autofree char *name = duet_expr_name(expr);
                return analysis_error(error,
                                      "[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve "
                                      "\"%s\" due to data type mismatch",
                                      name);
            }
            DuetTypeId result =
                expr->op == DUET_BINARY_DIVIDE ? DUET_TYPE_DOUBLE : wider_numeric(left, right);
            expr->type = scalar(result);
            /* division and remainder by zero give null (non-ANSI Spark) */
            if (expr->op == DUET_BINARY_DIVIDE || expr->op == DUET_BINARY_REMAINDER)
                expr->nullable = TRUE;
            return TRUE;
        }
        if (expr->op == DUET_BINARY_AND || expr->op == DUET_BINARY_OR) {
            if ((left != DUET_TYPE_BOOLEAN && left != DUET_TYPE_NULL) ||
                (right != DUET_TYPE_BOOLEAN && right != DUET_TYPE_NULL)) {
                g_autofree char *name = duet_expr_name(expr);
                return analysis_error(error,
                                      "[DATATYPE_MISMATCH.BINARY_OP_WRONG_TYPE] Cannot resolve "
                                      "\"%s\" due to data type mismatch: it requires boolean",
                                      name);
            }
        }
        expr->type = scalar(DUET_TYPE_BOOLEAN);
        return TRUE;
    }
    case DUET_EXPR_NOT:
        if (!type_is(children[0], DUET_TYPE_BOOLEAN) && !type_is(children[0], DUET_TYPE_NULL)) {
            g_autofree char *name = duet_expr_name(expr);
            return analysis_error(error,
                                  "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "
                                  "\"%s\" due to data type mismatch: it requires boolean",
                                  name);
        }
        expr->type = scalar(DUET_TYPE_BOOLEAN);
        expr->nullable = any_nullable;
        return TRUE;
    case DUET_EXPR_NEGATE:
        if (!is_numeric_id(duet_data_type_id(children[0]->type))) {
            g_autofree char *name = duet_expr_name(expr);
            return analysis_error(error,
                                  "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "
                                  "\"%s\" due to data type mismatch: it requires a number",
                                  name);
        }
        expr->type = duet_data_type_ref(children[0]->type);
        expr->nullable = any_nullable;
        return TRUE;
    case DUET_EXPR_IS_NULL:
    case DUET_EXPR_IS_NOT_NULL:
        expr->type = scalar(DUET_TYPE_BOOLEAN);
        expr->nullable = FALSE;
        return TRUE;
    case DUET_EXPR_CAST: {
        DuetTypeId from = duet_data_type_id(children[0]->type);
        DuetTypeId to = duet_data_type_id(expr->cast_type);
        gboolean scalar_from = from <= DUET_TYPE_DATE;
        gboolean supported =
            from == to || from == DUET_TYPE_NULL || to == DUET_TYPE_STRING ||
            (scalar_from && from != DUET_TYPE_BINARY && from != DUET_TYPE_DATE &&
             (to == DUET_TYPE_INT32 || to == DUET_TYPE_INT64 || to == DUET_TYPE_DOUBLE ||
              to == DUET_TYPE_BOOLEAN || to == DUET_TYPE_TIMESTAMP)) ||
            (to == DUET_TYPE_DATE && (from == DUET_TYPE_STRING || from == DUET_TYPE_TIMESTAMP)) ||
            (to == DUET_TYPE_TIMESTAMP && from == DUET_TYPE_DATE) ||
            (to == DUET_TYPE_BINARY && from == DUET_TYPE_STRING);
        if (!supported) {
            g_autofree char *name = duet_expr_name(expr);
            g_autofree char *source = duet_data_type_to_string(children[0]->type);
            g_autofree char *target = duet_data_type_to_string(expr->cast_type);
            return analysis_error(error,
                                  "[DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION] Cannot resolve "
                                  "\"%s\" due to data type mismatch: cannot cast \"%s\" to "
                                  "\"%s\".",
                                  name, source, target);
        }
        expr->type = duet_data_type_ref(expr->cast_type);
        /* a string that does not parse casts to null */
        expr->nullable = any_nullable || type_is(children[0], DUET_TYPE_STRING);
        return TRUE;
    }
    case DUET_EXPR_ALIAS:
        expr->type = duet_data_type_ref(children[0]->type);
        expr->nullable = children[0]->nullable;
        return TRUE;
    case DUET_EXPR_FUNCTION:
        return duet_expr_type_function(expr, error);
    case DUET_EXPR_FIELD: {
        DuetSchema *fields = duet_data_type_fields(children[0]->type);
        expr->column_index = fields ? duet_schema_find(fields, expr->name) : -1;
        if (expr->column_index < 0)
            return analysis_error(error, "[FIELD_NOT_FOUND] No such struct field `%s`.",
                                  expr->name);
        expr->type = duet_data_type_ref(duet_schema_field(fields, (guint)expr->column_index)->type);
        expr->nullable = TRUE;
        return TRUE;
    }
    case DUET_EXPR_CASE:
        return type_case(expr, error);
    case DUET_EXPR_IN:
        expr->type = duet_expr_common_type(expr, 0, expr->n_children, "in", error);
        if (expr->type == NULL)
            return FALSE;
        duet_data_type_unref(expr->type);
        expr->type = scalar(DUET_TYPE_BOOLEAN);
        expr->nullable = any_nullable;
        return TRUE;
    case DUET_EXPR_COLUMN:
        break;
    }
    return TRUE;
}

static DuetExpr *resolve(DuetExpr *expr, DuetSchema *schema, GError **error);

/* "a.b.c" where a is a struct column: field access, as Spark's analyzer resolves it. */
static DuetExpr *
resolve_field(const char *dotted, DuetSchema *schema, GError **error)
{
    const char *dot = strrchr(dotted, '.');
    g_autofree char *parent_name = g_strndup(dotted, (gsize)(dot - dotted));
    g_autoptr(DuetExpr) parent_ref = duet_expr_column(parent_name);
    GError *local = NULL;
    g_autoptr(DuetExpr) parent = resolve(parent_ref, schema, &local);
    if (parent == NULL || duet_data_type_id(parent->type) != DUET_TYPE_STRUCT) {
        g_clear_error(&local);
        return unresolved_column(dotted, schema, error), NULL;
    }
    DuetSchema *fields = duet_data_type_fields(parent->type);
    gint index = duet_schema_find_ci(fields, dot + 1);
    if (index < 0) {
        g_autofree char *type = duet_data_type_to_string(parent->type);
        return analysis_error(error, "[FIELD_NOT_FOUND] No such struct field `%s` in %s.", dot + 1,
                              type),
               NULL;
    }
    const DuetField *field = duet_schema_field(fields, (guint)index);
    DuetExpr *resolved = expr_new(DUET_EXPR_FIELD, 1);
    resolved->name = g_strdup(field->name);
    resolved->children[0] = duet_expr_ref(parent);
    resolved->column_index = index;
    resolved->type = duet_data_type_ref(field->type);
    resolved->nullable = TRUE;
    return resolved;
}

static DuetExpr *
resolve(DuetExpr *expr, DuetSchema *schema, GError **error)
{
    if (expr->kind == DUET_EXPR_COLUMN) {
        gint index = duet_schema_find_ci(schema, expr->name);
        if (index == -2)
            return analysis_error(error,
                                  "[AMBIGUOUS_REFERENCE] Reference `%s` is ambiguous, could be: "
                                  "%s.",
                                  expr->name, expr->name),
                   NULL;
        if (index < 0 && strchr(expr->name, '.') != NULL)
            return resolve_field(expr->name, schema, error);
        if (index < 0)
            return unresolved_column(expr->name, schema, error), NULL;
        const DuetField *field = duet_schema_field(schema, (guint)index);
        DuetExpr *resolved = duet_expr_column(field->name);
        resolved->column_index = index;
        resolved->type = duet_data_type_ref(field->type);
        resolved->nullable = field->nullable;
        return resolved;
    }
    DuetExpr *resolved = expr_new(expr->kind, expr->n_children);
    resolved->op = expr->op;
    resolved->name = g_strdup(expr->name);
    resolved->literal = expr->literal;
    if (expr->literal_bytes) {
        resolved->literal_bytes = g_strdup(expr->literal_bytes);
        resolved->literal.v.str.data = resolved->literal_bytes;
    }
    resolved->cast_type = expr->cast_type ? duet_data_type_ref(expr->cast_type) : NULL;
    for (guint child = 0; child < expr->n_children; child++) {
        resolved->children[child] = resolve(expr->children[child], schema, error);
        if (resolved->children[child] == NULL) {
            duet_expr_unref(resolved);
            return NULL;
        }
    }
    if (!type_node(resolved, error)) {
        duet_expr_unref(resolved);
        return NULL;
    }
    return resolved;
}

DuetExpr *
duet_expr_resolve(DuetExpr *expr, DuetSchema *schema, GError **error)
{
    g_return_val_if_fail(expr != NULL && schema != NULL, NULL);
    return resolve(expr, schema, error);
}
