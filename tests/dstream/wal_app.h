/* wal_app.h — (dstream tests) the stateful word count over a receiver with the write-ahead log
 * that test_receiver_wal.c runs in-process and wal_child.c runs in a process of its own to be
 * killed with SIGKILL.
 *
 * Layer: tests/ (used by tests/dstream only). Header-only, so that the test and the child build
 * the very same graph, as a real program's create function would. The graph: an input (a
 * socketTextStream when port is set, a ZeroMQ PULL source stream bound to zmq_endpoint when that
 * is set, otherwise a receiver whose records the test stores itself)
 * -> map(line -> (line, 1)) -> updateStateByKey(sum), checkpointed every state_interval_ms,
 * with an output operation that writes each batch's sorted state to OUT/state-<time> (an atomic
 * file: a re-run batch rewrites the same file with the same text) and hands it to on_batch.
 */
#pragma once

#include "tests/common/batch_literal.h"
#include "dstream/receiver.h"
#include "rdd/atomic_file.h"

#include <signal.h>

#define WAL_APP_BATCH_MS 1000

typedef struct {
    guint16 port;               /* socketTextStream to 127.0.0.1:port; 0: a manual receiver */
    const char *zmq_endpoint;   /* or a ZeroMQ PULL source bound here */
    const char *checkpoint_dir; /* ssc.checkpoint */
    const char *out_dir;        /* state-<time> files, or NULL */
    gint64 state_interval_ms;   /* the state stream's checkpoint interval, 0 = default */
    gint64 fail_at_ms;          /* the output fails at this batch (a stop during the jobs) */
    gint64 kill_at_ms;          /* the output SIGKILLs its own process at this batch */
    void (*on_batch)(gint64 time_ms, const char *state, gpointer user_data);
    gpointer user_data;
    DuetClock *clock;     /* the last context's manual clock (owned) */
    DuetDStream *input;   /* the last context's receiver stream (owned) */
    DuetReceiver *manual; /* the manual receiver, once started */
    DuetSource *zmq;      /* the last context's ZeroMQ source (owned) */
    guint builds;         /* times the create function ran */
} WalApp;

static void
wal_app_to_pair(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len;
    const char *value = duet_row_get_string(row, 0, &len);
    duet_batch_builder_append_string(out, 0, value, (gssize)len);
    duet_batch_builder_append_int64(out, 1, 1);
}

static gboolean
wal_app_sum(gint64 time_ms, const DuetValue *key, const DuetValue *values, const DuetValue *state,
            DuetColumnBuilder *new_state, gpointer user_data)
{
    gint64 sum = state->is_null ? 0 : state->v.i64;
    for (gsize index = 0; index < duet_value_list_length(values); index++) {
        DuetValue value;
        duet_value_list_get(values, index, &value);
        sum += value.v.i64;
    }
    duet_column_builder_append_int64(new_state, sum);
    return TRUE;
}

static gboolean
wal_app_output(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    WalApp *app = user_data;
    if (app->kill_at_ms > 0 && time_ms == app->kill_at_ms)
        raise(SIGKILL); /* a crash in the middle of the batch's jobs */
    if (app->fail_at_ms > 0 && time_ms == app->fail_at_ms) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_FAILED,
                    "crash at %" G_GINT64_FORMAT " ms", app->fail_at_ms);
        return FALSE;
    }
    g_autoptr(DuetBatch) batch = duet_rdd_collect(rdd, error);
    if (batch == NULL)
        return FALSE;
    g_autofree char *text = duet_test_render_sorted(batch);
    if (app->out_dir != NULL) {
        g_autofree char *name = g_strdup_printf("state-%" G_GINT64_FORMAT, time_ms);
        g_autofree char *path = g_build_filename(app->out_dir, name, NULL);
        if (!duet_atomic_file_write(path, text, strlen(text), error))
            return FALSE;
    }
    if (app->on_batch)
        app->on_batch(time_ms, text, app->user_data);
    return TRUE;
}

static void
wal_app_manual_start(DuetReceiver *receiver, gpointer user_data)
{
    g_atomic_pointer_set(&((WalApp *)user_data)->manual, receiver);
}

static void
wal_app_manual_stop(DuetReceiver *receiver, gpointer user_data)
{
}

/* The create function given to getOrCreate. */
static DuetStreamingContext *
wal_app_create(gpointer user_data, GError **error)
{
    WalApp *app = user_data;
    app->builds++;
    g_autoptr(DuetContext) spark = duet_context_new("local[2]", error);
    if (spark == NULL)
        return NULL;
    duet_context_set_conf(spark, DUET_RECEIVER_WAL_ENABLE, "true");
    /* one log file per second of the clock, so that cleaning has files to delete */
    duet_context_set_conf(spark, "spark.streaming.receiver.writeAheadLog.rollingIntervalSecs", "1");
    duet_context_set_conf(spark, "spark.streaming.driver.writeAheadLog.rollingIntervalSecs", "1");
    if (app->clock)
        duet_clock_unref(app->clock);
    app->clock = duet_clock_new_manual(0);
    duet_context_set_clock(spark, app->clock);
    g_autoptr(DuetStreamingContext) ssc =
        duet_streaming_context_new(spark, WAL_APP_BATCH_MS, error);
    if (ssc == NULL || !duet_streaming_context_checkpoint(ssc, app->checkpoint_dir, error))
        return NULL;
    DuetDStream *input = NULL;
    if (app->port != 0) {
        input = duet_streaming_context_socket_text_stream(ssc, "127.0.0.1", app->port);
    } else if (app->zmq_endpoint != NULL) {
        DuetSourceOptions *options = duet_source_options_new();
        duet_source_options_set(options, "url", app->zmq_endpoint);
        duet_source_options_set(options, "socketType", "pull");
        duet_source_options_set(options, "bind", "true");
        g_autoptr(DuetSource) zmq = duet_source_new("zmq", options, NULL, app->clock, 2, error);
        g_hash_table_unref(options);
        if (zmq == NULL)
            return NULL;
        input = duet_streaming_context_source_stream(ssc, zmq);
        if (app->zmq)
            duet_source_unref(app->zmq);
        app->zmq = g_steal_pointer(&zmq);
    } else {
        static const DuetReceiverFuncs funcs = {wal_app_manual_start, wal_app_manual_stop};
        g_autoptr(DuetSchema) lines = duet_schema_parse("value STRING", NULL);
        g_atomic_pointer_set(&app->manual, NULL);
        input = duet_streaming_context_receiver_stream(ssc, lines, &funcs, app, NULL);
    }
    if (app->input)
        duet_dstream_unref(app->input);
    app->input = input;
    g_autoptr(DuetSchema) schema = duet_schema_parse("word STRING, n BIGINT", NULL);
    g_autoptr(DuetDStream) pairs = duet_dstream_map(input, schema, wal_app_to_pair, NULL);
    g_autoptr(DuetDataType) state_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    g_autoptr(DuetDStream) counts =
        duet_dstream_update_state_by_key(pairs, state_type, wal_app_sum, NULL, 2, NULL, error);
    if (counts == NULL)
        return NULL;
    if (app->state_interval_ms > 0)
        duet_dstream_checkpoint(counts, app->state_interval_ms);
    duet_dstream_foreach_rdd(counts, wal_app_output, app);
    return g_steal_pointer(&ssc);
}

static void
wal_app_clear(WalApp *app)
{
    g_clear_pointer(&app->clock, duet_clock_unref);
    g_clear_pointer(&app->input, duet_dstream_unref);
    g_clear_pointer(&app->zmq, duet_source_unref);
}
