/* kafka_bench.c — Kafka produce and consume throughput of duet's sink and source, next to kcat.
 *
 * Layer: tests/bench (a benchmark, never run as a test). Against the broker at
 * $DUET_KAFKA_BOOTSTRAP (tests/scripts/kafka_bench.sh starts a real one and runs this):
 *   duet produce: --messages 100-byte values written by the Kafka sink (idempotent producer,
 *                 acks=all, its defaults) in batches of --batch rows, each batch flushed and
 *                 acknowledged before the next, into a topic of one partition;
 *   duet consume: the same records read back by the Kafka source, --batch offsets per
 *                 micro-batch (maxOffsetsPerTrigger), every row materialised in a batch;
 *   kcat produce / consume: `kcat -P` of the same messages from a file (one a line) and
 *                 `kcat -C -e` of them to /dev/null, timed as processes, on topics of their own.
 * Prints messages/s and MB/s (payload bytes, 10^6) per line. Generation happens before timing.
 *
 * Usage: kafka_bench [--messages 1000000] [--batch 100000] [--no-kcat] [--kafka NAME=VALUE]...
 * (--kafka: a producer setting for duet's sink, as its option kafka.NAME)
 */
#include "sinks/sink.h"
#include "sources/source.h"

#include <glib/gstdio.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MESSAGE_BYTES 100

static void
create_topic(const char *bootstrap, const char *topic)
{
    char reason[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, reason, sizeof reason);
    rd_kafka_t *admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
    if (admin == NULL)
        g_error("kafka_bench: %s", reason);
    rd_kafka_NewTopic_t *new_topic = rd_kafka_NewTopic_new(topic, 1, 1, reason, sizeof reason);
    rd_kafka_queue_t *queue = rd_kafka_queue_new(admin);
    rd_kafka_CreateTopics(admin, &new_topic, 1, NULL, queue);
    rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 60000);
    if (event == NULL || rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR)
        g_error("kafka_bench: creating %s: %s", topic,
                event ? rd_kafka_event_error_string(event) : "no answer");
    rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    rd_kafka_NewTopic_destroy(new_topic);
    /* until the partition has a leader */
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    for (gboolean ready = FALSE; !ready;) {
        if (g_get_monotonic_time() > deadline)
            g_error("kafka_bench: %s has no leader", topic);
        rd_kafka_topic_t *handle = rd_kafka_topic_new(admin, topic, NULL);
        const struct rd_kafka_metadata *metadata = NULL;
        ready =
            rd_kafka_metadata(admin, 0, handle, &metadata, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            metadata->topic_cnt == 1 && metadata->topics[0].partition_cnt == 1 &&
            metadata->topics[0].partitions[0].leader >= 0;
        if (metadata)
            rd_kafka_metadata_destroy(metadata);
        rd_kafka_topic_destroy(handle);
    }
    rd_kafka_destroy(admin);
}

/* Message index as 100 printable bytes: its number, then filler. */
static void
fill_message(char *out, gint64 index)
{
    int length = g_snprintf(out, MESSAGE_BYTES + 1, "%012" G_GINT64_FORMAT "-", index);
    for (int at = length; at < MESSAGE_BYTES; at++)
        out[at] = (char)('a' + (index + at) % 26);
}

static void
report(const char *what, gint64 messages, gdouble seconds)
{
    printf("%-16s %9" G_GINT64_FORMAT " msgs %8.2f s %12.0f msgs/s %8.1f MB/s\n", what, messages,
           seconds, messages / seconds, messages * (gdouble)MESSAGE_BYTES / 1e6 / seconds);
    fflush(stdout);
}

static gdouble
duet_produce(const char *bootstrap, const char *topic, gint64 n_messages, gint64 batch_rows,
             char **settings)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("value BINARY", NULL);
    GPtrArray *batches = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    char message[MESSAGE_BYTES + 1];
    for (gint64 start = 0; start < n_messages; start += batch_rows) {
        gint64 rows = MIN(batch_rows, n_messages - start);
        DuetBatchBuilder *builder = duet_batch_builder_new(schema, (gsize)rows);
        for (gint64 row = 0; row < rows; row++) {
            fill_message(message, start + row);
            duet_batch_builder_append_string(builder, 0, message, MESSAGE_BYTES);
        }
        g_ptr_array_add(batches, duet_batch_builder_finish(builder, NULL));
        duet_batch_builder_free(builder);
    }
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "kafka.bootstrap.servers", bootstrap);
    duet_source_options_set(options, "topic", topic);
    for (guint index = 0; settings[index] != NULL; index++) {
        g_auto(GStrv) pair = g_strsplit(settings[index], "=", 2);
        g_autofree char *key = g_strconcat("kafka.", pair[0], NULL);
        duet_source_options_set(options, key, pair[1] ? pair[1] : "");
    }
    GError *error = NULL;
    DuetSink *sink = duet_kafka_sink_new(schema, options, &error);
    g_hash_table_unref(options);
    if (sink == NULL)
        g_error("kafka_bench: %s", error->message);
    gint64 started = g_get_monotonic_time();
    for (guint index = 0; index < batches->len; index++) {
        GPtrArray *partitions = duet_sink_partitions_of(g_ptr_array_index(batches, index));
        if (!duet_sink_add_batch(sink, index, partitions, DUET_OUTPUT_MODE_APPEND, &error))
            g_error("kafka_bench: writing batch %u: %s", index, error->message);
        g_ptr_array_unref(partitions);
    }
    gdouble seconds = (g_get_monotonic_time() - started) / 1e6;
    duet_sink_unref(sink);
    g_ptr_array_unref(batches);
    return seconds;
}

static gdouble
duet_consume(const char *bootstrap, const char *topic, gint64 n_messages, gint64 batch_rows)
{
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "kafka.bootstrap.servers", bootstrap);
    duet_source_options_set(options, "subscribe", topic);
    duet_source_options_set(options, "startingOffsets", "earliest");
    g_autofree char *limit = g_strdup_printf("%" G_GINT64_FORMAT, batch_rows);
    duet_source_options_set(options, "maxOffsetsPerTrigger", limit);
    GError *error = NULL;
    DuetSource *source = duet_source_new("kafka", options, NULL, NULL, 1, &error);
    g_hash_table_unref(options);
    if (source == NULL)
        g_error("kafka_bench: %s", error->message);
    gint64 started = g_get_monotonic_time(), rows = 0, bytes = 0;
    char *start = NULL;
    while (rows < n_messages) {
        char *end = duet_source_latest_offset(source, &error);
        if (end == NULL)
            g_error("kafka_bench: latest offset: %s", error ? error->message : "none");
        GPtrArray *partitions = duet_source_get_batch(source, start, end, &error);
        if (partitions == NULL)
            g_error("kafka_bench: reading: %s", error->message);
        for (guint partition = 0; partition < partitions->len; partition++) {
            GPtrArray *list = g_ptr_array_index(partitions, partition);
            for (guint batch_idx = 0; batch_idx < list->len; batch_idx++) {
                DuetBatch *batch = g_ptr_array_index(list, batch_idx);
                for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
                    DuetRow view = duet_batch_row(batch, row);
                    gsize length = 0;
                    duet_row_get_string(&view, 1, &length);
                    bytes += (gint64)length;
                }
                rows += (gint64)duet_batch_n_rows(batch);
            }
        }
        g_ptr_array_unref(partitions);
        g_free(start);
        start = end;
    }
    gdouble seconds = (g_get_monotonic_time() - started) / 1e6;
    g_free(start);
    duet_source_unref(source);
    if (rows != n_messages || bytes != n_messages * MESSAGE_BYTES)
        g_error("kafka_bench: read %" G_GINT64_FORMAT " rows (%" G_GINT64_FORMAT
                " bytes), expected %" G_GINT64_FORMAT,
                rows, bytes, n_messages);
    return seconds;
}

/* Runs a shell command, returning its wall time; aborts if it fails. */
static gdouble
timed_shell(const char *command)
{
    const char *argv[] = {"sh", "-c", command, NULL};
    gint64 started = g_get_monotonic_time();
    gint status = 0;
    GError *error = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                      &status, &error) ||
        !g_spawn_check_wait_status(status, &error))
        g_error("kafka_bench: %s: %s", command, error->message);
    return (g_get_monotonic_time() - started) / 1e6;
}

int
main(int argc, char **argv)
{
    gint64 n_messages = 1000000, batch_rows = 100000;
    gboolean kcat = TRUE;
    g_autoptr(GPtrArray) settings = g_ptr_array_new();
    for (int arg = 1; arg < argc; arg++) {
        if (g_str_equal(argv[arg], "--messages") && arg + 1 < argc)
            n_messages = g_ascii_strtoll(argv[++arg], NULL, 10);
        else if (g_str_equal(argv[arg], "--batch") && arg + 1 < argc)
            batch_rows = g_ascii_strtoll(argv[++arg], NULL, 10);
        else if (g_str_equal(argv[arg], "--no-kcat"))
            kcat = FALSE;
        else if (g_str_equal(argv[arg], "--kafka") && arg + 1 < argc)
            g_ptr_array_add(settings, argv[++arg]);
        else {
            fprintf(stderr, "usage: kafka_bench [--messages N] [--batch N] [--no-kcat] [--kafka "
                            "NAME=VALUE]...\n");
            return 2;
        }
    }
    const char *bootstrap = g_getenv("DUET_KAFKA_BOOTSTRAP");
    if (bootstrap == NULL || n_messages <= 0 || batch_rows <= 0) {
        fprintf(stderr, "kafka_bench: set DUET_KAFKA_BOOTSTRAP (tests/scripts/kafka_bench.sh "
                        "starts a broker and does), and positive counts\n");
        return 2;
    }
    g_autofree char *suffix =
        g_strdup_printf("%d-%" G_GINT64_FORMAT, (int)getpid(), g_get_real_time() / G_USEC_PER_SEC);
    g_autofree char *duet_topic = g_strconcat("bench-duet-", suffix, NULL);
    g_autofree char *kcat_topic = g_strconcat("bench-kcat-", suffix, NULL);
    create_topic(bootstrap, duet_topic);
    printf("kafka_bench: %" G_GINT64_FORMAT " messages of %d bytes, broker %s, one partition\n",
           n_messages, MESSAGE_BYTES, bootstrap);
    g_ptr_array_add(settings, NULL);
    report("duet produce", n_messages,
           duet_produce(bootstrap, duet_topic, n_messages, batch_rows, (char **)settings->pdata));
    report("duet consume", n_messages, duet_consume(bootstrap, duet_topic, n_messages, batch_rows));
    if (!kcat || g_find_program_in_path("kcat") == NULL) {
        printf("kcat: SKIPPED (%s)\n", kcat ? "not installed; ./duet installs it" : "--no-kcat");
        return 0;
    }
    create_topic(bootstrap, kcat_topic);
    /* the same messages, one a line, written before timing */
    g_autofree char *dir = g_dir_make_tmp("duet-kafka-bench-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "messages", NULL);
    FILE *out = fopen(file, "w");
    char message[MESSAGE_BYTES + 1];
    for (gint64 index = 0; index < n_messages; index++) {
        fill_message(message, index);
        fwrite(message, 1, MESSAGE_BYTES, out);
        fputc('\n', out);
    }
    fclose(out);
    g_autofree char *produce =
        g_strdup_printf("kcat -P -b '%s' -t '%s' -p 0 < '%s'", bootstrap, kcat_topic, file);
    report("kcat -P", n_messages, timed_shell(produce));
    g_autofree char *consume = g_strdup_printf(
        "kcat -C -b '%s' -t '%s' -p 0 -o beginning -e -q > '%s.read'", bootstrap, kcat_topic, file);
    report("kcat -C", n_messages, timed_shell(consume));
    g_autofree char *read_path = g_strconcat(file, ".read", NULL);
    GStatBuf info;
    if (g_stat(read_path, &info) != 0 || info.st_size != n_messages * (MESSAGE_BYTES + 1))
        g_error("kafka_bench: kcat -C read %lld bytes, expected %" G_GINT64_FORMAT,
                (long long)info.st_size, n_messages * (MESSAGE_BYTES + 1));
    g_unlink(read_path);
    g_unlink(file);
    g_rmdir(dir);
    return 0;
}
