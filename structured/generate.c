/* generate.c — explode() and explode_outer(): one output row per element of an array.
 *
 * Layer: structured/. Spark's Generate: a select item that is (an alias of) explode(array)
 * becomes a GENERATE node under the projection, appending the element column, and the item
 * refers to that column (named `col` unless aliased). A null or empty array gives no row, or
 * with explode_outer one row with a null element. Generators must be top-level select items,
 * one per select, as in Spark.
 */
#include "structured/internal.h"
#include "structured/dataframe.h"

#include <string.h>

#define GENERATED_COLUMN "__duet_generated"

static gboolean
is_generator(const DuetExpr *expr)
{
    return expr->kind == DUET_EXPR_FUNCTION &&
           (g_ascii_strcasecmp(expr->name, "explode") == 0 ||
            g_ascii_strcasecmp(expr->name, "explode_outer") == 0);
}

static gboolean
contains_generator(const DuetExpr *expr)
{
    if (is_generator(expr))
        return TRUE;
    for (guint child = 0; child < expr->n_children; child++)
        if (contains_generator(expr->children[child]))
            return TRUE;
    return FALSE;
}

DuetDataFrame *
duet_expand_generator(DuetDataFrame *frame, GPtrArray *exprs, GError **error)
{
    gint found = -1;
    for (guint index = 0; index < exprs->len; index++) {
        const DuetExpr *expr = exprs->pdata[index];
        const DuetExpr *call = expr->kind == DUET_EXPR_ALIAS ? expr->children[0] : expr;
        if (!contains_generator(expr))
            continue;
        g_autofree char *name = duet_expr_name(expr);
        if (!is_generator(call)) {
            duet_analysis_error(
                error,
                "[UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS] The generator is not "
                "supported: nested in expressions \"%s\".",
                name);
            return NULL;
        }
        if (found >= 0) {
            duet_analysis_error(error,
                                "[UNSUPPORTED_GENERATOR.MULTI_GENERATOR] The generator is not "
                                "supported: only one generator allowed per SELECT clause but "
                                "found 2: \"%s\".",
                                name);
            return NULL;
        }
        found = (gint)index;
    }
    if (found < 0)
        return duet_dataframe_ref(frame);
    DuetExpr *item = exprs->pdata[found];
    const DuetExpr *call = item->kind == DUET_EXPR_ALIAS ? item->children[0] : item;
    if (call->n_children != 1) {
        duet_analysis_error(error,
                            "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `%s` requires 1 parameters "
                            "but the actual number is %u.",
                            call->name, call->n_children);
        return NULL;
    }
    DuetExpr *array = duet_expr_resolve(call->children[0], frame->schema, error);
    if (array == NULL)
        return NULL;
    if (duet_data_type_id(duet_expr_type(array)) != DUET_TYPE_ARRAY) {
        g_autofree char *name = duet_expr_name(array);
        g_autofree char *type = duet_data_type_to_string(duet_expr_type(array));
        g_autofree char *upper = g_ascii_strup(type, -1);
        duet_expr_unref(array);
        duet_analysis_error(error,
                            "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"%s(%s)\" "
                            "due to data type mismatch: The first parameter requires the "
                            "(\"ARRAY\" or \"MAP\") type, however \"%s\" has the type \"%s\".",
                            call->name, name, name, upper);
        return NULL;
    }
    g_autoptr(DuetSchema) schema = duet_schema_new();
    for (guint field = 0; field < duet_schema_n_fields(frame->schema); field++) {
        const DuetField *existing = duet_schema_field(frame->schema, field);
        duet_schema_add_field(schema, existing->name, existing->type, existing->nullable);
    }
    duet_schema_add_field(schema, GENERATED_COLUMN, duet_data_type_element(duet_expr_type(array)),
                          TRUE);
    DuetDataFrame *node = duet_dataframe_node_new(DUET_PLAN_GENERATE, schema, frame);
    g_ptr_array_add(node->exprs, array);
    node->within_watermark = g_ascii_strcasecmp(call->name, "explode_outer") == 0; /* outer */
    g_autoptr(DuetExpr) column = duet_expr_column(GENERATED_COLUMN);
    const char *name = item->kind == DUET_EXPR_ALIAS ? item->name : "col";
    DuetExpr *replacement = duet_expr_alias(column, name);
    duet_expr_unref(exprs->pdata[found]);
    exprs->pdata[found] = replacement;
    return node;
}

void
duet_run_generate(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    DuetDataFrame *frame = user_data;
    gboolean outer = frame->within_watermark;
    guint n_child = duet_schema_n_fields(frame->child->schema);
    for (guint batch_idx = 0; batch_idx < batches->len && !duet_task_failed(); batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        GError *error = NULL;
        g_autoptr(DuetColumn) arrays = duet_expr_evaluate(frame->exprs->pdata[0], batch, &error);
        if (arrays == NULL) {
            duet_task_fail("%s", error->message);
            g_error_free(error);
            return;
        }
        DuetColumn *elements = duet_column_child(arrays, 0);
        GArray *rows = g_array_new(FALSE, FALSE, sizeof(guint32));
        DuetColumnBuilder *generated = duet_batch_builder_column(out, n_child);
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
            gsize start = 0, end = 0;
            if (!duet_column_is_null(arrays, row))
                duet_column_list_range(arrays, row, &start, &end);
            guint32 row32 = (guint32)row;
            if (start == end && outer) {
                g_array_append_val(rows, row32);
                duet_column_builder_append_null(generated);
            }
            for (gsize element = start; element < end; element++) {
                g_array_append_val(rows, row32);
                duet_column_builder_append_from(generated, elements, element);
            }
        }
        g_autoptr(DuetBatch) taken = duet_batch_take(batch, (const guint32 *)rows->data, rows->len);
        for (guint column = 0; column < n_child; column++)
            duet_column_builder_append_range(duet_batch_builder_column(out, column),
                                             duet_batch_column(taken, column), 0, rows->len);
        g_array_unref(rows);
    }
}
