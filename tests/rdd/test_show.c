/* test_show.c — tests of rdd/show.c against the exact text of Spark's show() and console
 * sink, from ../shared/reference/structured-semantics.md section 1 and the console cases. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "rdd/show.h"

static char *
show(DuetBatch *rows, gint num_rows, gint truncate)
{
    GString *out = g_string_new(NULL);
    duet_show_string(out, rows, num_rows, truncate, FALSE);
    return g_string_free(out, FALSE);
}

static void
test_basic_and_empty(void)
{
    g_autoptr(DuetBatch) rows = duet_test_batch("value INT", "[1, 2, 3]");
    g_autofree char *text = show(rows, 20, 20);
    ASSERT_STR_EQ(text, "+-----+\n|value|\n+-----+\n|    1|\n|    2|\n|    3|\n+-----+\n");
    g_autoptr(DuetBatch) empty = duet_test_batch("value INT", "[]");
    g_autofree char *empty_text = show(empty, 20, 20);
    ASSERT_STR_EQ(empty_text, "+-----+\n|value|\n+-----+\n+-----+\n");
}

/* console.numRows.append: numRows = 2 */
static void
test_footer(void)
{
    g_autoptr(DuetBatch) rows = duet_test_batch("value INT", "[1, 2, 3]");
    g_autofree char *two = show(rows, 2, 20);
    ASSERT_STR_EQ(two, "+-----+\n|value|\n+-----+\n|    1|\n|    2|\n+-----+\n"
                       "only showing top 2 rows\n");
    g_autofree char *one = show(rows, 1, 20);
    CU_ASSERT_TRUE(g_str_has_suffix(one, "only showing top 1 row\n"));
}

/* console.truncate.append: a 23-character string with truncate = 20 */
static void
test_truncate(void)
{
    g_autoptr(DuetBatch) rows = duet_test_batch("value STRING", "[\"12345678901234567890123\"]");
    g_autofree char *text = show(rows, 20, 20);
    ASSERT_STR_EQ(text, "+--------------------+\n|               value|\n+--------------------+\n"
                        "|12345678901234567...|\n+--------------------+\n");
    g_autofree char *short_cut = show(rows, 20, 3);
    ASSERT_STR_EQ(short_cut, "+-----+\n|value|\n+-----+\n|  123|\n+-----+\n");
    g_autofree char *untruncated = show(rows, 20, 0);
    ASSERT_STR_EQ(untruncated, "+-----------------------+\n|value                  |\n"
                               "+-----------------------+\n|12345678901234567890123|\n"
                               "+-----------------------+\n");
}

/* A window struct prints as {start, end}; 42 characters truncate to 17 + "...". */
static void
test_window_cells_and_nulls(void)
{
    g_autoptr(DuetBatch) rows =
        duet_test_batch("window STRUCT<start: TIMESTAMP, end: TIMESTAMP>, count BIGINT",
                        "[[[1459107570000000, 1459107580000000], 5], [null, null]]");
    g_autofree char *text = show(rows, 20, 20);
    ASSERT_STR_EQ(text, "+--------------------+-----+\n"
                        "|              window|count|\n"
                        "+--------------------+-----+\n"
                        "|{2016-03-27 19:39...|    5|\n"
                        "|                NULL| NULL|\n"
                        "+--------------------+-----+\n");
    g_autoptr(DuetBatch) hour = duet_test_batch("window STRUCT<start: TIMESTAMP, end: TIMESTAMP>",
                                                "[[3600000000, 3605000000]]");
    g_autofree char *full = show(hour, 20, 0);
    ASSERT_STR_EQ(full, "+------------------------------------------+\n"
                        "|window                                    |\n"
                        "+------------------------------------------+\n"
                        "|{1970-01-01 01:00:00, 1970-01-01 01:00:05}|\n"
                        "+------------------------------------------+\n");
}

static void
test_escapes_and_wide_characters(void)
{
    g_autoptr(DuetBatch) rows = duet_test_batch("s STRING", "[\"a\\nb\", \"\\u4e2d\\u6587\"]");
    g_autofree char *text = show(rows, 20, 20);
    /* "a\nb" shows as a, backslash, n, b (4 columns); two CJK characters take 4 columns */
    ASSERT_STR_EQ(text, "+----+\n|   s|\n+----+\n|a\\nb|\n|\xe4\xb8\xad\xe6\x96\x87|\n+----+\n");
}

/* console.default.append: the exact stdout of three batches */
static void
test_console_blocks(void)
{
    g_autoptr(DuetBatch) first = duet_test_batch("value INT", "[1, 2, 3]");
    g_autoptr(DuetBatch) empty = duet_test_batch("value INT", "[]");
    GString *out = g_string_new(NULL);
    duet_show_console_batch(out, 0, first, 20, TRUE);
    duet_show_console_batch(out, 2, empty, 20, TRUE);
    ASSERT_STR_EQ(out->str, "-------------------------------------------\n"
                            "Batch: 0\n"
                            "-------------------------------------------\n"
                            "+-----+\n|value|\n+-----+\n|    1|\n|    2|\n|    3|\n+-----+\n"
                            "\n"
                            "-------------------------------------------\n"
                            "Batch: 2\n"
                            "-------------------------------------------\n"
                            "+-----+\n|value|\n+-----+\n+-----+\n"
                            "\n");
    g_string_free(out, TRUE);
}

DUET_TEST_MAIN("show", DUET_TEST(test_basic_and_empty), DUET_TEST(test_footer),
               DUET_TEST(test_truncate), DUET_TEST(test_window_cells_and_nulls),
               DUET_TEST(test_escapes_and_wide_characters), DUET_TEST(test_console_blocks))
