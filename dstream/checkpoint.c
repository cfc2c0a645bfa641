/* checkpoint.c — DStream metadata checkpoints and StreamingContext.getOrCreate.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. Spark's Checkpoint, CheckpointWriter and
 * CheckpointReader. With ssc.checkpoint(dir) set, the job generator writes
 * <dir>/checkpoint-<batch time> twice per batch: once the batch's RDDs are generated (the batch
 * is pending) and once its jobs are done (it is not). A checkpoint is a versioned file
 * (rdd/atomic_file.h: written atomically, checksummed) whose JSON payload holds what Spark's
 * Checkpoint holds:
 *   batchDurationMs, zeroTimeMs, checkpointTimeMs, pendingTimesMs — the graph's timing;
 *   graph — every stream in registration order: its kind (Spark's class name), slide, schema,
 *           parents and whether it is an output, so that a restart can check the graph;
 *   streams[i].checkpointFile — the newest checkpointed RDD of a stream (the state RDDs of
 *           updateStateByKey and mapWithState, the inverse-reduced windows), by batch time and
 *           RDD checkpoint directory (Spark's DStreamCheckpointData);
 *   streams[i].data — what replayable inputs add: the Kafka direct stream's position and the
 *           offset ranges of every batch a restart may recompute.
 * The last CHECKPOINTS_KEPT files are kept (Spark keeps 10), and RDD checkpoint directories no
 * kept file refers to are deleted. RDD checkpoints go to <dir>/<random uuid>/rdd-<id>, one
 * directory per run as Spark's SparkContext.setCheckpointDir makes, so that a restarted context
 * (whose RDD ids start again at 0) never overwrites the RDDs it restores.
 *
 * Recovery differs from Spark in one way: C callbacks cannot be serialized, so instead of
 * deserializing the graph, getOrCreate runs the user's create function again and checks that
 * it built the same graph (same streams, kinds, slides, schemas, parents and outputs, same batch
 * interval), failing with a clear error otherwise. It then restores the zero time, each
 * stream's checkpointed RDD and each input's position, and start() re-runs the pending batches
 * before going on with the batches after the checkpoint time.
 */
#include "dstream/internal.h"
#include "rdd/atomic_file.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define CHECKPOINT_KIND    "dstream-checkpoint"
#define CHECKPOINT_VERSION 1
#define CHECKPOINTS_KEPT   10
#define CHECKPOINT_PREFIX  "checkpoint-"

/* What the writer remembers of the checkpoint files it wrote, to clean up after them. */
typedef struct {
    gint64 time_ms;  /* the file's batch time */
    GPtrArray *rdds; /* char* RDD checkpoint directories the file refers to */
} Written;

struct _DuetCheckpointWriter {
    char *directory;   /* the DStream checkpoint directory */
    GQueue written;    /* Written*, oldest first: the kept files */
    GHashTable *known; /* char* RDD checkpoint directories referred to so far (a set) */
};

static void
written_free(gpointer data)
{
    Written *written = data;
    g_ptr_array_unref(written->rdds);
    g_free(written);
}

DuetCheckpointWriter *
duet_checkpoint_writer_new(const char *directory)
{
    DuetCheckpointWriter *writer = g_new0(DuetCheckpointWriter, 1);
    writer->directory = g_strdup(directory);
    g_queue_init(&writer->written);
    writer->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return writer;
}

void
duet_checkpoint_writer_free(DuetCheckpointWriter *writer)
{
    if (writer == NULL)
        return;
    g_queue_clear_full(&writer->written, written_free);
    g_hash_table_unref(writer->known);
    g_free(writer->directory);
    g_free(writer);
}

const char *
duet_checkpoint_writer_directory(DuetCheckpointWriter *writer)
{
    return writer->directory;
}

/* The batch time of a file named checkpoint-<digits>, or -1. */
static gint64
checkpoint_file_time(const char *name)
{
    if (!g_str_has_prefix(name, CHECKPOINT_PREFIX))
        return -1;
    const char *digits = name + strlen(CHECKPOINT_PREFIX);
    if (*digits == '\0')
        return -1;
    for (const char *at = digits; *at; at++)
        if (!g_ascii_isdigit(*at))
            return -1;
    return g_ascii_strtoll(digits, NULL, 10);
}

static gint
compare_newest_first(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return (x < y) - (x > y);
}

/* The batch times of the checkpoint files in directory, newest first. */
static GArray *
list_checkpoints(const char *directory)
{
    GArray *times = g_array_new(FALSE, FALSE, sizeof(gint64));
    GDir *dir = g_dir_open(directory, 0, NULL);
    if (dir == NULL)
        return times;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        gint64 time = checkpoint_file_time(name);
        if (time >= 0)
            g_array_append_val(times, time);
    }
    g_dir_close(dir);
    g_array_sort(times, compare_newest_first);
    return times;
}

static char *
checkpoint_path(const char *directory, gint64 time_ms)
{
    g_autofree char *name = g_strdup_printf(CHECKPOINT_PREFIX "%" G_GINT64_FORMAT, time_ms);
    return g_build_filename(directory, name, NULL);
}

/* ---- writing ---------------------------------------------------------------------------- */

/* Spark's DStreamCheckpointData.update: notes the newest RDD of the stream that has been
 * checkpointed. */
static void
note_checkpointed_rdds(DuetDStream *stream)
{
    g_mutex_lock(&stream->lock);
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, stream->generated);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        gint64 time = *(gint64 *)key;
        DuetRdd *rdd = value;
        if (rdd == NULL || time <= stream->checkpoint_file_time || !duet_rdd_is_checkpointed(rdd))
            continue;
        stream->checkpoint_file_time = time;
        g_free(stream->checkpoint_file);
        stream->checkpoint_file = g_strdup(duet_rdd_checkpoint_path(rdd));
    }
    g_mutex_unlock(&stream->lock);
}

static gint
index_of(GPtrArray *streams, DuetDStream *stream)
{
    guint index;
    return g_ptr_array_find(streams, stream, &index) ? (gint)index : -1;
}

/* The graph and every stream's checkpoint data; the paths referred to go to rdds. */
static JsonNode *
build_checkpoint(DuetStreamingContext *context, gint64 time_ms, const gint64 *pending,
                 guint n_pending, GPtrArray *rdds)
{
    GPtrArray *streams = duet_streaming_context_streams(context);
    GPtrArray *outputs = duet_streaming_context_outputs(context);
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "batchDurationMs");
    json_builder_add_int_value(builder, duet_streaming_context_batch_interval_ms(context));
    json_builder_set_member_name(builder, "zeroTimeMs");
    json_builder_add_int_value(builder, duet_streaming_context_zero_time(context));
    json_builder_set_member_name(builder, "checkpointTimeMs");
    json_builder_add_int_value(builder, time_ms);
    json_builder_set_member_name(builder, "pendingTimesMs");
    json_builder_begin_array(builder);
    for (guint index = 0; index < n_pending; index++)
        json_builder_add_int_value(builder, pending[index]);
    json_builder_end_array(builder);
    json_builder_set_member_name(builder, "graph");
    json_builder_begin_array(builder);
    for (guint stream_idx = 0; stream_idx < streams->len; stream_idx++) {
        DuetDStream *stream = g_ptr_array_index(streams, stream_idx);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "kind");
        json_builder_add_string_value(builder, stream->ops->name);
        json_builder_set_member_name(builder, "slideMs");
        json_builder_add_int_value(builder, stream->slide_ms);
        json_builder_set_member_name(builder, "schema");
        g_autofree char *schema = duet_schema_to_string(stream->schema);
        json_builder_add_string_value(builder, schema);
        json_builder_set_member_name(builder, "parents");
        json_builder_begin_array(builder);
        for (guint parent_idx = 0; parent_idx < stream->parents->len; parent_idx++)
            json_builder_add_int_value(
                builder, index_of(streams, g_ptr_array_index(stream->parents, parent_idx)));
        json_builder_end_array(builder);
        json_builder_set_member_name(builder, "output");
        json_builder_add_boolean_value(builder, index_of(outputs, stream) >= 0);
        note_checkpointed_rdds(stream);
        g_mutex_lock(&stream->lock);
        if (stream->checkpoint_file != NULL) {
            json_builder_set_member_name(builder, "checkpointFile");
            json_builder_begin_object(builder);
            json_builder_set_member_name(builder, "timeMs");
            json_builder_add_int_value(builder, stream->checkpoint_file_time);
            json_builder_set_member_name(builder, "path");
            json_builder_add_string_value(builder, stream->checkpoint_file);
            json_builder_end_object(builder);
            g_ptr_array_add(rdds, g_strdup(stream->checkpoint_file));
        }
        g_mutex_unlock(&stream->lock);
        if (stream->ops->checkpoint_save != NULL) {
            json_builder_set_member_name(builder, "data");
            json_builder_add_value(builder, stream->ops->checkpoint_save(stream, G_MININT64));
        }
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);
    return json_builder_get_root(builder);
}

/* Keeps the newest CHECKPOINTS_KEPT files and the RDD checkpoints they refer to. */
static void
clean_up(DuetCheckpointWriter *writer)
{
    g_autoptr(GArray) times = list_checkpoints(writer->directory);
    for (guint index = CHECKPOINTS_KEPT; index < times->len; index++) {
        g_autofree char *old =
            checkpoint_path(writer->directory, g_array_index(times, gint64, index));
        g_unlink(old);
    }
    gint64 oldest_kept = times->len >= CHECKPOINTS_KEPT
                             ? g_array_index(times, gint64, CHECKPOINTS_KEPT - 1)
                             : G_MININT64;
    while (!g_queue_is_empty(&writer->written) &&
           ((Written *)g_queue_peek_head(&writer->written))->time_ms < oldest_kept)
        written_free(g_queue_pop_head(&writer->written));
    g_autoptr(GHashTable) referenced = g_hash_table_new(g_str_hash, g_str_equal);
    for (GList *link = writer->written.head; link != NULL; link = link->next) {
        Written *written = link->data;
        for (guint index = 0; index < written->rdds->len; index++)
            g_hash_table_add(referenced, written->rdds->pdata[index]);
    }
    GHashTableIter iter;
    gpointer path;
    g_hash_table_iter_init(&iter, writer->known);
    while (g_hash_table_iter_next(&iter, &path, NULL)) {
        if (!g_hash_table_contains(referenced, path)) {
            duet_remove_tree(path);
            g_hash_table_iter_remove(&iter);
        }
    }
}

gboolean
duet_checkpoint_writer_write(DuetCheckpointWriter *writer, DuetStreamingContext *context,
                             gint64 time_ms, const gint64 *pending, guint n_pending, GError **error)
{
    Written *written = g_new0(Written, 1);
    written->time_ms = time_ms;
    written->rdds = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(JsonNode) root =
        build_checkpoint(context, time_ms, pending, n_pending, written->rdds);
    gsize len = 0;
    g_autofree char *payload = json_to_string(root, FALSE);
    len = strlen(payload);
    g_autofree char *path = checkpoint_path(writer->directory, time_ms);
    if (!duet_versioned_file_write(path, CHECKPOINT_KIND, CHECKPOINT_VERSION, payload, len,
                                   error)) {
        g_prefix_error(
            error,
            "cannot write the DStream checkpoint for time %" G_GINT64_FORMAT " ms: ", time_ms);
        written_free(written);
        return FALSE;
    }
    for (guint index = 0; index < written->rdds->len; index++)
        if (!g_hash_table_contains(writer->known, written->rdds->pdata[index]))
            g_hash_table_add(writer->known, g_strdup(written->rdds->pdata[index]));
    /* a rewrite of the same time (the batch completed) replaces the pending one */
    Written *last = g_queue_peek_tail(&writer->written);
    if (last != NULL && last->time_ms == time_ms)
        written_free(g_queue_pop_tail(&writer->written));
    g_queue_push_tail(&writer->written, written);
    clean_up(writer);
    return TRUE;
}

/* Notes the RDD directories a restored checkpoint refers to, as if this run had written it. */
static void
writer_adopt(DuetCheckpointWriter *writer, gint64 time_ms, GPtrArray *rdds)
{
    Written *written = g_new0(Written, 1);
    written->time_ms = time_ms;
    written->rdds = g_ptr_array_new_with_free_func(g_free);
    for (guint index = 0; index < rdds->len; index++) {
        g_ptr_array_add(written->rdds, g_strdup(rdds->pdata[index]));
        if (!g_hash_table_contains(writer->known, rdds->pdata[index]))
            g_hash_table_add(writer->known, g_strdup(rdds->pdata[index]));
    }
    g_queue_push_tail(&writer->written, written);
}

/* ---- reading ---------------------------------------------------------------------------- */

/* A checkpoint file, parsed and checked for the members recovery needs. */
typedef struct {
    char *path;       /* the file */
    JsonNode *root;   /* its payload */
    gint64 batch_ms;  /* batchDurationMs */
    gint64 zero_ms;   /* zeroTimeMs */
    gint64 time_ms;   /* checkpointTimeMs */
    GArray *pending;  /* gint64 pendingTimesMs */
    JsonArray *graph; /* (transfer none) into root */
} Checkpoint;

static void
checkpoint_free(Checkpoint *checkpoint)
{
    if (checkpoint == NULL)
        return;
    g_free(checkpoint->path);
    if (checkpoint->root)
        json_node_unref(checkpoint->root);
    if (checkpoint->pending)
        g_array_unref(checkpoint->pending);
    g_free(checkpoint);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Checkpoint, checkpoint_free)

static gboolean
corrupt(GError **error, const char *path, const char *what)
{
    g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT,
                "DStream checkpoint file %s is corrupt: %s", path, what);
    return FALSE;
}

static gboolean
int_member(JsonObject *object, const char *name, gint64 *value)
{
    JsonNode *node = json_object_get_member(object, name);
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64)
        return FALSE;
    *value = json_node_get_int(node);
    return TRUE;
}

static Checkpoint *
checkpoint_read(const char *path, GError **error)
{
    guint version;
    g_autoptr(GBytes) payload =
        duet_versioned_file_read(path, CHECKPOINT_KIND, CHECKPOINT_VERSION, &version, error);
    if (payload == NULL)
        return NULL;
    g_autoptr(Checkpoint) checkpoint = g_new0(Checkpoint, 1);
    checkpoint->path = g_strdup(path);
    gsize len;
    const char *data = g_bytes_get_data(payload, &len);
    g_autofree char *text = g_strndup(data, len);
    GError *local = NULL;
    checkpoint->root = json_from_string(text, &local);
    if (checkpoint->root == NULL || !JSON_NODE_HOLDS_OBJECT(checkpoint->root)) {
        corrupt(error, path, local ? local->message : "not a JSON object");
        g_clear_error(&local);
        return NULL;
    }
    JsonObject *object = json_node_get_object(checkpoint->root);
    JsonNode *pending = json_object_get_member(object, "pendingTimesMs");
    JsonNode *graph = json_object_get_member(object, "graph");
    if (!int_member(object, "batchDurationMs", &checkpoint->batch_ms) ||
        !int_member(object, "zeroTimeMs", &checkpoint->zero_ms) ||
        !int_member(object, "checkpointTimeMs", &checkpoint->time_ms) || pending == NULL ||
        !JSON_NODE_HOLDS_ARRAY(pending) || graph == NULL || !JSON_NODE_HOLDS_ARRAY(graph)) {
        corrupt(error, path, "a member is missing or of the wrong type");
        return NULL;
    }
    checkpoint->graph = json_node_get_array(graph);
    checkpoint->pending = g_array_new(FALSE, FALSE, sizeof(gint64));
    JsonArray *times = json_node_get_array(pending);
    for (guint index = 0; index < json_array_get_length(times); index++) {
        gint64 time = json_array_get_int_element(times, index);
        g_array_append_val(checkpoint->pending, time);
    }
    for (guint index = 0; index < json_array_get_length(checkpoint->graph); index++) {
        JsonNode *node = json_array_get_element(checkpoint->graph, index);
        if (!JSON_NODE_HOLDS_OBJECT(node)) {
            corrupt(error, path, "a stream of the graph is not an object");
            return NULL;
        }
    }
    return g_steal_pointer(&checkpoint);
}

/* The newest checkpoint file, or NULL without error when there is none. Unlike Spark's
 * CheckpointReader.read, a damaged newest file is an error, not a reason to recover from an
 * older one: files are written whole (temp file, fsync, rename), so damage is not a crash's,
 * and an older checkpoint recomputes the batches after it from what their inputs hold now,
 * which an idempotent sink would skip (batch ids it already committed) and so lose. The error
 * names the file, and the older one to fall back to by deleting it. */
static Checkpoint *
read_latest(const char *directory, GError **error)
{
    g_autoptr(GArray) times = list_checkpoints(directory);
    if (times->len == 0)
        return NULL;
    g_autofree char *newest = checkpoint_path(directory, g_array_index(times, gint64, 0));
    GError *local = NULL;
    Checkpoint *checkpoint = checkpoint_read(newest, &local);
    if (checkpoint != NULL)
        return checkpoint;
    g_autofree char *older = NULL;
    for (guint index = 1; older == NULL && index < times->len; index++) {
        g_autofree char *path = checkpoint_path(directory, g_array_index(times, gint64, index));
        Checkpoint *readable = checkpoint_read(path, NULL);
        if (readable != NULL) {
            checkpoint_free(readable);
            older = g_steal_pointer(&path);
        }
    }
    g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT,
                "Failed to read checkpoint from directory %s: %s%s%s%s", directory, local->message,
                older ? " (to recover from the older checkpoint " : "", older ? older : "",
                older ? ", delete the damaged file: the batches after it are then recomputed "
                        "from what their inputs hold now, and a sink may skip or repeat their "
                        "records)"
                      : "");
    g_error_free(local);
    return NULL;
}

/* ---- recovery ----------------------------------------------------------------------------- */

static const char *
string_member(JsonObject *object, const char *name)
{
    JsonNode *node = json_object_get_member(object, name);
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING)
        return "?";
    return json_node_get_string(node);
}

/* The check that replaces Spark's deserialization of the graph: create_func built the graph
 * the checkpoint was written for. */
static gboolean
verify_graph(DuetStreamingContext *context, Checkpoint *checkpoint, GError **error)
{
    const char *prefix = "the StreamingContext built by the create function does not match "
                         "the checkpoint";
    if (duet_streaming_context_batch_interval_ms(context) != checkpoint->batch_ms) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT,
                    "%s %s: its batch interval is %" G_GINT64_FORMAT
                    " ms, the checkpoint's %" G_GINT64_FORMAT " ms",
                    prefix, checkpoint->path, duet_streaming_context_batch_interval_ms(context),
                    checkpoint->batch_ms);
        return FALSE;
    }
    GPtrArray *streams = duet_streaming_context_streams(context);
    GPtrArray *outputs = duet_streaming_context_outputs(context);
    guint expected = json_array_get_length(checkpoint->graph);
    if (streams->len != expected) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT,
                    "%s %s: its graph has %u DStreams, the checkpoint's %u (the create function "
                    "must build the same graph as the run that wrote the checkpoint)",
                    prefix, checkpoint->path, streams->len, expected);
        return FALSE;
    }
    for (guint stream_idx = 0; stream_idx < streams->len; stream_idx++) {
        DuetDStream *stream = g_ptr_array_index(streams, stream_idx);
        JsonObject *saved = json_array_get_object_element(checkpoint->graph, stream_idx);
        g_autofree char *schema = duet_schema_to_string(stream->schema);
        gint64 slide = 0;
        JsonNode *parents_node = json_object_get_member(saved, "parents");
        JsonArray *parents = parents_node && JSON_NODE_HOLDS_ARRAY(parents_node)
                                 ? json_node_get_array(parents_node)
                                 : NULL;
        gboolean same_parents = parents && json_array_get_length(parents) == stream->parents->len;
        for (guint parent_idx = 0; same_parents && parent_idx < stream->parents->len; parent_idx++)
            same_parents = json_array_get_int_element(parents, parent_idx) ==
                           index_of(streams, g_ptr_array_index(stream->parents, parent_idx));
        const char *what = NULL;
        if (strcmp(string_member(saved, "kind"), stream->ops->name) != 0)
            what = "kind";
        else if (!int_member(saved, "slideMs", &slide) || slide != stream->slide_ms)
            what = "slide";
        else if (strcmp(string_member(saved, "schema"), schema) != 0)
            what = "schema";
        else if (!same_parents)
            what = "parents";
        else if (json_object_get_boolean_member_with_default(saved, "output", FALSE) !=
                 (index_of(outputs, stream) >= 0))
            what = "output operation";
        if (what != NULL) {
            g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT,
                        "%s %s: DStream %u differs in its %s (here %s, slide %" G_GINT64_FORMAT
                        " ms, %s; in the checkpoint %s, slide %" G_GINT64_FORMAT " ms, %s)",
                        prefix, checkpoint->path, stream_idx, what, stream->ops->name,
                        stream->slide_ms, schema, string_member(saved, "kind"), slide,
                        string_member(saved, "schema"));
            return FALSE;
        }
    }
    return TRUE;
}

/* Restores every stream's checkpointed RDD and input data. rdds receives the RDD directories
 * restored. */
static gboolean
restore_streams(DuetStreamingContext *context, Checkpoint *checkpoint, GPtrArray *rdds,
                GError **error)
{
    GPtrArray *streams = duet_streaming_context_streams(context);
    DuetContext *spark = duet_streaming_context_spark_context(context);
    for (guint stream_idx = 0; stream_idx < streams->len; stream_idx++) {
        DuetDStream *stream = g_ptr_array_index(streams, stream_idx);
        JsonObject *saved = json_array_get_object_element(checkpoint->graph, stream_idx);
        if (g_strcmp0(stream->ops->name, "QueueInputDStream") == 0) {
            g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT,
                        "queueStream doesn't support checkpointing. Please don't use queueStream "
                        "when checkpointing is enabled.");
            return FALSE;
        }
        JsonNode *file = json_object_get_member(saved, "checkpointFile");
        if (file != NULL) {
            JsonObject *entry = JSON_NODE_HOLDS_OBJECT(file) ? json_node_get_object(file) : NULL;
            gint64 time = 0;
            const char *path = entry ? string_member(entry, "path") : "?";
            if (entry == NULL || !int_member(entry, "timeMs", &time) || strcmp(path, "?") == 0)
                return corrupt(error, checkpoint->path, "a checkpointFile entry is malformed");
            DuetRdd *rdd = duet_rdd_read_checkpoint(spark, path, error);
            if (rdd == NULL) {
                g_prefix_error(error,
                               "cannot restore %s from the checkpoint %s: ", stream->ops->name,
                               checkpoint->path);
                return FALSE;
            }
            g_mutex_lock(&stream->lock);
            gint64 *key = g_new(gint64, 1);
            *key = time;
            g_hash_table_replace(stream->generated, key, rdd);
            stream->checkpoint_file_time = time;
            g_free(stream->checkpoint_file);
            stream->checkpoint_file = g_strdup(path);
            g_mutex_unlock(&stream->lock);
            g_ptr_array_add(rdds, g_strdup(path));
        }
        JsonNode *data = json_object_get_member(saved, "data");
        if (data != NULL && stream->ops->checkpoint_restore != NULL &&
            !stream->ops->checkpoint_restore(stream, data, error)) {
            g_prefix_error(error, "cannot restore %s from the checkpoint %s: ", stream->ops->name,
                           checkpoint->path);
            return FALSE;
        }
    }
    return TRUE;
}

DuetStreamingContext *
duet_streaming_context_get_or_create(const char *checkpoint_dir,
                                     DuetStreamingContextFactory create_func, gpointer user_data,
                                     GError **error)
{
    g_return_val_if_fail(checkpoint_dir != NULL && create_func != NULL, NULL);
    GError *local = NULL;
    g_autoptr(Checkpoint) checkpoint = read_latest(checkpoint_dir, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return NULL;
    }
    DuetStreamingContext *context = create_func(user_data, &local);
    if (context == NULL) {
        if (local == NULL)
            g_set_error(&local, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_FAILED,
                        "the create function returned no StreamingContext");
        g_propagate_error(error, local);
        return NULL;
    }
    if (checkpoint == NULL)
        return context; /* a fresh start */
    if (duet_streaming_context_state(context) != DUET_STREAMING_STATE_INITIALIZED) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_STATE,
                    "the create function must return a StreamingContext that was not started");
        duet_streaming_context_unref(context);
        return NULL;
    }
    if (!duet_streaming_context_has_checkpoint_dir(context) &&
        !duet_streaming_context_checkpoint(context, checkpoint_dir, error)) {
        duet_streaming_context_unref(context);
        return NULL;
    }
    g_autoptr(GPtrArray) rdds = g_ptr_array_new_with_free_func(g_free);
    duet_streaming_context_set_recovery(context, checkpoint->zero_ms, checkpoint->time_ms,
                                        checkpoint->pending);
    if (!verify_graph(context, checkpoint, error) ||
        !restore_streams(context, checkpoint, rdds, error)) {
        duet_streaming_context_unref(context);
        return NULL;
    }
    DuetCheckpointWriter *writer = duet_streaming_context_checkpoint_writer(context);
    if (writer != NULL)
        writer_adopt(writer, checkpoint->time_ms, rdds);
    return context;
}

gint64
duet_streaming_context_replay_horizon(DuetStreamingContext *context)
{
    if (duet_streaming_context_checkpoint_writer(context) == NULL)
        return G_MAXINT64;
    /* A restart recomputes each stateful stream from its newest checkpointed RDD on (or from
     * the beginning while it has none), reaching back into its parents as far as its compute
     * does (a slide for state, the window for inverse-reduced windows). */
    GPtrArray *streams = duet_streaming_context_streams(context);
    gint64 horizon = G_MAXINT64;
    for (guint stream_idx = 0; stream_idx < streams->len; stream_idx++) {
        DuetDStream *stream = g_ptr_array_index(streams, stream_idx);
        if (!stream->must_checkpoint)
            continue;
        note_checkpointed_rdds(stream);
        g_mutex_lock(&stream->lock);
        gint64 from = stream->checkpoint_file != NULL ? stream->checkpoint_file_time
                                                      : duet_streaming_context_zero_time(context);
        g_mutex_unlock(&stream->lock);
        horizon = MIN(horizon, from - stream->parent_remember_extra_ms);
    }
    return horizon;
}
