/* output_mode.c — which queries each output mode may run, with Spark's reasons.
 *
 * Layer: structured/. Spark's UnsupportedOperationChecker.checkForStreaming, checked when a
 * query starts: Complete needs an aggregation; Append needs every aggregation keyed by the
 * watermarked event time (or a window over it); sorting needs an aggregation below it and
 * Complete mode; limit is refused in Update mode; Update and Complete take one aggregation.
 */
#include "structured/internal.h"

static gboolean
refuse(GError **error, const char *message)
{
    g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS, "%s", message);
    return FALSE;
}

static gboolean
has_aggregate_below(DuetDataFrame *frame)
{
    for (; frame != NULL; frame = frame->child)
        if (frame->kind == DUET_PLAN_AGGREGATE)
            return TRUE;
    return FALSE;
}

gboolean
duet_check_output_mode(DuetDataFrame *plan, DuetOutputMode mode, GError **error)
{
    guint aggregates = 0;
    DuetDataFrame *first_aggregate = NULL;
    if (!duet_group_state_check_counts(plan, mode, error))
        return FALSE;
    for (DuetDataFrame *frame = plan; frame != NULL; frame = frame->child) {
        switch (frame->kind) {
        case DUET_PLAN_AGGREGATE:
            if (aggregates++ == 0)
                first_aggregate = frame;
            if (frame->session_key >= 0 && mode == DUET_OUTPUT_MODE_UPDATE)
                return refuse(error, "Update output mode not supported for session window on "
                                     "streaming DataFrames/DataSets");
            break;
        case DUET_PLAN_SORT:
            if (mode != DUET_OUTPUT_MODE_COMPLETE || !has_aggregate_below(frame->child))
                return refuse(error, "Sorting is not supported on streaming DataFrames/Datasets, "
                                     "unless it is on aggregated DataFrame/Dataset in Complete "
                                     "output mode");
            break;
        case DUET_PLAN_LIMIT:
            if (mode == DUET_OUTPUT_MODE_UPDATE)
                return refuse(error, "Limits are not supported on streaming DataFrames/Datasets "
                                     "in Update output mode");
            break;
        default:
            break;
        }
    }
    if (aggregates == 0 && mode == DUET_OUTPUT_MODE_COMPLETE)
        return refuse(error, "Complete output mode not supported when there are no streaming "
                             "aggregations on streaming DataFrames/Datasets");
    if (aggregates > 1 && mode != DUET_OUTPUT_MODE_APPEND)
        return refuse(error, "Multiple streaming aggregations are not supported with streaming "
                             "DataFrames/Datasets in Update and Complete output modes");
    if (first_aggregate != NULL && mode == DUET_OUTPUT_MODE_APPEND &&
        (first_aggregate->state_time_column < 0 || !duet_dataframe_has_watermark(first_aggregate)))
        return refuse(error, "Append output mode not supported when there are streaming "
                             "aggregations on streaming DataFrames/DataSets without watermark");
    return duet_group_state_check_nodes(plan, mode, error);
}

static gboolean
reads_current_time(const DuetExpr *expr)
{
    if (expr->kind == DUET_EXPR_FUNCTION &&
        (g_str_equal(expr->name, "current_timestamp") || g_str_equal(expr->name, "now") ||
         g_str_equal(expr->name, "current_date")))
        return TRUE;
    for (guint child = 0; child < expr->n_children; child++)
        if (reads_current_time(expr->children[child]))
            return TRUE;
    return FALSE;
}

static const char *
node_name(DuetPlanKind kind)
{
    switch (kind) {
    case DUET_PLAN_AGGREGATE:
        return "Aggregate";
    case DUET_PLAN_DEDUP:
        return "Deduplicate";
    case DUET_PLAN_SORT:
        return "Sort";
    case DUET_PLAN_LIMIT:
        return "GlobalLimit";
    case DUET_PLAN_JOIN:
        return "Join";
    case DUET_PLAN_UNION:
        return "Union";
    case DUET_PLAN_WINDOW:
        return "Expand";
    case DUET_PLAN_SESSION:
        return "SessionWindow";
    case DUET_PLAN_GENERATE:
        return "Generate";
    case DUET_PLAN_REPARTITION:
        return "Repartition";
    case DUET_PLAN_WATERMARK:
        return "EventTimeWatermark";
    case DUET_PLAN_GROUP_STATE:
        return "FlatMapGroupsWithState";
    default:
        return "this";
    }
}

gboolean
duet_check_continuous(DuetDataFrame *plan, GError **error)
{
    for (DuetDataFrame *frame = plan; frame != NULL; frame = frame->child) {
        switch (frame->kind) {
        case DUET_PLAN_SOURCE:
        case DUET_PLAN_MAP:
            break;
        case DUET_PLAN_PROJECT:
        case DUET_PLAN_FILTER:
            for (guint index = 0; index < frame->exprs->len; index++)
                if (reads_current_time(frame->exprs->pdata[index]))
                    return refuse(error, "Continuous processing does not support current time "
                                         "operations.");
            break;
        default: {
            g_autofree char *message = g_strdup_printf(
                "Continuous processing does not support %s operations.", node_name(frame->kind));
            return refuse(error, message);
        }
        }
    }
    return TRUE;
}
