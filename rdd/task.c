/* task.c — the current task of a worker thread: failure reporting and scratch memory.
 *
 * Layer: rdd/. Includes rdd/ only. The scheduler enters a DuetTaskContext before computing a
 * partition and leaves it afterwards; user functions reach it through thread-local storage
 * (Spark's TaskContext.get()). Scratch memory is a bump allocator over blocks that grow
 * geometrically, so a reduce function that builds strings allocates a few blocks per task,
 * not one per row.
 */
#include "rdd/internal.h"

#include <stdarg.h>

static GPrivate current_task;

/* Outside tasks, scratch requests go to a per-thread context that is never reset. */
static void
free_orphan_context(gpointer data)
{
    DuetTaskContext *task = data;
    duet_task_context_clear(task);
    g_free(task);
}

static GPrivate orphan_task = G_PRIVATE_INIT(free_orphan_context);

DuetTaskContext *
duet_task_context_get(void)
{
    return g_private_get(&current_task);
}

void
duet_task_context_enter(DuetTaskContext *task)
{
    g_private_set(&current_task, task);
}

void
duet_task_context_leave(DuetTaskContext *task)
{
    g_assert(g_private_get(&current_task) == task);
    g_private_set(&current_task, NULL);
}

/* Frees the scratch blocks and the failure message, leaving the ids. */
void
duet_task_context_clear(DuetTaskContext *task)
{
    g_slist_free_full(task->scratch, g_free);
    task->scratch = NULL;
    task->scratch_used = task->scratch_size = 0;
    g_clear_pointer(&task->failure, g_free);
}

guint
duet_task_context_partition_id(const DuetTaskContext *task)
{
    return task->partition_id;
}

guint
duet_task_context_stage_id(const DuetTaskContext *task)
{
    return task->stage_id;
}

guint
duet_task_context_attempt_number(const DuetTaskContext *task)
{
    return task->attempt_number;
}

gint64
duet_task_context_job_time_ms(const DuetTaskContext *task)
{
    return task->job_time_ms;
}

void
duet_task_fail(const char *format, ...)
{
    DuetTaskContext *task = duet_task_context_get();
    va_list args;
    va_start(args, format);
    char *message = g_strdup_vprintf(format, args);
    va_end(args);
    if (task == NULL) {
        g_critical("duet_task_fail called outside a task: %s", message);
        g_free(message);
        return;
    }
    if (task->failure == NULL)
        task->failure = message;
    else
        g_free(message);
}

gboolean
duet_task_failed(void)
{
    DuetTaskContext *task = duet_task_context_get();
    return task != NULL && task->failure != NULL;
}

gpointer
duet_task_scratch_alloc(gsize size)
{
    DuetTaskContext *task = duet_task_context_get();
    if (task == NULL) {
        task = g_private_get(&orphan_task);
        if (task == NULL) {
            task = g_new0(DuetTaskContext, 1);
            g_private_set(&orphan_task, task);
        }
    }
    gsize aligned = (size + 15) & ~(gsize)15;
    if (task->scratch == NULL || task->scratch_used + aligned > task->scratch_size) {
        gsize block = MAX(task->scratch_size * 2, 4096);
        while (block < aligned)
            block *= 2;
        task->scratch = g_slist_prepend(task->scratch, g_malloc(block));
        task->scratch_size = block;
        task->scratch_used = 0;
    }
    gpointer memory = (guint8 *)task->scratch->data + task->scratch_used;
    task->scratch_used += aligned;
    return memory;
}

char *
duet_task_scratch_strndup(const char *data, gsize len)
{
    char *copy = duet_task_scratch_alloc(len + 1);
    memcpy(copy, data, len);
    copy[len] = '\0';
    return copy;
}
