/* test_file_format.c — tests of rdd/file_format.c: Spark's timestamp and date text in files,
 * Jackson's escapes and null omission, univocity's CSV quoting (write) and splitting (read), the
 * text format's line breaks, and the schema checks with Spark's messages. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "rdd/file_format.h"

#include <math.h>

static char *
encode(DuetFileFormatKind kind, const char *ddl, const char *json)
{
    DuetFileFormat format;
    duet_file_format_init(&format, kind);
    g_autoptr(DuetBatch) rows = duet_test_batch(ddl, json);
    GString *out = g_string_new(NULL);
    duet_file_format_encode(&format, rows, out);
    return g_string_free(out, FALSE);
}

static char *
decode(const DuetFileFormat *format, const char *ddl, const char *data, guint *n_malformed)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    g_autoptr(DuetBatch) rows =
        duet_file_format_decode(format, schema, data, strlen(data), n_malformed);
    return duet_test_render(rows);
}

static void
test_timestamps_and_dates(void)
{
    const struct {
        gint64 micros;
        const char *text;
    } cases[] = {{0, "1970-01-01T00:00:00.000Z"},
                 {-1, "1969-12-31T23:59:59.999Z"},
                 {1459107570123456, "2016-03-27T19:39:30.123Z"},
                 {-62135596800000000, "0001-01-01T00:00:00.000Z"}};
    for (gsize index = 0; index < G_N_ELEMENTS(cases); index++) {
        GString *out = g_string_new(NULL);
        duet_file_format_append_timestamp(out, cases[index].micros);
        ASSERT_STR_EQ(out->str, cases[index].text);
        g_string_free(out, TRUE);
    }
    gint64 micros = 0;
    CU_ASSERT_TRUE(duet_file_format_parse_timestamp("2016-03-27T19:39:30.123456+01:00", &micros));
    ASSERT_INT_EQ(micros, 1459107570123456 - (gint64)3600 * G_USEC_PER_SEC);
    CU_ASSERT_TRUE(duet_file_format_parse_timestamp("2016-03-27 19:39:30", &micros));
    ASSERT_INT_EQ(micros, 1459107570000000);
    CU_ASSERT_TRUE(duet_file_format_parse_timestamp("1969-12-31T23:59:59.999Z", &micros));
    ASSERT_INT_EQ(micros, -1000);
    CU_ASSERT_TRUE(duet_file_format_parse_timestamp("2016-03-27", &micros));
    ASSERT_INT_EQ(micros, 1459036800000000);
    CU_ASSERT_FALSE(duet_file_format_parse_timestamp("2016-13-01", &micros));
    CU_ASSERT_FALSE(duet_file_format_parse_timestamp("2016-03-27T25:00", &micros));
    CU_ASSERT_FALSE(duet_file_format_parse_timestamp("yesterday", &micros));
    gint32 days = 0;
    CU_ASSERT_TRUE(duet_file_format_parse_date("1969-12-31", &days));
    ASSERT_INT_EQ(days, -1);
    CU_ASSERT_TRUE(duet_file_format_parse_date("2000-03-01", &days));
    ASSERT_INT_EQ(days, 11017);
    CU_ASSERT_FALSE(duet_file_format_parse_date("2000-03-01T00:00", &days));
}

static void
test_json_writing(void)
{
    g_autoptr(DuetSchema) schema =
        duet_schema_parse("a DOUBLE, b STRING, c BOOLEAN, d BIGINT", NULL);
    g_autoptr(DuetBatchBuilder) builder = duet_batch_builder_new(schema, 3);
    duet_batch_builder_append_double(builder, 0, NAN);
    duet_batch_builder_append_string(builder, 1, "\x01\b\f\r/\xc3\xa9", -1);
    duet_batch_builder_append_boolean(builder, 2, TRUE);
    duet_batch_builder_append_int64(builder, 3, -9);
    for (guint column = 0; column < 4; column++)
        duet_batch_builder_append_null(builder, column);
    duet_batch_builder_append_double(builder, 0, -INFINITY);
    duet_batch_builder_append_string(builder, 1, "", 0);
    duet_batch_builder_append_boolean(builder, 2, FALSE);
    duet_batch_builder_append_int64(builder, 3, 0);
    g_autoptr(DuetBatch) rows = duet_batch_builder_finish(builder, NULL);
    DuetFileFormat format;
    duet_file_format_init(&format, DUET_FILE_FORMAT_JSON);
    GString *out = g_string_new(NULL);
    duet_file_format_encode(&format, rows, out);
    ASSERT_STR_EQ(out->str, "{\"a\":\"NaN\",\"b\":\"\\u0001\\b\\f\\r/\xc3\xa9\",\"c\":true,"
                            "\"d\":-9}\n"
                            "{}\n"
                            "{\"a\":\"-Infinity\",\"b\":\"\",\"c\":false,\"d\":0}\n");
    g_string_free(out, TRUE);
    g_autofree char *nested =
        encode(DUET_FILE_FORMAT_JSON, "s STRUCT<x: INT, y: STRING>, m MAP<STRING, INT>, d DATE",
               "[[[1, null], [[\"k\", 2], [\"z\", null]], 16887]]");
    ASSERT_STR_EQ(nested, "{\"s\":{\"x\":1},\"m\":{\"k\":2,\"z\":null},\"d\":\"2016-03-27\"}\n");
}

static void
test_csv_reading_and_writing(void)
{
    DuetFileFormat format;
    duet_file_format_init(&format, DUET_FILE_FORMAT_CSV);
    format.separator = '\t';
    guint n_malformed = 0;
    g_autofree char *rows = decode(&format, "a STRING, b STRING, c BOOLEAN",
                                   "x\t\"y\tz\"\tTRUE\r\n"
                                   "\"doubled \"\"quote\"\"\"\t\"\"\tfalse\n"
                                   "\n"
                                   "\t\tmaybe\r"
                                   "last\ta\\b\ttrue",
                                   &n_malformed);
    ASSERT_STR_EQ(rows, "[(x,y\tz,true), (doubled \"quote\",,false), (null,null,null), "
                        "(last,a\\b,true)]");
    ASSERT_INT_EQ(n_malformed, 1);
    g_autofree char *written =
        encode(DUET_FILE_FORMAT_CSV, "a STRING, b DOUBLE, c TIMESTAMP",
               "[[\"line\\nbreak\", 0.1, 1459107570000000], [\" \", 1e-5, null], "
               "[\"back\\\\slash\", -0.0, -1]]");
    ASSERT_STR_EQ(written, "\"line\nbreak\",0.1,2016-03-27T19:39:30.000Z\n"
                           "\"\",1.0E-5,\n"
                           "back\\slash,-0.0,1969-12-31T23:59:59.999Z\n");
}

static void
test_text_lines(void)
{
    DuetFileFormat format;
    duet_file_format_init(&format, DUET_FILE_FORMAT_TEXT);
    g_autofree char *rows = decode(&format, "value STRING", "a\rb\r\n\nc\n", NULL);
    ASSERT_STR_EQ(rows, "[a, b, , c]");
    g_autofree char *empty = decode(&format, "value STRING", "", NULL);
    ASSERT_STR_EQ(empty, "[]");
    g_autofree char *written = encode(DUET_FILE_FORMAT_TEXT, "value STRING", "[\"x\", null, \"\"]");
    ASSERT_STR_EQ(written, "x\n\n\n");
}

static void
test_schema_checks(void)
{
    DuetFileFormat text, csv;
    duet_file_format_init(&text, DUET_FILE_FORMAT_TEXT);
    duet_file_format_init(&csv, DUET_FILE_FORMAT_CSV);
    g_autoptr(DuetSchema) number = duet_schema_parse("n INT", NULL);
    g_autoptr(DuetSchema) nested = duet_schema_parse("m MAP<STRING, INT>", NULL);
    GError *error = NULL;
    CU_ASSERT_FALSE(duet_file_format_check_schema(&text, number, &error));
    ASSERT_ERROR(error, DUET_FILE_FORMAT_ERROR, DUET_FILE_FORMAT_ERROR_SCHEMA);
    ASSERT_STR_EQ(error->message, "Text data source does not support int data type.");
    g_clear_error(&error);
    CU_ASSERT_FALSE(duet_file_format_check_schema(&csv, nested, &error));
    ASSERT_STR_EQ(error->message, "CSV data source does not support map<string,int> data type.");
    g_clear_error(&error);
    CU_ASSERT_TRUE(duet_file_format_check_schema(&csv, number, &error));
    DuetFileFormatKind kind;
    CU_ASSERT_TRUE(duet_file_format_kind_from_name("JSON", &kind));
    ASSERT_INT_EQ(kind, DUET_FILE_FORMAT_JSON);
    ASSERT_STR_EQ(duet_file_format_extension(DUET_FILE_FORMAT_TEXT), "txt");
    CU_ASSERT_FALSE(duet_file_format_kind_from_name("parquet", &kind));
}

DUET_TEST_MAIN("file_format", DUET_TEST(test_timestamps_and_dates), DUET_TEST(test_json_writing),
               DUET_TEST(test_csv_reading_and_writing), DUET_TEST(test_text_lines),
               DUET_TEST(test_schema_checks))
