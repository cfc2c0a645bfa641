/* test_scheduler.c — tests of rdd/scheduler.c and rdd/task.c: task retries, job failure
 * messages, the task context, actions refused inside tasks, and many jobs at once. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"

static DuetContext *
new_context(const char *master)
{
    GError *error = NULL;
    DuetContext *context = duet_context_new(master, &error);
    g_assert_no_error(error);
    return context;
}

static DuetRdd *
ints(DuetContext *context, const char *json, guint partitions)
{
    g_autoptr(DuetBatch) batch = duet_test_batch("value INT", json);
    return duet_rdd_parallelize(context, batch, partitions);
}

/* Fails every first attempt of a task; succeeds on the retry. */
static gboolean
flaky_filter(const DuetRow *row, gpointer user_data)
{
    DuetTaskContext *task = duet_task_context_get();
    if (duet_task_context_attempt_number(task) == 0) {
        g_atomic_int_inc((gint *)user_data);
        duet_task_fail("transient failure in partition %u", duet_task_context_partition_id(task));
    }
    return TRUE;
}

static void
test_failed_task_is_retried(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetRdd) numbers = ints(context, "[1, 2, 3, 4]", 2);
    gint first_attempt_failures = 0;
    g_autoptr(DuetRdd) flaky = duet_rdd_filter(numbers, flaky_filter, &first_attempt_failures);
    g_autofree char *text = duet_test_render_rdd(flaky);
    ASSERT_STR_EQ(text, "[1, 2, 3, 4]");
    ASSERT_INT_EQ(first_attempt_failures, 4); /* two rows per partition failed attempt 0 */
}

static void
raise_if_one(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gint32 value = duet_row_get_int32(row, 0);
    if (value == 1)
        duet_task_fail("This is a special error");
    duet_batch_builder_append_int32(out, 0, value);
}

static void
test_job_aborts_after_max_attempts(void)
{
    g_autoptr(DuetContext) context = new_context("local[2,3]");
    g_autoptr(DuetRdd) numbers = ints(context, "[1, 2, 3, 4]", 2);
    g_autoptr(DuetRdd) failing =
        duet_rdd_map(numbers, duet_rdd_schema(numbers), raise_if_one, NULL);
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_rdd_collect(failing, &error));
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_JOB_ABORTED);
    CU_ASSERT_TRUE(
        g_str_has_prefix(error->message, "Job aborted due to stage failure: Task 0 in stage "));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "failed 3 times"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "This is a special error"));
    g_clear_error(&error);
    /* the context is still usable after a failed job */
    g_autofree char *text = duet_test_render_rdd(numbers);
    ASSERT_STR_EQ(text, "[1, 2, 3, 4]");
}

static void
add_int32(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    if (a->v.i32 + b->v.i32 > 100)
        duet_task_fail("sum overflowed 100");
    *out = duet_value_int32(a->v.i32 + b->v.i32);
}

static void
test_failure_in_shuffle_map_stage(void)
{
    g_autoptr(DuetContext) context = new_context("local[2,1]");
    g_autoptr(DuetBatch) batch =
        duet_test_batch("k STRING, v INT", "[[\"a\", 60], [\"a\", 50], [\"b\", 1]]");
    g_autoptr(DuetRdd) pairs = duet_rdd_parallelize(context, batch, 1);
    GError *error = NULL;
    g_autoptr(DuetRdd) sums = duet_rdd_reduce_by_key(pairs, add_int32, NULL, 2, &error);
    CU_ASSERT_PTR_NULL(duet_rdd_collect(sums, &error));
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_JOB_ABORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "sum overflowed 100"));
    g_clear_error(&error);
}

static gboolean
collect_inside_task(const DuetRow *row, gpointer user_data)
{
    GError *error = NULL;
    DuetBatch *batch = duet_rdd_collect(user_data, &error);
    if (batch == NULL) {
        duet_task_fail("%s", error->message);
        g_error_free(error);
    } else {
        duet_batch_unref(batch);
    }
    return TRUE;
}

static void
test_action_inside_task_is_refused(void)
{
    g_autoptr(DuetContext) context = new_context("local[2,1]");
    g_autoptr(DuetRdd) numbers = ints(context, "[1]", 1);
    g_autoptr(DuetRdd) nested = duet_rdd_filter(numbers, collect_inside_task, numbers);
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_rdd_collect(nested, &error));
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_JOB_ABORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "SPARK-5063"));
    g_clear_error(&error);
}

static gboolean
record_partition(const DuetRow *row, gpointer user_data)
{
    DuetTaskContext *task = duet_task_context_get();
    CU_ASSERT_PTR_NOT_NULL_FATAL(task);
    /* rows 1..4 in 2 partitions: row 1, 2 in partition 0, rows 3, 4 in partition 1 */
    ASSERT_INT_EQ(duet_task_context_partition_id(task), (duet_row_get_int32(row, 0) - 1) / 2);
    return TRUE;
}

static void
test_task_context(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    CU_ASSERT_PTR_NULL(duet_task_context_get());
    g_autoptr(DuetRdd) numbers = ints(context, "[1, 2, 3, 4]", 2);
    g_autoptr(DuetRdd) checked = duet_rdd_filter(numbers, record_partition, NULL);
    g_autofree char *text = duet_test_render_rdd(checked);
    ASSERT_STR_EQ(text, "[1, 2, 3, 4]");
}

static void
add_int64(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

typedef struct {
    DuetContext *context;
    gint64 key_count;
    gint64 total;
    gboolean ok;
} JobThread;

/* Each thread builds its own lineage and runs several jobs over a shared context. */
static gpointer
run_jobs(gpointer data)
{
    JobThread *job = data;
    g_autoptr(DuetSchema) schema = duet_schema_parse("k BIGINT, v BIGINT", NULL);
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, 20000);
    for (gint64 row = 0; row < 20000; row++) {
        duet_batch_builder_append_int64(builder, 0, row % 97);
        duet_batch_builder_append_int64(builder, 1, 2);
    }
    GError *error = NULL;
    g_autoptr(DuetBatch) batch = duet_batch_builder_finish(builder, &error);
    duet_batch_builder_free(builder);
    g_autoptr(DuetRdd) pairs = duet_rdd_parallelize(job->context, batch, 5);
    g_autoptr(DuetRdd) sums = duet_rdd_reduce_by_key(pairs, add_int64, NULL, 3, &error);
    job->ok = TRUE;
    for (int round = 0; round < 5; round++) {
        g_autoptr(DuetBatch) result = duet_rdd_collect(sums, &error);
        if (result == NULL) {
            job->ok = FALSE;
            g_clear_error(&error);
            break;
        }
        job->key_count = (gint64)duet_batch_n_rows(result);
        job->total = 0;
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(result); row_idx++) {
            DuetRow row = duet_batch_row(result, row_idx);
            job->total += duet_row_get_int64(&row, 1);
        }
    }
    return NULL;
}

static void
test_many_concurrent_jobs(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    enum { N_THREADS = 8 };
    JobThread jobs[N_THREADS];
    GThread *threads[N_THREADS];
    for (int thread_idx = 0; thread_idx < N_THREADS; thread_idx++) {
        jobs[thread_idx] = (JobThread){.context = context};
        threads[thread_idx] = g_thread_new("job", run_jobs, &jobs[thread_idx]);
    }
    for (int thread_idx = 0; thread_idx < N_THREADS; thread_idx++) {
        g_thread_join(threads[thread_idx]);
        CU_ASSERT_TRUE(jobs[thread_idx].ok);
        ASSERT_INT_EQ(jobs[thread_idx].key_count, 97);
        ASSERT_INT_EQ(jobs[thread_idx].total, 40000);
    }
}

/* Two threads run jobs over one shared shuffle: the map stage runs once and both see it. */
static gpointer
collect_shared(gpointer data)
{
    GError *error = NULL;
    DuetBatch *batch = duet_rdd_collect(data, &error);
    g_assert_no_error(error);
    return batch;
}

static void
test_shared_shuffle_from_two_threads(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetBatch) batch =
        duet_test_batch("k STRING, v BIGINT", "[[\"a\", 1], [\"b\", 2], [\"a\", 3]]");
    g_autoptr(DuetRdd) pairs = duet_rdd_parallelize(context, batch, 2);
    GError *error = NULL;
    g_autoptr(DuetRdd) sums = duet_rdd_reduce_by_key(pairs, add_int64, NULL, 2, &error);
    GThread *first = g_thread_new("first", collect_shared, sums);
    GThread *second = g_thread_new("second", collect_shared, sums);
    g_autoptr(DuetBatch) one = g_thread_join(first);
    g_autoptr(DuetBatch) two = g_thread_join(second);
    g_autofree char *one_text = duet_test_render_sorted(one);
    g_autofree char *two_text = duet_test_render_sorted(two);
    ASSERT_STR_EQ(one_text, "[(a,4), (b,2)]");
    ASSERT_STR_EQ(two_text, one_text);
}

DUET_TEST_MAIN("scheduler", DUET_TEST(test_failed_task_is_retried),
               DUET_TEST(test_job_aborts_after_max_attempts),
               DUET_TEST(test_failure_in_shuffle_map_stage),
               DUET_TEST(test_action_inside_task_is_refused), DUET_TEST(test_task_context),
               DUET_TEST(test_many_concurrent_jobs),
               DUET_TEST(test_shared_shuffle_from_two_threads))
