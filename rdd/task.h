/* task.h — what a running task knows about itself, and how user code fails it.
 *
 * Layer: rdd/. The analogue of Spark's TaskContext: while a task runs, the worker thread has a
 * current task context, so a user function (which has no GError parameter, because calling it
 * per row must not allocate) can fail its task with a message, ask which partition it is
 * computing, or borrow scratch memory that lives until the task ends.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DuetTaskContext DuetTaskContext;

/* The current task of this thread, or NULL outside tasks. (transfer none) */
DuetTaskContext *duet_task_context_get(void);

guint duet_task_context_partition_id(const DuetTaskContext *task);
guint duet_task_context_stage_id(const DuetTaskContext *task);
guint duet_task_context_attempt_number(const DuetTaskContext *task);
/* Milliseconds of the clock at which the job was submitted (a batch time for streaming). */
gint64 duet_task_context_job_time_ms(const DuetTaskContext *task);

/* Fails the current task with a message (printf format). The engine notices after the current
 * batch of rows, discards the task's output and retries it or fails the job. The first failure
 * of a task wins. Outside a task this only logs a critical warning. */
void duet_task_fail(const char *format, ...) G_GNUC_PRINTF(1, 2);
gboolean duet_task_failed(void);

/* Scratch memory owned by the current task, freed when the task ends: for user functions
 * that must return a string they built (a reduce that concatenates). Bump allocation; never
 * NULL. Outside a task the memory belongs to a thread-local arena that is never reset. */
gpointer duet_task_scratch_alloc(gsize size);
char *duet_task_scratch_strndup(const char *data, gsize len);

G_END_DECLS
