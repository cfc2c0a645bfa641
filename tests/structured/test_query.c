/* test_query.c — tests of structured/dataframe.c and structured/query.c: a stateless query over
 * a memory stream into a memory sink, batch ids, the checkpoint's offsets and commit logs,
 * restart after a clean stop, the re-run of a batch logged but not committed (a crash injected
 * at the sink commit), Spark's output-mode and analysis errors, and processAllAvailable over a
 * rate-limited source. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "rdd/fault.h"
#include "structured/query.h"

#include <time.h>
#include <utime.h>

typedef struct {
    DuetContext *context;
    DuetSource *memory;
    DuetDataFrame *frame; /* memory.where("value > 1").selectExpr("value * 2 AS doubled") */
} Fixture;

static void
fixture_init(Fixture *fixture)
{
    GError *error = NULL;
    fixture->context = duet_context_new("local[2]", &error);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value INT", NULL);
    fixture->memory = duet_memory_source_new(schema);
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture->memory);
    g_autoptr(DuetDataFrame) filtered = duet_dataframe_where(input, "value > 1", &error);
    g_assert_no_error(error);
    fixture->frame = duet_dataframe_select_expr(filtered, &error, "value * 2 AS doubled", NULL);
    g_assert_no_error(error);
}

static void
fixture_clear(Fixture *fixture)
{
    duet_dataframe_unref(fixture->frame);
    duet_source_unref(fixture->memory);
    duet_context_unref(fixture->context);
}

static void
add(Fixture *fixture, const char *json)
{
    g_autoptr(DuetBatch) rows = duet_test_batch("value INT", json);
    duet_memory_source_add(fixture->memory, rows);
}

static char *
sink_rows(DuetSink *sink)
{
    g_autoptr(DuetBatch) all = duet_memory_sink_all_data(sink);
    return duet_test_render(all);
}

static gboolean
file_exists(const char *dir, const char *relative)
{
    g_autofree char *path = g_build_filename(dir, relative, NULL);
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

static void
test_stateless_query_and_restart(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    char *checkpoint = duet_test_tmpdir_new();
    g_autofree char *schema_text = duet_dataframe_tree_string(fixture.frame);
    ASSERT_STR_EQ(schema_text, "root\n |-- doubled: integer (nullable = true)\n");
    g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(fixture.frame));
    GError *error = NULL;
    DuetStreamingQuery *query =
        duet_streaming_query_start(fixture.context, fixture.frame, sink, DUET_OUTPUT_MODE_APPEND,
                                   checkpoint, NULL, "doubler", &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(duet_streaming_query_is_active(query));
    g_autofree char *id = g_strdup(duet_streaming_query_id(query));
    add(&fixture, "[1, 2, 3]");
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    add(&fixture, "[]"); /* an empty add is a batch */
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    add(&fixture, "[4, null]");
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    ASSERT_INT_EQ(duet_streaming_query_last_batch_id(query), 2);
    g_autofree char *rows = sink_rows(sink);
    ASSERT_STR_EQ(rows, "[4, 6, 8]");
    duet_streaming_query_stop(query);
    CU_ASSERT_FALSE(duet_streaming_query_is_active(query));
    duet_streaming_query_unref(query);
    CU_ASSERT_TRUE(file_exists(checkpoint, "metadata"));
    CU_ASSERT_TRUE(file_exists(checkpoint, "offsets/2"));
    CU_ASSERT_TRUE(file_exists(checkpoint, "commits/2"));
    g_autofree char *offsets_path = g_build_filename(checkpoint, "offsets", "2", NULL);
    g_autofree char *offsets_text = NULL;
    g_file_get_contents(offsets_path, &offsets_text, NULL, NULL);
    CU_ASSERT_TRUE(g_str_has_prefix(offsets_text, "v1\n{\"batchWatermarkMs\":0,"));
    CU_ASSERT_TRUE(g_str_has_suffix(offsets_text, "\n2"));

    /* restart: same id, next batch is 3, nothing re-run */
    g_autoptr(DuetSink) second_sink = duet_memory_sink_new(duet_dataframe_schema(fixture.frame));
    query = duet_streaming_query_start(fixture.context, fixture.frame, second_sink,
                                       DUET_OUTPUT_MODE_APPEND, checkpoint, NULL, NULL, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(duet_streaming_query_id(query), id);
    add(&fixture, "[5]");
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    ASSERT_INT_EQ(duet_streaming_query_last_batch_id(query), 3);
    g_autofree char *second_rows = sink_rows(second_sink);
    ASSERT_STR_EQ(second_rows, "[10]");
    duet_streaming_query_unref(query);
    duet_test_tmpdir_free(checkpoint);
    fixture_clear(&fixture);
}

static gboolean
fail_sink_commit(DuetFaultSite site, const char *path, gpointer user_data)
{
    return site == DUET_FAULT_SITE_SINK_COMMIT;
}

/* offsets/1 is written, the sink commit fails: the query dies; on restart batch 1 runs again
 * with the same offsets and its rows reach the sink once. */
static void
test_rerun_of_uncommitted_batch(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    char *checkpoint = duet_test_tmpdir_new();
    g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(fixture.frame));
    GError *error = NULL;
    DuetStreamingQuery *query =
        duet_streaming_query_start(fixture.context, fixture.frame, sink, DUET_OUTPUT_MODE_APPEND,
                                   checkpoint, NULL, NULL, &error);
    add(&fixture, "[2]");
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    duet_fault_sim_set_hook(fail_sink_commit, NULL);
    add(&fixture, "[3]");
    CU_ASSERT_FALSE(duet_streaming_query_process_all_available(query, &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
    g_clear_error(&error);
    duet_fault_sim_set_hook(NULL, NULL);
    CU_ASSERT_TRUE(duet_streaming_query_await_termination(query, 10000, &error));
    g_clear_error(&error);
    CU_ASSERT_FALSE(duet_streaming_query_is_active(query));
    duet_streaming_query_unref(query);
    CU_ASSERT_TRUE(file_exists(checkpoint, "offsets/1"));
    CU_ASSERT_FALSE(file_exists(checkpoint, "commits/1"));

    query = duet_streaming_query_start(fixture.context, fixture.frame, sink,
                                       DUET_OUTPUT_MODE_APPEND, checkpoint, NULL, NULL, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_streaming_query_last_batch_id(query), 1);
    CU_ASSERT_TRUE(file_exists(checkpoint, "commits/1"));
    g_autofree char *rows = sink_rows(sink);
    ASSERT_STR_EQ(rows, "[4, 6]");
    duet_streaming_query_unref(query);
    duet_test_tmpdir_free(checkpoint);
    fixture_clear(&fixture);
}

static void
test_errors_and_explain(void)
{
    Fixture fixture;
    fixture_init(&fixture);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(fixture.frame));
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_streaming_query_start(
        fixture.context, fixture.frame, sink, DUET_OUTPUT_MODE_COMPLETE, NULL, NULL, NULL, &error));
    ASSERT_ERROR(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS);
    ASSERT_STR_EQ(error->message, "Complete output mode not supported when there are no "
                                  "streaming aggregations on streaming DataFrames/Datasets");
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_dataframe_select_expr(fixture.frame, &error, "nope", NULL));
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "[UNRESOLVED_COLUMN.WITH_SUGGESTION]"));
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_dataframe_where(fixture.frame, "doubled + 1", &error));
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "[DATATYPE_MISMATCH.FILTER_NOT_BOOLEAN]"));
    g_clear_error(&error);
    g_autofree char *plan = duet_dataframe_explain(fixture.frame);
    ASSERT_STR_EQ(plan,
                  "== Physical Plan ==\n"
                  "Project [doubled]\n"
                  "+- Filter (value > 1)\n"
                  "   +- StreamingDataSourceV2ScanRelation MemoryStream[struct<value:int>]\n");
    fixture_clear(&fixture);
}

/* processAllAvailable over a rate-limited source (a file source with maxFilesPerTrigger=1)
 * runs one batch per step until every file is processed, as Spark's does (it used to stop
 * after the first step). */
static void
test_process_all_available_rate_limited(void)
{
    char *input = duet_test_tmpdir_new();
    char *checkpoint = duet_test_tmpdir_new();
    for (int file = 0; file < 3; file++) {
        g_autofree char *name = g_strdup_printf("%s/in-%d.txt", input, file);
        g_autofree char *text = g_strdup_printf("f%d\n", file);
        g_file_set_contents(name, text, -1, NULL);
        /* older than the source's minFileAge: complete */
        struct utimbuf times = {time(NULL) - 3600, time(NULL) - 3600 + file};
        utime(name, &times);
    }
    GError *error = NULL;
    g_autoptr(DuetContext) context = duet_context_new("local[2]", &error);
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "path", input);
    duet_source_options_set(options, "maxFilesPerTrigger", "1");
    g_autoptr(DuetSource) files =
        duet_source_new("text", options, NULL, duet_context_clock(context), 2, &error);
    g_hash_table_unref(options);
    ASSERT_NO_ERROR(error);
    g_autoptr(DuetDataFrame) frame = duet_dataframe_from_source(files);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dataframe_schema(frame));
    DuetStreamingQuery *query = duet_streaming_query_start(
        context, frame, sink, DUET_OUTPUT_MODE_APPEND, checkpoint, NULL, "files", &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    ASSERT_NO_ERROR(error);
    /* more than one batch (processAllAvailable's own latest-offset calls may merge steps) */
    CU_ASSERT_TRUE(duet_streaming_query_last_batch_id(query) >= 1);
    g_autofree char *rows = sink_rows(sink);
    ASSERT_STR_EQ(rows, "[f0, f1, f2]");
    duet_streaming_query_unref(query);
    duet_test_tmpdir_free(checkpoint);
    duet_test_tmpdir_free(input);
}

DUET_TEST_MAIN("query", DUET_TEST(test_stateless_query_and_restart),
               DUET_TEST(test_rerun_of_uncommitted_batch), DUET_TEST(test_errors_and_explain),
               DUET_TEST(test_process_all_available_rate_limited))
