/* kafka_peer.c — duet's Kafka source and sink as a command, for scripts that check them
 * against an independent peer (kcat) on a real broker or on `duet kafka-mock`.
 *
 * Layer: tests/. Links sinks/ and sources/ only.
 *   kafka_peer BOOTSTRAP create TOPIC PARTITIONS   create a topic (Admin API), wait for leaders
 *   kafka_peer BOOTSTRAP read TOPIC                 every record, earliest to latest (a batch
 *                                                   read with includeHeaders), one line each:
 *                                                   PARTITION\tOFFSET\tKEY\tVALUE\tHEADERS
 *   kafka_peer BOOTSTRAP write TOPIC PARTITION      lines KEY\tVALUE[\tH=V,H=V] from standard
 *                                                   input written by the Kafka sink as batch 0
 * HEADERS is kcat's %h: name=value pairs joined by ",", empty without headers; a null key is
 * printed empty, as kcat prints it. Exit status 0, or 1 with the error on standard error.
 */
#include "sinks/sink.h"
#include "sources/source.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
fail(const char *what, GError *error)
{
    fprintf(stderr, "kafka_peer: %s: %s\n", what, error ? error->message : "failed");
    g_clear_error(&error);
    return 1;
}

static int
create_topic(const char *bootstrap, const char *topic, int partitions)
{
    char reason[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, reason, sizeof reason);
    rd_kafka_t *admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
    if (admin == NULL) {
        fprintf(stderr, "kafka_peer: %s\n", reason);
        return 1;
    }
    rd_kafka_NewTopic_t *new_topic =
        rd_kafka_NewTopic_new(topic, partitions, 1, reason, sizeof reason);
    rd_kafka_queue_t *queue = rd_kafka_queue_new(admin);
    rd_kafka_CreateTopics(admin, &new_topic, 1, NULL, queue);
    rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 60000);
    int status = 0;
    if (event == NULL || rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "kafka_peer: creating %s: %s\n", topic,
                event ? rd_kafka_event_error_string(event) : "no answer");
        status = 1;
    } else {
        size_t n = 0;
        const rd_kafka_topic_result_t **results =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &n);
        for (size_t index = 0; index < n; index++)
            if (rd_kafka_topic_result_error(results[index]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                fprintf(stderr, "kafka_peer: creating %s: %s\n", topic,
                        rd_kafka_topic_result_error_string(results[index]));
                status = 1;
            }
    }
    if (event)
        rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    rd_kafka_NewTopic_destroy(new_topic);
    /* leaders elected: metadata shows every partition led */
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    gboolean ready = status != 0;
    while (!ready && g_get_monotonic_time() < deadline) {
        rd_kafka_topic_t *handle = rd_kafka_topic_new(admin, topic, NULL);
        const struct rd_kafka_metadata *metadata = NULL;
        if (rd_kafka_metadata(admin, 0, handle, &metadata, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            metadata->topic_cnt == 1 && metadata->topics[0].partition_cnt == partitions) {
            ready = TRUE;
            for (int partition = 0; partition < partitions; partition++)
                ready = ready && metadata->topics[0].partitions[partition].leader >= 0;
        }
        if (metadata)
            rd_kafka_metadata_destroy(metadata);
        rd_kafka_topic_destroy(handle);
    }
    rd_kafka_destroy(admin);
    if (!ready && status == 0) {
        fprintf(stderr, "kafka_peer: %s has no leaders after 60 s\n", topic);
        status = 1;
    }
    return status;
}

static void
print_bytes(GString *line, const DuetRow *row, guint column)
{
    if (duet_row_is_null(row, column))
        return;
    gsize length;
    const char *data = duet_row_get_string(row, column, &length);
    g_string_append_len(line, data, (gssize)length);
}

static int
read_topic(const char *bootstrap, const char *topic)
{
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "kafka.bootstrap.servers", bootstrap);
    duet_source_options_set(options, "subscribe", topic);
    duet_source_options_set(options, "includeHeaders", "true");
    duet_source_options_set(options, "kafkaConsumer.pollTimeoutMs", "30000");
    GError *error = NULL;
    GPtrArray *partitions = duet_kafka_read_range(options, NULL, NULL, NULL, &error);
    g_hash_table_unref(options);
    if (partitions == NULL)
        return fail("reading", error);
    GString *line = g_string_new(NULL);
    for (guint partition = 0; partition < partitions->len; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
            DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
            for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
                DuetRow row = duet_batch_row(batch, row_idx);
                g_string_printf(line, "%d\t%" G_GINT64_FORMAT "\t", duet_row_get_int32(&row, 3),
                                duet_row_get_int64(&row, 4));
                print_bytes(line, &row, 0);
                g_string_append_c(line, '\t');
                print_bytes(line, &row, 1);
                g_string_append_c(line, '\t');
                if (!duet_row_is_null(&row, 7)) {
                    DuetValue list;
                    duet_row_get_value(&row, 7, &list);
                    for (gsize index = 0; index < duet_value_list_length(&list); index++) {
                        DuetValue element, key, value;
                        duet_value_list_get(&list, index, &element);
                        duet_value_struct_get(&element, 0, &key);
                        duet_value_struct_get(&element, 1, &value);
                        g_string_append_printf(line, "%s%.*s=", index ? "," : "",
                                               (int)key.v.str.len, key.v.str.data);
                        if (!value.is_null)
                            g_string_append_len(line, value.v.str.data, (gssize)value.v.str.len);
                    }
                }
                puts(line->str);
            }
        }
    }
    g_string_free(line, TRUE);
    g_ptr_array_unref(partitions);
    return 0;
}

static int
write_topic(const char *bootstrap, const char *topic, gint32 partition)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse(
        "key STRING, value STRING, partition INT, headers ARRAY<STRUCT<key: STRING, value: "
        "BINARY>>",
        NULL);
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, 1024);
    char buffer[65536];
    while (fgets(buffer, sizeof buffer, stdin) != NULL) {
        buffer[strcspn(buffer, "\n")] = '\0';
        g_auto(GStrv) fields = g_strsplit(buffer, "\t", 3);
        if (fields[0] == NULL || fields[1] == NULL) {
            fprintf(stderr, "kafka_peer: expected KEY\\tVALUE[\\tH=V,...], got '%s'\n", buffer);
            duet_batch_builder_free(builder);
            return 1;
        }
        duet_batch_builder_append_string(builder, 0, fields[0], -1);
        duet_batch_builder_append_string(builder, 1, fields[1], -1);
        duet_batch_builder_append_int32(builder, 2, partition);
        DuetColumnBuilder *headers = duet_batch_builder_column(builder, 3);
        if (fields[2] == NULL || *fields[2] == '\0') {
            duet_column_builder_append_null(headers);
            continue;
        }
        DuetColumnBuilder *element = duet_column_builder_child(headers, 0);
        g_auto(GStrv) pairs = g_strsplit(fields[2], ",", -1);
        for (guint index = 0; pairs[index] != NULL; index++) {
            char *equals = strchr(pairs[index], '=');
            const char *value = equals ? equals + 1 : "";
            if (equals)
                *equals = '\0';
            duet_column_builder_append_string(duet_column_builder_child(element, 0), pairs[index],
                                              -1);
            duet_column_builder_append_string(duet_column_builder_child(element, 1), value, -1);
            duet_column_builder_end_struct(element);
        }
        duet_column_builder_end_list(headers);
    }
    GError *error = NULL;
    DuetBatch *batch = duet_batch_builder_finish(builder, &error);
    duet_batch_builder_free(builder);
    if (batch == NULL)
        return fail("building the batch", error);
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "kafka.bootstrap.servers", bootstrap);
    duet_source_options_set(options, "topic", topic);
    DuetSink *sink = duet_kafka_sink_new(schema, options, &error);
    g_hash_table_unref(options);
    if (sink == NULL) {
        duet_batch_unref(batch);
        return fail("creating the sink", error);
    }
    GPtrArray *partitions = duet_sink_partitions_of(batch);
    gboolean ok = duet_sink_add_batch(sink, 0, partitions, DUET_OUTPUT_MODE_APPEND, &error);
    g_ptr_array_unref(partitions);
    duet_batch_unref(batch);
    duet_sink_unref(sink);
    return ok ? 0 : fail("writing", error);
}

int
main(int argc, char **argv)
{
    if (argc >= 5 && g_str_equal(argv[2], "create"))
        return create_topic(argv[1], argv[3], atoi(argv[4]));
    if (argc >= 4 && g_str_equal(argv[2], "read"))
        return read_topic(argv[1], argv[3]);
    if (argc >= 5 && g_str_equal(argv[2], "write"))
        return write_topic(argv[1], argv[3], atoi(argv[4]));
    fprintf(stderr, "usage: kafka_peer BOOTSTRAP create TOPIC PARTITIONS | read TOPIC | "
                    "write TOPIC PARTITION\n");
    return 2;
}
