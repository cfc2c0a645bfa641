/* window.c — processing-time windows: window, reduceByKeyAndWindow (with and without an
 * inverse function), reduceByWindow, countByWindow, countByValueAndWindow and
 * groupByKeyAndWindow.
 *
 * Layer: dstream/. Includes rdd/ and dstream/. A window of length W sliding by S is, at each
 * time t on the S grid, the union of the parent's RDDs at times in (t - W, t]; times at or
 * before zero time do not exist, so the first windows cover fewer batches (Spark's
 * WindowedDStream). With an inverse function the window is not recomputed: the previous
 * window's values are cogrouped with the batches that left and the batches that entered,
 * and each key's value is updated as Spark's ReducedWindowedDStream does.
 */
#include "dstream/internal.h"

static gboolean
check_durations(DuetDStream *stream, gint64 window_ms, gint64 *slide_ms, GError **error)
{
    if (*slide_ms == 0)
        *slide_ms = stream->slide_ms;
    if (window_ms <= 0 || window_ms % stream->slide_ms != 0) {
        g_set_error(
            error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
            "The window duration of windowed DStream (%" G_GINT64_FORMAT
            " ms) must be a multiple of the slide duration of parent DStream (%" G_GINT64_FORMAT
            " ms)",
            window_ms, stream->slide_ms);
        return FALSE;
    }
    if (*slide_ms <= 0 || *slide_ms % stream->slide_ms != 0) {
        g_set_error(
            error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
            "The slide duration of windowed DStream (%" G_GINT64_FORMAT
            " ms) must be a multiple of the slide duration of parent DStream (%" G_GINT64_FORMAT
            " ms)",
            *slide_ms, stream->slide_ms);
        return FALSE;
    }
    return TRUE;
}

/* The union of rdds, or an empty RDD of the stream's schema when there are none. */
static DuetRdd *
union_or_empty(DuetDStream *stream, GPtrArray *rdds, GError **error)
{
    if (rdds->len == 0)
        return duet_dstream_empty_rdd(stream);
    return duet_rdd_union((DuetRdd *const *)rdds->pdata, rdds->len, error);
}

/* ---- window ------------------------------------------------------------------------------ */

typedef struct {
    gint64 window_ms;
} Window;

static DuetRdd *
window_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    Window *window = stream->op_data;
    DuetDStream *parent = duet_dstream_parent(stream, 0);
    GPtrArray *rdds = duet_dstream_slice_internal(
        parent, time_ms - window->window_ms + parent->slide_ms, time_ms, error);
    if (rdds == NULL)
        return NULL;
    DuetRdd *result = union_or_empty(stream, rdds, error);
    g_ptr_array_unref(rdds);
    return result;
}

/* The window arithmetic `duet explain` prints: how many parent batches a window spans. */
static void
append_window(GString *out, DuetDStream *stream, gint64 window_ms)
{
    gint64 parent_slide = duet_dstream_parent(stream, 0)->slide_ms;
    g_string_append_printf(out,
                           ", window %" G_GINT64_FORMAT " ms = the last %" G_GINT64_FORMAT
                           " parent batches, sliding %" G_GINT64_FORMAT " at a time",
                           window_ms, window_ms / parent_slide, stream->slide_ms / parent_slide);
}

static void
describe_window(DuetDStream *stream, GString *out)
{
    append_window(out, stream, ((const Window *)stream->op_data)->window_ms);
}

static const DuetDStreamOps window_ops = {
    .name = "WindowedDStream", .compute = window_compute, .describe = describe_window};

DuetDStream *
duet_dstream_window(DuetDStream *stream, gint64 window_ms, gint64 slide_ms, GError **error)
{
    if (!check_durations(stream, window_ms, &slide_ms, error))
        return NULL;
    DuetDStream *windowed =
        duet_dstream_new_internal(stream->context, &window_ops, stream->schema, slide_ms);
    duet_dstream_add_parent(windowed, stream);
    Window *window = g_new0(Window, 1);
    window->window_ms = window_ms;
    windowed->op_data = window;
    windowed->op_data_free = g_free;
    windowed->parent_remember_extra_ms = window_ms;
    return windowed;
}

/* ---- reduceByKeyAndWindow with an inverse function --------------------------------------------
 */

typedef struct {
    DuetReduceFunc reduce;
    DuetReduceFunc inverse;
    DuetFilterFunc filter;
    gpointer user_data;
    gint64 window_ms;
    guint num_partitions;
    /* per computed window: how many old and new RDDs follow the previous window's in the
     * cogroup; read by merge_partition, which runs while compute waits for the job */
} ReducedWindow;

typedef struct {
    const ReducedWindow *window;
    guint n_old;
    guint n_new;
} MergePlan;

/* Reduces the first element of each non-empty list among fields [first, first + n). */
static gboolean
reduce_heads(const ReducedWindow *window, const DuetValue *groups, guint first, guint n,
             DuetValue *result)
{
    gboolean have = FALSE;
    for (guint field = first; field < first + n; field++) {
        DuetValue list;
        duet_value_struct_get(groups, field, &list);
        if (duet_value_list_length(&list) == 0)
            continue;
        DuetValue head;
        duet_value_list_get(&list, 0, &head);
        if (!have) {
            *result = head;
            have = TRUE;
        } else {
            DuetValue merged;
            window->reduce(result, &head, &merged, window->user_data);
            *result = merged;
        }
    }
    return have;
}

/* Spark's ReducedWindowedDStream.mergeValues over (key, (previous, old..., new...)). */
static void
merge_partition(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    const MergePlan *plan = user_data;
    const ReducedWindow *window = plan->window;
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetRow row = duet_batch_row(batch, row_idx);
            DuetValue groups, previous_list;
            duet_row_get_value(&row, 1, &groups);
            duet_value_struct_get(&groups, 0, &previous_list);
            DuetValue old_value, new_value, result;
            gboolean has_old = reduce_heads(window, &groups, 1, plan->n_old, &old_value);
            gboolean has_new =
                reduce_heads(window, &groups, 1 + plan->n_old, plan->n_new, &new_value);
            if (duet_value_list_length(&previous_list) == 0) {
                if (!has_new) {
                    duet_task_fail("Neither previous window has value for key, nor new values "
                                   "found. Are you sure your key class hashes consistently?");
                    return;
                }
                result = new_value;
            } else {
                duet_value_list_get(&previous_list, 0, &result);
                if (has_old) {
                    DuetValue updated;
                    window->inverse(&result, &old_value, &updated, window->user_data);
                    result = updated;
                }
                if (has_new) {
                    DuetValue updated;
                    window->reduce(&result, &new_value, &updated, window->user_data);
                    result = updated;
                }
            }
            duet_column_builder_append_from(duet_batch_builder_column(out, 0),
                                            duet_batch_column(batch, 0), row_idx);
            if (!duet_column_builder_append_value(duet_batch_builder_column(out, 1), &result)) {
                duet_task_fail("reduceByKeyAndWindow: a reduce function returned a value of "
                               "another type than the stream's values");
                return;
            }
        }
    }
}

static void
free_plan(gpointer data)
{
    g_free(data);
}

static DuetRdd *
reduced_window_compute(DuetDStream *stream, gint64 time_ms, GError **error)
{
    ReducedWindow *window = stream->op_data;
    DuetDStream *reduced = duet_dstream_parent(stream, 0);
    gint64 parent_slide = reduced->slide_ms;
    gint64 current_begin = time_ms - window->window_ms + parent_slide;
    gint64 previous_begin = current_begin - stream->slide_ms;
    gint64 previous_end = time_ms - stream->slide_ms;

    GPtrArray *old_rdds =
        duet_dstream_slice_internal(reduced, previous_begin, current_begin - parent_slide, error);
    if (old_rdds == NULL)
        return NULL;
    GPtrArray *new_rdds =
        duet_dstream_slice_internal(reduced, previous_end + parent_slide, time_ms, error);
    if (new_rdds == NULL) {
        g_ptr_array_unref(old_rdds);
        return NULL;
    }
    GError *local = NULL;
    DuetRdd *previous = duet_dstream_get_or_compute(stream, previous_end, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        g_ptr_array_unref(old_rdds);
        g_ptr_array_unref(new_rdds);
        return NULL;
    }
    if (previous == NULL)
        previous = duet_dstream_empty_rdd(stream);

    GPtrArray *all = g_ptr_array_new();
    g_ptr_array_add(all, previous);
    g_ptr_array_extend(all, old_rdds, NULL, NULL);
    g_ptr_array_extend(all, new_rdds, NULL, NULL);
    guint partitions = window->num_partitions
                           ? window->num_partitions
                           : duet_context_default_partitions(
                                 duet_streaming_context_spark_context(stream->context));
    DuetRdd *result = NULL;
    g_autoptr(DuetRdd) grouped =
        duet_rdd_cogroup((DuetRdd *const *)all->pdata, all->len, partitions, error);
    if (grouped != NULL) {
        MergePlan *plan = g_new0(MergePlan, 1);
        plan->window = window;
        plan->n_old = old_rdds->len;
        plan->n_new = new_rdds->len;
        DuetRdd *merged =
            duet_rdd_map_partitions(grouped, stream->schema, merge_partition, plan, TRUE);
        /* The plan lives exactly as long as the RDD that calls merge_partition with it. */
        duet_rdd_attach_data(merged, plan, free_plan);
        result = merged;
        if (window->filter != NULL) {
            result = duet_rdd_filter(merged, window->filter, window->user_data);
            duet_rdd_unref(merged);
        }
        /* Checkpoint every interval, as state.c does: it cuts the lineage through previous
         * windows, and a restart resumes from the newest checkpointed window. */
        gint64 interval = stream->checkpoint_interval_ms > 0 ? stream->checkpoint_interval_ms
                                                             : MAX(stream->slide_ms, 10000);
        gint64 every = MAX(interval / stream->slide_ms, 1);
        gint64 index =
            (time_ms - duet_streaming_context_zero_time(stream->context)) / stream->slide_ms;
        if (index % every == 0 && !duet_rdd_checkpoint(result, error))
            g_clear_pointer(&result, duet_rdd_unref);
    }
    g_ptr_array_unref(all);
    duet_rdd_unref(previous);
    g_ptr_array_unref(old_rdds);
    g_ptr_array_unref(new_rdds);
    return result;
}

static void
describe_reduced_window(DuetDStream *stream, GString *out)
{
    append_window(out, stream, ((const ReducedWindow *)stream->op_data)->window_ms);
    g_string_append(out, ", updated by reducing the entering batch and inverse-reducing the "
                         "leaving one");
}

static const DuetDStreamOps reduced_window_ops = {.name = "ReducedWindowedDStream",
                                                  .compute = reduced_window_compute,
                                                  .describe = describe_reduced_window};

static void
identity_value(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data)
{
    duet_column_builder_append_value(out, value);
}

DuetDStream *
duet_dstream_reduce_by_key_and_window(DuetDStream *stream, DuetReduceFunc f, DuetReduceFunc inv_f,
                                      gint64 window_ms, gint64 slide_ms, guint num_partitions,
                                      DuetFilterFunc filter_f, gpointer user_data, GError **error)
{
    g_return_val_if_fail(stream != NULL && f != NULL, NULL);
    if (!check_durations(stream, window_ms, &slide_ms, error))
        return NULL;
    if (inv_f == NULL) {
        /* reduceByKey(f).window(W, S).reduceByKey(f), then the filter if any */
        g_autoptr(DuetDStream) reduced =
            duet_dstream_reduce_by_key(stream, f, user_data, num_partitions, error);
        if (reduced == NULL)
            return NULL;
        g_autoptr(DuetDStream) windowed = duet_dstream_window(reduced, window_ms, slide_ms, error);
        if (windowed == NULL)
            return NULL;
        DuetDStream *result =
            duet_dstream_reduce_by_key(windowed, f, user_data, num_partitions, error);
        if (result != NULL && filter_f != NULL) {
            DuetDStream *filtered = duet_dstream_filter(result, filter_f, user_data);
            duet_dstream_unref(result);
            result = filtered;
        }
        return result;
    }
    /* Spark: parent.mapValues(identity).reduceByKey(f, partitioner), windowed incrementally */
    DuetDataType *value_type = duet_schema_field(stream->schema, 1)->type;
    g_autoptr(DuetDStream) identity =
        duet_dstream_map_values(stream, value_type, identity_value, NULL, error);
    if (identity == NULL)
        return NULL;
    g_autoptr(DuetDStream) reduced =
        duet_dstream_reduce_by_key(identity, f, user_data, num_partitions, error);
    if (reduced == NULL)
        return NULL;
    DuetDStream *windowed =
        duet_dstream_new_internal(stream->context, &reduced_window_ops, stream->schema, slide_ms);
    duet_dstream_add_parent(windowed, reduced);
    ReducedWindow *window = g_new0(ReducedWindow, 1);
    window->reduce = f;
    window->inverse = inv_f;
    window->filter = filter_f;
    window->user_data = user_data;
    window->window_ms = window_ms;
    window->num_partitions = num_partitions;
    windowed->op_data = window;
    windowed->op_data_free = g_free;
    windowed->parent_remember_extra_ms = window_ms;
    windowed->must_checkpoint = TRUE;
    windowed->persist = TRUE;
    return windowed;
}

/* ---- Built on the two above ------------------------------------------------------------------ */

static void
keyed_by_one(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_batch_builder_append_int32(out, 0, 1);
    duet_column_builder_append_from(duet_batch_builder_column(out, 1),
                                    duet_batch_column(row->batch, 0), row->index);
}

static void
values_only(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_column_builder_append_from(duet_batch_builder_column(out, 0),
                                    duet_batch_column(row->batch, 1), row->index);
}

DuetDStream *
duet_dstream_reduce_by_window(DuetDStream *stream, DuetReduceFunc f, DuetReduceFunc inv_f,
                              gint64 window_ms, gint64 slide_ms, gpointer user_data, GError **error)
{
    if (duet_schema_n_fields(stream->schema) != 1) {
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "reduceByWindow needs a DStream of single values");
        return NULL;
    }
    if (inv_f == NULL) {
        /* reduce(f).window(W, S).reduce(f) */
        g_autoptr(DuetDStream) reduced = duet_dstream_reduce(stream, f, user_data, error);
        if (reduced == NULL)
            return NULL;
        g_autoptr(DuetDStream) windowed = duet_dstream_window(reduced, window_ms, slide_ms, error);
        return windowed ? duet_dstream_reduce(windowed, f, user_data, error) : NULL;
    }
    /* map((1, _)).reduceByKeyAndWindow(f, inv_f, W, S, 1).map(_._2) */
    const DuetField *field = duet_schema_field(stream->schema, 0);
    g_autoptr(DuetSchema) keyed = duet_schema_new();
    g_autoptr(DuetDataType) int_type = duet_data_type_new_scalar(DUET_TYPE_INT32);
    duet_schema_add_field(keyed, "k", int_type, FALSE);
    duet_schema_add_field(keyed, field->name, field->type, TRUE);
    g_autoptr(DuetDStream) pairs = duet_dstream_map(stream, keyed, keyed_by_one, NULL);
    g_autoptr(DuetDStream) windowed = duet_dstream_reduce_by_key_and_window(
        pairs, f, inv_f, window_ms, slide_ms, 1, NULL, user_data, error);
    if (windowed == NULL)
        return NULL;
    return duet_dstream_map(windowed, stream->schema, values_only, NULL);
}

static void
to_one(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_batch_builder_append_int64(out, 0, 1);
}

static void
add_int64(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

static void
sub_int64(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 - b->v.i64);
}

DuetDStream *
duet_dstream_count_by_window(DuetDStream *stream, gint64 window_ms, gint64 slide_ms, GError **error)
{
    /* map(_ => 1L).reduceByWindow(_ + _, _ - _, W, S) */
    g_autoptr(DuetSchema) ones_schema = duet_schema_parse("count BIGINT", NULL);
    g_autoptr(DuetDStream) ones = duet_dstream_map(stream, ones_schema, to_one, NULL);
    return duet_dstream_reduce_by_window(ones, add_int64, sub_int64, window_ms, slide_ms, NULL,
                                         error);
}

static void
pair_with_one(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_column_builder_append_row(duet_batch_builder_column(out, 0), row);
    duet_batch_builder_append_int64(out, 1, 1);
}

static gboolean
count_not_zero(const DuetRow *row, gpointer user_data)
{
    return duet_row_get_int64(row, 1) != 0;
}

DuetDStream *
duet_dstream_count_by_value_and_window(DuetDStream *stream, gint64 window_ms, gint64 slide_ms,
                                       guint num_partitions, GError **error)
{
    /* map((_, 1L)).reduceByKeyAndWindow(_ + _, _ - _, W, S, n, _._2 != 0L) */
    g_autoptr(DuetSchema) schema = duet_schema_new();
    g_autoptr(DuetDataType) element = duet_schema_element_type(stream->schema);
    duet_schema_add_field(schema, "value", element, TRUE);
    g_autoptr(DuetDataType) count_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    duet_schema_add_field(schema, "count", count_type, FALSE);
    g_autoptr(DuetDStream) pairs = duet_dstream_map(stream, schema, pair_with_one, NULL);
    return duet_dstream_reduce_by_key_and_window(pairs, add_int64, sub_int64, window_ms, slide_ms,
                                                 num_partitions, count_not_zero, NULL, error);
}

DuetDStream *
duet_dstream_group_by_key_and_window(DuetDStream *stream, gint64 window_ms, gint64 slide_ms,
                                     guint num_partitions, GError **error)
{
    /* Spark groups each batch, windows the groups and concatenates them per key; grouping the
     * window's pairs gives the same values in the same (batch time) order. */
    g_autoptr(DuetDStream) windowed = duet_dstream_window(stream, window_ms, slide_ms, error);
    return windowed ? duet_dstream_group_by_key(windowed, num_partitions, error) : NULL;
}
