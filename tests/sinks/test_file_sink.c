/* test_file_sink.c — tests of sinks/file_sink.c and sinks/sqlite_sink.c: Spark's part-file
 * names and _spark_metadata log, exact JSON/CSV/text output, re-run batches skipped (also by a
 * new sink object), empty batches, Append only, a failed commit leaving nothing visible, the
 * file source reading the sink's output back, and the SQLite sink's exactly-once transaction.
 * Everything lives in temporary directories; nothing sleeps. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "rdd/fault.h"
#include "sinks/sink.h"
#include "sources/source.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

static GHashTable *
options_of(const char *first_key, ...)
{
    GHashTable *options = duet_source_options_new();
    va_list args;
    va_start(args, first_key);
    for (const char *key = first_key; key; key = va_arg(args, const char *))
        duet_source_options_set(options, key, va_arg(args, const char *));
    va_end(args);
    return options;
}

/* Adds rows (a JSON literal of ddl) as n_partitions partitions, rows dealt round-robin. */
static gboolean
add_rows(DuetSink *sink, gint64 batch_id, const char *ddl, const char *json, guint n_partitions,
         DuetOutputMode mode, GError **error)
{
    g_autoptr(DuetBatch) rows = duet_test_batch(ddl, json);
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint partition = 0; partition < n_partitions; partition++) {
        GPtrArray *batches = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        GArray *picked = g_array_new(FALSE, FALSE, sizeof(guint32));
        for (guint32 row = partition; row < duet_batch_n_rows(rows); row += n_partitions)
            g_array_append_val(picked, row);
        g_ptr_array_add(batches, duet_batch_take(rows, (const guint32 *)picked->data, picked->len));
        g_array_unref(picked);
        g_ptr_array_add(partitions, batches);
    }
    gboolean ok = duet_sink_add_batch(sink, batch_id, partitions, mode, error);
    g_ptr_array_unref(partitions);
    return ok;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The part files of dir, sorted, as "name\tcontents" lines; names must follow Spark's
 * part-NNNNN-<uuid>-c000.<ext>. */
static char *
part_files(const char *dir, const char *extension)
{
    GDir *listing = g_dir_open(dir, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(listing)) != NULL) {
        if (g_str_has_prefix(name, "part-"))
            g_ptr_array_add(names, g_strdup(name));
    }
    g_dir_close(listing);
    g_ptr_array_sort(names, compare_names);
    g_autofree char *pattern =
        g_strdup_printf("^part-\\d{5}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                        "[0-9a-f]{12}-c000\\.%s$",
                        extension);
    GString *out = g_string_new(NULL);
    for (guint index = 0; index < names->len; index++) {
        const char *part = g_ptr_array_index(names, index);
        CU_ASSERT_TRUE(g_regex_match_simple(pattern, part, 0, 0));
        g_autofree char *path = g_build_filename(dir, part, NULL);
        g_autofree char *contents = NULL;
        g_file_get_contents(path, &contents, NULL, NULL);
        g_string_append_printf(out, "%.10s\t%s", part, contents);
    }
    g_ptr_array_unref(names);
    return g_string_free(out, FALSE);
}

static char *
read_log(const char *dir, gint64 batch_id)
{
    g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT, batch_id);
    g_autofree char *path = g_build_filename(dir, "_spark_metadata", name, NULL);
    char *contents = NULL;
    g_file_get_contents(path, &contents, NULL, NULL);
    return contents;
}

static void
test_json_sink_writes_spark_files_and_log(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    GHashTable *options = options_of("path", out, NULL);
    const char *ddl = "id INT, name STRING, score DOUBLE, t TIMESTAMP, tags ARRAY<STRING>";
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    GError *error = NULL;
    g_autoptr(DuetSink) sink = duet_file_sink_new("json", options, schema, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *description = duet_sink_description(sink);
    CU_ASSERT_TRUE(g_str_has_prefix(description, "FileSink[file:"));
    ASSERT_INT_EQ(duet_file_sink_latest_logged_batch_id(sink), -1);

    CU_ASSERT_TRUE(add_rows(sink, 0, ddl,
                            "[[1, \"a\\\"b\", 1.0, 1459107570000000, [\"x\", null]], "
                            "[2, null, 1e10, null, null], "
                            "[3, \"tab\\tnew\\nline\", null, 0, []]]",
                            2, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *files = part_files(out, "json");
    ASSERT_STR_EQ(files, "part-00000\t"
                         "{\"id\":1,\"name\":\"a\\\"b\",\"score\":1.0,"
                         "\"t\":\"2016-03-27T19:39:30.000Z\",\"tags\":[\"x\",null]}\n"
                         "{\"id\":3,\"name\":\"tab\\tnew\\nline\","
                         "\"t\":\"1970-01-01T00:00:00.000Z\",\"tags\":[]}\n"
                         "part-00001\t{\"id\":2,\"score\":1.0E10}\n");
    ASSERT_INT_EQ(duet_file_sink_latest_logged_batch_id(sink), 0);

    /* the log: "v1", then one SinkFileStatus per part file, in Spark's field order */
    g_autofree char *log = read_log(out, 0);
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    ASSERT_INT_EQ(g_strv_length(lines), 3);
    ASSERT_STR_EQ(lines[0], "v1");
    for (guint line = 1; line < 3; line++) {
        CU_ASSERT_TRUE(g_regex_match_simple(
            "^\\{\"path\":\"file:/[^\"]+/out/part-0000[01]-[^\"]+-c000\\.json\",\"size\":\\d+,"
            "\"isDir\":false,\"modificationTime\":\\d+,\"blockReplication\":1,"
            "\"blockSize\":33554432,\"action\":\"add\"\\}$",
            lines[line], 0, 0));
        g_autoptr(JsonNode) node = json_from_string(lines[line], NULL);
        JsonObject *entry = json_node_get_object(node);
        const char *path = json_object_get_string_member(entry, "path") + strlen("file:");
        GStatBuf stat_buf;
        CU_ASSERT_EQUAL(g_stat(path, &stat_buf), 0);
        ASSERT_INT_EQ(json_object_get_int_member(entry, "size"), stat_buf.st_size);
    }
    g_hash_table_unref(options);
    duet_test_tmpdir_free(dir);
}

static void
test_rerun_batch_is_skipped(void)
{
    char *dir = duet_test_tmpdir_new();
    GHashTable *options = options_of("path", dir, NULL);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    GError *error = NULL;
    DuetSink *sink = duet_file_sink_new("text", options, schema, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(add_rows(sink, 0, "value STRING", "[\"a\", null, \"b\"]", 1,
                            DUET_OUTPUT_MODE_APPEND, &error));
    CU_ASSERT_TRUE(
        add_rows(sink, 0, "value STRING", "[\"again\"]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    g_autofree char *once = part_files(dir, "txt");
    ASSERT_STR_EQ(once, "part-00000\ta\n\nb\n");
    duet_sink_unref(sink);

    /* a new sink object (a restarted query) knows batch 0 from the log */
    sink = duet_file_sink_new("text", options, schema, &error);
    ASSERT_INT_EQ(duet_file_sink_latest_logged_batch_id(sink), 0);
    CU_ASSERT_TRUE(
        add_rows(sink, 0, "value STRING", "[\"again\"]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    g_autofree char *still = part_files(dir, "txt");
    ASSERT_STR_EQ(still, once);
    /* an empty batch is logged with no file */
    CU_ASSERT_TRUE(add_rows(sink, 1, "value STRING", "[]", 2, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *empty_log = read_log(dir, 1);
    ASSERT_STR_EQ(empty_log, "v1");
    g_autofree char *unchanged = part_files(dir, "txt");
    ASSERT_STR_EQ(unchanged, once);
    duet_sink_unref(sink);
    g_hash_table_unref(options);
    duet_test_tmpdir_free(dir);
}

static void
test_csv_sink_output(void)
{
    char *dir = duet_test_tmpdir_new();
    GHashTable *options = options_of("path", dir, "header", "true", NULL);
    const char *ddl = "name STRING, n BIGINT, ok BOOLEAN, d DATE";
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    GError *error = NULL;
    g_autoptr(DuetSink) sink = duet_file_sink_new("csv", options, schema, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(add_rows(sink, 0, ddl,
                            "[[\"plain\", 1, true, 0], [\"a,b\", -2, false, 16887], "
                            "[\"say \\\"hi\\\"\", null, null, null], [\"  padded \", 3, true, "
                            "-1], [\"\", 4, false, 1]]",
                            1, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *files = part_files(dir, "csv");
    ASSERT_STR_EQ(files, "part-00000\tname,n,ok,d\n"
                         "plain,1,true,1970-01-01\n"
                         "\"a,b\",-2,false,2016-03-27\n"
                         "\"say \\\"hi\\\"\",,,\n"
                         "padded,3,true,1969-12-31\n"
                         "\"\",4,false,1970-01-02\n");
    g_hash_table_unref(options);
    duet_test_tmpdir_free(dir);
}

static gboolean
fail_log_rename(DuetFaultSite site, const char *path, gpointer user_data)
{
    return site == DUET_FAULT_SITE_RENAME && path != NULL && strstr(path, "_spark_metadata");
}

static char *
read_all(DuetSource *source, const char *start, char **end)
{
    GError *error = NULL;
    *end = duet_source_latest_offset(source, &error);
    ASSERT_NO_ERROR(error);
    if (*end == NULL)
        return g_strdup("(none)");
    GPtrArray *partitions = duet_source_get_batch(source, start, *end, &error);
    ASSERT_NO_ERROR(error);
    GPtrArray *all = g_ptr_array_new();
    for (guint partition = 0; partition < partitions->len; partition++)
        g_ptr_array_extend(all, g_ptr_array_index(partitions, partition), NULL, NULL);
    g_autoptr(DuetBatch) batch = duet_batch_concat(duet_source_schema(source),
                                                   (DuetBatch *const *)all->pdata, all->len, NULL);
    g_ptr_array_unref(all);
    g_ptr_array_unref(partitions);
    return duet_test_render_sorted(batch);
}

/* The sink's output read back by the file source, batch by batch through the log; a batch
 * whose commit failed is invisible, then lands once when re-run. */
static void
test_round_trip_through_the_file_source(void)
{
    const char *formats[] = {"json", "csv", "text"};
    const char *ddls[] = {"k STRING, v INT, x DOUBLE", "k STRING, v INT, x DOUBLE", "value STRING"};
    const char *first_rows[] = {"[[\"a\", 1, 0.5], [\"b\", null, -1.0], [null, 3, null]]",
                                "[[\"a\", 1, 0.5], [\"b\", null, -1.0], [\"c d\", 3, null]]",
                                "[\"a\", \"b b\", \"\"]"};
    const char *first_expected[] = {"[(a,1,0.5), (b,null,-1.0), (null,3,null)]",
                                    "[(a,1,0.5), (b,null,-1.0), (c d,3,null)]", "[, a, b b]"};
    const char *second_rows[] = {"[[\"z\", 26, 2.5]]", "[[\"z\", 26, 2.5]]", "[\"z\"]"};
    const char *second_expected[] = {"[(z,26,2.5)]", "[(z,26,2.5)]", "[z]"};
    for (guint format = 0; format < G_N_ELEMENTS(formats); format++) {
        char *dir = duet_test_tmpdir_new();
        GHashTable *options = options_of("path", dir, "header", "true", NULL);
        if (format == 2)
            g_hash_table_remove(options, "header");
        g_autoptr(DuetSchema) schema = duet_schema_parse(ddls[format], NULL);
        GError *error = NULL;
        g_autoptr(DuetSink) sink = duet_file_sink_new(formats[format], options, schema, &error);
        ASSERT_NO_ERROR(error);
        g_autoptr(DuetSource) source =
            duet_source_new(formats[format], options, format == 2 ? NULL : schema, NULL, 1, &error);
        ASSERT_NO_ERROR(error);
        CU_ASSERT_TRUE(add_rows(sink, 0, ddls[format], first_rows[format], 2,
                                DUET_OUTPUT_MODE_APPEND, &error));
        ASSERT_NO_ERROR(error);
        g_autofree char *end = NULL;
        g_autofree char *rows = read_all(source, NULL, &end);
        ASSERT_STR_EQ(rows, first_expected[format]);

        /* batch 1 fails at its commit: its part files are gone and the source sees nothing */
        duet_fault_sim_set_hook(fail_log_rename, NULL);
        CU_ASSERT_FALSE(add_rows(sink, 1, ddls[format], second_rows[format], 1,
                                 DUET_OUTPUT_MODE_APPEND, &error));
        duet_fault_sim_set_hook(NULL, NULL);
        ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
        g_clear_error(&error);
        g_autofree char *after_failure = NULL;
        g_autofree char *nothing = read_all(source, end, &after_failure);
        ASSERT_STR_EQ(after_failure, end);
        ASSERT_STR_EQ(nothing, "[]");
        /* a part file the log does not list (a crashed writer's) is never read */
        g_autofree char *stray = g_build_filename(dir, "part-00099-stray-c000.txt", NULL);
        g_file_set_contents(stray, format == 1 ? "k,v,x\nstray,0,0\n" : "{\"k\":\"stray\"}\n", -1,
                            NULL);
        /* the re-run lands once */
        CU_ASSERT_TRUE(add_rows(sink, 1, ddls[format], second_rows[format], 1,
                                DUET_OUTPUT_MODE_APPEND, &error));
        ASSERT_NO_ERROR(error);
        g_autofree char *second_end = NULL;
        g_autofree char *more = read_all(source, end, &second_end);
        ASSERT_STR_EQ(more, second_expected[format]);
        ASSERT_STR_EQ(second_end, "1");
        g_hash_table_unref(options);
        duet_test_tmpdir_free(dir);
    }
}

static guint
log_entries(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, "_spark_metadata", name, NULL);
    g_autofree char *contents = NULL;
    if (!g_file_get_contents(path, &contents, NULL, NULL))
        return 0;
    g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
    CU_ASSERT_STRING_EQUAL(lines[0], "v1");
    return g_strv_length(lines) - 1;
}

/* Spark's compaction: batches 9 and 19 are N.compact files holding every entry so far. */
static void
test_log_compaction(void)
{
    char *dir = duet_test_tmpdir_new();
    GHashTable *options = options_of("path", dir, NULL);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    GError *error = NULL;
    g_autoptr(DuetSink) sink = duet_file_sink_new("text", options, schema, &error);
    ASSERT_NO_ERROR(error);
    for (gint64 batch_id = 0; batch_id < 21; batch_id++) {
        g_autofree char *json = g_strdup_printf("[\"row %02d\"]", (int)batch_id);
        CU_ASSERT_TRUE(
            add_rows(sink, batch_id, "value STRING", json, 1, DUET_OUTPUT_MODE_APPEND, &error));
        ASSERT_NO_ERROR(error);
    }
    ASSERT_INT_EQ(log_entries(dir, "8"), 1);
    ASSERT_INT_EQ(log_entries(dir, "9"), 0);
    ASSERT_INT_EQ(log_entries(dir, "9.compact"), 10);
    ASSERT_INT_EQ(log_entries(dir, "10"), 1);
    ASSERT_INT_EQ(log_entries(dir, "19.compact"), 20);
    ASSERT_INT_EQ(log_entries(dir, "20"), 1);
    ASSERT_INT_EQ(duet_file_sink_latest_logged_batch_id(sink), 20);
    /* a new sink skips a compacted batch */
    g_autoptr(DuetSink) again = duet_file_sink_new("text", options, schema, &error);
    CU_ASSERT_TRUE(
        add_rows(again, 19, "value STRING", "[\"dup\"]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_INT_EQ(log_entries(dir, "19.compact"), 20);
    /* the file source reads each committed file once */
    g_autoptr(DuetSource) source = duet_source_new("text", options, NULL, NULL, 1, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *end = NULL;
    g_autofree char *rows = read_all(source, NULL, &end);
    CU_ASSERT_TRUE(g_str_has_prefix(rows, "[row 00, row 01, "));
    CU_ASSERT_TRUE(g_str_has_suffix(rows, ", row 19, row 20]"));
    ASSERT_INT_EQ(strlen(rows), strlen("[]") + 21 * strlen("row 00") + 20 * strlen(", "));
    g_hash_table_unref(options);
    duet_test_tmpdir_free(dir);
}

#define ASSERT_SINK_FAILS(call, expected_message)                                                  \
    do {                                                                                           \
        GError *error_ = NULL;                                                                     \
        DuetSink *sink_ = (call);                                                                  \
        CU_ASSERT_PTR_NULL(sink_);                                                                 \
        ASSERT_ERROR(error_, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION);                             \
        ASSERT_STR_EQ(error_->message, expected_message);                                          \
        g_clear_error(&error_);                                                                    \
    } while (0)

static void
test_file_sink_errors(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autoptr(DuetSchema) two = duet_schema_parse("a STRING, b INT", NULL);
    GHashTable *options = options_of("path", dir, NULL);
    ASSERT_SINK_FAILS(duet_file_sink_new("json", NULL, two, &error_), "'path' is not specified");
    ASSERT_SINK_FAILS(duet_file_sink_new("text", options, two, &error_),
                      "Text data source supports only a single column, and you have 2 columns.");
    ASSERT_SINK_FAILS(duet_file_sink_new("parquet", options, two, &error_),
                      "Failed to find data source: parquet (the file sink writes json, csv or "
                      "text)");
    g_autofree char *file_path = g_build_filename(dir, "plain-file", NULL);
    g_file_set_contents(file_path, "x", -1, NULL);
    GHashTable *file_options = options_of("path", file_path, NULL);
    g_autofree char *is_file = g_strdup_printf(
        "The file sink path file:%s is a file: give a directory (it is created if missing)",
        file_path);
    ASSERT_SINK_FAILS(duet_file_sink_new("csv", file_options, two, &error_), is_file);

    GError *error = NULL;
    g_autoptr(DuetSink) sink = duet_file_sink_new("json", options, two, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_FALSE(
        add_rows(sink, 0, "a STRING, b INT", "[[\"x\", 1]]", 1, DUET_OUTPUT_MODE_UPDATE, &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION);
    ASSERT_STR_EQ(error->message, "Data source json does not support Update output mode");
    g_clear_error(&error);
    CU_ASSERT_FALSE(
        add_rows(sink, 0, "a STRING, b INT", "[[\"x\", 1]]", 1, DUET_OUTPUT_MODE_COMPLETE, &error));
    ASSERT_STR_EQ(error->message, "Data source json does not support Complete output mode");
    g_clear_error(&error);
    ASSERT_INT_EQ(duet_file_sink_latest_logged_batch_id(sink), -1);
    g_hash_table_unref(file_options);
    g_hash_table_unref(options);
    duet_test_tmpdir_free(dir);
}

/* ---- SQLite --------------------------------------------------------------------------------- */

static char *
query_rows(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_open(db_path, &db);
    sqlite3_stmt *statement = NULL;
    GString *out = g_string_new(NULL);
    if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) != SQLITE_OK) {
        g_string_append_printf(out, "error: %s", sqlite3_errmsg(db));
    } else {
        while (sqlite3_step(statement) == SQLITE_ROW) {
            g_string_append_c(out, '(');
            for (int column = 0; column < sqlite3_column_count(statement); column++) {
                const unsigned char *text = sqlite3_column_text(statement, column);
                g_string_append_printf(out, "%s%s", column ? "," : "",
                                       text ? (const char *)text : "NULL");
            }
            g_string_append(out, ") ");
        }
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return g_string_free(out, FALSE);
}

/* The files under dir (recursively, _spark_metadata left out), sorted, as "relative path with
 * the job uuid cut\tcontents" lines. */
static void
collect_files(const char *root, const char *dir, GPtrArray *lines)
{
    GDir *listing = g_dir_open(dir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name(listing)) != NULL) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (strcmp(name, "_spark_metadata") == 0)
            continue;
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            collect_files(root, path, lines);
            continue;
        }
        g_autofree char *contents = NULL;
        g_file_get_contents(path, &contents, NULL, NULL);
        const char *relative = path + strlen(root) + 1;
        /* part-00000-<36-character uuid>-c000.json: keep "part-00000" and the extension */
        const char *part = strstr(relative, "part-");
        g_assert_nonnull(part);
        g_autofree char *prefix = g_strndup(relative, (gsize)(part - relative) + 10);
        g_ptr_array_add(lines, g_strdup_printf("%s%s\t%s", prefix, part + 10 + 37 + 5, contents));
    }
    g_dir_close(listing);
}

static char *
tree_of(const char *dir)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    collect_files(dir, dir, lines);
    g_ptr_array_sort(lines, compare_names);
    GString *out = g_string_new(NULL);
    for (guint index = 0; index < lines->len; index++)
        g_string_append(out, g_ptr_array_index(lines, index));
    g_ptr_array_unref(lines);
    return g_string_free(out, FALSE);
}

static void
test_partition_by_layout_and_round_trip(void)
{
    char *dir = duet_test_tmpdir_new();
    const char *ddl = "id INT, country STRING, day DATE, score DOUBLE";
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    GHashTable *options = options_of("path", dir, "partitionBy", "country, DAY", NULL);
    GError *error = NULL;
    g_autoptr(DuetSink) sink = duet_file_sink_new("json", options, schema, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(
        add_rows(sink, 0, ddl,
                 "[[1, \"fr\", 16800, 1.5], [2, \"a/b:c\", 16800, null], "
                 "[3, \"fr\", 16801, 2.0], [4, null, null, 4.0], [5, \"fr\", 16800, 5.0], "
                 "[6, \"\", 16801, 6.0]]",
                 2, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *tree = tree_of(dir);
    /* rows 1, 3, 5 went to task 0 and 2, 4, 6 to task 1 */
    ASSERT_STR_EQ(tree, "country=__HIVE_DEFAULT_PARTITION__/day=2016-01-01/part-00001.json\t"
                        "{\"id\":6,\"score\":6.0}\n"
                        "country=__HIVE_DEFAULT_PARTITION__/day=__HIVE_DEFAULT_PARTITION__/"
                        "part-00001.json\t{\"id\":4,\"score\":4.0}\n"
                        "country=a%2Fb%3Ac/day=2015-12-31/part-00001.json\t{\"id\":2}\n"
                        "country=fr/day=2015-12-31/part-00000.json\t"
                        "{\"id\":1,\"score\":1.5}\n{\"id\":5,\"score\":5.0}\n"
                        "country=fr/day=2016-01-01/part-00000.json\t{\"id\":3,\"score\":2.0}\n");
    /* the log lists every file with its directory, percent-encoded as Hadoop's Path.toUri */
    g_autofree char *log = read_log(dir, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "/country=a%252Fb%253Ac/day=2015-12-31/part-00001-"));
    g_auto(GStrv) log_lines = g_strsplit(log, "\n", -1);
    ASSERT_INT_EQ(g_strv_length(log_lines), 6); /* "v1" and 5 files */
    /* read back through the source: the partition columns come from the directories */
    g_autoptr(DuetSource) source = duet_source_new("json", options, schema, NULL, 1, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *end = duet_source_latest_offset(source, &error);
    ASSERT_NO_ERROR(error);
    GError *batch_error = NULL;
    GPtrArray *partitions = duet_source_get_batch(source, NULL, end, &batch_error);
    ASSERT_NO_ERROR(batch_error);
    GPtrArray *all = g_ptr_array_new();
    for (guint partition = 0; partition < partitions->len; partition++)
        g_ptr_array_extend(all, g_ptr_array_index(partitions, partition), NULL, NULL);
    g_autoptr(DuetBatch) batch =
        duet_batch_concat(schema, (DuetBatch *const *)all->pdata, all->len, NULL);
    g_ptr_array_unref(all);
    g_ptr_array_unref(partitions);
    g_autofree char *sorted = duet_test_render_sorted(batch);
    ASSERT_STR_EQ(sorted, "[(1,fr,2015-12-31,1.5), (2,a/b:c,2015-12-31,null), "
                          "(3,fr,2016-01-01,2.0), (4,null,null,4.0), (5,fr,2015-12-31,5.0), "
                          "(6,null,2016-01-01,6.0)]");
    /* a re-run batch is skipped: no new file */
    CU_ASSERT_TRUE(
        add_rows(sink, 0, ddl, "[[9, \"x\", 0, 0.0]]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    g_autofree char *same_tree = tree_of(dir);
    ASSERT_STR_EQ(same_tree, tree);
    g_hash_table_unref(options);

    /* CSV: the header names the data columns only */
    char *csv_dir = duet_test_tmpdir_new();
    GHashTable *csv_options =
        options_of("path", csv_dir, "partitionBy", "country", "header", "true", NULL);
    g_autoptr(DuetSink) csv = duet_file_sink_new("csv", csv_options, schema, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(
        add_rows(csv, 0, ddl, "[[1, \"fr\", 0, 1.5]]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    g_autofree char *csv_tree = tree_of(csv_dir);
    ASSERT_STR_EQ(csv_tree, "country=fr/part-00000.csv\tid,day,score\n1,1970-01-01,1.5\n");
    g_hash_table_unref(csv_options);
    duet_test_tmpdir_free(csv_dir);
    duet_test_tmpdir_free(dir);
}

static void
test_partition_by_errors(void)
{
    char *dir = duet_test_tmpdir_new();
    const struct {
        const char *format;
        const char *ddl;
        const char *partition_by;
        const char *message;
    } cases[] = {
        {"json", "a INT, b STRING", "c",
         "Partition column `c` not found in schema "
         "struct<a:int,b:string>"},
        {"json", "a INT, b STRING", "a,b", "Cannot use all columns for partition columns"},
        {"json", "a INT, b ARRAY<INT>", "b", "Cannot use array<int> for partition column"},
        {"json", "a INT, b STRING", "b,B",
         "[COLUMN_ALREADY_EXISTS] The column `b` already exists. Consider to choose another "
         "name or rename the existing column."},
        {"text", "value STRING, n INT", "value",
         "Text data source does not support int data type."},
    };
    for (guint index = 0; index < G_N_ELEMENTS(cases); index++) {
        GHashTable *options =
            options_of("path", dir, "partitionBy", cases[index].partition_by, NULL);
        g_autoptr(DuetSchema) schema = duet_schema_parse(cases[index].ddl, NULL);
        GError *error = NULL;
        DuetSink *sink = duet_file_sink_new(cases[index].format, options, schema, &error);
        CU_ASSERT_PTR_NULL(sink);
        ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION);
        ASSERT_STR_EQ(error->message, cases[index].message);
        g_clear_error(&error);
        g_hash_table_unref(options);
    }
    /* text partitioned by the other column is fine: one string column is left */
    GHashTable *options = options_of("path", dir, "partitionBy", "n", NULL);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING, n INT", NULL);
    GError *error = NULL;
    g_autoptr(DuetSink) text = duet_file_sink_new("text", options, schema, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(add_rows(text, 0, "value STRING, n INT", "[[\"x\", 1], [\"y\", 2]]", 1,
                            DUET_OUTPUT_MODE_APPEND, &error));
    g_autofree char *tree = tree_of(dir);
    ASSERT_STR_EQ(tree, "n=1/part-00000.txt\tx\nn=2/part-00000.txt\ty\n");
    g_hash_table_unref(options);
    duet_test_tmpdir_free(dir);
}

static void
test_sqlite_sink_exactly_once(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autofree char *db = g_build_filename(dir, "out.db", NULL);
    g_autofree char *url = g_strdup_printf("jdbc:sqlite:%s", db);
    GHashTable *options = options_of("url", url, "table", "counts", NULL);
    const char *ddl = "word STRING, n BIGINT, ratio DOUBLE, ok BOOLEAN, t TIMESTAMP";
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    GError *error = NULL;
    DuetSink *sink = duet_sqlite_sink_new(options, schema, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(add_rows(sink, 0, ddl,
                            "[[\"a\", 1, 0.5, true, 1459107570000000], "
                            "[\"b\", null, null, false, null]]",
                            2, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    /* the same batch again: skipped */
    CU_ASSERT_TRUE(add_rows(sink, 0, ddl, "[[\"dup\", 9, 9.0, true, null]]", 1,
                            DUET_OUTPUT_MODE_APPEND, &error));
    duet_sink_unref(sink);
    /* a new sink object on the same database: batch 0 is known, batch 1 lands */
    sink = duet_sqlite_sink_new(options, schema, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(add_rows(sink, 0, ddl, "[[\"dup\", 9, 9.0, true, null]]", 1,
                            DUET_OUTPUT_MODE_APPEND, &error));
    CU_ASSERT_TRUE(
        add_rows(sink, 1, ddl, "[[\"c\", 3, 1.5, true, 0]]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *rows = query_rows(db, "SELECT * FROM counts ORDER BY word");
    ASSERT_STR_EQ(rows, "(a,1,0.5,1,2016-03-27 19:39:30) (b,NULL,NULL,0,NULL) "
                        "(c,3,1.5,1,1970-01-01 00:00:00) ");
    g_autofree char *batches = query_rows(db, "SELECT * FROM duet_batches ORDER BY batch_id");
    ASSERT_STR_EQ(batches, "(counts,0) (counts,1) ");
    g_autofree char *types = query_rows(db, "SELECT sql FROM sqlite_master WHERE name = 'counts'");
    ASSERT_STR_EQ(types, "(CREATE TABLE \"counts\" (\"word\" TEXT, \"n\" INTEGER, \"ratio\" REAL, "
                         "\"ok\" INTEGER, \"t\" TEXT)) ");

    /* Complete replaces the rows; Update is refused */
    CU_ASSERT_TRUE(add_rows(sink, 2, ddl, "[[\"only\", 7, null, null, null]]", 1,
                            DUET_OUTPUT_MODE_COMPLETE, &error));
    g_autofree char *replaced = query_rows(db, "SELECT word, n FROM counts");
    ASSERT_STR_EQ(replaced, "(only,7) ");
    CU_ASSERT_FALSE(add_rows(sink, 3, ddl, "[]", 1, DUET_OUTPUT_MODE_UPDATE, &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION);
    ASSERT_STR_EQ(error->message, "Data source sqlite does not support Update output mode "
                                  "without key columns (set the option keyColumns, e.g. "
                                  "keyColumns=word, to upsert)");
    g_clear_error(&error);
    duet_sink_unref(sink);
    g_hash_table_unref(options);
    duet_test_tmpdir_free(dir);
}

static gboolean
fail_sink_commit(DuetFaultSite site, const char *path, gpointer user_data)
{
    return site == DUET_FAULT_SITE_SINK_COMMIT;
}

static void
test_sqlite_sink_errors(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autofree char *db = g_build_filename(dir, "e.db", NULL);
    g_autoptr(DuetSchema) schema = duet_schema_parse("a INT", NULL);
    GHashTable *no_table = options_of("path", db, NULL);
    ASSERT_SINK_FAILS(duet_sqlite_sink_new(no_table, schema, &error_),
                      "Option 'table' is required (the table the sink writes into).");
    GHashTable *no_url = options_of("table", "t", NULL);
    ASSERT_SINK_FAILS(duet_sqlite_sink_new(no_url, schema, &error_),
                      "Option 'url' is required (jdbc:sqlite:/path/to/db, or option 'path').");
    g_autofree char *missing_dir = g_build_filename(dir, "no", "such", "x.db", NULL);
    GHashTable *bad_path = options_of("path", missing_dir, "table", "t", NULL);
    g_autofree char *cannot_open = g_strdup_printf(
        "sqlite sink: cannot open the database %s: unable to open database file (does its "
        "directory exist?)",
        missing_dir);
    ASSERT_SINK_FAILS(duet_sqlite_sink_new(bad_path, schema, &error_), cannot_open);

    /* an existing table of other columns */
    GHashTable *options = options_of("path", db, "table", "t", NULL);
    g_autofree char *created = query_rows(db, "CREATE TABLE t (other TEXT)");
    ASSERT_STR_EQ(created, "");
    g_autofree char *mismatch = g_strdup_printf(
        "sqlite sink %s, table t: the existing table does not match the schema (drop it or name "
        "another table): table t has no column named a",
        db);
    ASSERT_SINK_FAILS(duet_sqlite_sink_new(options, schema, &error_), mismatch);

    /* a failed commit writes nothing; the re-run writes once */
    GHashTable *good = options_of("path", db, "table", "good", NULL);
    GError *error = NULL;
    g_autoptr(DuetSink) sink = duet_sqlite_sink_new(good, schema, &error);
    ASSERT_NO_ERROR(error);
    duet_fault_sim_set_hook(fail_sink_commit, NULL);
    CU_ASSERT_FALSE(add_rows(sink, 0, "a INT", "[1, 2]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    duet_fault_sim_set_hook(NULL, NULL);
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
    g_clear_error(&error);
    g_autofree char *none = query_rows(db, "SELECT a FROM good");
    ASSERT_STR_EQ(none, "");
    CU_ASSERT_TRUE(add_rows(sink, 0, "a INT", "[1, 2]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    g_autofree char *once = query_rows(db, "SELECT a FROM good ORDER BY a");
    ASSERT_STR_EQ(once, "(1) (2) ");
    g_hash_table_unref(good);
    g_hash_table_unref(options);
    g_hash_table_unref(bad_path);
    g_hash_table_unref(no_url);
    g_hash_table_unref(no_table);
    duet_test_tmpdir_free(dir);
}

/* keyColumns: the table made with those columns as its primary key, rows upserted (the last
 * row of a key wins, other columns replaced, nulls too), Update allowed; a re-run batch still
 * skipped; upsertKeys as an alias; bad key options and a table without a matching key refused
 * with messages that say what to do. */
static void
test_sqlite_sink_upsert(void)
{
    char *dir = duet_test_tmpdir_new();
    g_autofree char *db = g_build_filename(dir, "up.db", NULL);
    const char *ddl = "word STRING, lang STRING, n BIGINT";
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    GHashTable *options =
        options_of("path", db, "table", "counts", "keyColumns", " word , lang", NULL);
    GError *error = NULL;
    g_autoptr(DuetSink) sink = duet_sqlite_sink_new(options, schema, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    g_autofree char *created =
        query_rows(db, "SELECT sql FROM sqlite_master WHERE name = 'counts'");
    ASSERT_STR_EQ(created, "(CREATE TABLE \"counts\" (\"word\" TEXT, \"lang\" TEXT, \"n\" "
                           "INTEGER, PRIMARY KEY (\"word\", \"lang\"))) ");
    CU_ASSERT_TRUE(add_rows(sink, 0, ddl,
                            "[[\"a\", \"en\", 1], [\"b\", \"en\", 2], [\"a\", \"fr\", 3]]", 2,
                            DUET_OUTPUT_MODE_UPDATE, &error));
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(add_rows(sink, 1, ddl,
                            "[[\"a\", \"en\", 10], [\"c\", \"en\", 4], [\"a\", \"en\", 11], "
                            "[\"b\", \"en\", null]]",
                            1, DUET_OUTPUT_MODE_UPDATE, &error));
    ASSERT_NO_ERROR(error);
    /* a re-run of batch 1 changes nothing */
    CU_ASSERT_TRUE(
        add_rows(sink, 1, ddl, "[[\"a\", \"en\", 99]]", 1, DUET_OUTPUT_MODE_UPDATE, &error));
    /* Append with keys upserts too */
    CU_ASSERT_TRUE(
        add_rows(sink, 2, ddl, "[[\"a\", \"fr\", 30]]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *rows = query_rows(db, "SELECT * FROM counts ORDER BY word, lang");
    ASSERT_STR_EQ(rows, "(a,en,11) (a,fr,30) (b,en,NULL) (c,en,4) ");

    /* upsertKeys, every column a key: DO NOTHING on a repeat */
    g_autoptr(DuetSchema) words = duet_schema_parse("word STRING", NULL);
    GHashTable *set_options = options_of("path", db, "table", "words", "upsertKeys", "word", NULL);
    g_autoptr(DuetSink) set = duet_sqlite_sink_new(set_options, words, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(add_rows(set, 0, "word STRING", "[\"x\", \"y\", \"x\"]", 1,
                            DUET_OUTPUT_MODE_UPDATE, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *set_rows = query_rows(db, "SELECT * FROM words ORDER BY word");
    ASSERT_STR_EQ(set_rows, "(x) (y) ");

    GHashTable *unknown = options_of("path", db, "table", "k", "keyColumns", "word,nope", NULL);
    ASSERT_SINK_FAILS(duet_sqlite_sink_new(unknown, schema, &error_),
                      "sqlite sink: option keyColumns='word,nope' names a column the schema "
                      "does not have ('nope'); give a comma list of the schema's columns (word, "
                      "lang, n)");
    GHashTable *twice = options_of("path", db, "table", "k", "keyColumns", "n,n", NULL);
    ASSERT_SINK_FAILS(duet_sqlite_sink_new(twice, schema, &error_),
                      "sqlite sink: option keyColumns='n,n' names a column named twice ('n'); "
                      "give a comma list of the schema's columns (word, lang, n)");
    /* an existing table without a key on those columns */
    g_autofree char *plain = query_rows(db, "CREATE TABLE plain (word TEXT, lang TEXT, n INTEGER)");
    ASSERT_STR_EQ(plain, "");
    GHashTable *keyless = options_of("path", db, "table", "plain", "keyColumns", "word", NULL);
    GError *keyless_error = NULL;
    CU_ASSERT_PTR_NULL(duet_sqlite_sink_new(keyless, schema, &keyless_error));
    ASSERT_ERROR(keyless_error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION);
    CU_ASSERT_TRUE(strstr(keyless_error->message, "has no primary key or unique index on the key "
                                                  "columns (drop it, name another table, or "
                                                  "CREATE UNIQUE INDEX on the keys)") != NULL);
    g_clear_error(&keyless_error);
    g_hash_table_unref(keyless);
    g_hash_table_unref(unknown);
    g_hash_table_unref(twice);
    g_hash_table_unref(set_options);
    g_hash_table_unref(options);
    duet_test_tmpdir_free(dir);
}

DUET_TEST_MAIN("file_sink", DUET_TEST(test_json_sink_writes_spark_files_and_log),
               DUET_TEST(test_rerun_batch_is_skipped), DUET_TEST(test_csv_sink_output),
               DUET_TEST(test_round_trip_through_the_file_source), DUET_TEST(test_log_compaction),
               DUET_TEST(test_file_sink_errors), DUET_TEST(test_sqlite_sink_exactly_once),
               DUET_TEST(test_sqlite_sink_errors), DUET_TEST(test_sqlite_sink_upsert),
               DUET_TEST(test_partition_by_layout_and_round_trip),
               DUET_TEST(test_partition_by_errors))
