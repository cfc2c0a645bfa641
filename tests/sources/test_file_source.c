/* test_file_source.c — tests of sources/file_source.c: Spark's FileStreamSource over text, CSV
 * and JSON lines: exact rows in modification-time order, an empty directory, hidden files,
 * maxFilesPerTrigger and latestFirst, maxFileAge, fileNameOnly, PERMISSIVE nulls for malformed
 * records, forgotten offsets, and Spark's messages for bad options and paths; cleanSource
 * (delete, archive) only after every consumer committed; half-written files left for a later
 * listing; CSV quote/escape/nullValue; the three parse modes; schema inference; partition
 * columns from key=value directories. Modification times are set explicitly (or are "now" where
 * the test is about young files), so nothing sleeps. */
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

static gboolean
exists(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

static void
test_clean_source_delete_after_commit(void)
{
    char *dir = duet_test_tmpdir_new();
    put_file(dir, "a.txt", "a", 1);
    put_file(dir, "sub/b.txt", "b", 2);
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        open_source("text", dir, NULL, &error, "cleanSource", "delete", NULL);
    ASSERT_NO_ERROR(error);
    guint dstream = duet_source_add_consumer(source);
    guint query = duet_source_add_consumer(source);
    g_autofree char *first = latest(source);
    g_autofree char *rows = read_range(source, NULL, first);
    ASSERT_STR_EQ(rows, "[a, b]");
    put_file(dir, "c.txt", "c", 3);
    g_autofree char *second = latest(source);
    ASSERT_STR_EQ(second, "1");
    /* read, but not committed by every consumer: nothing is cleaned */
    duet_source_commit(source, dstream, first);
    CU_ASSERT_TRUE(exists(dir, "a.txt") && exists(dir, "sub/b.txt"));
    ASSERT_INT_EQ(duet_file_source_cleaned_files(source), 0);
    /* committed by all: the files of offset 0 go, offset 1's stay */
    duet_source_commit(source, query, first);
    CU_ASSERT_FALSE(exists(dir, "a.txt"));
    CU_ASSERT_FALSE(exists(dir, "sub/b.txt"));
    CU_ASSERT_TRUE(exists(dir, "c.txt"));
    ASSERT_INT_EQ(duet_file_source_cleaned_files(source), 2);
    g_autofree char *more = read_range(source, first, second);
    ASSERT_STR_EQ(more, "[c]");
    /* a deleted file is not new again, and cleaning it twice does nothing */
    g_autofree char *again = latest(source);
    ASSERT_STR_EQ(again, "1");
    duet_source_commit(source, dstream, second);
    duet_source_commit(source, query, second);
    CU_ASSERT_FALSE(exists(dir, "c.txt"));
    ASSERT_INT_EQ(duet_file_source_cleaned_files(source), 3);
    duet_test_tmpdir_free(dir);
}

static void
test_clean_source_archive_keeps_paths(void)
{
    char *root = duet_test_tmpdir_new();
    g_autofree char *dir = g_build_filename(root, "in", NULL);
    g_autofree char *archive = g_build_filename(root, "archive", NULL);
    put_file(dir, "x=1/a.csv", "1,a\n", 1);
    put_file(dir, "b.csv", "2,b\n", 2);
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        open_source("csv", dir, "n INT, s STRING", &error, "cleanSource", "ARCHIVE",
                    "sourceArchiveDir", archive, "maxFilesPerTrigger", "1", NULL);
    ASSERT_NO_ERROR(error);
    guint consumer = duet_source_add_consumer(source);
    g_autofree char *first = latest(source);
    g_autofree char *rows = read_range(source, NULL, first);
    ASSERT_STR_EQ(rows, "[(1,a)]");
    duet_source_commit(source, consumer, first);
    /* Spark: <archive dir> + the file's absolute path */
    g_autofree char *moved = g_strconcat(archive, dir, "/x=1/a.csv", NULL);
    CU_ASSERT_TRUE(g_file_test(moved, G_FILE_TEST_EXISTS));
    CU_ASSERT_FALSE(exists(dir, "x=1/a.csv"));
    CU_ASSERT_TRUE(exists(dir, "b.csv"));
    g_autofree char *second = latest(source);
    g_autofree char *more = read_range(source, first, second);
    ASSERT_STR_EQ(more, "[(2,b)]");
    duet_source_commit(source, consumer, second);
    g_autofree char *moved_b = g_strconcat(archive, dir, "/b.csv", NULL);
    CU_ASSERT_TRUE(g_file_test(moved_b, G_FILE_TEST_EXISTS));
    ASSERT_INT_EQ(duet_file_source_cleaned_files(source), 2);
    /* the archive is outside the watched directory: nothing new */
    g_autofree char *same = latest(source);
    ASSERT_STR_EQ(same, "1");
    duet_test_tmpdir_free(root);
}

static void
test_half_written_files_wait(void)
{
    char *dir = duet_test_tmpdir_new();
    GError *error = NULL;
    /* minFileAge 1h rather than the default 1s, so that a slow machine cannot age the file
     * between two listings */
    g_autoptr(DuetSource) source = open_source("text", dir, NULL, &error, "minFileAge", "1h", NULL);
    ASSERT_NO_ERROR(error);
    /* modified just now: not read until a listing finds it unchanged */
    g_autofree char *path = g_build_filename(dir, "growing.txt", NULL);
    g_assert_true(g_file_set_contents(path, "first half", -1, NULL));
    g_autofree char *none = latest(source);
    CU_ASSERT_PTR_NULL(none);
    /* still being written: its size changed since the last listing */
    FILE *stream = fopen(path, "a");
    fputs(" second half\n", stream);
    fclose(stream);
    g_autofree char *still_none = latest(source);
    CU_ASSERT_PTR_NULL(still_none);
    /* unchanged since the last listing: complete */
    g_autofree char *first = latest(source);
    ASSERT_STR_EQ(first, "0");
    g_autofree char *rows = read_range(source, NULL, first);
    ASSERT_STR_EQ(rows, "[first half second half]");
    /* a file last modified two hours ago (more than minFileAge) is taken at once */
    put_file(dir, "old.txt", "old", g_get_real_time() / G_USEC_PER_SEC - 7200);
    g_autofree char *second = latest(source);
    ASSERT_STR_EQ(second, "1");
    g_autofree char *old = read_range(source, first, second);
    ASSERT_STR_EQ(old, "[old]");
    /* minFileAge 0 takes young files at once, as Spark does */
    char *other = duet_test_tmpdir_new();
    g_autoptr(DuetSource) eager = open_source("text", other, NULL, &error, "minFileAge", "0", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *fresh = g_build_filename(other, "fresh.txt", NULL);
    g_assert_true(g_file_set_contents(fresh, "fresh", -1, NULL));
    g_autofree char *at_once = latest(eager);
    ASSERT_STR_EQ(at_once, "0");
    duet_test_tmpdir_free(other);
    duet_test_tmpdir_free(dir);
}

static void
test_csv_options_and_parse_modes(void)
{
    char *dir = duet_test_tmpdir_new();
    put_file(dir, "a.csv",
             "'x;y';1;NA\n"
             "'it#'s';oops;2016-03-27 19:39:30\n"
             "short\n"
             "z;NA;1970-01-01\n",
             1);
    const char *ddl = "s STRING, n INT, t TIMESTAMP, broken STRING";
    GError *error = NULL;
    g_autoptr(DuetSource) permissive =
        open_source("csv", dir, ddl, &error, "sep", ";", "quote", "'", "escape", "#", "nullValue",
                    "NA", "columnNameOfCorruptRecord", "broken", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *end = latest(permissive);
    g_autofree char *rows = read_range(permissive, NULL, end);
    ASSERT_STR_EQ(rows, "[(x;y,1,null,null), "
                        "(it's,null,2016-03-27 19:39:30.0,'it#'s';oops;2016-03-27 19:39:30), "
                        "(short,null,null,short), (z,null,1970-01-01 00:00:00.0,null)]");
    ASSERT_INT_EQ(duet_file_source_malformed_records(permissive), 2);

    g_autoptr(DuetSource) dropping =
        open_source("csv", dir, "s STRING, n INT, t TIMESTAMP", &error, "sep", ";", "quote", "'",
                    "escape", "#", "nullValue", "NA", "mode", "DROPMALFORMED", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *drop_end = latest(dropping);
    g_autofree char *kept = read_range(dropping, NULL, drop_end);
    ASSERT_STR_EQ(kept, "[(x;y,1,null), (z,null,1970-01-01 00:00:00.0)]");
    ASSERT_INT_EQ(duet_file_source_malformed_records(dropping), 2);

    g_autoptr(DuetSource) failing =
        open_source("json", dir, "s STRING", &error, "mode", "failFast", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *fail_end = latest(failing);
    GPtrArray *none = duet_source_get_batch(failing, NULL, fail_end, &error);
    CU_ASSERT_PTR_NULL(none);
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_FAILED);
    ASSERT_STR_EQ(error->message,
                  "Malformed records are detected in record parsing. Parse Mode: FAILFAST. To "
                  "process malformed records as null result, try setting the option 'mode' as "
                  "'PERMISSIVE'.");
    g_clear_error(&error);

    /* JSON: PERMISSIVE with the default _corrupt_record column, invalid UTF-8 malformed */
    char *json_dir = duet_test_tmpdir_new();
    put_file(json_dir, "a.json", "{\"n\":1}\n{\"n\":\xff}\n{\"n\":true}\n", 1);
    g_autoptr(DuetSource) json =
        open_source("json", json_dir, "n BIGINT, _corrupt_record STRING", &error, NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *json_end = latest(json);
    g_autofree char *json_rows = read_range(json, NULL, json_end);
    ASSERT_STR_EQ(json_rows, "[(1,null), (null,{\"n\":\xef\xbf\xbd}), (null,{\"n\":true})]");
    duet_test_tmpdir_free(json_dir);
    duet_test_tmpdir_free(dir);
}

static void
test_schema_inference(void)
{
    char *dir = duet_test_tmpdir_new();
    put_file(dir, "a.csv", "id,price,when,ok\n1,2,2016-03-27 19:39:30,true\n", 1);
    put_file(dir, "day=2016-01-02/b.csv", "id,price,when,ok\n3000000000,2.5,,false\n", 2);
    put_file(dir, "day=__HIVE_DEFAULT_PARTITION__/c.csv", "id,price,when,ok\n", 3);
    GError *error = NULL;
    g_autoptr(DuetSource) typed =
        open_source("csv", dir, NULL, &error, "spark.sql.streaming.schemaInference", "true",
                    "header", "true", "inferSchema", "true", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *schema = duet_schema_to_string(duet_source_schema(typed));
    ASSERT_STR_EQ(schema, "struct<id:bigint,price:double,when:timestamp,ok:boolean,day:timestamp>");
    g_autofree char *end = latest(typed);
    g_autofree char *rows = read_range(typed, NULL, end);
    ASSERT_STR_EQ(rows, "[(1,2.0,2016-03-27 19:39:30.0,true,null), "
                        "(3000000000,2.5,null,false,2016-01-02 00:00:00.0)]");
    /* without inferSchema every column is a string */
    g_autoptr(DuetSource) strings =
        open_source("csv", dir, NULL, &error, "spark.sql.streaming.schemaInference", "true",
                    "header", "true", NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *string_schema = duet_schema_to_string(duet_source_schema(strings));
    ASSERT_STR_EQ(string_schema,
                  "struct<id:string,price:string,when:string,ok:string,day:timestamp>");
    char *empty = duet_test_tmpdir_new();
    ASSERT_OPEN_FAILS("[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for CSV. It must be "
                      "specified manually.",
                      "csv", empty, NULL, "spark.sql.streaming.schemaInference", "true", NULL);
    ASSERT_OPEN_FAILS("duet infers schemas of CSV files only: give the json source a schema",
                      "json", dir, NULL, "spark.sql.streaming.schemaInference", "true", NULL);
    ASSERT_OPEN_FAILS("inferSchema flag can be true or false", "csv", dir, NULL, "inferSchema",
                      "yes", NULL);
    duet_test_tmpdir_free(empty);
    duet_test_tmpdir_free(dir);
}

static void
test_partition_columns_from_directories(void)
{
    char *dir = duet_test_tmpdir_new();
    put_file(dir, "k=a%2Fb/d=1/f.csv", "10\n", 1);
    put_file(dir, "k=__HIVE_DEFAULT_PARTITION__/d=x/g.csv", "20\n", 2);
    put_file(dir, "top.csv", "30,top,3\n", 3);
    GError *error = NULL;
    g_autoptr(DuetSource) source = open_source("csv", dir, "n INT, k STRING, d INT", &error, NULL);
    ASSERT_NO_ERROR(error);
    g_autofree char *end = latest(source);
    g_autofree char *rows = read_range(source, NULL, end);
    /* the path gives k and d; a value that does not fit its type is null */
    ASSERT_STR_EQ(rows, "[(10,a/b,1), (20,null,null), (30,top,3)]");
    ASSERT_INT_EQ(duet_file_source_malformed_records(source), 0);
    duet_test_tmpdir_free(dir);
}

static void
test_clean_source_options(void)
{
    char *root = duet_test_tmpdir_new();
    g_autofree char *dir = g_build_filename(root, "in", NULL);
    g_mkdir_with_parents(dir, 0755);
    ASSERT_OPEN_FAILS("Invalid mode for clean source option Some(move). Must be one of "
                      "ARCHIVE,DELETE,OFF",
                      "text", dir, NULL, "cleanSource", "move", NULL);
    ASSERT_OPEN_FAILS("Archive mode must be used with 'sourceArchiveDir' option.", "text", dir,
                      NULL, "cleanSource", "archive", NULL);
    const char *overlap =
        "requirement failed: Base archive path cannot be set to the path where archived path "
        "can possibly match with source pattern. Ensure the base archive path doesn't match "
        "with source pattern in depth, where the depth is minimum of depth on both paths.";
    g_autofree char *inside = g_build_filename(dir, "archive", NULL);
    ASSERT_OPEN_FAILS(overlap, "text", dir, NULL, "cleanSource", "archive", "sourceArchiveDir",
                      inside, NULL);
    ASSERT_OPEN_FAILS(overlap, "text", dir, NULL, "cleanSource", "archive", "sourceArchiveDir",
                      root, NULL);
    ASSERT_OPEN_FAILS("quote cannot be more than one character", "csv", dir, "a INT", "quote", "''",
                      NULL);
    ASSERT_OPEN_FAILS("escape cannot be more than one character", "csv", dir, "a INT", "escape",
                      "ab", NULL);
    ASSERT_OPEN_FAILS("The field for corrupt records must be string type and nullable", "json", dir,
                      "a INT, _corrupt_record INT", NULL);
    ASSERT_OPEN_FAILS("Invalid value 'later' for option 'minFileAge': Time must be specified as "
                      "seconds (s), milliseconds (ms), microseconds (us), minutes (m or min), "
                      "hour (h), or day (d). E.g. 50s, 100ms, or 250us.",
                      "text", dir, NULL, "minFileAge", "later", NULL);
    /* cleaning a file sink's output is refused when it is listed, as in Spark */
    g_autofree char *log_dir = g_build_filename(dir, "_spark_metadata", NULL);
    g_mkdir_with_parents(log_dir, 0755);
    GError *error = NULL;
    g_autoptr(DuetSource) source =
        open_source("text", dir, NULL, &error, "cleanSource", "delete", NULL);
    ASSERT_NO_ERROR(error);
    char *offset = duet_source_latest_offset(source, &error);
    CU_ASSERT_PTR_NULL(offset);
    ASSERT_ERROR(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION);
    ASSERT_STR_EQ(error->message, "Clean up source files is not supported when reading from the "
                                  "output directory of FileStreamSink.");
    g_clear_error(&error);
    duet_test_tmpdir_free(root);
}

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
               DUET_TEST(test_bad_options), DUET_TEST(test_clean_source_delete_after_commit),
               DUET_TEST(test_clean_source_archive_keeps_paths),
               DUET_TEST(test_half_written_files_wait), DUET_TEST(test_csv_options_and_parse_modes),
               DUET_TEST(test_schema_inference), DUET_TEST(test_partition_columns_from_directories),
               DUET_TEST(test_clean_source_options))
