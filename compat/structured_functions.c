/* structured_functions.c — the named user functions of the Structured conformance cases.
 *
 * Layer: compat/. Each is a partition function over whole batches: it reads the Dataset's
 * columns and appends the mapped rows, as Spark's MapElements does one object at a time.
 */
#include "compat/structured_functions.h"
#include "rdd/task.h"
#include "structured/udf.h"

#include <string.h>

/* identity, plus_1, to_int: one int per row of column 0. */
static void
map_int(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    gint64 add = GPOINTER_TO_INT(user_data);
    for (guint index = 0; index < batches->len; index++) {
        DuetBatch *batch = g_ptr_array_index(batches, index);
        DuetColumn *values = duet_batch_column(batch, 0);
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
            DuetValue value;
            duet_column_get_value(values, row, &value);
            gint64 x = 0;
            if (value.is_null || !duet_value_as_int64(&value, &x))
                duet_batch_builder_append_null(out, 0);
            else
                duet_batch_builder_append_int32(out, 0, (gint32)(x + add));
        }
    }
}

/* x => Seq(x, x + 1) */
static void
self_and_next(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    for (guint index = 0; index < batches->len; index++) {
        DuetBatch *batch = g_ptr_array_index(batches, index);
        DuetColumn *values = duet_batch_column(batch, 0);
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
            gint32 x = duet_column_get_int32(values, row);
            duet_batch_builder_append_int32(out, 0, x);
            duet_batch_builder_append_int32(out, 0, x + 1);
        }
    }
}

/* identity, except that the first 4 seen in the life of the process fails the task */
static void
fail_once_on_4(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    static gint failed_once = 0;
    for (guint index = 0; index < batches->len; index++) {
        DuetBatch *batch = g_ptr_array_index(batches, index);
        DuetColumn *values = duet_batch_column(batch, 0);
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
            gint32 x = duet_column_get_int32(values, row);
            if (x == 4 && g_atomic_int_compare_and_exchange(&failed_once, 0, 1)) {
                duet_task_fail("fail_once_on_4: the first 4 fails the task");
                return;
            }
            duet_batch_builder_append_int32(out, 0, x);
        }
    }
}

/* (ts, v) => (epoch milliseconds of ts, v); first_field: a tuple's first field. */
static void
project_fields(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    gboolean to_ms = GPOINTER_TO_INT(user_data);
    for (guint index = 0; index < batches->len; index++) {
        DuetBatch *batch = g_ptr_array_index(batches, index);
        gsize n_rows = duet_batch_n_rows(batch);
        DuetColumn *first = duet_batch_column(batch, 0);
        for (gsize row = 0; row < n_rows; row++) {
            if (to_ms && !duet_column_is_null(first, row))
                duet_batch_builder_append_int64(out, 0, duet_column_get_int64(first, row) / 1000);
            else if (to_ms)
                duet_batch_builder_append_null(out, 0);
        }
        if (!to_ms)
            duet_column_builder_append_range(duet_batch_builder_column(out, 0), first, 0, n_rows);
        else
            duet_column_builder_append_range(duet_batch_builder_column(out, 1),
                                             duet_batch_column(batch, 1), 0, n_rows);
    }
}

DuetDataFrame *
duet_structured_named_map(DuetDataFrame *frame, const char *name, const char *f, GError **error)
{
    DuetSchema *input = duet_dataframe_schema(frame);
    g_autoptr(DuetSchema) ints = duet_schema_parse("value INT", NULL);
    if (g_strcmp0(name, "identity") == 0)
        return duet_dataframe_map_partitions(frame, ints, map_int, GINT_TO_POINTER(0));
    if (g_strcmp0(name, "plus_1") == 0)
        return duet_dataframe_map_partitions(frame, ints, map_int, GINT_TO_POINTER(1));
    if (g_strcmp0(name, "to_int") == 0)
        return duet_dataframe_map_partitions(frame, ints, map_int, GINT_TO_POINTER(0));
    if (g_strcmp0(name, "self_and_next") == 0)
        return duet_dataframe_map_partitions(frame, ints, self_and_next, NULL);
    if (g_strcmp0(name, "fail_once_on_4") == 0)
        return duet_dataframe_map_partitions(frame, ints, fail_once_on_4, NULL);
    if (g_strcmp0(name, "first_field") == 0 && duet_schema_n_fields(input) >= 1) {
        g_autoptr(DuetSchema) schema = duet_schema_new();
        duet_schema_add_field(schema, "value", duet_schema_field(input, 0)->type, TRUE);
        return duet_dataframe_map_partitions(frame, schema, project_fields, GINT_TO_POINTER(0));
    }
    if (g_strcmp0(name, "timestamp_to_epoch_ms_first") == 0 && duet_schema_n_fields(input) >= 2) {
        g_autoptr(DuetSchema) schema = duet_schema_new();
        g_autoptr(DuetDataType) bigint = duet_data_type_new_scalar(DUET_TYPE_INT64);
        duet_schema_add_field(schema, "_1", bigint, TRUE);
        duet_schema_add_field(schema, "_2", duet_schema_field(input, 1)->type, TRUE);
        return duet_dataframe_map_partitions(frame, schema, project_fields, GINT_TO_POINTER(1));
    }
    g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                "the user function %s (%s) is not one of the named functions of the "
                "conformance format",
                name ? name : "(unnamed)", f);
    return NULL;
}

/* ---- the cases' user-defined functions ------------------------------------------------------ */

/* gapDuration (StreamingSessionWindowSuite): the session gap of a word, as an interval. */
static gboolean
gap_duration(DuetColumn *const *arguments, guint n_arguments, gsize n_rows, DuetColumnBuilder *out,
             gpointer user_data, GError **error)
{
    for (gsize row = 0; row < n_rows; row++) {
        gsize len = 0;
        const char *word = duet_column_is_null(arguments[0], row)
                               ? NULL
                               : duet_column_get_string(arguments[0], row, &len);
        const char *gap = "10 seconds";
        if (word && len == 5 && memcmp(word, "hello", 5) == 0)
            gap = "1 second";
        else if (word && len == 10 && memcmp(word, "structured", 10) == 0)
            gap = "0 second";
        else if (word && len == 5 && memcmp(word, "world", 5) == 0)
            gap = "-10 seconds";
        duet_column_builder_append_string(out, gap, -1);
    }
    return TRUE;
}

/* mySum (StreamingSessionWindowSuite): an Aggregator[Long, Long, Long] summing its input. */
static void
sum_zero(DuetValue *buffer, gpointer user_data)
{
    *buffer = duet_value_int64(0);
}

static void
sum_reduce(DuetValue *buffer, const DuetValue *input, gpointer user_data)
{
    gint64 x = 0;
    if (!input->is_null)
        duet_value_as_int64(input, &x);
    *buffer = duet_value_int64(buffer->v.i64 + x);
}

static void
sum_merge(DuetValue *buffer, const DuetValue *other, gpointer user_data)
{
    *buffer = duet_value_int64(buffer->v.i64 + other->v.i64);
}

static void
sum_finish(const DuetValue *buffer, DuetValue *result, gpointer user_data)
{
    *result = *buffer;
}

static const DuetAggregator my_sum = {DUET_TYPE_INT64, DUET_TYPE_INT64, sum_zero,
                                      sum_reduce,      sum_merge,       sum_finish};

void
duet_structured_register_case_functions(void)
{
    g_autoptr(DuetDataType) string = duet_data_type_new_scalar(DUET_TYPE_STRING);
    duet_udf_register("gapDuration", 1, string, gap_duration, NULL);
    duet_udaf_register("mySum", &my_sum, NULL);
}
