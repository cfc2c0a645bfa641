/* test_timeline_listeners.c — compat/timeline_listeners.c: a DStream context and a Structured
 * query fill their lanes, checked in the SVG (parsed with GMarkup) by class and tooltip. */
#include "compat/timeline_listeners.h"
#include "dstream/receiver.h"
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "tests/compat/svg_classes.h"

static gboolean
ignore_rdd(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    gint64 count = 0;
    return duet_rdd_count(rdd, &count, error);
}

/* Batches of a source stream (a queue stream reports no input records, as in Spark). */
static void
test_dstream_batches(void)
{
    GError *error = NULL;
    g_autoptr(DuetTimeline) timeline = duet_timeline_new();
    guint lane = duet_timeline_add_lane(timeline, "DStream");
    g_autoptr(DuetContext) context = duet_context_new("local[2]", &error);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    duet_context_set_clock(context, clock);
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(context, 1000, &error);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value INT", NULL);
    g_autoptr(DuetSource) source = duet_memory_source_new(schema);
    g_autoptr(DuetDStream) stream = duet_streaming_context_source_stream(ssc, source);
    duet_dstream_foreach_rdd(stream, ignore_rdd, NULL);
    duet_timeline_listen_dstream(timeline, lane, ssc);
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(ssc, &error));
    static const char *const rows[] = {"[1, 2]", "[3]", "[4, 5, 6]"};
    for (guint index = 0; index < G_N_ELEMENTS(rows); index++) {
        g_autoptr(DuetBatch) batch = duet_test_batch("value INT", rows[index]);
        duet_memory_source_add(source, batch);
        duet_clock_set_ms(clock, (index + 1) * 1000);
        CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, (index + 1) * 1000, 60000));
    }
    duet_streaming_context_stop(ssc, FALSE);
    g_autofree char *text = duet_timeline_to_svg(timeline);
    g_autoptr(GHashTable) classes = duet_test_svg_classes(text, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "batch"), 3);
    /* the manual clock does not move while a batch runs: processing time 0 */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "<title>DStream batch 0 at 1 s: 2 input rows, "
                                        "processed in 0 ms</title>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "<title>DStream batch 1 at 2 s: 1 input rows, "));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "<title>DStream batch 2 at 3 s: 3 input rows, "));
}

static void
test_query_batches_watermarks_and_late_rows(void)
{
    GError *error = NULL;
    g_autoptr(DuetTimeline) timeline = duet_timeline_new();
    guint lane = duet_timeline_add_lane(timeline, "Structured");
    g_autoptr(DuetContext) context = duet_context_new("local[2]", &error);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(20000);
    duet_context_set_clock(context, clock);
    g_autoptr(DuetSchema) schema = duet_schema_parse("time TIMESTAMP", NULL);
    g_autoptr(DuetSource) source = duet_memory_source_new(schema);
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(source);
    g_autoptr(DuetDataFrame) marked =
        duet_dataframe_with_watermark(input, "time", "2 seconds", &error);
    static const char *const keys[] = {"window(time, '5 seconds')"};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(marked, keys, 1, &error);
    g_autoptr(DuetDataFrame) counts = duet_grouped_data_count(grouped, &error);
    ASSERT_NO_ERROR(error);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(counts));
    DuetQueryListener listener = duet_timeline_query_listener(timeline, lane);
    DuetQueryOptions options = {
        .mode = DUET_OUTPUT_MODE_APPEND, .listeners = &listener, .n_listeners = 1};
    g_autoptr(DuetStreamingQuery) query =
        duet_streaming_query_start_with(context, counts, sink, &options, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(query);
    /* 20 s, then rows at 1 s and 7 s: behind the 18 s watermark, in two closed windows, both
     * dropped (Spark counts numRowsDroppedByWatermark after the partial aggregation, so rows
     * of one window would count once) */
    static const char *const rows[] = {"[20000000]", "[1000000, 7000000]"};
    for (guint index = 0; index < G_N_ELEMENTS(rows); index++) {
        g_autoptr(DuetBatch) batch = duet_test_batch("time TIMESTAMP", rows[index]);
        duet_memory_source_add(source, batch);
        CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
        duet_clock_advance_ms(clock, 1000);
    }
    g_autoptr(GPtrArray) progress = duet_streaming_query_recent_progress(query);
    duet_streaming_query_stop(query);
    g_autofree char *text = duet_timeline_to_svg(timeline);
    g_autoptr(GHashTable) classes = duet_test_svg_classes(text, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "batch"), progress->len);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "watermark"), progress->len);
    ASSERT_INT_EQ(duet_test_svg_count(classes, "late"), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(text,
                                  "<title>Structured: 2 late rows with event time 18 s, behind the "
                                  "watermark, dropped</title>"));
    g_autoptr(GPtrArray) labels = duet_test_svg_texts(text, "watermark-label");
    ASSERT_STR_EQ(labels->pdata[0], "watermark 18 s");
}

DUET_TEST_MAIN("timeline_listeners", DUET_TEST(test_dstream_batches),
               DUET_TEST(test_query_batches_watermarks_and_late_rows))
