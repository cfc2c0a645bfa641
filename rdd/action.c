/* action.c — actions: the operations that run a job and bring results to the caller.
 *
 * Layer: rdd/. Includes rdd/ only. Every action runs one job through the scheduler, then
 * writes the checkpoints its lineage asked for (Spark checkpoints after the job that first
 * computes an RDD). Per-partition results are collected into an array indexed by partition,
 * so the output keeps partition order whatever order the tasks finish in.
 */
#include "rdd/internal.h"
#include "rdd/atomic_file.h"
#include "rdd/format.h"

#include <errno.h>
#include <glib/gstdio.h>

static gboolean
run_action(DuetRdd *rdd, const guint *partitions, guint n, DuetTaskFunc func, gpointer data,
           GError **error)
{
    if (!duet_scheduler_run_job(rdd, partitions, n, func, data, error))
        return FALSE;
    return duet_rdd_write_pending_checkpoints(rdd, error);
}

/* ---- collect ------------------------------------------------------------------------------ */

typedef struct {
    GPtrArray **results; /* per partition: the partition's batches */
} CollectJob;

static gboolean
collect_task(DuetRdd *rdd, guint partition, gpointer user_data, GError **error)
{
    CollectJob *job = user_data;
    GPtrArray *batches = duet_rdd_compute_partition(rdd, partition, error);
    if (batches == NULL)
        return FALSE;
    if (job->results[partition] != NULL) /* a retried attempt */
        g_ptr_array_unref(job->results[partition]);
    job->results[partition] = batches;
    return TRUE;
}

/* Runs the partitions listed (all when NULL) and returns their batch lists by partition. */
static GPtrArray **
collect_lists(DuetRdd *rdd, const guint *partitions, guint n, GError **error)
{
    CollectJob job = {g_new0(GPtrArray *, MAX(rdd->n_partitions, 1))};
    if (!run_action(rdd, partitions, n, collect_task, &job, error)) {
        for (guint partition = 0; partition < rdd->n_partitions; partition++) {
            if (job.results[partition] != NULL)
                g_ptr_array_unref(job.results[partition]);
        }
        g_free(job.results);
        return NULL;
    }
    return job.results;
}

static void
free_lists(GPtrArray **lists, guint n)
{
    for (guint partition = 0; partition < n; partition++) {
        if (lists[partition] != NULL)
            g_ptr_array_unref(lists[partition]);
    }
    g_free(lists);
}

DuetBatch *
duet_rdd_collect(DuetRdd *rdd, GError **error)
{
    g_return_val_if_fail(rdd != NULL, NULL);
    GPtrArray **lists = collect_lists(rdd, NULL, rdd->n_partitions, error);
    if (lists == NULL)
        return NULL;
    GPtrArray *all = g_ptr_array_new();
    for (guint partition = 0; partition < rdd->n_partitions; partition++) {
        if (lists[partition] != NULL)
            g_ptr_array_extend(all, lists[partition], NULL, NULL);
    }
    DuetBatch *result =
        duet_batch_concat(rdd->schema, (DuetBatch *const *)all->pdata, all->len, error);
    g_ptr_array_unref(all);
    free_lists(lists, rdd->n_partitions);
    return result;
}

GPtrArray *
duet_rdd_collect_partitions(DuetRdd *rdd, GError **error)
{
    g_return_val_if_fail(rdd != NULL, NULL);
    GPtrArray **lists = collect_lists(rdd, NULL, rdd->n_partitions, error);
    if (lists == NULL)
        return NULL;
    GPtrArray *result = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    for (guint partition = 0; partition < rdd->n_partitions; partition++) {
        GPtrArray *list = lists[partition];
        DuetBatch *batch =
            duet_batch_concat(rdd->schema, (DuetBatch *const *)list->pdata, list->len, error);
        if (batch == NULL) {
            g_clear_pointer(&result, g_ptr_array_unref);
            break;
        }
        g_ptr_array_add(result, batch);
    }
    free_lists(lists, rdd->n_partitions);
    return result;
}

/* ---- count -------------------------------------------------------------------------------- */

typedef struct {
    gint64 *counts; /* per partition */
} CountJob;

static gboolean
count_task(DuetRdd *rdd, guint partition, gpointer user_data, GError **error)
{
    CountJob *job = user_data;
    GPtrArray *batches = duet_rdd_compute_partition(rdd, partition, error);
    if (batches == NULL)
        return FALSE;
    gint64 count = 0;
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++)
        count += (gint64)duet_batch_n_rows(g_ptr_array_index(batches, batch_idx));
    job->counts[partition] = count;
    g_ptr_array_unref(batches);
    return TRUE;
}

gboolean
duet_rdd_count(DuetRdd *rdd, gint64 *count, GError **error)
{
    g_return_val_if_fail(rdd != NULL && count != NULL, FALSE);
    CountJob job = {g_new0(gint64, MAX(rdd->n_partitions, 1))};
    gboolean ok = run_action(rdd, NULL, rdd->n_partitions, count_task, &job, error);
    *count = 0;
    for (guint partition = 0; ok && partition < rdd->n_partitions; partition++)
        *count += job.counts[partition];
    g_free(job.counts);
    return ok;
}

/* ---- take and first ----------------------------------------------------------------------- */

/* Spark's take: scan one partition, then up to four times as many as scanned so far, until n
 * rows are found or the partitions run out. */
DuetBatch *
duet_rdd_take(DuetRdd *rdd, gsize n, GError **error)
{
    g_return_val_if_fail(rdd != NULL, NULL);
    GPtrArray *found = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    gsize n_found = 0;
    guint scanned = 0;
    while (n_found < n && scanned < rdd->n_partitions) {
        guint n_next = scanned == 0 ? 1 : MIN(scanned * 4, rdd->n_partitions - scanned);
        guint *partitions = g_new(guint, n_next);
        for (guint task_idx = 0; task_idx < n_next; task_idx++)
            partitions[task_idx] = scanned + task_idx;
        GPtrArray **lists = collect_lists(rdd, partitions, n_next, error);
        g_free(partitions);
        if (lists == NULL) {
            g_ptr_array_unref(found);
            return NULL;
        }
        for (guint partition = scanned; partition < scanned + n_next; partition++) {
            GPtrArray *list = lists[partition];
            for (guint batch_idx = 0; list && batch_idx < list->len && n_found < n; batch_idx++) {
                DuetBatch *batch = g_ptr_array_index(list, batch_idx);
                gsize wanted = MIN(duet_batch_n_rows(batch), n - n_found);
                g_ptr_array_add(found, duet_batch_slice(batch, 0, wanted));
                n_found += wanted;
            }
        }
        free_lists(lists, rdd->n_partitions);
        scanned += n_next;
    }
    DuetBatch *result =
        duet_batch_concat(rdd->schema, (DuetBatch *const *)found->pdata, found->len, error);
    g_ptr_array_unref(found);
    return result;
}

DuetBatch *
duet_rdd_first(DuetRdd *rdd, GError **error)
{
    DuetBatch *first = duet_rdd_take(rdd, 1, error);
    if (first != NULL && duet_batch_n_rows(first) == 0) {
        duet_batch_unref(first);
        g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_EMPTY_COLLECTION,
                    "empty collection: first() on %s, which has no rows", rdd->name);
        return NULL;
    }
    return first;
}

/* ---- reduce and fold ---------------------------------------------------------------------- */

typedef struct {
    DuetReduceFunc f;
    gpointer user_data;
    const DuetValue *zero; /* fold: the start of every partition; NULL for reduce */
    DuetBatch **results;   /* per partition: a one-row batch, or NULL when empty */
} ReduceJob;

/* Stores value as a one-row batch of schema (so its bytes outlive the task's scratch). */
static DuetBatch *
single_row(DuetSchema *schema, const DuetValue *value, GError **error)
{
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, 1);
    DuetBatch *batch = NULL;
    if (duet_column_builder_append_value(duet_batch_builder_column(builder, 0), value)) {
        batch = duet_batch_builder_finish(builder, error);
    } else {
        g_autofree char *type = duet_data_type_to_string(duet_schema_field(schema, 0)->type);
        g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID,
                    "a reduce function returned a value that is not of the RDD's type %s", type);
    }
    duet_batch_builder_free(builder);
    return batch;
}

static gboolean
reduce_task(DuetRdd *rdd, guint partition, gpointer user_data, GError **error)
{
    ReduceJob *job = user_data;
    GPtrArray *batches = duet_rdd_compute_partition(rdd, partition, error);
    if (batches == NULL)
        return FALSE;
    gboolean have = job->zero != NULL;
    DuetValue accumulator = have ? *job->zero : duet_value_null();
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        DuetColumn *column = duet_batch_column(batch, 0);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetValue value;
            duet_column_get_value(column, row_idx, &value);
            if (!have) {
                accumulator = value;
                have = TRUE;
            } else {
                DuetValue result;
                job->f(&accumulator, &value, &result, job->user_data);
                accumulator = result;
            }
        }
    }
    gboolean ok = TRUE;
    if (job->results[partition] != NULL)
        g_clear_pointer(&job->results[partition], duet_batch_unref);
    if (have && !duet_task_failed()) {
        job->results[partition] = single_row(rdd->schema, &accumulator, error);
        ok = job->results[partition] != NULL;
    }
    g_ptr_array_unref(batches);
    return ok;
}

static DuetBatch *
reduce_or_fold(DuetRdd *rdd, const DuetValue *zero, DuetReduceFunc f, gpointer user_data,
               GError **error)
{
    if (duet_schema_n_fields(rdd->schema) != 1) {
        g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID,
                    "%s needs an RDD of one column; %s has %u", zero ? "fold" : "reduce", rdd->name,
                    duet_schema_n_fields(rdd->schema));
        return NULL;
    }
    ReduceJob job = {f, user_data, zero, g_new0(DuetBatch *, MAX(rdd->n_partitions, 1))};
    gboolean ok = run_action(rdd, NULL, rdd->n_partitions, reduce_task, &job, error);
    DuetBatch *result = NULL;
    if (ok) {
        /* Merge the partition results on this thread, inside a private task context so that
         * scratch memory the function borrows is freed at the end. */
        DuetTaskContext driver = {0};
        duet_task_context_enter(&driver);
        gboolean have = zero != NULL;
        DuetValue accumulator = have ? *zero : duet_value_null();
        for (guint partition = 0; partition < rdd->n_partitions; partition++) {
            if (job.results[partition] == NULL)
                continue;
            DuetValue value;
            duet_column_get_value(duet_batch_column(job.results[partition], 0), 0, &value);
            if (!have) {
                accumulator = value;
                have = TRUE;
            } else {
                DuetValue merged;
                f(&accumulator, &value, &merged, user_data);
                accumulator = merged;
            }
        }
        if (driver.failure != NULL)
            g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_FAILED, "%s", driver.failure);
        else if (!have)
            g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_EMPTY_COLLECTION,
                        "empty collection: reduce() on %s, which has no rows", rdd->name);
        else
            result = single_row(rdd->schema, &accumulator, error);
        duet_task_context_leave(&driver);
        duet_task_context_clear(&driver);
    }
    for (guint partition = 0; partition < rdd->n_partitions; partition++) {
        if (job.results[partition] != NULL)
            duet_batch_unref(job.results[partition]);
    }
    g_free(job.results);
    return result;
}

DuetBatch *
duet_rdd_reduce(DuetRdd *rdd, DuetReduceFunc f, gpointer user_data, GError **error)
{
    g_return_val_if_fail(rdd != NULL && f != NULL, NULL);
    return reduce_or_fold(rdd, NULL, f, user_data, error);
}

DuetBatch *
duet_rdd_fold(DuetRdd *rdd, const DuetValue *zero, DuetReduceFunc f, gpointer user_data,
              GError **error)
{
    g_return_val_if_fail(rdd != NULL && zero != NULL && f != NULL, NULL);
    return reduce_or_fold(rdd, zero, f, user_data, error);
}

/* ---- foreach ------------------------------------------------------------------------------ */

typedef struct {
    DuetForeachFunc row_func;
    DuetForeachPartitionFunc partition_func;
    gpointer user_data;
} ForeachJob;

static gboolean
foreach_task(DuetRdd *rdd, guint partition, gpointer user_data, GError **error)
{
    ForeachJob *job = user_data;
    GPtrArray *batches = duet_rdd_compute_partition(rdd, partition, error);
    if (batches == NULL)
        return FALSE;
    if (job->partition_func != NULL) {
        job->partition_func(batches, partition, job->user_data);
    } else {
        for (guint batch_idx = 0; batch_idx < batches->len && !duet_task_failed(); batch_idx++) {
            DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
            for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
                DuetRow row = duet_batch_row(batch, row_idx);
                job->row_func(&row, job->user_data);
            }
        }
    }
    g_ptr_array_unref(batches);
    return TRUE;
}

gboolean
duet_rdd_foreach(DuetRdd *rdd, DuetForeachFunc f, gpointer user_data, GError **error)
{
    g_return_val_if_fail(rdd != NULL && f != NULL, FALSE);
    ForeachJob job = {f, NULL, user_data};
    return run_action(rdd, NULL, rdd->n_partitions, foreach_task, &job, error);
}

gboolean
duet_rdd_foreach_partition(DuetRdd *rdd, DuetForeachPartitionFunc f, gpointer user_data,
                           GError **error)
{
    g_return_val_if_fail(rdd != NULL && f != NULL, FALSE);
    ForeachJob job = {NULL, f, user_data};
    return run_action(rdd, NULL, rdd->n_partitions, foreach_task, &job, error);
}

/* ---- saveAsTextFile ----------------------------------------------------------------------- */

static gboolean
save_text_task(DuetRdd *rdd, guint partition, gpointer user_data, GError **error)
{
    const char *directory = user_data;
    GPtrArray *batches = duet_rdd_compute_partition(rdd, partition, error);
    if (batches == NULL)
        return FALSE;
    GString *text = g_string_new(NULL);
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetRow row = duet_batch_row(batch, row_idx);
            duet_format_row(text, &row, DUET_FORMAT_SCALA);
            g_string_append_c(text, '\n');
        }
    }
    g_ptr_array_unref(batches);
    g_autofree char *name = g_strdup_printf("part-%05u", partition);
    g_autofree char *path = g_build_filename(directory, name, NULL);
    gboolean ok = duet_atomic_file_write(path, text->str, text->len, error);
    g_string_free(text, TRUE);
    return ok;
}

gboolean
duet_rdd_save_as_text_file(DuetRdd *rdd, const char *path, GError **error)
{
    g_return_val_if_fail(rdd != NULL && path != NULL, FALSE);
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_IO, "Output directory %s already exists",
                    path);
        return FALSE;
    }
    if (g_mkdir_with_parents(path, 0755) != 0) {
        int saved = errno;
        g_set_error(error, DUET_RDD_ERROR, DUET_RDD_ERROR_IO, "cannot create %s: %s", path,
                    g_strerror(saved));
        return FALSE;
    }
    if (!run_action(rdd, NULL, rdd->n_partitions, save_text_task, (gpointer)path, error))
        return FALSE;
    g_autofree char *success = g_build_filename(path, "_SUCCESS", NULL);
    return duet_atomic_file_write(success, "", 0, error);
}
