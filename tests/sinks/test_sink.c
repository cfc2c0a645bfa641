/* test_sink.c — tests of sinks/: idempotence by batch id (Spark's MemorySink vector
 * sink.memory.append_and_update), Complete mode replacing, the console text, foreachBatch,
 * the foreach writer protocol per partition with a failing process(), and an injected commit
 * fault. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "rdd/fault.h"
#include "sinks/sink.h"

static gboolean
add(DuetSink *sink, gint64 batch_id, const char *json, DuetOutputMode mode)
{
    g_autoptr(DuetBatch) rows = duet_test_batch("value INT", json);
    GPtrArray *partitions = duet_sink_partitions_of(rows);
    GError *error = NULL;
    gboolean ok = duet_sink_add_batch(sink, batch_id, partitions, mode, &error);
    g_clear_error(&error);
    g_ptr_array_unref(partitions);
    return ok;
}

#define ASSERT_MEMORY(sink, latest_id, latest_rows, all_rows)                                      \
    do {                                                                                           \
        ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), latest_id);                                 \
        g_autoptr(DuetBatch) latest_ = duet_memory_sink_latest_batch_data(sink);                   \
        g_autoptr(DuetBatch) all_ = duet_memory_sink_all_data(sink);                               \
        g_autofree char *latest_text_ = duet_test_render(latest_);                                 \
        g_autofree char *all_text_ = duet_test_render(all_);                                       \
        ASSERT_STR_EQ(latest_text_, latest_rows);                                                  \
        ASSERT_STR_EQ(all_text_, all_rows);                                                        \
    } while (0)

static void
test_memory_sink_is_idempotent(void)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("value INT", NULL);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(schema);
    ASSERT_MEMORY(sink, -1, "[]", "[]");
    CU_ASSERT_TRUE(add(sink, 0, "[1, 2, 3]", DUET_OUTPUT_MODE_APPEND));
    ASSERT_MEMORY(sink, 0, "[1, 2, 3]", "[1, 2, 3]");
    CU_ASSERT_TRUE(add(sink, 1, "[4, 5, 6]", DUET_OUTPUT_MODE_APPEND));
    ASSERT_MEMORY(sink, 1, "[4, 5, 6]", "[1, 2, 3, 4, 5, 6]");
    CU_ASSERT_TRUE(add(sink, 1, "[7, 8, 9]", DUET_OUTPUT_MODE_APPEND)); /* ignored */
    ASSERT_MEMORY(sink, 1, "[4, 5, 6]", "[1, 2, 3, 4, 5, 6]");
    CU_ASSERT_TRUE(add(sink, 2, "[7, 8, 9]", DUET_OUTPUT_MODE_APPEND));
    ASSERT_MEMORY(sink, 2, "[7, 8, 9]", "[1, 2, 3, 4, 5, 6, 7, 8, 9]");
    /* Complete replaces */
    CU_ASSERT_TRUE(add(sink, 3, "[10]", DUET_OUTPUT_MODE_COMPLETE));
    ASSERT_MEMORY(sink, 3, "[10]", "[10]");
}

static void
append_text(const char *text, gpointer user_data)
{
    g_string_append(user_data, text);
}

static void
test_console_sink(void)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("value INT", NULL);
    GString *out = g_string_new(NULL);
    g_autoptr(DuetSink) sink = duet_console_sink_new(schema, 2, TRUE, append_text, out);
    g_autofree char *description = duet_sink_description(sink);
    ASSERT_STR_EQ(description, "ConsoleWriter[numRows=2, truncate=true]");
    CU_ASSERT_TRUE(add(sink, 0, "[1, 2, 3]", DUET_OUTPUT_MODE_APPEND));
    ASSERT_STR_EQ(out->str, "-------------------------------------------\nBatch: 0\n"
                            "-------------------------------------------\n"
                            "+-----+\n|value|\n+-----+\n|    1|\n|    2|\n+-----+\n"
                            "only showing top 2 rows\n\n");
    g_string_truncate(out, 0);
    duet_console_sink_print(sink, "Time: 1000 ms\n");
    ASSERT_STR_EQ(out->str, "Time: 1000 ms\n");
    g_string_free(out, TRUE);
}

static gboolean
record_batch(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
{
    g_autofree char *text = duet_test_render(rows);
    g_string_append_printf(user_data, "%" G_GINT64_FORMAT ":%s;", batch_id, text);
    return TRUE;
}

static void
test_foreach_batch_sink(void)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("value INT", NULL);
    GString *log = g_string_new(NULL);
    g_autoptr(DuetSink) sink = duet_foreach_batch_sink_new(schema, record_batch, log);
    add(sink, 0, "[1]", DUET_OUTPUT_MODE_UPDATE);
    add(sink, 1, "[]", DUET_OUTPUT_MODE_UPDATE); /* empty batches are delivered too */
    add(sink, 1, "[9]", DUET_OUTPUT_MODE_UPDATE);
    ASSERT_STR_EQ(log->str, "0:[1];1:[];");
    g_string_free(log, TRUE);
}

static gboolean
writer_open(guint partition, gint64 epoch, gpointer user_data)
{
    g_string_append_printf(user_data, "Open(%u,%" G_GINT64_FORMAT ") ", partition, epoch);
    return TRUE;
}

static gboolean
writer_process(const DuetRow *row, char **message, gpointer user_data)
{
    gint32 value = duet_row_get_int32(row, 0);
    g_string_append_printf(user_data, "Process(%d) ", value);
    if (value == 3) {
        *message = g_strdup("RuntimeException: ForeachSinkSuite error");
        return FALSE;
    }
    return TRUE;
}

static void
writer_close(const char *error, gpointer user_data)
{
    g_string_append_printf(user_data, "Close(%s) ", error ? error : "null");
}

static void
test_foreach_writer_protocol(void)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("value INT", NULL);
    GString *events = g_string_new(NULL);
    DuetForeachWriter writer = {writer_open, writer_process, writer_close};
    g_autoptr(DuetSink) sink = duet_foreach_sink_new(schema, &writer, events);
    g_autoptr(DuetBatch) first = duet_test_batch("value INT", "[1, 2]");
    g_autoptr(DuetBatch) empty = duet_test_batch("value INT", "[]");
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    GPtrArray *one = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    g_ptr_array_add(one, duet_batch_ref(first));
    GPtrArray *two = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
    g_ptr_array_add(two, duet_batch_ref(empty));
    g_ptr_array_add(partitions, one);
    g_ptr_array_add(partitions, two);
    GError *error = NULL;
    CU_ASSERT_TRUE(duet_sink_add_batch(sink, 0, partitions, DUET_OUTPUT_MODE_APPEND, &error));
    /* an empty partition still opens and closes */
    ASSERT_STR_EQ(events->str,
                  "Open(0,0) Process(1) Process(2) Close(null) Open(1,0) Close(null) ");
    g_ptr_array_unref(partitions);
    g_string_truncate(events, 0);
    CU_ASSERT_FALSE(add(sink, 1, "[3, 4]", DUET_OUTPUT_MODE_APPEND));
    ASSERT_STR_EQ(events->str,
                  "Open(0,1) Process(3) Close(RuntimeException: ForeachSinkSuite error) ");
    ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), 0); /* the failed batch is not committed */
    g_string_free(events, TRUE);
}

static gboolean
fail_commit(DuetFaultSite site, const char *path, gpointer user_data)
{
    return site == DUET_FAULT_SITE_SINK_COMMIT;
}

static void
test_commit_fault(void)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("value INT", NULL);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(schema);
    duet_fault_sim_set_hook(fail_commit, NULL);
    CU_ASSERT_FALSE(add(sink, 0, "[1]", DUET_OUTPUT_MODE_APPEND));
    duet_fault_sim_set_hook(NULL, NULL);
    ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), -1);
    /* the re-run of batch 0 is written, not ignored */
    CU_ASSERT_TRUE(add(sink, 0, "[1]", DUET_OUTPUT_MODE_APPEND));
    ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), 0);
}

DUET_TEST_MAIN("sink", DUET_TEST(test_memory_sink_is_idempotent), DUET_TEST(test_console_sink),
               DUET_TEST(test_foreach_batch_sink), DUET_TEST(test_foreach_writer_protocol),
               DUET_TEST(test_commit_fault))
