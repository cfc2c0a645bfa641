/* file_source_log.c — the file source's log of which files each offset holds.
 *
 * Layer: sources/. Includes rdd/ and sources/. Spark's FileStreamSourceLog, kept by a
 * streaming query under checkpoint/sources/<index>/: file <N> is "v1", then one JSON line per
 * file of offset N, {"path":"file:///abs/a.csv","timestamp":<modification ms>,"batchId":N}.
 * Written atomically (rdd/atomic_file.h) when the source makes offset N, before it reports it,
 * so a query restarted in a new process re-reads exactly the files of a logged offset and
 * never takes them again. A damaged file is an error naming it, with Spark's texts for the
 * version line. (Spark also compacts the log every 10 batches; duet does not.)
 */
#include "sources/internal.h"
#include "rdd/atomic_file.h"

#include <json-glib/json-glib.h>
#include <string.h>

static gboolean
damaged(GError **error, const char *path, const char *what)
{
    g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET, "checkpoint file %s: %s", path,
                what);
    return FALSE;
}

gboolean
duet_file_source_log_write(const char *directory, gint64 batch, GPtrArray *paths,
                           const gint64 *mtimes_ms, GError **error)
{
    GString *text = g_string_new("v1");
    for (guint index = 0; index < paths->len; index++) {
        g_autoptr(JsonBuilder) builder = json_builder_new();
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "path");
        g_autofree char *uri = g_strconcat("file://", (char *)paths->pdata[index], NULL);
        json_builder_add_string_value(builder, uri);
        json_builder_set_member_name(builder, "timestamp");
        json_builder_add_int_value(builder, mtimes_ms[index]);
        json_builder_set_member_name(builder, "batchId");
        json_builder_add_int_value(builder, batch);
        json_builder_end_object(builder);
        g_autoptr(JsonNode) root = json_builder_get_root(builder);
        g_autofree char *line = json_to_string(root, FALSE);
        g_string_append_printf(text, "\n%s", line);
    }
    g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT, batch);
    g_autofree char *path = g_build_filename(directory, name, NULL);
    gboolean ok = duet_atomic_file_write(path, text->str, text->len, error);
    g_string_free(text, TRUE);
    return ok;
}

gboolean
duet_source_log_check_version(const char *path, const char *line, GError **error)
{
    char *end = NULL;
    gint64 version =
        line[0] == 'v' && g_ascii_isdigit(line[1]) ? g_ascii_strtoll(line + 1, &end, 10) : 0;
    if (version > 1 && *end == '\0') {
        g_autofree char *what = g_strdup_printf(
            "UnsupportedLogVersion: maximum supported log version is v1, but encountered "
            "v%" G_GINT64_FORMAT ". The log file was produced by a newer version of Spark and "
            "cannot be read by this version. Please upgrade.",
            version);
        return damaged(error, path, what);
    }
    if (version != 1 || *end != '\0') {
        g_autofree char *shown = g_strndup(line, 64);
        g_autofree char *what = g_strdup_printf(
            "Log file was malformed: failed to read correct log version from %s.", shown);
        return damaged(error, path, what);
    }
    return TRUE;
}

/* One log file's entries, appended to files as (path, mtime) pairs. */
static gboolean
read_batch(const char *path, gint64 batch, GPtrArray *files, GArray *mtimes, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    GError *local = NULL;
    if (!g_file_get_contents(path, &text, &len, &local)) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET,
                    "cannot read checkpoint file %s: %s", path, local->message);
        g_error_free(local);
        return FALSE;
    }
    if (len == 0)
        return damaged(error, path, "Incomplete log file");
    if (memchr(text, '\0', len) != NULL || !g_utf8_validate(text, (gssize)len, NULL))
        return damaged(error, path, "is not text (binary garbage): the file is damaged");
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    if (!duet_source_log_check_version(path, lines[0], error))
        return FALSE;
    for (guint index = 1; lines[index] != NULL; index++) {
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonNode *root = json_parser_load_from_data(parser, lines[index], -1, NULL)
                             ? json_parser_get_root(parser)
                             : NULL;
        JsonObject *object =
            root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
        const char *uri = object && json_object_has_member(object, "path")
                              ? json_object_get_string_member(object, "path")
                              : NULL;
        if (uri == NULL || !g_str_has_prefix(uri, "file://") ||
            !json_object_has_member(object, "timestamp") ||
            !json_object_has_member(object, "batchId") ||
            json_object_get_int_member(object, "batchId") != batch) {
            g_autofree char *what =
                g_strdup_printf("line %u is not a file entry of batch %" G_GINT64_FORMAT
                                " (the file is truncated or damaged)",
                                index + 1, batch);
            return damaged(error, path, what);
        }
        g_ptr_array_add(files, g_strdup(uri + strlen("file://")));
        gint64 mtime = json_object_get_int_member(object, "timestamp");
        g_array_append_val(mtimes, mtime);
    }
    return TRUE;
}

GPtrArray *
duet_file_source_log_read(const char *directory, GPtrArray *mtimes, GError **error)
{
    GPtrArray *batches = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    GDir *dir = g_dir_open(directory, 0, NULL);
    if (dir == NULL)
        return batches; /* nothing logged yet */
    gint64 last = -1;
    guint count = 0;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        char *end = NULL;
        gint64 batch = g_ascii_strtoll(name, &end, 10);
        if (g_ascii_isdigit(name[0]) && *end == '\0') {
            last = MAX(last, batch);
            count++;
        }
    }
    g_dir_close(dir);
    if (last + 1 != (gint64)count) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET,
                    "the file source log %s is missing batches: it has %u files for batches 0 "
                    "to %" G_GINT64_FORMAT " (the checkpoint was damaged)",
                    directory, count, last);
        g_ptr_array_unref(batches);
        return NULL;
    }
    for (gint64 batch = 0; batch <= last; batch++) {
        g_autofree char *file = g_strdup_printf("%" G_GINT64_FORMAT, batch);
        g_autofree char *path = g_build_filename(directory, file, NULL);
        GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
        GArray *times = g_array_new(FALSE, FALSE, sizeof(gint64));
        gboolean ok = read_batch(path, batch, files, times, error);
        g_ptr_array_add(batches, files);
        g_ptr_array_add(mtimes, times);
        if (!ok) {
            g_ptr_array_unref(batches);
            return NULL;
        }
    }
    return batches;
}
