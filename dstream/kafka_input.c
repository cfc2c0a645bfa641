/* kafka_input.c — Spark's direct Kafka stream (DirectKafkaInputDStream) over the shared
 * Kafka source.
 *
 * Layer: dstream/. Includes rdd/, sources/ (the source factory only) and dstream/. Spark's
 * driver keeps, per topic partition, the offset the next batch starts from; at each batch time
 * it asks Kafka for the latest offsets, caps each partition's range by maxRatePerPartition,
 * and builds a KafkaRDD of the ranges. Here the shared Kafka source (sources/kafka_source.c)
 * answers both questions: its latest offset is the per-partition latest offsets JSON, and
 * get_batch(start, end) reads exactly the ranges the stream decided, one output partition per
 * Kafka partition. The stream keeps every batch's ranges (Spark's HasOffsetRanges) for as long
 * as a child or a restart may recompute the batch: a recomputed or re-run batch reads the same
 * ranges again, which is what makes recovery exactly-once for idempotent outputs.
 *
 * Where the start of a partition is not known before reading (the first batch under
 * auto.offset.reset=earliest, -2 in the starting offsets, a partition that appeared since the
 * last batch) the source reads from its own resolved start and the range's from offset is the
 * first record's; the rate cap is then applied to the records read.
 */
#include "dstream/internal.h"
#include "dstream/kafka_input.h"
#include "sources/source.h"

#include <math.h>
#include <string.h>

#define RECORD_SCHEMA "key STRING, value STRING"
/* Columns of the Kafka source's rows (Spark's Kafka schema). */
enum { SOURCE_KEY, SOURCE_VALUE, SOURCE_TOPIC, SOURCE_PARTITION, SOURCE_OFFSET };

/* A commitAsync call waiting for the end of the current batch. */
typedef struct {
    GArray *ranges; /* DuetOffsetRange, owned */
    DuetOffsetCommitCallback callback;
    gpointer user_data;
} PendingCommit;

typedef struct {
    DuetSource *source;      /* owned: the shared Kafka source */
    guint consumer;          /* our consumer id at the source */
    gboolean start_latest;   /* auto.offset.reset=latest and no starting offsets given */
    char *starting_offsets;  /* the strategy's offsets JSON, or NULL */
    gint64 max_per_batch;    /* records per partition per batch, 0 = no cap */
    GMutex lock;             /* guards everything below */
    GArray *current;         /* DuetOffsetRange used as positions: until = next offset */
    gboolean first_batch;    /* no batch generated yet (start NULL may be needed) */
    gboolean restored;       /* positions came from a checkpoint */
    gint64 restored_time;    /* the checkpoint's time; older batches not kept are empty */
    GTree *batches;          /* gint64* time -> GArray of DuetOffsetRange */
    GPtrArray *commit_queue; /* PendingCommit* */
    GArray *committed;       /* positions committed, or NULL */
} KafkaInput;

static void
clear_range(gpointer data)
{
    DuetOffsetRange *range = data;
    g_free(range->topic);
}

static GArray *
ranges_new(void)
{
    GArray *ranges = g_array_new(FALSE, TRUE, sizeof(DuetOffsetRange));
    g_array_set_clear_func(ranges, clear_range);
    return ranges;
}

static GArray *
ranges_copy(const GArray *ranges)
{
    GArray *copy = ranges_new();
    for (guint index = 0; index < ranges->len; index++) {
        DuetOffsetRange range = g_array_index(ranges, DuetOffsetRange, index);
        range.topic = g_strdup(range.topic);
        g_array_append_val(copy, range);
    }
    return copy;
}

/* Kafka's order, as the source sorts partitions: topic, then partition. */
static int
compare_partition(const char *topic, gint32 partition, const DuetOffsetRange *range)
{
    int by_topic = strcmp(topic, range->topic);
    if (by_topic != 0)
        return by_topic;
    return (partition > range->partition) - (partition < range->partition);
}

static DuetOffsetRange *
positions_find(GArray *positions, const char *topic, gint32 partition)
{
    for (guint index = 0; index < positions->len; index++) {
        DuetOffsetRange *entry = &g_array_index(positions, DuetOffsetRange, index);
        if (compare_partition(topic, partition, entry) == 0)
            return entry;
    }
    return NULL;
}

/* Sets the position of a partition (keeping the order); a position is from == until. */
static void
positions_put(GArray *positions, const char *topic, gint32 partition, gint64 offset)
{
    guint index = 0;
    for (; index < positions->len; index++) {
        DuetOffsetRange *entry = &g_array_index(positions, DuetOffsetRange, index);
        int order = compare_partition(topic, partition, entry);
        if (order == 0) {
            entry->from_offset = entry->until_offset = offset;
            return;
        }
        if (order < 0)
            break;
    }
    DuetOffsetRange entry = {g_strdup(topic), partition, offset, offset};
    g_array_insert_val(positions, index, entry);
}

/* Spark's offsets JSON of the until offsets of ranges: {"t":{"0":23}}. (transfer full) */
static char *
until_json(const GArray *ranges, gboolean use_from)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    const char *topic = NULL;
    for (guint index = 0; index < ranges->len; index++) {
        const DuetOffsetRange *range = &g_array_index(ranges, DuetOffsetRange, index);
        if (topic == NULL || strcmp(topic, range->topic) != 0) {
            if (topic != NULL)
                json_builder_end_object(builder);
            json_builder_set_member_name(builder, range->topic);
            json_builder_begin_object(builder);
            topic = range->topic;
        }
        char key[16];
        g_snprintf(key, sizeof key, "%d", range->partition);
        json_builder_set_member_name(builder, key);
        json_builder_add_int_value(builder, use_from ? range->from_offset : range->until_offset);
    }
    if (topic != NULL)
        json_builder_end_object(builder);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    return json_to_string(root, FALSE);
}

/* Reads {"t":{"0":23}} into positions; NULL when malformed. */
static GArray *
parse_object(JsonNode *root)
{
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    GArray *positions = ranges_new();
    JsonObject *topics = json_node_get_object(root);
    g_autoptr(GList) names = json_object_get_members(topics);
    for (GList *name = names; name != NULL; name = name->next) {
        JsonNode *member = json_object_get_member(topics, name->data);
        if (!JSON_NODE_HOLDS_OBJECT(member))
            goto malformed;
        JsonObject *partitions = json_node_get_object(member);
        g_autoptr(GList) keys = json_object_get_members(partitions);
        for (GList *key = keys; key != NULL; key = key->next) {
            char *end = NULL;
            gint64 partition = g_ascii_strtoll(key->data, &end, 10);
            JsonNode *value = json_object_get_member(partitions, key->data);
            if (end == key->data || *end != '\0' || partition < 0 || partition > G_MAXINT32 ||
                !JSON_NODE_HOLDS_VALUE(value) || json_node_get_value_type(value) != G_TYPE_INT64)
                goto malformed;
            positions_put(positions, name->data, (gint32)partition, json_node_get_int(value));
        }
    }
    return positions;
malformed:
    g_array_unref(positions);
    return NULL;
}

/* Parses offsets JSON into positions. */
static GArray *
positions_parse(const char *text, GError **error)
{
    g_autoptr(JsonNode) root = json_from_string(text, NULL);
    GArray *positions = parse_object(root);
    if (positions == NULL)
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "Kafka offsets must be JSON like {\"topicA\":{\"0\":23,\"1\":-1}}, not %s",
                    text);
    return positions;
}

static void
pending_commit_free(gpointer data)
{
    PendingCommit *commit = data;
    g_array_unref(commit->ranges);
    g_free(commit);
}

static gint
compare_time(gconstpointer a, gconstpointer b, gpointer user_data)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return (x > y) - (x < y);
}

static void
kafka_input_free(gpointer data)
{
    KafkaInput *input = data;
    duet_source_unref(input->source);
    g_free(input->starting_offsets);
    g_array_unref(input->current);
    g_tree_unref(input->batches);
    g_ptr_array_unref(input->commit_queue);
    if (input->committed)
        g_array_unref(input->committed);
    g_mutex_clear(&input->lock);
    g_free(input);
}

/* ---- reading a batch ---------------------------------------------------------------------- */

/* One Kafka partition's rows as (key, value) strings: at most limit rows (0 = all). Sets
 * *first to the first row's offset and *next past the last row kept (both unchanged when no
 * row is kept). */
static DuetBatch *
records_of(DuetSchema *schema, GPtrArray *batches, gint64 limit, gint64 *first, gint64 *next,
           gboolean *truncated, GError **error)
{
    gsize total = 0;
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++)
        total += duet_batch_n_rows(g_ptr_array_index(batches, batch_idx));
    g_autoptr(DuetBatchBuilder) builder = duet_batch_builder_new(schema, MAX(total, 1));
    gsize kept = 0;
    *truncated = FALSE;
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        DuetColumn *offsets = duet_batch_column(batch, SOURCE_OFFSET);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            gint64 offset = duet_column_get_int64(offsets, row_idx);
            if (limit > 0 && (gint64)kept == limit) {
                *next = offset; /* the first record left for the next batch */
                *truncated = TRUE;
                goto done;
            }
            for (guint column = SOURCE_KEY; column <= SOURCE_VALUE; column++) {
                DuetColumn *bytes = duet_batch_column(batch, column);
                if (duet_column_is_null(bytes, row_idx)) {
                    duet_batch_builder_append_null(builder, column);
                } else {
                    gsize len;
                    const char *data = duet_column_get_string(bytes, row_idx, &len);
                    duet_batch_builder_append_string(builder, column, data, (gssize)len);
                }
            }
            if (kept == 0)
                *first = offset;
            *next = offset + 1;
            kept++;
        }
    }
done:
    return duet_batch_builder_finish(builder, error);
}

/* Reads ranges from the source: one RDD partition per range, in order. Ranges whose from is
 * unknown (start NULL or a partition missing from start) get their from (and, under a cap,
 * their until) from the records read. */
static DuetRdd *
read_ranges(DuetDStream *stream, GArray *ranges, const char *start, const GHashTable *unknown,
            gint64 cap, GError **error)
{
    KafkaInput *input = stream->op_data;
    DuetContext *spark = duet_streaming_context_spark_context(stream->context);
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    gboolean any = FALSE;
    for (guint index = 0; index < ranges->len; index++) {
        const DuetOffsetRange *range = &g_array_index(ranges, DuetOffsetRange, index);
        any = any || range->until_offset > range->from_offset ||
              (unknown && g_hash_table_contains((GHashTable *)unknown, range));
    }
    GPtrArray *read = NULL;
    if (any) {
        g_autofree char *end = until_json(ranges, FALSE);
        read = duet_source_get_batch(input->source, start, end, error);
        if (read == NULL) {
            g_prefix_error(error, "Kafka direct stream: ");
            g_ptr_array_unref(partitions);
            return NULL;
        }
        if (read->len != ranges->len) {
            g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_FAILED,
                        "Kafka direct stream: the source returned %u partitions for %u ranges",
                        read->len, ranges->len);
            g_ptr_array_unref(read);
            g_ptr_array_unref(partitions);
            return NULL;
        }
    }
    for (guint index = 0; index < ranges->len; index++) {
        DuetOffsetRange *range = &g_array_index(ranges, DuetOffsetRange, index);
        GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        gboolean from_unknown = unknown && g_hash_table_contains((GHashTable *)unknown, range);
        if (read != NULL) {
            gint64 first = range->until_offset, next = range->until_offset;
            gboolean truncated = FALSE;
            DuetBatch *records =
                records_of(stream->schema, g_ptr_array_index(read, index), from_unknown ? cap : 0,
                           &first, &next, &truncated, error);
            if (records == NULL) {
                g_ptr_array_unref(list);
                g_ptr_array_unref(read);
                g_ptr_array_unref(partitions);
                return NULL;
            }
            g_ptr_array_add(list, records);
            if (from_unknown) {
                range->from_offset = duet_batch_n_rows(records) > 0 ? first : range->until_offset;
                if (truncated)
                    range->until_offset = next;
            }
        }
        g_ptr_array_add(partitions, list);
    }
    if (read != NULL)
        g_ptr_array_unref(read);
    DuetRdd *rdd = duet_rdd_new_from_partitions(spark, stream->schema, partitions);
    g_ptr_array_unref(partitions);
    return rdd;
}

/* Spark's DirectKafkaInputDStream.compute for a new batch: latest offsets, capped, read. */
static DuetRdd *
compute_new(DuetDStream *stream, gint64 time_ms, GArray **out_ranges, GError **error)
{
    KafkaInput *input = stream->op_data;
    g_autofree char *latest_text = duet_source_latest_offset(input->source, error);
    if (latest_text == NULL) {
        if (error && *error) {
            g_prefix_error(error, "Kafka direct stream: ");
            return NULL;
        }
        *out_ranges = ranges_new(); /* no partition yet: an empty batch */
        return read_ranges(stream, *out_ranges, NULL, NULL, 0, error);
    }
    g_autoptr(GArray) latest = positions_parse(latest_text, error);
    if (latest == NULL)
        return NULL;
    GArray *ranges = ranges_new();
    /* Ranges whose from is unknown until read; keys point into ranges (no resizing below). */
    g_autoptr(GHashTable) unknown = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_array_set_size(ranges, latest->len);
    for (guint index = 0; index < latest->len; index++) {
        const DuetOffsetRange *end = &g_array_index(latest, DuetOffsetRange, index);
        DuetOffsetRange *range = &g_array_index(ranges, DuetOffsetRange, index);
        range->topic = g_strdup(end->topic);
        range->partition = end->partition;
        range->until_offset = end->until_offset;
        const DuetOffsetRange *known = positions_find(input->current, end->topic, end->partition);
        if (known != NULL) {
            range->from_offset = known->until_offset;
            if (input->max_per_batch > 0 &&
                range->until_offset - range->from_offset > input->max_per_batch)
                range->until_offset = range->from_offset + input->max_per_batch;
        } else {
            range->from_offset = range->until_offset;
            g_hash_table_add(unknown, range);
        }
    }
    /* The first batch with an unknown start reads from the source's resolved start; later,
     * a partition missing from start is read from its earliest offset by the source. */
    g_autofree char *start = NULL;
    if (!(input->first_batch && g_hash_table_size(unknown) > 0))
        start = until_json(input->current, FALSE);
    DuetRdd *rdd = read_ranges(stream, ranges, start, unknown, input->max_per_batch, error);
    if (rdd == NULL) {
        g_array_unref(ranges);
        return NULL;
    }
    *out_ranges = ranges;
    return rdd;
}

static DuetRdd *
kafka_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    KafkaInput *input = stream->op_data;
    g_mutex_lock(&input->lock);
    DuetRdd *rdd = NULL;
    GArray *recorded = g_tree_lookup(input->batches, &time_ms);
    if (recorded != NULL) {
        /* A batch generated before (a recomputation, or a re-run after a restart): the same
         * ranges again. */
        g_autofree char *start = until_json(recorded, TRUE);
        rdd = read_ranges(stream, recorded, recorded->len ? start : NULL, NULL, 0, error);
    } else if (input->restored && time_ms <= input->restored_time) {
        /* Older than what the checkpoint kept: nothing can be replayed for it. */
        g_warning("Kafka direct stream: the batch at %" G_GINT64_FORMAT
                  " ms was not kept by the checkpoint; it is empty",
                  time_ms);
        rdd = duet_dstream_empty_rdd(stream);
    } else {
        GArray *ranges = NULL;
        rdd = compute_new(stream, time_ms, &ranges, error);
        if (rdd != NULL) {
            for (guint index = 0; index < ranges->len; index++) {
                const DuetOffsetRange *range = &g_array_index(ranges, DuetOffsetRange, index);
                positions_put(input->current, range->topic, range->partition, range->until_offset);
            }
            input->first_batch = FALSE;
            gint64 *key = g_new(gint64, 1);
            *key = time_ms;
            g_tree_insert(input->batches, key, ranges);
        }
    }
    g_mutex_unlock(&input->lock);
    return rdd;
}

/* Spark's DirectKafkaInputDStream.start(): fixes where the first batch starts. */
static void
kafka_start(DuetDStream *stream)
{
    KafkaInput *input = stream->op_data;
    g_mutex_lock(&input->lock);
    if (!input->restored) {
        if (input->starting_offsets != NULL) {
            g_autoptr(GArray) given = positions_parse(input->starting_offsets, NULL);
            for (guint index = 0; given && index < given->len; index++) {
                const DuetOffsetRange *entry = &g_array_index(given, DuetOffsetRange, index);
                if (entry->until_offset >= 0)
                    positions_put(input->current, entry->topic, entry->partition,
                                  entry->until_offset);
            }
        } else if (input->start_latest) {
            GError *error = NULL;
            g_autofree char *latest = duet_source_latest_offset(input->source, &error);
            g_autoptr(GArray) positions = latest ? positions_parse(latest, NULL) : NULL;
            if (positions != NULL) {
                g_array_unref(input->current);
                input->current = g_steal_pointer(&positions);
            }
            if (error != NULL) {
                /* the first batch resolves the start itself */
                g_info("Kafka direct stream: no starting offsets yet: %s", error->message);
                g_error_free(error);
            }
        }
    }
    g_mutex_unlock(&input->lock);
}

static gint64
kafka_input_size(DuetDStream *stream, gint64 time_ms)
{
    KafkaInput *input = stream->op_data;
    g_mutex_lock(&input->lock);
    GArray *ranges = g_tree_lookup(input->batches, &time_ms);
    gint64 records = 0;
    for (guint index = 0; ranges && index < ranges->len; index++)
        records += duet_offset_range_count(&g_array_index(ranges, DuetOffsetRange, index));
    g_mutex_unlock(&input->lock);
    return records;
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

/* After each batch: commit what commitAsync queued, forget ranges nobody can ask for again. */
static void
kafka_batch_completed(DuetDStream *stream, const DuetBatchInfo *info)
{
    KafkaInput *input = stream->op_data;
    g_mutex_lock(&input->lock);
    GPtrArray *queue = input->commit_queue;
    input->commit_queue = g_ptr_array_new_with_free_func(pending_commit_free);
    char *committed = NULL;
    if (queue->len > 0) {
        if (input->committed == NULL)
            input->committed = ranges_new();
        for (guint commit_idx = 0; commit_idx < queue->len; commit_idx++) {
            PendingCommit *commit = g_ptr_array_index(queue, commit_idx);
            for (guint index = 0; index < commit->ranges->len; index++) {
                const DuetOffsetRange *range =
                    &g_array_index(commit->ranges, DuetOffsetRange, index);
                const DuetOffsetRange *known =
                    positions_find(input->committed, range->topic, range->partition);
                if (known == NULL || known->until_offset < range->until_offset)
                    positions_put(input->committed, range->topic, range->partition,
                                  range->until_offset);
            }
        }
        committed = until_json(input->committed, FALSE);
    }
    /* Batches older than the remember duration and than what a restart may recompute. */
    gint64 keep = MAX(stream->remember_ms, 2 * stream->slide_ms);
    Prune prune = {
        MIN(info->batch_time_ms - keep, duet_streaming_context_replay_horizon(stream->context)),
        g_ptr_array_new()};
    g_tree_foreach(input->batches, collect_old, &prune);
    for (guint index = 0; index < prune.old->len; index++)
        g_tree_remove(input->batches, prune.old->pdata[index]);
    g_ptr_array_unref(prune.old);
    g_mutex_unlock(&input->lock);
    if (committed != NULL) {
        duet_source_commit(input->source, input->consumer, committed);
        for (guint commit_idx = 0; commit_idx < queue->len; commit_idx++) {
            PendingCommit *commit = g_ptr_array_index(queue, commit_idx);
            if (commit->callback != NULL)
                commit->callback(committed, NULL, commit->user_data);
        }
    }
    g_ptr_array_unref(queue);
    g_free(committed);
}

/* ---- checkpoint hooks -------------------------------------------------------------------- */

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
    GArray *ranges = value;
    char name[32];
    g_snprintf(name, sizeof name, "%" G_GINT64_FORMAT, time);
    json_builder_set_member_name(save->builder, name);
    json_builder_begin_array(save->builder);
    for (guint index = 0; index < ranges->len; index++) {
        const DuetOffsetRange *range = &g_array_index(ranges, DuetOffsetRange, index);
        json_builder_begin_array(save->builder);
        json_builder_add_string_value(save->builder, range->topic);
        json_builder_add_int_value(save->builder, range->partition);
        json_builder_add_int_value(save->builder, range->from_offset);
        json_builder_add_int_value(save->builder, range->until_offset);
        json_builder_end_array(save->builder);
    }
    json_builder_end_array(save->builder);
    return FALSE;
}

/* Spark's DirectKafkaInputDStreamCheckpointData: the offset ranges of every batch a restart
 * may recompute, and the position the next batch starts from. */
static JsonNode *
kafka_checkpoint_save(DuetDStream *stream, gint64 horizon_ms)
{
    KafkaInput *input = stream->op_data;
    g_autoptr(JsonBuilder) builder = json_builder_new();
    g_mutex_lock(&input->lock);
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "current");
    g_autofree char *current = until_json(input->current, FALSE);
    json_builder_add_string_value(builder, current);
    json_builder_set_member_name(builder, "firstBatch");
    json_builder_add_boolean_value(builder, input->first_batch);
    json_builder_set_member_name(builder, "batches");
    json_builder_begin_object(builder);
    SaveBatches save = {horizon_ms, builder};
    g_tree_foreach(input->batches, save_batch, &save);
    json_builder_end_object(builder);
    json_builder_end_object(builder);
    g_mutex_unlock(&input->lock);
    return json_builder_get_root(builder);
}

static gboolean
kafka_checkpoint_restore(DuetDStream *stream, JsonNode *data, GError **error)
{
    KafkaInput *input = stream->op_data;
    JsonObject *object = JSON_NODE_HOLDS_OBJECT(data) ? json_node_get_object(data) : NULL;
    const char *current =
        object ? json_object_get_string_member_with_default(object, "current", NULL) : NULL;
    JsonObject *batches = object && json_object_has_member(object, "batches") &&
                                  JSON_NODE_HOLDS_OBJECT(json_object_get_member(object, "batches"))
                              ? json_object_get_object_member(object, "batches")
                              : NULL;
    g_autoptr(GArray) positions = current ? positions_parse(current, error) : NULL;
    if (positions == NULL || batches == NULL) {
        if (error && *error == NULL)
            g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                        "the Kafka direct stream's checkpoint data is malformed");
        return FALSE;
    }
    GTree *restored = g_tree_new_full(compare_time, NULL, g_free, (GDestroyNotify)g_array_unref);
    gint64 latest = G_MININT64;
    g_autoptr(GList) times = json_object_get_members(batches);
    for (GList *time = times; time != NULL; time = time->next) {
        JsonNode *list = json_object_get_member(batches, time->data);
        char *end = NULL;
        gint64 time_ms = g_ascii_strtoll(time->data, &end, 10);
        if (end == time->data || *end != '\0' || !JSON_NODE_HOLDS_ARRAY(list))
            goto malformed;
        GArray *ranges = ranges_new();
        gint64 *key = g_new(gint64, 1);
        *key = time_ms;
        g_tree_insert(restored, key, ranges);
        latest = MAX(latest, time_ms);
        JsonArray *array = json_node_get_array(list);
        for (guint index = 0; index < json_array_get_length(array); index++) {
            JsonNode *item = json_array_get_element(array, index);
            JsonArray *fields = JSON_NODE_HOLDS_ARRAY(item) ? json_node_get_array(item) : NULL;
            if (fields == NULL || json_array_get_length(fields) != 4)
                goto malformed;
            DuetOffsetRange range = {
                g_strdup(json_array_get_string_element(fields, 0)),
                (gint32)json_array_get_int_element(fields, 1),
                json_array_get_int_element(fields, 2),
                json_array_get_int_element(fields, 3),
            };
            if (range.topic == NULL) {
                g_free(range.topic);
                goto malformed;
            }
            g_array_append_val(ranges, range);
        }
    }
    g_mutex_lock(&input->lock);
    g_tree_unref(input->batches);
    input->batches = restored;
    g_array_unref(input->current);
    input->current = g_steal_pointer(&positions);
    input->first_batch = json_object_get_boolean_member_with_default(object, "firstBatch", FALSE);
    input->restored = TRUE;
    input->restored_time = latest;
    g_mutex_unlock(&input->lock);
    return TRUE;
malformed:
    g_tree_unref(restored);
    g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                "the Kafka direct stream's checkpoint data is malformed");
    return FALSE;
}

static const DuetDStreamOps kafka_ops = {
    .name = "DirectKafkaInputDStream",
    .compute = kafka_compute,
    .start = kafka_start,
    .batch_completed = kafka_batch_completed,
    .input_size = kafka_input_size,
    .checkpoint_save = kafka_checkpoint_save,
    .checkpoint_restore = kafka_checkpoint_restore,
};

/* ---- construction ------------------------------------------------------------------------ */

static gboolean
strategy_error(GError **error, const char *message)
{
    g_set_error_literal(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID, message);
    return FALSE;
}

/* Spark's kafkaParams as the Kafka source's options. */
static DuetSourceOptions *
source_options(const DuetKafkaConsumerStrategy *strategy, gboolean *start_latest, GError **error)
{
    const char *strategy_key = strategy->kind == DUET_KAFKA_SUBSCRIBE ? "subscribe"
                               : strategy->kind == DUET_KAFKA_ASSIGN  ? "assign"
                                                                      : "subscribePattern";
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, strategy_key, strategy->topics);
    const char *reset = NULL;
    if (strategy->kafka_params != NULL) {
        GHashTableIter iter;
        gpointer key, value;
        g_hash_table_iter_init(&iter, strategy->kafka_params);
        while (g_hash_table_iter_next(&iter, &key, &value)) {
            if (g_ascii_strcasecmp(key, "auto.offset.reset") == 0) {
                reset = value;
                continue;
            }
            /* Spark's fixKafkaParams: the driver decides offsets and commits them itself;
             * keys and values are read as strings. */
            if (g_ascii_strcasecmp(key, "enable.auto.commit") == 0 ||
                g_ascii_strcasecmp(key, "key.deserializer") == 0 ||
                g_ascii_strcasecmp(key, "value.deserializer") == 0)
                continue;
            g_autofree char *name = g_strdup_printf("kafka.%s", (const char *)key);
            duet_source_options_set(options, name, value);
        }
    }
    if (reset != NULL && g_ascii_strcasecmp(reset, "earliest") != 0 &&
        g_ascii_strcasecmp(reset, "latest") != 0) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "Invalid value %s for configuration auto.offset.reset: String must be one "
                    "of: latest, earliest, none",
                    reset);
        g_hash_table_unref(options);
        return NULL;
    }
    gboolean earliest = reset != NULL && g_ascii_strcasecmp(reset, "earliest") == 0;
    if (strategy->offsets != NULL)
        duet_source_options_set(options, "startingOffsets", strategy->offsets);
    else
        duet_source_options_set(options, "startingOffsets", earliest ? "earliest" : "latest");
    *start_latest = strategy->offsets == NULL && !earliest;
    return options;
}

DuetDStream *
duet_kafka_utils_create_direct_stream(DuetStreamingContext *context,
                                      const DuetKafkaConsumerStrategy *strategy, GError **error)
{
    g_return_val_if_fail(context != NULL && strategy != NULL, NULL);
    if (strategy->topics == NULL) {
        strategy_error(error, "the consumer strategy names no topics");
        return NULL;
    }
    if (duet_streaming_context_state(context) != DUET_STREAMING_STATE_INITIALIZED) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_STATE,
                    "Adding new inputs, transformations, and output operations after starting "
                    "a context is not supported");
        return NULL;
    }
    g_autoptr(GArray) given = NULL;
    if (strategy->offsets != NULL && (given = positions_parse(strategy->offsets, error)) == NULL)
        return NULL;
    gboolean start_latest = FALSE;
    DuetSourceOptions *options = source_options(strategy, &start_latest, error);
    if (options == NULL)
        return NULL;
    DuetContext *spark = duet_streaming_context_spark_context(context);
    DuetSource *source = duet_source_new("kafka", options, NULL, duet_context_clock(spark),
                                         duet_context_default_partitions(spark), error);
    g_hash_table_unref(options);
    if (source == NULL)
        return NULL;
    g_autoptr(DuetSchema) schema = duet_schema_parse(RECORD_SCHEMA, NULL);
    DuetDStream *stream = duet_dstream_new_internal(
        context, &kafka_ops, schema, duet_streaming_context_batch_interval_ms(context));
    KafkaInput *input = g_new0(KafkaInput, 1);
    input->source = source;
    input->consumer = duet_source_add_consumer(source);
    input->start_latest = start_latest;
    input->starting_offsets = g_strdup(strategy->offsets);
    g_mutex_init(&input->lock);
    input->current = ranges_new();
    input->first_batch = TRUE;
    input->batches = g_tree_new_full(compare_time, NULL, g_free, (GDestroyNotify)g_array_unref);
    input->commit_queue = g_ptr_array_new_with_free_func(pending_commit_free);
    /* Spark's maxMessagesPerPartition without backpressure: the rate times the batch's
     * seconds, at least minRatePerPartition. */
    gint64 rate = duet_context_get_conf_int(spark, "spark.streaming.kafka.maxRatePerPartition", 0);
    gint64 min_rate =
        duet_context_get_conf_int(spark, "spark.streaming.kafka.minRatePerPartition", 1);
    if (rate > 0) {
        gdouble seconds = (gdouble)duet_streaming_context_batch_interval_ms(context) / 1000.0;
        input->max_per_batch = MAX((gint64)floor(seconds * (gdouble)rate), MAX(min_rate, 1));
    }
    stream->op_data = input;
    stream->op_data_free = kafka_input_free;
    return stream;
}

GArray *
duet_kafka_direct_stream_offset_ranges(DuetDStream *stream, gint64 time_ms)
{
    g_return_val_if_fail(stream != NULL && stream->ops == &kafka_ops, NULL);
    KafkaInput *input = stream->op_data;
    g_mutex_lock(&input->lock);
    GArray *ranges = g_tree_lookup(input->batches, &time_ms);
    GArray *copy = ranges ? ranges_copy(ranges) : NULL;
    g_mutex_unlock(&input->lock);
    return copy;
}

void
duet_kafka_direct_stream_commit_async(DuetDStream *stream, const GArray *ranges,
                                      DuetOffsetCommitCallback callback, gpointer user_data)
{
    g_return_if_fail(stream != NULL && stream->ops == &kafka_ops && ranges != NULL);
    KafkaInput *input = stream->op_data;
    PendingCommit *commit = g_new0(PendingCommit, 1);
    commit->ranges = ranges_copy(ranges);
    commit->callback = callback;
    commit->user_data = user_data;
    g_mutex_lock(&input->lock);
    g_ptr_array_add(input->commit_queue, commit);
    g_mutex_unlock(&input->lock);
}

char *
duet_kafka_direct_stream_committed(DuetDStream *stream)
{
    g_return_val_if_fail(stream != NULL && stream->ops == &kafka_ops, NULL);
    KafkaInput *input = stream->op_data;
    g_mutex_lock(&input->lock);
    char *json = input->committed ? until_json(input->committed, FALSE) : NULL;
    g_mutex_unlock(&input->lock);
    return json;
}
