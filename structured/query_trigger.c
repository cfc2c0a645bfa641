/* query_trigger.c — what the triggers read: the sources' latest offsets, rate-limited or not,
 * and Trigger.AvailableNow's targets.
 *
 * Layer: structured/. Rate limits are the sources' (maxOffsetsPerTrigger, maxFilesPerTrigger):
 * each latest offset is one limited step. Trigger.Once reads with them ignored (Spark's
 * MicroBatchExecution uses ReadLimit.allAvailable() for it). Trigger.AvailableNow (Spark 3.3+)
 * keeps them but fixes a target at start: a source with a limit is prepared (Spark's
 * prepareForTriggerAvailableNow) and steps towards its target batch after batch; a source
 * without one is capped here at its latest offset at start (Spark's
 * AvailableNowDataStreamWrapper). The query stops at the first trigger that runs no batch.
 */
#include "structured/query_private.h"

/* The latest offset of every source, rate-limited unless all. (transfer full) */
static char **
latest_offsets(DuetStreamingQuery *query, gboolean all, GError **error)
{
    char **latest = duet_query_offsets_new(query);
    for (guint index = 0; index < query->sources->len; index++) {
        GError *local = NULL;
        DuetSource *source = query->sources->pdata[index];
        latest[index] = all ? duet_source_latest_offset_all(source, &local)
                            : duet_source_latest_offset(source, &local);
        if (local != NULL) {
            g_propagate_error(error, local);
            duet_query_offsets_free(query, latest);
            return NULL;
        }
    }
    return latest;
}

char **
duet_query_latest_offsets(DuetStreamingQuery *query, GError **error)
{
    return latest_offsets(query, FALSE, error);
}

char **
duet_query_latest_offsets_all(DuetStreamingQuery *query, GError **error)
{
    return latest_offsets(query, TRUE, error);
}

gboolean
duet_query_prepare_available_now(DuetStreamingQuery *query, GError **error)
{
    query->available_now = duet_query_offsets_new(query);
    query->self_capped = g_new0(gboolean, query->sources->len + 1);
    for (guint index = 0; index < query->sources->len; index++) {
        DuetSource *source = query->sources->pdata[index];
        GError *local = NULL;
        if (!duet_source_available_now(source, TRUE, &query->self_capped[index], error))
            return FALSE;
        if (query->self_capped[index])
            continue;
        query->available_now[index] = duet_source_latest_offset(source, &local);
        if (local != NULL) {
            g_propagate_error(error, local);
            return FALSE;
        }
    }
    return TRUE;
}

void
duet_query_release_available_now(DuetStreamingQuery *query)
{
    for (guint index = 0; query->self_capped && index < query->sources->len; index++)
        if (query->self_capped[index])
            duet_source_available_now(query->sources->pdata[index], FALSE, NULL, NULL);
    g_clear_pointer(&query->self_capped, g_free);
}

void
duet_query_cap_available_now(DuetStreamingQuery *query, char **latest)
{
    for (guint index = 0; query->available_now && query->self_capped && index < query->sources->len;
         index++) {
        /* Trigger.AvailableNow stops at what was available when the query started */
        const char *target = query->available_now[index];
        if (query->self_capped[index])
            continue; /* the source limits itself towards its target */
        if (latest[index] &&
            (target == NULL || duet_source_compare_offsets(query->sources->pdata[index],
                                                           latest[index], target) > 0)) {
            g_free(latest[index]);
            latest[index] = g_strdup(target);
        }
    }
}
