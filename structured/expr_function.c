/* expr_function.c — the registry of built-in scalar functions, and the general ones: simple
 * string functions, null handling, comparison across arguments and collections.
 *
 * Layer: structured/. Includes rdd/ and structured/. A function is a DuetFunctionDef (see
 * structured/internal.h): its arity, a typing callback that gives Spark's result type (and
 * fills in the default arguments Spark's names show), and an evaluator that turns the argument
 * columns into the result column in one loop over the rows. String and regex functions live in
 * expr_string.c, date-time ones in expr_time.c; this file looks them up by name.
 */
#include "structured/internal.h"

#include <math.h>

/* ---- the batch time ------------------------------------------------------------------------ */

/* The time current_timestamp() reads on this thread: the micro-batch's timestamp while a task
 * of the batch runs (Spark's ComputeCurrentTime fixes it per batch), else the wall clock. */
static __thread gint64 batch_time_us = G_MININT64;

void
duet_expr_set_batch_time(gint64 micros)
{
    batch_time_us = micros;
}

gint64
duet_expr_current_time_us(void)
{
    return batch_time_us != G_MININT64 ? batch_time_us : g_get_real_time();
}

/* ---- shared typing helpers ------------------------------------------------------------------ */

gboolean
duet_expr_any_nullable(const DuetExpr *expr)
{
    for (guint child = 0; child < expr->n_children; child++)
        if (expr->children[child]->nullable)
            return TRUE;
    return FALSE;
}

DuetTypeId
duet_expr_argument_type(const DuetExpr *expr, guint argument)
{
    return duet_data_type_id(expr->children[argument]->type);
}

gboolean
duet_expr_set_type(DuetExpr *expr, DuetTypeId id, gboolean nullable)
{
    expr->type = duet_data_type_new_scalar(id);
    expr->nullable = nullable;
    return TRUE;
}

gboolean
duet_expr_row_has_null(DuetColumn *const *arguments, guint n, gsize row)
{
    for (guint argument = 0; argument < n; argument++)
        if (duet_column_is_null(arguments[argument], row))
            return TRUE;
    return FALSE;
}

/* ---- simple string functions: null in, null out ---------------------------------------------- */

static gboolean
type_string(DuetExpr *expr, GError **error)
{
    (void)error;
    return duet_expr_set_type(expr, DUET_TYPE_STRING, duet_expr_any_nullable(expr));
}

static gboolean
type_length(DuetExpr *expr, GError **error)
{
    (void)error;
    return duet_expr_set_type(expr, DUET_TYPE_INT32, duet_expr_any_nullable(expr));
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

static gboolean
evaluate_simple_string(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
                       DuetColumnBuilder *out, GError **error)
{
    (void)error;
    const char *name = expr->name;
    for (gsize row = 0; row < n_rows; row++) {
        if (duet_expr_row_has_null(arguments, expr->n_children, row)) {
            duet_column_builder_append_null(out);
            continue;
        }
        g_autofree char *text = duet_expr_cell_string(arguments[0], row);
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
            duet_expr_cell_int(arguments[1], row, &position);
            if (expr->n_children > 2)
                duet_expr_cell_int(arguments[2], row, &length);
            result = substring(text, position, length);
        } else if (g_str_equal(name, "concat")) {
            GString *joined = g_string_new(text);
            for (guint argument = 1; argument < expr->n_children; argument++) {
                g_autofree char *part = duet_expr_cell_string(arguments[argument], row);
                g_string_append(joined, part);
            }
            result = g_string_free(joined, FALSE);
        }
        duet_column_builder_append_string(out, result ? result : "", -1);
        g_free(result);
    }
    return TRUE;
}

/* ---- null handling and comparison across arguments ------------------------------------------ */

/* coalesce, nvl, ifnull: the common type; null only when every argument may be. */
static gboolean
type_coalesce(DuetExpr *expr, GError **error)
{
    expr->type = duet_expr_common_type(expr, 0, expr->n_children, expr->name, error);
    if (expr->type == NULL)
        return FALSE;
    expr->nullable = TRUE;
    for (guint child = 0; child < expr->n_children; child++)
        if (!expr->children[child]->nullable)
            expr->nullable = FALSE;
    return TRUE;
}

static gboolean
evaluate_coalesce(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
                  DuetColumnBuilder *out, GError **error)
{
    (void)error;
    DuetColumn **cast = g_new0(DuetColumn *, expr->n_children);
    for (guint argument = 0; argument < expr->n_children; argument++)
        cast[argument] = duet_expr_cast_column(arguments[argument], expr->type);
    for (gsize row = 0; row < n_rows; row++) {
        guint chosen = 0;
        while (chosen < expr->n_children && duet_column_is_null(cast[chosen], row))
            chosen++;
        if (chosen == expr->n_children)
            duet_column_builder_append_null(out);
        else
            duet_column_builder_append_from(out, cast[chosen], row);
    }
    for (guint argument = 0; argument < expr->n_children; argument++)
        duet_column_unref(cast[argument]);
    g_free(cast);
    return TRUE;
}

/* greatest, least: Spark widens without promoting to string (int with string is an error), and
 * skips nulls: null only when every argument is null. */
static gboolean
type_greatest(DuetExpr *expr, GError **error)
{
    DuetDataType *common = duet_expr_common_type(expr, 0, expr->n_children, expr->name, NULL);
    gboolean mixed_string = FALSE;
    if (common != NULL && duet_data_type_id(common) == DUET_TYPE_STRING)
        for (guint child = 0; child < expr->n_children; child++)
            mixed_string |= duet_expr_argument_type(expr, child) != DUET_TYPE_STRING &&
                            duet_expr_argument_type(expr, child) != DUET_TYPE_NULL;
    if (common == NULL || mixed_string || duet_data_type_id(common) > DUET_TYPE_DATE) {
        g_clear_pointer(&common, duet_data_type_unref);
        /* for the message */
        GString *types = g_string_new(NULL);
        for (guint child = 0; child < expr->n_children; child++) {
            g_autofree char *type = duet_data_type_to_string(expr->children[child]->type);
            g_autofree char *upper = g_ascii_strup(type, -1);
            g_string_append_printf(types, "%s\"%s\"", child ? ", " : "", upper);
        }
        g_autofree char *name = duet_expr_name(expr);
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"%s\" due to data type "
                    "mismatch: Input to `%s` should all be the same type, but it's [%s].",
                    name, expr->name, types->str);
        g_string_free(types, TRUE);
        return FALSE;
    }
    expr->type = common;
    expr->nullable = TRUE;
    for (guint child = 0; child < expr->n_children; child++)
        if (!expr->children[child]->nullable)
            expr->nullable = FALSE;
    return TRUE;
}

static gboolean
evaluate_greatest(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
                  DuetColumnBuilder *out, GError **error)
{
    (void)error;
    int sign = g_str_equal(expr->name, "greatest") ? 1 : -1;
    DuetColumn **cast = g_new0(DuetColumn *, expr->n_children);
    for (guint argument = 0; argument < expr->n_children; argument++)
        cast[argument] = duet_expr_cast_column(arguments[argument], expr->type);
    for (gsize row = 0; row < n_rows; row++) {
        gint best = -1;
        for (guint argument = 0; argument < expr->n_children; argument++) {
            if (duet_column_is_null(cast[argument], row))
                continue;
            if (best < 0 ||
                sign * duet_column_compare_rows(cast[argument], row, cast[best], row) > 0)
                best = (gint)argument;
        }
        if (best < 0)
            duet_column_builder_append_null(out);
        else
            duet_column_builder_append_from(out, cast[best], row);
    }
    for (guint argument = 0; argument < expr->n_children; argument++)
        duet_column_unref(cast[argument]);
    g_free(cast);
    return TRUE;
}

/* ---- collections ----------------------------------------------------------------------------- */

/* size(array | map): -1 for null (Spark's default spark.sql.legacy.sizeOfNull). */
static gboolean
type_size(DuetExpr *expr, GError **error)
{
    DuetTypeId id = duet_expr_argument_type(expr, 0);
    if (id != DUET_TYPE_ARRAY && id != DUET_TYPE_MAP && id != DUET_TYPE_NULL)
        return duet_expr_input_type_error(expr, 0, "(\"ARRAY\" or \"MAP\")", error);
    return duet_expr_set_type(expr, DUET_TYPE_INT32, FALSE);
}

static gboolean
evaluate_size(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
              DuetColumnBuilder *out, GError **error)
{
    (void)expr;
    (void)error;
    gboolean typed = duet_data_type_id(duet_column_type(arguments[0])) != DUET_TYPE_NULL;
    for (gsize row = 0; row < n_rows; row++) {
        if (!typed || duet_column_is_null(arguments[0], row)) {
            duet_column_builder_append_int32(out, -1);
            continue;
        }
        gsize start, end;
        duet_column_list_range(arguments[0], row, &start, &end);
        duet_column_builder_append_int32(out, (gint32)(end - start));
    }
    return TRUE;
}

/* The element type of array argument 0 widened with argument 1, or an error. */
static DuetDataType *
element_and_value_type(DuetExpr *expr, GError **error)
{
    if (duet_expr_argument_type(expr, 0) != DUET_TYPE_ARRAY) {
        duet_expr_input_type_error(expr, 0, "\"ARRAY\"", error);
        return NULL;
    }
    DuetDataType *common = duet_expr_wider_type(duet_data_type_element(expr->children[0]->type),
                                                expr->children[1]->type);
    if (common == NULL || duet_data_type_id(common) == DUET_TYPE_NULL) {
        g_clear_pointer(&common, duet_data_type_unref);
        g_autofree char *name = duet_expr_name(expr);
        g_autofree char *array = duet_data_type_to_string(expr->children[0]->type);
        g_autofree char *value = duet_data_type_to_string(expr->children[1]->type);
        g_autofree char *array_upper = g_ascii_strup(array, -1);
        g_autofree char *value_upper = g_ascii_strup(value, -1);
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "[DATATYPE_MISMATCH.ARRAY_FUNCTION_DIFF_TYPES] Cannot resolve \"%s\" due to "
                    "data type mismatch: Input to `%s` should have been \"ARRAY\" followed by a "
                    "value with same element type, but it's [\"%s\", \"%s\"].",
                    name, expr->name, array_upper, value_upper);
    }
    return common;
}

static gboolean
type_array_contains(DuetExpr *expr, GError **error)
{
    g_autoptr(DuetDataType) common = element_and_value_type(expr, error);
    if (common == NULL)
        return FALSE;
    return duet_expr_set_type(expr, DUET_TYPE_BOOLEAN, TRUE);
}

/* array_contains: true on a match; else null when the value or an element is null. */
static gboolean
evaluate_array_contains(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
                        DuetColumnBuilder *out, GError **error)
{
    g_autoptr(DuetDataType) common = element_and_value_type((DuetExpr *)expr, error);
    if (common == NULL)
        return FALSE;
    g_autoptr(DuetColumn) elements =
        duet_expr_cast_column(duet_column_child(arguments[0], 0), common);
    g_autoptr(DuetColumn) value = duet_expr_cast_column(arguments[1], common);
    for (gsize row = 0; row < n_rows; row++) {
        if (duet_column_is_null(arguments[0], row) || duet_column_is_null(value, row)) {
            duet_column_builder_append_null(out);
            continue;
        }
        gsize start, end;
        duet_column_list_range(arguments[0], row, &start, &end);
        gboolean found = FALSE, saw_null = FALSE;
        for (gsize element = start; element < end && !found; element++) {
            if (duet_column_is_null(elements, element))
                saw_null = TRUE;
            else
                found = duet_column_compare_rows(elements, element, value, row) == 0;
        }
        if (!found && saw_null)
            duet_column_builder_append_null(out);
        else
            duet_column_builder_append_boolean(out, found);
    }
    return TRUE;
}

/* element_at(array, index) (1-based, negative from the end, null out of range) and
 * element_at(map, key). */
static gboolean
type_element_at(DuetExpr *expr, GError **error)
{
    DuetTypeId id = duet_expr_argument_type(expr, 0);
    if (id == DUET_TYPE_ARRAY) {
        DuetTypeId index = duet_expr_argument_type(expr, 1);
        if (index != DUET_TYPE_INT32 && index != DUET_TYPE_INT64 && index != DUET_TYPE_NULL)
            return duet_expr_input_type_error(expr, 1, "\"INT\"", error);
        expr->type = duet_data_type_ref(duet_data_type_element(expr->children[0]->type));
    } else if (id == DUET_TYPE_MAP) {
        g_autoptr(DuetDataType) key = duet_expr_wider_type(
            duet_data_type_map_key(expr->children[0]->type), expr->children[1]->type);
        if (key == NULL)
            return duet_expr_input_type_error(expr, 1, "map key", error);
        expr->type = duet_data_type_ref(duet_data_type_map_value(expr->children[0]->type));
    } else {
        return duet_expr_input_type_error(expr, 0, "(\"ARRAY\" or \"MAP\")", error);
    }
    expr->nullable = TRUE;
    return TRUE;
}

static gboolean
evaluate_element_at(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
                    DuetColumnBuilder *out, GError **error)
{
    gboolean map = duet_data_type_id(expr->children[0]->type) == DUET_TYPE_MAP;
    DuetColumn *values = duet_column_child(arguments[0], map ? 1 : 0);
    g_autoptr(DuetColumn) keys = NULL;
    g_autoptr(DuetColumn) wanted = NULL;
    if (map) {
        g_autoptr(DuetDataType) key_type = duet_expr_wider_type(
            duet_data_type_map_key(expr->children[0]->type), expr->children[1]->type);
        keys = duet_expr_cast_column(duet_column_child(arguments[0], 0), key_type);
        wanted = duet_expr_cast_column(arguments[1], key_type);
    }
    for (gsize row = 0; row < n_rows; row++) {
        if (duet_expr_row_has_null(arguments, 2, row)) {
            duet_column_builder_append_null(out);
            continue;
        }
        gsize start, end;
        duet_column_list_range(arguments[0], row, &start, &end);
        gint64 chosen = -1;
        if (map) {
            for (gsize entry = start; entry < end && chosen < 0; entry++)
                if (duet_column_compare_rows(keys, entry, wanted, row) == 0)
                    chosen = (gint64)entry;
        } else {
            gint64 index = 0;
            duet_expr_cell_int(arguments[1], row, &index);
            if (index == 0) {
                g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                            "[INVALID_INDEX_OF_ZERO] The index 0 is invalid. An index shall be "
                            "either < 0 or > 0 (the first element has index 1).");
                return FALSE;
            }
            gint64 length = (gint64)(end - start);
            if (index > 0 && index <= length)
                chosen = (gint64)start + index - 1;
            else if (index < 0 && -index <= length)
                chosen = (gint64)end + index;
        }
        if (chosen < 0 || duet_column_is_null(values, (gsize)chosen))
            duet_column_builder_append_null(out);
        else
            duet_column_builder_append_from(out, values, (gsize)chosen);
    }
    return TRUE;
}

/* ---- current time and seconds ---------------------------------------------------------------- */

static gboolean
type_timestamp(DuetExpr *expr, GError **error)
{
    (void)error;
    return duet_expr_set_type(expr, DUET_TYPE_TIMESTAMP, duet_expr_any_nullable(expr));
}

static gboolean
evaluate_now(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
             DuetColumnBuilder *out, GError **error)
{
    (void)expr;
    (void)arguments;
    (void)error;
    gint64 now = duet_expr_current_time_us(); /* one value for the batch */
    for (gsize row = 0; row < n_rows; row++)
        duet_column_builder_append_int64(out, now);
    return TRUE;
}

static gboolean
evaluate_timestamp_seconds(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
                           DuetColumnBuilder *out, GError **error)
{
    (void)expr;
    (void)error;
    for (gsize row = 0; row < n_rows; row++) {
        gdouble seconds;
        if (!duet_expr_cell_double(arguments[0], row, &seconds))
            duet_column_builder_append_null(out);
        else
            duet_column_builder_append_int64(out, (gint64)llround(seconds * 1e6));
    }
    return TRUE;
}

/* ---- the registry ---------------------------------------------------------------------------- */

static const DuetFunctionDef functions[] = {
    {"lower", 1, 1, type_string, evaluate_simple_string},
    {"upper", 1, 1, type_string, evaluate_simple_string},
    {"trim", 1, 1, type_string, evaluate_simple_string},
    {"ltrim", 1, 1, type_string, evaluate_simple_string},
    {"rtrim", 1, 1, type_string, evaluate_simple_string},
    {"length", 1, 1, type_length, evaluate_simple_string},
    {"concat", 1, G_MAXUINT, type_string, evaluate_simple_string},
    {"substring", 2, 3, type_string, evaluate_simple_string},
    {"coalesce", 1, G_MAXUINT, type_coalesce, evaluate_coalesce},
    {"nvl", 2, 2, type_coalesce, evaluate_coalesce},
    {"ifnull", 2, 2, type_coalesce, evaluate_coalesce},
    {"greatest", 2, G_MAXUINT, type_greatest, evaluate_greatest},
    {"least", 2, G_MAXUINT, type_greatest, evaluate_greatest},
    {"size", 1, 1, type_size, evaluate_size},
    {"array_contains", 2, 2, type_array_contains, evaluate_array_contains},
    {"element_at", 2, 2, type_element_at, evaluate_element_at},
    {"timestamp_seconds", 1, 1, type_timestamp, evaluate_timestamp_seconds},
    {"current_timestamp", 0, 0, type_timestamp, evaluate_now},
    {"now", 0, 0, type_timestamp, evaluate_now},
};

const DuetFunctionDef *
duet_expr_lookup_function(const char *name)
{
    for (gsize entry = 0; entry < G_N_ELEMENTS(functions); entry++)
        if (g_str_equal(functions[entry].name, name))
            return &functions[entry];
    const DuetFunctionDef *found = duet_expr_string_function(name);
    if (found == NULL)
        found = duet_expr_math_function(name);
    return found ? found : duet_expr_time_function(name);
}

/* Spark's WRONG_NUM_ARGS: "requires 2 parameters", "requires [1, 2] parameters", "requires
 * > 1 parameters". */
static gboolean
wrong_arity(const DuetExpr *expr, const DuetFunctionDef *info, GError **error)
{
    GString *expected = g_string_new(NULL);
    if (info->max_args == G_MAXUINT)
        g_string_printf(expected, "> %u", info->min_args - 1);
    else if (info->min_args == info->max_args)
        g_string_printf(expected, "%u", info->min_args);
    else {
        g_string_append_c(expected, '[');
        for (guint count = info->min_args; count <= info->max_args; count++)
            g_string_append_printf(expected, "%s%u", count > info->min_args ? ", " : "", count);
        g_string_append_c(expected, ']');
    }
    g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires %s parameters but the "
                "actual number is %u.",
                expr->name, expected->str, expr->n_children);
    g_string_free(expected, TRUE);
    return FALSE;
}

gboolean
duet_expr_type_function(DuetExpr *expr, GError **error)
{
    const DuetFunctionDef *info = duet_expr_lookup_function(expr->name);
    const DuetUdf *udf = info ? NULL : duet_udf_lookup(expr->name);
    if (udf != NULL) {
        if (expr->n_children != udf->n_arguments) {
            g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                        "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires %u parameters but "
                        "the actual number is %u.",
                        expr->name, udf->n_arguments, expr->n_children);
            return FALSE;
        }
        expr->type = duet_data_type_ref(udf->result_type);
        expr->nullable = TRUE;
        return TRUE;
    }
    if (info == NULL) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "[UNRESOLVED_ROUTINE] Cannot resolve function `%s` on search path "
                    "[`system`.`builtin`, `system`.`session`, `spark_catalog`.`default`].",
                    expr->name);
        return FALSE;
    }
    if (expr->n_children < info->min_args || expr->n_children > info->max_args)
        return wrong_arity(expr, info, error);
    return info->type(expr, error);
}

gboolean
duet_expr_evaluate_function(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
                            DuetColumnBuilder *out, GError **error)
{
    const DuetFunctionDef *info = duet_expr_lookup_function(expr->name);
    if (info == NULL) { /* resolution found a user function */
        const DuetUdf *udf = duet_udf_lookup(expr->name);
        g_assert(udf != NULL);
        return udf->func(arguments, expr->n_children, n_rows, out, udf->user_data, error);
    }
    return info->evaluate(expr, arguments, n_rows, out, error);
}
