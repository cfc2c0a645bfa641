/* file_source.c — Spark's FileStreamSource: a directory watched for new text, CSV or JSON files.
 *
 * Layer: sources/. Includes rdd/ and sources/; file_listing.c lists directories and sink logs,
 * finds partition values and infers schemas for it. Each latest_offset lists the directory (leaf
 * files, recursively, hidden names skipped as Spark's InMemoryFileIndex does), keeps the files
 * not seen before, orders them by modification time (newest first with latestFirst), takes at
 * most maxFilesPerTrigger of them and, if any, makes them the next LongOffset (0, 1, ...): Spark
 * logs such a set as one batch of its own file log and uses that batch id as the offset; so
 * does duet once a query attaches its checkpoint/sources/<index>/ (file_source_log.c), and a
 * source made in a new process reads the sets back from there. A range (start, end] reads the files
 * of those sets, one partition per file, from disk again, so a range can be re-read after a
 * failure. When the directory is the output of a file sink (it holds _spark_metadata), the files
 * come from that log instead of a listing, as in Spark, so a part file of an uncommitted batch is
 * never read. Seen files are Spark's SeenFilesMap: a file is new when its name (fileNameOnly) or
 * path was not seen and it is not older than maxFileAge before the newest file seen.
 *
 * Half-written files. Spark relies on files appearing atomically (written elsewhere, then
 * renamed in), and skips the hidden names writers use meanwhile (".name", "_name",
 * "name._COPYING_"); duet does the same, and also guards against a writer that writes in
 * place: a file modified less than minFileAge (default 1s, real time) ago is taken only when
 * the previous listing saw it with the same size and modification time. Files of a sink's log
 * are committed, hence complete, and taken at once.
 *
 * cleanSource (Spark's FileStreamSourceCleaner): once every consumer committed an offset
 * (forget), the files of the batches up to it are deleted, or moved under sourceArchiveDir
 * keeping their absolute path (/data/in/a.csv to <archive>/data/in/a.csv). As in Spark, a
 * failure to clean is logged and never fails the query.
 *
 * Partition columns: a file under name=value directories (relative to the watched directory)
 * gives the schema column of that name (case-insensitively) its value from the path, unescaped
 * as Spark's unescapePathName, __HIVE_DEFAULT_PARTITION__ being null; the file's records hold
 * the other columns. With schema inference the partition columns found at creation are
 * appended to the inferred schema, as Spark's dataSchema ++ partitionSchema.
 */
#include "sources/internal.h"

#include "rdd/file_format.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* Spark's CleanSourceMode. */
typedef enum {
    CLEAN_OFF,
    CLEAN_ARCHIVE,
    CLEAN_DELETE,
} CleanMode;

/* What a listing saw of a file not yet taken, to tell whether it is still being written. */
typedef struct {
    gint64 size;     /* bytes */
    gint64 mtime_ms; /* modification time */
} PendingFile;

typedef struct {
    GMutex lock;             /* guards everything below */
    DuetFileFormat format;   /* text, CSV or JSON lines, with their options */
    char *directory;         /* absolute path being watched */
    gint64 max_files;        /* maxFilesPerTrigger; 0 = no limit */
    gboolean latest_first;   /* newest files first */
    gboolean file_name_only; /* seen files are keyed by name, not path */
    gint64 max_age_ms;       /* maxFileAge; G_MAXINT64 when ignored */
    GHashTable *seen;        /* key (path or name) -> gint64* modification time */
    gint64 latest_ms;        /* newest modification time seen */
    gint64 last_purge_ms;    /* files older than this are not new */
    GPtrArray *batches;      /* per offset - first: GPtrArray of char* paths */
    gint64 first;            /* offset of batches[0] */
    guint n_malformed;       /* bad records read so far */
    char *null_value;        /* owned strings the format borrows: nullValue */
    char *corrupt_column;    /* columnNameOfCorruptRecord */
    gint64 min_age_ms;       /* minFileAge: younger files must be unchanged since the last list */
    GHashTable *pending;     /* path -> PendingFile*: files the last listing found too young */
    CleanMode clean;         /* cleanSource */
    char *archive_dir;       /* sourceArchiveDir, absolute; NULL unless archiving */
    guint n_cleaned;         /* files deleted or archived */
    char *log_dir;           /* where each new offset's files are logged (a query's
                              * checkpoint/sources/<index>), or NULL */
    GPtrArray *target;       /* Trigger.AvailableNow: the listing at its start (Spark's
                              * allFilesForTriggerAvailableNow), or NULL */
} FileSource;

static FileSource *
file_of(DuetSource *source)
{
    return duet_source_get_data(source);
}

static void
file_finalize(gpointer data)
{
    FileSource *file = data;
    g_ptr_array_unref(file->batches);
    if (file->target)
        g_ptr_array_unref(file->target);
    g_hash_table_unref(file->seen);
    g_hash_table_unref(file->pending);
    g_free(file->directory);
    g_free(file->null_value);
    g_free(file->corrupt_column);
    g_free(file->archive_dir);
    g_free(file->log_dir);
    g_mutex_clear(&file->lock);
    g_free(file);
}

static char *
file_description(DuetSource *source)
{
    return g_strdup_printf("FileStreamSource[file:%s]", file_of(source)->directory);
}

static const char *
seen_key(FileSource *file, const char *path)
{
    if (!file->file_name_only)
        return path;
    const char *slash = strrchr(path, G_DIR_SEPARATOR);
    return slash ? slash + 1 : path;
}

/* Spark's SeenFilesMap.purge: forget files older than maxFileAge before the newest one. */
static void
purge_seen(FileSource *file)
{
    if (file->max_age_ms == G_MAXINT64 || file->latest_ms < G_MININT64 + file->max_age_ms)
        return;
    file->last_purge_ms = file->latest_ms - file->max_age_ms;
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init(&iter, file->seen);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        if (*(gint64 *)value < file->last_purge_ms)
            g_hash_table_iter_remove(&iter);
    }
}

/* Whether a listed file may be read now: complete (from a sink's log), old enough, or unchanged
 * since the previous listing. Files that are not are remembered in next_pending. */
static gboolean
is_settled(FileSource *file, const DuetFileListingEntry *candidate, gint64 now_ms,
           GHashTable *next_pending)
{
    if (candidate->complete || now_ms - candidate->mtime_ms >= file->min_age_ms)
        return TRUE;
    const PendingFile *before = g_hash_table_lookup(file->pending, candidate->path);
    if (before != NULL && before->size == candidate->size &&
        before->mtime_ms == candidate->mtime_ms)
        return TRUE;
    PendingFile *now = g_new(PendingFile, 1);
    now->size = candidate->size;
    now->mtime_ms = candidate->mtime_ms;
    g_hash_table_insert(next_pending, g_strdup(candidate->path), now);
    return FALSE;
}

/* Lists the files of the directory (or of the sink's log in it), in no order. */
static GPtrArray *
list_files(FileSource *file, GError **error)
{
    GPtrArray *found = g_ptr_array_new_with_free_func(duet_file_listing_entry_free);
    g_autofree char *log_dir = g_build_filename(file->directory, "_spark_metadata", NULL);
    gboolean has_log = g_file_test(log_dir, G_FILE_TEST_IS_DIR);
    gboolean ok;
    if (has_log && file->clean != CLEAN_OFF) {
        /* Spark's QueryExecutionErrors.cleanUpSourceFilesUnsupportedError */
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Clean up source files is not supported when reading from the output "
                    "directory of FileStreamSink.");
        ok = FALSE;
    } else {
        ok = has_log ? duet_file_listing_list_sink_log(log_dir, found, error)
                     : duet_file_listing_list_directory(file->directory, found, error);
    }
    if (!ok)
        g_clear_pointer(&found, g_ptr_array_unref);
    return found;
}

/* The Trigger.AvailableNow listing when one is set (a copy), a new listing otherwise. */
static GPtrArray *
list_or_target(FileSource *file, GError **error)
{
    g_mutex_lock(&file->lock);
    if (file->target == NULL) {
        g_mutex_unlock(&file->lock);
        return list_files(file, error);
    }
    GPtrArray *found = g_ptr_array_new_with_free_func(duet_file_listing_entry_free);
    for (guint index = 0; index < file->target->len; index++) {
        const DuetFileListingEntry *entry = file->target->pdata[index];
        DuetFileListingEntry *copy = g_memdup2(entry, sizeof *entry);
        copy->path = g_strdup(entry->path);
        g_ptr_array_add(found, copy);
    }
    g_mutex_unlock(&file->lock);
    return found;
}

/* Takes the new files (at most maxFilesPerTrigger of them when limited) as the next offset. */
static char *
latest_offset(DuetSource *source, gboolean limited, GError **error)
{
    FileSource *file = file_of(source);
    GPtrArray *found = list_or_target(file, error);
    if (found == NULL)
        return NULL;
    g_ptr_array_sort(found, file->latest_first ? duet_file_listing_compare_newest_first
                                               : duet_file_listing_compare_oldest_first);
    gint64 now_ms = g_get_real_time() / 1000;
    GHashTable *next_pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_mutex_lock(&file->lock);
    GPtrArray *batch = g_ptr_array_new_with_free_func(g_free);
    GArray *mtimes = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (guint index = 0; index < found->len; index++) {
        if (limited && file->max_files > 0 && batch->len >= (guint)file->max_files)
            break;
        DuetFileListingEntry *candidate = g_ptr_array_index(found, index);
        const char *key = seen_key(file, candidate->path);
        if (candidate->mtime_ms < file->last_purge_ms || g_hash_table_contains(file->seen, key) ||
            !is_settled(file, candidate, now_ms, next_pending))
            continue;
        g_hash_table_insert(file->seen, g_strdup(key),
                            g_memdup2(&candidate->mtime_ms, sizeof(gint64)));
        file->latest_ms = MAX(file->latest_ms, candidate->mtime_ms);
        g_ptr_array_add(batch, g_strdup(candidate->path));
        g_array_append_val(mtimes, candidate->mtime_ms);
    }
    g_hash_table_unref(file->pending);
    file->pending = next_pending;
    gint64 offset = file->first + (gint64)file->batches->len;
    if (batch->len > 0 && file->log_dir != NULL &&
        !duet_file_source_log_write(file->log_dir, offset, batch, (gint64 *)mtimes->data, error)) {
        /* not logged, not taken: the files stay new for the next listing */
        for (guint index = 0; index < batch->len; index++)
            g_hash_table_remove(file->seen, seen_key(file, batch->pdata[index]));
        g_ptr_array_set_size(batch, 0);
        g_array_unref(mtimes);
        g_ptr_array_unref(batch);
        g_mutex_unlock(&file->lock);
        g_ptr_array_unref(found);
        return NULL;
    }
    g_array_unref(mtimes);
    if (batch->len > 0)
        g_ptr_array_add(file->batches, batch);
    else
        g_ptr_array_unref(batch);
    purge_seen(file);
    gint64 latest = file->first + (gint64)file->batches->len - 1;
    g_mutex_unlock(&file->lock);
    g_ptr_array_unref(found);
    return latest < 0 ? NULL : g_strdup_printf("%" G_GINT64_FORMAT, latest);
}

static char *
file_latest(DuetSource *source, GError **error)
{
    return latest_offset(source, TRUE, error);
}

/* Trigger.Once reads every new file in one batch (maxFilesPerTrigger ignored, as Spark's
 * ReadLimit.allAvailable()). */
static char *
file_latest_all(DuetSource *source, GError **error)
{
    return latest_offset(source, FALSE, error);
}

/* Spark's FileStreamSource.prepareForTriggerAvailableNow: later offsets take files of this
 * listing only. */
static gboolean
file_available_now(DuetSource *source, gboolean prepare, GError **error)
{
    FileSource *file = file_of(source);
    GPtrArray *found = prepare ? list_files(file, error) : NULL;
    if (prepare && found == NULL)
        return FALSE;
    g_mutex_lock(&file->lock);
    if (file->target)
        g_ptr_array_unref(file->target);
    file->target = found;
    g_mutex_unlock(&file->lock);
    return TRUE;
}

/* One file's rows as a partition. */
static GPtrArray *
read_file(FileSource *file, DuetSchema *schema, const char *path, GError **error)
{
    char *contents = NULL;
    gsize len = 0;
    GError *local = NULL;
    if (!g_file_get_contents(path, &contents, &len, &local)) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED,
                    "the file source cannot read file:%s (was it deleted or moved before the "
                    "batch that lists it ran?): %s",
                    path, local->message);
        g_error_free(local);
        return NULL;
    }
    guint n_malformed = 0;
    /* one slot per column, NULL where the column is read from the data (not a strv) */
    char **partition_values = duet_file_listing_partition_values(file->directory, schema, path);
    DuetBatch *rows =
        duet_file_format_decode_full(&file->format, schema, contents, len,
                                     (const char *const *)partition_values, &n_malformed, &local);
    g_free(contents);
    for (guint column = 0; partition_values != NULL && column < duet_schema_n_fields(schema);
         column++)
        g_free(partition_values[column]);
    g_free(partition_values);
    g_mutex_lock(&file->lock);
    file->n_malformed += n_malformed;
    g_mutex_unlock(&file->lock);
    if (rows == NULL) {
        /* FAILFAST: Spark's message as it is */
        g_set_error_literal(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED, local->message);
        g_error_free(local);
        return NULL;
    }
    GPtrArray *partition = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    g_ptr_array_add(partition, rows);
    return partition;
}

static GPtrArray *
file_get_batch(DuetSource *source, const char *start, const char *end, GError **error)
{
    FileSource *file = file_of(source);
    gint64 from, to;
    g_mutex_lock(&file->lock);
    if (!duet_long_offset_held_range("file source", start, end, file->first,
                                     (gint64)file->batches->len, &from, &to, error)) {
        g_mutex_unlock(&file->lock);
        return NULL;
    }
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    for (gint64 offset = from + 1; offset <= to; offset++) {
        GPtrArray *batch = g_ptr_array_index(file->batches, offset - file->first);
        for (guint index = 0; index < batch->len; index++)
            g_ptr_array_add(paths, g_strdup(g_ptr_array_index(batch, index)));
    }
    g_mutex_unlock(&file->lock);
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint index = 0; index < paths->len; index++) {
        GPtrArray *partition =
            read_file(file, duet_source_schema(source), g_ptr_array_index(paths, index), error);
        if (partition == NULL) {
            g_clear_pointer(&partitions, g_ptr_array_unref);
            break;
        }
        g_ptr_array_add(partitions, partition);
    }
    g_ptr_array_unref(paths);
    return partitions;
}

/* Spark's SourceFileArchiver.cleanTask: <archive dir><absolute path>, parents created; a
 * failure is logged, never fatal. GIO's move copies across file systems, as Hadoop's local
 * rename does. */
static void
archive_file(FileSource *file, const char *path)
{
    g_autofree char *target = g_strconcat(file->archive_dir, path, NULL);
    g_autofree char *parent = g_path_get_dirname(target);
    GError *error = NULL;
    if (g_mkdir_with_parents(parent, 0755) != 0) {
        g_warning("file source: fail to move %s to %s / skip moving file: cannot create %s: %s",
                  path, target, parent, g_strerror(errno));
        return;
    }
    GFile *from = g_file_new_for_path(path), *to = g_file_new_for_path(target);
    if (!g_file_move(from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, &error)) {
        g_warning("file source: fail to move %s to %s / skip moving file: %s", path, target,
                  error->message);
        g_error_free(error);
    } else {
        g_atomic_int_inc(&file->n_cleaned);
    }
    g_object_unref(from);
    g_object_unref(to);
}

/* Spark's SourceFileRemover.cleanTask. */
static void
delete_file(FileSource *file, const char *path)
{
    if (g_unlink(path) != 0)
        g_warning("file source: failed to remove %s / skip removing file: %s", path,
                  g_strerror(errno));
    else
        g_atomic_int_inc(&file->n_cleaned);
}

static void
file_forget(DuetSource *source, const char *end)
{
    FileSource *file = file_of(source);
    GPtrArray *done = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    g_mutex_lock(&file->lock);
    gint64 drop = duet_long_offset_releasable(end, file->first, (gint64)file->batches->len);
    for (gint64 index = 0; index < drop; index++)
        g_ptr_array_add(done, g_ptr_array_ref(g_ptr_array_index(file->batches, index)));
    if (drop > 0) {
        g_ptr_array_remove_range(file->batches, 0, (guint)drop);
        file->first += drop;
    }
    g_mutex_unlock(&file->lock);
    /* the batches were committed by every consumer: their files may go (cleanSource) */
    for (guint batch = 0; file->clean != CLEAN_OFF && batch < done->len; batch++) {
        GPtrArray *paths = g_ptr_array_index(done, batch);
        for (guint index = 0; index < paths->len; index++) {
            if (file->clean == CLEAN_ARCHIVE)
                archive_file(file, g_ptr_array_index(paths, index));
            else
                delete_file(file, g_ptr_array_index(paths, index));
        }
    }
    g_ptr_array_unref(done);
}

static gboolean
file_attach_log(DuetSource *source, const char *directory, GError **error)
{
    FileSource *file = file_of(source);
    gboolean ok = TRUE;
    g_mutex_lock(&file->lock);
    if (file->log_dir != NULL) {
        g_mutex_unlock(&file->lock); /* the first query's log */
        return TRUE;
    }
    if (file->first == 0 && file->batches->len == 0) {
        /* a new source: what an earlier process logged are its offsets 0, 1, ... */
        GPtrArray *mtimes = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
        GPtrArray *logged = duet_file_source_log_read(directory, mtimes, error);
        for (guint batch = 0; logged != NULL && batch < logged->len; batch++) {
            GPtrArray *paths = logged->pdata[batch];
            GArray *times = mtimes->pdata[batch];
            for (guint index = 0; index < paths->len; index++) {
                gint64 mtime = g_array_index(times, gint64, index);
                g_hash_table_insert(file->seen, g_strdup(seen_key(file, paths->pdata[index])),
                                    g_memdup2(&mtime, sizeof(gint64)));
                file->latest_ms = MAX(file->latest_ms, mtime);
            }
            g_ptr_array_add(file->batches, g_ptr_array_ref(paths));
        }
        ok = logged != NULL;
        if (logged)
            g_ptr_array_unref(logged);
        g_ptr_array_unref(mtimes);
    } else {
        /* offsets made before a query attached (another consumer read first): log them, the
         * ones already forgotten (committed by every consumer) as empty */
        GPtrArray *none = g_ptr_array_new();
        for (gint64 forgotten = 0; ok && forgotten < file->first; forgotten++)
            ok = duet_file_source_log_write(directory, forgotten, none, NULL, error);
        g_ptr_array_unref(none);
        for (guint batch = 0; ok && batch < file->batches->len; batch++) {
            GPtrArray *paths = file->batches->pdata[batch];
            GArray *times = g_array_new(FALSE, FALSE, sizeof(gint64));
            for (guint index = 0; index < paths->len; index++) {
                const gint64 *mtime =
                    g_hash_table_lookup(file->seen, seen_key(file, paths->pdata[index]));
                gint64 value = mtime ? *mtime : 0;
                g_array_append_val(times, value);
            }
            ok = duet_file_source_log_write(directory, file->first + batch, paths,
                                            (gint64 *)times->data, error);
            g_array_unref(times);
        }
    }
    if (ok)
        file->log_dir = g_strdup(directory);
    g_mutex_unlock(&file->lock);
    return ok;
}

/* One class per format, so that duet_source_format names the format ("csv"), in the order of
 * DuetFileFormatKind. */
#define FILE_CLASS(name)                                                                           \
    {                                                                                              \
        .format = name, .description = file_description, .latest_offset = file_latest,             \
        .get_batch = file_get_batch, .forget = file_forget, .finalize = file_finalize,             \
        .compare = duet_long_offset_compare, .attach_log = file_attach_log,                        \
        .latest_offset_all = file_latest_all, .available_now = file_available_now,                 \
    }
static const DuetSourceClass file_classes[] = {FILE_CLASS("text"), FILE_CLASS("csv"),
                                               FILE_CLASS("json")};

/* ---- options ------------------------------------------------------------------------------ */

/* FileStreamOptions.withBooleanParameter. */
static gboolean
get_boolean(DuetSourceOptions *options, const char *key, gboolean *value, GError **error)
{
    const char *text = duet_source_options_get(options, key);
    *value = FALSE;
    if (text == NULL)
        return TRUE;
    if (g_ascii_strcasecmp(text, "true") != 0 && g_ascii_strcasecmp(text, "false") != 0) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Invalid value '%s' for option '%s', must be true or false", text, key);
        return FALSE;
    }
    *value = g_ascii_strcasecmp(text, "true") == 0;
    return TRUE;
}

/* Spark's JavaUtils.timeStringAsMs: a number with an optional unit (us, ms, s, m, min, h, d;
 * milliseconds when absent). */
static gboolean
parse_duration_ms(const char *text, gint64 *ms)
{
    static const struct {
        const char *unit;
        gdouble ms;
    } units[] = {{"us", 0.001},  {"ms", 1},      {"s", 1000},     {"m", 60000},
                 {"min", 60000}, {"h", 3600000}, {"d", 86400000}, {"", 1}};
    g_autofree char *lower = g_ascii_strdown(text, -1);
    g_strstrip(lower);
    char *end = NULL;
    errno = 0;
    gint64 number = g_ascii_strtoll(lower, &end, 10);
    if (end == lower || errno != 0 || number < 0)
        return FALSE;
    for (guint index = 0; index < G_N_ELEMENTS(units); index++) {
        if (strcmp(end, units[index].unit) == 0) {
            *ms = (gint64)((gdouble)number * units[index].ms);
            return TRUE;
        }
    }
    return FALSE;
}

/* CSVOptions' separator: one character, or "\t". */
static gboolean
get_separator(DuetSourceOptions *options, char *separator, GError **error)
{
    const char *text = duet_source_options_get(options, "sep");
    if (text == NULL)
        text = duet_source_options_get(options, "delimiter");
    if (text == NULL)
        return TRUE;
    if (text[0] == '\0') {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Delimiter cannot be empty string");
        return FALSE;
    }
    if (strcmp(text, "\\t") == 0) {
        *separator = '\t';
        return TRUE;
    }
    if (strlen(text) != 1) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Delimiter cannot be more than one character: %s (duet's CSV reader takes "
                    "one character or \\t)",
                    text);
        return FALSE;
    }
    *separator = text[0];
    return TRUE;
}

/* CSVOptions.getChar: one character, "" for none ('\0'); Spark's message otherwise. */
static gboolean
get_char(DuetSourceOptions *options, const char *key, char *value, GError **error)
{
    const char *text = duet_source_options_get(options, key);
    if (text == NULL)
        return TRUE;
    if (strlen(text) > 1) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "%s cannot be more than one character", key);
        return FALSE;
    }
    *value = text[0];
    return TRUE;
}

/* CSVOptions.getBool: "true" or "false" in any case. */
static gboolean
get_flag(DuetSourceOptions *options, const char *key, gboolean *value, GError **error)
{
    const char *text = duet_source_options_get(options, key);
    if (text == NULL)
        return TRUE;
    if (g_ascii_strcasecmp(text, "true") != 0 && g_ascii_strcasecmp(text, "false") != 0) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "%s flag can be true or false", key);
        return FALSE;
    }
    *value = g_ascii_strcasecmp(text, "true") == 0;
    return TRUE;
}

/* The number of components of an absolute path (Hadoop's Path.depth). */
static guint
path_depth(const char *path)
{
    guint depth = 0;
    for (const char *cursor = path; *cursor; cursor++)
        depth += *cursor == G_DIR_SEPARATOR && cursor[1] != '\0';
    return depth;
}

/* The ancestor of an absolute path with depth components ("/" for 0). (transfer full) */
static char *
path_ancestor(const char *path, guint depth)
{
    guint slashes = 0;
    for (const char *cursor = path; *cursor; cursor++) {
        if (*cursor == G_DIR_SEPARATOR && ++slashes == depth + 1)
            return cursor == path ? g_strdup(G_DIR_SEPARATOR_S)
                                  : g_strndup(path, (gsize)(cursor - path));
    }
    return g_strdup(path);
}

/* Spark's SourceFileArchiver.isBaseArchivePathMatchedAgainstSourcePattern for paths without
 * globs: the two paths cut to the smaller depth are the same. */
static gboolean
archive_overlaps_source(const char *source, const char *archive)
{
    guint depth = MIN(path_depth(source), path_depth(archive));
    g_autofree char *source_cut = path_ancestor(source, depth);
    g_autofree char *archive_cut = path_ancestor(archive, depth);
    return strcmp(source_cut, archive_cut) == 0;
}

/* cleanSource and sourceArchiveDir (FileStreamOptions, FileStreamSourceCleaner). */
static gboolean
get_clean_mode(DuetSourceOptions *options, const char *directory, CleanMode *mode,
               char **archive_dir, GError **error)
{
    const char *text = duet_source_options_get(options, "cleanSource");
    const char *archive = duet_source_options_get(options, "sourceArchiveDir");
    *mode = CLEAN_OFF;
    *archive_dir = NULL;
    if (text == NULL)
        return TRUE;
    static const char *const names[] = {"ARCHIVE", "DELETE", "OFF"};
    static const CleanMode modes[] = {CLEAN_ARCHIVE, CLEAN_DELETE, CLEAN_OFF};
    guint index = 0;
    while (index < G_N_ELEMENTS(names) && g_ascii_strcasecmp(text, names[index]) != 0)
        index++;
    if (index == G_N_ELEMENTS(names)) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Invalid mode for clean source option Some(%s). Must be one of "
                    "ARCHIVE,DELETE,OFF",
                    text);
        return FALSE;
    }
    *mode = modes[index];
    if (*mode != CLEAN_ARCHIVE)
        return TRUE;
    if (archive == NULL) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Archive mode must be used with 'sourceArchiveDir' option.");
        return FALSE;
    }
    g_autofree char *absolute = g_canonicalize_filename(archive, NULL);
    if (archive_overlaps_source(directory, absolute)) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "requirement failed: Base archive path cannot be set to the path where "
                    "archived path can possibly match with source pattern. Ensure the base "
                    "archive path doesn't match with source pattern in depth, where the depth is "
                    "minimum of depth on both paths.");
        return FALSE;
    }
    /* "/" + path must not give "//path" */
    if (g_str_has_suffix(absolute, G_DIR_SEPARATOR_S))
        absolute[strlen(absolute) - 1] = '\0';
    *archive_dir = g_steal_pointer(&absolute);
    return TRUE;
}

/* The options of the format itself (CSVOptions, JSONOptions). */
static gboolean
get_format_options(DuetSourceOptions *options, DuetFileFormat *format, GError **error)
{
    if (format->kind == DUET_FILE_FORMAT_CSV) {
        if (!get_flag(options, "header", &format->header, error) ||
            !get_separator(options, &format->separator, error) ||
            !get_char(options, "quote", &format->quote, error) ||
            !get_char(options, "escape", &format->escape, error))
            return FALSE;
        const char *null_value = duet_source_options_get(options, "nullValue");
        if (null_value != NULL)
            format->null_value = null_value;
    }
    if (format->kind != DUET_FILE_FORMAT_TEXT) {
        format->mode = duet_file_format_mode_from_name(duet_source_options_get(options, "mode"));
        const char *corrupt = duet_source_options_get(options, "columnNameOfCorruptRecord");
        if (corrupt != NULL)
            format->corrupt_column = corrupt;
    }
    return TRUE;
}

DuetSource *
duet_file_source_new(const char *format, DuetSourceOptions *options, DuetSchema *user_schema,
                     GError **error)
{
    DuetFileFormatKind kind;
    if (!duet_file_format_kind_from_name(format, &kind)) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FORMAT,
                    "Failed to find data source: %s", format);
        return NULL;
    }
    const char *path = duet_source_options_get(options, "path");
    if (path == NULL) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION, "'path' is not specified");
        return NULL;
    }
    DuetFileFormat file_format;
    duet_file_format_init(&file_format, kind);
    gboolean schema_inference = FALSE, infer_types = FALSE;
    if (!get_format_options(options, &file_format, error) ||
        !get_flag(options, "spark.sql.streaming.schemaInference", &schema_inference, error) ||
        (kind == DUET_FILE_FORMAT_CSV && !get_flag(options, "inferSchema", &infer_types, error)))
        return NULL;

    gint64 max_files = 0, max_age_ms = 7 * 86400000LL, min_age_ms = 1000;
    gboolean latest_first, file_name_only;
    const char *max_files_text = duet_source_options_get(options, "maxFilesPerTrigger");
    if (max_files_text != NULL) {
        char *end = NULL;
        max_files = g_ascii_strtoll(max_files_text, &end, 10);
        if (end == max_files_text || *end != '\0' || max_files <= 0 || max_files > G_MAXINT32) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "Invalid value '%s' for option 'maxFilesPerTrigger', must be a positive "
                        "integer",
                        max_files_text);
            return NULL;
        }
    }
    if (!get_boolean(options, "latestFirst", &latest_first, error) ||
        !get_boolean(options, "fileNameOnly", &file_name_only, error))
        return NULL;
    static const char *const durations[] = {"maxFileAge", "minFileAge"};
    gint64 *duration_values[] = {&max_age_ms, &min_age_ms};
    for (guint index = 0; index < G_N_ELEMENTS(durations); index++) {
        const char *text = duet_source_options_get(options, durations[index]);
        if (text != NULL && !parse_duration_ms(text, duration_values[index])) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "Invalid value '%s' for option '%s': Time must be specified as seconds "
                        "(s), milliseconds (ms), microseconds (us), minutes (m or min), hour (h), "
                        "or day (d). E.g. 50s, 100ms, or 250us.",
                        text, durations[index]);
            return NULL;
        }
    }
    /* FileStreamSource: maxFileAge is ignored when latestFirst and maxFilesPerTrigger are set,
     * so that a burst of old files is not skipped */
    if (latest_first && max_files > 0)
        max_age_ms = G_MAXINT64;

    g_autofree char *absolute = g_canonicalize_filename(path, NULL);
    if (!g_file_test(absolute, G_FILE_TEST_IS_DIR)) {
        if (g_file_test(absolute, G_FILE_TEST_EXISTS))
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "The file source path file:%s is not a directory: give the directory "
                        "that new files are moved into",
                        absolute);
        else
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "[PATH_NOT_FOUND] Path does not exist: file:%s. Create the directory "
                        "before starting the stream.",
                        absolute);
        return NULL;
    }
    CleanMode clean;
    g_autofree char *archive_dir = NULL;
    if (!get_clean_mode(options, absolute, &clean, &archive_dir, error))
        return NULL;

    g_autoptr(DuetSchema) schema = NULL;
    if (kind == DUET_FILE_FORMAT_TEXT) {
        schema = duet_file_format_text_schema();
        if (user_schema != NULL && !duet_schema_equal(user_schema, schema)) {
            g_autofree char *given = duet_schema_to_string(user_schema);
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "The text source has the schema struct<value:string>; a user schema %s "
                        "cannot be used",
                        given);
            return NULL;
        }
    } else if (user_schema != NULL) {
        schema = duet_schema_ref(user_schema);
    } else if (!schema_inference) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Schema must be specified when creating a streaming source DataFrame. If "
                    "some files already exist in the directory, then depending on the file "
                    "format you may be able to create a static DataFrame on that directory with "
                    "'spark.read.load(directory)' and infer schema from it.");
        return NULL;
    } else {
        schema = duet_file_listing_infer_schema(&file_format, absolute, infer_types, error);
        if (schema == NULL)
            return NULL;
    }
    GError *local = NULL;
    if (!duet_file_format_check_schema(&file_format, schema, &local)) {
        g_set_error_literal(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION, local->message);
        g_error_free(local);
        return NULL;
    }

    FileSource *file = g_new0(FileSource, 1);
    g_mutex_init(&file->lock);
    file->format = file_format;
    /* the format borrows its strings: keep copies the source owns */
    file->null_value = g_strdup(file_format.null_value);
    file->corrupt_column = g_strdup(file_format.corrupt_column);
    file->format.null_value = file->null_value;
    file->format.corrupt_column = file->corrupt_column;
    file->directory = g_steal_pointer(&absolute);
    file->max_files = max_files;
    file->latest_first = latest_first;
    file->file_name_only = file_name_only;
    file->max_age_ms = max_age_ms;
    file->min_age_ms = min_age_ms;
    file->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    file->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    file->latest_ms = G_MININT64;
    file->last_purge_ms = G_MININT64;
    file->batches = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    file->clean = clean;
    file->archive_dir = g_steal_pointer(&archive_dir);
    return duet_source_new_internal(&file_classes[kind], schema, file);
}

guint
duet_file_source_malformed_records(DuetSource *source)
{
    gboolean is_file = FALSE;
    for (guint kind = 0; kind < G_N_ELEMENTS(file_classes); kind++)
        is_file |= duet_source_format(source) == file_classes[kind].format;
    g_return_val_if_fail(is_file, 0);
    FileSource *file = file_of(source);
    g_mutex_lock(&file->lock);
    guint n = file->n_malformed;
    g_mutex_unlock(&file->lock);
    return n;
}

guint
duet_file_source_cleaned_files(DuetSource *source)
{
    gboolean is_file = FALSE;
    for (guint kind = 0; kind < G_N_ELEMENTS(file_classes); kind++)
        is_file |= duet_source_format(source) == file_classes[kind].format;
    g_return_val_if_fail(is_file, 0);
    return (guint)g_atomic_int_get(&file_of(source)->n_cleaned);
}
