/* file_sink.c — Spark's FileStreamSink: part files and an exactly-once _spark_metadata log.
 *
 * Layer: sinks/. Includes rdd/ and sinks/. Each batch writes one part file per non-empty
 * partition, named as Spark names them (part-00000-<job uuid>-c000.json), each atomically
 * (a hidden temporary file renamed into place), then commits the batch by writing
 * <path>/_spark_metadata/<batch id>: "v1", then one SinkFileStatus JSON per file. The log is
 * the truth, independent of any checkpoint: a batch id the log already has is skipped (Spark's
 * "Skipping already committed batch"), so a re-run batch, even by a new sink object after a
 * restart, never writes twice, and readers that follow the log (the file source) never see the
 * part files of a batch that failed before its commit. Append mode only, as in Spark.
 *
 * partitionBy (Spark's dynamic partition writer): the rows of a task go to
 * <path>/<col>=<value>/.../part-NNNNN-<uuid>-c000.<ext>, one file per task and directory, the
 * directories in the order their first row comes, each file holding the other columns only;
 * values are cast to strings and escaped as Spark's ExternalCatalogUtils does, a null or empty
 * value being __HIVE_DEFAULT_PARTITION__. The log lists every file with its directory, so the
 * exactly-once rule is unchanged.
 */
#include "sinks/sink.h"
#include "rdd/atomic_file.h"
#include "rdd/fault.h"
#include "rdd/file_format.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

/* Hadoop's local file system reports a 32 MiB block size (fs.local.block.size). */
#define LOCAL_BLOCK_SIZE 33554432
/* spark.sql.streaming.fileSink.log.compactInterval: batch 9, 19, ... is written as N.compact
 * holding every entry so far, and readers start from the latest one. */
#define COMPACT_INTERVAL 10

typedef struct {
    DuetFileFormat format;   /* json, csv or text, with the CSV options */
    char *path;              /* absolute output directory */
    char *log_dir;           /* path/_spark_metadata */
    char *null_value;        /* nullValue, which format borrows */
    GArray *partition_by;    /* guint: schema columns of partitionBy, in their order */
    GArray *data_columns;    /* guint: the other schema columns, written into the files */
    DuetSchema *data_schema; /* the schema of data_columns */
} FileSink;

static void
file_sink_finalize(gpointer data)
{
    FileSink *file = data;
    g_free(file->path);
    g_free(file->log_dir);
    g_free(file->null_value);
    g_array_unref(file->partition_by);
    g_array_unref(file->data_columns);
    duet_schema_unref(file->data_schema);
    g_free(file);
}

static char *
file_sink_description(DuetSink *sink)
{
    FileSink *file = duet_sink_get_data(sink);
    return g_strdup_printf("FileSink[file:%s]", file->path);
}

/* The latest batch id of the log (names N or N.compact), or -1. */
static gboolean
log_latest_batch_id(const char *log_dir, gint64 *latest, GError **error)
{
    GError *local = NULL;
    GDir *dir = g_dir_open(log_dir, 0, &local);
    if (dir == NULL) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                    "file sink: cannot read its log %s: %s", log_dir, local->message);
        g_error_free(local);
        return FALSE;
    }
    *latest = -1;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        char *end = NULL;
        gint64 id = g_ascii_strtoll(name, &end, 10);
        if (end != name && g_ascii_isdigit(name[0]) &&
            (*end == '\0' || strcmp(end, ".compact") == 0))
            *latest = MAX(*latest, id);
    }
    g_dir_close(dir);
    return TRUE;
}

/* Spark's SinkFileStatus as JSON, with the path as Hadoop's Path.toUri shows it. */
static void
append_status(GString *log, const char *path, GStatBuf *stat_buf)
{
    /* java.net.URI quotes a path's other characters only: "=" of partition directories stays */
    g_autofree char *escaped = g_uri_escape_string(path, "/!$&'()*+,;=:@", TRUE);
    gint64 mtime_ms =
        (gint64)stat_buf->st_mtim.tv_sec * 1000 + (gint64)stat_buf->st_mtim.tv_nsec / 1000000;
    g_string_append_printf(log,
                           "\n{\"path\":\"file:%s\",\"size\":%" G_GINT64_FORMAT
                           ",\"isDir\":false,\"modificationTime\":%" G_GINT64_FORMAT
                           ",\"blockReplication\":1,\"blockSize\":%d,\"action\":\"add\"}",
                           escaped, (gint64)stat_buf->st_size, mtime_ms, LOCAL_BLOCK_SIZE);
}

/* The entries of the batches before batch_id since the previous compaction (its N.compact file,
 * then the deltas after it), put before the entries of this batch in log ("v1" + lines): Spark's
 * CompactibleFileStreamLog.compact for a log without deletions. */
static gboolean
prepend_earlier_entries(const char *log_dir, gint64 batch_id, GString *log, GError **error)
{
    GString *earlier = g_string_new("v1");
    gboolean ok = TRUE;
    for (gint64 id = MAX(0, batch_id - COMPACT_INTERVAL); ok && id < batch_id; id++) {
        gboolean is_compact = (id + 1) % COMPACT_INTERVAL == 0;
        g_autofree char *name =
            g_strdup_printf("%" G_GINT64_FORMAT "%s", id, is_compact ? ".compact" : "");
        g_autofree char *path = g_build_filename(log_dir, name, NULL);
        g_autofree char *contents = NULL;
        if (!g_file_get_contents(path, &contents, NULL, NULL)) {
            if (!g_file_test(path, G_FILE_TEST_EXISTS))
                continue; /* batch ids may start late (a sink added to an existing query) */
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                        "cannot read the log file %s to compact it", path);
            ok = FALSE;
        } else if (!g_str_has_prefix(contents, "v1")) {
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                        "the log file %s does not start with \"v1\": is it Spark's?", path);
            ok = FALSE;
        } else {
            g_string_append(earlier, contents + strlen("v1"));
        }
    }
    if (ok) /* after log's own "v1" */
        g_string_insert(log, strlen("v1"), earlier->str + strlen("v1"));
    g_string_free(earlier, TRUE);
    return ok;
}

/* One part file of a task: its partition directory and its text. */
typedef struct {
    GString *dir;  /* "col=value/..." relative to the output path; "" without partitionBy */
    GString *text; /* the encoded rows (with a CSV header when asked) */
} Output;

static void
output_free(gpointer data)
{
    Output *output = data;
    g_string_free(output->dir, TRUE);
    g_string_free(output->text, TRUE);
    g_free(output);
}

static Output *
output_new(FileSink *file, const char *dir)
{
    Output *output = g_new(Output, 1);
    output->dir = g_string_new(dir);
    output->text = g_string_new(NULL);
    if (file->format.header)
        duet_file_format_encode_header(&file->format, file->data_schema, output->text);
    return output;
}

/* The rows of one task (a list of batches) as part files: one without partitionBy (none when
 * the task has no rows: Spark writes no file for an empty partition), else one per partition
 * directory in the order of their first rows, holding the data columns only. */
static void
split_task(FileSink *file, GPtrArray *batches, GPtrArray *outputs)
{
    if (file->partition_by->len == 0) {
        Output *output = NULL;
        for (guint index = 0; index < batches->len; index++) {
            DuetBatch *rows = g_ptr_array_index(batches, index);
            if (duet_batch_n_rows(rows) == 0)
                continue;
            if (output == NULL)
                output = output_new(file, "");
            duet_file_format_encode(&file->format, rows, output->text);
        }
        if (output != NULL)
            g_ptr_array_add(outputs, output);
        return;
    }
    GHashTable *by_dir = g_hash_table_new(g_str_hash, g_str_equal); /* dir -> Output */
    GString *dir = g_string_new(NULL);
    for (guint index = 0; index < batches->len; index++) {
        DuetBatch *rows = g_ptr_array_index(batches, index);
        gsize n_rows = duet_batch_n_rows(rows);
        if (n_rows == 0)
            continue;
        /* row indices per output, in row order */
        GHashTable *picked = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_array_unref);
        GPtrArray *order = g_ptr_array_new();
        for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
            DuetRow row = duet_batch_row(rows, row_idx);
            g_string_truncate(dir, 0);
            for (guint part = 0; part < file->partition_by->len; part++) {
                guint column = g_array_index(file->partition_by, guint, part);
                DuetValue value;
                duet_row_get_value(&row, column, &value);
                if (part)
                    g_string_append_c(dir, G_DIR_SEPARATOR);
                duet_file_format_append_partition_dir(
                    dir, duet_schema_field(duet_batch_schema(rows), column)->name, &value);
            }
            Output *output = g_hash_table_lookup(by_dir, dir->str);
            if (output == NULL) {
                output = output_new(file, dir->str);
                g_ptr_array_add(outputs, output);
                g_hash_table_insert(by_dir, output->dir->str, output);
            }
            GArray *indices = g_hash_table_lookup(picked, output);
            if (indices == NULL) {
                indices = g_array_new(FALSE, FALSE, sizeof(guint32));
                g_hash_table_insert(picked, output, indices);
                g_ptr_array_add(order, output);
            }
            guint32 row32 = (guint32)row_idx;
            g_array_append_val(indices, row32);
        }
        g_autoptr(DuetBatch) data = duet_batch_project(
            rows, (const guint *)(void *)file->data_columns->data, file->data_columns->len);
        for (guint out = 0; out < order->len; out++) {
            Output *output = g_ptr_array_index(order, out);
            GArray *indices = g_hash_table_lookup(picked, output);
            g_autoptr(DuetBatch) subset =
                duet_batch_take(data, (const guint32 *)(void *)indices->data, indices->len);
            duet_file_format_encode(&file->format, subset, output->text);
        }
        g_ptr_array_unref(order);
        g_hash_table_unref(picked);
    }
    g_string_free(dir, TRUE);
    g_hash_table_unref(by_dir);
}

static gboolean
file_sink_add_batch(DuetSink *sink, gint64 batch_id, GPtrArray *partitions, DuetOutputMode mode,
                    GError **error)
{
    FileSink *file = duet_sink_get_data(sink);
    if (mode != DUET_OUTPUT_MODE_APPEND) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Data source %s does not support %s output mode",
                    duet_file_format_name(file->format.kind),
                    mode == DUET_OUTPUT_MODE_UPDATE ? "Update" : "Complete");
        return FALSE;
    }
    gint64 latest;
    if (!log_latest_batch_id(file->log_dir, &latest, error))
        return FALSE;
    if (batch_id <= latest)
        return TRUE; /* Spark: "Skipping already committed batch" */

    g_autofree char *job = g_uuid_string_random();
    GPtrArray *written = g_ptr_array_new_with_free_func(g_free);
    GString *log = g_string_new("v1");
    GError *local = NULL;
    gboolean ok = TRUE;
    for (guint partition = 0; ok && partition < partitions->len; partition++) {
        GPtrArray *outputs = g_ptr_array_new_with_free_func(output_free);
        split_task(file, g_ptr_array_index(partitions, partition), outputs);
        for (guint index = 0; ok && index < outputs->len; index++) {
            Output *output = g_ptr_array_index(outputs, index);
            g_autofree char *name = g_strdup_printf("part-%05u-%s-c000.%s", partition, job,
                                                    duet_file_format_extension(file->format.kind));
            char *part_path = output->dir->len > 0
                                  ? g_build_filename(file->path, output->dir->str, name, NULL)
                                  : g_build_filename(file->path, name, NULL);
            g_ptr_array_add(written, part_path);
            GStatBuf stat_buf;
            g_autofree char *parent = g_path_get_dirname(part_path);
            if (!duet_atomic_mkdir(parent, &local) ||
                !duet_atomic_file_write(part_path, output->text->str, output->text->len, &local)) {
                ok = FALSE;
            } else if (g_stat(part_path, &stat_buf) != 0) {
                g_set_error(&local, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE, "cannot stat %s: %s",
                            part_path, g_strerror(errno));
                ok = FALSE;
            } else {
                append_status(log, part_path, &stat_buf);
            }
        }
        g_ptr_array_unref(outputs);
    }
    if (ok && duet_fault_sim(DUET_FAULT_SITE_SINK_WRITE, file->log_dir)) {
        g_set_error(&local, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                    "part files written, log not (injected fault)");
        ok = FALSE;
    }
    gboolean compact = (batch_id + 1) % COMPACT_INTERVAL == 0;
    if (ok && compact)
        ok = prepend_earlier_entries(file->log_dir, batch_id, log, &local);
    if (ok) {
        g_autofree char *name =
            g_strdup_printf("%" G_GINT64_FORMAT "%s", batch_id, compact ? ".compact" : "");
        g_autofree char *log_path = g_build_filename(file->log_dir, name, NULL);
        ok = duet_atomic_file_write(log_path, log->str, log->len, &local);
    }
    if (!ok) {
        /* Not in the log, the part files are invisible to log readers; remove them anyway. */
        for (guint index = 0; index < written->len; index++)
            g_unlink(g_ptr_array_index(written, index));
        if (local != NULL) {
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                        "file sink %s, batch %" G_GINT64_FORMAT ": %s", file->path, batch_id,
                        local->message);
            g_error_free(local);
        }
    }
    g_string_free(log, TRUE);
    g_ptr_array_unref(written);
    return ok;
}

/* One class per format (in the order of DuetFileFormatKind), so messages name the format. */
static const DuetSinkClass file_sink_classes[] = {
    {"text", file_sink_description, file_sink_add_batch, file_sink_finalize},
    {"csv", file_sink_description, file_sink_add_batch, file_sink_finalize},
    {"json", file_sink_description, file_sink_add_batch, file_sink_finalize},
};

static gboolean
is_file_sink(DuetSink *sink)
{
    const DuetSinkClass *klass = duet_sink_get_class(sink);
    return klass >= file_sink_classes &&
           klass < file_sink_classes + G_N_ELEMENTS(file_sink_classes);
}

/* The schema columns of the partitionBy option (a comma-separated list, resolved
 * case-insensitively), with Spark's PartitioningUtils.validatePartitionColumn checks. An empty
 * array without the option. (transfer full) */
static GArray *
partition_columns(const char *option, DuetSchema *schema, GError **error)
{
    GArray *columns = g_array_new(FALSE, FALSE, sizeof(guint));
    if (option == NULL || option[0] == '\0')
        return columns;
    g_auto(GStrv) names = g_strsplit(option, ",", -1);
    for (guint index = 0; names[index] != NULL; index++) {
        const char *name = g_strstrip(names[index]);
        gint column = duet_schema_find_ci(schema, name);
        if (column < 0) {
            g_autofree char *schema_text = duet_schema_to_string(schema);
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                        "Partition column `%s` not found in schema %s", name, schema_text);
            g_array_unref(columns);
            return NULL;
        }
        for (guint seen = 0; seen < columns->len; seen++) {
            if (g_array_index(columns, guint, seen) == (guint)column) {
                g_autofree char *lower = g_ascii_strdown(name, -1);
                g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                            "[COLUMN_ALREADY_EXISTS] The column `%s` already exists. Consider to "
                            "choose another name or rename the existing column.",
                            lower);
                g_array_unref(columns);
                return NULL;
            }
        }
        DuetDataType *type = duet_schema_field(schema, (guint)column)->type;
        DuetTypeId id = duet_data_type_id(type);
        if (id == DUET_TYPE_ARRAY || id == DUET_TYPE_MAP || id == DUET_TYPE_STRUCT ||
            id == DUET_TYPE_BINARY) {
            g_autofree char *type_text = duet_data_type_to_string(type);
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                        "Cannot use %s for partition column", type_text);
            g_array_unref(columns);
            return NULL;
        }
        guint resolved = (guint)column;
        g_array_append_val(columns, resolved);
    }
    if (columns->len == duet_schema_n_fields(schema)) {
        g_set_error_literal(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                            "Cannot use all columns for partition columns");
        g_array_unref(columns);
        return NULL;
    }
    return columns;
}

DuetSink *
duet_file_sink_new(const char *format, GHashTable *options, DuetSchema *schema, GError **error)
{
    DuetFileFormatKind kind;
    if (!duet_file_format_kind_from_name(format, &kind)) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Failed to find data source: %s (the file sink writes json, csv or text)",
                    format);
        return NULL;
    }
    const char *path = duet_sink_option_get(options, "path");
    if (path == NULL) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION, "'path' is not specified");
        return NULL;
    }
    DuetFileFormat file_format;
    duet_file_format_init(&file_format, kind);
    g_autoptr(GArray) partition_by =
        partition_columns(duet_sink_option_get(options, "partitionBy"), schema, error);
    if (partition_by == NULL)
        return NULL;
    g_autoptr(GArray) data_columns = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint column = 0; column < duet_schema_n_fields(schema); column++) {
        gboolean is_partition = FALSE;
        for (guint part = 0; part < partition_by->len; part++)
            is_partition |= g_array_index(partition_by, guint, part) == column;
        if (!is_partition)
            g_array_append_val(data_columns, column);
    }
    g_autoptr(DuetSchema) data_schema =
        duet_schema_project(schema, (const guint *)(void *)data_columns->data, data_columns->len);
    GError *local = NULL;
    if (!duet_file_format_check_schema(&file_format, data_schema, &local)) {
        g_set_error_literal(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION, local->message);
        g_error_free(local);
        return NULL;
    }
    if (kind == DUET_FILE_FORMAT_CSV) {
        const char *header = duet_sink_option_get(options, "header");
        if (header != NULL && g_ascii_strcasecmp(header, "true") != 0 &&
            g_ascii_strcasecmp(header, "false") != 0) {
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                        "header flag can be true or false");
            return NULL;
        }
        file_format.header = header != NULL && g_ascii_strcasecmp(header, "true") == 0;
        const char *sep = duet_sink_option_get(options, "sep");
        if (sep == NULL)
            sep = duet_sink_option_get(options, "delimiter");
        if (sep != NULL && strcmp(sep, "\\t") == 0) {
            file_format.separator = '\t';
        } else if (sep != NULL && sep[0] == '\0') {
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                        "Delimiter cannot be empty string");
            return NULL;
        } else if (sep != NULL && strlen(sep) != 1) {
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                        "Delimiter cannot be more than one character: %s", sep);
            return NULL;
        } else if (sep != NULL) {
            file_format.separator = sep[0];
        }
        const char *null_value = duet_sink_option_get(options, "nullValue");
        if (null_value != NULL)
            file_format.null_value = null_value;
    }
    g_autofree char *absolute = g_canonicalize_filename(path, NULL);
    if (g_file_test(absolute, G_FILE_TEST_EXISTS) && !g_file_test(absolute, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "The file sink path file:%s is a file: give a directory (it is created if "
                    "missing)",
                    absolute);
        return NULL;
    }
    g_autofree char *log_dir = g_build_filename(absolute, "_spark_metadata", NULL);
    if (!duet_atomic_mkdir(log_dir, &local)) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "file sink: cannot create its output directory: %s", local->message);
        g_error_free(local);
        return NULL;
    }
    FileSink *file = g_new0(FileSink, 1);
    file->format = file_format;
    /* the format borrows nullValue: keep a copy the sink owns */
    file->null_value = g_strdup(file_format.null_value);
    file->format.null_value = file->null_value;
    file->path = g_steal_pointer(&absolute);
    file->log_dir = g_steal_pointer(&log_dir);
    file->partition_by = g_steal_pointer(&partition_by);
    file->data_columns = g_steal_pointer(&data_columns);
    file->data_schema = g_steal_pointer(&data_schema);
    return duet_sink_new_internal(&file_sink_classes[kind], schema, file);
}

gint64
duet_file_sink_latest_logged_batch_id(DuetSink *sink)
{
    g_return_val_if_fail(is_file_sink(sink), -1);
    FileSink *file = duet_sink_get_data(sink);
    gint64 latest = -1;
    if (!log_latest_batch_id(file->log_dir, &latest, NULL))
        return -1;
    return latest;
}
