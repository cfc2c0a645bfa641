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

/* Decodes data in mode; "(error: message)" when decoding fails. */
static char *
decode_in_mode(DuetFileFormatKind kind, DuetFileFormatMode mode, const char *ddl, const char *data,
               guint *n_malformed)
{
    DuetFileFormat format;
    duet_file_format_init(&format, kind);
    format.mode = mode;
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    GError *error = NULL;
    g_autoptr(DuetBatch) rows = duet_file_format_decode_full(&format, schema, data, strlen(data),
                                                             NULL, n_malformed, &error);
    if (rows == NULL) {
        CU_ASSERT_TRUE(
            g_error_matches(error, DUET_FILE_FORMAT_ERROR, DUET_FILE_FORMAT_ERROR_MALFORMED));
        char *message = g_strdup_printf("(error: %s)", error->message);
        g_error_free(error);
        return message;
    }
    return duet_test_render(rows);
}

#define FAILFAST_ERROR                                                                             \
    "(error: Malformed records are detected in record parsing. Parse Mode: FAILFAST. To "          \
    "process malformed records as null result, try setting the option 'mode' as "                  \
    "'PERMISSIVE'.)"

static void
test_csv_parse_modes(void)
{
    const char *csv = "1,a\nx,b\n3\n4,d,extra\n5,e\n";
    const char *ddl = "n INT, s STRING, _corrupt_record STRING";
    guint n_malformed = 0;
    g_autofree char *permissive =
        decode_in_mode(DUET_FILE_FORMAT_CSV, DUET_FILE_FORMAT_PERMISSIVE, ddl, csv, &n_malformed);
    ASSERT_STR_EQ(permissive, "[(1,a,null), (null,b,x,b), (3,null,3), (4,d,4,d,extra), "
                              "(5,e,null)]");
    ASSERT_INT_EQ(n_malformed, 3);
    g_autofree char *dropped = decode_in_mode(DUET_FILE_FORMAT_CSV, DUET_FILE_FORMAT_DROPMALFORMED,
                                              ddl, csv, &n_malformed);
    ASSERT_STR_EQ(dropped, "[(1,a,null), (5,e,null)]");
    ASSERT_INT_EQ(n_malformed, 3);
    g_autofree char *failed =
        decode_in_mode(DUET_FILE_FORMAT_CSV, DUET_FILE_FORMAT_FAILFAST, ddl, csv, NULL);
    ASSERT_STR_EQ(failed, FAILFAST_ERROR);
    g_autofree char *clean =
        decode_in_mode(DUET_FILE_FORMAT_CSV, DUET_FILE_FORMAT_FAILFAST, ddl, "1,a\n", NULL);
    ASSERT_STR_EQ(clean, "[(1,a,null)]");
    /* without the corrupt-record column, PERMISSIVE keeps nulls only */
    g_autofree char *plain = decode_in_mode(DUET_FILE_FORMAT_CSV, DUET_FILE_FORMAT_PERMISSIVE,
                                            "n INT, s STRING", csv, NULL);
    ASSERT_STR_EQ(plain, "[(1,a), (null,b), (3,null), (4,d), (5,e)]");
    ASSERT_INT_EQ(duet_file_format_mode_from_name("dropMalformed"), DUET_FILE_FORMAT_DROPMALFORMED);
    ASSERT_INT_EQ(duet_file_format_mode_from_name("failfast"), DUET_FILE_FORMAT_FAILFAST);
    ASSERT_INT_EQ(duet_file_format_mode_from_name("other"), DUET_FILE_FORMAT_PERMISSIVE);
}

static void
test_json_parse_modes_and_utf8(void)
{
    /* line 3 holds a byte that is not UTF-8 */
    const char *json = "{\"n\":1}\nnot json\n{\"n\":2,\"s\":\"\xff\"}\n{\"n\":\"x\"}\n{\"n\":5}";
    const char *ddl = "n INT, s STRING, bad STRING";
    DuetFileFormat format;
    duet_file_format_init(&format, DUET_FILE_FORMAT_JSON);
    format.corrupt_column = "bad";
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    guint n_malformed = 0;
    g_autoptr(DuetBatch) rows =
        duet_file_format_decode_full(&format, schema, json, strlen(json), NULL, &n_malformed, NULL);
    g_autofree char *permissive = duet_test_render(rows);
    ASSERT_STR_EQ(permissive, "[(1,null,null), (null,null,not json), "
                              "(null,null,{\"n\":2,\"s\":\"\xef\xbf\xbd\"}), "
                              "(null,null,{\"n\":\"x\"}), (5,null,null)]");
    ASSERT_INT_EQ(n_malformed, 3);
    g_autofree char *dropped = decode_in_mode(DUET_FILE_FORMAT_JSON, DUET_FILE_FORMAT_DROPMALFORMED,
                                              ddl, json, &n_malformed);
    ASSERT_STR_EQ(dropped, "[(1,null,null), (5,null,null)]");
    g_autofree char *failed =
        decode_in_mode(DUET_FILE_FORMAT_JSON, DUET_FILE_FORMAT_FAILFAST, ddl, json, NULL);
    ASSERT_STR_EQ(failed, FAILFAST_ERROR);
    /* text and CSV read invalid UTF-8 as U+FFFD, as Java's decoder does */
    g_autofree char *text = decode_in_mode(DUET_FILE_FORMAT_TEXT, DUET_FILE_FORMAT_FAILFAST,
                                           "value STRING", "a\xc3(b\n", NULL);
    ASSERT_STR_EQ(text, "[a\xef\xbf\xbd(b]");
    g_autofree char *csv = decode_in_mode(DUET_FILE_FORMAT_CSV, DUET_FILE_FORMAT_FAILFAST,
                                          "a STRING, b INT", "\x80x,1\n", NULL);
    ASSERT_STR_EQ(csv, "[(\xef\xbf\xbdx,1)]");
    /* the corrupt-record column must be a string */
    g_autoptr(DuetSchema) wrong = duet_schema_parse("n INT, _corrupt_record INT", NULL);
    GError *error = NULL;
    duet_file_format_init(&format, DUET_FILE_FORMAT_JSON);
    CU_ASSERT_FALSE(duet_file_format_check_schema(&format, wrong, &error));
    ASSERT_ERROR(error, DUET_FILE_FORMAT_ERROR, DUET_FILE_FORMAT_ERROR_SCHEMA);
    ASSERT_STR_EQ(error->message, "The field for corrupt records must be string type and nullable");
    g_clear_error(&error);
}

static void
test_csv_quote_escape_null_value(void)
{
    DuetFileFormat format;
    duet_file_format_init(&format, DUET_FILE_FORMAT_CSV);
    format.quote = '\'';
    format.escape = '#';
    format.null_value = "NA";
    g_autofree char *rows = decode(&format, "a STRING, b INT, c STRING",
                                   "'x,y',NA,'it#'s'\n"
                                   "'##',2,NA\n"
                                   "\"q\",,'a''b'\n",
                                   NULL);
    ASSERT_STR_EQ(rows, "[(x,y,null,it's), (#,2,null), (\"q\",null,a'b)]");
    /* quote "" turns quoting off */
    format.quote = '\0';
    g_autofree char *unquoted = decode(&format, "a STRING, b STRING", "'x,y'\n", NULL);
    ASSERT_STR_EQ(unquoted, "[('x,y')]");
    /* writing uses nullValue, the quote and the escape */
    format.quote = '\'';
    g_autoptr(DuetBatch) batch = duet_test_batch("a STRING, b INT", "[[\"it's\", null]]");
    GString *out = g_string_new(NULL);
    duet_file_format_encode(&format, batch, out);
    ASSERT_STR_EQ(out->str, "'it#'s',NA\n");
    g_string_free(out, TRUE);
}

static char *
infer(const char *first, const char *second, gboolean header, gboolean infer_types)
{
    DuetFileFormat format;
    duet_file_format_init(&format, DUET_FILE_FORMAT_CSV);
    format.header = header;
    const char *data[] = {first, second};
    gsize lens[] = {strlen(first), strlen(second)};
    GError *error = NULL;
    g_autoptr(DuetSchema) schema =
        duet_file_format_infer_schema(&format, data, lens, 2, infer_types, &error);
    if (schema == NULL) {
        char *message = g_strdup(error->message);
        g_error_free(error);
        return message;
    }
    return duet_schema_to_string(schema);
}

static void
test_csv_schema_inference(void)
{
    /* int -> bigint -> double; timestamps; booleans; mixed -> string; empty -> string */
    g_autofree char *typed = infer("i,l,d,t,b,s,e,big\n"
                                   "1,1,1,2016-03-27 19:39:30,true,1,,1\n",
                                   "i,l,d,t,b,s,e,big\n"
                                   "2,3000000000,2.5,2016-03-27T19:39:30Z,FALSE,x,,"
                                   "123456789012345678901234\n",
                                   TRUE, TRUE);
    ASSERT_STR_EQ(typed, "struct<i:int,l:bigint,d:double,t:timestamp,b:boolean,s:string,"
                         "e:string,big:double>");
    g_autofree char *untyped = infer("a,b\n1,2\n", "", TRUE, FALSE);
    ASSERT_STR_EQ(untyped, "struct<a:string,b:string>");
    /* no header: _c0, _c1 ...; the first line counts the columns */
    g_autofree char *numbered = infer("1,x\n2,y,extra\n", "3.5,z\n", FALSE, TRUE);
    ASSERT_STR_EQ(numbered, "struct<_c0:double,_c1:string>");
    /* duplicate and empty header names, as Spark's makeSafeHeader */
    g_autofree char *names = infer("a,A,,b\n", "", TRUE, TRUE);
    ASSERT_STR_EQ(names, "struct<a0:string,A1:string,_c2:string,b:string>");
    g_autofree char *none = infer("", "\n", TRUE, TRUE);
    ASSERT_STR_EQ(none, "[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for CSV. It must be "
                        "specified manually.");
    /* an int column meeting a timestamp is a string */
    g_autofree char *mixed = infer("1\n2016-01-01\n", "", FALSE, TRUE);
    ASSERT_STR_EQ(mixed, "struct<_c0:string>");
    ASSERT_INT_EQ(duet_file_format_infer_value_type("42"), DUET_TYPE_INT32);
    ASSERT_INT_EQ(duet_file_format_infer_value_type("-9000000000"), DUET_TYPE_INT64);
    ASSERT_INT_EQ(duet_file_format_infer_value_type("x y"), DUET_TYPE_STRING);
}

static void
test_partition_directories(void)
{
    GString *out = g_string_new(NULL);
    duet_file_format_escape_path_name(out, "a/b:c=d%e f#{x}[y]^?*\"'\\\x01\x7f\xc3\xa9");
    ASSERT_STR_EQ(out->str, "a%2Fb%3Ac%3Dd%25e f%23%7Bx}%5By%5D%5E%3F%2A%22%27%5C%01%7F\xc3\xa9");
    g_autofree char *back = duet_file_format_unescape_path_name(out->str);
    ASSERT_STR_EQ(back, "a/b:c=d%e f#{x}[y]^?*\"'\\\x01\x7f\xc3\xa9");
    g_autofree char *lone = duet_file_format_unescape_path_name("100%");
    ASSERT_STR_EQ(lone, "100%");
    g_autoptr(DuetBatch) batch = duet_test_batch(
        "s STRING, n INT, t TIMESTAMP, d DOUBLE, e STRING",
        "[[\"x/y\", 7, 1459107570500000, 1e20, \"\"], [null, null, 0, -0.5, null]]");
    const char *expected[] = {"s=x%2Fy/n=7/t=2016-03-27 19%3A39%3A30.5/d=1.0E20/"
                              "e=__HIVE_DEFAULT_PARTITION__",
                              "s=__HIVE_DEFAULT_PARTITION__/n=__HIVE_DEFAULT_PARTITION__/"
                              "t=1970-01-01 00%3A00%3A00/d=-0.5/e=__HIVE_DEFAULT_PARTITION__"};
    for (gsize row_idx = 0; row_idx < 2; row_idx++) {
        g_string_truncate(out, 0);
        DuetRow row = duet_batch_row(batch, row_idx);
        for (guint column = 0; column < 5; column++) {
            DuetValue value;
            duet_row_get_value(&row, column, &value);
            if (column)
                g_string_append_c(out, '/');
            duet_file_format_append_partition_dir(
                out, duet_schema_field(duet_batch_schema(batch), column)->name, &value);
        }
        ASSERT_STR_EQ(out->str, expected[row_idx]);
    }
    g_string_free(out, TRUE);
}

DUET_TEST_MAIN("file_format", DUET_TEST(test_timestamps_and_dates), DUET_TEST(test_json_writing),
               DUET_TEST(test_csv_reading_and_writing), DUET_TEST(test_text_lines),
               DUET_TEST(test_schema_checks), DUET_TEST(test_csv_parse_modes),
               DUET_TEST(test_json_parse_modes_and_utf8),
               DUET_TEST(test_csv_quote_escape_null_value), DUET_TEST(test_csv_schema_inference),
               DUET_TEST(test_partition_directories))
