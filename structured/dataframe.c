/* dataframe.c — logical plans of stateless streaming queries, and their physical form as RDD
 * transformations.
 *
 * Layer: structured/. Includes rdd/, sources/ and structured/. A projection evaluates its
 * resolved expressions column by column over each batch of a partition (expr_eval.c); a filter
 * evaluates its condition the same way and keeps the rows where it is true (null is false, as
 * in SQL). Both run in one mapPartitions task on the RDD core, pipelined.
 */
#include "structured/internal.h"
#include "structured/dataframe.h"
#include "structured/sql_parser.h"

#include <stdarg.h>

typedef enum { PLAN_SOURCE, PLAN_PROJECT, PLAN_FILTER } PlanKind;

struct _DuetDataFrame {
    gint ref_count;
    PlanKind kind;
    DuetSchema *schema;   /* output schema */
    DuetDataFrame *child; /* PROJECT, FILTER */
    DuetSource *source;   /* SOURCE */
    GPtrArray *exprs;     /* PROJECT: resolved DuetExpr*; FILTER: the condition */
};

static DuetDataFrame *
frame_new(PlanKind kind, DuetSchema *schema, DuetDataFrame *child)
{
    DuetDataFrame *frame = g_new0(DuetDataFrame, 1);
    frame->ref_count = 1;
    frame->kind = kind;
    frame->schema = duet_schema_ref(schema);
    frame->child = child ? duet_dataframe_ref(child) : NULL;
    frame->exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    return frame;
}

DuetDataFrame *
duet_dataframe_from_source(DuetSource *source)
{
    DuetDataFrame *frame = frame_new(PLAN_SOURCE, duet_source_schema(source), NULL);
    frame->source = duet_source_ref(source);
    return frame;
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
    if (frame->source)
        duet_source_unref(frame->source);
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
    while (frame->kind != PLAN_SOURCE)
        frame = frame->child;
    return frame->source;
}

DuetDataFrame *
duet_dataframe_select(DuetDataFrame *frame, DuetExpr *const *exprs, guint n, GError **error)
{
    g_autoptr(DuetSchema) schema = duet_schema_new();
    GPtrArray *resolved = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint index = 0; index < n; index++) {
        DuetExpr *expr = duet_expr_resolve(exprs[index], frame->schema, error);
        if (expr == NULL) {
            g_ptr_array_unref(resolved);
            return NULL;
        }
        g_autofree char *name = duet_expr_name(expr);
        duet_schema_add_field(schema, name, duet_expr_type(expr), duet_expr_nullable(expr));
        g_ptr_array_add(resolved, expr);
    }
    DuetDataFrame *projected = frame_new(PLAN_PROJECT, schema, frame);
    g_ptr_array_extend_and_steal(projected->exprs, resolved);
    return projected;
}

DuetDataFrame *
duet_dataframe_select_expr(DuetDataFrame *frame, GError **error, const char *first, ...)
{
    GPtrArray *exprs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    va_list args;
    va_start(args, first);
    gboolean ok = TRUE;
    for (const char *text = first; text != NULL && ok; text = va_arg(args, const char *)) {
        DuetExpr *expr = duet_sql_parse_select_item(text, error);
        ok = expr != NULL;
        if (ok)
            g_ptr_array_add(exprs, expr);
    }
    va_end(args);
    DuetDataFrame *result =
        ok ? duet_dataframe_select(frame, (DuetExpr *const *)exprs->pdata, exprs->len, error)
           : NULL;
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
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "[DATATYPE_MISMATCH.FILTER_NOT_BOOLEAN] Cannot resolve \"%s\" due to data "
                    "type mismatch: Filter expression \"%s\" of type \"%s\" is not a boolean.",
                    name, name, type_name);
        duet_expr_unref(resolved);
        return NULL;
    }
    DuetDataFrame *filtered = frame_new(PLAN_FILTER, frame->schema, frame);
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

/* ---- physical plan ----------------------------------------------------------------------- */

/* mapPartitions of one PROJECT or FILTER node over every batch of the partition. */
static void
run_node(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    DuetDataFrame *frame = user_data;
    for (guint batch_idx = 0; batch_idx < batches->len && !duet_task_failed(); batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        gsize n_rows = duet_batch_n_rows(batch);
        GError *error = NULL;
        if (frame->kind == PLAN_PROJECT) {
            for (guint index = 0; index < frame->exprs->len; index++) {
                g_autoptr(DuetColumn) column =
                    duet_expr_evaluate(frame->exprs->pdata[index], batch, &error);
                if (column == NULL) {
                    duet_task_fail("%s", error->message);
                    g_error_free(error);
                    return;
                }
                duet_column_builder_append_range(duet_batch_builder_column(out, index), column, 0,
                                                 n_rows);
            }
        } else {
            g_autoptr(DuetColumn) keep = duet_expr_evaluate(frame->exprs->pdata[0], batch, &error);
            if (keep == NULL) {
                duet_task_fail("%s", error->message);
                g_error_free(error);
                return;
            }
            for (gsize row = 0; row < n_rows; row++) {
                if (duet_column_is_null(keep, row) || !duet_column_get_boolean(keep, row))
                    continue;
                DuetRow kept = duet_batch_row(batch, row);
                duet_batch_builder_append_row(out, &kept);
            }
        }
    }
}

DuetRdd *
duet_dataframe_plan_rdd(DuetDataFrame *frame, DuetRdd *input, GError **error)
{
    if (frame->kind == PLAN_SOURCE)
        return duet_rdd_ref(input);
    g_autoptr(DuetRdd) child = duet_dataframe_plan_rdd(frame->child, input, error);
    if (child == NULL)
        return NULL;
    DuetRdd *rdd = duet_rdd_map_partitions(child, frame->schema, run_node, frame, TRUE);
    /* the RDD calls back into the node: keep the node alive as long as the RDD */
    duet_rdd_attach_data(rdd, duet_dataframe_ref(frame), (GDestroyNotify)duet_dataframe_unref);
    return rdd;
}

static void
append_explain(GString *out, DuetDataFrame *frame, guint depth)
{
    for (guint level = 0; level < depth; level++)
        g_string_append(out, level + 1 == depth ? "+- " : "   ");
    switch (frame->kind) {
    case PLAN_SOURCE: {
        g_autofree char *description = duet_source_description(frame->source);
        g_string_append_printf(out, "StreamingDataSourceV2ScanRelation %s\n", description);
        return;
    }
    case PLAN_PROJECT:
        g_string_append(out, "Project [");
        for (guint index = 0; index < frame->exprs->len; index++) {
            g_autofree char *name = duet_expr_name(frame->exprs->pdata[index]);
            g_string_append_printf(out, "%s%s", index ? ", " : "", name);
        }
        g_string_append(out, "]\n");
        break;
    case PLAN_FILTER: {
        g_autofree char *name = duet_expr_name(frame->exprs->pdata[0]);
        g_string_append_printf(out, "Filter %s\n", name);
        break;
    }
    }
    append_explain(out, frame->child, depth + 1);
}

char *
duet_dataframe_explain(DuetDataFrame *frame)
{
    GString *out = g_string_new("== Physical Plan ==\n");
    append_explain(out, frame, 0);
    return g_string_free(out, FALSE);
}
