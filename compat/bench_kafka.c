/* bench_kafka.c — `duet bench kafka-to-kafka`: end-to-end latency from one topic to another.
 *
 * Layer: compat/ (includes dstream/, structured/, sinks/ and librdkafka). The child of one API
 * starts librdkafka's mock cluster (or uses --bootstrap), makes two topics of two partitions,
 * starts the job — Structured: readStream kafka -> upper(CAST(value AS STRING)) -> writeStream
 * kafka, default trigger; DStream: createDirectStream -> map(upper(value)) -> the Kafka sink,
 * one batch every --batch-ms on the system clock — and then, as the outside world, produces
 * each batch of 100-byte records ("b<batch> r<row> ...") with its own librdkafka producer and
 * reads the output topic with its own consumer thread. A batch is done when all its records
 * came out; its latency is from when it was due (rate mode) or when its production began
 * (--saturate: the next batch is produced once the previous one is out) to its last record
 * out. processing_ms is that same end-to-end time; CPU counts the whole process (the harness's
 * producer and consumer included).
 */
#include "compat/bench.h"
#include "dstream/kafka_input.h"
#include "sinks/sink.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RECORD_BYTES     100
#define TOPIC_PARTITIONS 2
#define BATCH_TIMEOUT_US (120 * G_USEC_PER_SEC)
/* Every consumer (the jobs' and the harness's) answers a fetch as soon as there is a record:
 * the mock cluster otherwise holds each fetch for fetch.wait.max.ms, 500 ms by default. */
#define FETCH_WAIT_MS "5"

typedef struct {
    const char *bootstrap;
    const char *topic;
    gint quit;        /* set to stop the thread */
    GMutex lock;      /* guards the arrays */
    GCond arrived;    /* a record arrived */
    GArray *received; /* gint64 per batch: records out */
    GArray *last_us;  /* gint64 per batch: monotonic time of its last record out */
    char *error;      /* a consumer error, or NULL */
} OutputReader;

static void
quiet_log(const rd_kafka_t *handle, int level, const char *facility, const char *message)
{
    g_debug("bench kafka [%d] %s: %s", level, facility, message);
}

static rd_kafka_conf_t *
new_conf(const char *bootstrap)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char reason[256];
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, reason, sizeof reason);
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    return conf;
}

static void
note_record(OutputReader *reader, const char *value, gsize length)
{
    /* "B<batch> R<row> ...", upper-cased by the job */
    char head[32];
    gsize copy = MIN(length, sizeof head - 1);
    memcpy(head, value, copy);
    head[copy] = '\0';
    gint64 batch = head[0] == 'B' ? g_ascii_strtoll(head + 1, NULL, 10) : -1;
    g_mutex_lock(&reader->lock);
    if (batch >= 0 && (guint)batch < reader->received->len) {
        g_array_index(reader->received, gint64, batch)++;
        g_array_index(reader->last_us, gint64, batch) = g_get_monotonic_time();
        g_cond_broadcast(&reader->arrived);
    }
    g_mutex_unlock(&reader->lock);
}

static gpointer
read_output(gpointer data)
{
    OutputReader *reader = data;
    rd_kafka_conf_t *conf = new_conf(reader->bootstrap);
    char reason[512];
    g_autofree char *group = g_strdup_printf("duet-bench-%d", (int)getpid());
    rd_kafka_conf_set(conf, "group.id", group, reason, sizeof reason);
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", reason, sizeof reason);
    rd_kafka_conf_set(conf, "fetch.wait.max.ms", FETCH_WAIT_MS, reason, sizeof reason);
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, reason, sizeof reason);
    if (consumer == NULL) {
        rd_kafka_conf_destroy(conf);
        g_mutex_lock(&reader->lock);
        reader->error = g_strdup_printf("cannot make the output consumer: %s", reason);
        g_cond_broadcast(&reader->arrived);
        g_mutex_unlock(&reader->lock);
        return NULL;
    }
    rd_kafka_poll_set_consumer(consumer);
    /* assigned, not subscribed: no group rebalance delays the first batch */
    rd_kafka_topic_partition_list_t *partitions =
        rd_kafka_topic_partition_list_new(TOPIC_PARTITIONS);
    for (int partition = 0; partition < TOPIC_PARTITIONS; partition++)
        rd_kafka_topic_partition_list_add(partitions, reader->topic, partition)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(consumer, partitions);
    rd_kafka_topic_partition_list_destroy(partitions);
    while (!g_atomic_int_get(&reader->quit)) {
        rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer, 50);
        if (message == NULL)
            continue;
        if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && message->payload)
            note_record(reader, message->payload, message->len);
        rd_kafka_message_destroy(message);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    return NULL;
}

static void
upper_value(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize length = 0;
    const char *key = duet_row_get_string(row, 0, &length);
    if (key)
        duet_batch_builder_append_string(out, 0, key, (gssize)length);
    else
        duet_batch_builder_append_null(out, 0);
    const char *value = duet_row_get_string(row, 1, &length);
    char *upper = duet_task_scratch_strndup(value ? value : "", value ? length : 0);
    for (gsize at = 0; at < length; at++)
        upper[at] = g_ascii_toupper(upper[at]);
    duet_batch_builder_append_string(out, 1, upper, (gssize)length);
}

static DuetSink *
output_sink(DuetSchema *schema, const char *bootstrap, const char *topic, GError **error)
{
    GHashTable *options = duet_source_options_new();
    duet_source_options_set(options, "kafka.bootstrap.servers", bootstrap);
    duet_source_options_set(options, "topic", topic);
    DuetSink *sink = duet_kafka_sink_new(schema, options, error);
    g_hash_table_unref(options);
    return sink;
}

/* The running job of one API. */
typedef struct {
    DuetContext *context;
    DuetStreamingQuery *query;
    DuetStreamingContext *ssc;
} Job;

static gboolean
start_job(Job *job, const DuetBenchConfig *config, const char *api, const char *bootstrap,
          const char *in_topic, const char *out_topic, GError **error)
{
    job->context = duet_context_new(config->master, error);
    if (job->context == NULL)
        return FALSE;
    g_autofree char *partitions = g_strdup_printf("%u", config->workload.partitions);
    duet_context_set_conf(job->context, "spark.sql.shuffle.partitions", partitions);
    if (g_str_equal(api, "structured")) {
        DuetSourceOptions *options = duet_source_options_new();
        duet_source_options_set(options, "kafka.bootstrap.servers", bootstrap);
        duet_source_options_set(options, "subscribe", in_topic);
        duet_source_options_set(options, "startingOffsets", "earliest");
        duet_source_options_set(options, "kafka.fetch.wait.max.ms", FETCH_WAIT_MS);
        g_autoptr(DuetSource) source =
            duet_source_new("kafka", options, NULL, duet_context_clock(job->context),
                            duet_context_parallelism(job->context), error);
        g_hash_table_unref(options);
        if (source == NULL)
            return FALSE;
        g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(source);
        static const char *const columns[] = {"CAST(key AS STRING) AS key",
                                              "upper(CAST(value AS STRING)) AS value"};
        g_autoptr(DuetDataFrame) upper = duet_dataframe_select_exprv(input, columns, 2, error);
        if (upper == NULL)
            return FALSE;
        g_autoptr(DuetSink) sink =
            output_sink(duet_dataframe_schema(upper), bootstrap, out_topic, error);
        if (sink == NULL)
            return FALSE;
        job->query = duet_streaming_query_start(job->context, upper, sink, DUET_OUTPUT_MODE_APPEND,
                                                NULL, NULL, "kafka-to-kafka", error);
        return job->query != NULL;
    }
    job->ssc = duet_streaming_context_new(job->context, config->workload.batch_ms, error);
    if (job->ssc == NULL)
        return FALSE;
    GHashTable *params = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(params, "bootstrap.servers", (gpointer)bootstrap);
    g_hash_table_insert(params, "auto.offset.reset", "earliest");
    g_hash_table_insert(params, "fetch.wait.max.ms", FETCH_WAIT_MS);
    DuetKafkaConsumerStrategy strategy = {DUET_KAFKA_SUBSCRIBE, in_topic, params, NULL};
    g_autoptr(DuetDStream) stream =
        duet_kafka_utils_create_direct_stream(job->ssc, &strategy, error);
    g_hash_table_unref(params);
    if (stream == NULL)
        return FALSE;
    g_autoptr(DuetSchema) schema = duet_schema_parse("key STRING, value STRING", NULL);
    g_autoptr(DuetDStream) upper = duet_dstream_map(stream, schema, upper_value, NULL);
    g_autoptr(DuetSink) sink = output_sink(schema, bootstrap, out_topic, error);
    if (sink == NULL)
        return FALSE;
    duet_dstream_write_to_sink(upper, sink);
    return duet_streaming_context_start(job->ssc, error);
}

static void
stop_job(Job *job)
{
    if (job->query) {
        duet_streaming_query_stop(job->query);
        duet_streaming_query_unref(job->query);
    }
    if (job->ssc) {
        duet_streaming_context_stop(job->ssc, FALSE);
        duet_streaming_context_unref(job->ssc);
    }
    if (job->context)
        duet_context_unref(job->context);
}

/* Topics on a real broker (the mock cluster makes them directly). */
static gboolean
create_topics(const char *bootstrap, const char *const *names, GError **error)
{
    char reason[512];
    rd_kafka_t *admin = rd_kafka_new(RD_KAFKA_PRODUCER, new_conf(bootstrap), reason, sizeof reason);
    if (admin == NULL) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_FAILED, "--bootstrap: %s", reason);
        return FALSE;
    }
    rd_kafka_NewTopic_t *topics[2];
    for (guint index = 0; index < 2; index++)
        topics[index] =
            rd_kafka_NewTopic_new(names[index], TOPIC_PARTITIONS, 1, reason, sizeof reason);
    rd_kafka_queue_t *queue = rd_kafka_queue_new(admin);
    rd_kafka_CreateTopics(admin, topics, 2, NULL, queue);
    rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 30000);
    gboolean ok = event != NULL && rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!ok)
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_FAILED,
                    "--bootstrap %s: cannot create the bench topics: %s", bootstrap,
                    event ? rd_kafka_event_error_string(event) : "no answer in 30 s");
    if (event)
        rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    rd_kafka_NewTopic_destroy_array(topics, 2);
    rd_kafka_destroy(admin);
    return ok;
}

static gboolean
produce_batch(rd_kafka_t *producer, const char *topic, gint64 batch, gint64 rows, GError **error)
{
    char value[RECORD_BYTES + 1];
    for (gint64 row = 0; row < rows; row++) {
        int length = g_snprintf(value, sizeof value, "b%" G_GINT64_FORMAT " r%" G_GINT64_FORMAT " ",
                                batch, row);
        for (int at = length; at < RECORD_BYTES; at++)
            value[at] = (char)('a' + (row + at) % 26);
        for (;;) {
            rd_kafka_resp_err_t code = rd_kafka_producev(
                producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(value, RECORD_BYTES),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (code == RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
            if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_FAILED,
                            "producing the input: %s", rd_kafka_err2str(code));
                return FALSE;
            }
            rd_kafka_poll(producer, 10);
        }
    }
    rd_kafka_flush(producer, 30000);
    return TRUE;
}

/* Waits until batch is all out (or the deadline); its last record's time, or -1. */
static gint64
wait_batch(OutputReader *reader, gint64 batch, gint64 rows, gint64 deadline_us, volatile gint *stop)
{
    gint64 last = -1;
    g_mutex_lock(&reader->lock);
    while (g_array_index(reader->received, gint64, batch) < rows && reader->error == NULL &&
           g_get_monotonic_time() < deadline_us && !g_atomic_int_get(stop))
        g_cond_wait_until(&reader->arrived, &reader->lock,
                          MIN(deadline_us, g_get_monotonic_time() + 100000));
    if (g_array_index(reader->received, gint64, batch) >= rows)
        last = g_array_index(reader->last_us, gint64, batch);
    g_mutex_unlock(&reader->lock);
    return last;
}

int
duet_bench_kafka_run(const DuetBenchConfig *config, const char *api, volatile gint *stop, FILE *out)
{
    GError *error = NULL;
    g_autofree char *in_topic = g_strdup_printf("duet-bench-in-%d", (int)getpid());
    g_autofree char *out_topic = g_strdup_printf("duet-bench-out-%d", (int)getpid());
    const char *const names[] = {in_topic, out_topic};
    rd_kafka_t *mock_handle = NULL;
    rd_kafka_mock_cluster_t *cluster = NULL;
    const char *bootstrap = config->bootstrap;
    char reason[512];
    if (bootstrap == NULL) {
        /* the mock cluster lives in a client handle of its own, which never connects */
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set_log_cb(conf, quiet_log);
        mock_handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
        if (mock_handle == NULL)
            rd_kafka_conf_destroy(conf);
        cluster = mock_handle ? rd_kafka_mock_cluster_new(mock_handle, 1) : NULL;
        if (cluster == NULL) {
            duet_bench_print_error(out, "cannot start librdkafka's mock cluster");
            if (mock_handle)
                rd_kafka_destroy(mock_handle);
            return 1;
        }
        for (guint index = 0; index < 2; index++)
            rd_kafka_mock_topic_create(cluster, names[index], TOPIC_PARTITIONS, 1);
        bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
    } else if (!create_topics(bootstrap, names, &error)) {
        duet_bench_print_error(out, error->message);
        g_error_free(error);
        return 1;
    }
    gint64 planned = config->batches > 0
                         ? config->batches
                         : MAX((gint64)(config->duration_s * 1000) / config->workload.batch_ms, 1);
    if (config->saturate && config->batches == 0)
        planned = 100000; /* bounded by the duration instead */
    OutputReader reader = {.bootstrap = bootstrap, .topic = out_topic};
    g_mutex_init(&reader.lock);
    g_cond_init(&reader.arrived);
    reader.received = g_array_sized_new(FALSE, TRUE, sizeof(gint64), (guint)MIN(planned, 100000));
    reader.last_us = g_array_sized_new(FALSE, TRUE, sizeof(gint64), (guint)MIN(planned, 100000));
    g_array_set_size(reader.received, (guint)planned);
    g_array_set_size(reader.last_us, (guint)planned);
    GThread *thread = g_thread_new("bench-output", read_output, &reader);
    Job job = {0};
    rd_kafka_t *producer = NULL;
    gboolean ok = start_job(&job, config, api, bootstrap, in_topic, out_topic, &error);
    if (ok) {
        rd_kafka_conf_t *conf = new_conf(bootstrap);
        rd_kafka_conf_set(conf, "linger.ms", "1", reason, sizeof reason);
        producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
        if (producer == NULL) {
            rd_kafka_conf_destroy(conf);
            g_set_error(&error, DUET_SINK_ERROR, DUET_SINK_ERROR_FAILED,
                        "cannot make the input producer: %s", reason);
            ok = FALSE;
        }
    }
    gint64 started = g_get_monotonic_time();
    GArray *due = g_array_new(FALSE, FALSE, sizeof(gint64));
    gint64 produced = 0, reported = 0;
    gdouble cpu_mark = duet_bench_cpu_ms();
    while (ok && !g_atomic_int_get(stop) && produced < planned) {
        if (config->saturate && config->batches == 0 && produced > 0 &&
            g_get_monotonic_time() - started >= (gint64)(config->duration_s * 1e6))
            break;
        gint64 due_us = config->saturate
                            ? g_get_monotonic_time()
                            : started + (produced + 1) * config->workload.batch_ms * 1000;
        if (!config->saturate)
            duet_bench_sleep_until(due_us, stop);
        if (g_atomic_int_get(stop))
            break;
        g_array_append_val(due, due_us);
        ok = produce_batch(producer, in_topic, produced, config->batch_rows, &error);
        produced++;
        /* report the batches that are out, in order; --saturate waits for each */
        while (ok && reported < produced) {
            gboolean must_wait = config->saturate || produced == planned;
            gint64 deadline = must_wait ? g_get_monotonic_time() + BATCH_TIMEOUT_US : 0;
            /* in slices of a second, so that a query that failed ends the wait with its error */
            g_autoptr(GError) failure = NULL;
            gint64 last = -1;
            for (;;) {
                gint64 slice = MIN(deadline, g_get_monotonic_time() + G_USEC_PER_SEC);
                last =
                    wait_batch(&reader, reported, config->batch_rows, must_wait ? slice : 0, stop);
                if (last >= 0 || !must_wait || g_atomic_int_get(stop) ||
                    g_get_monotonic_time() >= deadline)
                    break;
                if (job.query && (failure = duet_streaming_query_exception(job.query)) != NULL)
                    break;
            }
            if (last < 0) {
                if (failure)
                    g_set_error(&error, DUET_SINK_ERROR, DUET_SINK_ERROR_FAILED,
                                "batch %" G_GINT64_FORMAT ": the query failed: %s", reported,
                                failure->message);
                else if (must_wait && !g_atomic_int_get(stop))
                    g_set_error(&error, DUET_SINK_ERROR, DUET_SINK_ERROR_FAILED,
                                "batch %" G_GINT64_FORMAT " did not come out of %s within %d s%s%s",
                                reported, out_topic, (int)(BATCH_TIMEOUT_US / G_USEC_PER_SEC),
                                reader.error ? ": " : "", reader.error ? reader.error : "");
                if (failure || (must_wait && !g_atomic_int_get(stop)))
                    ok = FALSE;
                break;
            }
            gdouble cpu_now = duet_bench_cpu_ms();
            gint64 batch_due = g_array_index(due, gint64, reported);
            DuetBenchSample sample = {
                .batch = reported,
                .t_s = (last - started) / 1e6,
                .rows = config->batch_rows,
                .output_rows = config->batch_rows,
                .latency_ms = (last - batch_due) / 1000.0,
                .processing_ms = (last - batch_due) / 1000.0,
                .cpu_ms = cpu_now - cpu_mark,
            };
            cpu_mark = cpu_now;
            duet_bench_print_sample(out, &sample);
            reported++;
        }
        if (!config->saturate && produced == planned)
            break;
    }
    /* a stop between batches: report what is already out */
    g_atomic_int_set(&reader.quit, 1);
    g_thread_join(thread);
    if (producer)
        rd_kafka_destroy(producer);
    stop_job(&job);
    g_array_unref(due);
    g_array_unref(reader.received);
    g_array_unref(reader.last_us);
    g_free(reader.error);
    g_mutex_clear(&reader.lock);
    g_cond_clear(&reader.arrived);
    if (cluster)
        rd_kafka_mock_cluster_destroy(cluster);
    if (mock_handle)
        rd_kafka_destroy(mock_handle);
    if (!ok) {
        duet_bench_print_error(out, error ? error->message : "unknown failure");
        g_clear_error(&error);
        return 1;
    }
    duet_bench_print_totals(out, g_atomic_int_get(stop) != 0, -1);
    return 0;
}
