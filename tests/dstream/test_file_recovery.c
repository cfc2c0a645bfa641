/* test_file_recovery.c — tests of textFileStream's recovery (dstream/file_input.c with
 * dstream/checkpoint.c): a word count over the lines of the files of a directory (one word a
 * line), stopped in the middle of a batch and restarted with getOrCreate on the manual clock.
 * The pending batch is computed again over exactly the files it had taken, files already taken
 * are never taken again, and files that arrived while the program was down go to the batches
 * after the restart, even when the restarted stream is created after their modification time.
 * Nothing sleeps: files get their modification times set to manual-clock times. */
#include "tests/common/test.h"

#include "tests/common/batch_literal.h"
#include "dstream/dstream.h"
#include "dstream/receiver.h"
#include "sources/source.h"
#include "rdd/atomic_file.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#define BATCH_MS 1000

typedef struct {
    char *input_dir;       /* textFileStream's directory */
    char *checkpoint_dir;  /* ssc.checkpoint */
    gint64 clock_start_ms; /* the manual clock of the next context starts here */
    gboolean stateful;     /* updateStateByKey of the counts instead of each batch's counts */
    gboolean file_source;  /* a source_stream over the shared text file source instead */
    gint64 fail_at_ms;     /* the output fails at this batch (a crash during the jobs) */
    DuetClock *clock;      /* the last context's manual clock (owned) */
    guint builds;          /* times the create function ran */
    GPtrArray *outputs;    /* "<time>: <counts>" per batch */
    GMutex lock;
} App;

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

static gboolean
app_output(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    App *app = user_data;
    if (app->fail_at_ms > 0 && time_ms == app->fail_at_ms) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_FAILED,
                    "crash at %" G_GINT64_FORMAT " ms", app->fail_at_ms);
        return FALSE;
    }
    g_autoptr(DuetBatch) batch = duet_rdd_collect(rdd, error);
    if (batch == NULL)
        return FALSE;
    g_autofree char *text = duet_test_render_sorted(batch);
    g_mutex_lock(&app->lock);
    g_ptr_array_add(app->outputs, g_strdup_printf("%" G_GINT64_FORMAT ": %s", time_ms, text));
    g_mutex_unlock(&app->lock);
    return TRUE;
}

static DuetStreamingContext *
app_create(gpointer user_data, GError **error)
{
    App *app = user_data;
    app->builds++;
    g_autoptr(DuetContext) spark = duet_context_new("local[2]", error);
    if (spark == NULL)
        return NULL;
    if (app->clock)
        duet_clock_unref(app->clock);
    app->clock = duet_clock_new_manual(app->clock_start_ms);
    duet_context_set_clock(spark, app->clock);
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(spark, BATCH_MS, error);
    if (ssc == NULL || !duet_streaming_context_checkpoint(ssc, app->checkpoint_dir, error))
        return NULL;
    g_autoptr(DuetDStream) lines = NULL;
    if (app->file_source) {
        DuetSourceOptions *options = duet_source_options_new();
        duet_source_options_set(options, "path", app->input_dir);
        duet_source_options_set(options, "minFileAge", "0");
        g_autoptr(DuetSource) source = duet_source_new("text", options, NULL, app->clock, 2, error);
        g_hash_table_unref(options);
        if (source == NULL)
            return NULL;
        lines = duet_streaming_context_source_stream(ssc, source);
    } else {
        lines = duet_streaming_context_text_file_stream(ssc, app->input_dir);
    }
    g_autoptr(DuetDStream) counts = duet_dstream_count_by_value(lines, 2);
    g_autoptr(DuetDataType) state_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    g_autoptr(DuetDStream) output =
        app->stateful
            ? duet_dstream_update_state_by_key(counts, state_type, app_sum, NULL, 2, NULL, error)
            : duet_dstream_ref(counts);
    if (output == NULL)
        return NULL;
    duet_dstream_foreach_rdd(output, app_output, app);
    return g_steal_pointer(&ssc);
}

static void
app_init(App *app, gboolean stateful)
{
    memset(app, 0, sizeof *app);
    app->input_dir = duet_test_tmpdir_new();
    app->checkpoint_dir = duet_test_tmpdir_new();
    app->stateful = stateful;
    app->outputs = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&app->lock);
}

static void
app_clear(App *app)
{
    if (app->clock)
        duet_clock_unref(app->clock);
    g_ptr_array_unref(app->outputs);
    g_mutex_clear(&app->lock);
    duet_test_tmpdir_free(app->input_dir);
    duet_test_tmpdir_free(app->checkpoint_dir);
}

static DuetStreamingContext *
app_start(App *app)
{
    GError *error = NULL;
    DuetStreamingContext *ssc =
        duet_streaming_context_get_or_create(app->checkpoint_dir, app_create, app, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    CU_ASSERT_TRUE(duet_streaming_context_start(ssc, &error));
    ASSERT_NO_ERROR(error);
    return ssc;
}

static void
app_stop(DuetStreamingContext *ssc)
{
    duet_streaming_context_stop(ssc, FALSE);
    duet_streaming_context_unref(ssc);
}

static void
run_batch(App *app, DuetStreamingContext *ssc, gint64 time_ms)
{
    duet_clock_set_ms(app->clock, time_ms);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, time_ms, 60000));
}

/* Writes a file of the input directory with its modification time at a manual-clock time. */
static void
write_input(App *app, const char *name, const char *text, gint64 mtime_ms)
{
    g_autofree char *path = g_build_filename(app->input_dir, name, NULL);
    CU_ASSERT_TRUE(g_file_set_contents(path, text, -1, NULL));
    struct timespec times[2] = {{mtime_ms / 1000, (mtime_ms % 1000) * 1000000},
                                {mtime_ms / 1000, (mtime_ms % 1000) * 1000000}};
    CU_ASSERT_EQUAL(utimensat(AT_FDCWD, path, times, 0), 0);
}

static char *
outputs_text(App *app)
{
    g_mutex_lock(&app->lock);
    g_ptr_array_add(app->outputs, NULL);
    char *text = g_strjoinv(" | ", (char **)app->outputs->pdata);
    g_ptr_array_set_size(app->outputs, 0);
    g_mutex_unlock(&app->lock);
    return text;
}

#define ASSERT_OUTPUTS(app, expected)                                                              \
    do {                                                                                           \
        g_autofree char *text_ = outputs_text(app);                                                \
        ASSERT_STR_EQ(text_, expected);                                                            \
    } while (0)

static char *
checkpoint_payload(App *app, gint64 time_ms)
{
    g_autofree char *name = g_strdup_printf("checkpoint-%" G_GINT64_FORMAT, time_ms);
    g_autofree char *path = g_build_filename(app->checkpoint_dir, name, NULL);
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

/* Stops in the middle of batch 2000 (its output fails, as a crash would leave it). While the
 * program is down, a file with a modification time before 2000 and one after it arrive, and
 * the restart creates its stream at 2600. The pending batch 2000 is computed again over its
 * one file (not the late one), a.txt of batch 1000 is not taken again, and both late files go
 * to batch 3000 (the first run's creation time still bounds what is new). After a clean stop,
 * a second restart takes only the file that is new. */
static void
test_pending_batch_reruns_over_its_files(void)
{
    App app;
    app_init(&app, FALSE);
    write_input(&app, "a.txt", "a\nb\n", 500);
    DuetStreamingContext *ssc = app_start(&app);
    run_batch(&app, ssc, 1000);
    ASSERT_OUTPUTS(&app, "1000: [(a,1), (b,1)]");
    write_input(&app, "b.txt", "b\nc\n", 1500);
    app.fail_at_ms = 2000;
    run_batch(&app, ssc, 2000);
    app_stop(ssc);
    ASSERT_OUTPUTS(&app, "");
    {
        g_autofree char *payload = checkpoint_payload(&app, 2000);
        g_autofree char *a_path = g_build_filename(app.input_dir, "a.txt", NULL);
        g_autofree char *b_path = g_build_filename(app.input_dir, "b.txt", NULL);
        g_autofree char *expected =
            g_strdup_printf("\"data\":{\"createdMs\":0,\"batchTimeToSelectedFiles\":{\"1000\":"
                            "[\"%s\"],\"2000\":[\"%s\"]}}",
                            a_path, b_path);
        CU_ASSERT_PTR_NOT_NULL(strstr(payload, "\"pendingTimesMs\":[2000]"));
        CU_ASSERT_PTR_NOT_NULL(strstr(payload, "\"kind\":\"FileInputDStream\""));
        CU_ASSERT_PTR_NOT_NULL(strstr(payload, expected));
        if (strstr(payload, expected) == NULL)
            g_printerr("payload: %s\nexpected: %s\n", payload, expected);
    }

    /* arrive while the program is down */
    write_input(&app, "c.txt", "c\nd\n", 1800);
    write_input(&app, "d.txt", "e\n", 2500);
    app.fail_at_ms = 0;
    app.clock_start_ms = 2600;
    ssc = app_start(&app);
    ASSERT_INT_EQ(app.builds, 2);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 2000, 60000));
    run_batch(&app, ssc, 3000);
    ASSERT_OUTPUTS(&app, "2000: [(b,1), (c,1)] | 3000: [(c,1), (d,1), (e,1)]");
    app_stop(ssc);

    /* a clean stop after batch 3000: nothing is pending, nothing is taken twice */
    write_input(&app, "e.txt", "f\n", 3500);
    app.clock_start_ms = 3000;
    ssc = app_start(&app);
    ASSERT_INT_EQ(app.builds, 3);
    run_batch(&app, ssc, 4000);
    run_batch(&app, ssc, 5000);
    ASSERT_OUTPUTS(&app, "4000: [(f,1)] | 5000: []");
    app_stop(ssc);
    app_clear(&app);
}

/* updateStateByKey over the file counts: the state carries over a stop in the middle of a
 * batch, and the re-run batch adds its own files' words once. */
static void
test_state_over_files_carries_over(void)
{
    App app;
    app_init(&app, TRUE);
    write_input(&app, "1.txt", "a\nb\na\n", 400);
    DuetStreamingContext *ssc = app_start(&app);
    run_batch(&app, ssc, 1000);
    write_input(&app, "2.txt", "b\n", 1200);
    run_batch(&app, ssc, 2000);
    write_input(&app, "3.txt", "c\na\n", 2900);
    app.fail_at_ms = 3000;
    run_batch(&app, ssc, 3000);
    app_stop(ssc);
    ASSERT_OUTPUTS(&app, "1000: [(a,2), (b,1)] | 2000: [(a,2), (b,2)]");

    write_input(&app, "4.txt", "c\n", 2950); /* late for 3000: goes to 4000 */
    app.fail_at_ms = 0;
    app.clock_start_ms = 3000;
    ssc = app_start(&app);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 3000, 60000));
    run_batch(&app, ssc, 4000);
    ASSERT_OUTPUTS(&app, "3000: [(a,3), (b,2), (c,1)] | 4000: [(a,3), (b,2), (c,2)]");
    app_stop(ssc);
    app_clear(&app);
}

/* A file of the pending batch deleted while the program is down: the re-run cannot read the
 * same files, and the batch fails naming the file instead of silently changing its input. */
static void
test_deleted_file_of_pending_batch(void)
{
    App app;
    app_init(&app, FALSE);
    write_input(&app, "gone.txt", "x\n", 500);
    app.fail_at_ms = 1000;
    DuetStreamingContext *ssc = app_start(&app);
    run_batch(&app, ssc, 1000);
    app_stop(ssc);
    g_autofree char *path = g_build_filename(app.input_dir, "gone.txt", NULL);
    CU_ASSERT_EQUAL(g_unlink(path), 0);
    app.fail_at_ms = 0;
    ssc = app_start(&app);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 1000, 60000));
    GError *error = NULL;
    CU_ASSERT_FALSE(duet_streaming_context_await_termination(ssc, 0, &error));
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "gone.txt"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "a batch it took before"));
    g_clear_error(&error);
    ASSERT_OUTPUTS(&app, "");
    app_stop(ssc);
    app_clear(&app);
}

/* A source_stream over the shared text file source (sources/file_source.c) recovers by
 * offsets: the pending batch reads exactly its offset range again (the file source's offsets
 * are file sets it logs under <checkpoint>/sources/0/, read back by the new process), and the
 * batch after it starts where that range ended, so the file that arrived while the program
 * was down is read once, by batch 3000. */
static void
test_file_source_stream_recovers_by_offsets(void)
{
    App app;
    app_init(&app, FALSE);
    app.file_source = TRUE;
    write_input(&app, "a.txt", "a\nb\n", 500);
    DuetStreamingContext *ssc = app_start(&app);
    run_batch(&app, ssc, 1000);
    ASSERT_OUTPUTS(&app, "1000: [(a,1), (b,1)]");
    write_input(&app, "b.txt", "b\nc\n", 1500);
    app.fail_at_ms = 2000;
    run_batch(&app, ssc, 2000);
    app_stop(ssc);
    ASSERT_OUTPUTS(&app, "");
    {
        g_autofree char *payload = checkpoint_payload(&app, 2000);
        CU_ASSERT_PTR_NOT_NULL(strstr(payload, "\"kind\":\"DirectInputDStream\""));
        CU_ASSERT_PTR_NOT_NULL(strstr(payload, "\"2000\":[\"0\",\"1\"]"));
        if (strstr(payload, "\"2000\":[\"0\",\"1\"]") == NULL)
            g_printerr("payload: %s\n", payload);
    }
    write_input(&app, "c.txt", "c\nd\n", 1800);
    app.fail_at_ms = 0;
    ssc = app_start(&app);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 2000, 60000));
    run_batch(&app, ssc, 3000);
    run_batch(&app, ssc, 4000);
    ASSERT_OUTPUTS(&app, "2000: [(b,1), (c,1)] | 3000: [(c,1), (d,1)] | 4000: []");
    app_stop(ssc);
    app_clear(&app);
}

DUET_TEST_MAIN("file_recovery", DUET_TEST(test_pending_batch_reruns_over_its_files),
               DUET_TEST(test_state_over_files_carries_over),
               DUET_TEST(test_deleted_file_of_pending_batch),
               DUET_TEST(test_file_source_stream_recovers_by_offsets))
