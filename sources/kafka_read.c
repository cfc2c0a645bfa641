/* kafka_read.c — the Kafka source's reading: offset ranges of topic partitions into batches.
 *
 * Layer: sources/. Includes sources/ only (and librdkafka). kafka_source.c decides the ranges;
 * this file checks each against what Kafka still holds (Spark's failOnDataLoss rules) and reads
 * it with librdkafka's simple consumer, one output partition per Kafka partition, every range
 * fetching at once. Records become Spark's Kafka rows (KafkaRecordToRowConverter), headers
 * included when asked.
 */
#include "sources/kafka_source_private.h"

#include <string.h>

static rd_kafka_topic_t *
topic_handle(Kafka *kafka, const char *topic, GError **error)
{
    rd_kafka_topic_t *handle = g_hash_table_lookup(kafka->topics, topic);
    if (handle != NULL)
        return handle;
    handle = rd_kafka_topic_new(kafka->consumer, topic, NULL);
    if (handle == NULL) {
        duet_kafka_source_broker_error(rd_kafka_last_error(), "opening a topic", error);
        return NULL;
    }
    g_hash_table_insert(kafka->topics, g_strdup(topic), handle);
    return handle;
}

/* Checks a range against what Kafka holds: records before the earliest offset are gone,
 * records past the latest are not there. Without failOnDataLoss the range shrinks to what
 * can be read. */
gboolean
duet_kafka_source_check_range(Kafka *kafka, Range *range, GError **error)
{
    gint64 low, high;
    if (!duet_kafka_source_watermarks(kafka, range->topic, range->partition, &low, &high, error))
        return FALSE;
    if (range->from < low) {
        if (!duet_kafka_source_report_data_loss(
                kafka, error,
                "Cannot fetch offset %" G_GINT64_FORMAT " (TopicPartition: %s-%d)"
                ": the earliest offset Kafka has is %" G_GINT64_FORMAT
                ". Some data may have been missed",
                range->from, range->topic, range->partition, low))
            return FALSE;
        range->from = MIN(low, range->until);
    }
    if (range->until > high) {
        if (!duet_kafka_source_report_data_loss(
                kafka, error,
                "Cannot fetch offset %" G_GINT64_FORMAT " (TopicPartition: %s-%d)"
                ": the latest offset Kafka has is %" G_GINT64_FORMAT
                ". Some data may have been missed",
                range->until - 1, range->topic, range->partition, high))
            return FALSE;
        range->until = MAX(high, range->from);
    }
    return TRUE;
}

static void
append_bytes(DuetBatchBuilder *builder, guint column, const void *data, size_t length)
{
    if (data == NULL)
        duet_batch_builder_append_null(builder, column);
    else
        duet_batch_builder_append_string(builder, column, data, (gssize)length);
}

/* Spark's headers column: every header in order, (key, value), a null value kept; null for
 * a record without headers. */
static void
append_headers(DuetColumnBuilder *column, rd_kafka_message_t *message)
{
    rd_kafka_headers_t *headers = NULL;
    if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_cnt(headers) == 0) {
        duet_column_builder_append_null(column);
        return;
    }
    DuetColumnBuilder *element = duet_column_builder_child(column, 0);
    const char *name;
    const void *value;
    size_t length;
    for (size_t index = 0; rd_kafka_header_get_all(headers, index, &name, &value, &length) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
         index++) {
        duet_column_builder_append_string(duet_column_builder_child(element, 0), name, -1);
        if (value == NULL)
            duet_column_builder_append_null(duet_column_builder_child(element, 1));
        else
            duet_column_builder_append_string(duet_column_builder_child(element, 1), value,
                                              (gssize)length);
        duet_column_builder_end_struct(element);
    }
    duet_column_builder_end_list(column);
}

/* Appends the records of [from, until) of a started partition to builder. */
static gboolean
read_range(Kafka *kafka, Range *range, DuetBatchBuilder *builder, GError **error)
{
    gint64 next = range->from;
    gint64 deadline = g_get_monotonic_time() / 1000 + kafka->timeout_ms;
    while (next < range->until) {
        gint64 remaining = deadline - g_get_monotonic_time() / 1000;
        rd_kafka_message_t *message =
            remaining > 0 ? rd_kafka_consume(range->handle, range->partition, (int)remaining)
                          : NULL;
        if (message == NULL) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED,
                        "Cannot fetch record for offset %" G_GINT64_FORMAT " in %" G_GINT64_FORMAT
                        " milliseconds (TopicPartition: %s-%d)",
                        next, kafka->timeout_ms, range->topic, range->partition);
            return FALSE;
        }
        rd_kafka_resp_err_t code = message->err;
        if (code == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(message);
            continue;
        }
        if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_message_destroy(message);
            if (code == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
                code == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
                if (!duet_kafka_source_report_data_loss(
                        kafka, error,
                        "Cannot fetch offset %" G_GINT64_FORMAT
                        " (TopicPartition: %s-%d). Some data may have been missed",
                        next, range->topic, range->partition))
                    return FALSE;
                return TRUE; /* what is left of the range is gone */
            }
            g_autofree char *what = g_strdup_printf("reading %s-%d at offset %" G_GINT64_FORMAT,
                                                    range->topic, range->partition, next);
            return duet_kafka_source_broker_error(code, what, error);
        }
        if (message->offset >= next && message->offset < range->until) {
            rd_kafka_timestamp_type_t type;
            gint64 timestamp = rd_kafka_message_timestamp(message, &type);
            append_bytes(builder, 0, message->key, message->key_len);
            append_bytes(builder, 1, message->payload, message->len);
            duet_batch_builder_append_string(builder, 2, range->topic, -1);
            duet_batch_builder_append_int32(builder, 3, range->partition);
            duet_batch_builder_append_int64(builder, 4, message->offset);
            duet_batch_builder_append_int64(builder, 5, timestamp * 1000);
            /* Java's TimestampType ids: -1 none, 0 CreateTime, 1 LogAppendTime */
            duet_batch_builder_append_int32(builder, 6, (gint32)type - 1);
            if (kafka->include_headers)
                append_headers(duet_batch_builder_column(builder, 7), message);
            next = message->offset + 1; /* a compacted topic may skip offsets */
        }
        rd_kafka_message_destroy(message);
    }
    return TRUE;
}

static void
free_partition_list(gpointer data)
{
    g_ptr_array_unref(data);
}

/* Reads every range into one partition each; ranges start fetching together. */
GPtrArray *
duet_kafka_source_read_ranges(Kafka *kafka, DuetSchema *schema, Range *ranges, guint n_ranges,
                              GError **error)
{
    gboolean ok = TRUE;
    for (guint index = 0; ok && index < n_ranges; index++) {
        Range *range = &ranges[index];
        if (range->from >= range->until)
            continue;
        ok = (range->handle = topic_handle(kafka, range->topic, error)) != NULL;
        if (ok && rd_kafka_consume_start(range->handle, range->partition, range->from) != 0) {
            g_autofree char *what =
                g_strdup_printf("starting to read %s-%d", range->topic, range->partition);
            ok = duet_kafka_source_broker_error(rd_kafka_last_error(), what, error);
        }
        range->started = ok;
    }
    GPtrArray *partitions = g_ptr_array_new_with_free_func(free_partition_list);
    for (guint index = 0; ok && index < n_ranges; index++) {
        Range *range = &ranges[index];
        DuetBatchBuilder *builder =
            duet_batch_builder_new(schema, (gsize)CLAMP(range->until - range->from, 1, 65536));
        ok = !range->started || read_range(kafka, range, builder, error);
        DuetBatch *batch = ok ? duet_batch_builder_finish(builder, error) : NULL;
        duet_batch_builder_free(builder);
        if (batch == NULL) {
            ok = FALSE;
            break;
        }
        GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(list, batch);
        g_ptr_array_add(partitions, list);
    }
    for (guint index = 0; index < n_ranges; index++)
        if (ranges[index].started)
            rd_kafka_consume_stop(ranges[index].handle, ranges[index].partition);
    if (!ok)
        g_clear_pointer(&partitions, g_ptr_array_unref);
    return partitions;
}

/* After a restart the first latest offset may come before any batch is read (the last batch
 * was committed): the rate limit counts from the checkpoint's end, not the initial offsets. */
