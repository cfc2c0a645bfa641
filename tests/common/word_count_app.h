/* word_count_app.h — (dstream tests) the stateful Kafka word count that
 * tests/dstream/test_recovery.c and recovery_child.c run, stop, kill and recover through
 * StreamingContext.getOrCreate.
 *
 * Layer: tests/ (used by tests/dstream only). Header-only (static functions) so that the test
 * binary and the child process build the very same graph, as a real program's create function
 * would. The graph: Kafka direct stream (earliest) -> map(value -> (word, 1)) ->
 * updateStateByKey(sum), with an output operation that hands each batch's sorted state text to the
 * app's batch callback.
 */
#pragma once

#include "tests/common/batch_literal.h"
#include "dstream/kafka_input.h"

#define APP_BATCH_MS 1000

typedef struct {
    const char *bootstraps;     /* the Kafka cluster */
    const char *topic;          /* read from the earliest offset */
    const char *checkpoint_dir; /* ssc.checkpoint */
    const char *max_rate;       /* spark.streaming.kafka.maxRatePerPartition, or NULL */
    gint64 state_interval_ms;   /* the state stream's checkpoint interval, 0 = default */
    gboolean changed_graph;     /* build a different graph (a filter more) */
    gint64 window_ms;           /* > 0: reduceByKeyAndWindow(+, -) instead of the state */
    gint fail_at_ms;            /* the output fails at this batch (a crash during the jobs) */
    /* Called with each batch's time and its "[(a,2), (b,1)]" state, on the generator thread. */
    void (*on_batch)(gint64 time_ms, const char *state, gpointer user_data);
    gpointer user_data;
    DuetClock *clock;   /* the last context's manual clock (owned) */
    DuetDStream *kafka; /* the last context's Kafka stream (owned) */
    guint builds;       /* times the create function ran */
} WordCountApp;

static void
app_to_pair(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len;
    const char *value = duet_row_get_string(row, 1, &len);
    duet_batch_builder_append_string(out, 0, value, (gssize)len);
    duet_batch_builder_append_int64(out, 1, 1);
}

static gboolean
app_sum(gint64 time_ms, const DuetValue *key, const DuetValue *values, const DuetValue *state,
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

static void
app_add(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

static void
app_subtract(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 - b->v.i64);
}

static gboolean
app_keep_all(const DuetRow *row, gpointer user_data)
{
    return TRUE;
}

static gboolean
app_output(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    WordCountApp *app = user_data;
    if (app->fail_at_ms > 0 && time_ms == app->fail_at_ms) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_FAILED, "crash at %d ms",
                    app->fail_at_ms);
        return FALSE;
    }
    g_autoptr(DuetBatch) batch = duet_rdd_collect(rdd, error);
    if (batch == NULL)
        return FALSE;
    g_autofree char *text = duet_test_render_sorted(batch);
    if (app->on_batch)
        app->on_batch(time_ms, text, app->user_data);
    return TRUE;
}

/* The create function given to getOrCreate. */
static DuetStreamingContext *
app_create(gpointer user_data, GError **error)
{
    WordCountApp *app = user_data;
    app->builds++;
    g_autoptr(DuetContext) spark = duet_context_new("local[2]", error);
    if (spark == NULL)
        return NULL;
    if (app->max_rate)
        duet_context_set_conf(spark, "spark.streaming.kafka.maxRatePerPartition", app->max_rate);
    if (app->clock)
        duet_clock_unref(app->clock);
    app->clock = duet_clock_new_manual(0);
    duet_context_set_clock(spark, app->clock);
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(spark, APP_BATCH_MS, error);
    if (ssc == NULL || !duet_streaming_context_checkpoint(ssc, app->checkpoint_dir, error))
        return NULL;
    GHashTable *params = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(params, "bootstrap.servers", (gpointer)app->bootstraps);
    g_hash_table_insert(params, "auto.offset.reset", "earliest");
    DuetKafkaConsumerStrategy strategy = {DUET_KAFKA_SUBSCRIBE, app->topic, params, NULL};
    DuetDStream *kafka = duet_kafka_utils_create_direct_stream(ssc, &strategy, error);
    g_hash_table_unref(params);
    if (kafka == NULL)
        return NULL;
    if (app->kafka)
        duet_dstream_unref(app->kafka);
    app->kafka = kafka;
    g_autoptr(DuetSchema) schema = duet_schema_parse("word STRING, n BIGINT", NULL);
    g_autoptr(DuetDStream) pairs = duet_dstream_map(kafka, schema, app_to_pair, NULL);
    g_autoptr(DuetDStream) input = app->changed_graph
                                       ? duet_dstream_filter(pairs, app_keep_all, NULL)
                                       : duet_dstream_ref(pairs);
    g_autoptr(DuetDataType) state_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    g_autoptr(DuetDStream) counts =
        app->window_ms > 0
            ? duet_dstream_reduce_by_key_and_window(input, app_add, app_subtract, app->window_ms, 0,
                                                    2, NULL, NULL, error)
            : duet_dstream_update_state_by_key(input, state_type, app_sum, NULL, 2, NULL, error);
    if (counts == NULL)
        return NULL;
    if (app->state_interval_ms > 0)
        duet_dstream_checkpoint(counts, app->state_interval_ms);
    duet_dstream_foreach_rdd(counts, app_output, app);
    return g_steal_pointer(&ssc);
}

static void
app_clear(WordCountApp *app)
{
    if (app->kafka)
        duet_dstream_unref(app->kafka);
    if (app->clock)
        duet_clock_unref(app->clock);
    app->kafka = NULL;
    app->clock = NULL;
}
