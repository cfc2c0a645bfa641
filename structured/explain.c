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
