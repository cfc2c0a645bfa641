/* block_tracker.c — the blocks of one input stream under the write-ahead log:
 * Spark's WriteAheadLogBasedBlockHandler and ReceivedBlockTracker for one process.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. With spark.streaming.receiver.writeAheadLog.enable
 * every block a receiver stores is appended to the data log (<checkpoint>/receivedData/<id>/),
 * fsynced, and only then reported: the block-addition event goes to the metadata log
 * (<checkpoint>/receivedBlockMetadata/<id>/) and the block joins the unallocated ones. When a
 * batch is generated, the unallocated blocks are allocated to it and the allocation event is
 * logged before the batch's RDD exists. After a crash, getOrCreate's start replays the metadata
 * log (Spark's recoverPastEvents): batches that had been allocated get exactly their blocks
 * again (read back from the data log), and blocks that had not been allocated go to the next
 * batch. Completed batches older than the stream's remember duration (and than what a restart
 * may recompute) are cleaned: a cleanup event is logged and log files no kept block needs are
 * deleted (Spark's cleanupOldBatches and cleanupOldBlocks).
 *
 * Events are one JSON object per record:
 *   {"add":{"id":N,"rows":N,"timeMs":W,"file":"log-...","offset":N,"length":N}}
 *   {"allocate":{"timeMs":T,"blocks":[id, ...]}}
 *   {"cleanup":{"timesMs":[T, ...]}}
 * A block's record in the data log is its batch (rdd/batch_io.h encoding, schema included).
 */
#include "dstream/internal.h"
#include "dstream/receiver.h"
#include "dstream/write_ahead_log.h"
#include "rdd/batch_io.h"

#include <string.h>

typedef struct {
    gint64 id;              /* unique within the stream, across restarts */
    gint64 rows;            /* records in the block */
    gint64 written_ms;      /* the clock's time when it was logged */
    DuetWalSegment segment; /* where it is in the data log (path NULL: not logged) */
    DuetBatch *batch;       /* the block in memory, or NULL (then read from the log) */
} TrackedBlock;

struct _DuetBlockTracker {
    GMutex lock;                /* guards everything below */
    char *name;                 /* for messages: "ReceiverInputDStream-<n>" */
    DuetWriteAheadLog *data;    /* receivedData/<id> */
    DuetWriteAheadLog *meta;    /* receivedBlockMetadata/<id> */
    GPtrArray *unallocated;     /* TrackedBlock*, in arrival order (owned) */
    GHashTable *allocated;      /* gint64* batch time -> GPtrArray of TrackedBlock* (owned) */
    gint64 last_allocated_ms;   /* newest batch time blocks were allocated to */
    gint64 next_id;             /* the next block's id */
    gint64 n_recovered_blocks;  /* blocks read back from the logs at open */
    gint64 n_recovered_batches; /* allocated batches read back from the logs at open */
    gint64 n_logged;            /* records logged by this run */
    GCond logged;               /* n_logged grew */
    gint64 cleanup_horizon_ms;  /* the replay horizon seen at the previous completed batch */
};

static void
tracked_block_free(gpointer data)
{
    TrackedBlock *block = data;
    duet_wal_segment_clear(&block->segment);
    if (block->batch != NULL)
        duet_batch_unref(block->batch);
    g_free(block);
}

static GPtrArray *
block_list_new(void)
{
    return g_ptr_array_new_with_free_func(tracked_block_free);
}

DuetBlockTracker *
duet_block_tracker_new(const char *name)
{
    DuetBlockTracker *tracker = g_new0(DuetBlockTracker, 1);
    g_mutex_init(&tracker->lock);
    g_cond_init(&tracker->logged);
    tracker->cleanup_horizon_ms = G_MININT64;
    tracker->name = g_strdup(name);
    tracker->unallocated = block_list_new();
    tracker->allocated = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                               (GDestroyNotify)g_ptr_array_unref);
    tracker->last_allocated_ms = G_MININT64;
    return tracker;
}

void
duet_block_tracker_free(DuetBlockTracker *tracker)
{
    if (tracker == NULL)
        return;
    duet_write_ahead_log_close(tracker->data);
    duet_write_ahead_log_close(tracker->meta);
    g_ptr_array_unref(tracker->unallocated);
    g_hash_table_unref(tracker->allocated);
    g_mutex_clear(&tracker->lock);
    g_cond_clear(&tracker->logged);
    g_free(tracker->name);
    g_free(tracker);
}

/* ---- recovery ------------------------------------------------------------------------------ */

typedef struct {
    DuetBlockTracker *tracker;
    GHashTable *blocks;     /* gint64* id -> TrackedBlock* (owned), not yet allocated */
    GArray *order;          /* gint64 ids in arrival order */
    gint64 max_allocation;  /* newest allocated batch time seen */
    GHashTable *incomplete; /* gint64* batch time -> gint64* a block it names that was not added */
} Replay;

static gint64
member_int(JsonObject *object, const char *name, gboolean *ok)
{
    JsonNode *node = json_object_get_member(object, name);
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64) {
        *ok = FALSE;
        return 0;
    }
    return json_node_get_int(node);
}

static JsonArray *
member_array(JsonObject *object, const char *name, gboolean *ok)
{
    JsonNode *node = json_object_get_member(object, name);
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node)) {
        *ok = FALSE;
        return NULL;
    }
    return json_node_get_array(node);
}

static gboolean
bad_event(GError **error, const char *what)
{
    g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT,
                "not a received-block event: %s", what);
    return FALSE;
}

/* One event of the metadata log (Spark's ReceivedBlockTracker.insertAddedBlock/
 * insertAllocatedBatch/cleanupBatches during recoverPastEvents). */
static gboolean
replay_event(GBytes *record, const DuetWalSegment *segment, gpointer user_data, GError **error)
{
    Replay *replay = user_data;
    DuetBlockTracker *tracker = replay->tracker;
    gsize len;
    const char *data = g_bytes_get_data(record, &len);
    g_autofree char *text = g_strndup(data, len);
    GError *local = NULL;
    g_autoptr(JsonNode) root = json_from_string(text, &local);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        gboolean result = bad_event(error, local ? local->message : "not a JSON object");
        g_clear_error(&local);
        return result;
    }
    JsonObject *event = json_node_get_object(root);
    gboolean ok = TRUE;
    if (json_object_has_member(event, "add")) {
        JsonObject *add = json_object_get_object_member(event, "add");
        if (add == NULL)
            return bad_event(error, "\"add\" is not an object");
        TrackedBlock *block = g_new0(TrackedBlock, 1);
        block->id = member_int(add, "id", &ok);
        block->rows = member_int(add, "rows", &ok);
        block->written_ms = member_int(add, "timeMs", &ok);
        block->segment.offset = member_int(add, "offset", &ok);
        block->segment.length = member_int(add, "length", &ok);
        const char *file = json_object_get_string_member_with_default(add, "file", NULL);
        if (!ok || file == NULL || strchr(file, '/') != NULL) {
            tracked_block_free(block);
            return bad_event(error, "an \"add\" member is missing or of the wrong type");
        }
        block->segment.path =
            g_build_filename(duet_write_ahead_log_directory(tracker->data), file, NULL);
        tracker->next_id = MAX(tracker->next_id, block->id + 1);
        gint64 *key = g_new(gint64, 1);
        *key = block->id;
        g_hash_table_replace(replay->blocks, key, block);
        g_array_append_val(replay->order, block->id);
    } else if (json_object_has_member(event, "allocate")) {
        JsonObject *allocate = json_object_get_object_member(event, "allocate");
        if (allocate == NULL)
            return bad_event(error, "\"allocate\" is not an object");
        gint64 time = member_int(allocate, "timeMs", &ok);
        JsonArray *ids = member_array(allocate, "blocks", &ok);
        if (!ok)
            return bad_event(error, "an \"allocate\" member is missing or of the wrong type");
        GPtrArray *blocks = block_list_new();
        for (guint index = 0; index < json_array_get_length(ids); index++) {
            gint64 id = json_array_get_int_element(ids, index);
            gpointer stolen_key = NULL, stolen = NULL;
            if (!g_hash_table_steal_extended(replay->blocks, &id, &stolen_key, &stolen)) {
                /* an error unless a later cleanup event forgets the batch: cleaning deletes the
                 * file of a block's addition by its end time, and the allocation, logged later,
                 * may be in a file that stays */
                gint64 *key = g_new(gint64, 1), *value = g_new(gint64, 1);
                *key = time;
                *value = id;
                if (!g_hash_table_contains(replay->incomplete, key))
                    g_hash_table_insert(replay->incomplete, key, value);
                else {
                    g_free(key);
                    g_free(value);
                }
                continue;
            }
            g_free(stolen_key);
            g_ptr_array_add(blocks, stolen);
        }
        gint64 *key = g_new(gint64, 1);
        *key = time;
        g_hash_table_replace(tracker->allocated, key, blocks);
        replay->max_allocation = MAX(replay->max_allocation, time);
    } else if (json_object_has_member(event, "cleanup")) {
        JsonObject *cleanup = json_object_get_object_member(event, "cleanup");
        JsonArray *times = cleanup ? member_array(cleanup, "timesMs", &ok) : NULL;
        if (times == NULL)
            return bad_event(error, "\"cleanup\" has no \"timesMs\" array");
        for (guint index = 0; index < json_array_get_length(times); index++) {
            gint64 time = json_array_get_int_element(times, index);
            g_hash_table_remove(tracker->allocated, &time);
            g_hash_table_remove(replay->incomplete, &time);
        }
    } else {
        return bad_event(error, "none of add, allocate, cleanup");
    }
    return TRUE;
}

static gboolean
recover(DuetBlockTracker *tracker, const char *meta_dir, gboolean keep_allocations, GError **error)
{
    Replay replay = {tracker,
                     g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, tracked_block_free),
                     g_array_new(FALSE, FALSE, sizeof(gint64)), G_MININT64,
                     g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free)};
    gboolean ok = duet_write_ahead_log_read_all(meta_dir, replay_event, &replay, error);
    if (ok && keep_allocations && g_hash_table_size(replay.incomplete) > 0) {
        /* a batch still kept names a block the log never added: report the oldest */
        gint64 time = G_MAXINT64, id = 0;
        GHashTableIter iter;
        gpointer key, value;
        g_hash_table_iter_init(&iter, replay.incomplete);
        while (g_hash_table_iter_next(&iter, &key, &value))
            if (*(gint64 *)key < time) {
                time = *(gint64 *)key;
                id = *(gint64 *)value;
            }
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT,
                    "write-ahead log %s: the batch at %" G_GINT64_FORMAT
                    " ms is allocated block %" G_GINT64_FORMAT
                    ", which was never added (or allocated twice)",
                    meta_dir, time, id);
        ok = FALSE;
    }
    if (ok) {
        for (guint index = 0; index < replay.order->len; index++) {
            gint64 id = g_array_index(replay.order, gint64, index);
            gpointer stolen_key = NULL, stolen = NULL;
            if (g_hash_table_steal_extended(replay.blocks, &id, &stolen_key, &stolen)) {
                g_free(stolen_key);
                g_ptr_array_add(tracker->unallocated, stolen);
                tracker->n_recovered_blocks++;
            }
        }
        if (keep_allocations) {
            tracker->last_allocated_ms = replay.max_allocation;
            tracker->n_recovered_batches = g_hash_table_size(tracker->allocated);
        } else {
            /* a fresh start (no DStream checkpoint): the old run's batch times mean nothing
             * now, only what it had not yet allocated is still to be processed */
            g_hash_table_remove_all(tracker->allocated);
        }
    }
    g_hash_table_unref(replay.blocks);
    g_array_unref(replay.order);
    g_hash_table_unref(replay.incomplete);
    return ok;
}

gboolean
duet_block_tracker_open(DuetBlockTracker *tracker, const char *data_dir, const char *meta_dir,
                        gint64 data_rolling_ms, gint64 meta_rolling_ms, gboolean recovering,
                        GError **error)
{
    g_mutex_lock(&tracker->lock);
    gboolean ok = TRUE;
    if (tracker->data == NULL) {
        tracker->data = duet_write_ahead_log_open(data_dir, data_rolling_ms, error);
        tracker->meta =
            tracker->data ? duet_write_ahead_log_open(meta_dir, meta_rolling_ms, error) : NULL;
        ok = tracker->meta != NULL && recover(tracker, meta_dir, recovering, error);
        if (!ok)
            g_prefix_error(error, "cannot recover the received blocks of %s: ", tracker->name);
        else if (tracker->n_recovered_blocks > 0 || tracker->n_recovered_batches > 0)
            g_message("%s: recovered %" G_GINT64_FORMAT " unallocated blocks and %" G_GINT64_FORMAT
                      " allocated batches from the write-ahead log",
                      tracker->name, tracker->n_recovered_blocks, tracker->n_recovered_batches);
    }
    g_mutex_unlock(&tracker->lock);
    return ok;
}

gint64
duet_block_tracker_n_recovered_blocks(DuetBlockTracker *tracker)
{
    g_mutex_lock(&tracker->lock);
    gint64 n = tracker->n_recovered_blocks;
    g_mutex_unlock(&tracker->lock);
    return n;
}

/* ---- events -------------------------------------------------------------------------------- */

static gboolean
log_event(DuetBlockTracker *tracker, JsonBuilder *builder, gint64 now_ms, GError **error)
{
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    g_autofree char *text = json_to_string(root, FALSE);
    return duet_write_ahead_log_write(tracker->meta, text, strlen(text), now_ms, NULL, error);
}

gboolean
duet_block_tracker_add(DuetBlockTracker *tracker, DuetBatch *block, gint64 now_ms, GError **error)
{
    TrackedBlock *tracked = g_new0(TrackedBlock, 1);
    tracked->rows = (gint64)duet_batch_n_rows(block);
    tracked->written_ms = now_ms;
    tracked->batch = duet_batch_ref(block);
    GByteArray *bytes = g_byte_array_new();
    duet_batch_serialize(block, bytes);
    /* the data first (outside the tracker's lock: one fsync per block), then the event */
    gboolean ok = duet_write_ahead_log_write(tracker->data, bytes->data, bytes->len, now_ms,
                                             &tracked->segment, error);
    g_byte_array_unref(bytes);
    g_mutex_lock(&tracker->lock);
    tracked->id = tracker->next_id++;
    if (ok) {
        g_autoptr(JsonBuilder) builder = json_builder_new();
        g_autofree char *file = g_path_get_basename(tracked->segment.path);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "add");
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "id");
        json_builder_add_int_value(builder, tracked->id);
        json_builder_set_member_name(builder, "rows");
        json_builder_add_int_value(builder, tracked->rows);
        json_builder_set_member_name(builder, "timeMs");
        json_builder_add_int_value(builder, now_ms);
        json_builder_set_member_name(builder, "file");
        json_builder_add_string_value(builder, file);
        json_builder_set_member_name(builder, "offset");
        json_builder_add_int_value(builder, tracked->segment.offset);
        json_builder_set_member_name(builder, "length");
        json_builder_add_int_value(builder, tracked->segment.length);
        json_builder_end_object(builder);
        json_builder_end_object(builder);
        ok = log_event(tracker, builder, now_ms, error);
    }
    /* A block that could not be logged is still processed (from memory), as Spark's receiver
     * keeps running after reporting the error; it is only not recoverable. */
    if (!ok)
        duet_wal_segment_clear(&tracked->segment);
    else
        tracker->n_logged += tracked->rows;
    g_cond_broadcast(&tracker->logged);
    g_ptr_array_add(tracker->unallocated, tracked);
    g_mutex_unlock(&tracker->lock);
    if (!ok)
        g_prefix_error(error,
                       "%s: a block of %" G_GINT64_FORMAT " records is not in the "
                       "write-ahead log: ",
                       tracker->name, tracked->rows);
    return ok;
}

/* The batches of blocks, read back from the data log when not in memory. */
static GPtrArray *
materialize(GPtrArray *blocks, GError **error)
{
    GPtrArray *batches = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    for (guint index = 0; index < blocks->len; index++) {
        TrackedBlock *block = g_ptr_array_index(blocks, index);
        if (block->batch != NULL) {
            g_ptr_array_add(batches, duet_batch_ref(block->batch));
            continue;
        }
        g_autoptr(GBytes) record = duet_write_ahead_log_read_segment(&block->segment, error);
        gsize len = 0, offset = 0;
        const guint8 *data = record ? g_bytes_get_data(record, &len) : NULL;
        DuetBatch *batch = record ? duet_batch_deserialize(data, len, &offset, error) : NULL;
        if (batch == NULL) {
            g_prefix_error(error, "cannot read block %" G_GINT64_FORMAT " back: ", block->id);
            g_ptr_array_unref(batches);
            return NULL;
        }
        g_ptr_array_add(batches, batch);
    }
    return batches;
}

GPtrArray *
duet_block_tracker_get_blocks(DuetBlockTracker *tracker, gint64 time_ms, gint64 now_ms,
                              GError **error)
{
    g_mutex_lock(&tracker->lock);
    GPtrArray *blocks = g_hash_table_lookup(tracker->allocated, &time_ms);
    GPtrArray *result = NULL;
    if (blocks == NULL && time_ms > tracker->last_allocated_ms) {
        /* Spark's allocateBlocksToBatch: the event is logged before the batch uses them */
        g_autoptr(JsonBuilder) builder = json_builder_new();
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "allocate");
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "timeMs");
        json_builder_add_int_value(builder, time_ms);
        json_builder_set_member_name(builder, "blocks");
        json_builder_begin_array(builder);
        for (guint index = 0; index < tracker->unallocated->len; index++)
            json_builder_add_int_value(
                builder, ((TrackedBlock *)g_ptr_array_index(tracker->unallocated, index))->id);
        json_builder_end_array(builder);
        json_builder_end_object(builder);
        json_builder_end_object(builder);
        if (!log_event(tracker, builder, now_ms, error)) {
            g_prefix_error(
                error, "%s: cannot log the allocation of the batch at %" G_GINT64_FORMAT " ms: ",
                tracker->name, time_ms);
            g_mutex_unlock(&tracker->lock);
            return NULL;
        }
        blocks = tracker->unallocated;
        tracker->unallocated = block_list_new();
        gint64 *key = g_new(gint64, 1);
        *key = time_ms;
        g_hash_table_replace(tracker->allocated, key, blocks);
        tracker->last_allocated_ms = time_ms;
    }
    if (blocks == NULL) /* an old batch whose blocks were cleaned, or that never had any */
        result = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    else
        result = materialize(blocks, error);
    g_mutex_unlock(&tracker->lock);
    return result;
}

void
duet_block_tracker_cleanup(DuetBlockTracker *tracker, gint64 completed_ms, gint64 thresh_ms,
                           gint64 now_ms)
{
    g_mutex_lock(&tracker->lock);
    g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(gint64));
    gint64 oldest_written = G_MAXINT64;
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, tracker->allocated);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        gint64 time = *(gint64 *)key;
        GPtrArray *blocks = value;
        if (time < thresh_ms) {
            g_array_append_val(times, time);
            g_hash_table_iter_remove(&iter);
            continue;
        }
        for (guint index = 0; index < blocks->len; index++) {
            TrackedBlock *block = g_ptr_array_index(blocks, index);
            oldest_written = MIN(oldest_written, block->written_ms);
            /* a completed batch's blocks are read back from the log if ever recomputed */
            if (time <= completed_ms && block->segment.path != NULL)
                g_clear_pointer(&block->batch, duet_batch_unref);
        }
    }
    for (guint index = 0; index < tracker->unallocated->len; index++)
        oldest_written =
            MIN(oldest_written,
                ((TrackedBlock *)g_ptr_array_index(tracker->unallocated, index))->written_ms);
    if (times->len > 0) {
        g_autoptr(JsonBuilder) builder = json_builder_new();
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "cleanup");
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "timesMs");
        json_builder_begin_array(builder);
        for (guint index = 0; index < times->len; index++)
            json_builder_add_int_value(builder, g_array_index(times, gint64, index));
        json_builder_end_array(builder);
        json_builder_end_object(builder);
        json_builder_end_object(builder);
        GError *error = NULL;
        /* a lost cleanup event only means recovery reads back batches it will never need */
        if (!log_event(tracker, builder, now_ms, &error)) {
            g_message("%s: %s", tracker->name, error->message);
            g_error_free(error);
        }
    }
    /* Files are deleted by their end time (Spark's clean(threshTime)), but never while a kept
     * block was written into them: blocks received long before their batch (while the program
     * was down) keep their files. */
    gint64 file_thresh = MIN(thresh_ms, oldest_written);
    duet_write_ahead_log_clean(tracker->data, file_thresh);
    duet_write_ahead_log_clean(tracker->meta, file_thresh);
    g_mutex_unlock(&tracker->lock);
}

gint64
duet_block_tracker_n_logged(DuetBlockTracker *tracker)
{
    g_mutex_lock(&tracker->lock);
    gint64 n = tracker->n_logged;
    g_mutex_unlock(&tracker->lock);
    return n;
}

gboolean
duet_block_tracker_wait_logged(DuetBlockTracker *tracker, gint64 n, gint64 timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    g_mutex_lock(&tracker->lock);
    while (tracker->n_logged < n && g_cond_wait_until(&tracker->logged, &tracker->lock, deadline))
        ;
    gboolean reached = tracker->n_logged >= n;
    g_mutex_unlock(&tracker->lock);
    return reached;
}

/* ---- the tracker of a stream ---------------------------------------------------------------- */

DuetBlockTracker *
duet_block_tracker_new_for_stream(DuetDStream *stream, const char *name)
{
    DuetContext *spark = duet_streaming_context_spark_context(stream->context);
    g_autofree char *wal = duet_context_get_conf(spark, DUET_RECEIVER_WAL_ENABLE);
    if (wal == NULL || g_ascii_strcasecmp(wal, "true") != 0)
        return NULL;
    DuetBlockTracker *tracker = duet_block_tracker_new(name);
    stream->block_tracker = tracker;
    return tracker;
}

/* Spark's ReceiverSupervisorImpl choosing WriteAheadLogBasedBlockHandler, and
 * ReceivedBlockTracker's recovery: the logs of stream N live under
 * <checkpoint>/receivedData/N and <checkpoint>/receivedBlockMetadata/N. */
gboolean
duet_block_tracker_prepare(DuetBlockTracker *tracker, DuetDStream *stream, GError **error)
{
    const char *checkpoint = duet_streaming_context_checkpoint_dir(stream->context);
    if (checkpoint == NULL) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "Cannot enable receiver write-ahead log without checkpoint directory set. "
                    "Please use streamingContext.checkpoint() to set the checkpoint directory. "
                    "See documentation for more details.");
        return FALSE;
    }
    guint stream_id = 0;
    g_ptr_array_find(duet_streaming_context_streams(stream->context), stream, &stream_id);
    g_autofree char *id = g_strdup_printf("%u", stream_id);
    g_autofree char *data_dir = g_build_filename(checkpoint, "receivedData", id, NULL);
    g_autofree char *meta_dir = g_build_filename(checkpoint, "receivedBlockMetadata", id, NULL);
    DuetContext *spark = duet_streaming_context_spark_context(stream->context);
    gint64 data_rolling = duet_context_get_conf_int(
        spark, "spark.streaming.receiver.writeAheadLog.rollingIntervalSecs", 60);
    gint64 meta_rolling = duet_context_get_conf_int(
        spark, "spark.streaming.driver.writeAheadLog.rollingIntervalSecs", 60);
    return duet_block_tracker_open(tracker, data_dir, meta_dir, MAX(data_rolling, 1) * 1000,
                                   MAX(meta_rolling, 1) * 1000,
                                   duet_streaming_context_is_recovering(stream->context), error);
}

void
duet_block_tracker_batch_completed(DuetBlockTracker *tracker, DuetDStream *stream,
                                   const DuetBatchInfo *info)
{
    if (info->failed)
        return;
    /* Spark's cleanupOldBlocksAndBatches(time - rememberDuration), but never past what a restart
     * from a written checkpoint may recompute: the horizon seen one batch ago, since the
     * checkpoint of this batch's completion is written after this hook. */
    gint64 thresh = MIN(info->batch_time_ms - stream->remember_ms, tracker->cleanup_horizon_ms);
    tracker->cleanup_horizon_ms = duet_streaming_context_replay_horizon(stream->context);
    DuetClock *clock = duet_context_clock(duet_streaming_context_spark_context(stream->context));
    duet_block_tracker_cleanup(tracker, info->batch_time_ms, thresh, duet_clock_now_ms(clock));
}
