/* test_fan_out.c — one shared source read by a DStream and a Structured query at once.
 *
 * Both APIs register as consumers of the same memory source; each sees every record exactly
 * once, and the source forgets a block only after both committed it. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "dstream/receiver.h"
#include "structured/query.h"

static gboolean
collect_rdd(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    g_autoptr(DuetBatch) rows = duet_rdd_collect(rdd, error);
    if (rows == NULL)
        return FALSE;
    g_autofree char *text = duet_test_render_sorted(rows);
    g_ptr_array_add(user_data, g_strdup(text));
    return TRUE;
}

static void
test_dstream_and_query_share_a_source(void)
{
    GError *error = NULL;
    g_autoptr(DuetContext) context = duet_context_new("local[2]", &error);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    duet_context_set_clock(context, clock);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value INT", NULL);
    g_autoptr(DuetSource) source = duet_memory_source_new(schema);
    /* the DStream side */
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(context, 1000, &error);
    g_autoptr(DuetDStream) stream = duet_streaming_context_source_stream(ssc, source);
    GPtrArray *dstream_out = g_ptr_array_new_with_free_func(g_free);
    duet_dstream_foreach_rdd(stream, collect_rdd, dstream_out);
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(ssc, &error));
    /* the Structured side */
    g_autoptr(DuetDataFrame) frame = duet_dataframe_from_source(source);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(schema);
    g_autoptr(DuetStreamingQuery) query = duet_streaming_query_start(
        context, frame, sink, DUET_OUTPUT_MODE_APPEND, NULL, NULL, "shared", &error);
    ASSERT_NO_ERROR(error);
    for (int block = 0; block < 3; block++) {
        g_autofree char *json = g_strdup_printf("[%d, %d]", block * 2, block * 2 + 1);
        g_autoptr(DuetBatch) rows = duet_test_batch("value INT", json);
        duet_memory_source_add(source, rows);
        CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
        duet_clock_set_ms(clock, (block + 1) * 1000);
        CU_ASSERT_TRUE(duet_streaming_context_await_batch(ssc, (block + 1) * 1000, 60000));
    }
    duet_streaming_context_stop(ssc, FALSE);
    duet_streaming_query_stop(query);
    ASSERT_INT_EQ(dstream_out->len, 3);
    ASSERT_STR_EQ(dstream_out->pdata[0], "[0, 1]");
    ASSERT_STR_EQ(dstream_out->pdata[1], "[2, 3]");
    ASSERT_STR_EQ(dstream_out->pdata[2], "[4, 5]");
    g_autoptr(DuetBatch) all = duet_memory_sink_all_data(sink);
    g_autofree char *query_rows = duet_test_render_sorted(all);
    ASSERT_STR_EQ(query_rows, "[0, 1, 2, 3, 4, 5]");
    g_ptr_array_unref(dstream_out);
}

DUET_TEST_MAIN("fan_out", DUET_TEST(test_dstream_and_query_share_a_source))
