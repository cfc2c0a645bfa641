/* test_receiver_wal.c — tests of the receiver write-ahead log (dstream/block_tracker.c
 * and its use by dstream/receiver.c): the stateful word count of wal_app.h over a receiver, run
 * on the manual clock, stopped in the middle of a batch and recovered with getOrCreate (the
 * allocated batch re-run with its blocks, the logged but unallocated blocks in the next batch,
 * the state recomputed from blocks read back from the log), old log files cleaned, damaged logs
 * reported with their file; and the same over a real socket in a child process (wal_child.c)
 * killed with SIGKILL twice, whose final counts must be exact. Nothing sleeps: waits are on
 * batches, on logged records and on the child's output. */
#include "tests/common/test.h"
#include "tests/dstream/wal_app.h"
#include "dstream/write_ahead_log.h"
#include "rdd/fault.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

typedef struct {
    char *dir;
    GPtrArray *outputs; /* "<time>: <state>" per batch */
    GMutex lock;
    WalApp app;
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
harness_init(Harness *harness)
{
    memset(harness, 0, sizeof *harness);
    harness->dir = duet_test_tmpdir_new();
    harness->outputs = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&harness->lock);
    harness->app.checkpoint_dir = harness->dir;
    harness->app.on_batch = record_batch;
    harness->app.user_data = harness;
    harness->app.state_interval_ms = 2000;
}

static void
harness_clear(Harness *harness)
{
    wal_app_clear(&harness->app);
    g_ptr_array_unref(harness->outputs);
    g_mutex_clear(&harness->lock);
    duet_test_tmpdir_free(harness->dir);
}

static DuetStreamingContext *
harness_start(Harness *harness)
{
    GError *error = NULL;
    DuetStreamingContext *ssc =
        duet_streaming_context_get_or_create(harness->dir, wal_app_create, &harness->app, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    CU_ASSERT_TRUE(duet_streaming_context_start(ssc, &error));
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(harness->app.manual);
    return ssc;
}

static void
run_batch(Harness *harness, DuetStreamingContext *ssc, gint64 time_ms)
{
    duet_clock_set_ms(harness->app.clock, time_ms);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, time_ms, 60000));
}

static void
store_words(Harness *harness, const char *words)
{
    g_auto(GStrv) list = g_strsplit(words, " ", -1);
    for (guint index = 0; list[index]; index++)
        duet_receiver_store_string(harness->app.manual, list[index], -1);
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

static void
stop(DuetStreamingContext *ssc)
{
    duet_streaming_context_stop(ssc, FALSE);
    duet_streaming_context_unref(ssc);
}

static gboolean
has_file(const char *dir, const char *sub, const char *name)
{
    g_autofree char *path = g_build_filename(dir, sub, "0", name, NULL);
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* Without a checkpoint directory the log cannot be enabled: Spark's message. */
static void
test_requires_checkpoint_dir(void)
{
    GError *error = NULL;
    g_autoptr(DuetContext) spark = duet_context_new("local[1]", &error);
    duet_context_set_conf(spark, DUET_RECEIVER_WAL_ENABLE, "true");
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(spark, 1000, &error);
    static const DuetReceiverFuncs funcs = {wal_app_manual_start, wal_app_manual_stop};
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    WalApp app = {0};
    g_autoptr(DuetDStream) lines =
        duet_streaming_context_receiver_stream(ssc, schema, &funcs, &app, NULL);
    duet_dstream_foreach_rdd(lines, wal_app_output, &app);
    CU_ASSERT_FALSE(duet_streaming_context_start(ssc, &error));
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID);
    ASSERT_STR_EQ(error->message,
                  "Cannot enable receiver write-ahead log without checkpoint directory set. "
                  "Please use streamingContext.checkpoint() to set the checkpoint directory. See "
                  "documentation for more details.");
    g_clear_error(&error);
}

/* A stop in the middle of batch 2000 (its output fails, as a crash would leave it), with two
 * more records logged by store_batch and one only stored: after getOrCreate, batch 2000 re-runs
 * with exactly its blocks (and the state of batch 1000 recomputed from the log, since no state
 * RDD was checkpointed yet), the logged records go to batch 3000 and the record that never
 * reached the log is lost, as in Spark. Old log files are cleaned as batches complete, without
 * losing anything a later restart needs. */
static void
test_recover_allocated_and_unallocated_blocks(void)
{
    Harness harness;
    harness_init(&harness);
    harness.app.state_interval_ms = 3000;
    DuetStreamingContext *ssc = harness_start(&harness);
    DuetReceiver *receiver = harness.app.manual;
    ASSERT_INT_EQ(duet_receiver_n_logged(receiver), 0);
    store_words(&harness, "a b a");
    run_batch(&harness, ssc, 1000);
    ASSERT_INT_EQ(duet_receiver_n_logged(receiver), 3);
    ASSERT_OUTPUTS(&harness, "1000: [(a,2), (b,1)]");
    store_words(&harness, "c a");
    harness.app.fail_at_ms = 2000;
    run_batch(&harness, ssc, 2000);
    ASSERT_OUTPUTS(&harness, "");
    g_autoptr(DuetBatch) more = duet_test_batch("value STRING", "[\"d\", \"d\"]");
    duet_receiver_store_batch(receiver, more);
    ASSERT_INT_EQ(duet_receiver_n_logged(receiver), 7);
    store_words(&harness, "lost");
    ASSERT_INT_EQ(duet_receiver_n_stored(receiver), 8);
    stop(ssc);
    CU_ASSERT_TRUE(has_file(harness.dir, "receivedData", "log-1000-2000-1"));
    CU_ASSERT_TRUE(has_file(harness.dir, "receivedBlockMetadata", "log-1000-2000-1"));

    harness.app.fail_at_ms = 0;
    ssc = harness_start(&harness);
    ASSERT_INT_EQ(harness.app.builds, 2);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 2000, 60000));
    run_batch(&harness, ssc, 3000);
    ASSERT_OUTPUTS(&harness, "2000: [(a,3), (b,1), (c,1)] | 3000: [(a,3), (b,1), (c,1), (d,2)]");
    ASSERT_INT_EQ(duet_receiver_n_logged(harness.app.manual), 0); /* this run logged nothing */
    for (gint64 time = 4000; time <= 8000; time += 1000) {
        store_words(&harness, "e");
        run_batch(&harness, ssc, time);
    }
    ASSERT_OUTPUTS(&harness, "4000: [(a,3), (b,1), (c,1), (d,2), (e,1)] | "
                             "5000: [(a,3), (b,1), (c,1), (d,2), (e,2)] | "
                             "6000: [(a,3), (b,1), (c,1), (d,2), (e,3)] | "
                             "7000: [(a,3), (b,1), (c,1), (d,2), (e,4)] | "
                             "8000: [(a,3), (b,1), (c,1), (d,2), (e,5)]");
    /* The state was checkpointed at 3000 and 6000, so batches from 5000 on may be recomputed:
     * files roll when a write comes after their end (log-4000-5000 takes the writes of 4000 and
     * 5000), and those holding only older batches are gone. */
    g_autofree char *data_dir = g_build_filename(harness.dir, "receivedData", "0", NULL);
    g_autofree char *meta_dir = g_build_filename(harness.dir, "receivedBlockMetadata", "0", NULL);
    g_autoptr(GPtrArray) data_files = duet_write_ahead_log_list(data_dir);
    g_autoptr(GPtrArray) meta_files = duet_write_ahead_log_list(meta_dir);
    g_ptr_array_add(data_files, NULL);
    g_ptr_array_add(meta_files, NULL);
    g_autofree char *data_names = g_strjoinv(" ", (char **)data_files->pdata);
    g_autofree char *meta_names = g_strjoinv(" ", (char **)meta_files->pdata);
    ASSERT_STR_EQ(data_names, "log-4000-5000-2 log-6000-7000-3 log-8000-9000-4");
    ASSERT_STR_EQ(meta_names, "log-5000-6000-3 log-7000-8000-4");
    /* a stop in the middle of 9000: the restart recomputes 7000..9000 from the state of 6000
     * with blocks read back from the log */
    store_words(&harness, "f");
    harness.app.fail_at_ms = 9000;
    run_batch(&harness, ssc, 9000);
    stop(ssc);
    harness.app.fail_at_ms = 0;
    ssc = harness_start(&harness);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 9000, 60000));
    ASSERT_OUTPUTS(&harness, "9000: [(a,3), (b,1), (c,1), (d,2), (e,5), (f,1)]");
    stop(ssc);
    harness_clear(&harness);
}

/* Truncates every part-* file under directory (recursively) to half its size; returns how many. */
static guint
truncate_parts(const char *directory)
{
    guint count = 0;
    GDir *dir = g_dir_open(directory, 0, NULL);
    if (dir == NULL)
        return 0;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(directory, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            count += truncate_parts(path);
        } else if (g_str_has_prefix(name, "part-")) {
            g_autofree char *contents = NULL;
            gsize len = 0;
            if (g_file_get_contents(path, &contents, &len, NULL) &&
                g_file_set_contents(path, contents, (gssize)len / 2, NULL))
                count++;
        }
    }
    g_dir_close(dir);
    return count;
}

/* A torn state RDD checkpoint (its partition files cut in half) restored by getOrCreate: the
 * first batch that reads it fails with an error naming the damaged file, and awaitTermination
 * reports it; nothing crashes and no batch runs on a wrong state. */
static void
test_torn_state_checkpoint(void)
{
    Harness harness;
    harness_init(&harness);
    harness.app.state_interval_ms = 1000;
    DuetStreamingContext *ssc = harness_start(&harness);
    store_words(&harness, "a b");
    run_batch(&harness, ssc, 1000);
    store_words(&harness, "a");
    run_batch(&harness, ssc, 2000);
    stop(ssc);
    ASSERT_OUTPUTS(&harness, "1000: [(a,1), (b,1)] | 2000: [(a,2), (b,1)]");
    CU_ASSERT_TRUE(truncate_parts(harness.dir) > 0);
    ssc = harness_start(&harness);
    store_words(&harness, "c");
    run_batch(&harness, ssc, 3000);
    ASSERT_OUTPUTS(&harness, "");
    GError *error = NULL;
    duet_streaming_context_await_termination(ssc, 0, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "error in the batch at 3000 ms"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, harness.dir));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "/part-0000"));
    g_clear_error(&error);
    stop(ssc);
    harness_clear(&harness);
}

static gboolean
fail_data_fsync(DuetFaultSite site, const char *path, gpointer user_data)
{
    return site == DUET_FAULT_SITE_FSYNC && path != NULL && strstr(path, "receivedData") != NULL &&
           g_atomic_int_dec_and_test((gint *)user_data);
}

static void
count_error(const char *name, const char *message, gpointer user_data)
{
    GString *errors = user_data;
    g_string_append_printf(errors, "%s;", message);
}

/* A block the log cannot take (its fsync fails) is still processed, and the listeners hear that
 * it is not in the log (Spark's reportError); the next blocks are logged again. */
static void
test_log_failure_reported(void)
{
    Harness harness;
    harness_init(&harness);
    GError *error = NULL;
    DuetStreamingContext *ssc =
        duet_streaming_context_get_or_create(harness.dir, wal_app_create, &harness.app, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    GString *errors = g_string_new(NULL);
    DuetStreamingListener listener = {.receiver_error = count_error, .user_data = errors};
    duet_streaming_context_add_listener(ssc, &listener);
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(ssc, &error));
    gint countdown = 1;
    duet_fault_sim_set_hook(fail_data_fsync, &countdown);
    store_words(&harness, "a b");
    run_batch(&harness, ssc, 1000);
    duet_fault_sim_set_hook(NULL, NULL);
    store_words(&harness, "c");
    run_batch(&harness, ssc, 2000);
    ASSERT_OUTPUTS(&harness, "1000: [(a,1), (b,1)] | 2000: [(a,1), (b,1), (c,1)]");
    ASSERT_INT_EQ(duet_receiver_n_logged(harness.app.manual), 1);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(errors->str, "a block of 2 records is not in the write-ahead log"));
    CU_ASSERT_PTR_NOT_NULL(strstr(errors->str, "fsync"));
    stop(ssc);
    g_string_free(errors, TRUE);
    harness_clear(&harness);
}

/* A restart goes back to the checkpoint's time, behind the files the crashed run wrote last:
 * run 1 logs block c at 2500 (files log-2500-3500-*); run 2, its clock back at 2000, logs block
 * d there and allocates c and d to the batch at 3000 in its file log-2000-3000-*, which by
 * time comes before run 1's. Run 3 still replays the events in the order they were logged (the
 * crash harness found "the batch at 3000 ms is allocated block 2, which was never added"). */
static void
test_restart_behind_the_clock(void)
{
    Harness harness;
    harness_init(&harness);
    DuetStreamingContext *ssc = harness_start(&harness);
    store_words(&harness, "a");
    run_batch(&harness, ssc, 1000);
    store_words(&harness, "b");
    run_batch(&harness, ssc, 2000);
    ASSERT_OUTPUTS(&harness, "1000: [(a,1)] | 2000: [(a,1), (b,1)]");
    duet_clock_set_ms(harness.app.clock, 2500);
    g_autoptr(DuetBatch) c = duet_test_batch("value STRING", "[\"c\"]");
    duet_receiver_store_batch(harness.app.manual, c);
    stop(ssc);

    ssc = harness_start(&harness);
    duet_clock_set_ms(harness.app.clock, 2000); /* batch 2000 completed: nothing to re-run */
    g_autoptr(DuetBatch) d = duet_test_batch("value STRING", "[\"d\"]");
    duet_receiver_store_batch(harness.app.manual, d);
    run_batch(&harness, ssc, 3000);
    stop(ssc);
    g_autofree char *run2 = outputs_text(&harness);
    CU_ASSERT_PTR_NOT_NULL(strstr(run2, "3000: [(a,1), (b,1), (c,1), (d,1)]"));
    g_autofree char *meta_dir = g_build_filename(harness.dir, "receivedBlockMetadata", "0", NULL);
    g_autoptr(GPtrArray) files = duet_write_ahead_log_list(meta_dir);
    CU_ASSERT_TRUE_FATAL(files->len >= 2);
    ASSERT_STR_EQ(files->pdata[files->len - 1], "log-2000-3000-3");
    ASSERT_STR_EQ(files->pdata[files->len - 2], "log-2500-3500-2");

    ssc = harness_start(&harness);
    duet_clock_set_ms(harness.app.clock, 3000); /* batch 3000 completed: nothing to re-run */
    store_words(&harness, "e");
    run_batch(&harness, ssc, 4000);
    stop(ssc);
    g_autofree char *run3 = outputs_text(&harness);
    CU_ASSERT_PTR_NOT_NULL(strstr(run3, "4000: [(a,1), (b,1), (c,1), (d,1), (e,1)]"));
    if (strstr(run3, "4000: [(a,1), (b,1), (c,1), (d,1), (e,1)]") == NULL)
        g_printerr("\n  run 2: %s\n  run 3: %s\n", run2, run3);
    harness_clear(&harness);
}

static gboolean
collect_but_first_add(GBytes *record, const DuetWalSegment *segment, gpointer user_data,
                      GError **error)
{
    gsize len = 0;
    const char *data = g_bytes_get_data(record, &len);
    char *text = g_strndup(data, len);
    if (g_str_has_prefix(text, "{\"add\":{\"id\":0,"))
        g_free(text);
    else
        g_ptr_array_add(user_data, text);
    return TRUE;
}

/* Cleaning deletes a file by its end time, so the addition of a block can be gone while the
 * allocation of its batch, logged later in a file that stays, is still there, followed by the
 * cleanup event of that batch: recovery does not need the block and succeeds. The log is
 * rewritten that way after run 1 (block 0, of the batch at 1000, loses its addition). */
static void
test_cleaned_batch_without_its_block(void)
{
    Harness harness;
    harness_init(&harness);
    DuetStreamingContext *ssc = harness_start(&harness);
    store_words(&harness, "a");
    run_batch(&harness, ssc, 1000);
    store_words(&harness, "b");
    run_batch(&harness, ssc, 2000);
    ASSERT_OUTPUTS(&harness, "1000: [(a,1)] | 2000: [(a,1), (b,1)]");
    stop(ssc);
    g_autofree char *meta_dir = g_build_filename(harness.dir, "receivedBlockMetadata", "0", NULL);
    g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func(g_free);
    GError *error = NULL;
    CU_ASSERT_TRUE(duet_write_ahead_log_read_all(meta_dir, collect_but_first_add, events, &error));
    ASSERT_NO_ERROR(error);
    g_autoptr(GPtrArray) files = duet_write_ahead_log_list(meta_dir);
    for (guint index = 0; index < files->len; index++) {
        g_autofree char *path = g_build_filename(meta_dir, files->pdata[index], NULL);
        g_unlink(path);
    }
    DuetWriteAheadLog *log = duet_write_ahead_log_open(meta_dir, 1000, &error);
    for (guint index = 0; index < events->len; index++) {
        const char *text = events->pdata[index];
        CU_ASSERT_TRUE(duet_write_ahead_log_write(log, text, strlen(text), 2000, NULL, &error));
    }
    const char *cleanup = "{\"cleanup\":{\"timesMs\":[1000]}}";
    CU_ASSERT_TRUE(duet_write_ahead_log_write(log, cleanup, strlen(cleanup), 2000, NULL, &error));
    ASSERT_NO_ERROR(error);
    duet_write_ahead_log_close(log);

    ssc = harness_start(&harness);
    store_words(&harness, "c");
    run_batch(&harness, ssc, 3000);
    stop(ssc);
    ASSERT_OUTPUTS(&harness, "3000: [(a,1), (b,1), (c,1)]");
    /* without the cleanup event the batch at 1000 is kept and its block is missing: an error */
    g_autoptr(GPtrArray) now = duet_write_ahead_log_list(meta_dir);
    g_autofree char *first = g_build_filename(meta_dir, now->pdata[0], NULL);
    log = duet_write_ahead_log_open(meta_dir, 1000, &error);
    g_unlink(first);
    for (guint index = 0; index < events->len; index++) {
        const char *text = events->pdata[index];
        CU_ASSERT_TRUE(duet_write_ahead_log_write(log, text, strlen(text), 2000, NULL, &error));
    }
    duet_write_ahead_log_close(log);
    ssc = duet_streaming_context_get_or_create(harness.dir, wal_app_create, &harness.app, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    CU_ASSERT_FALSE(duet_streaming_context_start(ssc, &error));
    CU_ASSERT_TRUE(error != NULL &&
                   strstr(error->message, "the batch at 1000 ms is allocated block 0, which was "
                                          "never added") != NULL);
    g_clear_error(&error);
    duet_streaming_context_unref(ssc);
    harness_clear(&harness);
}

/* A torn tail of the metadata log (the crash came while an event was written) loses only that
 * event; garbage in it fails start() with an error naming the file. */
static void
test_damaged_metadata_log(void)
{
    Harness harness;
    harness_init(&harness);
    DuetStreamingContext *ssc = harness_start(&harness);
    store_words(&harness, "a");
    run_batch(&harness, ssc, 1000);
    g_autoptr(DuetBatch) more = duet_test_batch("value STRING", "[\"b\"]");
    duet_receiver_store_batch(harness.app.manual, more);
    stop(ssc);
    ASSERT_OUTPUTS(&harness, "1000: [(a,1)]");
    g_autofree char *meta = g_build_filename(harness.dir, "receivedBlockMetadata", "0", NULL);
    g_autoptr(GPtrArray) files = duet_write_ahead_log_list(meta);
    CU_ASSERT_TRUE_FATAL(files->len == 1);
    g_autofree char *path = g_build_filename(meta, files->pdata[0], NULL);
    g_autofree char *contents = NULL;
    gsize len = 0;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &contents, &len, NULL));
    /* torn: the last event (b's addition) is cut; b is lost, nothing else */
    CU_ASSERT_TRUE(g_file_set_contents(path, contents, (gssize)len - 3, NULL));
    ssc = harness_start(&harness);
    run_batch(&harness, ssc, 2000);
    stop(ssc);
    ASSERT_OUTPUTS(&harness, "2000: [(a,1)]");
    /* garbage in the middle of the file */
    g_clear_pointer(&contents, g_free);
    CU_ASSERT_TRUE(g_file_get_contents(path, &contents, &len, NULL));
    contents[40] ^= 0x20;
    CU_ASSERT_TRUE(g_file_set_contents(path, contents, (gssize)len, NULL));
    GError *error = NULL;
    ssc = duet_streaming_context_get_or_create(harness.dir, wal_app_create, &harness.app, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    CU_ASSERT_FALSE(duet_streaming_context_start(ssc, &error));
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "cannot recover the received blocks of "));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "wrong checksum"));
    g_clear_error(&error);
    duet_streaming_context_unref(ssc);
    harness_clear(&harness);
}

/* A ZeroMQ PULL source stream under the log, stopped in the middle of batch 2000 with two more
 * messages pulled and logged at the block interval: after getOrCreate (a new source bound to
 * the same endpoint) batch 2000 re-runs with its message and batch 3000 gets the two others. */
static void
test_zmq_source_stream(void)
{
    Harness harness;
    harness_init(&harness);
    g_autofree char *endpoint = g_strdup_printf("ipc://%s/zmq.sock", harness.dir);
    harness.app.zmq_endpoint = endpoint;
    GError *error = NULL;
    DuetStreamingContext *ssc =
        duet_streaming_context_get_or_create(harness.dir, wal_app_create, &harness.app, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(ssc, &error));
    void *context = zmq_ctx_new();
    void *push = zmq_socket(context, ZMQ_PUSH);
    CU_ASSERT_EQUAL_FATAL(zmq_connect(push, endpoint), 0);
    const char *messages[] = {"a", "b", "a", "c", "d", "d", "e"};
    for (guint index = 0; index < 3; index++)
        CU_ASSERT_EQUAL(zmq_send(push, messages[index], 1, 0), 1);
    CU_ASSERT_TRUE(duet_zmq_source_wait_messages(harness.app.zmq, 3, 30000));
    run_batch(&harness, ssc, 1000);
    ASSERT_OUTPUTS(&harness, "1000: [(a,2), (b,1)]");
    CU_ASSERT_EQUAL(zmq_send(push, messages[3], 1, 0), 1);
    CU_ASSERT_TRUE(duet_zmq_source_wait_messages(harness.app.zmq, 4, 30000));
    harness.app.fail_at_ms = 2000;
    run_batch(&harness, ssc, 2000);
    for (guint index = 4; index < 6; index++)
        CU_ASSERT_EQUAL(zmq_send(push, messages[index], 1, 0), 1);
    CU_ASSERT_TRUE(duet_zmq_source_wait_messages(harness.app.zmq, 6, 30000));
    duet_clock_set_ms(harness.app.clock, 2200); /* the next block interval: pulled and logged */
    CU_ASSERT_TRUE(duet_dstream_wait_logged(harness.app.input, 6, 30000));
    stop(ssc);
    ASSERT_OUTPUTS(&harness, "");

    harness.app.fail_at_ms = 0;
    ssc = duet_streaming_context_get_or_create(harness.dir, wal_app_create, &harness.app, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ssc);
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(ssc, &error));
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, 2000, 60000));
    run_batch(&harness, ssc, 3000);
    ASSERT_OUTPUTS(&harness, "2000: [(a,2), (b,1), (c,1)] | 3000: [(a,2), (b,1), (c,1), (d,2)]");
    /* the push socket reconnects to the new source by itself */
    CU_ASSERT_EQUAL(zmq_send(push, messages[6], 1, 0), 1);
    CU_ASSERT_TRUE(duet_zmq_source_wait_messages(harness.app.zmq, 1, 30000));
    run_batch(&harness, ssc, 4000);
    ASSERT_OUTPUTS(&harness, "4000: [(a,2), (b,1), (c,1), (d,2), (e,1)]");
    ASSERT_INT_EQ(duet_dstream_n_logged(harness.app.input), 1);
    stop(ssc);
    int zero = 0;
    zmq_setsockopt(push, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(push);
    zmq_ctx_term(context);
    harness_clear(&harness);
}

/* ---- the socket pipeline in a child process, killed with SIGKILL ---------------------------- */

typedef struct {
    GPid pid;
    int to_child;     /* commands */
    FILE *from_child; /* its stdout */
} Child;

static void
child_start_input(Child *child, const char *input, const char *checkpoint, const char *out,
                  gint64 kill_at)
{
    const char *binary = g_getenv("DUET_WAL_CHILD");
    CU_ASSERT_PTR_NOT_NULL_FATAL(binary);
    g_autofree char *port_text = g_strdup(input);
    g_autofree char *kill_text = g_strdup_printf("%" G_GINT64_FORMAT, kill_at);
    char *argv[] = {(char *)binary, port_text, (char *)checkpoint, (char *)out, kill_text, NULL};
    int from_child = -1;
    GError *error = NULL;
    CU_ASSERT_TRUE_FATAL(g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                                  NULL, &child->pid, &child->to_child, &from_child,
                                                  NULL, &error));
    ASSERT_NO_ERROR(error);
    child->from_child = fdopen(from_child, "r");
}

static void
child_start(Child *child, guint16 port, const char *checkpoint, const char *out, gint64 kill_at)
{
    g_autofree char *port_text = g_strdup_printf("%u", port);
    child_start_input(child, port_text, checkpoint, out, kill_at);
}

/* Sends a command and returns the child's answer line (NULL when it died). */
static char *
child_ask(Child *child, const char *command)
{
    g_autofree char *line = g_strdup_printf("%s\n", command);
    if (write(child->to_child, line, strlen(line)) != (ssize_t)strlen(line))
        return NULL;
    char buffer[4096];
    if (fgets(buffer, sizeof buffer, child->from_child) == NULL)
        return NULL;
    buffer[strcspn(buffer, "\n")] = '\0';
    return g_strdup(buffer);
}

#define ASSERT_ANSWER(child, command, expected)                                                    \
    do {                                                                                           \
        g_autofree char *answer_ = child_ask(child, command);                                      \
        ASSERT_STR_EQ(answer_, expected);                                                          \
    } while (0)

/* Waits for the child to end; returns its wait status. */
static int
child_wait(Child *child)
{
    int status = 0;
    while (waitpid(child->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(child->to_child);
    fclose(child->from_child);
    g_spawn_close_pid(child->pid);
    return status;
}

static int
listen_loopback(guint16 *port)
{
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_TRUE_FATAL(bind(listener, (struct sockaddr *)&address, sizeof address) == 0 &&
                         listen(listener, 4) == 0);
    socklen_t length = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &length);
    *port = ntohs(address.sin_port);
    return listener;
}

/* The child's receiver connecting (at most 30 s of real time). */
static int
accept_receiver(int listener)
{
    struct pollfd poll_fd = {.fd = listener, .events = POLLIN};
    if (poll(&poll_fd, 1, 30000) != 1)
        return -1;
    return accept(listener, NULL, NULL);
}

static void
send_text(int peer, const char *text)
{
    CU_ASSERT_EQUAL(write(peer, text, strlen(text)), (ssize_t)strlen(text));
}

static char *
read_state(const char *out, gint64 time_ms)
{
    g_autofree char *name = g_strdup_printf("state-%" G_GINT64_FORMAT, time_ms);
    g_autofree char *path = g_build_filename(out, name, NULL);
    char *contents = NULL;
    if (!g_file_get_contents(path, &contents, NULL, NULL))
        return g_strdup("(missing)");
    return contents;
}

/* socketTextStream with the log -> updateStateByKey -> files. Run 1 is killed by its own output
 * in the middle of batch 2000 (its lines allocated, the batch pending); run 2 re-runs batch 2000,
 * receives two more lines, logs them at the block interval and is killed by the test before any
 * batch takes them; run 3 gives them to batch 3000. Every line sent is counted exactly once. */
static void
test_sigkill_socket_pipeline(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autofree char *checkpoint = g_build_filename(dir, "checkpoint", NULL);
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_mkdir(out, 0755);
    guint16 port = 0;
    int listener = listen_loopback(&port);
    Child child;

    /* run 1 */
    child_start(&child, port, checkpoint, out, 2000);
    int peer = accept_receiver(listener);
    CU_ASSERT_TRUE_FATAL(peer >= 0);
    send_text(peer, "a\nb\na\n");
    ASSERT_ANSWER(&child, "stored 3", "stored 3");
    ASSERT_ANSWER(&child, "batch 1000", "1000 [(a,2), (b,1)]");
    send_text(peer, "c\na\n");
    ASSERT_ANSWER(&child, "stored 5", "stored 5");
    g_autofree char *killed = child_ask(&child, "batch 2000");
    CU_ASSERT_PTR_NULL(killed); /* the output killed the process */
    int status = child_wait(&child);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(peer);

    /* run 2: the pending batch first, then two lines logged but never allocated */
    child_start(&child, port, checkpoint, out, 0);
    peer = accept_receiver(listener);
    CU_ASSERT_TRUE_FATAL(peer >= 0);
    ASSERT_ANSWER(&child, "await 2000", "2000 [(a,3), (b,1), (c,1)]");
    send_text(peer, "d\nd\n");
    ASSERT_ANSWER(&child, "stored 2", "stored 2");
    ASSERT_ANSWER(&child, "clock 2200", "clock 2200");
    ASSERT_ANSWER(&child, "logged 2", "logged 2");
    kill(child.pid, SIGKILL);
    status = child_wait(&child);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(peer);

    /* run 3 */
    child_start(&child, port, checkpoint, out, 0);
    peer = accept_receiver(listener);
    CU_ASSERT_TRUE_FATAL(peer >= 0);
    ASSERT_ANSWER(&child, "batch 3000", "3000 [(a,3), (b,1), (c,1), (d,2)]");
    send_text(peer, "e\n");
    ASSERT_ANSWER(&child, "stored 1", "stored 1");
    ASSERT_ANSWER(&child, "batch 4000", "4000 [(a,3), (b,1), (c,1), (d,2), (e,1)]");
    ASSERT_ANSWER(&child, "quit", "quit");
    status = child_wait(&child);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(peer);
    close(listener);

    /* the file sink holds every batch once, with the exact counts */
    const char *expected[] = {"[(a,2), (b,1)]", "[(a,3), (b,1), (c,1)]",
                              "[(a,3), (b,1), (c,1), (d,2)]",
                              "[(a,3), (b,1), (c,1), (d,2), (e,1)]"};
    for (guint batch = 0; batch < G_N_ELEMENTS(expected); batch++) {
        g_autofree char *state = read_state(out, (batch + 1) * 1000);
        ASSERT_STR_EQ(state, expected[batch]);
    }
    duet_test_tmpdir_free(dir);
}

/* The same over ZeroMQ: a PULL source stream under the log in the child, fed by the test's PUSH
 * socket, which reconnects to each new run by itself. */
static void
test_sigkill_zmq_pipeline(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autofree char *checkpoint = g_build_filename(dir, "checkpoint", NULL);
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *endpoint = g_strdup_printf("ipc://%s/zmq.sock", dir);
    g_mkdir(out, 0755);
    void *context = zmq_ctx_new();
    void *push = zmq_socket(context, ZMQ_PUSH);
    CU_ASSERT_EQUAL_FATAL(zmq_connect(push, endpoint), 0);
    Child child;

    child_start_input(&child, endpoint, checkpoint, out, 2000);
    const char *first[] = {"a", "b", "a"};
    for (guint index = 0; index < G_N_ELEMENTS(first); index++)
        CU_ASSERT_EQUAL(zmq_send(push, first[index], 1, 0), 1);
    ASSERT_ANSWER(&child, "stored 3", "stored 3");
    ASSERT_ANSWER(&child, "batch 1000", "1000 [(a,2), (b,1)]");
    CU_ASSERT_EQUAL(zmq_send(push, "c", 1, 0), 1);
    CU_ASSERT_EQUAL(zmq_send(push, "a", 1, 0), 1);
    ASSERT_ANSWER(&child, "stored 5", "stored 5");
    g_autofree char *killed = child_ask(&child, "batch 2000");
    CU_ASSERT_PTR_NULL(killed);
    int status = child_wait(&child);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    child_start_input(&child, endpoint, checkpoint, out, 0);
    ASSERT_ANSWER(&child, "await 2000", "2000 [(a,3), (b,1), (c,1)]");
    CU_ASSERT_EQUAL(zmq_send(push, "d", 1, 0), 1);
    CU_ASSERT_EQUAL(zmq_send(push, "d", 1, 0), 1);
    ASSERT_ANSWER(&child, "stored 2", "stored 2");
    ASSERT_ANSWER(&child, "clock 2200", "clock 2200");
    ASSERT_ANSWER(&child, "logged 2", "logged 2");
    kill(child.pid, SIGKILL);
    status = child_wait(&child);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    child_start_input(&child, endpoint, checkpoint, out, 0);
    ASSERT_ANSWER(&child, "batch 3000", "3000 [(a,3), (b,1), (c,1), (d,2)]");
    ASSERT_ANSWER(&child, "quit", "quit");
    status = child_wait(&child);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const char *expected[] = {"[(a,2), (b,1)]", "[(a,3), (b,1), (c,1)]",
                              "[(a,3), (b,1), (c,1), (d,2)]"};
    for (guint batch = 0; batch < G_N_ELEMENTS(expected); batch++) {
        g_autofree char *state = read_state(out, (batch + 1) * 1000);
        ASSERT_STR_EQ(state, expected[batch]);
    }
    int zero = 0;
    zmq_setsockopt(push, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(push);
    zmq_ctx_term(context);
    duet_test_tmpdir_free(dir);
}

/* The counts every batch must show: words[0..batch] summed, as "[(a,2), (b,1)]". */
static char *
expected_state(GPtrArray *words, guint through)
{
    gint64 counts[5] = {0};
    for (guint batch = 0; batch <= through; batch++) {
        const char *batch_words = g_ptr_array_index(words, batch);
        for (const char *at = batch_words; *at; at++)
            if (*at >= 'a' && *at <= 'e')
                counts[*at - 'a']++;
    }
    GString *text = g_string_new("[");
    for (int word = 0; word < 5; word++)
        if (counts[word] > 0)
            g_string_append_printf(text, "%s(%c,%" G_GINT64_FORMAT ")", text->len > 1 ? ", " : "",
                                   'a' + word, counts[word]);
    g_string_append_c(text, ']');
    return g_string_free(text, FALSE);
}

/* The socket pipeline killed at random instants: each batch's lines are sent and logged (the
 * receiver acknowledged them) before the batch runs, then the batch runs and the child is killed,
 * at random, right after the batch starts, a few milliseconds into it, or after it completed.
 * Each restart goes on from the checkpoint's time. Every batch's file must hold exactly the
 * counts of the lines sent up to it: nothing acknowledged lost, nothing counted twice. */
static void
test_sigkill_random_instants(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autofree char *checkpoint = g_build_filename(dir, "checkpoint", NULL);
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_mkdir(out, 0755);
    guint16 port = 0;
    int listener = listen_loopback(&port);
    GRand *rand = g_rand_new();
    const guint n_batches = 10;
    GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
    for (guint batch = 0; batch < n_batches; batch++) {
        GString *lines = g_string_new(NULL);
        gint n = g_rand_int_range(rand, 0, 6); /* empty batches too */
        for (gint line = 0; line < n; line++)
            g_string_append_printf(lines, "%c\n", 'a' + g_rand_int_range(rand, 0, 5));
        g_ptr_array_add(words, g_string_free(lines, FALSE));
    }
    gint64 sent_through = 0; /* the last batch whose lines were sent and logged */
    guint kills = 0, runs = 0;
    gint64 done_through = 0;
    while (done_through < (gint64)n_batches * 1000 && runs < 30) {
        runs++;
        Child child;
        child_start(&child, port, checkpoint, out, 0);
        int peer = accept_receiver(listener);
        CU_ASSERT_TRUE_FATAL(peer >= 0);
        g_autofree char *time_answer = child_ask(&child, "time");
        CU_ASSERT_PTR_NOT_NULL_FATAL(time_answer);
        gint64 time = g_ascii_strtoll(time_answer + strlen("time "), NULL, 10);
        gint64 stored = 0;
        gboolean killed = FALSE;
        for (gint64 next = time + 1000; next <= (gint64)n_batches * 1000 && !killed; next += 1000) {
            const char *batch_words = g_ptr_array_index(words, next / 1000 - 1);
            if (next > sent_through && *batch_words != '\0') {
                send_text(peer, batch_words);
                stored += (gint64)strlen(batch_words) / 2;
                g_autofree char *stored_command =
                    g_strdup_printf("stored %" G_GINT64_FORMAT, stored);
                ASSERT_ANSWER(&child, stored_command, stored_command);
                /* a block interval before the batch: the lines are logged, not yet allocated */
                g_autofree char *clock_command =
                    g_strdup_printf("clock %" G_GINT64_FORMAT, next - 800);
                ASSERT_ANSWER(&child, clock_command, clock_command);
                g_autofree char *logged_command =
                    g_strdup_printf("logged %" G_GINT64_FORMAT, stored);
                ASSERT_ANSWER(&child, logged_command, logged_command);
            }
            sent_through = MAX(sent_through, next);
            gint mode = kills < 4 ? g_rand_int_range(rand, 0, 6) : 5;
            g_autofree char *batch_command = g_strdup_printf("batch %" G_GINT64_FORMAT, next);
            if (mode <= 1) {
                g_autofree char *line = g_strdup_printf("%s\n", batch_command);
                CU_ASSERT_EQUAL(write(child.to_child, line, strlen(line)), (ssize_t)strlen(line));
                if (mode == 1) /* a few milliseconds into the batch, not to pass: to vary */
                    g_usleep((gulong)g_rand_int_range(rand, 0, 20000));
                killed = TRUE;
            } else {
                g_autofree char *answer = child_ask(&child, batch_command);
                g_autofree char *state = expected_state(words, (guint)(next / 1000 - 1));
                g_autofree char *expected = g_strdup_printf("%" G_GINT64_FORMAT " %s", next, state);
                ASSERT_STR_EQ(answer, expected);
                done_through = next;
                killed = mode == 2;
            }
        }
        if (killed) {
            kill(child.pid, SIGKILL);
            kills++;
            child_wait(&child);
        } else {
            ASSERT_ANSWER(&child, "quit", "quit");
            int status = child_wait(&child);
            CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            done_through = (gint64)n_batches * 1000;
        }
        close(peer);
    }
    if (g_getenv("DUET_TEST_VERBOSE"))
        g_printerr("%u runs, %u kills\n", runs, kills);
    for (guint batch = 0; batch < n_batches; batch++) {
        g_autofree char *state = read_state(out, (batch + 1) * 1000);
        g_autofree char *expected = expected_state(words, batch);
        ASSERT_STR_EQ(state, expected);
    }
    close(listener);
    g_ptr_array_unref(words);
    g_rand_free(rand);
    duet_test_tmpdir_free(dir);
}

DUET_TEST_MAIN("receiver_wal", DUET_TEST(test_requires_checkpoint_dir),
               DUET_TEST(test_recover_allocated_and_unallocated_blocks),
               DUET_TEST(test_restart_behind_the_clock),
               DUET_TEST(test_cleaned_batch_without_its_block),
               DUET_TEST(test_damaged_metadata_log), DUET_TEST(test_log_failure_reported),
               DUET_TEST(test_torn_state_checkpoint), DUET_TEST(test_zmq_source_stream),
               DUET_TEST(test_sigkill_socket_pipeline), DUET_TEST(test_sigkill_random_instants),
               DUET_TEST(test_sigkill_zmq_pipeline))
