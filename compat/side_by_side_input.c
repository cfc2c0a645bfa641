/* side_by_side_input.c — the one source a side-by-side run reads, and what feeds it.
 *
 * Layer: compat/. `--source` picks the shared source both APIs read: the example's generator
 * into a memory source (the default), into files of a temporary directory (file_monitoring),
 * into a Kafka topic of librdkafka's mock cluster started here (kafka_word_count), or an
 * external peer that feeds itself: socket:HOST:PORT, kafka:BOOTSTRAP/TOPIC, file:DIR,
 * zmq:ENDPOINT. Generated input goes through the same public paths a user's data would: the
 * memory source's add, files renamed into the directory, and duet's Kafka sink.
 */
#include "compat/side_by_side_private.h"

#include "rdd/atomic_file.h"

#include <gio/gio.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>

struct _DuetSideBySideInput {
    DuetSource *source;      /* what both APIs read */
    char *description;       /* for the status line */
    DuetSchema *line_schema; /* "value STRING" */
    DuetSideBySideInputKind kind;
    char *directory;         /* GENERATED_FILES: the watched directory (removed at the end) */
    guint files_written;     /* GENERATED_FILES: names part-00000.txt, ... */
    rd_kafka_t *mock_handle; /* GENERATED_KAFKA: the handle owning the mock cluster */
    rd_kafka_mock_cluster_t *mock_cluster; /* GENERATED_KAFKA */
    DuetSink *kafka_producer; /* GENERATED_KAFKA: duet's Kafka sink writing the lines */
    gint64 produced_batches;  /* GENERATED_KAFKA: the producer sink's batch ids */
};

static void
quiet_log(const rd_kafka_t *handle, int level, const char *facility, const char *message)
{
    g_debug("side-by-side kafka [%d] %s: %s", level, facility, message);
}

static gboolean
start_mock_kafka(DuetSideBySideInput *input, const char *topic, GError **error)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    char reason[512];
    input->mock_handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
    if (input->mock_handle == NULL) {
        rd_kafka_conf_destroy(conf);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot start a Kafka client: %s",
                    reason);
        return FALSE;
    }
    input->mock_cluster = rd_kafka_mock_cluster_new(input->mock_handle, 1);
    if (input->mock_cluster == NULL ||
        rd_kafka_mock_topic_create(input->mock_cluster, topic, 2, 1) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot start Kafka's mock cluster with topic '%s' (no free loopback port?)",
                    topic);
        return FALSE;
    }
    return TRUE;
}

/* --source kafka:BOOTSTRAP/TOPIC: the bootstrap servers and the topic, split at the last '/'. */
static gboolean
split_kafka(const char *target, char **bootstrap, char **topic, GError **error)
{
    const char *slash = strrchr(target, '/');
    if (slash == NULL || slash == target || slash[1] == '\0') {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--source kafka:%s: expected kafka:BOOTSTRAP/TOPIC (kafka:mock/TOPIC for a "
                    "cluster in memory)",
                    target);
        return FALSE;
    }
    *bootstrap = g_strndup(target, (gsize)(slash - target));
    *topic = g_strdup(slash + 1);
    return TRUE;
}

/* --source socket:HOST:PORT */
static gboolean
split_socket(const char *target, char **host, char **port, GError **error)
{
    const char *colon = strrchr(target, ':');
    char *end = NULL;
    gint64 number = colon ? g_ascii_strtoll(colon + 1, &end, 10) : 0;
    if (colon == NULL || colon == target || end == colon + 1 || *end != '\0' || number <= 0 ||
        number > 65535) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--source socket:%s: expected socket:HOST:PORT with a port in 1..65535",
                    target);
        return FALSE;
    }
    *host = g_strndup(target, (gsize)(colon - target));
    *port = g_strdup(colon + 1);
    return TRUE;
}

static DuetSource *
open_source(const char *format, DuetSourceOptions *options, DuetContext *context, const char *spec,
            GError **error)
{
    DuetSource *source =
        duet_source_new(format, options, NULL, duet_context_clock(context), 2, error);
    if (source == NULL)
        g_prefix_error(error, "--source %s: ", spec);
    return source;
}

DuetSideBySideInput *
duet_side_by_side_input_new(const DuetExample *example, const char *spec, DuetContext *context,
                            guint32 seed, guint lines_per_batch, GError **error)
{
    g_autoptr(DuetSideBySideInput) input = g_new0(DuetSideBySideInput, 1);
    input->line_schema = duet_schema_parse("value STRING", NULL);
    if (spec == NULL)
        spec = example->default_source ? example->default_source : "generator";
    const char *colon = strchr(spec, ':');
    g_autofree char *kind = colon ? g_strndup(spec, (gsize)(colon - spec)) : g_strdup(spec);
    const char *target = colon ? colon + 1 : NULL;
    g_autoptr(GHashTable) options = duet_source_options_new();
    if (g_str_equal(kind, "generator") || (g_str_equal(kind, "file") && target == NULL)) {
        gboolean files = g_str_equal(kind, "file");
        if (files) {
            input->directory = g_dir_make_tmp("duet-files-XXXXXX", error);
            if (input->directory == NULL)
                return NULL;
            duet_source_options_set(options, "path", input->directory);
            /* files are renamed in whole: no need to wait and see them settle, which would
             * let the first engine to list a file miss it and the second take it */
            duet_source_options_set(options, "minFileAge", "0");
            input->source = open_source("text", options, context, spec, error);
        } else {
            input->source = duet_memory_source_new(input->line_schema);
        }
        input->kind = files ? DUET_SIDE_BY_SIDE_GENERATED_FILES : DUET_SIDE_BY_SIDE_GENERATED;
        input->description =
            g_strdup_printf("generator (seed %u, %u lines a batch)%s%s", seed, lines_per_batch,
                            files ? " into files of " : "", files ? input->directory : "");
    } else if (g_str_equal(kind, "kafka") && target != NULL) {
        g_autofree char *bootstrap = NULL, *topic = NULL;
        if (!split_kafka(target, &bootstrap, &topic, error))
            return NULL;
        gboolean mock = g_str_equal(bootstrap, "mock");
        if (mock) {
            if (!start_mock_kafka(input, topic, error))
                return NULL;
            g_free(bootstrap);
            bootstrap = g_strdup(rd_kafka_mock_cluster_bootstraps(input->mock_cluster));
        }
        duet_source_options_set(options, "kafka.bootstrap.servers", bootstrap);
        duet_source_options_set(options, "subscribe", topic);
        duet_source_options_set(options, "startingOffsets", mock ? "earliest" : "latest");
        input->source = open_source("kafka", options, context, spec, error);
        if (input->source != NULL && mock) {
            g_autoptr(GHashTable) sink_options =
                g_hash_table_new_full(g_str_hash, g_str_equal, NULL, NULL);
            g_hash_table_insert(sink_options, "kafka.bootstrap.servers", bootstrap);
            g_hash_table_insert(sink_options, "topic", topic);
            input->kafka_producer = duet_kafka_sink_new(input->line_schema, sink_options, error);
            if (input->kafka_producer == NULL)
                return NULL;
        }
        input->kind = mock ? DUET_SIDE_BY_SIDE_GENERATED_KAFKA : DUET_SIDE_BY_SIDE_EXTERNAL;
        input->description =
            mock ? g_strdup_printf("generator (seed %u, %u lines a batch) into topic '%s' of "
                                   "Kafka's mock cluster at %s",
                                   seed, lines_per_batch, topic, bootstrap)
                 : g_strdup_printf("Kafka topic '%s' at %s", topic, bootstrap);
    } else if (g_str_equal(kind, "socket") && target != NULL) {
        g_autofree char *host = NULL, *port = NULL;
        if (!split_socket(target, &host, &port, error))
            return NULL;
        duet_source_options_set(options, "host", host);
        duet_source_options_set(options, "port", port);
        input->source = open_source("socket", options, context, spec, error);
        input->kind = DUET_SIDE_BY_SIDE_EXTERNAL;
        input->description = g_strdup_printf("socket %s:%s", host, port);
    } else if (g_str_equal(kind, "file")) {
        duet_source_options_set(options, "path", target);
        input->source = open_source("text", options, context, spec, error);
        input->kind = DUET_SIDE_BY_SIDE_EXTERNAL;
        input->description = g_strdup_printf("new files in %s", target);
    } else if (g_str_equal(kind, "zmq") && target != NULL) {
        duet_source_options_set(options, "endpoint", target);
        input->source = open_source("zmq", options, context, spec, error);
        input->kind = DUET_SIDE_BY_SIDE_EXTERNAL;
        input->description = g_strdup_printf("ZeroMQ %s", target);
    } else {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--source %s: unknown source (expected generator, socket:HOST:PORT, "
                    "kafka:BOOTSTRAP/TOPIC, file[:DIR] or zmq:ENDPOINT)",
                    spec);
        return NULL;
    }
    if (input->source == NULL)
        return NULL;
    return g_steal_pointer(&input);
}

DuetSource *
duet_side_by_side_input_source(DuetSideBySideInput *input)
{
    return input->source;
}

const char *
duet_side_by_side_input_description(DuetSideBySideInput *input)
{
    return input->description;
}

DuetSideBySideInputKind
duet_side_by_side_input_kind(DuetSideBySideInput *input)
{
    return input->kind;
}

static DuetBatch *
batch_of_lines(DuetSideBySideInput *input, GPtrArray *lines)
{
    DuetBatchBuilder *builder = duet_batch_builder_new(input->line_schema, lines->len);
    for (guint line_idx = 0; line_idx < lines->len; line_idx++)
        duet_batch_builder_append_string(builder, 0, lines->pdata[line_idx], -1);
    DuetBatch *batch = duet_batch_builder_finish(builder, NULL);
    duet_batch_builder_free(builder);
    return batch;
}

gboolean
duet_side_by_side_input_feed(DuetSideBySideInput *input, GPtrArray *lines, GError **error)
{
    switch (input->kind) {
    case DUET_SIDE_BY_SIDE_GENERATED: {
        g_autoptr(DuetBatch) batch = batch_of_lines(input, lines);
        duet_memory_source_add(input->source, batch);
        return TRUE;
    }
    case DUET_SIDE_BY_SIDE_GENERATED_FILES: {
        /* a whole file appears at once: written beside, then renamed in (atomic_file does) */
        g_autoptr(GString) text = g_string_new(NULL);
        for (guint line_idx = 0; line_idx < lines->len; line_idx++)
            g_string_append_printf(text, "%s\n", (char *)lines->pdata[line_idx]);
        g_autofree char *name = g_strdup_printf("part-%05u.txt", input->files_written++);
        g_autofree char *path = g_build_filename(input->directory, name, NULL);
        return duet_atomic_file_write(path, text->str, text->len, error);
    }
    case DUET_SIDE_BY_SIDE_GENERATED_KAFKA: {
        g_autoptr(DuetBatch) batch = batch_of_lines(input, lines);
        g_autoptr(GPtrArray) partitions = duet_sink_partitions_of(batch);
        return duet_sink_add_batch(input->kafka_producer, input->produced_batches++, partitions,
                                   DUET_OUTPUT_MODE_APPEND, error);
    }
    case DUET_SIDE_BY_SIDE_EXTERNAL:
        break;
    }
    return TRUE;
}

void
duet_side_by_side_input_free(DuetSideBySideInput *input)
{
    if (input == NULL)
        return;
    if (input->kafka_producer)
        duet_sink_unref(input->kafka_producer);
    if (input->source)
        duet_source_unref(input->source);
    if (input->mock_cluster)
        rd_kafka_mock_cluster_destroy(input->mock_cluster);
    if (input->mock_handle)
        rd_kafka_destroy(input->mock_handle);
    if (input->directory) {
        duet_remove_tree(input->directory);
        g_free(input->directory);
    }
    duet_schema_unref(input->line_schema);
    g_free(input->description);
    g_free(input);
}
