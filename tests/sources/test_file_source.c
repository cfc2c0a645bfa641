/* test_file_source.c — tests of sources/file_source.c: Spark's FileStreamSource over text, CSV
 * and JSON lines: exact rows in modification-time order, an empty directory, hidden files,
 * maxFilesPerTrigger and latestFirst, maxFileAge, fileNameOnly, PERMISSIVE nulls for malformed
 * records, forgotten offsets, and Spark's messages for bad options and paths. Modification
 * times are set explicitly, so nothing sleeps. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "sources/source.h"

#include <glib/gstdio.h>
#include <utime.h>

/* Writes dir/name with contents and a modification time of seconds since the epoch. */
static void
put_file(const char *dir, const char *name, const char *contents, gint64 seconds)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *parent = g_path_get_dirname(path);
    g_mkdir_with_parents(parent, 0755);
    g_assert_true(g_file_set_contents(path, contents, -1, NULL));
    struct utimbuf times = {.actime = (time_t)seconds, .modtime = (time_t)seconds};
    g_assert_cmpint(g_utime(path, &times), ==, 0);
}

static DuetSource *
open_source(const char *format, const char *dir, const char *ddl, GError **error, ...)
{
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "path", dir);
    va_list args;
    va_start(args, error);
    for (const char *key = va_arg(args, const char *); key; key = va_arg(args, const char *))
        duet_source_options_set(options, key, va_arg(args, const char *));
    va_end(args);
    g_autoptr(DuetSchema) schema = ddl ? duet_schema_parse(ddl, NULL) : NULL;
    DuetSource *source = duet_source_new(format, options, schema, NULL, 1, error);
    g_hash_table_unref(options);
    return source;
}

/* Rows of (start, end] in partition order. */
static char *
read_range(DuetSource *source, const char *start, const char *end)
{
    GError *error = NULL;
    GPtrArray *partitions = duet_source_get_batch(source, start, end, &error);
    ASSERT_NO_ERROR(error);
    if (partitions == NULL)
        return g_strdup("(error)");
    GPtrArray *all = g_ptr_array_new();
    for (guint partition = 0; partition < partitions->len; partition++)
        g_ptr_array_extend(all, g_ptr_array_index(partitions, partition), NULL, NULL);
    g_autoptr(DuetBatch) batch = duet_batch_concat(duet_source_schema(source),
                                                   (DuetBatch *const *)all->pdata, all->len, NULL);
    g_ptr_array_unref(all);
    g_ptr_array_unref(partitions);
    return duet_test_render(batch);
}

static char *
latest(DuetSource *source)
{
    GError *error = NULL;
    char *offset = duet_source_latest_offset(source, &error);
    ASSERT_NO_ERROR(error);
    return offset;
}

static void
test_text_in_modification_order(void)
{
    char *dir = duet_test_tmpdir_new();
    put_file(dir, "b.txt", "x\r\ny", 2000);
    put_file(dir, "a.txt", "hello\n\nworld\n", 1000);
    GError *error = NULL;
    g_autoptr(DuetSource) source = open_source("text", dir, NULL, &error, NULL);
    ASSERT_NO_ERROR(error);
    ASSERT_STR_EQ(duet_source_format(source), "text");
    g_autofree char *schema = duet_schema_to_string(duet_source_schema(source));
    ASSERT_STR_EQ(schema, "struct<value:string>");
    g_autofree char *description = duet_source_description(source);
    g_autofree char *expected = g_strdup_printf("FileStreamSource[file:%s]", dir);
    ASSERT_STR_EQ(description, expected);

    g_autofree char *first = latest(source);
    ASSERT_STR_EQ(first, "0");
    g_autofree char *rows = read_range(source, NULL, first);
    ASSERT_STR_EQ(rows, "[hello, , world, x, y]");
    /* nothing new: the same offset */
    g_autofree char *again = latest(source);
    ASSERT_STR_EQ(again, "0");
    /* a new file is the next offset, and only it is in (0, 1] */
    put_file(dir, "c.txt", "later", 500);
    g_autofree char *second = latest(source);
    ASSERT_STR_EQ(second, "1");
    g_autofree char *new_rows = read_range(source, "0", "1");
    ASSERT_STR_EQ(new_rows, "[later]");
    g_autofree char *all_rows = read_range(source, NULL, "1");
    ASSERT_STR_EQ(all_rows, "[hello, , world, x, y, later]");
    /* a rewritten file with the same path is not read again */
    put_file(dir, "a.txt", "changed", 3000);
    g_autofree char *third = latest(source);
    ASSERT_STR_EQ(third, "1");
    duet_test_tmpdir_free(dir);
}

static void
test_empty_directory(void)
{
    char *dir = duet_test_tmpdir_new();
    GError *error = NULL;
    g_autoptr(DuetSource) source = open_source("json", dir, "a INT", &error, NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *none = latest(source);
    CU_ASSERT_PTR_NULL(none);
    /* an empty file is a file: an offset with no rows */
    put_file(dir, "empty.json", "", 10);
    g_autofree char *first = latest(source);
    ASSERT_STR_EQ(first, "0");
    g_autofree char *rows = read_range(source, NULL, "0");
    ASSERT_STR_EQ(rows, "[]");
    duet_test_tmpdir_free(dir);
}

static void
test_hidden_files_are_ignored(void)
{
    char *dir = duet_test_tmpdir_new();
    put_file(dir, ".hidden.txt", "dot", 1);
    put_file(dir, "_temporary.txt", "underscore", 2);
    put_file(dir, "big.txt._COPYING_", "copying", 3);
    put_file(dir, "_hidden_dir/inside.txt", "hidden dir", 4);
    put_file(dir, ".staging/inside.txt", "dot dir", 5);
    put_file(dir, "visible.txt", "one", 6);
    put_file(dir, "sub/nested.txt", "two", 7);
    put_file(dir, "_metadata", "kept as Spark keeps it", 8);
    GError *error = NULL;
    g_autoptr(DuetSource) source = open_source("text", dir, NULL, &error, NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *first = latest(source);
    ASSERT_STR_EQ(first, "0");
    g_autofree char *rows = read_range(source, NULL, "0");
    ASSERT_STR_EQ(rows, "[one, two, kept as Spark keeps it]");
    duet_test_tmpdir_free(dir);
}

static void
test_max_files_per_trigger(void)
{
    char *dir = duet_test_tmpdir_new();
    for (int file = 1; file <= 5; file++) {
        g_autofree char *name = g_strdup_printf("f%d.txt", file);
        g_autofree char *text = g_strdup_printf("%d", file);
        put_file(dir, name, text, 100 * file);
    }
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        open_source("text", dir, NULL, &error, "maxFilesPerTrigger", "2", NULL);
    ASSERT_NO_ERROR(error);
    const char *expected[] = {"[1, 2]", "[3, 4]", "[5]"};
    for (int offset = 0; offset < 3; offset++) {
        g_autofree char *end = latest(source);
        g_autofree char *want = g_strdup_printf("%d", offset);
        ASSERT_STR_EQ(end, want);
        g_autofree char *start = offset ? g_strdup_printf("%d", offset - 1) : NULL;
        g_autofree char *rows = read_range(source, start, end);
        ASSERT_STR_EQ(rows, expected[offset]);
    }
    g_autofree char *still = latest(source);
    ASSERT_STR_EQ(still, "2");

    /* latestFirst: newest files first */
    g_autoptr(DuetSource) newest = open_source("text", dir, NULL, &error, "maxFilesPerTrigger", "2",
                                               "latestFirst", "true", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *first = latest(newest);
    g_autofree char *rows = read_range(newest, NULL, first);
    ASSERT_STR_EQ(rows, "[5, 4]");
    duet_test_tmpdir_free(dir);
}

static void
test_max_file_age_and_file_name_only(void)
{
    char *dir = duet_test_tmpdir_new();
    const gint64 day = 86400;
    put_file(dir, "old.txt", "old", 1 * day);
    put_file(dir, "new.txt", "new", 10 * day);
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        open_source("text", dir, NULL, &error, "maxFileAge", "7d", "fileNameOnly", "true", NULL);
    ASSERT_NO_ERROR(error);
    /* the first listing takes every file, however old */
    g_autofree char *first = latest(source);
    g_autofree char *rows = read_range(source, NULL, first);
    ASSERT_STR_EQ(rows, "[old, new]");
    /* older than 7 days before the newest file: ignored; within: taken */
    put_file(dir, "late.txt", "too old", 2 * day);
    put_file(dir, "recent.txt", "recent", 9 * day);
    /* fileNameOnly: the same name in another directory is the same file */
    put_file(dir, "other/new.txt", "same name", 11 * day);
    g_autofree char *second = latest(source);
    ASSERT_STR_EQ(second, "1");
    g_autofree char *more = read_range(source, first, second);
    ASSERT_STR_EQ(more, "[recent]");
    duet_test_tmpdir_free(dir);
}

static void
test_csv_header_separator_and_bad_values(void)
{
    char *dir = duet_test_tmpdir_new();
    put_file(dir, "people.csv",
             "name;age;score\n"
             "alice;30;1.5\n"
             "\"b;ob\";x;2\n"
             "carol;;NaN\n"
             "\"say \\\"hi\\\"\";41\n"
             "dave;7;3;extra\n"
             "\"\";1;1e3\n",
             1);
    GError *error = NULL;
    g_autoptr(DuetSource) source = open_source("csv", dir, "name STRING, age INT, score DOUBLE",
                                               &error, "header", "true", "sep", ";", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *first = latest(source);
    g_autofree char *rows = read_range(source, NULL, first);
    ASSERT_STR_EQ(rows, "[(alice,30,1.5), (b;ob,null,2.0), (carol,null,NaN), "
                        "(say \"hi\",41,null), (dave,7,3.0), (,1,1000.0)]");
    /* "x" for an int, a missing field, an extra field */
    ASSERT_INT_EQ(duet_file_source_malformed_records(source), 3);
    duet_test_tmpdir_free(dir);
}

static void
test_json_malformed_lines_are_nulls(void)
{
    char *dir = duet_test_tmpdir_new();
    put_file(dir, "rows.json",
             "{\"a\":1,\"b\":\"x\",\"t\":\"2016-03-27T19:39:30.000Z\"}\n"
             "this is not json\n"
             "{\"a\":\"oops\",\"b\":\"y\"}\n"
             "\n"
             "[1,2]\n"
             "{\"b\":5,\"a\":2147483648}\n"
             "{\"a\":-3,\"b\":{\"k\":[1,null]},\"t\":\"1970-01-01 00:00:01.5\"}\n",
             1);
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        open_source("json", dir, "a INT, b STRING, t TIMESTAMP", &error, NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *first = latest(source);
    g_autofree char *rows = read_range(source, NULL, first);
    ASSERT_STR_EQ(rows, "[(1,x,2016-03-27 19:39:30.0), (null,null,null), (null,y,null), "
                        "(null,null,null), (null,5,null), "
                        "(-3,{\"k\":[1,null]},1970-01-01 00:00:01.5)]");
    ASSERT_INT_EQ(duet_file_source_malformed_records(source), 4);
    duet_test_tmpdir_free(dir);
}

static void
test_forgotten_offsets(void)
{
    char *dir = duet_test_tmpdir_new();
    put_file(dir, "a.txt", "a", 1);
    GError *error = NULL;
    g_autoptr(DuetSource) source = open_source("text", dir, NULL, &error, NULL);
    guint consumer = duet_source_add_consumer(source);
    g_autofree char *first = latest(source);
    put_file(dir, "b.txt", "b", 2);
    g_autofree char *second = latest(source);
    duet_source_commit(source, consumer, first);
    CU_ASSERT_PTR_NULL(duet_source_get_batch(source, NULL, second, &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET);
    g_clear_error(&error);
    g_autofree char *rows = read_range(source, first, second);
    ASSERT_STR_EQ(rows, "[b]");
    /* a file deleted before its batch is read: an error naming it */
    g_autofree char *path = g_build_filename(dir, "b.txt", NULL);
    g_unlink(path);
    CU_ASSERT_PTR_NULL(duet_source_get_batch(source, first, second, &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
    g_clear_error(&error);
    duet_test_tmpdir_free(dir);
}

#define ASSERT_OPEN_FAILS(expected_message, format, dir, ddl, ...)                                 \
    do {                                                                                           \
        GError *error_ = NULL;                                                                     \
        DuetSource *source_ = open_source(format, dir, ddl, &error_, __VA_ARGS__);                 \
        CU_ASSERT_PTR_NULL(source_);                                                               \
        ASSERT_ERROR(error_, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);                         \
        ASSERT_STR_EQ(error_->message, expected_message);                                          \
        g_clear_error(&error_);                                                                    \
    } while (0)

static void
test_bad_options(void)
{
    char *dir = duet_test_tmpdir_new();
    ASSERT_OPEN_FAILS("Schema must be specified when creating a streaming source DataFrame. If "
                      "some files already exist in the directory, then depending on the file "
                      "format you may be able to create a static DataFrame on that directory "
                      "with 'spark.read.load(directory)' and infer schema from it.",
                      "csv", dir, NULL, NULL);
    ASSERT_OPEN_FAILS("Invalid value '0' for option 'maxFilesPerTrigger', must be a positive "
                      "integer",
                      "text", dir, NULL, "maxFilesPerTrigger", "0", NULL);
    ASSERT_OPEN_FAILS("Invalid value 'x' for option 'maxFilesPerTrigger', must be a positive "
                      "integer",
                      "text", dir, NULL, "maxFilesPerTrigger", "x", NULL);
    ASSERT_OPEN_FAILS("Invalid value 'yes' for option 'latestFirst', must be true or false", "text",
                      dir, NULL, "latestFirst", "yes", NULL);
    ASSERT_OPEN_FAILS("header flag can be true or false", "csv", dir, "a INT", "header", "1", NULL);
    ASSERT_OPEN_FAILS("Delimiter cannot be empty string", "csv", dir, "a INT", "sep", "", NULL);
    ASSERT_OPEN_FAILS("CSV data source does not support array<int> data type.", "csv", dir,
                      "a ARRAY<INT>", NULL);
    g_autofree char *missing = g_build_filename(dir, "nope", NULL);
    g_autofree char *not_found = g_strdup_printf(
        "[PATH_NOT_FOUND] Path does not exist: file:%s. Create the directory before starting "
        "the stream.",
        missing);
    ASSERT_OPEN_FAILS(not_found, "text", missing, NULL, NULL);

    GError *error = NULL;
    g_autoptr(DuetSchema) schema = duet_schema_parse("a INT", NULL);
    CU_ASSERT_PTR_NULL(duet_source_new("json", NULL, schema, NULL, 1, &error));
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);
    ASSERT_STR_EQ(error->message, "'path' is not specified");
    g_clear_error(&error);

    DuetSource *age = open_source("text", dir, NULL, &error, "maxFileAge", "soon", NULL);
    CU_ASSERT_PTR_NULL(age);
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "Invalid value 'soon' for option "
                                                    "'maxFileAge'"));
    g_clear_error(&error);
    duet_test_tmpdir_free(dir);
}

DUET_TEST_MAIN("file_source", DUET_TEST(test_text_in_modification_order),
               DUET_TEST(test_empty_directory), DUET_TEST(test_hidden_files_are_ignored),
               DUET_TEST(test_max_files_per_trigger),
               DUET_TEST(test_max_file_age_and_file_name_only),
               DUET_TEST(test_csv_header_separator_and_bad_values),
               DUET_TEST(test_json_malformed_lines_are_nulls), DUET_TEST(test_forgotten_offsets),
               DUET_TEST(test_bad_options))
