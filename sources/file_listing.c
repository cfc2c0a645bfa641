/* file_listing.c — what the file source finds in its directory: leaf files, a file sink's
 * log, partition values from key=value directories, and the schema inferred from the files.
 *
 * Layer: sources/. Includes rdd/ and sources/ (internal.h declares these functions for
 * file_source.c). Listing follows Spark's InMemoryFileIndex (hidden names skipped, leaf files
 * recursively) and MetadataLogFileIndex (the "add" entries of _spark_metadata); inference
 * follows DataSource.sourceSchema under spark.sql.streaming.schemaInference.
 */
#include "sources/internal.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

void
duet_file_listing_entry_free(gpointer data)
{
    DuetFileListingEntry *file = data;
    g_free(file->path);
    g_free(file);
}

/* Spark's InMemoryFileIndex.shouldFilterOutPathName. */
static gboolean
is_hidden(const char *name)
{
    gboolean exclude = (name[0] == '_' && strchr(name, '=') == NULL) || name[0] == '.' ||
                       g_str_has_suffix(name, "._COPYING_");
    gboolean include =
        g_str_has_prefix(name, "_common_metadata") || g_str_has_prefix(name, "_metadata");
    return exclude && !include;
}

gboolean
duet_file_listing_list_directory(const char *directory, GPtrArray *found, GError **error)
{
    GError *local = NULL;
    GDir *dir = g_dir_open(directory, 0, &local);
    if (dir == NULL) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED,
                    "cannot list the file source directory %s: %s", directory, local->message);
        g_error_free(local);
        return FALSE;
    }
    gboolean ok = TRUE;
    const char *name;
    while (ok && (name = g_dir_read_name(dir)) != NULL) {
        if (is_hidden(name))
            continue;
        char *path = g_build_filename(directory, name, NULL);
        GStatBuf stat_buf;
        if (g_stat(path, &stat_buf) != 0) {
            g_free(path); /* vanished between listing and stat: not there */
            continue;
        }
        if (S_ISDIR(stat_buf.st_mode)) {
            ok = duet_file_listing_list_directory(path, found, error);
            g_free(path);
        } else if (S_ISREG(stat_buf.st_mode)) {
            DuetFileListingEntry *file = g_new0(DuetFileListingEntry, 1);
            file->path = path;
            file->mtime_ms =
                (gint64)stat_buf.st_mtim.tv_sec * 1000 + (gint64)stat_buf.st_mtim.tv_nsec / 1000000;
            file->size = (gint64)stat_buf.st_size;
            g_ptr_array_add(found, file);
        } else {
            g_free(path);
        }
    }
    g_dir_close(dir);
    return ok;
}

/* A path of a file sink's log ("file:/out/part-0.json", percent-encoded) as a local path. */
static char *
path_of_uri(const char *uri)
{
    if (g_str_has_prefix(uri, "file://"))
        uri += strlen("file://");
    else if (g_str_has_prefix(uri, "file:"))
        uri += strlen("file:");
    return g_uri_unescape_string(uri, NULL);
}

static gboolean
is_log_name(const char *name)
{
    const char *cursor = name;
    while (g_ascii_isdigit(*cursor))
        cursor++;
    return cursor != name && (*cursor == '\0' || strcmp(cursor, ".compact") == 0);
}

/* The files a file sink committed, from its _spark_metadata log (Spark's FileStreamSinkLog:
 * "v1" then one JSON entry per line). */
gboolean
duet_file_listing_list_sink_log(const char *log_dir, GPtrArray *found, GError **error)
{
    GError *local = NULL;
    GDir *dir = g_dir_open(log_dir, 0, &local);
    if (dir == NULL) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED,
                    "cannot list the file sink log %s: %s", log_dir, local->message);
        g_error_free(local);
        return FALSE;
    }
    GHashTable *paths = g_hash_table_new(g_str_hash, g_str_equal);
    JsonParser *parser = json_parser_new_immutable();
    gboolean ok = TRUE;
    const char *name;
    while (ok && (name = g_dir_read_name(dir)) != NULL) {
        if (!is_log_name(name))
            continue;
        g_autofree char *log_path = g_build_filename(log_dir, name, NULL);
        g_autofree char *contents = NULL;
        if (!g_file_get_contents(log_path, &contents, NULL, &local)) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED,
                        "cannot read the file sink log %s: %s", log_path, local->message);
            g_clear_error(&local);
            ok = FALSE;
            break;
        }
        g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
        if (lines[0] == NULL || strcmp(lines[0], "v1") != 0) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED,
                        "the file sink log %s does not start with \"v1\"", log_path);
            ok = FALSE;
            break;
        }
        for (guint line = 1; ok && lines[line] != NULL; line++) {
            if (lines[line][0] == '\0')
                continue;
            JsonNode *root = NULL;
            if (json_parser_load_from_data(parser, lines[line], -1, NULL))
                root = json_parser_get_root(parser);
            if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
                g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED,
                            "the file sink log %s has a malformed entry on line %u", log_path,
                            line + 1);
                ok = FALSE;
                break;
            }
            JsonObject *entry = json_node_get_object(root);
            const char *uri = json_object_get_string_member_with_default(entry, "path", NULL);
            const char *action = json_object_get_string_member_with_default(entry, "action", "add");
            if (uri == NULL || strcmp(action, "add") != 0)
                continue;
            char *path = path_of_uri(uri);
            if (path == NULL || g_hash_table_contains(paths, path)) {
                g_free(path);
                continue;
            }
            DuetFileListingEntry *file = g_new0(DuetFileListingEntry, 1);
            file->path = path;
            file->mtime_ms = json_object_get_int_member_with_default(entry, "modificationTime", 0);
            file->size = json_object_get_int_member_with_default(entry, "size", 0);
            file->complete = TRUE;
            g_hash_table_add(paths, file->path);
            g_ptr_array_add(found, file);
        }
    }
    g_object_unref(parser);
    g_hash_table_unref(paths);
    g_dir_close(dir);
    return ok;
}

int
duet_file_listing_compare_oldest_first(gconstpointer a, gconstpointer b)
{
    const DuetFileListingEntry *x = *(DuetFileListingEntry *const *)a,
                               *y = *(DuetFileListingEntry *const *)b;
    if (x->mtime_ms != y->mtime_ms)
        return x->mtime_ms < y->mtime_ms ? -1 : 1;
    return strcmp(x->path, y->path);
}

int
duet_file_listing_compare_newest_first(gconstpointer a, gconstpointer b)
{
    return duet_file_listing_compare_oldest_first(b, a);
}

/* The partition values of a file: per schema column, the unescaped value of a name=value
 * directory between the watched directory and the file, or NULL; NULL when there is none.
 * (transfer full): free each slot, then the array. */
char **
duet_file_listing_partition_values(const char *directory, DuetSchema *schema, const char *path)
{
    gsize dir_len = strlen(directory);
    if (strncmp(path, directory, dir_len) != 0 || path[dir_len] != G_DIR_SEPARATOR)
        return NULL;
    g_auto(GStrv) parts = g_strsplit(path + dir_len + 1, G_DIR_SEPARATOR_S, -1);
    char **values = NULL;
    for (guint part = 0; parts[part] != NULL && parts[part + 1] != NULL; part++) {
        const char *equals = strchr(parts[part], '=');
        if (equals == NULL || equals == parts[part])
            continue;
        g_autofree char *escaped_name = g_strndup(parts[part], (gsize)(equals - parts[part]));
        g_autofree char *name = duet_file_format_unescape_path_name(escaped_name);
        gint column = duet_schema_find_ci(schema, name);
        if (column < 0)
            continue;
        if (values == NULL)
            values = g_new0(char *, duet_schema_n_fields(schema));
        g_free(values[column]);
        values[column] = duet_file_format_unescape_path_name(equals + 1);
    }
    return values;
}

/* The widest of two types of partition values: numeric widening, else string. */
static DuetTypeId
wider_partition_type(DuetTypeId a, DuetTypeId b)
{
    static const DuetTypeId numeric[] = {DUET_TYPE_INT32, DUET_TYPE_INT64, DUET_TYPE_DOUBLE};
    if (a == b)
        return a;
    gint rank_a = -1, rank_b = -1;
    for (gint rank = 0; rank < (gint)G_N_ELEMENTS(numeric); rank++) {
        rank_a = numeric[rank] == a ? rank : rank_a;
        rank_b = numeric[rank] == b ? rank : rank_b;
    }
    return rank_a >= 0 && rank_b >= 0 ? numeric[MAX(rank_a, rank_b)] : DUET_TYPE_STRING;
}

/* Appends to schema the partition columns (name=value directories) of the files, in the order
 * they are met, each typed by its values (Spark's partition type inference, narrowed to int,
 * bigint, double, timestamp and string). */
static void
add_partition_columns(DuetSchema *schema, const char *directory, GPtrArray *found)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GArray *types = g_array_new(FALSE, FALSE, sizeof(DuetTypeId));
    gsize dir_len = strlen(directory);
    for (guint index = 0; index < found->len; index++) {
        const char *path = ((DuetFileListingEntry *)g_ptr_array_index(found, index))->path;
        if (strncmp(path, directory, dir_len) != 0 || path[dir_len] != G_DIR_SEPARATOR)
            continue;
        g_auto(GStrv) parts = g_strsplit(path + dir_len + 1, G_DIR_SEPARATOR_S, -1);
        for (guint part = 0; parts[part] != NULL && parts[part + 1] != NULL; part++) {
            const char *equals = strchr(parts[part], '=');
            if (equals == NULL || equals == parts[part])
                continue;
            g_autofree char *escaped = g_strndup(parts[part], (gsize)(equals - parts[part]));
            char *name = duet_file_format_unescape_path_name(escaped);
            g_autofree char *value = duet_file_format_unescape_path_name(equals + 1);
            gboolean is_null = strcmp(value, DUET_FILE_FORMAT_DEFAULT_PARTITION) == 0;
            DuetTypeId type = is_null ? DUET_TYPE_NULL : duet_file_format_infer_value_type(value);
            guint column = 0;
            while (column < names->len && g_ascii_strcasecmp(names->pdata[column], name) != 0)
                column++;
            if (column == names->len) {
                g_ptr_array_add(names, name);
                g_array_append_val(types, type);
                continue;
            }
            g_free(name);
            DuetTypeId *so_far = &g_array_index(types, DuetTypeId, column);
            if (*so_far == DUET_TYPE_NULL)
                *so_far = type;
            else if (type != DUET_TYPE_NULL)
                *so_far = wider_partition_type(*so_far, type);
        }
    }
    for (guint column = 0; column < names->len; column++) {
        DuetTypeId type = g_array_index(types, DuetTypeId, column);
        if (duet_schema_find_ci(schema, names->pdata[column]) >= 0)
            continue;
        g_autoptr(DuetDataType) data_type =
            duet_data_type_new_scalar(type == DUET_TYPE_NULL ? DUET_TYPE_STRING : type);
        duet_schema_add_field(schema, names->pdata[column], data_type, TRUE);
    }
    g_array_unref(types);
    g_ptr_array_unref(names);
}

/* Spark's DataSource.sourceSchema with spark.sql.streaming.schemaInference: the schema of the
 * files in the directory now, then the partition columns. (transfer full) */
DuetSchema *
duet_file_listing_infer_schema(const DuetFileFormat *format, const char *directory,
                               gboolean infer_types, GError **error)
{
    GPtrArray *found = g_ptr_array_new_with_free_func(duet_file_listing_entry_free);
    g_autofree char *log_dir = g_build_filename(directory, "_spark_metadata", NULL);
    gboolean ok = g_file_test(log_dir, G_FILE_TEST_IS_DIR)
                      ? duet_file_listing_list_sink_log(log_dir, found, error)
                      : duet_file_listing_list_directory(directory, found, error);
    if (!ok) {
        g_ptr_array_unref(found);
        return NULL;
    }
    g_ptr_array_sort(found, duet_file_listing_compare_oldest_first);
    GPtrArray *contents = g_ptr_array_new_with_free_func(g_free);
    GArray *lens = g_array_new(FALSE, FALSE, sizeof(gsize));
    for (guint index = 0; index < found->len; index++) {
        char *data = NULL;
        gsize len = 0;
        if (!g_file_get_contents(((DuetFileListingEntry *)g_ptr_array_index(found, index))->path,
                                 &data, &len, NULL))
            continue; /* gone since the listing: not there */
        g_ptr_array_add(contents, data);
        g_array_append_val(lens, len);
    }
    GError *local = NULL;
    DuetSchema *schema = duet_file_format_infer_schema(format, (const char *const *)contents->pdata,
                                                       (const gsize *)(void *)lens->data,
                                                       contents->len, infer_types, &local);
    if (schema == NULL) {
        g_set_error_literal(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION, local->message);
        g_error_free(local);
    } else {
        add_partition_columns(schema, directory, found);
    }
    g_array_unref(lens);
    g_ptr_array_unref(contents);
    g_ptr_array_unref(found);
    return schema;
}
