/* scheduler.c — jobs, stages and tasks on the context's worker pool.
 *
 * Layer: rdd/. Includes rdd/ only. Spark's DAGScheduler in local mode: a job on an RDD first
 * makes sure every shuffle in its lineage has its map outputs (each missing shuffle is a
 * shuffle-map stage, computed parents first), then runs the result stage, one task per
 * partition, on the worker pool. A task that fails is retried up to the context's attempt
 * limit; when one runs out of attempts the job fails with Spark's "Job aborted due to stage
 * failure" message and the remaining tasks of the stage are skipped.
 *
 * Jobs may be submitted from many threads at once. They must not be submitted from inside a
 * task (a worker waiting for its own pool could deadlock it), which is reported as an error.
 */
#include "rdd/internal.h"

/* One stage being run: shared by its tasks. */
typedef struct {
    DuetRdd *rdd;       /* the stage's RDD (borrowed: the caller holds it) */
    DuetTaskFunc func;  /* what a task does with its partition */
    gpointer user_data; /* for func */
    guint stage_id;     /* Spark's stage id, for messages */
    guint max_attempts; /* per task */
    gint64 job_time_ms; /* clock time at submission */
    GMutex lock;        /* guards the fields below */
    GCond done;         /* signalled when remaining reaches 0 */
    guint remaining;    /* tasks not finished */
    GError *error;      /* the first task that ran out of attempts */
    gint aborted;       /* atomic: set once error is set; later tasks skip */
} StageRun;

typedef struct {
    StageRun *run;   /* the stage */
    guint partition; /* which partition this task computes */
} TaskItem;

static void
finish_task(StageRun *run)
{
    g_mutex_lock(&run->lock);
    run->remaining--;
    if (run->remaining == 0)
        g_cond_signal(&run->done);
    g_mutex_unlock(&run->lock);
}

/* Runs one task: attempts until one succeeds or the limit is reached. */
static void
run_task(gpointer data, gpointer unused)
{
    TaskItem *item = data;
    StageRun *run = item->run;
    GError *last_error = NULL;
    guint attempt = 0;
    gboolean succeeded = FALSE;

    for (; attempt < run->max_attempts && !g_atomic_int_get(&run->aborted); attempt++) {
        DuetTaskContext task = {
            .partition_id = item->partition,
            .stage_id = run->stage_id,
            .attempt_number = attempt,
            .job_time_ms = run->job_time_ms,
        };
        g_clear_error(&last_error);
        duet_task_context_enter(&task);
        succeeded = run->func(run->rdd, item->partition, run->user_data, &last_error);
        duet_task_context_leave(&task);
        if (succeeded && task.failure != NULL) {
            succeeded = FALSE;
            g_set_error_literal(&last_error, DUET_RDD_ERROR, DUET_RDD_ERROR_FAILED, task.failure);
        } else if (!succeeded && last_error == NULL) {
            g_set_error_literal(&last_error, DUET_RDD_ERROR, DUET_RDD_ERROR_FAILED,
                                task.failure ? task.failure : "task failed without a reason");
        }
        duet_task_context_clear(&task);
        if (succeeded)
            break;
    }

    if (!succeeded && last_error != NULL) {
        g_mutex_lock(&run->lock);
        if (run->error == NULL) {
            g_set_error(&run->error, DUET_RDD_ERROR, DUET_RDD_ERROR_JOB_ABORTED,
                        "Job aborted due to stage failure: Task %u in stage %u.0 failed %u "
                        "times, most recent failure: Lost task %u.%u in stage %u.0: %s",
                        item->partition, run->stage_id, attempt, item->partition,
                        attempt > 0 ? attempt - 1 : 0, run->stage_id, last_error->message);
            g_atomic_int_set(&run->aborted, 1);
        }
        g_mutex_unlock(&run->lock);
    }
    g_clear_error(&last_error);
    finish_task(run);
    g_free(item);
}

/* Runs func over the given partitions of rdd as one stage and waits for it. */
static gboolean
run_stage(DuetRdd *rdd, const guint *partitions, guint n_partitions, DuetTaskFunc func,
          gpointer user_data, GError **error)
{
    if (n_partitions == 0)
        return TRUE;
    StageRun run = {
        .rdd = rdd,
        .func = func,
        .user_data = user_data,
        .stage_id = duet_context_next_stage_id(rdd->context),
        .max_attempts = duet_context_max_task_attempts(rdd->context),
        .job_time_ms = duet_clock_now_ms(duet_context_clock(rdd->context)),
        .remaining = n_partitions,
    };
    g_mutex_init(&run.lock);
    g_cond_init(&run.done);

    for (guint task_idx = 0; task_idx < n_partitions; task_idx++) {
        TaskItem *item = g_new(TaskItem, 1);
        item->run = &run;
        item->partition = partitions ? partitions[task_idx] : task_idx;
        duet_context_submit(rdd->context, run_task, item);
    }

    g_mutex_lock(&run.lock);
    while (run.remaining > 0)
        g_cond_wait(&run.done, &run.lock);
    g_mutex_unlock(&run.lock);

    g_mutex_clear(&run.lock);
    g_cond_clear(&run.done);
    if (run.error != NULL) {
        g_propagate_error(error, run.error);
        return FALSE;
    }
    return TRUE;
}

/* Makes sure every shuffle reachable from rdd through narrow dependencies has its map
 * outputs. A checkpointed RDD cuts the walk: its lineage is no longer needed. */
static gboolean
compute_missing_shuffles(DuetRdd *rdd, GHashTable *visited, GError **error)
{
    if (!g_hash_table_add(visited, rdd))
        return TRUE;
    g_mutex_lock(&rdd->lock);
    gboolean checkpointed = rdd->checkpoint_rdd != NULL;
    g_mutex_unlock(&rdd->lock);
    if (checkpointed)
        return TRUE;
    for (guint shuffle_idx = 0; shuffle_idx < rdd->shuffles->len; shuffle_idx++) {
        if (!duet_shuffle_ensure_computed(g_ptr_array_index(rdd->shuffles, shuffle_idx), error))
            return FALSE;
    }
    for (guint parent_idx = 0; parent_idx < rdd->parents->len; parent_idx++) {
        if (!compute_missing_shuffles(g_ptr_array_index(rdd->parents, parent_idx), visited, error))
            return FALSE;
    }
    return TRUE;
}

/**
 * duet_scheduler_run_job:
 * @rdd: the RDD whose partitions the job computes
 * @partitions: (nullable): which partitions; NULL for all of them (n_partitions is then the
 *   RDD's partition count)
 * @func: called once per partition inside a task, on a worker thread
 *
 * Runs the missing shuffle-map stages of the lineage, then the result stage. Blocks until
 * done. Must not be called from inside a task.
 *
 * Returns: FALSE with error set (DUET_RDD_ERROR_JOB_ABORTED) when a task failed every attempt.
 */
gboolean
duet_scheduler_run_job(DuetRdd *rdd, const guint *partitions, guint n_partitions, DuetTaskFunc func,
                       gpointer user_data, GError **error)
{
    if (duet_task_context_get() != NULL) {
        g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID,
                    "RDD actions cannot be invoked inside tasks (SPARK-5063): call them from "
                    "the driver thread, not from a function passed to a transformation");
        return FALSE;
    }
    GHashTable *visited = g_hash_table_new(g_direct_hash, g_direct_equal);
    gboolean ok = compute_missing_shuffles(rdd, visited, error);
    g_hash_table_unref(visited);
    if (!ok)
        return FALSE;
    return run_stage(rdd, partitions, n_partitions, func, user_data, error);
}
