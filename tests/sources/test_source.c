/* test_source.c — tests of sources/: the rate source's arithmetic (Spark's
 * RateStreamProviderSuite vectors), the memory stream's offsets, two consumers of one source,
 * options and errors. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "sources/source.h"

static char *
render_partitions(GPtrArray *partitions, DuetSchema *schema)
{
    GPtrArray *all = g_ptr_array_new();
    for (guint partition = 0; partition < partitions->len; partition++)
        g_ptr_array_extend(all, g_ptr_array_index(partitions, partition), NULL, NULL);
    g_autoptr(DuetBatch) batch =
        duet_batch_concat(schema, (DuetBatch *const *)all->pdata, all->len, NULL);
    g_ptr_array_unref(all);
    return duet_test_render_sorted(batch);
}

static void
test_value_at_second(void)
{
    /* source.rate.valueAtSecond: {args: [seconds, rowsPerSecond, rampUp], result} */
    const gint64 vectors[][4] = {{0, 5, 0, 0},  {1, 5, 0, 5},   {0, 5, 2, 0},   {1, 5, 2, 1},
                                 {2, 5, 2, 3},  {3, 5, 2, 8},   {0, 10, 4, 0},  {1, 10, 4, 2},
                                 {2, 10, 4, 6}, {3, 10, 4, 12}, {4, 10, 4, 20}, {5, 10, 4, 30}};
    for (gsize vector = 0; vector < G_N_ELEMENTS(vectors); vector++)
        ASSERT_INT_EQ(duet_rate_source_value_at_second(vectors[vector][0], vectors[vector][1],
                                                       vectors[vector][2]),
                      vectors[vector][3]);
}

/* source.rate.basic: 10 rows per second, manual clock at 0: one second gives values 0..9
 * stamped 0, 100, ..., 900 ms. */
static void
test_rate_rows(void)
{
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "ROWSPERSECOND", "10");
    GError *error = NULL;
    g_autoptr(DuetSource) rate = duet_source_new("rate", options, NULL, clock, 2, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *description = duet_source_description(rate);
    ASSERT_STR_EQ(description, "RateStreamV2[rowsPerSecond=10, rampUpTimeSeconds=0, "
                               "numPartitions=2]");
    g_autofree char *at_zero = duet_source_latest_offset(rate, &error);
    ASSERT_STR_EQ(at_zero, "0");
    duet_clock_advance_ms(clock, 1000);
    g_autofree char *latest = duet_source_latest_offset(rate, &error);
    ASSERT_STR_EQ(latest, "1");
    GPtrArray *partitions = duet_source_get_batch(rate, at_zero, latest, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(partitions->len, 2);
    g_autofree char *rows = render_partitions(partitions, duet_source_schema(rate));
    ASSERT_STR_EQ(rows, "[(1970-01-01 00:00:00.0,0), (1970-01-01 00:00:00.1,1), "
                        "(1970-01-01 00:00:00.2,2), (1970-01-01 00:00:00.3,3), "
                        "(1970-01-01 00:00:00.4,4), (1970-01-01 00:00:00.5,5), "
                        "(1970-01-01 00:00:00.6,6), (1970-01-01 00:00:00.7,7), "
                        "(1970-01-01 00:00:00.8,8), (1970-01-01 00:00:00.9,9)]");
    g_ptr_array_unref(partitions);
    /* re-reading a range gives the same rows (a replayable source) */
    GPtrArray *again = duet_source_get_batch(rate, "0", "1", &error);
    g_autofree char *rows_again = render_partitions(again, duet_source_schema(rate));
    ASSERT_STR_EQ(rows_again, rows);
    g_ptr_array_unref(again);
    g_hash_table_unref(options);
}

/* Spark's rate metadata log (checkpoint/sources/<i>/0: "v1", the creation time in ms): a
 * source made later (a new process) takes the first one's creation time, so a logged range
 * gives the same rows with the same timestamps; a damaged file is an error naming it. */
static void
test_rate_creation_time_log(void)
{
    g_autoptr(DuetClock) clock = duet_clock_new_manual(5000);
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "rowsPerSecond", "2");
    duet_source_options_set(options, "numPartitions", "1");
    char *checkpoint = duet_test_tmpdir_new();
    g_autofree char *directory = g_build_filename(checkpoint, "sources", "0", NULL);
    g_autofree char *path = g_build_filename(directory, "0", NULL);
    GError *error = NULL;
    g_autoptr(DuetSource) first = duet_source_new("rate", options, NULL, clock, 1, &error);
    CU_ASSERT_TRUE(duet_source_attach_log(first, directory, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *log = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(path, &log, NULL, NULL));
    ASSERT_STR_EQ(log, "v1\n5000");
    GPtrArray *before = duet_source_get_batch(first, "0", "1", &error);
    g_autofree char *rows = render_partitions(before, duet_source_schema(first));
    g_ptr_array_unref(before);
    ASSERT_STR_EQ(rows, "[(1970-01-01 00:00:05.0,0), (1970-01-01 00:00:05.5,1)]");
    duet_clock_set_ms(clock, 9000);
    g_autoptr(DuetSource) second = duet_source_new("rate", options, NULL, clock, 1, &error);
    CU_ASSERT_TRUE(duet_source_attach_log(second, directory, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *latest = duet_source_latest_offset(second, &error);
    ASSERT_STR_EQ(latest, "4");
    GPtrArray *after = duet_source_get_batch(second, "0", "1", &error);
    g_autofree char *rows_after = render_partitions(after, duet_source_schema(second));
    g_ptr_array_unref(after);
    ASSERT_STR_EQ(rows_after, rows);
    static const char *const damages[][2] = {
        {"v1\n", "creation time is missing or malformed"},
        {"v2\n5000", "UnsupportedLogVersion: maximum supported log version is v1, but "
                     "encountered v2."},
        {"", "Log file was malformed: failed to read correct log version from ."},
    };
    for (guint index = 0; index < G_N_ELEMENTS(damages); index++) {
        CU_ASSERT_TRUE(g_file_set_contents(path, damages[index][0], -1, NULL));
        g_autoptr(DuetSource) third = duet_source_new("rate", options, NULL, clock, 1, &error);
        CU_ASSERT_FALSE(duet_source_attach_log(third, directory, &error));
        CU_ASSERT_PTR_NOT_NULL(error);
        if (error) {
            CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
            CU_ASSERT_PTR_NOT_NULL(strstr(error->message, damages[index][1]));
        }
        g_clear_error(&error);
    }
    duet_test_tmpdir_free(checkpoint);
    g_hash_table_unref(options);
}

static void
test_rate_options(void)
{
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "rowsPerSecond", "-1");
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_source_new("rate", options, NULL, clock, 2, &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);
    ASSERT_STR_EQ(error->message,
                  "Invalid value '-1' for option 'rowsPerSecond', must be positive");
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_source_new("nosuchformat", options, NULL, clock, 2, &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FORMAT);
    g_clear_error(&error);
    g_hash_table_unref(options);
}

static void
test_memory_stream_and_two_consumers(void)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("value INT", NULL);
    g_autoptr(DuetSource) memory = duet_memory_source_new(schema);
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_source_latest_offset(memory, &error)); /* no data yet */
    g_autoptr(DuetBatch) first = duet_test_batch("value INT", "[1, 2, 3]");
    g_autoptr(DuetBatch) empty = duet_test_batch("value INT", "[]");
    g_autoptr(DuetBatch) third = duet_test_batch("value INT", "[4]");
    ASSERT_INT_EQ(duet_memory_source_add(memory, first), 0);
    ASSERT_INT_EQ(duet_memory_source_add(memory, empty), 1); /* an empty add is an offset */
    ASSERT_INT_EQ(duet_memory_source_add(memory, third), 2);
    guint dstream = duet_source_add_consumer(memory);
    guint query = duet_source_add_consumer(memory);
    GPtrArray *all = duet_source_get_batch(memory, NULL, "2", &error);
    g_autofree char *all_text = render_partitions(all, schema);
    ASSERT_STR_EQ(all_text, "[1, 2, 3, 4]");
    g_ptr_array_unref(all);
    /* one consumer committed: everything is still there for the other */
    duet_source_commit(memory, dstream, "2");
    GPtrArray *still = duet_source_get_batch(memory, NULL, "1", &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *still_text = render_partitions(still, schema);
    ASSERT_STR_EQ(still_text, "[1, 2, 3]");
    g_ptr_array_unref(still);
    /* both committed through 1: offsets 0 and 1 are forgotten */
    duet_source_commit(memory, query, "1");
    CU_ASSERT_PTR_NULL(duet_source_get_batch(memory, NULL, "1", &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    g_clear_error(&error);
    GPtrArray *rest = duet_source_get_batch(memory, "1", "2", &error);
    g_autofree char *rest_text = render_partitions(rest, schema);
    ASSERT_STR_EQ(rest_text, "[4]");
    g_ptr_array_unref(rest);
    CU_ASSERT_PTR_NULL(duet_source_get_batch(memory, "1", "not-an-offset", &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    g_clear_error(&error);
}

DUET_TEST_MAIN("source", DUET_TEST(test_value_at_second), DUET_TEST(test_rate_rows),
               DUET_TEST(test_rate_creation_time_log), DUET_TEST(test_rate_options),
               DUET_TEST(test_memory_stream_and_two_consumers))
