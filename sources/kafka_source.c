/* kafka_source.c — Spark's Kafka source: records of Kafka topic partitions served by offsets.
 *
 * Layer: sources/. Includes sources/ only (and librdkafka). Reproduces KafkaSourceProvider's
 * option checks and messages and the micro-batch semantics of Spark's KafkaSource:
 *  - The schema is Spark's: key BINARY, value BINARY, topic STRING, partition INT, offset
 *    BIGINT, timestamp TIMESTAMP, timestampType INT (0 CreateTime, 1 LogAppendTime).
 *  - An offset is a KafkaSourceOffset (kafka_offset.c): per topic partition the next offset to
 *    read. Rows of (start, end] are, per partition, the records at offsets start .. end - 1; a
 *    NULL start is the resolved startingOffsets. There is one output partition per Kafka
 *    partition of end (empty ones included), topics sorted, partitions ascending.
 *  - startingOffsets (earliest, latest — the default — or JSON with -2/-1) is resolved when
 *    the source is first asked for an offset, as Spark resolves initialPartitionOffsets.
 *    Partitions that appear later start from their earliest offset.
 *  - maxOffsetsPerTrigger splits the limit over partitions in proportion to their backlog
 *    (Spark's rateLimit, small partitions never starved), counted from the last offset this
 *    source reported (Spark's currentPartitionOffsets). Consumers sharing one source share
 *    that position, as they share the limit.
 *  - Data that is gone (aged out, a partition deleted, an offset moved backwards) fails the
 *    batch with Spark's message under failOnDataLoss=true (the default); otherwise the source
 *    skips it and logs.
 *  - includeHeaders=true adds Spark's "headers" column, ARRAY<STRUCT<key STRING, value
 *    BINARY>>, null for a record without headers (KafkaRecordToRowConverter).
 *  - A batch read (kafka_relation.c, Spark's KafkaRelation) uses the same object made by
 *    duet_kafka_source_new_batch, whose two bounds are resolved by
 *    duet_kafka_source_resolve_offsets; option checks are in kafka_options.c, reading the
 *    ranges in kafka_read.c.
 * Kafka keeps the data, so there is nothing to forget. Records are read with librdkafka's
 * simple consumer (no consumer group is joined: the source decides every offset, as Spark's
 * executors "do only what the driver tells them").
 */
#include "sources/kafka_source_private.h"

#include <math.h>
#include <string.h>

static void
kafka_finalize(gpointer data)
{
    Kafka *kafka = data;
    g_hash_table_unref(kafka->topics); /* topic handles go before the client */
    if (kafka->consumer)
        rd_kafka_destroy(kafka->consumer);
    if (kafka->offset_reader)
        rd_kafka_destroy(kafka->offset_reader);
    g_strfreev(kafka->subscribe);
    g_free(kafka->initial_path);
    if (kafka->pattern)
        g_regex_unref(kafka->pattern);
    if (kafka->assign)
        g_array_unref(kafka->assign);
    if (kafka->start_json)
        g_array_unref(kafka->start_json);
    if (kafka->initial)
        g_array_unref(kafka->initial);
    if (kafka->current)
        g_array_unref(kafka->current);
    if (kafka->target)
        g_array_unref(kafka->target);
    g_free(kafka->strategy_text);
    g_mutex_clear(&kafka->lock);
    g_free(kafka);
}

static char *
kafka_description(DuetSource *source)
{
    Kafka *kafka = duet_source_get_data(source);
    return g_strdup_printf("KafkaV2[%s]", kafka->strategy_text);
}

gboolean
duet_kafka_source_report_data_loss(Kafka *kafka, GError **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    if (kafka->fail_on_data_loss) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET, "%s. %s", message,
                    DATA_LOSS_INSTRUCTION);
        return FALSE;
    }
    g_info("Kafka source: %s. Some data may have been lost because they are not available in "
           "Kafka any more (failOnDataLoss is false).",
           message);
    return TRUE;
}

gboolean
duet_kafka_source_broker_error(rd_kafka_resp_err_t code, const char *what, GError **error)
{
    g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED, "Kafka: %s failed: %s", what,
                rd_kafka_err2str(code));
    return FALSE;
}

/* ---- partitions and their offsets ------------------------------------------------------- */

static gboolean
topic_matches(Kafka *kafka, const char *topic)
{
    if (kafka->strategy == STRATEGY_SUBSCRIBE)
        return g_strv_contains((const char *const *)kafka->subscribe, topic);
    /* Java's consumer leaves internal topics out of pattern subscriptions. */
    if (g_str_has_prefix(topic, "__"))
        return FALSE;
    return g_regex_match(kafka->pattern, topic, 0, NULL);
}

/* The topic partitions the strategy reads now (offsets 0). */
static DuetKafkaOffsets *
discover(Kafka *kafka, GError **error)
{
    if (kafka->strategy == STRATEGY_ASSIGN)
        return duet_kafka_offsets_copy(kafka->assign);
    const struct rd_kafka_metadata *metadata = NULL;
    rd_kafka_resp_err_t code =
        rd_kafka_metadata(kafka->offset_reader, 1, NULL, &metadata, (int)kafka->timeout_ms);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        duet_kafka_source_broker_error(code, "fetching topic metadata", error);
        return NULL;
    }
    DuetKafkaOffsets *partitions = duet_kafka_offsets_new();
    for (int topic = 0; topic < metadata->topic_cnt; topic++) {
        const rd_kafka_metadata_topic_t *entry = &metadata->topics[topic];
        if (entry->err != RD_KAFKA_RESP_ERR_NO_ERROR || !topic_matches(kafka, entry->topic))
            continue;
        for (int partition = 0; partition < entry->partition_cnt; partition++)
            duet_kafka_offsets_put(partitions, entry->topic, entry->partitions[partition].id, 0);
    }
    rd_kafka_metadata_destroy(metadata);
    return partitions;
}

/* A broker's answer that a later attempt may not get: leadership not settled. */
static gboolean
transient(rd_kafka_resp_err_t code)
{
    return code == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
           code == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
           code == RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH ||
           code == RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH;
}

gboolean
duet_kafka_source_watermarks(Kafka *kafka, const char *topic, gint32 partition, gint64 *low,
                             gint64 *high, GError **error)
{
    int64_t earliest = 0, latest = 0;
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    /* Spark's KafkaOffsetReader: up to fetchOffset.numRetries attempts, fetchOffset.retryIntervalMs
     * apart. Spark retries any failure; here only the broker's transient answers (a partition
     * whose leader is not elected yet, as right after the topic was created, or moved), so that
     * a lasting error (no broker, no such topic) is not delayed. */
    for (gint64 attempt = 1;; attempt++) {
        code = rd_kafka_query_watermark_offsets(kafka->offset_reader, topic, partition, &earliest,
                                                &latest, (int)kafka->timeout_ms);
        if (!transient(code) || attempt >= kafka->fetch_attempts)
            break;
        g_usleep((gulong)(kafka->fetch_interval_ms * 1000));
    }
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        g_autofree char *what = g_strdup_printf("fetching the offsets of %s-%d", topic, partition);
        return duet_kafka_source_broker_error(code, what, error);
    }
    *low = earliest;
    *high = latest;
    return TRUE;
}

/* Sets every offset of partitions to its earliest (-2) or latest (-1) offset. */
static gboolean
fetch_offsets(Kafka *kafka, DuetKafkaOffsets *partitions, gint64 which, GError **error)
{
    for (guint index = 0; index < partitions->len; index++) {
        DuetKafkaPartitionOffset *entry =
            &g_array_index(partitions, DuetKafkaPartitionOffset, index);
        gint64 low, high;
        if (!duet_kafka_source_watermarks(kafka, entry->topic, entry->partition, &low, &high,
                                          error))
            return FALSE;
        entry->offset = which == -2 ? low : high;
    }
    return TRUE;
}

/* Spark's fetchSpecificOffsets: the given partitions must be all the partitions read; -2/-1
 * become the earliest/latest offsets, and a starting offset Kafka no longer (or not yet) has
 * is data loss, after which the consumer would start from the earliest one. (An ending offset
 * past the data is left for check_range to report when the range is read.) */
static DuetKafkaOffsets *
resolve_specific(Kafka *kafka, const DuetKafkaOffsets *given, gboolean starting, GError **error)
{
    g_autoptr(GArray) partitions = discover(kafka, error);
    if (partitions == NULL)
        return NULL;
    gboolean same = partitions->len == given->len;
    for (guint index = 0; same && index < partitions->len; index++) {
        DuetKafkaPartitionOffset *entry =
            &g_array_index(partitions, DuetKafkaPartitionOffset, index);
        same = duet_kafka_offsets_find(given, entry->topic, entry->partition) != NULL;
    }
    if (!same) {
        g_autofree char *specified = duet_kafka_offsets_partitions_string(given);
        g_autofree char *assigned = duet_kafka_offsets_partitions_string(partitions);
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "assertion failed: If startingOffsets contains specific offsets, you must "
                    "specify all TopicPartitions.\nUse -1 for latest, -2 for earliest.\n"
                    "Specified: %s Assigned: %s",
                    specified, assigned);
        return NULL;
    }
    DuetKafkaOffsets *resolved = duet_kafka_offsets_copy(given);
    for (guint index = 0; index < resolved->len; index++) {
        DuetKafkaPartitionOffset *entry = &g_array_index(resolved, DuetKafkaPartitionOffset, index);
        gint64 low, high;
        if (!duet_kafka_source_watermarks(kafka, entry->topic, entry->partition, &low, &high,
                                          error))
            goto failed;
        if (entry->offset == -2) {
            entry->offset = low;
        } else if (entry->offset == -1) {
            entry->offset = high;
        } else if (starting && (entry->offset < low || entry->offset > high)) {
            if (!duet_kafka_source_report_data_loss(
                    kafka, error,
                    "startingOffsets for %s-%d was %" G_GINT64_FORMAT
                    " but consumer reset to %" G_GINT64_FORMAT,
                    entry->topic, entry->partition, entry->offset, low))
                goto failed;
            entry->offset = low;
        }
    }
    return resolved;
failed:
    g_array_unref(resolved);
    return NULL;
}

/* Spark's initialPartitionOffsets: startingOffsets resolved once, on first need. */
static gboolean
ensure_initial(Kafka *kafka, GError **error)
{
    if (kafka->initial != NULL)
        return TRUE;
    DuetKafkaOffsets *initial = NULL;
    if (kafka->start_kind == START_SPECIFIC) {
        initial = resolve_specific(kafka, kafka->start_json, TRUE, error);
    } else {
        initial = discover(kafka, error);
        if (initial != NULL &&
            !fetch_offsets(kafka, initial, kafka->start_kind == START_EARLIEST ? -2 : -1, error))
            g_clear_pointer(&initial, g_array_unref);
    }
    /* Spark's KafkaSourceInitialOffsetWriter: kept, so that another process starts here too */
    if (initial != NULL && kafka->initial_path != NULL &&
        !duet_kafka_initial_offsets_write(kafka->initial_path, initial, error))
        g_clear_pointer(&initial, g_array_unref);
    kafka->initial = initial;
    return initial != NULL;
}

static gboolean
kafka_attach_log(DuetSource *source, const char *directory, GError **error)
{
    Kafka *kafka = duet_source_get_data(source);
    gboolean ok = TRUE;
    g_mutex_lock(&kafka->lock);
    if (kafka->initial_path == NULL) {
        char *path = g_build_filename(directory, "0", NULL);
        if (g_file_test(path, G_FILE_TEST_EXISTS)) {
            DuetKafkaOffsets *logged = duet_kafka_initial_offsets_read(path, error);
            ok = logged != NULL;
            if (ok && kafka->initial == NULL)
                kafka->initial = logged;
            else if (logged != NULL)
                g_array_unref(logged);
        } else if (kafka->initial != NULL) {
            ok = duet_kafka_initial_offsets_write(path, kafka->initial, error);
        }
        if (ok)
            kafka->initial_path = path;
        else
            g_free(path);
    }
    g_mutex_unlock(&kafka->lock);
    return ok;
}

/* The start of a partition: its offset in from, else (a partition that appeared since) its
 * earliest offset, which Spark expects to be 0. */
static gboolean
start_of(Kafka *kafka, const DuetKafkaOffsets *from, const char *topic, gint32 partition,
         gint64 *start, GError **error)
{
    const DuetKafkaPartitionOffset *known = duet_kafka_offsets_find(from, topic, partition);
    if (known != NULL) {
        *start = known->offset;
        return TRUE;
    }
    gint64 high;
    if (!duet_kafka_source_watermarks(kafka, topic, partition, start, &high, error))
        return FALSE;
    if (*start != 0 &&
        !duet_kafka_source_report_data_loss(kafka, error,
                                            "Added partition %s-%d starts from %" G_GINT64_FORMAT
                                            " instead of 0. Some data may have been missed",
                                            topic, partition, *start))
        return FALSE;
    return TRUE;
}

/* Spark's rateLimit: limit offsets spread over the partitions in proportion to how far each is
 * behind; a share under one offset rounds up so no partition starves. */
static gboolean
rate_limit(Kafka *kafka, gint64 limit, const DuetKafkaOffsets *from, DuetKafkaOffsets *until,
           GError **error)
{
    g_autoptr(GArray) begins = g_array_sized_new(FALSE, FALSE, sizeof(gint64), until->len);
    gdouble total = 0;
    for (guint index = 0; index < until->len; index++) {
        DuetKafkaPartitionOffset *end = &g_array_index(until, DuetKafkaPartitionOffset, index);
        gint64 begin;
        GError *local = NULL;
        /* a partition whose start is unknown is left to get_batch's data-loss checks */
        if (!start_of(kafka, from, end->topic, end->partition, &begin, &local)) {
            g_clear_error(&local);
            begin = end->offset;
        }
        g_array_append_val(begins, begin);
        if (end->offset > begin)
            total += (gdouble)(end->offset - begin);
    }
    if (total < 1)
        return TRUE;
    for (guint index = 0; index < until->len; index++) {
        DuetKafkaPartitionOffset *end = &g_array_index(until, DuetKafkaPartitionOffset, index);
        gint64 begin = g_array_index(begins, gint64, index);
        if (end->offset <= begin)
            continue;
        gdouble prorate = (gdouble)limit * ((gdouble)(end->offset - begin) / total);
        gint64 share = (gint64)(prorate < 1 ? ceil(prorate) : floor(prorate));
        gint64 offset = share > G_MAXINT64 - begin ? G_MAXINT64 : begin + share;
        end->offset = MIN(end->offset, offset);
    }
    return TRUE;
}

/* The latest offsets, or the Trigger.AvailableNow target when one is set (Spark's
 * latestOffset reads allDataForTriggerAvailableNow instead of the broker), rate-limited from
 * the last offset reported unless limited is FALSE; they become the last offset reported. */
static char *
latest_offset(DuetSource *source, gboolean limited, GError **error)
{
    Kafka *kafka = duet_source_get_data(source);
    g_mutex_lock(&kafka->lock);
    char *text = NULL;
    DuetKafkaOffsets *latest = NULL;
    if (!ensure_initial(kafka, error))
        goto done;
    if (kafka->target != NULL)
        latest = duet_kafka_offsets_copy(kafka->target);
    else if ((latest = discover(kafka, error)) == NULL || !fetch_offsets(kafka, latest, -1, error))
        goto done;
    if (limited && kafka->max_offsets > 0 &&
        !rate_limit(kafka, kafka->max_offsets, kafka->current ? kafka->current : kafka->initial,
                    latest, error))
        goto done;
    if (kafka->current)
        g_array_unref(kafka->current);
    kafka->current = g_array_ref(latest);
    /* no partition to read yet: no offset yet */
    text = latest->len > 0 ? duet_kafka_offsets_to_json(latest) : NULL;
done:
    if (latest)
        g_array_unref(latest);
    g_mutex_unlock(&kafka->lock);
    return text;
}

static char *
kafka_latest(DuetSource *source, GError **error)
{
    return latest_offset(source, TRUE, error);
}

/* Trigger.Once: maxOffsetsPerTrigger is ignored (Spark's MicroBatchExecution reads with
 * ReadLimit.allAvailable() then). */
static char *
kafka_latest_all(DuetSource *source, GError **error)
{
    return latest_offset(source, FALSE, error);
}

/* Spark's KafkaMicroBatchStream.prepareForTriggerAvailableNow: the broker's latest offsets now
 * are the target every later latest offset is limited towards. */
static gboolean
kafka_available_now(DuetSource *source, gboolean prepare, GError **error)
{
    Kafka *kafka = duet_source_get_data(source);
    g_mutex_lock(&kafka->lock);
    if (kafka->target)
        g_clear_pointer(&kafka->target, g_array_unref);
    DuetKafkaOffsets *latest = NULL;
    gboolean ok =
        !prepare || (ensure_initial(kafka, error) && (latest = discover(kafka, error)) != NULL &&
                     fetch_offsets(kafka, latest, -1, error));
    if (ok && prepare)
        kafka->target = g_steal_pointer(&latest);
    if (latest)
        g_array_unref(latest);
    g_mutex_unlock(&kafka->lock);
    return ok;
}

static void
kafka_resume(DuetSource *source, const char *end)
{
    Kafka *kafka = duet_source_get_data(source);
    GArray *until =
        duet_kafka_offsets_parse(end, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET, NULL);
    if (until == NULL)
        return; /* get_batch reports a malformed offset */
    g_mutex_lock(&kafka->lock);
    if (kafka->current == NULL)
        kafka->current = until;
    else
        g_array_unref(until);
    g_mutex_unlock(&kafka->lock);
}

static GPtrArray *
kafka_get_batch(DuetSource *source, const char *start, const char *end, GError **error)
{
    Kafka *kafka = duet_source_get_data(source);
    g_autoptr(GArray) until =
        duet_kafka_offsets_parse(end, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET, error);
    g_autoptr(GArray) from =
        start ? duet_kafka_offsets_parse(start, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET, error)
              : NULL;
    if (until == NULL || (start && from == NULL))
        return NULL;
    g_mutex_lock(&kafka->lock);
    GPtrArray *partitions = NULL;
    Range *ranges = g_new0(Range, MAX(until->len, 1));
    if (from == NULL) {
        if (!ensure_initial(kafka, error))
            goto done;
        from = duet_kafka_offsets_copy(kafka->initial);
    }
    /* after a restart the query asks for a logged batch before any latest offset: it is where
     * rate limiting continues from (Spark's getBatch) */
    if (kafka->current == NULL)
        kafka->current = duet_kafka_offsets_copy(until);
    for (guint index = 0; index < from->len; index++) {
        DuetKafkaPartitionOffset *entry = &g_array_index(from, DuetKafkaPartitionOffset, index);
        if (duet_kafka_offsets_find(until, entry->topic, entry->partition) == NULL &&
            !duet_kafka_source_report_data_loss(kafka, error,
                                                "%s-%d is gone. Some data may have been missed",
                                                entry->topic, entry->partition))
            goto done;
    }
    guint n_ranges = 0;
    for (guint index = 0; index < until->len; index++) {
        DuetKafkaPartitionOffset *entry = &g_array_index(until, DuetKafkaPartitionOffset, index);
        Range range = {
            .topic = entry->topic, .partition = entry->partition, .until = entry->offset};
        if (!start_of(kafka, from, entry->topic, entry->partition, &range.from, error))
            goto done;
        if (range.until < range.from) {
            if (!duet_kafka_source_report_data_loss(
                    kafka, error,
                    "Partition %s-%d's offset was changed from %" G_GINT64_FORMAT
                    " to %" G_GINT64_FORMAT ", some data may have been missed",
                    range.topic, range.partition, range.from, range.until))
                goto done;
            continue;
        }
        if (range.until > range.from && !duet_kafka_source_check_range(kafka, &range, error))
            goto done;
        ranges[n_ranges++] = range;
    }
    partitions =
        duet_kafka_source_read_ranges(kafka, duet_source_schema(source), ranges, n_ranges, error);
done:
    g_mutex_unlock(&kafka->lock);
    g_free(ranges);
    return partitions;
}

static const DuetSourceClass kafka_class = {
    .format = "kafka",
    .description = kafka_description,
    .latest_offset = kafka_latest,
    .get_batch = kafka_get_batch,
    .resume = kafka_resume,
    .finalize = kafka_finalize,
    .compare = duet_kafka_offsets_compare,
    .attach_log = kafka_attach_log,
    .latest_offset_all = kafka_latest_all,
    .available_now = kafka_available_now,
};

/* ---- options ------------------------------------------------------------------------------ */

/* Scala's String.toBoolean: "true" or "false" in any case. */
static gboolean
boolean_option(DuetSourceOptions *options, const char *key, gboolean fallback, gboolean *value,
               GError **error)
{
    const char *text = duet_source_options_get(options, key);
    if (text == NULL) {
        *value = fallback;
        return TRUE;
    }
    if (g_ascii_strcasecmp(text, "true") != 0 && g_ascii_strcasecmp(text, "false") != 0) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION, "For input string: \"%s\"",
                    text);
        return FALSE;
    }
    *value = g_ascii_strcasecmp(text, "true") == 0;
    return TRUE;
}

static gboolean
strategy_option(Kafka *kafka, DuetSourceOptions *options, GError **error)
{
    const char *value;
    if ((value = duet_source_options_get(options, "assign")) != NULL) {
        kafka->strategy = STRATEGY_ASSIGN;
        if ((kafka->assign = duet_kafka_partitions_parse(value, error)) == NULL)
            return FALSE;
        g_autofree char *set = duet_kafka_offsets_partitions_string(kafka->assign);
        /* "Set(a-0, a-1)" -> "Assign[a-0, a-1]" */
        kafka->strategy_text = g_strdup_printf("Assign[%.*s]", (int)strlen(set) - 5, set + 4);
    } else if ((value = duet_source_options_get(options, "subscribe")) != NULL) {
        kafka->strategy = STRATEGY_SUBSCRIBE;
        g_auto(GStrv) parts = g_strsplit(value, ",", -1);
        GPtrArray *topics = g_ptr_array_new();
        for (guint index = 0; parts[index]; index++)
            if (*g_strstrip(parts[index]) != '\0')
                g_ptr_array_add(topics, g_strdup(parts[index]));
        g_ptr_array_add(topics, NULL);
        kafka->subscribe = (char **)g_ptr_array_free(topics, FALSE);
        g_autofree char *list = g_strjoinv(", ", kafka->subscribe);
        kafka->strategy_text = g_strdup_printf("Subscribe[%s]", list);
    } else {
        kafka->strategy = STRATEGY_SUBSCRIBE_PATTERN;
        g_autofree char *pattern =
            g_strstrip(g_strdup(duet_source_options_get(options, "subscribePattern")));
        /* Java's Matcher.matches(): the whole topic name */
        g_autofree char *anchored = g_strdup_printf("\\A(?:%s)\\z", pattern);
        GError *local = NULL;
        kafka->pattern = g_regex_new(anchored, 0, 0, &local);
        if (kafka->pattern == NULL) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                        "Invalid value '%s' for option 'subscribePattern': %s", pattern,
                        local->message);
            g_error_free(local);
            return FALSE;
        }
        kafka->strategy_text = g_strdup_printf("SubscribePattern[%s]", pattern);
    }
    return TRUE;
}

static gboolean
starting_offsets_option(Kafka *kafka, DuetSourceOptions *options, const char *fallback,
                        GError **error)
{
    const char *value = duet_source_options_get(options, "startingOffsets");
    g_autofree char *trimmed = g_strstrip(g_strdup(value ? value : fallback));
    if (g_ascii_strcasecmp(trimmed, "latest") == 0) {
        kafka->start_kind = START_LATEST;
    } else if (g_ascii_strcasecmp(trimmed, "earliest") == 0) {
        kafka->start_kind = START_EARLIEST;
    } else {
        kafka->start_kind = START_SPECIFIC;
        kafka->start_json =
            duet_kafka_offsets_parse(trimmed, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION, error);
        if (kafka->start_json == NULL)
            return FALSE;
    }
    return TRUE;
}

static rd_kafka_t *
new_consumer(DuetSourceOptions *options, GError **error)
{
    rd_kafka_conf_t *conf =
        duet_kafka_conf_new(options, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION, error);
    if (conf == NULL)
        return NULL;
    /* A read asks for a range the broker already holds (its end came from the latest
     * offsets), so a fetch has no reason to wait for more data: librdkafka's default long poll
     * (500 ms) would only hold the range's last fetch, and the broker's queue behind it. */
    if (duet_source_options_get(options, "kafka.fetch.wait.max.ms") == NULL &&
        !duet_kafka_conf_set(conf, "fetch.wait.max.ms", "10", DUET_SOURCE_ERROR,
                             DUET_SOURCE_ERROR_FAILED, error)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /* the source decides every offset; nothing is committed to Kafka */
    if (!duet_kafka_conf_set(conf, "enable.auto.commit", "false", DUET_SOURCE_ERROR,
                             DUET_SOURCE_ERROR_FAILED, error) ||
        !duet_kafka_conf_set(conf, "enable.auto.offset.store", "false", DUET_SOURCE_ERROR,
                             DUET_SOURCE_ERROR_FAILED, error)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    char reason[512];
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, reason, sizeof reason);
    if (consumer == NULL) {
        rd_kafka_conf_destroy(conf);
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Failed to construct kafka consumer: %s", reason);
    }
    return consumer;
}

/* A Kafka source whose startingOffsets defaults to start_default ("latest" streaming,
 * "earliest" for a batch read); options already validated. */
static DuetSource *
create(DuetSourceOptions *options, DuetSchema *user_schema, const char *start_default,
       GError **error)
{
    if (user_schema != NULL) {
        g_set_error_literal(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                            "requirement failed: Kafka source has a fixed schema and cannot be "
                            "set with a custom one");
        return NULL;
    }
    Kafka *kafka = g_new0(Kafka, 1);
    g_mutex_init(&kafka->lock);
    kafka->topics = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)rd_kafka_topic_destroy);
    if (!strategy_option(kafka, options, error) ||
        !starting_offsets_option(kafka, options, start_default, error) ||
        !boolean_option(options, "failOnDataLoss", TRUE, &kafka->fail_on_data_loss, error) ||
        !boolean_option(options, "includeHeaders", FALSE, &kafka->include_headers, error) ||
        !duet_source_options_get_int(options, "maxOffsetsPerTrigger", 0, FALSE, &kafka->max_offsets,
                                     error) ||
        !duet_source_options_get_int(options, "kafkaConsumer.pollTimeoutMs", 120000, FALSE,
                                     &kafka->timeout_ms, error) ||
        !duet_source_options_get_int(options, "fetchOffset.numRetries", 3, FALSE,
                                     &kafka->fetch_attempts, error) ||
        !duet_source_options_get_int(options, "fetchOffset.retryIntervalMs", 1000, TRUE,
                                     &kafka->fetch_interval_ms, error) ||
        (kafka->consumer = new_consumer(options, error)) == NULL ||
        (kafka->offset_reader = new_consumer(options, error)) == NULL) {
        kafka_finalize(kafka);
        return NULL;
    }
    kafka->timeout_ms = MIN(kafka->timeout_ms, G_MAXINT);
    kafka->fetch_interval_ms = MIN(kafka->fetch_interval_ms, G_MAXINT / 1000);
    g_autoptr(DuetSchema) schema = duet_schema_parse(
        kafka->include_headers ? KAFKA_SCHEMA HEADERS_COLUMN : KAFKA_SCHEMA, NULL);
    g_assert(schema != NULL);
    return duet_source_new_internal(&kafka_class, schema, kafka);
}

DuetSource *
duet_kafka_source_new(DuetSourceOptions *options, DuetSchema *user_schema, GError **error)
{
    if (!duet_kafka_validate_stream_options(options, error))
        return NULL;
    return create(options, user_schema, "latest", error);
}

DuetSource *
duet_kafka_source_new_batch(DuetSourceOptions *options, GError **error)
{
    if (!duet_kafka_validate_batch_options(options, error))
        return NULL;
    return create(options, NULL, "earliest", error);
}

char *
duet_kafka_source_resolve_offsets(DuetSource *source, const char *bound, gboolean starting,
                                  GError **error)
{
    g_return_val_if_fail(source != NULL && bound != NULL, NULL);
    Kafka *kafka = duet_source_get_data(source);
    g_autofree char *trimmed = g_strstrip(g_strdup(bound));
    DuetKafkaOffsets *offsets = NULL;
    g_mutex_lock(&kafka->lock);
    if (g_ascii_strcasecmp(trimmed, "earliest") == 0 ||
        g_ascii_strcasecmp(trimmed, "latest") == 0) {
        offsets = discover(kafka, error);
        if (offsets != NULL &&
            !fetch_offsets(kafka, offsets, g_ascii_strcasecmp(trimmed, "earliest") == 0 ? -2 : -1,
                           error))
            g_clear_pointer(&offsets, g_array_unref);
    } else {
        g_autoptr(GArray) given =
            duet_kafka_offsets_parse(trimmed, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION, error);
        if (given != NULL)
            offsets = resolve_specific(kafka, given, starting, error);
    }
    g_mutex_unlock(&kafka->lock);
    if (offsets == NULL)
        return NULL;
    char *text = duet_kafka_offsets_to_json(offsets);
    g_array_unref(offsets);
    return text;
}
