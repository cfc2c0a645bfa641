/* explain.c — Spark's explain() text of a plan: one operator a line, children indented.
 *
 * Layer: structured/.
 */
#include "structured/internal.h"
#include "structured/dataframe.h"

/* ---- explain ------------------------------------------------------------------------------- */

static void
append_names(GString *out, GPtrArray *exprs)
{
    for (guint index = 0; index < exprs->len; index++) {
        g_autofree char *name = duet_expr_name(exprs->pdata[index]);
        g_string_append_printf(out, "%s%s", index ? ", " : "", name);
    }
}

/* prefix: what runs down the left of this line (Spark's ":  " below a child with siblings
 * after it, "   " below a last child); connector: "+- ", ":- ", or "" at the root. */
static void
append_explain(GString *out, DuetDataFrame *frame, GString *prefix, const char *connector)
{
    gsize saved = prefix->len;
    g_string_append_printf(out, "%s%s", prefix->str, connector);
    if (*connector)
        g_string_append(prefix, g_str_equal(connector, ":- ") ? ":  " : "   ");
    switch (frame->kind) {
    case DUET_PLAN_SOURCE: {
        g_autofree char *description = duet_source_description(frame->source);
        g_string_append_printf(
            out, "%s %s\n",
            frame->is_static ? "LocalTableScan" : "StreamingDataSourceV2ScanRelation", description);
        g_string_truncate(prefix, saved);
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
    case DUET_PLAN_GENERATE: {
        g_autofree char *name = duet_expr_name(frame->exprs->pdata[0]);
        g_string_append_printf(out, "Generate %s(%s)\n",
                               frame->within_watermark ? "explode_outer" : "explode", name);
        break;
    }
    case DUET_PLAN_SESSION: {
        g_autofree char *name = duet_expr_name(frame->exprs->pdata[0]);
        g_string_append_printf(out, "SessionWindow %s\n", name);
        break;
    }
    case DUET_PLAN_GROUP_STATE:
        duet_group_state_explain(out, frame);
        break;
    case DUET_PLAN_JOIN:
        g_string_append_printf(out, "%s %s\n",
                               frame->right->is_streaming ? "StreamingSymmetricHashJoin"
                                                          : "BroadcastHashJoin",
                               frame->join_type == DUET_JOIN_INNER ? "Inner" : "LeftOuter");
        break;
    }
    append_explain(out, frame->child, prefix, frame->right ? ":- " : "+- ");
    if (frame->right)
        append_explain(out, frame->right, prefix, "+- ");
    g_string_truncate(prefix, saved);
}

char *
duet_dataframe_explain(DuetDataFrame *frame)
{
    GString *out = g_string_new("== Physical Plan ==\n");
    g_autoptr(GString) prefix = g_string_new(NULL);
    append_explain(out, frame, prefix, "");
    return g_string_free(out, FALSE);
}

/* ---- explain(extended): the logical plans -------------------------------------------------- */

static void
append_named(GString *out, const DuetExpr *expr)
{
    g_autofree char *name =
        duet_expr_name(expr->kind == DUET_EXPR_ALIAS ? expr->children[0] : expr);
    g_string_append(out, name);
    if (expr->kind == DUET_EXPR_ALIAS)
        g_string_append_printf(out, " AS %s", expr->name);
}

static void
append_columns(GString *out, DuetSchema *schema)
{
    g_string_append_c(out, '[');
    for (guint field = 0; field < duet_schema_n_fields(schema); field++)
        g_string_append_printf(out, "%s%s", field ? ", " : "",
                               duet_schema_field(schema, field)->name);
    g_string_append_c(out, ']');
}

static void
append_key_names(GString *out, DuetSchema *schema, GArray *columns)
{
    for (guint index = 0; index < columns->len; index++)
        g_string_append_printf(
            out, "%s%s", index ? ", " : "",
            duet_schema_field(schema, g_array_index(columns, guint, index))->name);
}

static void
append_agg(GString *out, const DuetAggSpec *spec)
{
    static const char *const names[] = {"count",
                                        "count",
                                        "sum",
                                        "avg",
                                        "min",
                                        "max",
                                        "first",
                                        "last",
                                        "collect_list",
                                        "collect_set",
                                        "approx_count_distinct",
                                        "stddev_samp",
                                        "stddev_pop",
                                        "var_samp",
                                        "var_pop",
                                        "median",
                                        "udaf"};
    if (spec->kind == DUET_AGG_COUNT_ROWS || spec->input == NULL) {
        g_string_append_printf(out, "%s(1)", names[spec->kind]);
    } else {
        g_autofree char *input = duet_expr_name(spec->input);
        g_string_append_printf(out, "%s(%s)", names[spec->kind], input);
    }
    g_string_append_printf(out, " AS %s", spec->name);
}

/* One logical operator's line, Spark's names (without expression ids). */
static void
append_logical_label(GString *out, DuetDataFrame *frame)
{
    switch (frame->kind) {
    case DUET_PLAN_SOURCE: {
        g_autofree char *description = duet_source_description(frame->source);
        if (frame->is_static) {
            g_string_append(out, "LocalRelation ");
            append_columns(out, frame->schema);
            g_string_append_printf(out, ", %s", description);
        } else {
            g_string_append(out, "StreamingDataSourceV2Relation ");
            append_columns(out, frame->schema);
            g_string_append_printf(out, ", %s", description);
        }
        break;
    }
    case DUET_PLAN_PROJECT:
        g_string_append(out, "Project [");
        for (guint index = 0; index < frame->exprs->len; index++) {
            if (index)
                g_string_append(out, ", ");
            append_named(out, frame->exprs->pdata[index]);
        }
        g_string_append_c(out, ']');
        break;
    case DUET_PLAN_FILTER: {
        g_autofree char *name = duet_expr_name(frame->exprs->pdata[0]);
        g_string_append_printf(out, "Filter %s", name);
        break;
    }
    case DUET_PLAN_WINDOW: {
        g_autofree char *name = duet_expr_name(frame->exprs->pdata[0]);
        g_string_append_printf(out,
                               "Expand [window(%s, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                               ", %" G_GINT64_FORMAT ")], ",
                               name, frame->window_us, frame->slide_us, frame->start_us);
        append_columns(out, frame->schema);
        break;
    }
    case DUET_PLAN_WATERMARK: {
        const DuetField *field = duet_schema_field(frame->schema, (guint)frame->event_time_column);
        g_autofree char *type = duet_data_type_to_string(field->type);
        if (frame->delay_ms % 1000 == 0)
            g_string_append_printf(out, "EventTimeWatermark %s: %s, %" G_GINT64_FORMAT " seconds",
                                   field->name, type, frame->delay_ms / 1000);
        else
            g_string_append_printf(out,
                                   "EventTimeWatermark %s: %s, %" G_GINT64_FORMAT " milliseconds",
                                   field->name, type, frame->delay_ms);
        break;
    }
    case DUET_PLAN_AGGREGATE:
        g_string_append(out, "Aggregate [");
        append_names(out, frame->exprs);
        g_string_append(out, "], [");
        append_names(out, frame->exprs);
        for (guint index = 0; index < frame->aggs->len; index++) {
            if (index || frame->exprs->len)
                g_string_append(out, ", ");
            append_agg(out, frame->aggs->pdata[index]);
        }
        g_string_append_c(out, ']');
        break;
    case DUET_PLAN_DEDUP:
        g_string_append_printf(
            out, "%s [", frame->within_watermark ? "DeduplicateWithinWatermark" : "Deduplicate");
        append_key_names(out, frame->schema, frame->columns);
        g_string_append_c(out, ']');
        break;
    case DUET_PLAN_SORT:
        g_string_append(out, "Sort [");
        for (guint index = 0; index < frame->sort_keys->len; index++) {
            const DuetSortKey *key = &g_array_index(frame->sort_keys, DuetSortKey, index);
            g_autofree char *name = duet_expr_name(key->expr);
            g_string_append_printf(out, "%s%s %s NULLS %s", index ? ", " : "", name,
                                   key->ascending ? "ASC" : "DESC",
                                   key->nulls_first ? "FIRST" : "LAST");
        }
        g_string_append(out, "], true");
        break;
    case DUET_PLAN_LIMIT:
        g_string_append_printf(out, "GlobalLimit %" G_GINT64_FORMAT, frame->limit);
        break;
    case DUET_PLAN_MAP:
        g_string_append(out, "MapPartitions <function>, ");
        append_columns(out, frame->schema);
        break;
    case DUET_PLAN_REPARTITION:
        g_string_append_printf(out, "Repartition %" G_GINT64_FORMAT ", %s", frame->limit,
                               frame->shuffle ? "true" : "false");
        break;
    case DUET_PLAN_UNION:
        g_string_append(out, "Union false, false");
        break;
    case DUET_PLAN_JOIN:
        g_string_append_printf(out, "Join %s, ",
                               frame->join_type == DUET_JOIN_INNER ? "Inner" : "LeftOuter");
        for (guint index = 0; index < frame->left_keys->len; index++) {
            const char *left = duet_schema_field(frame->child->schema,
                                                 g_array_index(frame->left_keys, guint, index))
                                   ->name;
            const char *right = duet_schema_field(frame->right->schema,
                                                  g_array_index(frame->right_keys, guint, index))
                                    ->name;
            g_string_append_printf(out, "%s(%s = %s)", index ? " AND " : "", left, right);
        }
        break;
    case DUET_PLAN_GENERATE: {
        g_autofree char *name = duet_expr_name(frame->exprs->pdata[0]);
        guint n = duet_schema_n_fields(frame->schema);
        g_string_append_printf(out, "Generate %s(%s), %s, [%s]",
                               frame->within_watermark ? "explode_outer" : "explode", name,
                               frame->within_watermark ? "true" : "false",
                               duet_schema_field(frame->schema, n - 1)->name);
        break;
    }
    case DUET_PLAN_SESSION: {
        g_autofree char *name = duet_expr_name(frame->exprs->pdata[0]);
        g_string_append_printf(out, "SessionWindow %s, ", name);
        append_columns(out, frame->schema);
        break;
    }
    case DUET_PLAN_GROUP_STATE: {
        /* the physical line without its newline */
        GString *line = g_string_new(NULL);
        duet_group_state_explain(line, frame);
        if (line->len && line->str[line->len - 1] == '\n')
            g_string_truncate(line, line->len - 1);
        g_string_append(out, line->str);
        g_string_free(line, TRUE);
        break;
    }
    }
}

/* Spark's TreeNode drawing: "+- " before a last child, ":- " before the others, and ":  " or
 * "   " continuing below them. */
static void
append_logical(GString *out, DuetDataFrame *frame, GString *prefix, gboolean last, gboolean root)
{
    gsize saved = prefix->len;
    g_string_append(out, prefix->str);
    if (!root) {
        g_string_append(out, last ? "+- " : ":- ");
        g_string_append(prefix, last ? "   " : ":  ");
    }
    append_logical_label(out, frame);
    g_string_append_c(out, '\n');
    if (frame->kind == DUET_PLAN_LIMIT) {
        /* Spark's Limit is GlobalLimit over LocalLimit */
        g_string_append_printf(out, "%s+- LocalLimit %" G_GINT64_FORMAT "\n", prefix->str,
                               frame->limit);
        g_string_append(prefix, "   ");
    }
    if (frame->child)
        append_logical(out, frame->child, prefix, frame->right == NULL, FALSE);
    if (frame->right)
        append_logical(out, frame->right, prefix, TRUE, FALSE);
    g_string_truncate(prefix, saved);
}

static char *
logical_plan(DuetDataFrame *frame)
{
    GString *out = g_string_new(NULL);
    GString *prefix = g_string_new(NULL);
    append_logical(out, frame, prefix, TRUE, TRUE);
    g_string_free(prefix, TRUE);
    return g_string_free(out, FALSE);
}

char *
duet_dataframe_explain_extended(DuetDataFrame *frame)
{
    g_return_val_if_fail(frame != NULL, NULL);
    g_autoptr(DuetDataFrame) optimized = duet_optimize(frame);
    GString *out = g_string_new("== Parsed Logical Plan ==\n");
    g_autofree char *analyzed = logical_plan(frame);
    g_string_append(out, frame->parsed_plan ? frame->parsed_plan : analyzed);
    g_string_append(out, "\n== Analyzed Logical Plan ==\n");
    for (guint field = 0; field < duet_schema_n_fields(frame->schema); field++) {
        const DuetField *one = duet_schema_field(frame->schema, field);
        g_autofree char *type = duet_data_type_to_string(one->type);
        g_string_append_printf(out, "%s%s: %s", field ? ", " : "", one->name, type);
    }
    g_string_append_printf(out, "\n%s", analyzed);
    g_autofree char *optimized_text = logical_plan(optimized);
    g_string_append_printf(out, "\n== Optimized Logical Plan ==\n%s\n", optimized_text);
    g_autofree char *physical = duet_dataframe_explain(optimized);
    g_string_append(out, physical);
    return g_string_free(out, FALSE);
}
