/* test_format.c — tests of rdd/format.c: Java's Double.toString, Python's repr, Spark SQL
 * cell text, timestamps and dates, and rows as tuples in each dialect. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "rdd/format.h"

static void
assert_java(gdouble value, const char *expected)
{
    GString *out = g_string_new(NULL);
    duet_format_java_double(out, value);
    ASSERT_STR_EQ(out->str, expected);
    g_string_free(out, TRUE);
}

static void
assert_value(DuetValue value, DuetFormatDialect dialect, const char *expected)
{
    GString *out = g_string_new(NULL);
    duet_format_value(out, &value, dialect);
    ASSERT_STR_EQ(out->str, expected);
    g_string_free(out, TRUE);
}

static void
test_java_double(void)
{
    assert_java(1.0, "1.0");
    assert_java(0.1, "0.1");
    assert_java(100.0, "100.0");
    assert_java(1e7, "1.0E7");
    assert_java(9999999.0, "9999999.0");
    assert_java(1e-4, "1.0E-4");
    assert_java(0.001, "0.001");
    assert_java(12345678.0, "1.2345678E7");
    assert_java(-2.5, "-2.5");
    assert_java(NAN, "NaN");
    assert_java(INFINITY, "Infinity");
    assert_java(-INFINITY, "-Infinity");
    assert_java(-0.0, "-0.0");
    assert_java(4.9e-324, "4.9E-324");
    assert_java(1.7976931348623157e308, "1.7976931348623157E308");
    assert_java(1.0 / 3.0, "0.3333333333333333");
}

static void
test_python_repr(void)
{
    assert_value(duet_value_double(1e16), DUET_FORMAT_PYTHON, "1e+16");
    assert_value(duet_value_double(1e-5), DUET_FORMAT_PYTHON, "1e-05");
    assert_value(duet_value_double(0.1), DUET_FORMAT_PYTHON, "0.1");
    assert_value(duet_value_double(1.0), DUET_FORMAT_PYTHON, "1.0");
    assert_value(duet_value_double(1234567.0), DUET_FORMAT_PYTHON, "1234567.0");
    assert_value(duet_value_double(1.5e-7), DUET_FORMAT_PYTHON, "1.5e-07");
    assert_value(duet_value_double(NAN), DUET_FORMAT_PYTHON, "nan");
    assert_value(duet_value_string("abc", 3), DUET_FORMAT_PYTHON, "'abc'");
    assert_value(duet_value_string("it's", 4), DUET_FORMAT_PYTHON, "\"it's\"");
    assert_value(duet_value_string("a\nb\\", 4), DUET_FORMAT_PYTHON, "'a\\nb\\\\'");
    assert_value(duet_value_boolean(TRUE), DUET_FORMAT_PYTHON, "True");
    assert_value(duet_value_null(), DUET_FORMAT_PYTHON, "None");
    assert_value(duet_value_int64(-5), DUET_FORMAT_PYTHON, "-5");
}

static void
test_spark_sql_cells(void)
{
    assert_value(duet_value_null(), DUET_FORMAT_SPARK_SQL, "NULL");
    assert_value(duet_value_double(1e7), DUET_FORMAT_SPARK_SQL, "1.0E7");
    assert_value(duet_value_boolean(FALSE), DUET_FORMAT_SPARK_SQL, "false");
    /* 2016-03-27 19:39:20 UTC = 1459107560 s */
    assert_value(duet_value_timestamp(G_GINT64_CONSTANT(1459107560) * 1000000),
                 DUET_FORMAT_SPARK_SQL, "2016-03-27 19:39:20");
    assert_value(duet_value_timestamp(32400 * G_GINT64_CONSTANT(1000000) + 400000),
                 DUET_FORMAT_SPARK_SQL, "1970-01-01 09:00:00.4");
    assert_value(duet_value_timestamp(32400 * G_GINT64_CONSTANT(1000000) + 240000),
                 DUET_FORMAT_SPARK_SQL, "1970-01-01 09:00:00.24");
    assert_value(duet_value_timestamp(-5 * G_GINT64_CONSTANT(1000000)), DUET_FORMAT_SPARK_SQL,
                 "1969-12-31 23:59:55");
    assert_value(duet_value_timestamp(-1), DUET_FORMAT_SPARK_SQL, "1969-12-31 23:59:59.999999");
    DuetValue date = {.type = DUET_TYPE_DATE, .is_null = FALSE, .v.i32 = 19000};
    assert_value(date, DUET_FORMAT_SPARK_SQL, "2022-01-08");
    DuetValue binary = duet_value_string("\x0a\x1f", 2);
    binary.type = DUET_TYPE_BINARY;
    assert_value(binary, DUET_FORMAT_SPARK_SQL, "[0A 1F]");
}

static void
test_rows_in_each_dialect(void)
{
    g_autoptr(DuetBatch) batch =
        duet_test_batch("k STRING, v STRUCT<_1: INT, _2: ARRAY<INT>>, m MAP<STRING, DOUBLE>",
                        "[[\"a\", [1, [2, 3]], [[\"x\", 1.5]]], [null, null, []]]");
    const char *expected[3][2] = {
        {"(a,(1,CompactBuffer(2, 3)),Map(x -> 1.5))", "(null,null,Map())"},
        {"('a', (1, [2, 3]), {'x': 1.5})", "(None, None, {})"},
        {"[a,{1, [2, 3]},{x -> 1.5}]", "[NULL,NULL,{}]"},
    };
    DuetFormatDialect dialects[] = {DUET_FORMAT_SCALA, DUET_FORMAT_PYTHON, DUET_FORMAT_SPARK_SQL};
    for (guint dialect = 0; dialect < 3; dialect++) {
        for (gsize row_idx = 0; row_idx < 2; row_idx++) {
            GString *out = g_string_new(NULL);
            DuetRow row = duet_batch_row(batch, row_idx);
            duet_format_row(out, &row, dialects[dialect]);
            ASSERT_STR_EQ(out->str, expected[dialect][row_idx]);
            g_string_free(out, TRUE);
        }
    }
    /* a one-field struct is a Python 1-tuple */
    g_autoptr(DuetBatch) single = duet_test_batch("s STRUCT<a: INT>", "[[7]]");
    GString *out = g_string_new(NULL);
    DuetRow row = duet_batch_row(single, 0);
    duet_format_row(out, &row, DUET_FORMAT_PYTHON);
    ASSERT_STR_EQ(out->str, "(7,)");
    g_string_free(out, TRUE);
}

DUET_TEST_MAIN("format", DUET_TEST(test_java_double), DUET_TEST(test_python_repr),
               DUET_TEST(test_spark_sql_cells), DUET_TEST(test_rows_in_each_dialect))
