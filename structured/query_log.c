/* query_log.c — a streaming query's checkpoint: metadata, the offsets log and the commit log.
 *
 * Layer: structured/. Spark's layout and formats: checkpoint/metadata holds the query id;
 * offsets/N is "v1", the batch metadata JSON (batchWatermarkMs, batchTimestampMs, the confs
 * that must not change), then one offset a source ("-": none); commits/N is "v1" and
 * {"nextBatchWatermarkMs":...}. Files are written atomically. Recovery resumes after the last
 * committed batch, or re-runs a batch that was logged but not committed, with its offsets,
 * watermark and timestamp.
 */
#include "structured/query_private.h"
#include "rdd/atomic_file.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* ---- the checkpoint --------------------------------------------------------------------- */

char *
duet_query_log_path(DuetStreamingQuery *query, const char *log, gint64 batch)
{
    g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT, batch);
    return g_build_filename(query->checkpoint, log, name, NULL);
}

/* The largest batch id with a file in checkpoint/log, or -1. */
gint64
duet_query_latest_in(DuetStreamingQuery *query, const char *log)
{
    g_autofree char *directory = g_build_filename(query->checkpoint, log, NULL);
    GDir *dir = g_dir_open(directory, 0, NULL);
    gint64 latest = -1;
    if (dir == NULL)
        return -1;
    const char *entry;
    while ((entry = g_dir_read_name(dir)) != NULL) {
        char *end = NULL;
        gint64 batch = g_ascii_strtoll(entry, &end, 10);
        if (end != entry && *end == '\0' && batch > latest)
            latest = batch;
    }
    g_dir_close(dir);
    return latest;
}

void
duet_query_purge_log(DuetStreamingQuery *query, const char *log, gint64 threshold)
{
    g_autofree char *directory = g_build_filename(query->checkpoint, log, NULL);
    GDir *dir = g_dir_open(directory, 0, NULL);
    if (dir == NULL)
        return;
    const char *entry;
    while ((entry = g_dir_read_name(dir)) != NULL) {
        char *end = NULL;
        gint64 batch = g_ascii_strtoll(entry, &end, 10);
        if (end != entry && *end == '\0' && batch < threshold) {
            g_autofree char *path = g_build_filename(directory, entry, NULL);
            g_remove(path);
        }
    }
    g_dir_close(dir);
}

/* The number after "field": in a log's JSON line, or fallback. */
gint64
duet_query_json_number(const char *text, const char *field, gint64 fallback)
{
    g_autofree char *pattern = g_strdup_printf("\"%s\":", field);
    const char *at = text ? strstr(text, pattern) : NULL;
    if (at == NULL)
        return fallback;
    at += strlen(pattern);
    if (*at == '"')
        at++;
    return g_ascii_strtoll(at, NULL, 10);
}

/* Offsets per source (NULL where a source had none). */
char **
duet_query_offsets_new(DuetStreamingQuery *query)
{
    return g_new0(char *, query->sources->len + 1);
}

void
duet_query_offsets_free(DuetStreamingQuery *query, char **offsets)
{
    if (offsets == NULL)
        return;
    for (guint index = 0; index < query->sources->len; index++)
        g_free(offsets[index]);
    g_free(offsets);
}

char **
duet_query_offsets_copy(DuetStreamingQuery *query, char *const *offsets)
{
    char **copy = duet_query_offsets_new(query);
    for (guint index = 0; index < query->sources->len; index++)
        copy[index] = g_strdup(offsets[index]);
    return copy;
}

/* Reads offsets/N: the version line, the batch metadata, then one source offset a line ("-":
 * none), in the order of the plan's sources; checked as Spark's OffsetSeqLog reads it, plus
 * JSON checks so that a torn or garbage file is named instead of misread. (transfer full) */
char **
duet_query_read_offsets(DuetStreamingQuery *query, gint64 batch, char **metadata, GError **error)
{
    g_autofree char *path = duet_query_log_path(query, "offsets", batch);
    g_autofree char *text = duet_checkpoint_read_text(path, error);
    if (text == NULL)
        return NULL;
    if (text[0] == '\0') {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                    "checkpoint file %s: Incomplete log file", path);
        return NULL;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n_lines = g_strv_length(lines);
    if (!duet_checkpoint_parse_version(path, g_strstrip(lines[0]), 1, NULL, error))
        return NULL;
    if (n_lines < 2) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                    "checkpoint file %s: Incomplete log file: the batch metadata line is missing",
                    path);
        return NULL;
    }
    const char *batch_metadata = g_strstrip(lines[1]);
    if (batch_metadata[0] != '\0' &&
        !duet_checkpoint_check_json(path, "the batch metadata", batch_metadata, TRUE, error))
        return NULL;
    guint n_sources = query->sources->len;
    if (n_lines - 2 != n_sources) {
        /* Spark's assertion in OffsetSeq.toStreamProgress */
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                    "assertion failed: There are [%u] sources in the checkpoint offsets and now "
                    "there are [%u] sources requested by the query. Cannot continue. "
                    "(checkpoint file %s)",
                    n_lines - 2, n_sources, path);
        return NULL;
    }
    for (guint index = 0; index < n_sources; index++) {
        const char *offset = lines[2 + index];
        if (g_str_equal(offset, "-"))
            continue;
        g_autofree char *what = g_strdup_printf("the offset of source %u", index);
        if (!duet_checkpoint_check_json(path, what, offset, FALSE, error))
            return NULL;
    }
    if (metadata)
        *metadata = g_strdup(batch_metadata);
    char **offsets = duet_query_offsets_new(query);
    for (guint index = 0; index < n_sources; index++)
        offsets[index] = g_str_equal(lines[2 + index], "-") ? NULL : g_strdup(lines[2 + index]);
    return offsets;
}

/* Reads commits/N as Spark's CommitLog does: the version line, then the commit metadata JSON
 * ({"nextBatchWatermarkMs":...}). (transfer full) */
static char *
read_commit(DuetStreamingQuery *query, gint64 batch, GError **error)
{
    g_autofree char *path = duet_query_log_path(query, "commits", batch);
    g_autofree char *text = duet_checkpoint_read_text(path, error);
    if (text == NULL)
        return NULL;
    if (text[0] == '\0') {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                    "checkpoint file %s: Incomplete log file in the offset commit log", path);
        return NULL;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", 3);
    if (!duet_checkpoint_parse_version(path, g_strstrip(lines[0]), 1, NULL, error))
        return NULL;
    const char *json = lines[1] ? g_strstrip(lines[1]) : "{}"; /* Spark's EMPTY_JSON */
    if (!duet_checkpoint_check_json(path, "the commit metadata", json, TRUE, error))
        return NULL;
    return g_strdup(json);
}

gboolean
duet_query_write_offsets(DuetStreamingQuery *query, gint64 batch, char *const *offsets,
                         gint64 timestamp_ms, GError **error)
{
    g_autofree char *path = duet_query_log_path(query, "offsets", batch);
    GString *text = g_string_new(NULL);
    g_string_append_printf(
        text,
        "v1\n{\"batchWatermarkMs\":%" G_GINT64_FORMAT ",\"batchTimestampMs\":%" G_GINT64_FORMAT
        ",\"conf\":{\"spark.sql.shuffle.partitions\":\"%u\"}}",
        query->execution.watermark_ms, timestamp_ms, query->execution.shuffle_partitions);
    for (guint index = 0; index < query->sources->len; index++)
        g_string_append_printf(text, "\n%s", offsets[index] ? offsets[index] : "-");
    gboolean ok = duet_atomic_file_write(path, text->str, text->len, error);
    g_string_free(text, TRUE);
    return ok;
}

gboolean
duet_query_write_commit(DuetStreamingQuery *query, gint64 batch, gint64 next_watermark_ms,
                        GError **error)
{
    g_autofree char *path = duet_query_log_path(query, "commits", batch);
    g_autofree char *text =
        g_strdup_printf("v1\n{\"nextBatchWatermarkMs\":%" G_GINT64_FORMAT "}", next_watermark_ms);
    return duet_atomic_file_write(path, text, strlen(text), error);
}

/* The query id from checkpoint/metadata (Spark's StreamMetadata, {"id":"<uuid>"}), created on
 * first use. */
gboolean
duet_query_load_metadata(DuetStreamingQuery *query, GError **error)
{
    g_autofree char *path = g_build_filename(query->checkpoint, "metadata", NULL);
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_autofree char *text = duet_checkpoint_read_text(path, error);
        if (text == NULL ||
            !duet_checkpoint_check_json(path, "the query metadata", g_strstrip(text), TRUE, error))
            return FALSE;
        g_autoptr(JsonNode) root = json_from_string(text, NULL);
        JsonObject *object = json_node_get_object(root);
        JsonNode *member = json_object_get_member(object, "id");
        const char *id = member && JSON_NODE_HOLDS_VALUE(member) &&
                                 json_node_get_value_type(member) == G_TYPE_STRING
                             ? json_node_get_string(member)
                             : NULL;
        if (id == NULL || !g_uuid_string_is_valid(id)) {
            g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                        "checkpoint file %s: the query metadata has no valid \"id\" (a UUID): the "
                        "file is damaged",
                        path);
            return FALSE;
        }
        query->id = g_strdup(id);
        return TRUE;
    }
    query->id = g_uuid_string_random();
    g_autofree char *metadata = g_strdup_printf("{\"id\":\"%s\"}", query->id);
    return duet_atomic_file_write(path, metadata, strlen(metadata), error);
}

/* Where to start: after the last committed batch, re-running a logged, uncommitted one.
 * Recovers the watermark (the larger of the last offsets/N and commits/N values), the
 * watermark the last batch used, and the shuffle partitions the state was written with. */
gboolean
duet_query_recover(DuetStreamingQuery *query, gint64 *rerun, char ***rerun_end,
                   gint64 *rerun_timestamp, GError **error)
{
    gint64 last_offsets = duet_query_latest_in(query, "offsets");
    gint64 last_commit = duet_query_latest_in(query, "commits");
    *rerun = -1;
    *rerun_end = NULL;
    query->next_batch = 0;
    if (last_offsets < 0)
        return TRUE;
    g_autofree char *metadata = NULL;
    char **offset = duet_query_read_offsets(query, last_offsets, &metadata, error);
    if (offset == NULL)
        return FALSE;
    query->execution.shuffle_partitions = (guint)duet_query_json_number(
        metadata, "spark.sql.shuffle.partitions", query->execution.shuffle_partitions);
    gint64 logged_watermark = duet_query_json_number(metadata, "batchWatermarkMs", 0);
    if (last_commit >= last_offsets) {
        g_autofree char *commit = read_commit(query, last_offsets, error);
        if (commit == NULL) {
            duet_query_offsets_free(query, offset);
            return FALSE;
        }
        query->watermark_ms =
            MAX(logged_watermark, duet_query_json_number(commit, "nextBatchWatermarkMs", 0));
        query->used_watermark_ms = logged_watermark;
        duet_query_offsets_free(query, query->committed);
        query->committed = offset;
        query->next_batch = last_offsets + 1;
        return TRUE;
    }
    /* batch last_offsets was logged but not committed: run it again with its offsets, its
     * watermark and its timestamp */
    query->watermark_ms = logged_watermark;
    query->used_watermark_ms = 0;
    if (last_offsets > 0) {
        g_autofree char *previous = NULL;
        char **committed = duet_query_read_offsets(query, last_offsets - 1, &previous, error);
        if (committed == NULL) {
            duet_query_offsets_free(query, offset);
            return FALSE;
        }
        duet_query_offsets_free(query, query->committed);
        query->committed = committed;
        query->used_watermark_ms = duet_query_json_number(previous, "batchWatermarkMs", 0);
    }
    query->next_batch = last_offsets;
    *rerun = last_offsets;
    *rerun_timestamp = duet_query_json_number(metadata, "batchTimestampMs", 0);
    *rerun_end = offset;
    return TRUE;
}
