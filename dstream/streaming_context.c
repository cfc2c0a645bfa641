/* streaming_context.c — the StreamingContext and its job generator.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. Spark's JobGenerator in one thread: at start,
 * the first batch time is the clock rounded down to the interval plus one interval
 * (RecurringTimer.getStartTime) and zero time is one interval before it. The thread waits on
 * the clock for each batch time, generates every output stream's job, runs the jobs in order
 * (spark.streaming.concurrentJobs = 1), records the batch's BatchInfo, tells the listeners,
 * and forgets RDDs older than each stream's remember duration. A failed batch is recorded and
 * reported by awaitTermination; later batches still run, as in Spark.
 */
#include "dstream/internal.h"

struct _DuetStreamingContext {
    gint ref_count;     /* atomic */
    DuetContext *spark; /* owned */
    gint64 interval_ms; /* batch interval */
    GMutex lock;        /* guards everything below */
    GCond changed;      /* state, a finished batch */
    DuetStreamingState state;
    gint64 zero_ms;               /* zero time, set at start */
    gint64 remember_ms;           /* ssc.remember */
    GPtrArray *streams;           /* every DuetDStream of the graph (owned) */
    GPtrArray *outputs;           /* output streams, in registration order (owned) */
    GArray *listeners;            /* DuetStreamingListener */
    GArray *batches;              /* DuetBatchInfo of finished batches */
    gint64 last_finished_ms;      /* time of the last finished batch */
    GError *error;                /* first batch failure */
    GThread *generator;           /* the job generator */
    gboolean stopping;            /* stop requested */
    gboolean graceful;            /* process batches already due before stopping */
    gboolean has_checkpoint_dir;  /* ssc.checkpoint was called */
    DuetCheckpointWriter *writer; /* DStream checkpoints, when ssc.checkpoint was called */
    gboolean recovering;          /* resuming from a checkpoint (getOrCreate) */
    gint64 recovery_ms;           /* the checkpoint's time */
    GArray *recovery_pending;     /* gint64 batch times to re-run first, sorted */
};

G_DEFINE_QUARK(duet - dstream - error - quark, duet_dstream_error)

DuetStreamingContext *
duet_streaming_context_new(DuetContext *context, gint64 batch_interval_ms, GError **error)
{
    g_return_val_if_fail(context != NULL, NULL);
    if (batch_interval_ms <= 0) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "the batch interval must be positive, not %" G_GINT64_FORMAT " ms",
                    batch_interval_ms);
        return NULL;
    }
    DuetStreamingContext *ssc = g_new0(DuetStreamingContext, 1);
    ssc->ref_count = 1;
    ssc->spark = duet_context_ref(context);
    ssc->interval_ms = batch_interval_ms;
    g_mutex_init(&ssc->lock);
    g_cond_init(&ssc->changed);
    ssc->streams = g_ptr_array_new_with_free_func((GDestroyNotify)duet_dstream_unref);
    ssc->outputs = g_ptr_array_new_with_free_func((GDestroyNotify)duet_dstream_unref);
    ssc->listeners = g_array_new(FALSE, FALSE, sizeof(DuetStreamingListener));
    ssc->batches = g_array_new(FALSE, FALSE, sizeof(DuetBatchInfo));
    ssc->last_finished_ms = G_MININT64;
    return ssc;
}

DuetStreamingContext *
duet_streaming_context_ref(DuetStreamingContext *context)
{
    g_atomic_int_inc(&context->ref_count);
    return context;
}

void
duet_streaming_context_unref(DuetStreamingContext *context)
{
    if (context == NULL || !g_atomic_int_dec_and_test(&context->ref_count))
        return;
    duet_streaming_context_stop(context, FALSE);
    g_ptr_array_unref(context->outputs);
    g_ptr_array_unref(context->streams);
    g_array_unref(context->listeners);
    g_array_unref(context->batches);
    g_clear_error(&context->error);
    duet_checkpoint_writer_free(context->writer);
    if (context->recovery_pending)
        g_array_unref(context->recovery_pending);
    g_mutex_clear(&context->lock);
    g_cond_clear(&context->changed);
    duet_context_unref(context->spark);
    g_free(context);
}

gint64
duet_streaming_context_batch_interval_ms(const DuetStreamingContext *context)
{
    return context->interval_ms;
}

DuetStreamingState
duet_streaming_context_state(DuetStreamingContext *context)
{
    g_mutex_lock(&context->lock);
    DuetStreamingState state = context->state;
    g_mutex_unlock(&context->lock);
    return state;
}

DuetContext *
duet_streaming_context_spark_context(DuetStreamingContext *context)
{
    return context->spark;
}

gint64
duet_streaming_context_zero_time(DuetStreamingContext *context)
{
    return context->zero_ms;
}

gboolean
duet_streaming_context_has_checkpoint_dir(DuetStreamingContext *context)
{
    return context->has_checkpoint_dir;
}

gboolean
duet_streaming_context_checkpoint(DuetStreamingContext *context, const char *directory,
                                  GError **error)
{
    /* RDD checkpoints of this context go to a directory of their own, as Spark's
     * SparkContext.setCheckpointDir does, so that a restarted context never overwrites the
     * RDD checkpoints it restores (RDD ids start again at 0). */
    g_autofree char *uuid = g_uuid_string_random();
    g_autofree char *rdd_dir = g_build_filename(directory, uuid, NULL);
    if (!duet_context_set_checkpoint_dir(context->spark, rdd_dir, error))
        return FALSE;
    duet_checkpoint_writer_free(context->writer);
    context->writer = duet_checkpoint_writer_new(directory);
    context->has_checkpoint_dir = TRUE;
    return TRUE;
}

const char *
duet_streaming_context_checkpoint_dir(DuetStreamingContext *context)
{
    return context->writer != NULL ? duet_checkpoint_writer_directory(context->writer) : NULL;
}

gboolean
duet_streaming_context_is_recovering(DuetStreamingContext *context)
{
    return context->recovering;
}

DuetCheckpointWriter *
duet_streaming_context_checkpoint_writer(DuetStreamingContext *context)
{
    return context->writer;
}

GPtrArray *
duet_streaming_context_streams(DuetStreamingContext *context)
{
    return context->streams;
}

GPtrArray *
duet_streaming_context_outputs(DuetStreamingContext *context)
{
    return context->outputs;
}

static gint
compare_times(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return (x > y) - (x < y);
}

void
duet_streaming_context_set_recovery(DuetStreamingContext *context, gint64 zero_ms,
                                    gint64 checkpoint_ms, GArray *pending)
{
    context->recovering = TRUE;
    context->zero_ms = zero_ms;
    context->recovery_ms = checkpoint_ms;
    if (context->recovery_pending)
        g_array_unref(context->recovery_pending);
    context->recovery_pending = g_array_copy(pending);
    g_array_sort(context->recovery_pending, compare_times);
}

void
duet_streaming_context_remember(DuetStreamingContext *context, gint64 duration_ms)
{
    context->remember_ms = duration_ms;
}

void
duet_streaming_context_add_listener(DuetStreamingContext *context,
                                    const DuetStreamingListener *listener)
{
    g_mutex_lock(&context->lock);
    g_array_append_val(context->listeners, *listener);
    g_mutex_unlock(&context->lock);
}

void
duet_streaming_context_register_stream(DuetStreamingContext *context, DuetDStream *stream)
{
    g_mutex_lock(&context->lock);
    g_ptr_array_add(context->streams, duet_dstream_ref(stream));
    g_mutex_unlock(&context->lock);
}

void
duet_streaming_context_register_output(DuetStreamingContext *context, DuetDStream *output)
{
    g_mutex_lock(&context->lock);
    g_ptr_array_add(context->outputs, duet_dstream_ref(output));
    g_mutex_unlock(&context->lock);
}

typedef enum { EVENT_SUBMITTED, EVENT_STARTED, EVENT_COMPLETED } BatchEvent;

static void
notify(DuetStreamingContext *context, BatchEvent event, const DuetBatchInfo *info)
{
    g_mutex_lock(&context->lock);
    GArray *listeners = g_array_copy(context->listeners);
    g_mutex_unlock(&context->lock);
    for (guint listener_idx = 0; listener_idx < listeners->len; listener_idx++) {
        DuetStreamingListener *listener =
            &g_array_index(listeners, DuetStreamingListener, listener_idx);
        void (*callback)(const DuetBatchInfo *, gpointer) =
            event == EVENT_SUBMITTED ? listener->batch_submitted
            : event == EVENT_STARTED ? listener->batch_started
                                     : listener->batch_completed;
        if (callback != NULL)
            callback(info, listener->user_data);
    }
    g_array_unref(listeners);
}

void
duet_streaming_context_notify_receiver(DuetStreamingContext *context, DuetReceiverEvent event,
                                       const char *name, const char *message)
{
    g_mutex_lock(&context->lock);
    GArray *listeners = g_array_copy(context->listeners);
    g_mutex_unlock(&context->lock);
    for (guint listener_idx = 0; listener_idx < listeners->len; listener_idx++) {
        DuetStreamingListener *listener =
            &g_array_index(listeners, DuetStreamingListener, listener_idx);
        if (event == DUET_RECEIVER_EVENT_STARTED && listener->receiver_started)
            listener->receiver_started(name, listener->user_data);
        else if (event == DUET_RECEIVER_EVENT_STOPPED && listener->receiver_stopped)
            listener->receiver_stopped(name, message, listener->user_data);
        else if (event == DUET_RECEIVER_EVENT_ERROR && listener->receiver_error)
            listener->receiver_error(name, message, listener->user_data);
    }
    g_array_unref(listeners);
}

/* Writes the DStream checkpoint of time_ms (pending: whether the batch's jobs are still to
 * run); a failure fails the batch. */
static void
write_checkpoint(DuetStreamingContext *context, gint64 time_ms, gboolean pending, GError **failure)
{
    if (context->writer == NULL)
        return;
    GError *error = NULL;
    if (!duet_checkpoint_writer_write(context->writer, context, time_ms, &time_ms, pending ? 1 : 0,
                                      &error)) {
        if (*failure == NULL)
            *failure = error;
        else
            g_error_free(error);
    }
}

/* Spark's JobGenerator.generateJobs and the job set's run: every output stream's RDD is
 * generated, the checkpoint notes the batch as pending, the jobs run in order, and the
 * checkpoint is written again once they are done. */
static void
run_batch(DuetStreamingContext *context, gint64 time_ms)
{
    DuetClock *clock = duet_context_clock(context->spark);
    DuetBatchInfo info = {.batch_time_ms = time_ms, .submission_ms = duet_clock_now_ms(clock)};
    guint n_outputs = context->outputs->len;
    DuetRdd **rdds = g_new0(DuetRdd *, MAX(n_outputs, 1));
    GError **errors = g_new0(GError *, MAX(n_outputs, 1));
    for (guint output_idx = 0; output_idx < n_outputs; output_idx++)
        rdds[output_idx] = duet_dstream_generate_output(
            g_ptr_array_index(context->outputs, output_idx), time_ms, &errors[output_idx]);
    GError *failure = NULL;
    write_checkpoint(context, time_ms, TRUE, &failure);
    notify(context, EVENT_SUBMITTED, &info);
    info.start_ms = duet_clock_now_ms(clock);
    notify(context, EVENT_STARTED, &info);
    for (guint output_idx = 0; output_idx < n_outputs; output_idx++) {
        GError *error = errors[output_idx];
        if (error == NULL && rdds[output_idx] != NULL)
            duet_dstream_run_output(g_ptr_array_index(context->outputs, output_idx),
                                    rdds[output_idx], time_ms, &error);
        if (error != NULL) {
            g_prefix_error(&error, "error in the batch at %" G_GINT64_FORMAT " ms: ", time_ms);
            if (failure == NULL)
                failure = error;
            else
                g_error_free(error);
        }
        if (rdds[output_idx] != NULL)
            duet_rdd_unref(rdds[output_idx]);
    }
    g_free(rdds);
    g_free(errors);
    for (guint stream_idx = 0; stream_idx < context->streams->len; stream_idx++) {
        DuetDStream *stream = g_ptr_array_index(context->streams, stream_idx);
        if (stream->ops->input_size != NULL)
            info.num_records += stream->ops->input_size(stream, time_ms);
    }
    for (guint stream_idx = 0; stream_idx < context->streams->len; stream_idx++)
        duet_dstream_clear_old(g_ptr_array_index(context->streams, stream_idx), time_ms);
    info.end_ms = duet_clock_now_ms(clock);
    info.failed = failure != NULL;
    for (guint stream_idx = 0; stream_idx < context->streams->len; stream_idx++) {
        DuetDStream *stream = g_ptr_array_index(context->streams, stream_idx);
        if (stream->ops->batch_completed != NULL)
            stream->ops->batch_completed(stream, &info);
    }
    if (failure == NULL)
        write_checkpoint(context, time_ms, FALSE, &failure);
    info.failed = failure != NULL;
    g_mutex_lock(&context->lock);
    if (failure != NULL && context->error == NULL)
        context->error = g_error_copy(failure);
    g_array_append_val(context->batches, info);
    context->last_finished_ms = time_ms;
    g_cond_broadcast(&context->changed);
    g_mutex_unlock(&context->lock);
    g_clear_error(&failure);
    notify(context, EVENT_COMPLETED, &info);
}

static gpointer
generator_main(gpointer data)
{
    DuetStreamingContext *context = data;
    DuetClock *clock = duet_context_clock(context->spark);
    gint64 next = context->zero_ms + context->interval_ms;
    if (context->recovering) {
        /* Spark's JobGenerator.restart: the batches pending at the checkpoint first, then the
         * batches after the checkpoint time (those the clock has passed run at once, as
         * Spark's down times). */
        for (guint index = 0; index < context->recovery_pending->len; index++) {
            g_mutex_lock(&context->lock);
            gboolean stopping = context->stopping && !context->graceful;
            g_mutex_unlock(&context->lock);
            if (stopping)
                break;
            run_batch(context, g_array_index(context->recovery_pending, gint64, index));
        }
        next = context->recovery_ms + context->interval_ms;
    }
    for (;;) {
        gint64 now = duet_clock_wait_until(clock, next);
        g_mutex_lock(&context->lock);
        gboolean stopping = context->stopping;
        gboolean graceful = context->graceful;
        g_mutex_unlock(&context->lock);
        if (stopping && (!graceful || now < next))
            break;
        if (now < next)
            continue; /* woken early by an interrupt that was then resumed */
        run_batch(context, next);
        next += context->interval_ms;
    }
    g_mutex_lock(&context->lock);
    context->state = DUET_STREAMING_STATE_STOPPED;
    g_cond_broadcast(&context->changed);
    g_mutex_unlock(&context->lock);
    return NULL;
}

gboolean
duet_streaming_context_start(DuetStreamingContext *context, GError **error)
{
    g_mutex_lock(&context->lock);
    DuetStreamingState state = context->state;
    g_mutex_unlock(&context->lock);
    if (state != DUET_STREAMING_STATE_INITIALIZED) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_STATE,
                    state == DUET_STREAMING_STATE_ACTIVE
                        ? "StreamingContext has already been started"
                        : "StreamingContext has already been stopped");
        return FALSE;
    }
    if (context->outputs->len == 0) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "No output operations registered, so nothing to execute");
        return FALSE;
    }
    for (guint stream_idx = 0; stream_idx < context->streams->len; stream_idx++) {
        if (!duet_dstream_validate(g_ptr_array_index(context->streams, stream_idx), error))
            return FALSE;
    }
    /* Remember durations: outputs keep their own slide (or ssc.remember), and each stream
     * passes what its children need up to its parents. */
    for (guint output_idx = 0; output_idx < context->outputs->len; output_idx++) {
        DuetDStream *output = g_ptr_array_index(context->outputs, output_idx);
        duet_dstream_initialize_remember(output, MAX(context->remember_ms, output->slide_ms));
    }
    DuetClock *clock = duet_context_clock(context->spark);
    if (context->recovering) {
        /* zero time comes from the checkpoint; a manual clock restarts at the checkpoint time
         * (Spark's spark.streaming.manualClock.jump = 0) */
        if (duet_clock_is_manual(clock) && duet_clock_now_ms(clock) < context->recovery_ms)
            duet_clock_set_ms(clock, context->recovery_ms);
    } else {
        gint64 now = duet_clock_now_ms(clock);
        gint64 first_batch = (now / context->interval_ms + 1) * context->interval_ms;
        context->zero_ms = first_batch - context->interval_ms;
    }
    duet_clock_resume(clock);
    g_mutex_lock(&context->lock);
    context->state = DUET_STREAMING_STATE_ACTIVE;
    g_mutex_unlock(&context->lock);
    for (guint stream_idx = 0; stream_idx < context->streams->len; stream_idx++) {
        DuetDStream *stream = g_ptr_array_index(context->streams, stream_idx);
        if (stream->ops->start != NULL)
            stream->ops->start(stream);
    }
    g_mutex_lock(&context->lock);
    context->generator = g_thread_new("duet-job-generator", generator_main, context);
    g_mutex_unlock(&context->lock);
    return TRUE;
}

void
duet_streaming_context_stop(DuetStreamingContext *context, gboolean graceful)
{
    g_mutex_lock(&context->lock);
    if (context->state == DUET_STREAMING_STATE_INITIALIZED)
        context->state = DUET_STREAMING_STATE_STOPPED;
    GThread *generator = context->generator;
    context->generator = NULL;
    context->stopping = TRUE;
    context->graceful = graceful;
    g_mutex_unlock(&context->lock);
    if (generator == NULL)
        return;
    /* Receivers stop first, so a graceful stop processes what they received. */
    for (guint stream_idx = 0; stream_idx < context->streams->len; stream_idx++) {
        DuetDStream *stream = g_ptr_array_index(context->streams, stream_idx);
        if (stream->ops->stop != NULL)
            stream->ops->stop(stream);
    }
    duet_clock_interrupt(duet_context_clock(context->spark));
    g_thread_join(generator);
}

gboolean
duet_streaming_context_await_termination(DuetStreamingContext *context, gint64 timeout_ms,
                                         GError **error)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    g_mutex_lock(&context->lock);
    while (context->state != DUET_STREAMING_STATE_STOPPED && context->error == NULL) {
        if (timeout_ms < 0)
            g_cond_wait(&context->changed, &context->lock);
        else if (!g_cond_wait_until(&context->changed, &context->lock, deadline))
            break;
    }
    gboolean stopped = context->state == DUET_STREAMING_STATE_STOPPED;
    if (context->error != NULL)
        g_propagate_error(error, g_error_copy(context->error));
    g_mutex_unlock(&context->lock);
    return stopped;
}

gboolean
duet_streaming_context_await_batch(DuetStreamingContext *context, gint64 batch_time_ms,
                                   gint64 timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    g_mutex_lock(&context->lock);
    while (context->last_finished_ms < batch_time_ms &&
           context->state == DUET_STREAMING_STATE_ACTIVE) {
        if (!g_cond_wait_until(&context->changed, &context->lock, deadline))
            break;
    }
    gboolean done = context->last_finished_ms >= batch_time_ms;
    g_mutex_unlock(&context->lock);
    return done;
}

GArray *
duet_streaming_context_batch_infos(DuetStreamingContext *context)
{
    g_mutex_lock(&context->lock);
    GArray *copy = g_array_copy(context->batches);
    g_mutex_unlock(&context->lock);
    return copy;
}
