/* file_input.c — textFileStream: new files of a directory, one batch at a time.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. Spark's FileInputDStream with its default
 * settings: at batch time t the stream takes every file of the directory whose modification
 * time is in (max(creation time, t - remember), t] and that it has not taken before, where
 * remember is ceil(60 s / batch) batches (spark.streaming.fileStream.minRememberDuration);
 * names starting with "." are ignored. A file modified after t waits for a later batch. Each
 * file's lines (split at "\n", "\r\n" or "\r", as Hadoop's LineRecordReader) are one
 * partition. As in Spark, files must appear atomically (written elsewhere, then moved in).
 */
#include "dstream/internal.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

typedef struct {
    char *directory;
    gint64 created_ms;    /* files older than the stream are not new */
    gint64 remember_ms;   /* how long a selected file is remembered */
    GHashTable *selected; /* path -> gint64* batch time it was taken */
} FileInput;

static void
file_input_free(gpointer data)
{
    FileInput *input = data;
    g_free(input->directory);
    g_hash_table_unref(input->selected);
    g_free(input);
}

static DuetBatch *
read_lines(DuetSchema *schema, const char *path, GError **error)
{
    g_autofree char *contents = NULL;
    gsize length = 0;
    if (!g_file_get_contents(path, &contents, &length, error))
        return NULL;
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, 64);
    gsize start = 0;
    for (gsize byte = 0; byte < length; byte++) {
        if (contents[byte] != '\n' && contents[byte] != '\r')
            continue;
        duet_batch_builder_append_string(builder, 0, contents + start, (gssize)(byte - start));
        if (contents[byte] == '\r' && byte + 1 < length && contents[byte + 1] == '\n')
            byte++;
        start = byte + 1;
    }
    if (start < length)
        duet_batch_builder_append_string(builder, 0, contents + start, (gssize)(length - start));
    DuetBatch *batch = duet_batch_builder_finish(builder, error);
    duet_batch_builder_free(builder);
    return batch;
}

static gboolean
forget_old(gpointer key, gpointer value, gpointer user_data)
{
    return *(gint64 *)value < *(gint64 *)user_data;
}

static DuetRdd *
file_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    FileInput *input = stream->op_data;
    gint64 horizon = time_ms - input->remember_ms;
    g_hash_table_foreach_remove(input->selected, forget_old, &horizon);
    gint64 threshold = MAX(input->created_ms, horizon);
    GError *local = NULL;
    GDir *dir = g_dir_open(input->directory, 0, &local);
    if (dir == NULL) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_FAILED,
                    "cannot list the directory of textFileStream: %s", local->message);
        g_error_free(local);
        return NULL;
    }
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (name[0] == '.')
            continue;
        char *path = g_build_filename(input->directory, name, NULL);
        GStatBuf info;
        if (g_stat(path, &info) != 0 || !S_ISREG(info.st_mode)) {
            g_free(path);
            continue;
        }
        gint64 modified_ms = (gint64)info.st_mtim.tv_sec * 1000 + info.st_mtim.tv_nsec / 1000000;
        if (modified_ms <= threshold || modified_ms > time_ms ||
            g_hash_table_contains(input->selected, path)) {
            g_free(path);
            continue;
        }
        g_ptr_array_add(paths, path);
    }
    g_dir_close(dir);
    g_ptr_array_sort(paths, (GCompareFunc)g_strcmp0);

    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint path_idx = 0; path_idx < paths->len; path_idx++) {
        const char *path = g_ptr_array_index(paths, path_idx);
        DuetBatch *lines = read_lines(stream->schema, path, &local);
        if (lines == NULL) {
            /* a file deleted between listing and reading is skipped, as Spark skips it */
            g_clear_error(&local);
            continue;
        }
        GPtrArray *partition = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(partition, lines);
        g_ptr_array_add(partitions, partition);
        gint64 *when = g_new(gint64, 1);
        *when = time_ms;
        g_hash_table_replace(input->selected, g_strdup(path), when);
    }
    DuetRdd *rdd = duet_rdd_new_from_partitions(
        duet_streaming_context_spark_context(stream->context), stream->schema, partitions);
    g_ptr_array_unref(partitions);
    g_ptr_array_unref(paths);
    return rdd;
}

static const DuetDStreamOps file_ops = {.name = "FileInputDStream", .compute = file_compute};

DuetDStream *
duet_streaming_context_text_file_stream(DuetStreamingContext *context, const char *directory)
{
    g_return_val_if_fail(context != NULL && directory != NULL, NULL);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    gint64 interval = duet_streaming_context_batch_interval_ms(context);
    DuetDStream *stream = duet_dstream_new_internal(context, &file_ops, schema, interval);
    FileInput *input = g_new0(FileInput, 1);
    input->directory = g_strdup(directory);
    DuetContext *spark = duet_streaming_context_spark_context(context);
    input->created_ms = duet_clock_now_ms(duet_context_clock(spark));
    gint64 min_remember =
        duet_context_get_conf_int(spark, "spark.streaming.fileStream.minRememberDuration", 60000);
    input->remember_ms = ((min_remember + interval - 1) / interval) * interval;
    input->selected = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    stream->op_data = input;
    stream->op_data_free = file_input_free;
    return stream;
}
