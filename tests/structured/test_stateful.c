/* test_stateful.c — tests of the stateful operators of structured/: aggregation in the three
 * output modes, windows with a watermark (late rows, eviction, no-data batches, event-time
 * statistics), deduplication, stream-stream joins, restarts from the state store and a damaged
 * state file, the output-mode checker, every aggregate function with nulls, and the progress
 * JSON of a running query. Queries run on a memory stream into a foreachBatch sink that
 * records each batch, so every assertion is about exact rows per batch. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "structured/query.h"
#include "structured/sql_parser.h"
#include "structured/udf.h"

#include <glib/gstdio.h>

typedef struct {
    DuetContext *context;
    DuetSource *input;
    GMutex lock;
    GPtrArray *batches; /* rendered (sorted) rows of each batch the sink received */
    char *checkpoint;
} Fixture;

static void
fixture_init(Fixture *fixture, const char *ddl, const char *partitions)
{
    GError *error = NULL;
    fixture->context = duet_context_new("local[2]", &error);
    g_assert_no_error(error);
    duet_context_set_conf(fixture->context, "spark.sql.shuffle.partitions", partitions);
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    fixture->input = duet_memory_source_new(schema);
    g_mutex_init(&fixture->lock);
    fixture->batches = g_ptr_array_new_with_free_func(g_free);
    fixture->checkpoint = duet_test_tmpdir_new();
}

static void
fixture_clear(Fixture *fixture)
{
    duet_test_tmpdir_free(fixture->checkpoint);
    g_ptr_array_unref(fixture->batches);
    g_mutex_clear(&fixture->lock);
    duet_source_unref(fixture->input);
    duet_context_unref(fixture->context);
}

static gboolean
record(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
{
    Fixture *fixture = user_data;
    g_mutex_lock(&fixture->lock);
    g_ptr_array_add(fixture->batches, duet_test_render_sorted(rows));
    g_mutex_unlock(&fixture->lock);
    return TRUE;
}

static DuetStreamingQuery *
start(Fixture *fixture, DuetDataFrame *frame, DuetOutputMode mode)
{
    g_autoptr(DuetSink) sink =
        duet_foreach_batch_sink_new(duet_dataframe_schema(frame), record, fixture);
    GError *error = NULL;
    DuetStreamingQuery *query = duet_streaming_query_start(fixture->context, frame, sink, mode,
                                                           fixture->checkpoint, NULL, NULL, &error);
    ASSERT_NO_ERROR(error);
    return query;
}

/* Adds rows as one block and waits until it (and any no-data batch) is processed. */
static void
add(Fixture *fixture, DuetStreamingQuery *query, const char *ddl, const char *json)
{
    g_autoptr(DuetBatch) rows = duet_test_batch(ddl, json);
    duet_memory_source_add(fixture->input, rows);
    GError *error = NULL;
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    ASSERT_NO_ERROR(error);
}

/* The batches recorded so far, one per line, and forgets them. */
static char *
take_batches(Fixture *fixture)
{
    g_mutex_lock(&fixture->lock);
    GString *out = g_string_new(NULL);
    for (guint index = 0; index < fixture->batches->len; index++)
        g_string_append_printf(out, "%s\n", (char *)fixture->batches->pdata[index]);
    g_ptr_array_set_size(fixture->batches, 0);
    g_mutex_unlock(&fixture->lock);
    return g_string_free(out, FALSE);
}

static DuetDataFrame *
word_counts(Fixture *fixture)
{
    GError *error = NULL;
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture->input);
    static const char *const keys[] = {"value"};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(input, keys, 1, &error);
    DuetDataFrame *counts = duet_grouped_data_count(grouped, &error);
    ASSERT_NO_ERROR(error);
    return counts;
}

static void
test_aggregation_output_modes(void)
{
    static const char *const partitions[] = {"1", "7"};
    for (guint round = 0; round < G_N_ELEMENTS(partitions); round++) {
        Fixture fixture;
        fixture_init(&fixture, "value STRING", partitions[round]);
        g_autoptr(DuetDataFrame) counts = word_counts(&fixture);
        DuetStreamingQuery *query = start(&fixture, counts, DUET_OUTPUT_MODE_UPDATE);
        add(&fixture, query, "value STRING", "[\"a\", \"b\", \"a\", null]");
        add(&fixture, query, "value STRING", "[]");
        add(&fixture, query, "value STRING", "[\"a\"]");
        g_autofree char *update = take_batches(&fixture);
        ASSERT_STR_EQ(update, "[(a,2), (b,1), (null,1)]\n[]\n[(a,3)]\n");
        duet_streaming_query_unref(query);
        /* the same checkpoint in Complete mode: the state carries over */
        query = start(&fixture, counts, DUET_OUTPUT_MODE_COMPLETE);
        add(&fixture, query, "value STRING", "[\"c\"]");
        g_autofree char *complete = take_batches(&fixture);
        ASSERT_STR_EQ(complete, "[(a,3), (b,1), (c,1), (null,1)]\n");
        duet_streaming_query_unref(query);
        fixture_clear(&fixture);
    }
}

static DuetDataFrame *
windowed_counts(Fixture *fixture, const char *delay)
{
    GError *error = NULL;
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture->input);
    g_autoptr(DuetExpr) time = duet_sql_parse_expression("timestamp_seconds(value)", &error);
    g_autoptr(DuetDataFrame) timed = duet_dataframe_with_column(input, "eventTime", time, &error);
    g_autoptr(DuetDataFrame) marked =
        duet_dataframe_with_watermark(timed, "eventTime", delay, &error);
    static const char *const keys[] = {"window(eventTime, '5 seconds')"};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(marked, keys, 1, &error);
    g_autoptr(DuetDataFrame) counts = duet_grouped_data_count(grouped, &error);
    static const char *const columns[] = {"CAST(window.start AS LONG) AS start", "count"};
    DuetDataFrame *result = duet_dataframe_select_exprv(counts, columns, 2, &error);
    ASSERT_NO_ERROR(error);
    return result;
}

static void
test_watermark_append_eviction_and_late_rows(void)
{
    Fixture fixture;
    fixture_init(&fixture, "value INT", "3");
    g_autoptr(DuetDataFrame) counts = windowed_counts(&fixture, "10 seconds");
    DuetStreamingQuery *query = start(&fixture, counts, DUET_OUTPUT_MODE_APPEND);
    add(&fixture, query, "value INT", "[10, 11, 12, 13, 14, 15]");
    g_autofree char *first = take_batches(&fixture);
    /* the watermark (15 - 10 = 5) moved: a no-data batch ran, nothing is final yet */
    ASSERT_STR_EQ(first, "[]\n[]\n");
    ASSERT_INT_EQ(duet_streaming_query_watermark_ms(query), 5000);
    add(&fixture, query, "value INT", "[25]");
    g_autofree char *second = take_batches(&fixture);
    /* watermark 15: [10, 15) is final and emitted once, by the no-data batch */
    ASSERT_STR_EQ(second, "[]\n[(10,5)]\n");
    add(&fixture, query, "value INT", "[10, 26]"); /* 10 is late: [10, 15) ends at 15 <= 15 */
    g_autofree char *third = take_batches(&fixture);
    ASSERT_STR_EQ(third, "[]\n[]\n"); /* the data batch, then the no-data batch at 16 */
    g_autoptr(GPtrArray) recent = duet_streaming_query_recent_progress(query);
    CU_ASSERT_FATAL(recent->len == 6);
    const DuetQueryProgress *progress = recent->pdata[4];
    const DuetStateOperatorProgress *op = progress->state_operators->pdata[0];
    ASSERT_INT_EQ(op->num_rows_dropped_by_watermark, 1);
    ASSERT_INT_EQ(op->num_rows_total, 2); /* [15, 20) and [25, 30) */
    CU_ASSERT_TRUE(progress->has_event_time);
    ASSERT_INT_EQ(progress->event_time_max_ms, 26000);
    ASSERT_INT_EQ(progress->event_time_min_ms, 10000);
    ASSERT_INT_EQ(progress->watermark_ms, 15000);
    /* the progress prints as Spark's JSON */
    g_autofree char *json = duet_query_progress_json(progress, TRUE);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"operatorName\" : \"stateStoreSave\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"watermark\" : \"1970-01-01T00:00:15.000Z\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"numRowsDroppedByWatermark\" : 1"));
    duet_streaming_query_unref(query);
    fixture_clear(&fixture);
}

static void
test_restart_and_damaged_state(void)
{
    Fixture fixture;
    fixture_init(&fixture, "value STRING", "2");
    g_autoptr(DuetDataFrame) counts = word_counts(&fixture);
    DuetStreamingQuery *query = start(&fixture, counts, DUET_OUTPUT_MODE_UPDATE);
    add(&fixture, query, "value STRING", "[\"x\", \"x\"]");
    duet_streaming_query_unref(query);
    /* Spark's layout: state/<operator>/<partition>/<version>.delta, every partition written */
    g_autofree char *delta =
        g_build_filename(fixture.checkpoint, "state", "0", "0", "1.delta", NULL);
    g_autofree char *other =
        g_build_filename(fixture.checkpoint, "state", "0", "1", "1.delta", NULL);
    CU_ASSERT_TRUE(g_file_test(delta, G_FILE_TEST_EXISTS));
    CU_ASSERT_TRUE(g_file_test(other, G_FILE_TEST_EXISTS));
    query = start(&fixture, counts, DUET_OUTPUT_MODE_UPDATE);
    add(&fixture, query, "value STRING", "[\"x\"]");
    duet_streaming_query_unref(query);
    g_autofree char *batches = take_batches(&fixture);
    ASSERT_STR_EQ(batches, "[(x,2)]\n[(x,3)]\n");
    /* a damaged delta file: the next start fails with the file named, nothing is run */
    CU_ASSERT_TRUE(g_file_set_contents(delta, "garbage", -1, NULL));
    g_autoptr(DuetSink) sink =
        duet_foreach_batch_sink_new(duet_dataframe_schema(counts), record, &fixture);
    GError *error = NULL;
    g_autoptr(DuetBatch) rows = duet_test_batch("value STRING", "[\"x\"]");
    duet_memory_source_add(fixture.input, rows);
    query = duet_streaming_query_start(fixture.context, counts, sink, DUET_OUTPUT_MODE_UPDATE,
                                       fixture.checkpoint, NULL, NULL, &error);
    if (query != NULL) { /* the damage shows when the first batch loads the state */
        duet_streaming_query_process_all_available(query, &error);
        duet_streaming_query_unref(query);
    }
    CU_ASSERT_PTR_NOT_NULL(error);
    if (error)
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, delta));
    g_clear_error(&error);
    fixture_clear(&fixture);
}

static void
test_deduplication_with_watermark(void)
{
    Fixture fixture;
    fixture_init(&fixture, "value INT", "4");
    GError *error = NULL;
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture.input);
    g_autoptr(DuetExpr) time = duet_sql_parse_expression("timestamp_seconds(value)", &error);
    g_autoptr(DuetDataFrame) timed = duet_dataframe_with_column(input, "eventTime", time, &error);
    g_autoptr(DuetDataFrame) marked =
        duet_dataframe_with_watermark(timed, "eventTime", "10 seconds", &error);
    g_autoptr(DuetDataFrame) deduped = duet_dataframe_drop_duplicates(marked, NULL, 0, &error);
    static const char *const columns[] = {"value"};
    g_autoptr(DuetDataFrame) values = duet_dataframe_select_exprv(deduped, columns, 1, &error);
    ASSERT_NO_ERROR(error);
    DuetStreamingQuery *query = start(&fixture, values, DUET_OUTPUT_MODE_APPEND);
    add(&fixture, query, "value INT", "[10, 11, 10, 25, 25]");
    add(&fixture, query, "value INT", "[11, 26]"); /* 11 <= watermark 15: late */
    g_autofree char *batches = take_batches(&fixture);
    ASSERT_STR_EQ(batches, "[10, 11, 25]\n[]\n[26]\n[]\n");
    /* the batch of [11, 26] (the one before the last no-data batch) */
    g_autoptr(GPtrArray) recent = duet_streaming_query_recent_progress(query);
    CU_ASSERT_FATAL(recent->len == 4);
    const DuetQueryProgress *data = recent->pdata[2];
    const DuetStateOperatorProgress *op = data->state_operators->pdata[0];
    ASSERT_INT_EQ(data->num_input_rows, 2);
    ASSERT_INT_EQ(op->num_rows_dropped_by_watermark, 1);
    ASSERT_INT_EQ(duet_state_operator_progress_metric(op, "numDroppedDuplicateRows", -1), 0);
    const DuetStateOperatorProgress *first =
        ((DuetQueryProgress *)recent->pdata[0])->state_operators->pdata[0];
    ASSERT_INT_EQ(duet_state_operator_progress_metric(first, "numDroppedDuplicateRows", -1), 2);
    const DuetStateOperatorProgress *last =
        ((DuetQueryProgress *)recent->pdata[3])->state_operators->pdata[0];
    ASSERT_INT_EQ(last->num_rows_total, 2); /* watermark 16 evicted all but 25 and 26 */
    duet_streaming_query_unref(query);
    fixture_clear(&fixture);
}

static void
test_stream_stream_join(void)
{
    Fixture fixture;
    fixture_init(&fixture, "key INT, left STRING", "3");
    g_autoptr(DuetSchema) right_schema = duet_schema_parse("key INT, right STRING", NULL);
    g_autoptr(DuetSource) right_input = duet_memory_source_new(right_schema);
    GError *error = NULL;
    g_autoptr(DuetDataFrame) left = duet_dataframe_from_source(fixture.input);
    g_autoptr(DuetDataFrame) right = duet_dataframe_from_source(right_input);
    static const char *const using_columns[] = {"key"};
    g_autoptr(DuetDataFrame) joined =
        duet_dataframe_join(left, right, using_columns, 1, "inner", &error);
    ASSERT_NO_ERROR(error);
    DuetStreamingQuery *query = start(&fixture, joined, DUET_OUTPUT_MODE_APPEND);
    add(&fixture, query, "key INT, left STRING", "[[1, \"a\"], [2, \"b\"], [null, \"n\"]]");
    g_autoptr(DuetBatch) rights =
        duet_test_batch("key INT, right STRING", "[[1, \"x\"], [1, \"y\"], [3, \"z\"]]");
    duet_memory_source_add(right_input, rights);
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    add(&fixture, query, "key INT, left STRING", "[[3, \"c\"]]");
    g_autofree char *batches = take_batches(&fixture);
    ASSERT_STR_EQ(batches, "[]\n[(1,a,x), (1,a,y)]\n[(3,c,z)]\n");
    g_autoptr(DuetQueryProgress) progress = duet_streaming_query_last_progress(query);
    const DuetStateOperatorProgress *op = progress->state_operators->pdata[0];
    ASSERT_INT_EQ(op->num_rows_total, 6); /* 3 left rows (null keys never stored) + 3 right */
    duet_streaming_query_unref(query);
    fixture_clear(&fixture);
}

static DuetDataFrame *
timed_side(DuetSource *source, GError **error)
{
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(source);
    static const char *const columns[] = {"ad", "CAST(t AS TIMESTAMP) AS time"};
    g_autoptr(DuetDataFrame) timed = duet_dataframe_select_exprv(input, columns, 2, error);
    return timed ? duet_dataframe_with_watermark(timed, "time", "10 seconds", error) : NULL;
}

/* impressions.join(clicks, "ad" and clickTime BETWEEN impressionTime AND + 30 seconds) */
static void
test_time_bounded_join(void)
{
    Fixture fixture;
    fixture_init(&fixture, "ad INT, t BIGINT", "2");
    g_autoptr(DuetSchema) schema = duet_schema_parse("ad INT, t BIGINT", NULL);
    g_autoptr(DuetSource) clicks_input = duet_memory_source_new(schema);
    GError *error = NULL;
    g_autoptr(DuetDataFrame) impressions = timed_side(fixture.input, &error);
    g_autoptr(DuetDataFrame) clicks = timed_side(clicks_input, &error);
    static const char *const using_columns[] = {"ad"};
    g_autoptr(DuetDataFrame) joined = duet_dataframe_join_time_bounded(
        impressions, clicks, using_columns, 1, "time", "time", "0 seconds", "30 seconds", &error);
    ASSERT_NO_ERROR(error);
    DuetStreamingQuery *query = start(&fixture, joined, DUET_OUTPUT_MODE_APPEND);
    add(&fixture, query, "ad INT, t BIGINT", "[[1, 100], [2, 100]]");
    g_autoptr(DuetBatch) first_clicks = duet_test_batch("ad INT, t BIGINT", "[[1, 110], [2, 200]]");
    duet_memory_source_add(clicks_input, first_clicks);
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    add(&fixture, query, "ad INT, t BIGINT", "[[3, 300]]");
    g_autofree char *batches = take_batches(&fixture);
    /* ad 1 clicked 10 s after it was shown: inside the bound; ad 2's click (100 s) is not;
     * then the no-data batches at watermarks 90 s and 190 s */
    ASSERT_STR_EQ(batches, "[]\n[(1,1970-01-01 00:01:40.0,1970-01-01 00:01:50.0)]\n[]\n[]\n[]\n");
    g_autoptr(DuetQueryProgress) progress = duet_streaming_query_last_progress(query);
    const DuetStateOperatorProgress *op = progress->state_operators->pdata[0];
    ASSERT_INT_EQ(progress->watermark_ms, 190000);
    ASSERT_INT_EQ(op->num_rows_removed, 3); /* left rows at 100 s <= 190 - 30, right 110 s */
    ASSERT_INT_EQ(op->num_rows_total, 2);   /* left (3, 300) and right (2, 200) */
    duet_streaming_query_unref(query);
    fixture_clear(&fixture);
}

static void
test_output_mode_checker(void)
{
    Fixture fixture;
    fixture_init(&fixture, "value STRING", "2");
    g_autoptr(DuetDataFrame) counts = word_counts(&fixture);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(counts));
    GError *error = NULL;
    DuetStreamingQuery *query =
        duet_streaming_query_start(fixture.context, counts, sink, DUET_OUTPUT_MODE_APPEND,
                                   fixture.checkpoint, NULL, NULL, &error);
    CU_ASSERT_PTR_NULL(query);
    ASSERT_ERROR(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS);
    ASSERT_STR_EQ(error->message,
                  "Append output mode not supported when there are streaming "
                  "aggregations on streaming DataFrames/DataSets without watermark");
    g_clear_error(&error);
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture.input);
    static const char *const order[] = {"value DESC"};
    g_autoptr(DuetDataFrame) sorted = duet_dataframe_order_by(input, order, 1, &error);
    query = duet_streaming_query_start(fixture.context, sorted, sink, DUET_OUTPUT_MODE_APPEND,
                                       fixture.checkpoint, NULL, NULL, &error);
    CU_ASSERT_PTR_NULL(query);
    CU_ASSERT_PTR_NOT_NULL(error && strstr(error->message, "Sorting is not supported"));
    g_clear_error(&error);
    g_autoptr(DuetDataFrame) limited = duet_dataframe_limit(input, 3);
    query = duet_streaming_query_start(fixture.context, limited, sink, DUET_OUTPUT_MODE_UPDATE,
                                       fixture.checkpoint, NULL, NULL, &error);
    CU_ASSERT_PTR_NULL(query);
    CU_ASSERT_PTR_NOT_NULL(error && strstr(error->message, "Limits are not supported"));
    g_clear_error(&error);
    /* withWatermark on a non-timestamp column fails at once */
    g_autoptr(DuetDataFrame) bad =
        duet_dataframe_with_watermark(input, "value", "1 minute", &error);
    CU_ASSERT_PTR_NULL(bad);
    ASSERT_ERROR(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS);
    g_clear_error(&error);
    fixture_clear(&fixture);
}

/* Every aggregate function over a static table, with nulls and an empty group. */
static void
test_aggregate_functions(void)
{
    Fixture fixture;
    fixture_init(&fixture, "k STRING, v INT, d DOUBLE", "3");
    g_autoptr(DuetBatch) rows =
        duet_test_batch("k STRING, v INT, d DOUBLE", "[[\"a\", 1, 0.5], [\"a\", null, 1.5], "
                                                     "[\"a\", 3, null], [\"b\", null, null], "
                                                     "[\"a\", 1, 2.0]]");
    duet_memory_source_add(fixture.input, rows);
    GError *error = NULL;
    g_autoptr(DuetDataFrame) table = duet_dataframe_from_static_source(fixture.input);
    static const char *const keys[] = {"k"};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(table, keys, 1, &error);
    static const char *const aggs[] = {"count(*)",
                                       "count(v)",
                                       "sum(v)",
                                       "avg(v)",
                                       "min(v)",
                                       "max(d)",
                                       "first(v)",
                                       "last(d)",
                                       "collect_list(v)",
                                       "collect_set(v)",
                                       "approx_count_distinct(v)",
                                       "sum(d)"};
    g_autoptr(DuetDataFrame) result =
        duet_grouped_data_agg_exprv(grouped, aggs, G_N_ELEMENTS(aggs), &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *tree = duet_dataframe_tree_string(result);
    CU_ASSERT_PTR_NOT_NULL(strstr(tree, "|-- sum(v): long (nullable = true)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(tree, "|-- count(1): long (nullable = false)"));
    g_autoptr(DuetBatch) collected = duet_dataframe_collect(fixture.context, result, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *text = duet_test_render_sorted(collected);
    ASSERT_STR_EQ(text, "[(a,4,3,5,1.6666666666666667,1,2.0,1,2.0,CompactBuffer(1, 3, 1),"
                        "CompactBuffer(1, 3),2,4.0), (b,1,0,null,null,null,null,null,null,"
                        "CompactBuffer(),CompactBuffer(),0,null)]");
    fixture_clear(&fixture);
}

/* sum, avg and median of a string column read each string as a double (Spark's implicit
 * cast: spaces trimmed, however long the string); one that does not parse counts as null.
 * The expected row is what pyspark 3.5.3 (local mode) prints for the same table. */
static void
test_aggregates_of_strings(void)
{
    Fixture fixture;
    fixture_init(&fixture, "k STRING, s STRING", "2");
    g_autoptr(DuetBatch) rows = duet_test_batch(
        "k STRING, s STRING",
        "[[\"a\", \"1.5\"], [\"a\", \" 2 \"], [\"a\", null], "
        "[\"a\", \"0000000000000000000000000000000000000000000000000000000000000000000001\"], "
        "[\"a\", \"x1\"], [\"b\", \"\"], [\"b\", \"one\"]]");
    duet_memory_source_add(fixture.input, rows);
    GError *error = NULL;
    g_autoptr(DuetDataFrame) table = duet_dataframe_from_static_source(fixture.input);
    static const char *const keys[] = {"k"};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(table, keys, 1, &error);
    static const char *const aggs[] = {"sum(s)", "avg(s)", "median(s)"};
    g_autoptr(DuetDataFrame) result =
        duet_grouped_data_agg_exprv(grouped, aggs, G_N_ELEMENTS(aggs), &error);
    ASSERT_NO_ERROR(error);
    g_autoptr(DuetBatch) collected = duet_dataframe_collect(fixture.context, result, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *text = duet_test_render_sorted(collected);
    ASSERT_STR_EQ(text, "[(a,4.5,1.5,1.5), (b,null,null,null)]");
    fixture_clear(&fixture);
}

static gboolean
twice(DuetColumn *const *arguments, guint n_arguments, gsize n_rows, DuetColumnBuilder *out,
      gpointer user_data, GError **error)
{
    for (gsize row = 0; row < n_rows; row++) {
        if (duet_column_is_null(arguments[0], row))
            duet_column_builder_append_null(out);
        else
            duet_column_builder_append_int64(out,
                                             2 * (gint64)duet_column_get_int32(arguments[0], row));
    }
    return TRUE;
}

static void
product_zero(DuetValue *buffer, gpointer user_data)
{
    *buffer = duet_value_double(1.0);
}

static void
product_reduce(DuetValue *buffer, const DuetValue *input, gpointer user_data)
{
    gdouble x = 1.0;
    if (!input->is_null)
        duet_value_as_double(input, &x);
    *buffer = duet_value_double(buffer->v.f64 * x);
}

static void
product_merge(DuetValue *buffer, const DuetValue *other, gpointer user_data)
{
    *buffer = duet_value_double(buffer->v.f64 * other->v.f64);
}

static void
product_finish(const DuetValue *buffer, DuetValue *result, gpointer user_data)
{
    *result = *buffer;
}

static const DuetAggregator product = {DUET_TYPE_DOUBLE, DUET_TYPE_DOUBLE, product_zero,
                                       product_reduce,   product_merge,    product_finish};

/* Statistics, a registered UDF and a registered Aggregator, over several partitions. */
static void
test_statistics_and_user_functions(void)
{
    Fixture fixture;
    fixture_init(&fixture, "k STRING, v INT", "4");
    g_autoptr(DuetDataType) bigint = duet_data_type_new_scalar(DUET_TYPE_INT64);
    duet_udf_register("Twice", 1, bigint, twice, NULL);
    duet_udaf_register("product", &product, NULL);
    g_autoptr(DuetBatch) first =
        duet_test_batch("k STRING, v INT", "[[\"a\", 40], [\"a\", 41], [\"b\", 5]]");
    g_autoptr(DuetBatch) second =
        duet_test_batch("k STRING, v INT", "[[\"a\", 42], [\"a\", null], [\"a\", 45]]");
    duet_memory_source_add(fixture.input, first);
    duet_memory_source_add(fixture.input, second);
    GError *error = NULL;
    g_autoptr(DuetDataFrame) table = duet_dataframe_from_static_source(fixture.input);
    static const char *const keys[] = {"k"};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(table, keys, 1, &error);
    static const char *const aggs[] = {"median(v)",  "stddev(v)",     "variance(v)",
                                       "var_pop(v)", "sum(twice(v))", "PRODUCT(v)"};
    g_autoptr(DuetDataFrame) result =
        duet_grouped_data_agg_exprv(grouped, aggs, G_N_ELEMENTS(aggs), &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FATAL(result != NULL);
    g_autoptr(DuetBatch) collected = duet_dataframe_collect(fixture.context, result, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *text = duet_test_render_sorted(collected);
    /* a: 40 41 42 45 -> median 41.5, sample variance 14/3, population 3.5 */
    ASSERT_STR_EQ(text, "[(a,41.5,2.160246899469287,4.666666666666667,3.5,336,3099600.0), "
                        "(b,5.0,null,null,0.0,10,5.0)]");
    fixture_clear(&fixture);
}

/* window() as a batch query: sliding windows that do not divide, and a start time. */
static void
test_sliding_windows(void)
{
    Fixture fixture;
    fixture_init(&fixture, "time STRING, value INT", "2");
    g_autoptr(DuetBatch) rows =
        duet_test_batch("time STRING, value INT", "[[\"2016-03-27 19:39:34\", 1], [null, 2]]");
    duet_memory_source_add(fixture.input, rows);
    GError *error = NULL;
    g_autoptr(DuetDataFrame) table = duet_dataframe_from_static_source(fixture.input);
    static const char *const columns[] = {"window(time, '10 seconds', '3 seconds', '1 second')",
                                          "value"};
    g_autoptr(DuetDataFrame) windowed = duet_dataframe_select_exprv(table, columns, 2, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FATAL(windowed != NULL);
    static const char *const starts[] = {"CAST(window.start AS STRING) AS s", "value"};
    g_autoptr(DuetDataFrame) windows = duet_dataframe_select_exprv(windowed, starts, 2, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FATAL(windows != NULL);
    g_autoptr(DuetBatch) collected = duet_dataframe_collect(fixture.context, windows, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *text = duet_test_render_sorted(collected);
    /* windows [s, s + 10 s) with s = 1 + 3k seconds containing :34 (the null time is dropped) */
    ASSERT_STR_EQ(text, "[(2016-03-27 19:39:25,1), (2016-03-27 19:39:28,1), "
                        "(2016-03-27 19:39:31,1), (2016-03-27 19:39:34,1)]");
    fixture_clear(&fixture);
}

DUET_TEST_MAIN("stateful", DUET_TEST(test_aggregation_output_modes),
               DUET_TEST(test_watermark_append_eviction_and_late_rows),
               DUET_TEST(test_restart_and_damaged_state),
               DUET_TEST(test_deduplication_with_watermark), DUET_TEST(test_stream_stream_join),
               DUET_TEST(test_time_bounded_join), DUET_TEST(test_output_mode_checker),
               DUET_TEST(test_aggregate_functions), DUET_TEST(test_sliding_windows),
               DUET_TEST(test_statistics_and_user_functions), DUET_TEST(test_aggregates_of_strings))
