/* test_receiver.c — tests of dstream/receiver.c and dstream/socket_receiver.c: a custom
 * receiver's records land in the next batch, listeners hear receiver events, the PID rate
 * estimator follows Spark's arithmetic, and socketTextStream reads a real peer process that
 * sends, disconnects and comes back. Waits are on conditions (records stored, batch done),
 * never sleeps. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"

#include <zmq.h>
#include "dstream/receiver.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    GPtrArray *outputs;
    GMutex lock;
    guint started, stopped, errors;
    GString *messages;
} Record;

static gboolean
collect_output(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    Record *record = user_data;
    g_autoptr(DuetBatch) batch = duet_rdd_collect(rdd, error);
    if (batch == NULL)
        return FALSE;
    g_ptr_array_add(record->outputs, duet_test_render_sorted(batch));
    return TRUE;
}

static void
on_started(const char *name, gpointer user_data)
{
    Record *record = user_data;
    g_mutex_lock(&record->lock);
    record->started++;
    g_mutex_unlock(&record->lock);
}

static void
on_stopped(const char *name, const char *message, gpointer user_data)
{
    Record *record = user_data;
    g_mutex_lock(&record->lock);
    record->stopped++;
    g_mutex_unlock(&record->lock);
}

static void
on_error(const char *name, const char *message, gpointer user_data)
{
    Record *record = user_data;
    g_mutex_lock(&record->lock);
    record->errors++;
    g_string_append_printf(record->messages, "%s;", message);
    g_mutex_unlock(&record->lock);
}

static void
record_init(Record *record)
{
    record->outputs = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&record->lock);
    record->messages = g_string_new(NULL);
    record->started = record->stopped = record->errors = 0;
}

static void
record_clear(Record *record)
{
    g_ptr_array_unref(record->outputs);
    g_mutex_clear(&record->lock);
    g_string_free(record->messages, TRUE);
}

/* A receiver whose records the test stores itself. */
static void
manual_on_start(DuetReceiver *receiver, gpointer user_data)
{
    *(DuetReceiver **)user_data = receiver;
}

static void
manual_on_stop(DuetReceiver *receiver, gpointer user_data)
{
}

static void
test_custom_receiver(void)
{
    GError *error = NULL;
    g_autoptr(DuetContext) spark = duet_context_new("local[2]", &error);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    duet_context_set_clock(spark, clock);
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(spark, 1000, &error);
    Record record;
    record_init(&record);
    DuetStreamingListener listener = {.receiver_started = on_started,
                                      .receiver_stopped = on_stopped,
                                      .receiver_error = on_error,
                                      .user_data = &record};
    duet_streaming_context_add_listener(ssc, &listener);
    static const DuetReceiverFuncs funcs = {manual_on_start, manual_on_stop};
    DuetReceiver *started = NULL;
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    g_autoptr(DuetDStream) lines =
        duet_streaming_context_receiver_stream(ssc, schema, &funcs, &started, NULL);
    duet_dstream_foreach_rdd(lines, collect_output, &record);
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(ssc, &error));
    DuetReceiver *receiver = duet_dstream_receiver(lines);
    CU_ASSERT_PTR_EQUAL(started, receiver);
    ASSERT_INT_EQ(record.started, 1);
    CU_ASSERT_FALSE(duet_receiver_is_stopped(receiver));

    duet_receiver_store_string(receiver, "x", -1);
    duet_receiver_store_string(receiver, "y", -1);
    duet_clock_set_ms(clock, 1000);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 1000, 60000));
    duet_clock_set_ms(clock, 2000); /* nothing stored: an empty batch */
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 2000, 60000));
    DuetValue value = duet_value_string("z", 1);
    duet_receiver_store_values(receiver, &value);
    duet_clock_set_ms(clock, 3000);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 3000, 60000));
    ASSERT_INT_EQ(record.outputs->len, 3);
    ASSERT_STR_EQ(record.outputs->pdata[0], "[x, y]");
    ASSERT_STR_EQ(record.outputs->pdata[1], "[]");
    ASSERT_STR_EQ(record.outputs->pdata[2], "[z]");
    ASSERT_INT_EQ(duet_receiver_n_stored(receiver), 3);

    GArray *infos = duet_streaming_context_batch_infos(ssc);
    ASSERT_INT_EQ(g_array_index(infos, DuetBatchInfo, 0).num_records, 2);
    ASSERT_INT_EQ(g_array_index(infos, DuetBatchInfo, 1).num_records, 0);
    ASSERT_INT_EQ(g_array_index(infos, DuetBatchInfo, 2).num_records, 1);
    g_array_unref(infos);

    duet_streaming_context_stop(ssc, TRUE);
    ASSERT_INT_EQ(record.stopped, 1);
    CU_ASSERT_TRUE(duet_receiver_is_stopped(receiver));
    duet_receiver_store_string(receiver, "dropped", -1);
    ASSERT_INT_EQ(duet_receiver_n_stored(receiver), 3);
    record_clear(&record);
}

/* Spark's PIDRateEstimator arithmetic. */
static void
test_pid_rate_estimator(void)
{
    DuetPidRateEstimator pid;
    duet_pid_rate_estimator_init(&pid, 1000);
    gdouble rate = -1;
    /* the first batch only initialises it (processing rate 2000/s) */
    CU_ASSERT_FALSE(duet_pid_rate_estimator_compute(&pid, 1000, 1000, 500, 0, &rate));
    /* steady: no error, same rate */
    CU_ASSERT_TRUE(duet_pid_rate_estimator_compute(&pid, 2000, 1000, 500, 0, &rate));
    CU_ASSERT_DOUBLE_EQUAL(rate, 2000.0, 1e-9);
    /* slower processing and a scheduling delay: 2000 - 1000 - 0.2 * 500 = 900 */
    CU_ASSERT_TRUE(duet_pid_rate_estimator_compute(&pid, 3000, 1000, 1000, 500, &rate));
    CU_ASSERT_DOUBLE_EQUAL(rate, 900.0, 1e-9);
    /* batches without records, without processing time, or not later are ignored */
    CU_ASSERT_FALSE(duet_pid_rate_estimator_compute(&pid, 4000, 0, 500, 0, &rate));
    CU_ASSERT_FALSE(duet_pid_rate_estimator_compute(&pid, 4000, 10, 0, 0, &rate));
    CU_ASSERT_FALSE(duet_pid_rate_estimator_compute(&pid, 3000, 10, 10, 0, &rate));
    /* never below the minimum rate */
    CU_ASSERT_TRUE(duet_pid_rate_estimator_compute(&pid, 5000, 10, 10000, 100000, &rate));
    CU_ASSERT_DOUBLE_EQUAL(rate, 100.0, 1e-9);
}

/* socketTextStream against a peer process that sends, disconnects and comes back. */
static void
test_socket_text_stream_reconnects(void)
{
    const char *peer = g_getenv("DUET_SOCKET_PEER");
    CU_ASSERT_PTR_NOT_NULL_FATAL(peer);
    char *argv[] = {(char *)peer, NULL};
    GError *error = NULL;
    GPid pid;
    gint out_fd;
    CU_ASSERT_TRUE_FATAL(g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                                  NULL, &pid, NULL, &out_fd, NULL, &error));
    GIOChannel *channel = g_io_channel_unix_new(out_fd);
    char *port_line = NULL;
    g_io_channel_read_line(channel, &port_line, NULL, NULL, NULL);
    guint16 port = (guint16)atoi(port_line ? port_line : "0");
    g_free(port_line);
    CU_ASSERT_TRUE_FATAL(port > 0);

    g_autoptr(DuetContext) spark = duet_context_new("local[2]", &error);
    duet_context_set_conf(spark, "spark.streaming.receiverRestartDelay", "10");
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    duet_context_set_clock(spark, clock);
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(spark, 1000, &error);
    Record record;
    record_init(&record);
    DuetStreamingListener listener = {.receiver_started = on_started,
                                      .receiver_stopped = on_stopped,
                                      .receiver_error = on_error,
                                      .user_data = &record};
    duet_streaming_context_add_listener(ssc, &listener);
    g_autoptr(DuetDStream) lines =
        duet_streaming_context_socket_text_stream(ssc, "127.0.0.1", port);
    duet_dstream_foreach_rdd(lines, collect_output, &record);
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(ssc, &error));
    DuetReceiver *receiver = duet_dstream_receiver(lines);

    /* first connection: two lines, then the peer closes */
    CU_ASSERT_TRUE(duet_receiver_wait_stored(receiver, 2, 30000));
    duet_clock_set_ms(clock, 1000);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 1000, 30000));
    /* the receiver reconnects and gets the third line */
    CU_ASSERT_TRUE(duet_receiver_wait_stored(receiver, 3, 30000));
    duet_clock_set_ms(clock, 2000);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 2000, 30000));
    duet_streaming_context_stop(ssc, FALSE);

    ASSERT_INT_EQ(record.outputs->len, 2);
    ASSERT_STR_EQ(record.outputs->pdata[0], "[a b, c]");
    ASSERT_STR_EQ(record.outputs->pdata[1], "[d]");
    CU_ASSERT_TRUE(record.started >= 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(record.messages->str, "Socket data stream had no more data"));
    g_io_channel_unref(channel);
    close(out_fd);
    waitpid(pid, NULL, 0);
    g_spawn_close_pid(pid);
    record_clear(&record);
}

/* ZeroMQUtils.createStream's analogue: a PULL source fed by a real PUSH peer, as a DStream. */
static void
test_zmq_source_stream(void)
{
    GError *error = NULL;
    g_autoptr(DuetContext) spark = duet_context_new("local[2]", &error);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    duet_context_set_clock(spark, clock);
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(spark, 1000, &error);
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "url", "tcp://127.0.0.1:*");
    duet_source_options_set(options, "socketType", "pull");
    duet_source_options_set(options, "bind", "true");
    g_autoptr(DuetSource) zmq = duet_source_new("zmq", options, NULL, clock, 2, &error);
    g_hash_table_unref(options);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FATAL(zmq != NULL);
    g_autoptr(DuetDStream) rows = duet_streaming_context_source_stream(ssc, zmq);
    Record record;
    record_init(&record);
    duet_dstream_foreach_rdd(rows, collect_output, &record);
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(ssc, &error));
    void *context = zmq_ctx_new();
    void *push = zmq_socket(context, ZMQ_PUSH);
    CU_ASSERT_EQUAL_FATAL(zmq_connect(push, duet_zmq_source_endpoint(zmq)), 0);
    for (int index = 0; index < 3; index++) {
        char message[16];
        int len = g_snprintf(message, sizeof message, "m%d", index);
        CU_ASSERT_EQUAL(zmq_send(push, message, (size_t)len, 0), len);
    }
    CU_ASSERT_TRUE(duet_zmq_source_wait_messages(zmq, 3, 10000));
    duet_clock_set_ms(clock, 1000);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 1000, 60000));
    CU_ASSERT_EQUAL(zmq_send(push, "m3", 2, 0), 2);
    CU_ASSERT_TRUE(duet_zmq_source_wait_messages(zmq, 4, 10000));
    duet_clock_set_ms(clock, 2000);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 2000, 60000));
    duet_streaming_context_stop(ssc, FALSE);
    int zero = 0;
    zmq_setsockopt(push, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(push);
    zmq_ctx_term(context);
    ASSERT_INT_EQ(record.outputs->len, 2);
    ASSERT_STR_EQ(record.outputs->pdata[0], "[m0, m1, m2]");
    ASSERT_STR_EQ(record.outputs->pdata[1], "[m3]");
    record_clear(&record);
}

/* The rate source feeding a DStream on the context's manual clock. */
static void
test_rate_source_stream(void)
{
    GError *error = NULL;
    g_autoptr(DuetContext) spark = duet_context_new("local[2]", &error);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    duet_context_set_clock(spark, clock);
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(spark, 1000, &error);
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "rowsPerSecond", "3");
    g_autoptr(DuetSource) rate = duet_source_new("rate", options, NULL, clock, 2, &error);
    g_hash_table_unref(options);
    g_autoptr(DuetDStream) rows = duet_streaming_context_source_stream(ssc, rate);
    Record record;
    record_init(&record);
    duet_dstream_foreach_rdd(rows, collect_output, &record);
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(ssc, &error));
    for (gint64 batch = 1; batch <= 2; batch++) {
        duet_clock_set_ms(clock, batch * 1000);
        CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, batch * 1000, 60000));
    }
    duet_streaming_context_stop(ssc, FALSE);
    ASSERT_INT_EQ(record.outputs->len, 2);
    ASSERT_STR_EQ(record.outputs->pdata[0],
                  "[(1970-01-01 00:00:00.0,0), (1970-01-01 00:00:00.333,1), "
                  "(1970-01-01 00:00:00.667,2)]");
    ASSERT_STR_EQ(record.outputs->pdata[1],
                  "[(1970-01-01 00:00:01.0,3), (1970-01-01 00:00:01.333,4), "
                  "(1970-01-01 00:00:01.667,5)]");
    GArray *infos = duet_streaming_context_batch_infos(ssc);
    ASSERT_INT_EQ(g_array_index(infos, DuetBatchInfo, 0).num_records, 3);
    g_array_unref(infos);
    record_clear(&record);
}

DUET_TEST_MAIN("receiver", DUET_TEST(test_rate_source_stream), DUET_TEST(test_zmq_source_stream),
               DUET_TEST(test_custom_receiver), DUET_TEST(test_pid_rate_estimator),
               DUET_TEST(test_socket_text_stream_reconnects))
