/* source_input.c — a DStream over a shared source (sources/), read by offsets.
 *
 * Layer: dstream/. Includes rdd/, sources/ and dstream/. Spark's DirectKafkaInputDStream
 * pattern for every replayable source: at batch time t the stream asks the source for its
 * latest offset and takes the rows of (previous end, latest] as the batch's RDD, one
 * partition per source partition, then commits the range as a consumer of the source (so the
 * same source can feed a Structured query too).
 *
 * Recovery, as the Kafka direct stream's: the offset range of every batch a restart may
 * recompute, and the end of the last batch, go into each DStream checkpoint; getOrCreate
 * restores them, so a pending batch is read again over exactly its range and the next batch
 * starts where the checkpointed one ended. A source whose offsets exist only in memory (the file
 * source's file sets) keeps them in its metadata log under <checkpoint>/sources/<stream index>/,
 * as a Structured query's sources do, so that a new process serves the same offsets.
 *
 * The sources that cannot replay (socket, ZeroMQ) lose what they buffered in a crash. With the
 * receiver write-ahead log enabled, a stream over one of them works as a receiver does
 * (block_tracker.c): every block interval of the clock, and when a batch is generated,
 * it takes what arrived from the source, logs it as a block (fsynced) and only then commits the
 * offsets at the source; a batch's RDD is the blocks allocated to it, one partition each.
 */
#include "dstream/internal.h"
#include "dstream/receiver.h"

typedef struct {
    DuetSource *source;        /* owned */
    guint consumer;            /* our consumer id at the source */
    char *committed;           /* end offset of the last batch, or NULL */
    GHashTable *sizes;         /* gint64* time -> gint64* records */
    DuetDStream *stream;       /* borrowed: the stream owning this */
    DuetBlockTracker *tracker; /* with the write-ahead log (sources that cannot replay) */
    GMutex pull_lock;          /* one pull at a time: the pump and batch generation */
    GThread *pump;             /* pulls every block interval while started */
    gint quit;                 /* atomic: the pump must end */
    gint64 block_interval_ms;  /* spark.streaming.blockInterval */
    gint64 first_block_ms;     /* the pump's first tick, fixed when it is started */
    char *name;                /* for listeners and messages */
    GTree *ranges;             /* gint64* batch time -> Range*: what each batch read (no log) */
} SourceInput;

/* The offsets a batch read: (start, end], start NULL for the beginning, end NULL when the
 * source had no data yet. */
typedef struct {
    char *start;
    char *end;
} Range;

static void
range_free(gpointer data)
{
    Range *range = data;
    g_free(range->start);
    g_free(range->end);
    g_free(range);
}

static gint
compare_time(gconstpointer a, gconstpointer b, gpointer user_data)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return (x > y) - (x < y);
}

static GTree *
ranges_new(void)
{
    return g_tree_new_full(compare_time, NULL, g_free, range_free);
}

static void
note_range(SourceInput *input, gint64 time_ms, const char *start, const char *end)
{
    Range *range = g_new0(Range, 1);
    range->start = g_strdup(start);
    range->end = g_strdup(end);
    gint64 *key = g_new(gint64, 1);
    *key = time_ms;
    g_tree_replace(input->ranges, key, range);
}

static void
source_input_free(gpointer data)
{
    SourceInput *input = data;
    duet_source_unref(input->source);
    g_free(input->committed);
    g_hash_table_unref(input->sizes);
    g_tree_unref(input->ranges);
    duet_block_tracker_free(input->tracker);
    g_mutex_clear(&input->pull_lock);
    g_free(input->name);
    g_free(input);
}

static gint64
clock_now(SourceInput *input)
{
    return duet_clock_now_ms(
        duet_context_clock(duet_streaming_context_spark_context(input->stream->context)));
}

/* With the log: takes what arrived at the source since the last pull, logs it block by block,
 * then commits it at the source. An error of the source is returned; a block that cannot be
 * logged is still processed, and the listeners hear of it as a receiver error (Spark's
 * reportError). */
static gboolean
pull(SourceInput *input, GError **error)
{
    g_mutex_lock(&input->pull_lock);
    GError *local = NULL;
    char *latest = duet_source_latest_offset(input->source, &local);
    GPtrArray *partitions = NULL;
    if (latest != NULL && g_strcmp0(latest, input->committed) != 0)
        partitions = duet_source_get_batch(input->source, input->committed, latest, &local);
    if (partitions != NULL) {
        gint64 now = clock_now(input);
        for (guint partition = 0; partition < partitions->len; partition++) {
            GPtrArray *batches = g_ptr_array_index(partitions, partition);
            for (guint index = 0; index < batches->len; index++) {
                DuetBatch *batch = g_ptr_array_index(batches, index);
                GError *add_error = NULL;
                if (duet_batch_n_rows(batch) > 0 &&
                    !duet_block_tracker_add(input->tracker, batch, now, &add_error)) {
                    duet_streaming_context_notify_receiver(input->stream->context,
                                                           DUET_RECEIVER_EVENT_ERROR, input->name,
                                                           add_error->message);
                    g_error_free(add_error);
                }
            }
        }
        g_ptr_array_unref(partitions);
        duet_source_commit(input->source, input->consumer, latest);
        g_free(input->committed);
        input->committed = g_strdup(latest);
    }
    g_free(latest);
    g_mutex_unlock(&input->pull_lock);
    if (local != NULL) {
        g_prefix_error(&local, "%s: ", duet_source_format(input->source));
        g_propagate_error(error, local);
        return FALSE;
    }
    return TRUE;
}

static gpointer
pump_main(gpointer data)
{
    SourceInput *input = data;
    DuetClock *clock =
        duet_context_clock(duet_streaming_context_spark_context(input->stream->context));
    gint64 interval = input->block_interval_ms;
    gint64 next = input->first_block_ms;
    while (!g_atomic_int_get(&input->quit)) {
        gint64 now = duet_clock_wait_until(clock, next);
        if (g_atomic_int_get(&input->quit) || now < next)
            continue;
        /* an error of the source fails the next batch, which pulls again */
        pull(input, NULL);
        next = (now / interval + 1) * interval;
    }
    return NULL;
}

static DuetRdd *
logged_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    SourceInput *input = stream->op_data;
    if (!pull(input, error))
        return NULL;
    GPtrArray *blocks =
        duet_block_tracker_get_blocks(input->tracker, time_ms, clock_now(input), error);
    if (blocks == NULL)
        return NULL;
    gint64 records = 0;
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint block = 0; block < blocks->len; block++) {
        GPtrArray *partition = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(partition, duet_batch_ref(g_ptr_array_index(blocks, block)));
        g_ptr_array_add(partitions, partition);
        records += (gint64)duet_batch_n_rows(g_ptr_array_index(blocks, block));
    }
    DuetRdd *rdd = duet_rdd_new_from_partitions(
        duet_streaming_context_spark_context(stream->context), stream->schema, partitions);
    g_ptr_array_unref(partitions);
    g_ptr_array_unref(blocks);
    gint64 *key = g_new(gint64, 1), *value = g_new(gint64, 1);
    *key = time_ms;
    *value = records;
    g_hash_table_replace(input->sizes, key, value);
    return rdd;
}

static void
note_size(SourceInput *input, gint64 time_ms, GPtrArray *partitions)
{
    gint64 records = 0;
    for (guint partition = 0; partition < partitions->len; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint batch = 0; batch < batches->len; batch++)
            records += (gint64)duet_batch_n_rows(g_ptr_array_index(batches, batch));
    }
    gint64 *key = g_new(gint64, 1), *value = g_new(gint64, 1);
    *key = time_ms;
    *value = records;
    g_hash_table_replace(input->sizes, key, value);
}

/* The partitions of (start, end]: none when the range is empty. (transfer full) */
static GPtrArray *
read_range(SourceInput *input, const char *start, const char *end, GError **error)
{
    if (end == NULL || g_strcmp0(start, end) == 0)
        return g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    GPtrArray *partitions = duet_source_get_batch(input->source, start, end, error);
    if (partitions == NULL)
        g_prefix_error(error, "%s: ", duet_source_format(input->source));
    return partitions;
}

static DuetRdd *
source_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    SourceInput *input = stream->op_data;
    if (input->tracker != NULL)
        return logged_compute(stream, time_ms, error);
    DuetContext *spark = duet_streaming_context_spark_context(stream->context);
    g_mutex_lock(&input->pull_lock);
    GPtrArray *partitions = NULL;
    Range *recorded = g_tree_lookup(input->ranges, &time_ms);
    if (recorded != NULL) {
        /* A batch generated before (a re-run after a restart, or a recomputation): the same
         * range again. */
        partitions = read_range(input, recorded->start, recorded->end, error);
    } else {
        GError *local = NULL;
        char *latest = duet_source_latest_offset(input->source, &local);
        if (local != NULL) {
            g_mutex_unlock(&input->pull_lock);
            g_propagate_error(error, local);
            return NULL;
        }
        /* no data yet (latest NULL): an empty batch */
        partitions = latest == NULL ? read_range(input, NULL, NULL, error)
                                    : read_range(input, input->committed, latest, error);
        if (partitions != NULL && latest != NULL) {
            note_range(input, time_ms, input->committed, latest);
            duet_source_commit(input->source, input->consumer, latest);
            g_free(input->committed);
            input->committed = g_strdup(latest);
        }
        g_free(latest);
    }
    if (partitions == NULL) {
        g_mutex_unlock(&input->pull_lock);
        return NULL;
    }
    note_size(input, time_ms, partitions);
    g_mutex_unlock(&input->pull_lock);
    DuetRdd *rdd = duet_rdd_new_from_partitions(spark, stream->schema, partitions);
    g_ptr_array_unref(partitions);
    return rdd;
}

static gboolean
older_or_same(gpointer key, gpointer value, gpointer user_data)
{
    return *(gint64 *)key <= *(gint64 *)user_data;
}

static gint64
source_input_size(DuetDStream *stream, gint64 time_ms)
{
    SourceInput *input = stream->op_data;
    gint64 *size = g_hash_table_lookup(input->sizes, &time_ms);
    gint64 records = size ? *size : 0;
    /* and the sizes of older times computed again after a recovery (never run as batches) */
    g_hash_table_foreach_remove(input->sizes, older_or_same, &time_ms);
    return records;
}

static gboolean
source_prepare(DuetDStream *stream, GError **error)
{
    SourceInput *input = stream->op_data;
    if (input->tracker != NULL)
        return duet_block_tracker_prepare(input->tracker, stream, error);
    const char *checkpoint = duet_streaming_context_checkpoint_dir(stream->context);
    if (checkpoint == NULL)
        return TRUE;
    guint stream_id = 0;
    g_ptr_array_find(duet_streaming_context_streams(stream->context), stream, &stream_id);
    g_autofree char *id = g_strdup_printf("%u", stream_id);
    g_autofree char *directory = g_build_filename(checkpoint, "sources", id, NULL);
    return duet_source_attach_log(input->source, directory, error);
}

static void
source_start(DuetDStream *stream)
{
    SourceInput *input = stream->op_data;
    if (input->tracker == NULL)
        return;
    g_atomic_int_set(&input->quit, 0);
    /* the first tick is fixed now, not when the thread gets to run (the clock may move first) */
    input->first_block_ms =
        (clock_now(input) / input->block_interval_ms + 1) * input->block_interval_ms;
    input->pump = g_thread_new("duet-source-pump", pump_main, input);
}

static void
source_stop(DuetDStream *stream)
{
    SourceInput *input = stream->op_data;
    if (input->pump == NULL)
        return;
    g_atomic_int_set(&input->quit, 1);
    duet_clock_interrupt(duet_context_clock(duet_streaming_context_spark_context(stream->context)));
    g_thread_join(input->pump);
    input->pump = NULL;
}

typedef struct {
    gint64 horizon;
    GPtrArray *old; /* gint64* keys to remove */
} Prune;

static gboolean
collect_old(gpointer key, gpointer value, gpointer user_data)
{
    Prune *prune = user_data;
    if (*(gint64 *)key > prune->horizon)
        return TRUE; /* sorted: the rest is newer */
    g_ptr_array_add(prune->old, key);
    return FALSE;
}

static void
source_batch_completed(DuetDStream *stream, const DuetBatchInfo *info)
{
    SourceInput *input = stream->op_data;
    if (input->tracker != NULL) {
        duet_block_tracker_batch_completed(input->tracker, stream, info);
        return;
    }
    /* forget the ranges of batches older than the remember duration and than what a restart
     * may recompute */
    gint64 keep = MAX(stream->remember_ms, 2 * stream->slide_ms);
    Prune prune = {
        MIN(info->batch_time_ms - keep, duet_streaming_context_replay_horizon(stream->context)),
        g_ptr_array_new()};
    g_mutex_lock(&input->pull_lock);
    g_tree_foreach(input->ranges, collect_old, &prune);
    for (guint index = 0; index < prune.old->len; index++)
        g_tree_remove(input->ranges, prune.old->pdata[index]);
    g_mutex_unlock(&input->pull_lock);
    g_ptr_array_unref(prune.old);
}

static void
add_offset(JsonBuilder *builder, const char *offset)
{
    if (offset == NULL)
        json_builder_add_null_value(builder);
    else
        json_builder_add_string_value(builder, offset);
}

typedef struct {
    gint64 horizon;
    JsonBuilder *builder;
} SaveRanges;

static gboolean
save_range(gpointer key, gpointer value, gpointer user_data)
{
    SaveRanges *save = user_data;
    gint64 time = *(gint64 *)key;
    if (time <= save->horizon)
        return FALSE;
    Range *range = value;
    char name[32];
    g_snprintf(name, sizeof name, "%" G_GINT64_FORMAT, time);
    json_builder_set_member_name(save->builder, name);
    json_builder_begin_array(save->builder);
    add_offset(save->builder, range->start);
    add_offset(save->builder, range->end);
    json_builder_end_array(save->builder);
    return FALSE;
}

/* What the stream adds to a DStream checkpoint: the end of the last batch ("committed") and
 * the [start, end] offsets of every batch a restart may recompute ("batches"). */
static JsonNode *
source_checkpoint_save(DuetDStream *stream, gint64 horizon_ms)
{
    SourceInput *input = stream->op_data;
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_mutex_lock(&input->pull_lock);
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "committed");
    add_offset(builder, input->committed);
    json_builder_set_member_name(builder, "batches");
    json_builder_begin_object(builder);
    SaveRanges save = {horizon_ms, builder};
    g_tree_foreach(input->ranges, save_range, &save);
    json_builder_end_object(builder);
    json_builder_end_object(builder);
    g_mutex_unlock(&input->pull_lock);
    return json_builder_get_root(builder);
}

/* An offset of the checkpoint data: a string or null; FALSE when it is neither. */
static gboolean
offset_of(JsonNode *node, const char **offset)
{
    if (node != NULL && JSON_NODE_HOLDS_NULL(node)) {
        *offset = NULL;
        return TRUE;
    }
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING)
        return FALSE;
    *offset = json_node_get_string(node);
    return TRUE;
}

/* The "batches" member: time -> [start, end]; NULL when malformed. (transfer full) */
static GTree *
parse_ranges(JsonObject *times)
{
    GTree *ranges = ranges_new();
    g_autoptr(GList) members = json_object_get_members(times);
    for (GList *member = members; member != NULL; member = member->next) {
        const char *text = member->data;
        char *end = NULL;
        gint64 time_ms = g_ascii_strtoll(text, &end, 10);
        JsonNode *pair = json_object_get_member(times, text);
        JsonArray *array = JSON_NODE_HOLDS_ARRAY(pair) ? json_node_get_array(pair) : NULL;
        const char *from = NULL, *until = NULL;
        if (end == text || *end != '\0' || array == NULL || json_array_get_length(array) != 2 ||
            !offset_of(json_array_get_element(array, 0), &from) ||
            !offset_of(json_array_get_element(array, 1), &until)) {
            g_tree_unref(ranges);
            return NULL;
        }
        Range *range = g_new0(Range, 1);
        range->start = g_strdup(from);
        range->end = g_strdup(until);
        gint64 *key = g_new(gint64, 1);
        *key = time_ms;
        g_tree_replace(ranges, key, range);
    }
    return ranges;
}

static gboolean
source_checkpoint_restore(DuetDStream *stream, JsonNode *data, GError **error)
{
    SourceInput *input = stream->op_data;
    JsonObject *object = JSON_NODE_HOLDS_OBJECT(data) ? json_node_get_object(data) : NULL;
    JsonNode *batches = object ? json_object_get_member(object, "batches") : NULL;
    const char *committed = NULL;
    GTree *ranges = NULL;
    if (object == NULL || !offset_of(json_object_get_member(object, "committed"), &committed) ||
        batches == NULL || !JSON_NODE_HOLDS_OBJECT(batches) ||
        (ranges = parse_ranges(json_node_get_object(batches))) == NULL) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "the checkpoint data of the %s source stream is malformed",
                    duet_source_format(input->source));
        return FALSE;
    }
    g_mutex_lock(&input->pull_lock);
    g_tree_unref(input->ranges);
    input->ranges = ranges;
    g_free(input->committed);
    input->committed = g_strdup(committed);
    g_mutex_unlock(&input->pull_lock);
    if (committed != NULL)
        duet_source_resume(input->source, committed);
    return TRUE;
}

/* Over a replayable source: recovered by offsets through the DStream checkpoint. */
static const DuetDStreamOps source_ops = {
    .name = "DirectInputDStream",
    .compute = source_compute,
    .input_size = source_input_size,
    .prepare = source_prepare,
    .batch_completed = source_batch_completed,
    .checkpoint_save = source_checkpoint_save,
    .checkpoint_restore = source_checkpoint_restore,
};

/* Over a source that cannot replay: recovered by the receiver write-ahead log, if enabled. */
static const DuetDStreamOps logged_source_ops = {
    .name = "DirectInputDStream",
    .compute = source_compute,
    .input_size = source_input_size,
    .prepare = source_prepare,
    .start = source_start,
    .stop = source_stop,
    .batch_completed = source_batch_completed,
};

DuetDStream *
duet_streaming_context_source_stream(DuetStreamingContext *context, DuetSource *source)
{
    g_return_val_if_fail(context != NULL && source != NULL, NULL);
    const char *format = duet_source_format(source);
    gboolean replayable = !g_str_equal(format, "socket") && !g_str_equal(format, "zmq");
    DuetDStream *stream = duet_dstream_new_internal(
        context, replayable ? &source_ops : &logged_source_ops, duet_source_schema(source),
        duet_streaming_context_batch_interval_ms(context));
    SourceInput *input = g_new0(SourceInput, 1);
    input->source = duet_source_ref(source);
    input->consumer = duet_source_add_consumer(source);
    input->sizes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    input->ranges = ranges_new();
    input->stream = stream;
    g_mutex_init(&input->pull_lock);
    if (!replayable) {
        static gint counter;
        input->name =
            g_strdup_printf("DirectInputDStream-%s-%d", format, g_atomic_int_add(&counter, 1));
        input->tracker = duet_block_tracker_new_for_stream(stream, input->name);
        input->block_interval_ms =
            MAX(duet_context_get_conf_int(duet_streaming_context_spark_context(context),
                                          "spark.streaming.blockInterval", 200),
                1);
    }
    stream->op_data = input;
    stream->op_data_free = source_input_free;
    return stream;
}
