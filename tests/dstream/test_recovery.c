/* test_recovery.c — tests of dstream/checkpoint.c: StreamingContext.getOrCreate and DStream
 * checkpoint recovery, with a stateful Kafka word count (word_count_app.h) on librdkafka's mock
 * cluster and the manual clock: state that carries over a stop, a pending batch re-run with the
 * same offset ranges, recovery from a checkpointed state RDD with the batches after it replayed
 * from Kafka, corrupted checkpoint files, a changed graph, and a child process killed with
 * SIGKILL at random instants and restarted. Nothing sleeps: waits are on batches, on broker
 * I/O and on the child's output. */
#include "tests/common/kafka_mock.h"
#include "tests/common/test.h"

#include <glib/gstdio.h>
#include "tests/common/word_count_app.h"
#include "rdd/atomic_file.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    DuetTestKafka *mock;
    char *dir;
    GPtrArray *outputs; /* "<time>: <state>" per batch */
    GMutex lock;
    WordCountApp app;
} Harness;

static void
record_batch(gint64 time_ms, const char *state, gpointer user_data)
{
    Harness *harness = user_data;
    g_mutex_lock(&harness->lock);
    g_ptr_array_add(harness->outputs, g_strdup_printf("%" G_GINT64_FORMAT ": %s", time_ms, state));
    g_mutex_unlock(&harness->lock);
}

static void
harness_init(Harness *harness, int n_partitions)
{
    memset(harness, 0, sizeof *harness);
    harness->mock = duet_test_kafka_new();
    duet_test_kafka_create_topic(harness->mock, "words", n_partitions);
    harness->dir = duet_test_tmpdir_new();
    harness->outputs = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&harness->lock);
    harness->app.bootstraps = duet_test_kafka_bootstraps(harness->mock);
    harness->app.topic = "words";
    harness->app.checkpoint_dir = harness->dir;
    harness->app.on_batch = record_batch;
    harness->app.user_data = harness;
}

static void
harness_clear(Harness *harness)
{
    app_clear(&harness->app);
    g_ptr_array_unref(harness->outputs);
    g_mutex_clear(&harness->lock);
    duet_test_tmpdir_free(harness->dir);
    duet_test_kafka_free(harness->mock);
}

static void
produce(Harness *harness, gint32 partition, const char *words)
{
    g_auto(GStrv) list = g_strsplit(words, " ", -1);
    for (guint index = 0; list[index]; index++)
        duet_test_kafka_produce(harness->mock, "words", partition, NULL, list[index], 1000);
    CU_ASSERT_TRUE_FATAL(duet_test_kafka_flush(harness->mock));
}

/* getOrCreate and start; NULL (error kept) when getOrCreate fails. */
static DuetStreamingContext *
harness_start(Harness *harness, GError **error)
{
    DuetStreamingContext *ssc =
        duet_streaming_context_get_or_create(harness->dir, app_create, &harness->app, error);
    if (ssc == NULL)
        return NULL;
    GError *local = NULL;
    CU_ASSERT_TRUE(duet_streaming_context_start(ssc, &local));
    ASSERT_NO_ERROR(local);
    return ssc;
}

static void
run_batch(Harness *harness, DuetStreamingContext *ssc, gint64 time_ms)
{
    duet_clock_set_ms(harness->app.clock, time_ms);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, time_ms, 60000));
}

static char *
outputs_text(Harness *harness)
{
    g_mutex_lock(&harness->lock);
    g_ptr_array_add(harness->outputs, NULL);
    char *text = g_strjoinv(" | ", (char **)harness->outputs->pdata);
    g_ptr_array_set_size(harness->outputs, 0);
    g_mutex_unlock(&harness->lock);
    return text;
}

#define ASSERT_OUTPUTS(harness, expected)                                                          \
    do {                                                                                           \
        g_autofree char *text_ = outputs_text(harness);                                            \
        ASSERT_STR_EQ(text_, expected);                                                            \
    } while (0)

/* The payload of checkpoint-<time> in the harness directory. */
static char *
checkpoint_payload(Harness *harness, gint64 time_ms)
{
    g_autofree char *name = g_strdup_printf("checkpoint-%" G_GINT64_FORMAT, time_ms);
    g_autofree char *path = g_build_filename(harness->dir, name, NULL);
    GError *error = NULL;
    guint version;
    g_autoptr(GBytes) payload =
        duet_versioned_file_read(path, "dstream-checkpoint", 1, &version, &error);
    ASSERT_NO_ERROR(error);
    if (payload == NULL)
        return g_strdup("");
    gsize len;
    const char *data = g_bytes_get_data(payload, &len);
    return g_strndup(data, len);
}

/* A stop in the middle of a batch (its output fails before it completes, as a crash would
 * leave it): getOrCreate rebuilds the context, the pending batch is re-run with the same
 * offset ranges (not the records sent since), and the counts carry over. */
static void
test_state_carries_over_and_pending_batch_reruns(void)
{
    Harness harness;
    harness_init(&harness, 2);
    produce(&harness, 0, "a b");
    produce(&harness, 1, "a");
    GError *error = NULL;
    DuetStreamingContext *ssc = harness_start(&harness, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    ASSERT_INT_EQ(harness.app.builds, 1);
    run_batch(&harness, ssc, 1000);
    produce(&harness, 0, "c");
    produce(&harness, 1, "b");
    run_batch(&harness, ssc, 2000);
    ASSERT_OUTPUTS(&harness, "1000: [(a,2), (b,1)] | 2000: [(a,2), (b,2), (c,1)]");
    produce(&harness, 1, "a");
    harness.app.fail_at_ms = 3000;
    run_batch(&harness, ssc, 3000);
    duet_streaming_context_stop(ssc, FALSE);
    duet_streaming_context_unref(ssc);
    ASSERT_OUTPUTS(&harness, "");
    {
        g_autofree char *payload = checkpoint_payload(&harness, 3000);
        CU_ASSERT_PTR_NOT_NULL(strstr(payload, "\"pendingTimesMs\":[3000]"));
        CU_ASSERT_PTR_NOT_NULL(strstr(payload, "\"batchDurationMs\":1000"));
        CU_ASSERT_PTR_NOT_NULL(strstr(payload, "\"kind\":\"StateDStream\""));
        CU_ASSERT_PTR_NOT_NULL(strstr(payload, "\"3000\":[[\"words\",0,3,3],[\"words\",1,2,3]]"));
    }

    /* sent while the program is down: belongs to the batches after the restart */
    produce(&harness, 0, "d");
    harness.app.fail_at_ms = 0;
    ssc = harness_start(&harness, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    ASSERT_INT_EQ(harness.app.builds, 2);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 3000, 60000));
    ASSERT_INT_EQ(duet_clock_now_ms(harness.app.clock), 3000);
    run_batch(&harness, ssc, 4000);
    run_batch(&harness, ssc, 5000);
    ASSERT_OUTPUTS(&harness, "3000: [(a,3), (b,2), (c,1)] | 4000: [(a,3), (b,2), (c,1), (d,1)] | "
                             "5000: [(a,3), (b,2), (c,1), (d,1)]");
    g_autoptr(GArray) ranges = duet_kafka_direct_stream_offset_ranges(harness.app.kafka, 3000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ranges);
    ASSERT_INT_EQ(ranges->len, 2);
    ASSERT_INT_EQ(g_array_index(ranges, DuetOffsetRange, 1).from_offset, 2);
    ASSERT_INT_EQ(g_array_index(ranges, DuetOffsetRange, 1).until_offset, 3);
    duet_streaming_context_stop(ssc, FALSE);
    duet_streaming_context_unref(ssc);
    harness_clear(&harness);
}

/* The state RDD is checkpointed every 2 batches; after a stop at batch 5 the restart restores
 * the state of batch 4 from its RDD checkpoint and replays batch 5's offset range from Kafka
 * to compute batch 6. Input ranges before the state checkpoint are not kept. */
static void
test_recover_from_state_rdd_checkpoint(void)
{
    Harness harness;
    harness_init(&harness, 2);
    harness.app.state_interval_ms = 2000;
    GError *error = NULL;
    DuetStreamingContext *ssc = harness_start(&harness, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    const char *inputs[] = {"a", "b b", "c", "a a", "d"};
    for (guint batch = 1; batch <= 5; batch++) {
        produce(&harness, (gint32)(batch % 2), inputs[batch - 1]);
        run_batch(&harness, ssc, batch * 1000);
    }
    duet_streaming_context_stop(ssc, FALSE);
    duet_streaming_context_unref(ssc);
    ASSERT_OUTPUTS(&harness, "1000: [(a,1)] | 2000: [(a,1), (b,2)] | 3000: [(a,1), (b,2), (c,1)] "
                             "| 4000: [(a,3), (b,2), (c,1)] | 5000: [(a,3), (b,2), (c,1), (d,1)]");
    g_autofree char *payload = checkpoint_payload(&harness, 5000);
    CU_ASSERT_PTR_NOT_NULL(strstr(payload, "\"pendingTimesMs\":[]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(payload, "\"checkpointFile\":{\"timeMs\":4000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(payload, "\"5000\":[["));
    CU_ASSERT_PTR_NULL(strstr(payload, "\"3000\":[["));

    produce(&harness, 0, "e a");
    ssc = harness_start(&harness, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    run_batch(&harness, ssc, 6000);
    run_batch(&harness, ssc, 7000);
    ASSERT_OUTPUTS(&harness, "6000: [(a,4), (b,2), (c,1), (d,1), (e,1)] | "
                             "7000: [(a,4), (b,2), (c,1), (d,1), (e,1)]");
    duet_streaming_context_stop(ssc, FALSE);
    duet_streaming_context_unref(ssc);
    /* ten checkpoint files at most, and old RDD checkpoints deleted */
    guint files = 0;
    GDir *dir = g_dir_open(harness.dir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL)
        files += g_str_has_prefix(name, "checkpoint-");
    g_dir_close(dir);
    ASSERT_INT_EQ(files, 7);
    harness_clear(&harness);
}

/* reduceByKeyAndWindow with an inverse function (3 s windows, checkpointed every 2 s) over
 * Kafka, stopped after batch 5: the restart restores the window of batch 4 and recomputes
 * batch 5's from it, replaying the batches that enter and leave from their offset ranges. */
static void
test_recover_inverse_window(void)
{
    Harness harness;
    harness_init(&harness, 1);
    harness.app.window_ms = 3000;
    harness.app.state_interval_ms = 2000;
    GError *error = NULL;
    DuetStreamingContext *ssc = harness_start(&harness, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    for (gint64 batch = 1; batch <= 8; batch++) {
        if (batch == 6) {
            duet_streaming_context_stop(ssc, FALSE);
            duet_streaming_context_unref(ssc);
            ssc = harness_start(&harness, &error);
            ASSERT_NO_ERROR(error);
            CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
        }
        GString *words = g_string_new("w");
        for (gint64 copy = 1; copy < batch; copy++)
            g_string_append(words, " w");
        produce(&harness, 0, words->str);
        g_string_free(words, TRUE);
        run_batch(&harness, ssc, batch * 1000);
    }
    duet_streaming_context_stop(ssc, FALSE);
    duet_streaming_context_unref(ssc);
    ASSERT_INT_EQ(harness.app.builds, 2);
    ASSERT_OUTPUTS(&harness, "1000: [(w,1)] | 2000: [(w,3)] | 3000: [(w,6)] | 4000: [(w,9)] | "
                             "5000: [(w,12)] | 6000: [(w,15)] | 7000: [(w,18)] | 8000: [(w,21)]");
    harness_clear(&harness);
}

/* Runs two batches and stops, leaving checkpoint-1000 and checkpoint-2000. */
static void
run_two_batches(Harness *harness)
{
    GError *error = NULL;
    DuetStreamingContext *ssc = harness_start(harness, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    produce(harness, 0, "x");
    run_batch(harness, ssc, 1000);
    run_batch(harness, ssc, 2000);
    duet_streaming_context_stop(ssc, FALSE);
    duet_streaming_context_unref(ssc);
    g_autofree char *text = outputs_text(harness);
}

static void
write_file(Harness *harness, const char *name, const char *contents, gssize len)
{
    g_autofree char *path = g_build_filename(harness->dir, name, NULL);
    CU_ASSERT_TRUE(g_file_set_contents(path, contents, len, NULL));
}

/* Garbage and truncated checkpoint files: a clear error naming the directory and the file;
 * with a readable older file, recovery uses it (Spark's CheckpointReader). */
static void
test_corrupted_checkpoint(void)
{
    Harness harness;
    harness_init(&harness, 1);
    run_two_batches(&harness);
    /* the newest file truncated: an error naming it and the older file to fall back to (not
     * Spark's silent fallback, which would let the file sink skip recomputed batches) */
    g_autofree char *path = g_build_filename(harness.dir, "checkpoint-2000", NULL);
    g_autofree char *older = g_build_filename(harness.dir, "checkpoint-1000", NULL);
    g_autofree char *contents = NULL;
    gsize len = 0;
    CU_ASSERT_TRUE(g_file_get_contents(path, &contents, &len, NULL));
    write_file(&harness, "checkpoint-2000", contents, (gssize)len / 2);
    GError *error = NULL;
    guint builds = harness.app.builds;
    DuetStreamingContext *ssc =
        duet_streaming_context_get_or_create(harness.dir, app_create, &harness.app, &error);
    CU_ASSERT_PTR_NULL(ssc);
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT);
    ASSERT_INT_EQ(harness.app.builds, builds); /* the create function was not run */
    if (error != NULL) {
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
        g_autofree char *hint = g_strdup_printf("(to recover from the older checkpoint %s, "
                                                "delete the damaged file",
                                                older);
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, hint));
        g_clear_error(&error);
    }
    /* the damaged file deleted, as the error says: the older one is used */
    CU_ASSERT_EQUAL(g_remove(path), 0);
    ssc = duet_streaming_context_get_or_create(harness.dir, app_create, &harness.app, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL(ssc);
    duet_streaming_context_unref(ssc);
    write_file(&harness, "checkpoint-2000", contents, (gssize)len / 2);
    /* every file damaged: an error, with nothing to fall back to */
    write_file(&harness, "checkpoint-1000", "garbage", -1);
    builds = harness.app.builds;
    ssc = duet_streaming_context_get_or_create(harness.dir, app_create, &harness.app, &error);
    CU_ASSERT_PTR_NULL(ssc);
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT);
    ASSERT_INT_EQ(harness.app.builds, builds); /* the create function was not run */
    if (error != NULL) {
        g_autofree char *prefix =
            g_strdup_printf("Failed to read checkpoint from directory %s: ", harness.dir);
        CU_ASSERT_TRUE(g_str_has_prefix(error->message, prefix));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
        g_clear_error(&error);
    }
    /* a well-formed file with a payload that is not a checkpoint */
    g_autofree char *bad = g_build_filename(harness.dir, "checkpoint-3000", NULL);
    CU_ASSERT_TRUE(duet_versioned_file_write(bad, "dstream-checkpoint", 1, "[1]", 3, NULL));
    ssc = duet_streaming_context_get_or_create(harness.dir, app_create, &harness.app, &error);
    CU_ASSERT_PTR_NULL(ssc);
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT);
    if (error != NULL) {
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "checkpoint-3000 is corrupt"));
        g_clear_error(&error);
    }
    harness_clear(&harness);
}

/* Rewrites checkpoint-<time> with the same payload under a newer format version. */
static void
bump_version(Harness *harness, gint64 time_ms)
{
    g_autofree char *payload = checkpoint_payload(harness, time_ms);
    g_autofree char *name = g_strdup_printf("checkpoint-%" G_GINT64_FORMAT, time_ms);
    g_autofree char *path = g_build_filename(harness->dir, name, NULL);
    CU_ASSERT_TRUE(
        duet_versioned_file_write(path, "dstream-checkpoint", 2, payload, strlen(payload), NULL));
}

/* A checkpoint written by a newer build (format v2): skipped for the older file (Spark's
 * CheckpointReader), and when every file is, an error naming the newest and its version. */
static void
test_wrong_version_checkpoint(void)
{
    Harness harness;
    harness_init(&harness, 1);
    run_two_batches(&harness);
    bump_version(&harness, 2000);
    GError *error = NULL;
    g_autofree char *newest = g_build_filename(harness.dir, "checkpoint-2000", NULL);
    DuetStreamingContext *ssc =
        duet_streaming_context_get_or_create(harness.dir, app_create, &harness.app, &error);
    CU_ASSERT_PTR_NULL(ssc);
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, newest));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "format version v2"));
    g_clear_error(&error);
    /* the user deletes it, as the error says: recovered from checkpoint-1000, batch 2000 runs
     * again, from its offsets on */
    CU_ASSERT_EQUAL(g_remove(newest), 0);
    ssc = harness_start(&harness, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    produce(&harness, 0, "y");
    run_batch(&harness, ssc, 2000);
    duet_streaming_context_stop(ssc, FALSE);
    duet_streaming_context_unref(ssc);
    ASSERT_OUTPUTS(&harness, "2000: [(x,1), (y,1)]");
    bump_version(&harness, 1000);
    bump_version(&harness, 2000);
    guint builds = harness.app.builds;
    ssc = duet_streaming_context_get_or_create(harness.dir, app_create, &harness.app, &error);
    CU_ASSERT_PTR_NULL(ssc);
    ASSERT_INT_EQ(harness.app.builds, builds);
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, newest));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "format version v2"));
    g_clear_error(&error);
    harness_clear(&harness);
}

/* The create function builds another graph: detected, with the stream that differs. */
static void
test_changed_graph(void)
{
    Harness harness;
    harness_init(&harness, 1);
    run_two_batches(&harness);
    harness.app.changed_graph = TRUE;
    GError *error = NULL;
    DuetStreamingContext *ssc =
        duet_streaming_context_get_or_create(harness.dir, app_create, &harness.app, &error);
    CU_ASSERT_PTR_NULL(ssc);
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_CHECKPOINT);
    if (error != NULL) {
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "does not match the checkpoint"));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "checkpoint-2000"));
        g_clear_error(&error);
    }
    harness_clear(&harness);
}

static guint
count_entries(const char *directory, const char *prefix, guint *rdd_dirs)
{
    guint count = 0;
    GDir *dir = g_dir_open(directory, 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(directory, name, NULL);
        count += g_str_has_prefix(name, prefix);
        if (rdd_dirs != NULL && g_file_test(path, G_FILE_TEST_IS_DIR))
            *rdd_dirs += count_entries(path, "rdd-", NULL);
    }
    if (dir != NULL)
        g_dir_close(dir);
    return count;
}

/* A long run keeps ten checkpoint files and only the RDD checkpoints they refer to. */
static void
test_old_checkpoints_deleted(void)
{
    Harness harness;
    harness_init(&harness, 1);
    harness.app.state_interval_ms = 2000;
    GError *error = NULL;
    DuetStreamingContext *ssc = harness_start(&harness, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    for (gint64 batch = 1; batch <= 16; batch++) {
        produce(&harness, 0, "w");
        run_batch(&harness, ssc, batch * 1000);
    }
    duet_streaming_context_stop(ssc, FALSE);
    duet_streaming_context_unref(ssc);
    g_autofree char *outputs = outputs_text(&harness);
    CU_ASSERT_TRUE(g_str_has_suffix(outputs, "16000: [(w,16)]"));
    guint rdd_dirs = 0;
    ASSERT_INT_EQ(count_entries(harness.dir, "checkpoint-", &rdd_dirs), 10);
    /* files 7000..16000 refer to the state checkpoints of 6000, 8000, ..., 16000 */
    ASSERT_INT_EQ(rdd_dirs, 6);
    harness_clear(&harness);
}

/* ---- mapWithState over a prepared-batches input (Spark's MapWithStateSuite recovery) ------- */

typedef struct {
    char *dir;
    DuetClock *clock;
    GPtrArray *outputs;
} SnapshotApp;

static void
running_sum(gint64 time_ms, const DuetValue *key, const DuetValue *value, DuetState *state,
            DuetColumnBuilder *mapped, gpointer user_data)
{
    DuetValue previous;
    gint64 sum = (duet_state_get(state, &previous) ? previous.v.i64 : 0) +
                 (value->is_null ? 0 : value->v.i64);
    DuetValue updated = duet_value_int64(sum);
    duet_state_update(state, &updated);
    duet_column_builder_append_int64(mapped, sum);
}

static void
letter_to_pair(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len;
    const char *text = duet_row_get_string(row, 0, &len);
    duet_batch_builder_append_string(out, 0, text, (gssize)len);
    duet_batch_builder_append_int64(out, 1, 1);
}

static gboolean
collect_snapshot(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    SnapshotApp *app = user_data;
    g_autoptr(DuetBatch) batch = duet_rdd_collect(rdd, error);
    if (batch == NULL)
        return FALSE;
    g_autofree char *text = duet_test_render_sorted(batch);
    g_ptr_array_add(app->outputs, g_strdup_printf("%" G_GINT64_FORMAT ": %s", time_ms, text));
    return TRUE;
}

static DuetStreamingContext *
snapshot_create(gpointer user_data, GError **error)
{
    SnapshotApp *app = user_data;
    g_autoptr(DuetContext) spark = duet_context_new("local", error);
    if (app->clock)
        duet_clock_unref(app->clock);
    app->clock = duet_clock_new_manual(0);
    duet_context_set_clock(spark, app->clock);
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(spark, 1000, error);
    if (!duet_streaming_context_checkpoint(ssc, app->dir, error))
        return NULL;
    const char *inputs[] = {
        "[]",      "[\"a\"]", "[\"a\", \"b\"]", "[\"a\", \"b\", \"c\"]", "[\"a\", \"b\"]",
        "[\"a\"]", "[]"};
    GPtrArray *batches = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    for (guint index = 0; index < G_N_ELEMENTS(inputs); index++)
        g_ptr_array_add(batches, duet_test_batch("value STRING", inputs[index]));
    g_autoptr(DuetSchema) letters = duet_schema_parse("value STRING", NULL);
    g_autoptr(DuetDStream) input = duet_streaming_context_batches_stream(ssc, letters, batches, 2);
    g_ptr_array_unref(batches);
    g_autoptr(DuetSchema) pair = duet_schema_parse("key STRING, value BIGINT", NULL);
    g_autoptr(DuetDStream) pairs = duet_dstream_map(input, pair, letter_to_pair, NULL);
    g_autoptr(DuetDataType) bigint = duet_data_type_new_scalar(DUET_TYPE_INT64);
    DuetStateSpec spec = {.function = running_sum, .state_type = bigint, .mapped_type = bigint};
    g_autoptr(DuetDStream) mapped = duet_dstream_map_with_state(pairs, &spec, error);
    if (mapped == NULL)
        return NULL;
    g_autoptr(DuetDStream) snapshots = duet_dstream_state_snapshots(mapped, error);
    if (snapshots == NULL)
        return NULL;
    duet_dstream_foreach_rdd(snapshots, collect_snapshot, app);
    return g_steal_pointer(&ssc);
}

/* MapWithStateSuite's "driver failure recovery": 3 batches, stop, restart from the checkpoint
 * and run to batch 7; the state is recomputed from the prepared batches (TestInputStream is
 * deterministic by time) and continues exactly. */
static void
test_map_with_state_recovery(void)
{
    SnapshotApp app = {.dir = duet_test_tmpdir_new(),
                       .outputs = g_ptr_array_new_with_free_func(g_free)};
    GError *error = NULL;
    for (int run = 0; run < 2; run++) {
        DuetStreamingContext *ssc =
            duet_streaming_context_get_or_create(app.dir, snapshot_create, &app, &error);
        ASSERT_NO_ERROR(error);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
        CU_ASSERT_TRUE(duet_streaming_context_start(ssc, &error));
        for (gint64 time = run == 0 ? 1000 : 4000; time <= (run == 0 ? 3000 : 7000); time += 1000) {
            duet_clock_set_ms(app.clock, time);
            CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, time, 60000));
        }
        duet_streaming_context_stop(ssc, FALSE);
        duet_streaming_context_unref(ssc);
    }
    g_ptr_array_add(app.outputs, NULL);
    g_autofree char *text = g_strjoinv(" | ", (char **)app.outputs->pdata);
    ASSERT_STR_EQ(text, "1000: [] | 2000: [(a,1)] | 3000: [(a,2), (b,1)] | "
                        "4000: [(a,3), (b,2), (c,1)] | 5000: [(a,4), (b,3), (c,1)] | "
                        "6000: [(a,5), (b,3), (c,1)] | 7000: [(a,5), (b,3), (c,1)]");
    g_ptr_array_unref(app.outputs);
    duet_clock_unref(app.clock);
    duet_test_tmpdir_free(app.dir);
}

/* ---- killing a real process ------------------------------------------------------------------ */

/* The state after each batch of the child's run: 3 records per partition per batch
 * (maxRatePerPartition 3, 1 s batches). */
static char *
expected_state(const char *const *partition_words, guint n_partitions, gint64 time_ms)
{
    GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gint64 batches = time_ms / APP_BATCH_MS;
    for (guint partition = 0; partition < n_partitions; partition++) {
        g_auto(GStrv) words = g_strsplit(partition_words[partition], " ", -1);
        for (gint64 index = 0; words[index] && index < batches * 3; index++) {
            gpointer count = g_hash_table_lookup(counts, words[index]);
            g_hash_table_replace(counts, g_strdup(words[index]),
                                 GINT_TO_POINTER(GPOINTER_TO_INT(count) + 1));
        }
    }
    g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(counts), (GCompareFunc)strcmp);
    GString *text = g_string_new("[");
    for (GList *key = keys; key != NULL; key = key->next)
        g_string_append_printf(text, "%s(%s,%d)", key == keys ? "" : ", ", (char *)key->data,
                               GPOINTER_TO_INT(g_hash_table_lookup(counts, key->data)));
    g_string_append_c(text, ']');
    g_hash_table_unref(counts);
    return g_string_free(text, FALSE);
}

/* Starts the child; its stdout is read line by line. */
static GPid
spawn_child(Harness *harness, const char *last, FILE **lines)
{
    const char *child = g_getenv("DUET_RECOVERY_CHILD");
    const char *argv[] = {
        child, duet_test_kafka_bootstraps(harness->mock), "words", harness->dir, last, NULL};
    GPid pid = 0;
    gint out = -1;
    GError *error = NULL;
    CU_ASSERT_TRUE_FATAL(g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
                                                  G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL,
                                                  &out, NULL, &error));
    ASSERT_NO_ERROR(error);
    *lines = fdopen(out, "r");
    return pid;
}

/* The next line of the child's output without its newline, or NULL at the end. */
static char *
read_line(FILE *lines)
{
    char *line = NULL;
    size_t size = 0;
    if (getline(&line, &size, lines) < 0) {
        free(line);
        return NULL;
    }
    g_strchomp(line);
    char *copy = g_strdup(line);
    free(line);
    return copy;
}

/* Checks one "<time> <state>" line against the expected state of that time. */
static gint64
check_line(const char *line, const char *const *words, guint n_partitions)
{
    char *space = strchr(line, ' ');
    CU_ASSERT_PTR_NOT_NULL_FATAL(space);
    gint64 time_ms = g_ascii_strtoll(line, NULL, 10);
    g_autofree char *expected = expected_state(words, n_partitions, time_ms);
    ASSERT_STR_EQ(space + 1, expected);
    return time_ms;
}

/* A child killed with SIGKILL after a random number of batches (at a random instant of the
 * next one), restarted from its checkpoint directory: every batch either run reported has
 * exactly the state it must have (nothing lost, nothing counted twice), and the restarted run
 * finishes with every record counted once. */
static void
test_sigkill_and_recover(void)
{
    const char *child = g_getenv("DUET_RECOVERY_CHILD");
    CU_ASSERT_PTR_NOT_NULL_FATAL(child);
    const char *words[] = {"a b c a b c a b c a b c", "b c d b c d b c d b c d e"};
    GRand *rand = g_rand_new();
    for (guint round = 0; round < 4; round++) {
        Harness harness;
        harness_init(&harness, 2);
        for (guint partition = 0; partition < 2; partition++)
            produce(&harness, (gint32)partition, words[partition]);
        guint kill_after = (guint)g_rand_int_range(rand, 1, 5);
        FILE *lines = NULL;
        GPid pid = spawn_child(&harness, "8000", &lines);
        gint64 last_seen = 0;
        for (guint seen = 0; seen < kill_after; seen++) {
            g_autofree char *line = read_line(lines);
            if (line == NULL)
                break;
            last_seen = check_line(line, words, 2);
        }
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        g_spawn_close_pid(pid);
        fclose(lines);
        CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        pid = spawn_child(&harness, "8000", &lines);
        gint64 first_after = 0, last_after = 0;
        char *line;
        gint64 expected_next = 0;
        while ((line = read_line(lines)) != NULL) {
            last_after = check_line(line, words, 2);
            /* consecutive batches after the restart */
            if (expected_next != 0)
                ASSERT_INT_EQ(last_after, expected_next);
            expected_next = last_after + 1000;
            if (first_after == 0)
                first_after = last_after;
            g_free(line);
        }
        waitpid(pid, &status, 0);
        g_spawn_close_pid(pid);
        fclose(lines);
        CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ASSERT_INT_EQ(last_after, 8000);
        if (g_getenv("DUET_TEST_VERBOSE"))
            g_printerr("round %u: killed after %u lines (last %" G_GINT64_FORMAT
                       "), restart from %" G_GINT64_FORMAT "\n",
                       round, kill_after, last_seen, first_after);
        /* the restart reports batches after those the killed run reported */
        CU_ASSERT_TRUE(first_after > 0 && first_after >= last_seen);
        harness_clear(&harness);
    }
    g_rand_free(rand);
}

DUET_TEST_MAIN("recovery", DUET_TEST(test_state_carries_over_and_pending_batch_reruns),
               DUET_TEST(test_recover_from_state_rdd_checkpoint),
               DUET_TEST(test_recover_inverse_window), DUET_TEST(test_corrupted_checkpoint),
               DUET_TEST(test_wrong_version_checkpoint), DUET_TEST(test_changed_graph),
               DUET_TEST(test_old_checkpoints_deleted), DUET_TEST(test_map_with_state_recovery),
               DUET_TEST(test_sigkill_and_recover))
