/* dstream.c — the DStream object: identity, parents, getOrCompute, slice, remember.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. Every kind of stream is a DuetDStream with an
 * ops table; this file holds what all of them share: the generated-RDD map (an RDD is
 * computed once per batch time and remembered as long as some child may ask for it again),
 * Spark's time validity rule, slicing, and the start-time checks.
 */
#include "dstream/internal.h"
#include "dstream/receiver.h"

static void
free_time(gpointer data)
{
    g_free(data);
}

static void
free_rdd(gpointer data)
{
    if (data != NULL)
        duet_rdd_unref(data);
}

DuetDStream *
duet_dstream_new_internal(DuetStreamingContext *context, const DuetDStreamOps *ops,
                          DuetSchema *schema, gint64 slide_ms)
{
    DuetDStream *stream = g_new0(DuetDStream, 1);
    stream->ref_count = 1;
    stream->context = context;
    stream->ops = ops;
    stream->schema = duet_schema_ref(schema);
    stream->slide_ms = slide_ms;
    stream->checkpoint_file_time = G_MININT64;
    stream->parents = g_ptr_array_new_with_free_func((GDestroyNotify)duet_dstream_unref);
    g_mutex_init(&stream->lock);
    stream->generated = g_hash_table_new_full(g_int64_hash, g_int64_equal, free_time, free_rdd);
    duet_streaming_context_register_stream(context, stream);
    return stream;
}

void
duet_dstream_add_parent(DuetDStream *stream, DuetDStream *parent)
{
    g_ptr_array_add(stream->parents, duet_dstream_ref(parent));
}

DuetDStream *
duet_dstream_parent(const DuetDStream *stream, guint index)
{
    return g_ptr_array_index(stream->parents, index);
}

DuetDStream *
duet_dstream_ref(DuetDStream *stream)
{
    g_return_val_if_fail(stream != NULL, NULL);
    g_atomic_int_inc(&stream->ref_count);
    return stream;
}

void
duet_dstream_unref(DuetDStream *stream)
{
    if (stream == NULL || !g_atomic_int_dec_and_test(&stream->ref_count))
        return;
    if (stream->op_data_free != NULL)
        stream->op_data_free(stream->op_data);
    g_hash_table_unref(stream->generated);
    g_free(stream->checkpoint_file);
    g_ptr_array_unref(stream->parents);
    g_mutex_clear(&stream->lock);
    duet_schema_unref(stream->schema);
    g_free(stream);
}

DuetSchema *
duet_dstream_schema(const DuetDStream *stream)
{
    return stream->schema;
}

gint64
duet_dstream_slide_ms(const DuetDStream *stream)
{
    return stream->slide_ms;
}

DuetStreamingContext *
duet_dstream_context(const DuetDStream *stream)
{
    return stream->context;
}

gboolean
duet_dstream_is_time_valid(const DuetDStream *stream, gint64 time_ms)
{
    gint64 zero = duet_streaming_context_zero_time(stream->context);
    return time_ms > zero && (time_ms - zero) % stream->slide_ms == 0;
}

DuetRdd *
duet_dstream_empty_rdd(DuetDStream *stream)
{
    g_autoptr(DuetBatch) empty = duet_batch_new_empty(stream->schema);
    return duet_rdd_parallelize(duet_streaming_context_spark_context(stream->context), empty, 1);
}

/**
 * duet_dstream_get_or_compute:
 *
 * Spark's DStream.getOrCompute: the stream's RDD for time_ms, computed at most once and kept
 * until clear_old forgets it. An invalid time has no RDD.
 *
 * Returns: (transfer full) (nullable): the RDD, or NULL for "no RDD" (error unset) or a failure
 * (error set).
 */
DuetRdd *
duet_dstream_get_or_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    if (!duet_dstream_is_time_valid(stream, time_ms))
        return NULL;
    g_mutex_lock(&stream->lock);
    gpointer found = NULL;
    gboolean known = g_hash_table_lookup_extended(stream->generated, &time_ms, NULL, &found);
    g_mutex_unlock(&stream->lock);
    if (known)
        return found ? duet_rdd_ref(found) : NULL;
    GError *local = NULL;
    DuetRdd *rdd = stream->ops->compute(stream, time_ms, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return NULL;
    }
    if (rdd != NULL && stream->persist) {
        DuetRdd *persisted = duet_rdd_persist(rdd);
        duet_rdd_unref(persisted);
    }
    g_mutex_lock(&stream->lock);
    gint64 *key = g_new(gint64, 1);
    *key = time_ms;
    g_hash_table_replace(stream->generated, key, rdd ? duet_rdd_ref(rdd) : NULL);
    g_mutex_unlock(&stream->lock);
    return rdd;
}

/* Spark's slice over aligned times, skipping times without an RDD. */
static GPtrArray *
slice_times(DuetDStream *stream, gint64 from_ms, gint64 to_ms, GError **error)
{
    GPtrArray *rdds = g_ptr_array_new_with_free_func((GDestroyNotify)duet_rdd_unref);
    gint64 zero = duet_streaming_context_zero_time(stream->context);
    gint64 slide = stream->slide_ms;
    /* align from up and to down onto the stream's grid */
    gint64 first = from_ms;
    gint64 offset = (first - zero) % slide;
    if (offset < 0)
        offset += slide;
    if (offset != 0)
        first += slide - offset;
    for (gint64 time = first; time <= to_ms; time += slide) {
        GError *local = NULL;
        DuetRdd *rdd = duet_dstream_get_or_compute(stream, time, &local);
        if (local != NULL) {
            g_propagate_error(error, local);
            g_ptr_array_unref(rdds);
            return NULL;
        }
        if (rdd != NULL)
            g_ptr_array_add(rdds, rdd);
    }
    return rdds;
}

GPtrArray *
duet_dstream_slice(DuetDStream *stream, gint64 from_ms, gint64 to_ms, GError **error)
{
    if (duet_streaming_context_state(stream->context) == DUET_STREAMING_STATE_INITIALIZED) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_STATE,
                    "This DStream has not been initialized (the StreamingContext was never "
                    "started)");
        return NULL;
    }
    return slice_times(stream, from_ms, to_ms, error);
}

GPtrArray *
duet_dstream_slice_internal(DuetDStream *stream, gint64 from_ms, gint64 to_ms, GError **error)
{
    return slice_times(stream, from_ms, to_ms, error);
}

void
duet_dstream_initialize_remember(DuetDStream *stream, gint64 duration_ms)
{
    if (duration_ms > stream->remember_ms)
        stream->remember_ms = duration_ms;
    for (guint parent_idx = 0; parent_idx < stream->parents->len; parent_idx++)
        duet_dstream_initialize_remember(g_ptr_array_index(stream->parents, parent_idx),
                                         stream->remember_ms + stream->parent_remember_extra_ms);
}

static gboolean
is_old(gpointer key, gpointer value, gpointer user_data)
{
    return *(gint64 *)key <= *(gint64 *)user_data;
}

void
duet_dstream_clear_old(DuetDStream *stream, gint64 time_ms)
{
    /* Keep at least two slides so that a stream's own previous RDD stays available. */
    gint64 keep = MAX(stream->remember_ms, 2 * stream->slide_ms);
    gint64 horizon = time_ms - keep;
    g_mutex_lock(&stream->lock);
    g_hash_table_foreach_remove(stream->generated, is_old, &horizon);
    g_mutex_unlock(&stream->lock);
}

gboolean
duet_dstream_validate(DuetDStream *stream, GError **error)
{
    if (stream->must_checkpoint && !duet_streaming_context_has_checkpoint_dir(stream->context)) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "The checkpoint directory has not been set. Please set it by "
                    "StreamingContext.checkpoint().");
        return FALSE;
    }
    if (stream->ops->prepare != NULL)
        return stream->ops->prepare(stream, error);
    return TRUE;
}

void
duet_dstream_persist(DuetDStream *stream)
{
    stream->persist = TRUE;
}

void
duet_dstream_checkpoint(DuetDStream *stream, gint64 interval_ms)
{
    stream->checkpoint_interval_ms = interval_ms;
    stream->persist = TRUE;
}

/* Records the stream's write-ahead log took in this run (block_tracker.c keeps the count). */
gint64
duet_dstream_n_logged(DuetDStream *stream)
{
    return stream->block_tracker ? duet_block_tracker_n_logged(stream->block_tracker) : 0;
}

gboolean
duet_dstream_wait_logged(DuetDStream *stream, gint64 n, gint64 timeout_ms)
{
    return stream->block_tracker != NULL &&
           duet_block_tracker_wait_logged(stream->block_tracker, n, timeout_ms);
}
