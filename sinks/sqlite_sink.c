/* sqlite_sink.c — a SQLite table as an exactly-once sink.
 *
 * Layer: sinks/. Includes rdd/, sinks/ and sqlite3. The rows of a batch and its id go into the
 * database in one IMMEDIATE transaction: the id is recorded in duet_batches (sink, batch_id),
 * so a batch that was committed is recognised and skipped when it is run again (after a crash
 * between the sink's commit and the query's), and a batch that failed halfway leaves nothing.
 * The connection is opened once, by the constructor, and used under the sink's lock.
 *
 * With key columns (option keyColumns, alias upsertKeys: a comma list) rows are upserted:
 * INSERT ... ON CONFLICT (keys) DO UPDATE SET every other column, so a row replaces the row of
 * the same key, and the table is created with those columns as its primary key. That is what
 * Spark's Update output mode means for a table (each batch carries the changed rows of each
 * key), so Update is allowed exactly when keys are given.
 */
#include "sinks/sql_table.h"
#include "rdd/fault.h"
#include "rdd/format.h"
#include "rdd/json_rows.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

typedef struct {
    sqlite3 *db;          /* the open database */
    char *db_path;        /* for messages */
    char *table;          /* the target table, as given */
    char *quoted_table;   /* its SQL identifier */
    char *name;           /* the sink's key in duet_batches */
    sqlite3_stmt *insert; /* INSERT INTO table VALUES (?, ...) [ON CONFLICT ... DO UPDATE] */
    char **keys;          /* keyColumns, or NULL: append only */
} SqliteSink;

static void
sqlite_sink_finalize(gpointer data)
{
    SqliteSink *sqlite = data;
    sqlite3_finalize(sqlite->insert);
    sqlite3_close(sqlite->db);
    g_free(sqlite->db_path);
    g_free(sqlite->table);
    g_free(sqlite->quoted_table);
    g_free(sqlite->name);
    g_strfreev(sqlite->keys);
    g_free(sqlite);
}

static char *
sqlite_sink_description(DuetSink *sink)
{
    SqliteSink *sqlite = duet_sink_get_data(sink);
    return g_strdup_printf("SqliteSink[%s, table=%s]", sqlite->db_path, sqlite->table);
}

static const char *
column_type(DuetDataType *type)
{
    switch (duet_data_type_id(type)) {
    case DUET_TYPE_BOOLEAN:
    case DUET_TYPE_INT32:
    case DUET_TYPE_INT64:
        return "INTEGER";
    case DUET_TYPE_DOUBLE:
        return "REAL";
    case DUET_TYPE_BINARY:
        return "BLOB";
    default:
        return "TEXT";
    }
}

static gboolean
sql_error(GError **error, SqliteSink *sqlite, const char *what)
{
    g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE, "sqlite sink %s, table %s: %s: %s",
                sqlite->db_path, sqlite->table, what, sqlite3_errmsg(sqlite->db));
    return FALSE;
}

static gboolean
exec(SqliteSink *sqlite, const char *sql, const char *what, GError **error)
{
    if (sqlite3_exec(sqlite->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sql_error(error, sqlite, what);
    return TRUE;
}

/* Binds one value; text forms are built in scratch, which must outlive the step. */
static int
bind_value(sqlite3_stmt *statement, int index, const DuetValue *value, GString *scratch)
{
    if (value->is_null || value->type == DUET_TYPE_NULL)
        return sqlite3_bind_null(statement, index);
    switch (value->type) {
    case DUET_TYPE_BOOLEAN:
        return sqlite3_bind_int(statement, index, value->v.boolean ? 1 : 0);
    case DUET_TYPE_INT32:
        return sqlite3_bind_int(statement, index, value->v.i32);
    case DUET_TYPE_INT64:
        return sqlite3_bind_int64(statement, index, value->v.i64);
    case DUET_TYPE_DOUBLE:
        return sqlite3_bind_double(statement, index, value->v.f64);
    case DUET_TYPE_STRING:
        return sqlite3_bind_text(statement, index, value->v.str.data, (int)value->v.str.len,
                                 SQLITE_TRANSIENT);
    case DUET_TYPE_BINARY:
        return sqlite3_bind_blob(statement, index, value->v.str.data, (int)value->v.str.len,
                                 SQLITE_TRANSIENT);
    case DUET_TYPE_TIMESTAMP:
    case DUET_TYPE_DATE:
        g_string_truncate(scratch, 0);
        duet_format_value(scratch, value, DUET_FORMAT_SPARK_SQL);
        return sqlite3_bind_text(statement, index, scratch->str, (int)scratch->len,
                                 SQLITE_TRANSIENT);
    default:
        g_string_truncate(scratch, 0);
        duet_json_append_value(scratch, value);
        return sqlite3_bind_text(statement, index, scratch->str, (int)scratch->len,
                                 SQLITE_TRANSIENT);
    }
}

static gboolean
insert_rows(SqliteSink *sqlite, DuetBatch *rows, GError **error)
{
    GString *scratch = g_string_new(NULL);
    gboolean ok = TRUE;
    for (gsize row_idx = 0; ok && row_idx < duet_batch_n_rows(rows); row_idx++) {
        DuetRow row = duet_batch_row(rows, row_idx);
        sqlite3_reset(sqlite->insert);
        for (guint column = 0; ok && column < duet_batch_n_columns(rows); column++) {
            DuetValue value;
            duet_row_get_value(&row, column, &value);
            if (bind_value(sqlite->insert, (int)column + 1, &value, scratch) != SQLITE_OK)
                ok = sql_error(error, sqlite, "binding a value");
        }
        if (ok && sqlite3_step(sqlite->insert) != SQLITE_DONE)
            ok = sql_error(error, sqlite, "inserting a row");
    }
    sqlite3_reset(sqlite->insert);
    sqlite3_clear_bindings(sqlite->insert);
    g_string_free(scratch, TRUE);
    return ok;
}

/* The largest batch id recorded for this sink, or -1. */
static gboolean
recorded_batch_id(SqliteSink *sqlite, gint64 *latest, GError **error)
{
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(sqlite->db, "SELECT MAX(batch_id) FROM duet_batches WHERE sink = ?", -1,
                           &statement, NULL) != SQLITE_OK)
        return sql_error(error, sqlite, "reading duet_batches");
    sqlite3_bind_text(statement, 1, sqlite->name, -1, SQLITE_STATIC);
    gboolean ok = sqlite3_step(statement) == SQLITE_ROW;
    if (ok)
        *latest = sqlite3_column_type(statement, 0) == SQLITE_NULL
                      ? -1
                      : sqlite3_column_int64(statement, 0);
    else
        sql_error(error, sqlite, "reading duet_batches");
    sqlite3_finalize(statement);
    return ok;
}

static gboolean
record_batch_id(SqliteSink *sqlite, gint64 batch_id, GError **error)
{
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(sqlite->db, "INSERT INTO duet_batches (sink, batch_id) VALUES (?, ?)",
                           -1, &statement, NULL) != SQLITE_OK)
        return sql_error(error, sqlite, "recording the batch id");
    sqlite3_bind_text(statement, 1, sqlite->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(statement, 2, batch_id);
    gboolean ok = sqlite3_step(statement) == SQLITE_DONE;
    if (!ok)
        sql_error(error, sqlite, "recording the batch id");
    sqlite3_finalize(statement);
    return ok;
}

static gboolean
sqlite_sink_add_batch(DuetSink *sink, gint64 batch_id, GPtrArray *partitions, DuetOutputMode mode,
                      GError **error)
{
    SqliteSink *sqlite = duet_sink_get_data(sink);
    if (mode == DUET_OUTPUT_MODE_UPDATE && sqlite->keys == NULL) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Data source sqlite does not support Update output mode without key "
                    "columns (set the option keyColumns, e.g. keyColumns=word, to upsert)");
        return FALSE;
    }
    if (!exec(sqlite, "BEGIN IMMEDIATE", "starting a transaction", error))
        return FALSE;
    gint64 latest = -1;
    gboolean ok = recorded_batch_id(sqlite, &latest, error);
    if (ok && batch_id <= latest) {
        /* committed before: a re-run of this batch writes nothing */
        return exec(sqlite, "ROLLBACK", "ending a transaction", error);
    }
    if (ok && mode == DUET_OUTPUT_MODE_COMPLETE) {
        g_autofree char *sql = g_strconcat("DELETE FROM ", sqlite->quoted_table, NULL);
        ok = exec(sqlite, sql, "replacing the rows (Complete mode)", error);
    }
    for (guint partition = 0; ok && partition < partitions->len; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint index = 0; ok && index < batches->len; index++)
            ok = insert_rows(sqlite, g_ptr_array_index(batches, index), error);
    }
    if (ok)
        ok = record_batch_id(sqlite, batch_id, error);
    if (ok && duet_fault_sim(DUET_FAULT_SITE_SINK_WRITE, sqlite->db_path)) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                    "sqlite sink: rows written, not committed (injected fault)");
        ok = FALSE;
    }
    if (ok)
        ok = exec(sqlite, "COMMIT", "committing", error);
    if (!ok)
        sqlite3_exec(sqlite->db, "ROLLBACK", NULL, NULL, NULL);
    return ok;
}

static const DuetSinkClass sqlite_sink_class = {
    .format = "sqlite",
    .description = sqlite_sink_description,
    .add_batch = sqlite_sink_add_batch,
    .finalize = sqlite_sink_finalize,
};

/* The database file of a url: "jdbc:sqlite:PATH", "sqlite:PATH" or a bare PATH. */
static const char *
database_of(const char *url)
{
    if (g_str_has_prefix(url, "jdbc:sqlite:"))
        return url + strlen("jdbc:sqlite:");
    if (g_str_has_prefix(url, "sqlite://"))
        return url + strlen("sqlite://");
    if (g_str_has_prefix(url, "sqlite:"))
        return url + strlen("sqlite:");
    return url;
}

/* Creates the table and duet_batches if missing and prepares the insert. */
static gboolean
prepare_tables(SqliteSink *sqlite, DuetSchema *schema, GError **error)
{
    const char *const *keys = (const char *const *)sqlite->keys;
    g_autofree char *create =
        duet_sql_create_table(sqlite->quoted_table, schema, column_type, keys);
    g_autofree char *insert = duet_sql_insert(sqlite->quoted_table, schema, keys, FALSE);
    gboolean ok = exec(sqlite, create, "creating the table", error) &&
                  exec(sqlite,
                       "CREATE TABLE IF NOT EXISTS duet_batches (sink TEXT NOT NULL, batch_id "
                       "INTEGER NOT NULL, PRIMARY KEY (sink, batch_id))",
                       "creating duet_batches", error);
    if (ok && sqlite3_prepare_v2(sqlite->db, insert, -1, &sqlite->insert, NULL) != SQLITE_OK)
        ok = sql_error(error, sqlite,
                       sqlite->keys != NULL
                           ? "the existing table does not match the schema, or has no primary "
                             "key or unique index on the key columns (drop it, name another "
                             "table, or CREATE UNIQUE INDEX on the keys)"
                           : "the existing table does not match the schema (drop it or name "
                             "another table)");
    return ok;
}

DuetSink *
duet_sqlite_sink_new(GHashTable *options, DuetSchema *schema, GError **error)
{
    const char *url = duet_sink_option_get(options, "url");
    if (url == NULL)
        url = duet_sink_option_get(options, "path");
    if (url == NULL || *database_of(url) == '\0') {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Option 'url' is required (jdbc:sqlite:/path/to/db, or option 'path').");
        return NULL;
    }
    const char *table;
    char **keys = NULL;
    if (!duet_sql_table_options(options, schema, "sqlite", &table, &keys, error))
        return NULL;
    const char *name = duet_sink_option_get(options, "queryName");
    SqliteSink *sqlite = g_new0(SqliteSink, 1);
    sqlite->keys = keys;
    sqlite->db_path = g_strdup(database_of(url));
    sqlite->table = g_strdup(table);
    GString *quoted = g_string_new(NULL);
    duet_sql_append_identifier(quoted, table, -1);
    sqlite->quoted_table = g_string_free(quoted, FALSE);
    sqlite->name = g_strdup(name ? name : table);
    if (sqlite3_open_v2(sqlite->db_path, &sqlite->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "sqlite sink: cannot open the database %s: %s (does its directory exist?)",
                    sqlite->db_path, sqlite->db ? sqlite3_errmsg(sqlite->db) : "out of memory");
        sqlite_sink_finalize(sqlite);
        return NULL;
    }
    sqlite3_busy_timeout(sqlite->db, 5000);
    GError *local = NULL;
    if (!prepare_tables(sqlite, schema, &local)) {
        g_set_error_literal(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION, local->message);
        g_error_free(local);
        sqlite_sink_finalize(sqlite);
        return NULL;
    }
    return duet_sink_new_internal(&sqlite_sink_class, schema, sqlite);
}
