/* test_postgres_sink.c — tests of sinks/postgres_sink.c against a real PostgreSQL server, started
 * for this binary by tests/scripts/postgres.sh, which exports DUET_POSTGRES_URL: the table made
 * from the schema and every type read back exactly, a re-run batch skipped by the same sink and
 * by a new one (a restart), sinks told apart by queryName, Complete replacing and Update refused,
 * a failed batch rolled back whole, two writers of one batch at once writing it once, a
 * connection killed by the server and re-opened, schema-qualified tables, and option errors. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "tests/sinks/sink_options.h"
#include "sinks/sink.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

static const char *
server_url(void)
{
    const char *url = g_getenv("DUET_POSTGRES_URL");
    if (url == NULL)
        g_error("DUET_POSTGRES_URL is not set: run this test through tests/scripts/postgres.sh "
                "(meson test does), which starts a PostgreSQL server for it");
    return url;
}

/* The rows of sql, "|" between columns, ";" after rows, "null" for null; or "error: ...". */
static char *
query(const char *sql)
{
    PGconn *connection = PQconnectdb(server_url());
    GString *out = g_string_new(NULL);
    PGresult *result = PQexec(connection, sql);
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_TUPLES_OK) {
        for (int row = 0; row < PQntuples(result); row++) {
            for (int column = 0; column < PQnfields(result); column++)
                g_string_append_printf(
                    out, "%s%s", column ? "|" : "",
                    PQgetisnull(result, row, column) ? "null" : PQgetvalue(result, row, column));
            g_string_append_c(out, ';');
        }
    } else if (status != PGRES_COMMAND_OK) {
        g_string_append_printf(out, "error: %s", PQresultErrorMessage(result));
    }
    PQclear(result);
    PQfinish(connection);
    return g_string_free(out, FALSE);
}

static void
execute(const char *sql)
{
    g_autofree char *result = query(sql);
    ASSERT_STR_EQ(result, "");
}

/* A postgres sink of ddl on the test server; options are NULL-terminated pairs after url. */
static DuetSink *
postgres_sink(const char *ddl, GError **error, const char *first_key, ...)
{
    GHashTable *options = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_replace(options, g_strdup("url"), g_strdup(server_url()));
    va_list args;
    va_start(args, first_key);
    for (const char *key = first_key; key != NULL; key = va_arg(args, const char *))
        g_hash_table_replace(options, g_ascii_strdown(key, -1),
                             g_strdup(va_arg(args, const char *)));
    va_end(args);
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    DuetSink *sink = duet_postgres_sink_new(options, schema, error);
    g_hash_table_unref(options);
    return sink;
}

/* Adds json rows of ddl as batch_id, split over n_partitions partitions. */
static gboolean
add_rows(DuetSink *sink, gint64 batch_id, const char *ddl, const char *json, guint n_partitions,
         DuetOutputMode mode, GError **error)
{
    g_autoptr(DuetBatch) rows = duet_test_batch(ddl, json);
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    gsize n_rows = duet_batch_n_rows(rows);
    for (guint partition = 0; partition < n_partitions; partition++) {
        gsize from = n_rows * partition / n_partitions,
              to = n_rows * (partition + 1) / n_partitions;
        GPtrArray *batches = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(batches, duet_batch_slice(rows, from, to - from));
        g_ptr_array_add(partitions, batches);
    }
    gboolean ok = duet_sink_add_batch(sink, batch_id, partitions, mode, error);
    g_ptr_array_unref(partitions);
    return ok;
}

/* Every type into the columns made for it, read back exactly; re-runs skipped, by the same sink
 * and by a new one. */
static void
test_postgres_types_and_idempotence(void)
{
    const char *ddl = "id INT, name STRING, big BIGINT, ratio DOUBLE, ok BOOLEAN, raw BINARY, "
                      "at TIMESTAMP, day DATE, tags ARRAY<STRING>";
    GError *error = NULL;
    DuetSink *sink = postgres_sink(ddl, &error, "table", "typed", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    g_autofree char *description = duet_sink_description(sink);
    CU_ASSERT_TRUE(g_str_has_prefix(description, "PostgresSink[postgres on 127.0.0.1:"));
    CU_ASSERT_TRUE(g_str_has_suffix(description, ", table=typed]"));
    g_autofree char *columns =
        query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = "
              "'typed' ORDER BY ordinal_position");
    ASSERT_STR_EQ(columns, "id|integer;name|text;big|bigint;ratio|double precision;ok|boolean;"
                           "raw|bytea;at|timestamp without time zone;day|date;tags|text;");
    CU_ASSERT_TRUE(add_rows(sink, 0, ddl,
                            "[[1, \"a'b\\\"c\", 9007199254740993, 0.1, true, \"xy\", "
                            "1459107570123456, 16887, [\"x\", null]], "
                            "[2, null, null, null, null, null, null, null, null], "
                            "[3, \"tab\\tnew\\nline\", -1, -1e300, false, \"\", -1, -1, []]]",
                            2, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    const char *select = "SELECT id, name, big, ratio, ok, raw, at, day, tags FROM typed ORDER BY "
                         "id";
    g_autofree char *rows = query(select);
    ASSERT_STR_EQ(rows, "1|a'b\"c|9007199254740993|0.1|t|\\x7879|2016-03-27 19:39:30.123456|"
                        "2016-03-27|[\"x\",null];"
                        "2|null|null|null|null|null|null|null|null;"
                        "3|tab\tnew\nline|-1|-1e+300|f|\\x|1969-12-31 23:59:59.999999|1969-12-31|"
                        "[];");
    /* the same batch again: skipped; the next one lands */
    CU_ASSERT_TRUE(add_rows(sink, 0, ddl, "[[9, \"dup\", 0, 0, true, \"\", 0, 0, []]]", 1,
                            DUET_OUTPUT_MODE_APPEND, &error));
    CU_ASSERT_TRUE(add_rows(sink, 1, ddl, "[[4, \"four\", 4, 4, true, \"\", 0, 0, []]]", 1,
                            DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    duet_sink_unref(sink);

    /* a restart: a new sink finds batch 1 recorded and skips it */
    DuetSink *again = postgres_sink(ddl, &error, "dbtable", "typed", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(again);
    CU_ASSERT_TRUE(add_rows(again, 1, ddl, "[[8, \"dup\", 0, 0, true, \"\", 0, 0, []]]", 1,
                            DUET_OUTPUT_MODE_APPEND, &error));
    CU_ASSERT_TRUE(add_rows(again, 2, ddl, "[[5, \"five\", 5, 5, true, \"\", 0, 0, []]]", 1,
                            DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    duet_sink_unref(again);
    g_autofree char *ids = query("SELECT string_agg(id::text, ',' ORDER BY id) FROM typed");
    ASSERT_STR_EQ(ids, "1,2,3,4,5;");
    g_autofree char *batches = query("SELECT sink, batch_id FROM duet_batches WHERE sink = "
                                     "'typed' ORDER BY batch_id");
    ASSERT_STR_EQ(batches, "typed|0;typed|1;typed|2;");
}

/* Complete replaces the rows, Update is refused, and two sinks on one table are told apart by
 * queryName. */
static void
test_postgres_modes_and_names(void)
{
    const char *ddl = "word STRING, n BIGINT";
    GError *error = NULL;
    g_autoptr(DuetSink) sink = postgres_sink(ddl, &error, "table", "counts", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    CU_ASSERT_TRUE(
        add_rows(sink, 0, ddl, "[[\"a\", 1], [\"b\", 2]]", 1, DUET_OUTPUT_MODE_COMPLETE, &error));
    CU_ASSERT_TRUE(
        add_rows(sink, 1, ddl, "[[\"a\", 3], [\"c\", 1]]", 2, DUET_OUTPUT_MODE_COMPLETE, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *rows = query("SELECT word, n FROM counts ORDER BY word");
    ASSERT_STR_EQ(rows, "a|3;c|1;");
    CU_ASSERT_FALSE(add_rows(sink, 2, ddl, "[]", 1, DUET_OUTPUT_MODE_UPDATE, &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION);
    ASSERT_STR_EQ(error->message, "Data source postgres does not support Update output mode "
                                  "without key columns (set the option keyColumns, e.g. "
                                  "keyColumns=word, to upsert)");
    g_clear_error(&error);

    /* another query writing the same table keeps its own batch ids */
    g_autoptr(DuetSink) other =
        postgres_sink(ddl, &error, "table", "counts", "queryName", "second", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(other);
    CU_ASSERT_TRUE(add_rows(other, 0, ddl, "[[\"z\", 26]]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *all = query("SELECT word, n FROM counts ORDER BY word");
    ASSERT_STR_EQ(all, "a|3;c|1;z|26;");
    g_autofree char *batches = query("SELECT sink, batch_id FROM duet_batches WHERE sink IN "
                                     "('counts', 'second') ORDER BY sink, batch_id");
    ASSERT_STR_EQ(batches, "counts|0;counts|1;second|0;");
}

/* A row the table refuses fails the batch and leaves nothing of it; the batch id is not
 * recorded, so its re-run lands. */
static void
test_postgres_rollback(void)
{
    execute("CREATE TABLE strict (k TEXT, n BIGINT NOT NULL CHECK (n >= 0))");
    const char *ddl = "k STRING, n BIGINT";
    GError *error = NULL;
    g_autoptr(DuetSink) sink = postgres_sink(ddl, &error, "table", "strict", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    CU_ASSERT_FALSE(
        add_rows(sink, 0, ddl, "[[\"a\", 1], [\"b\", -1]]", 2, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
    CU_ASSERT_TRUE(strstr(error->message, ", table strict: inserting a row: ERROR:  new row for "
                                          "relation \"strict\" violates check constraint") != NULL);
    g_clear_error(&error);
    ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), -1);
    g_autofree char *nothing = query("SELECT count(*) FROM strict");
    ASSERT_STR_EQ(nothing, "0;");
    g_autofree char *unrecorded = query("SELECT count(*) FROM duet_batches WHERE sink = 'strict'");
    ASSERT_STR_EQ(unrecorded, "0;");
    CU_ASSERT_TRUE(
        add_rows(sink, 0, ddl, "[[\"a\", 1], [\"b\", 2]]", 2, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *rows = query("SELECT k, n FROM strict ORDER BY k");
    ASSERT_STR_EQ(rows, "a|1;b|2;");
}

typedef struct {
    DuetSink *sink;
    const char *ddl;
    gboolean ok;
} Writer;

static gpointer
write_batch_zero(gpointer data)
{
    Writer *writer = data;
    GError *error = NULL;
    writer->ok =
        add_rows(writer->sink, 0, writer->ddl, "[\"once\"]", 1, DUET_OUTPUT_MODE_APPEND, &error);
    ASSERT_NO_ERROR(error);
    g_clear_error(&error);
    return NULL;
}

/* Two sinks of one name (two processes after a failover) write batch 0 at once: the advisory
 * lock makes the second wait, see the batch recorded, and skip it. */
static void
test_postgres_concurrent_writers(void)
{
    const char *ddl = "value STRING";
    GError *error = NULL;
    Writer writers[2] = {{.ddl = ddl}, {.ddl = ddl}};
    for (int index = 0; index < 2; index++) {
        writers[index].sink = postgres_sink(ddl, &error, "table", "raced", NULL);
        ASSERT_NO_ERROR(error);
        CU_ASSERT_PTR_NOT_NULL_FATAL(writers[index].sink);
    }
    GThread *threads[2];
    for (int index = 0; index < 2; index++)
        threads[index] = g_thread_new("writer", write_batch_zero, &writers[index]);
    for (int index = 0; index < 2; index++) {
        g_thread_join(threads[index]);
        CU_ASSERT_TRUE(writers[index].ok);
        duet_sink_unref(writers[index].sink);
    }
    g_autofree char *rows = query("SELECT value FROM raced");
    ASSERT_STR_EQ(rows, "once;");
}

/* The server ends the sink's session: the next batch re-opens the connection and lands, once. */
static void
test_postgres_connection_lost(void)
{
    const char *ddl = "value STRING";
    GError *error = NULL;
    g_autoptr(DuetSink) sink =
        postgres_sink(ddl, &error, "table", "survivor", "queryName", "survivor-query", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    CU_ASSERT_TRUE(add_rows(sink, 0, ddl, "[\"before\"]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *killed = query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE application_name = 'duet'");
    ASSERT_STR_EQ(killed, "t;");
    CU_ASSERT_TRUE(add_rows(sink, 1, ddl, "[\"after\"]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *rows = query("SELECT value FROM survivor ORDER BY value");
    ASSERT_STR_EQ(rows, "after;before;");
}

/* "schema.table" is a table in that schema. */
static void
test_postgres_qualified_table(void)
{
    execute("CREATE SCHEMA reports");
    const char *ddl = "value STRING";
    GError *error = NULL;
    g_autoptr(DuetSink) sink = postgres_sink(ddl, &error, "table", "reports.daily", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    CU_ASSERT_TRUE(add_rows(sink, 0, ddl, "[\"r\"]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *rows = query("SELECT value FROM reports.daily");
    ASSERT_STR_EQ(rows, "r;");
}

/* The message of a postgres sink made with these options (key, value, ..., NULL). */
#define sink_error(...) duet_test_sink_option_error("postgres", __VA_ARGS__)

static void
test_postgres_errors(void)
{
    g_autofree char *no_url = sink_error("v STRING", "table", "t", NULL);
    ASSERT_STR_EQ(no_url, "Option 'url' is required (postgresql://user@host:port/database, "
                          "jdbc:postgresql://... or a libpq \"host=... dbname=...\" string).");
    g_autofree char *no_table = sink_error("v STRING", "url", server_url(), NULL);
    ASSERT_STR_EQ(no_table, "Option 'table' is required (the table the sink writes into).");
    g_autofree char *refused =
        sink_error("v STRING", "url", "jdbc:postgresql://127.0.0.1:1/postgres", "table", "t",
                   "user", "duet", NULL);
    CU_ASSERT_TRUE(g_str_has_prefix(refused, "postgres sink: cannot connect to postgres on "
                                             "127.0.0.1:1: "));
    CU_ASSERT_TRUE(g_str_has_suffix(refused, "(is the server running, and are the url, user and "
                                             "password right?)"));
    CU_ASSERT_TRUE(strstr(refused, "Connection refused") != NULL);
    g_autofree char *unknown_role = sink_error("v STRING", "url", server_url(), "table", "t",
                                               "password", "unused", "user", "nobody_here", NULL);
    CU_ASSERT_TRUE(strstr(unknown_role, "role \"nobody_here\" does not exist") != NULL);
    /* a table that exists with other columns */
    execute("CREATE TABLE other_shape (a INTEGER)");
    g_autofree char *mismatch =
        sink_error("b STRING", "url", server_url(), "table", "other_shape", NULL);
    CU_ASSERT_TRUE(g_str_has_prefix(mismatch, "postgres sink postgres on 127.0.0.1:"));
    CU_ASSERT_TRUE(strstr(mismatch, ", table other_shape: the existing table does not match the "
                                    "schema (drop it or name another table): ERROR:  column "
                                    "\"b\" of relation \"other_shape\" does not exist") != NULL);
}

/* Runs tests/scripts/postgres.sh's DUET_POSTGRES_CTL with "stop" or "start". */
static void
server_ctl(const char *action)
{
    const char *control = g_getenv("DUET_POSTGRES_CTL");
    CU_ASSERT_PTR_NOT_NULL_FATAL(control);
    const char *argv[] = {control, action, NULL};
    GError *error = NULL;
    gint status = 0;
    gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                               NULL, NULL, &status, &error) &&
                  g_spawn_check_wait_status(status, &error);
    ASSERT_NO_ERROR(error);
    g_clear_error(&error);
    CU_ASSERT_TRUE_FATAL(ok);
}

/* The server stopped and started again (tests/scripts/postgres.sh's DUET_POSTGRES_CTL) between
 * batches and while the sink waits: a batch while it is down fails after reconnectTimeoutMs
 * with a message saying what to do and writes nothing; once it is back the re-run lands; a
 * restart between batches is invisible. Every batch is written exactly once. */
static void
test_postgres_server_restart(void)
{
    const char *ddl = "id BIGINT, value STRING";
    GError *error = NULL;
    g_autoptr(DuetSink) sink =
        postgres_sink(ddl, &error, "table", "restarted", "reconnectTimeoutMs", "1500", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    CU_ASSERT_TRUE(add_rows(sink, 0, ddl, "[[0, \"zero\"], [1, \"one\"]]", 2,
                            DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);

    server_ctl("stop");
    CU_ASSERT_FALSE(add_rows(sink, 1, ddl, "[[2, \"two\"]]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE);
    CU_ASSERT_TRUE(strstr(error->message, "table restarted: the connection was lost and could not "
                                          "be re-opened within 1500 ms: ") != NULL);
    CU_ASSERT_TRUE(strstr(error->message, "(is the server running? raise the option "
                                          "reconnectTimeoutMs to wait longer)") != NULL);
    g_clear_error(&error);
    server_ctl("start");
    CU_ASSERT_TRUE(add_rows(sink, 1, ddl, "[[2, \"two\"]]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);

    /* a restart between two batches: the next one reconnects by itself */
    server_ctl("stop");
    server_ctl("start");
    CU_ASSERT_TRUE(add_rows(sink, 2, ddl, "[[3, \"three\"], [4, \"four\"]]", 2,
                            DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    /* batch 2 again (a query re-running it after its own crash): skipped */
    CU_ASSERT_TRUE(add_rows(sink, 2, ddl, "[[3, \"three\"], [4, \"four\"]]", 2,
                            DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *rows = query("SELECT id, value FROM restarted ORDER BY id");
    ASSERT_STR_EQ(rows, "0|zero;1|one;2|two;3|three;4|four;");
    g_autofree char *batches =
        query("SELECT batch_id FROM duet_batches WHERE sink = 'restarted' ORDER BY batch_id");
    ASSERT_STR_EQ(batches, "0;1;2;");
}

/* keyColumns: the table made with a primary key, rows upserted, Update allowed, a re-run batch
 * skipped; a table without a key on those columns and unknown keys refused. */
static void
test_postgres_upsert(void)
{
    const char *ddl = "word STRING, lang STRING, n BIGINT";
    GError *error = NULL;
    g_autoptr(DuetSink) sink =
        postgres_sink(ddl, &error, "table", "upserted", "keyColumns", "word, lang", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
    g_autofree char *key = query("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON "
                                 "a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE "
                                 "i.indrelid = 'upserted'::regclass AND i.indisprimary "
                                 "ORDER BY a.attnum");
    ASSERT_STR_EQ(key, "word;lang;");
    CU_ASSERT_TRUE(add_rows(sink, 0, ddl,
                            "[[\"a\", \"en\", 1], [\"b\", \"en\", 2], [\"a\", \"fr\", 3]]", 2,
                            DUET_OUTPUT_MODE_UPDATE, &error));
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(add_rows(sink, 1, ddl,
                            "[[\"a\", \"en\", 10], [\"c\", \"en\", 4], [\"a\", \"en\", 11], "
                            "[\"b\", \"en\", null]]",
                            1, DUET_OUTPUT_MODE_UPDATE, &error));
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(
        add_rows(sink, 1, ddl, "[[\"a\", \"en\", 99]]", 1, DUET_OUTPUT_MODE_UPDATE, &error));
    CU_ASSERT_TRUE(
        add_rows(sink, 2, ddl, "[[\"a\", \"fr\", 30]]", 1, DUET_OUTPUT_MODE_APPEND, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *rows = query("SELECT word, lang, n FROM upserted ORDER BY word, lang");
    ASSERT_STR_EQ(rows, "a|en|11;a|fr|30;b|en|null;c|en|4;");

    /* every column a key: a repeat does nothing */
    g_autoptr(DuetSink) set =
        postgres_sink("word STRING", &error, "table", "word_set", "upsertKeys", "word", NULL);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(add_rows(set, 0, "word STRING", "[\"x\", \"y\", \"x\"]", 1,
                            DUET_OUTPUT_MODE_UPDATE, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *set_rows = query("SELECT word FROM word_set ORDER BY word");
    ASSERT_STR_EQ(set_rows, "x;y;");

    execute("CREATE TABLE keyless (word TEXT, lang TEXT, n BIGINT)");
    CU_ASSERT_PTR_NULL(postgres_sink(ddl, &error, "table", "keyless", "keyColumns", "word", NULL));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION);
    CU_ASSERT_TRUE(strstr(error->message, "has no primary key or unique constraint on the key "
                                          "columns (drop it, name another table, or add a UNIQUE "
                                          "constraint on the keys)") != NULL);
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(postgres_sink(ddl, &error, "table", "k", "keyColumns", "", NULL));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION);
    ASSERT_STR_EQ(error->message, "postgres sink: option keyColumns='' names no column; "
                                  "give a comma list of the schema's columns (word, lang, "
                                  "n)");
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(
        postgres_sink(ddl, &error, "table", "k", "reconnectTimeoutMs", "soon", NULL));
    ASSERT_ERROR(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION);
    ASSERT_STR_EQ(error->message, "Invalid value 'soon' for option 'reconnectTimeoutMs', must be "
                                  "a non-negative number of milliseconds");
    g_clear_error(&error);
}

DUET_TEST_MAIN("postgres_sink", DUET_TEST(test_postgres_types_and_idempotence),
               DUET_TEST(test_postgres_modes_and_names), DUET_TEST(test_postgres_rollback),
               DUET_TEST(test_postgres_concurrent_writers),
               DUET_TEST(test_postgres_connection_lost), DUET_TEST(test_postgres_qualified_table),
               DUET_TEST(test_postgres_errors), DUET_TEST(test_postgres_upsert),
               DUET_TEST(test_postgres_server_restart))
