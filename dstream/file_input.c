/* file_input.c — textFileStream: new files of a directory, one batch at a time.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. Spark's FileInputDStream with its default
 * settings: at batch time t the stream takes every file of the directory whose modification
 * time is in (max(creation time, t - remember), t] and that it has not taken before, where
 * remember is ceil(60 s / batch) batches (spark.streaming.fileStream.minRememberDuration);
 * names starting with "." are ignored. A file modified after t waits for a later batch. Each
 * file's lines (split at "\n", "\r\n" or "\r", as Hadoop's LineRecordReader) are one
 * partition. As in Spark, files must appear atomically (written elsewhere, then moved in).
 *
 * Recovery (Spark's FileInputDStreamCheckpointData): the stream keeps the files it selected for
 * each batch time (batchTimeToSelectedFiles) as long as it remembers them, and adds them and its
 * creation time to every DStream checkpoint. getOrCreate restores them before start, so a
 * recovered context computes a pending batch again over exactly the files it had taken (not
 * over a new listing), and never takes a remembered file a second time; the creation time of
 * the first run stays the threshold, so files that arrived while the program was down are
 * taken by the batches after the restart.
 */
#include "dstream/internal.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

typedef struct {
    char *directory;
    gint64 created_ms;    /* files older than the stream are not new */
    gint64 remember_ms;   /* how long a selected file is remembered */
    GMutex lock;          /* guards selected and batches (compute and checkpoint writes) */
    GHashTable *selected; /* path -> gint64* batch time it was taken */
    GTree *batches;       /* gint64* batch time -> GPtrArray of char* paths, sorted */
} FileInput;

static gint
compare_time(gconstpointer a, gconstpointer b, gpointer user_data)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return (x > y) - (x < y);
}

static GTree *
batches_new(void)
{
    return g_tree_new_full(compare_time, NULL, g_free, (GDestroyNotify)g_ptr_array_unref);
}

static void
file_input_free(gpointer data)
{
    FileInput *input = data;
    g_free(input->directory);
    g_hash_table_unref(input->selected);
    g_tree_unref(input->batches);
    g_mutex_clear(&input->lock);
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

typedef struct {
    gint64 horizon;
    GPtrArray *old; /* gint64* keys to remove */
} Prune;

static gboolean
collect_old(gpointer key, gpointer value, gpointer user_data)
{
    Prune *prune = user_data;
    if (*(gint64 *)key >= prune->horizon)
        return TRUE; /* sorted: the rest is newer */
    g_ptr_array_add(prune->old, key);
    return FALSE;
}

/* Spark's FileInputDStream.clearMetadata: the files taken before horizon are forgotten (they
 * are too old to be selected again); the batches too, unless a restart from the latest
 * checkpoint may compute them again (replay_horizon: a stateful stream's checkpointed RDD is
 * older). */
static void
forget_before(FileInput *input, gint64 horizon, gint64 replay_horizon)
{
    g_hash_table_foreach_remove(input->selected, forget_old, &horizon);
    Prune prune = {MIN(horizon, replay_horizon), g_ptr_array_new()};
    g_tree_foreach(input->batches, collect_old, &prune);
    for (guint index = 0; index < prune.old->len; index++)
        g_tree_remove(input->batches, prune.old->pdata[index]);
    g_ptr_array_unref(prune.old);
}

/* The RDD over files, one partition per file. With strict, a file that cannot be read fails
 * the batch (a batch taken before must read the same files again); otherwise it is skipped (a
 * file deleted between listing and reading, as Spark skips it) and left out of read. */
static DuetRdd *
files_to_rdd(DuetDStream *stream, GPtrArray *paths, gboolean strict, GPtrArray *read,
             GError **error)
{
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint path_idx = 0; path_idx < paths->len; path_idx++) {
        const char *path = g_ptr_array_index(paths, path_idx);
        GError *local = NULL;
        DuetBatch *lines = read_lines(stream->schema, path, &local);
        if (lines == NULL && strict) {
            g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_FAILED,
                        "textFileStream cannot read again a file of a batch it took before: %s",
                        local->message);
            g_error_free(local);
            g_ptr_array_unref(partitions);
            return NULL;
        }
        if (lines == NULL) {
            g_clear_error(&local);
            continue;
        }
        GPtrArray *partition = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(partition, lines);
        g_ptr_array_add(partitions, partition);
        if (read != NULL)
            g_ptr_array_add(read, g_strdup(path));
    }
    DuetRdd *rdd = duet_rdd_new_from_partitions(
        duet_streaming_context_spark_context(stream->context), stream->schema, partitions);
    g_ptr_array_unref(partitions);
    return rdd;
}

/* The new files of the directory at time_ms, sorted. (transfer full) */
static GPtrArray *
list_new_files(FileInput *input, gint64 time_ms, GError **error)
{
    gint64 threshold = MAX(input->created_ms, time_ms - input->remember_ms);
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
    return paths;
}

static DuetRdd *
file_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    FileInput *input = stream->op_data;
    gint64 replay_horizon = duet_streaming_context_replay_horizon(stream->context);
    g_mutex_lock(&input->lock);
    DuetRdd *rdd = NULL;
    GPtrArray *taken = g_tree_lookup(input->batches, &time_ms);
    if (taken != NULL) {
        /* A batch generated before (a re-run after a restart, or a recomputation): the same
         * files again, not a new listing. */
        rdd = files_to_rdd(stream, taken, TRUE, NULL, error);
        g_mutex_unlock(&input->lock);
        return rdd;
    }
    forget_before(input, time_ms - input->remember_ms, replay_horizon);
    GPtrArray *paths = list_new_files(input, time_ms, error);
    if (paths != NULL) {
        GPtrArray *read = g_ptr_array_new_with_free_func(g_free);
        rdd = files_to_rdd(stream, paths, FALSE, read, error);
        for (guint path_idx = 0; path_idx < read->len; path_idx++) {
            gint64 *when = g_new(gint64, 1);
            *when = time_ms;
            g_hash_table_replace(input->selected, g_strdup(read->pdata[path_idx]), when);
        }
        gint64 *key = g_new(gint64, 1);
        *key = time_ms;
        g_tree_replace(input->batches, key, read);
        g_ptr_array_unref(paths);
    }
    g_mutex_unlock(&input->lock);
    return rdd;
}

typedef struct {
    gint64 horizon;
    JsonBuilder *builder;
} SaveBatches;

static gboolean
save_batch(gpointer key, gpointer value, gpointer user_data)
{
    SaveBatches *save = user_data;
    gint64 time = *(gint64 *)key;
    if (time <= save->horizon)
        return FALSE;
    GPtrArray *paths = value;
    char name[32];
    g_snprintf(name, sizeof name, "%" G_GINT64_FORMAT, time);
    json_builder_set_member_name(save->builder, name);
    json_builder_begin_array(save->builder);
    for (guint index = 0; index < paths->len; index++)
        json_builder_add_string_value(save->builder, paths->pdata[index]);
    json_builder_end_array(save->builder);
    return FALSE;
}

/* Spark's FileInputDStreamCheckpointData: the files selected for every remembered batch time
 * after horizon_ms, and the creation time that bounds which files are new. */
static JsonNode *
file_checkpoint_save(DuetDStream *stream, gint64 horizon_ms)
{
    FileInput *input = stream->op_data;
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_mutex_lock(&input->lock);
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "createdMs");
    json_builder_add_int_value(builder, input->created_ms);
    json_builder_set_member_name(builder, "batchTimeToSelectedFiles");
    json_builder_begin_object(builder);
    SaveBatches save = {horizon_ms, builder};
    g_tree_foreach(input->batches, save_batch, &save);
    json_builder_end_object(builder);
    json_builder_end_object(builder);
    g_mutex_unlock(&input->lock);
    return json_builder_get_root(builder);
}

static gboolean
malformed(GError **error)
{
    g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                "the checkpoint data of textFileStream is malformed");
    return FALSE;
}

/* Spark's FileInputDStreamCheckpointData.restore: the selected files come back, both as the
 * batches to compute again and as the files not to take again. */
static gboolean
file_checkpoint_restore(DuetDStream *stream, JsonNode *data, GError **error)
{
    FileInput *input = stream->op_data;
    JsonObject *object = JSON_NODE_HOLDS_OBJECT(data) ? json_node_get_object(data) : NULL;
    JsonNode *created = object ? json_object_get_member(object, "createdMs") : NULL;
    JsonNode *files = object ? json_object_get_member(object, "batchTimeToSelectedFiles") : NULL;
    if (created == NULL || !JSON_NODE_HOLDS_VALUE(created) ||
        json_node_get_value_type(created) != G_TYPE_INT64 || files == NULL ||
        !JSON_NODE_HOLDS_OBJECT(files))
        return malformed(error);
    JsonObject *times = json_node_get_object(files);
    GTree *batches = batches_new();
    GHashTable *selected = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GList) members = json_object_get_members(times);
    for (GList *member = members; member != NULL; member = member->next) {
        const char *text = member->data;
        char *end = NULL;
        gint64 time_ms = g_ascii_strtoll(text, &end, 10);
        JsonNode *list = json_object_get_member(times, text);
        if (end == text || *end != '\0' || !JSON_NODE_HOLDS_ARRAY(list))
            goto bad;
        JsonArray *array = json_node_get_array(list);
        GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
        gint64 *key = g_new(gint64, 1);
        *key = time_ms;
        g_tree_replace(batches, key, paths);
        for (guint index = 0; index < json_array_get_length(array); index++) {
            JsonNode *item = json_array_get_element(array, index);
            if (!JSON_NODE_HOLDS_VALUE(item) || json_node_get_value_type(item) != G_TYPE_STRING)
                goto bad;
            const char *path = json_node_get_string(item);
            g_ptr_array_add(paths, g_strdup(path));
            gint64 *when = g_new(gint64, 1);
            *when = time_ms;
            g_hash_table_replace(selected, g_strdup(path), when);
        }
    }
    g_mutex_lock(&input->lock);
    input->created_ms = json_node_get_int(created);
    g_tree_unref(input->batches);
    input->batches = batches;
    g_hash_table_unref(input->selected);
    input->selected = selected;
    g_mutex_unlock(&input->lock);
    return TRUE;
bad:
    g_tree_unref(batches);
    g_hash_table_unref(selected);
    return malformed(error);
}

static const DuetDStreamOps file_ops = {
    .name = "FileInputDStream",
    .compute = file_compute,
    .checkpoint_save = file_checkpoint_save,
    .checkpoint_restore = file_checkpoint_restore,
};

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
    input->batches = batches_new();
    g_mutex_init(&input->lock);
    stream->op_data = input;
    stream->op_data_free = file_input_free;
    return stream;
}
