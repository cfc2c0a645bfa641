/* postgres_sink.c — a PostgreSQL table as an exactly-once sink.
 *
 * Layer: sinks/. Includes rdd/, sinks/ and libpq. The PostgreSQL twin of sqlite_sink.c: the rows
 * of a batch and its id go into the database in one transaction, the id recorded in
 * duet_batches (sink, batch_id), so a batch that was committed is recognised and skipped when
 * it runs again (after a crash between the sink's commit and the query's, or from another
 * process), and a batch that failed halfway leaves nothing. The transaction first takes an
 * advisory lock on the sink's name, so two writers of one sink take turns instead of failing on
 * duet_batches' primary key. Rows go in through one prepared INSERT, values as text (bytea as
 * binary). The connection is opened by the constructor and used under the sink's lock.
 *
 * A server that goes away (restarted, or the session ended) is reconnected to: a connection
 * found broken before a batch, or broken during one, is re-opened (retried until
 * reconnectTimeoutMs, default 30 s, has passed) and the batch run again from its start. That
 * is exactly once because the server rolled the broken transaction back; and if only the
 * answer to COMMIT was lost, the re-run finds the batch id in duet_batches and writes nothing.
 *
 * With key columns (keyColumns or upsertKeys) rows are upserted, INSERT ... ON CONFLICT (keys)
 * DO UPDATE, the table is created with those columns as its primary key, and Update output
 * mode is allowed, as in sqlite_sink.c.
 */
#include "sinks/sql_table.h"
#include "rdd/json_rows.h"

#include <libpq-fe.h>
#include <math.h>
#include <string.h>

#define INSERT_STATEMENT "duet_insert"

typedef struct {
    PGconn *connection;  /* open */
    char *where;         /* "dbname on host:port", for messages (no password) */
    char *table;         /* the target table, as given */
    char *quoted_table;  /* "schema"."table" or "table" */
    char *name;          /* the sink's key in duet_batches */
    guint n_columns;     /* of the schema */
    char **keys;         /* keyColumns, or NULL: append only */
    gint64 reconnect_ms; /* reconnectTimeoutMs: how long a lost server is waited for */
} Postgres;

static void
postgres_finalize(gpointer data)
{
    Postgres *postgres = data;
    if (postgres->connection != NULL)
        PQfinish(postgres->connection);
    g_free(postgres->where);
    g_free(postgres->table);
    g_free(postgres->quoted_table);
    g_free(postgres->name);
    g_strfreev(postgres->keys);
    g_free(postgres);
}

static char *
postgres_description(DuetSink *sink)
{
    Postgres *postgres = duet_sink_get_data(sink);
    return g_strdup_printf("PostgresSink[%s, table=%s]", postgres->where, postgres->table);
}

/* "table", or "schema"."table" for a name with a dot (PostgreSQL's schema qualification). */
static char *
quote_table(const char *table)
{
    GString *sql = g_string_new(NULL);
    const char *dot = strchr(table, '.');
    if (dot != NULL && dot != table && dot[1] != '\0') {
        duet_sql_append_identifier(sql, table, dot - table);
        g_string_append_c(sql, '.');
        duet_sql_append_identifier(sql, dot + 1, -1);
    } else {
        duet_sql_append_identifier(sql, table, -1);
    }
    return g_string_free(sql, FALSE);
}

static const char *
column_type(DuetDataType *type)
{
    switch (duet_data_type_id(type)) {
    case DUET_TYPE_BOOLEAN:
        return "BOOLEAN";
    case DUET_TYPE_INT32:
        return "INTEGER";
    case DUET_TYPE_INT64:
        return "BIGINT";
    case DUET_TYPE_DOUBLE:
        return "DOUBLE PRECISION";
    case DUET_TYPE_BINARY:
        return "BYTEA";
    case DUET_TYPE_TIMESTAMP:
        return "TIMESTAMP";
    case DUET_TYPE_DATE:
        return "DATE";
    default:
        return "TEXT";
    }
}

/* Sets a write error with the server's message; FALSE. */
static gboolean
pg_error(GError **error, Postgres *postgres, const char *what, const char *message)
{
    g_autofree char *text = g_strstrip(g_strdup(message ? message : ""));
    g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE, "postgres sink %s, table %s: %s: %s",
                postgres->where, postgres->table, what,
                *text ? text : PQerrorMessage(postgres->connection));
    return FALSE;
}

/* Runs sql (parameters as text); FALSE with an error naming what. */
static gboolean
exec(Postgres *postgres, const char *sql, int n_params, const char *const *params, const char *what,
     GError **error)
{
    PGresult *result =
        PQexecParams(postgres->connection, sql, n_params, NULL, params, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(result);
    gboolean ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok)
        pg_error(error, postgres, what, PQresultErrorMessage(result));
    PQclear(result);
    return ok;
}

/* A timestamp (microseconds since the epoch) as PostgreSQL text, in UTC. */
static void
format_timestamp(GString *out, gint64 micros)
{
    gint64 seconds = micros / G_USEC_PER_SEC, fraction = micros % G_USEC_PER_SEC;
    if (fraction < 0) {
        seconds--;
        fraction += G_USEC_PER_SEC;
    }
    g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(seconds);
    if (time == NULL) {
        g_string_append(out, micros < 0 ? "-infinity" : "infinity");
        return;
    }
    g_autofree char *text = g_date_time_format(time, "%Y-%m-%d %H:%M:%S");
    g_string_append_printf(out, "%s.%06" G_GINT64_FORMAT, text, fraction);
}

/* One value as a parameter: text in scratch (which must outlive the call), or the bytes of a
 * binary value (*binary set). NULL for null. */
static const char *
value_parameter(const DuetValue *value, GString *scratch, int *length, int *binary)
{
    *length = 0;
    *binary = 0;
    if (value->is_null || value->type == DUET_TYPE_NULL)
        return NULL;
    g_string_truncate(scratch, 0);
    switch (value->type) {
    case DUET_TYPE_BOOLEAN:
        g_string_append(scratch, value->v.boolean ? "true" : "false");
        break;
    case DUET_TYPE_INT32:
        g_string_append_printf(scratch, "%" G_GINT32_FORMAT, value->v.i32);
        break;
    case DUET_TYPE_INT64:
        g_string_append_printf(scratch, "%" G_GINT64_FORMAT, value->v.i64);
        break;
    case DUET_TYPE_DOUBLE:
        if (isnan(value->v.f64))
            g_string_append(scratch, "NaN");
        else if (isinf(value->v.f64))
            g_string_append(scratch, value->v.f64 > 0 ? "Infinity" : "-Infinity");
        else
            g_string_append_printf(scratch, "%.17g", value->v.f64);
        break;
    case DUET_TYPE_STRING:
        g_string_append_len(scratch, value->v.str.data, (gssize)value->v.str.len);
        break;
    case DUET_TYPE_BINARY:
        *binary = 1;
        *length = (int)value->v.str.len;
        return value->v.str.len ? value->v.str.data : "";
    case DUET_TYPE_TIMESTAMP:
        format_timestamp(scratch, value->v.i64);
        break;
    case DUET_TYPE_DATE: {
        GDate date;
        g_date_clear(&date, 1);
        g_date_set_dmy(&date, 1, G_DATE_JANUARY, 1970);
        if (value->v.i32 >= 0)
            g_date_add_days(&date, (guint)value->v.i32);
        else
            g_date_subtract_days(&date, (guint)-value->v.i32);
        g_string_append_printf(scratch, "%04u-%02u-%02u", g_date_get_year(&date),
                               g_date_get_month(&date), g_date_get_day(&date));
        break;
    }
    default:
        duet_json_append_value(scratch, value);
        break;
    }
    *length = (int)scratch->len;
    return scratch->str;
}

static gboolean
insert_rows(Postgres *postgres, DuetBatch *rows, GError **error)
{
    guint n_columns = postgres->n_columns;
    GString **scratch = g_new0(GString *, n_columns);
    const char **values = g_new0(const char *, n_columns);
    int *lengths = g_new0(int, n_columns), *formats = g_new0(int, n_columns);
    for (guint column = 0; column < n_columns; column++)
        scratch[column] = g_string_new(NULL);
    gboolean ok = TRUE;
    for (gsize row_idx = 0; ok && row_idx < duet_batch_n_rows(rows); row_idx++) {
        DuetRow row = duet_batch_row(rows, row_idx);
        for (guint column = 0; column < n_columns; column++) {
            DuetValue value;
            duet_row_get_value(&row, column, &value);
            values[column] =
                value_parameter(&value, scratch[column], &lengths[column], &formats[column]);
        }
        PGresult *result = PQexecPrepared(postgres->connection, INSERT_STATEMENT, (int)n_columns,
                                          values, lengths, formats, 0);
        if (PQresultStatus(result) != PGRES_COMMAND_OK)
            ok = pg_error(error, postgres, "inserting a row", PQresultErrorMessage(result));
        PQclear(result);
    }
    for (guint column = 0; column < n_columns; column++)
        g_string_free(scratch[column], TRUE);
    g_free(scratch);
    g_free(values);
    g_free(lengths);
    g_free(formats);
    return ok;
}

/* The largest batch id recorded for this sink, or -1. */
static gboolean
recorded_batch_id(Postgres *postgres, gint64 *latest, GError **error)
{
    const char *params[] = {postgres->name};
    PGresult *result =
        PQexecParams(postgres->connection, "SELECT MAX(batch_id) FROM duet_batches WHERE sink = $1",
                     1, NULL, params, NULL, NULL, 0);
    gboolean ok = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
    if (ok)
        *latest =
            PQgetisnull(result, 0, 0) ? -1 : g_ascii_strtoll(PQgetvalue(result, 0, 0), NULL, 10);
    else
        pg_error(error, postgres, "reading duet_batches", PQresultErrorMessage(result));
    PQclear(result);
    return ok;
}

/* Prepares the INSERT of every column of the schema. */
static gboolean
prepare_insert(Postgres *postgres, DuetSchema *schema, GError **error)
{
    g_autofree char *insert =
        duet_sql_insert(postgres->quoted_table, schema, (const char *const *)postgres->keys, TRUE);
    PGresult *result =
        PQprepare(postgres->connection, INSERT_STATEMENT, insert, (int)postgres->n_columns, NULL);
    gboolean ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    if (!ok)
        pg_error(error, postgres,
                 postgres->keys != NULL
                     ? "the existing table does not match the schema, or has no primary key or "
                       "unique constraint on the key columns (drop it, name another table, or "
                       "add a UNIQUE constraint on the keys)"
                     : "the existing table does not match the schema (drop it or name another "
                       "table)",
                 PQresultErrorMessage(result));
    PQclear(result);
    if (ok && postgres->keys != NULL) {
        /* PostgreSQL matches ON CONFLICT to a unique index when it plans the statement, not when
         * it prepares it: plan it now (EXPLAIN runs nothing), so a table without a key on the
         * key columns is refused here rather than by the first batch */
        GString *sql = g_string_new("EXPLAIN EXECUTE " INSERT_STATEMENT " (");
        for (guint field = 0; field < postgres->n_columns; field++)
            g_string_append(sql, field ? ", NULL" : "NULL");
        g_string_append(sql, ")");
        result = PQexec(postgres->connection, sql->str);
        g_string_free(sql, TRUE);
        ok = PQresultStatus(result) == PGRES_TUPLES_OK;
        if (!ok)
            pg_error(error, postgres,
                     "the existing table has no primary key or unique constraint on the key "
                     "columns (drop it, name another table, or add a UNIQUE constraint on the "
                     "keys)",
                     PQresultErrorMessage(result));
        PQclear(result);
    }
    return ok;
}

/* Re-opens a broken connection (the server restarted, or ended the session), trying again
 * every 200 ms until reconnect_ms has passed, and prepares the insert on the new session. */
static gboolean
reconnect(Postgres *postgres, DuetSchema *schema, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + postgres->reconnect_ms * 1000;
    for (;;) {
        PQreset(postgres->connection);
        if (PQstatus(postgres->connection) == CONNECTION_OK)
            break;
        if (g_get_monotonic_time() >= deadline) {
            g_autofree char *reason = g_strstrip(g_strdup(PQerrorMessage(postgres->connection)));
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_WRITE,
                        "postgres sink %s, table %s: the connection was lost and could not be "
                        "re-opened within %" G_GINT64_FORMAT " ms: %s (is the server running? "
                        "raise the option reconnectTimeoutMs to wait longer)",
                        postgres->where, postgres->table, postgres->reconnect_ms, reason);
            return FALSE;
        }
        g_usleep(200 * 1000); /* a server coming back: wait for it, not spin */
    }
    g_info("postgres sink %s, table %s: reconnected", postgres->where, postgres->table);
    return prepare_insert(postgres, schema, error);
}

static gboolean
ensure_connection(Postgres *postgres, DuetSchema *schema, GError **error)
{
    return PQstatus(postgres->connection) == CONNECTION_OK || reconnect(postgres, schema, error);
}

/* One batch in one transaction: skipped when its id is recorded, else its rows and its id. */
static gboolean
write_batch(Postgres *postgres, gint64 batch_id, GPtrArray *partitions, DuetOutputMode mode,
            GError **error)
{
    if (!exec(postgres, "BEGIN", 0, NULL, "starting a transaction", error))
        return FALSE;
    /* two writers of one sink take turns: the second then sees the first's batch id */
    const char *lock_params[] = {postgres->name};
    gboolean ok =
        exec(postgres, "SELECT pg_advisory_xact_lock(hashtext('duet_batches'), hashtext($1))", 1,
             lock_params, "locking the sink's batches", error);
    gint64 latest = -1;
    if (ok)
        ok = recorded_batch_id(postgres, &latest, error);
    if (ok && batch_id <= latest) {
        /* committed before: a re-run of this batch writes nothing */
        return exec(postgres, "ROLLBACK", 0, NULL, "ending a transaction", error);
    }
    if (ok && mode == DUET_OUTPUT_MODE_COMPLETE) {
        g_autofree char *sql = g_strconcat("DELETE FROM ", postgres->quoted_table, NULL);
        ok = exec(postgres, sql, 0, NULL, "replacing the rows (Complete mode)", error);
    }
    for (guint partition = 0; ok && partition < partitions->len; partition++) {
        GPtrArray *batches = g_ptr_array_index(partitions, partition);
        for (guint index = 0; ok && index < batches->len; index++)
            ok = insert_rows(postgres, g_ptr_array_index(batches, index), error);
    }
    if (ok) {
        g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, batch_id);
        const char *params[] = {postgres->name, id};
        ok = exec(postgres, "INSERT INTO duet_batches (sink, batch_id) VALUES ($1, $2)", 2, params,
                  "recording the batch id", error);
    }
    if (ok)
        ok = exec(postgres, "COMMIT", 0, NULL, "committing", error);
    if (!ok)
        PQclear(PQexec(postgres->connection, "ROLLBACK"));
    return ok;
}

static gboolean
postgres_add_batch(DuetSink *sink, gint64 batch_id, GPtrArray *partitions, DuetOutputMode mode,
                   GError **error)
{
    Postgres *postgres = duet_sink_get_data(sink);
    if (mode == DUET_OUTPUT_MODE_UPDATE && postgres->keys == NULL) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Data source postgres does not support Update output mode without key "
                    "columns (set the option keyColumns, e.g. keyColumns=word, to upsert)");
        return FALSE;
    }
    DuetSchema *schema = duet_sink_schema(sink);
    if (!ensure_connection(postgres, schema, error))
        return FALSE;
    GError *local = NULL;
    if (write_batch(postgres, batch_id, partitions, mode, &local))
        return TRUE;
    if (PQstatus(postgres->connection) == CONNECTION_OK) {
        g_propagate_error(error, local);
        return FALSE;
    }
    /* the connection broke during the batch: the server rolled it back (or committed it and
     * only the answer was lost, which the ledger tells); reconnect and run it again */
    g_info("%s; reconnecting to run batch %" G_GINT64_FORMAT " again", local->message, batch_id);
    g_clear_error(&local);
    return reconnect(postgres, schema, error) &&
           write_batch(postgres, batch_id, partitions, mode, error);
}

static const DuetSinkClass postgres_sink_class = {
    .format = "postgres",
    .description = postgres_description,
    .add_batch = postgres_add_batch,
    .finalize = postgres_finalize,
};

/* A libpq connection string of a url: "jdbc:postgresql://..." loses its "jdbc:"; libpq takes
 * postgresql:// and postgres:// URIs and "key=value" strings as they are. */
static const char *
conninfo_of(const char *url)
{
    return g_str_has_prefix(url, "jdbc:") ? url + strlen("jdbc:") : url;
}

/* Creates the table and duet_batches when missing. */
static gboolean
create_tables(Postgres *postgres, DuetSchema *schema, GError **error)
{
    g_autofree char *create = duet_sql_create_table(postgres->quoted_table, schema, column_type,
                                                    (const char *const *)postgres->keys);
    return exec(postgres, create, 0, NULL, "creating the table", error) &&
           exec(postgres,
                "CREATE TABLE IF NOT EXISTS duet_batches (sink TEXT NOT NULL, batch_id "
                "BIGINT NOT NULL, PRIMARY KEY (sink, batch_id))",
                0, NULL, "creating duet_batches", error);
}

/* The server's notices ("relation already exists, skipping") go to the debug log, not stderr. */
static void
quiet_notice(void *user_data, const char *message)
{
    g_debug("postgres sink: %s", message);
}

static gboolean
connect_and_prepare(Postgres *postgres, const char *url, GHashTable *options, DuetSchema *schema,
                    GError **error)
{
    const char *keywords[] = {"dbname", "user", "password", "application_name", NULL};
    const char *values[] = {conninfo_of(url), duet_sink_option_get(options, "user"),
                            duet_sink_option_get(options, "password"), "duet", NULL};
    /* NULL values end libpq's list early: compact the given ones */
    const char *given_keywords[5], *given_values[5];
    guint n_given = 0;
    for (guint index = 0; keywords[index] != NULL; index++) {
        if (values[index] == NULL)
            continue;
        given_keywords[n_given] = keywords[index];
        given_values[n_given++] = values[index];
    }
    given_keywords[n_given] = given_values[n_given] = NULL;
    postgres->connection = PQconnectdbParams(given_keywords, given_values, 1);
    if (postgres->connection == NULL) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "postgres sink: out of memory opening a connection");
        return FALSE;
    }
    const char *host = PQhost(postgres->connection), *port = PQport(postgres->connection);
    const char *database = PQdb(postgres->connection);
    postgres->where = g_strdup_printf("%s on %s:%s", database ? database : "?",
                                      host && *host ? host : "?", port && *port ? port : "?");
    PQsetNoticeProcessor(postgres->connection, quiet_notice, NULL);
    if (PQstatus(postgres->connection) != CONNECTION_OK) {
        g_autofree char *message = g_strstrip(g_strdup(PQerrorMessage(postgres->connection)));
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "postgres sink: cannot connect to %s: %s (is the server running, and are the "
                    "url, user and password right?)",
                    postgres->where, message);
        return FALSE;
    }
    GError *local = NULL;
    if (!create_tables(postgres, schema, &local) || !prepare_insert(postgres, schema, &local)) {
        g_set_error_literal(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION, local->message);
        g_error_free(local);
        return FALSE;
    }
    return TRUE;
}

DuetSink *
duet_postgres_sink_new(GHashTable *options, DuetSchema *schema, GError **error)
{
    const char *url = duet_sink_option_get(options, "url");
    if (url == NULL || *conninfo_of(url) == '\0') {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Option 'url' is required (postgresql://user@host:port/database, "
                    "jdbc:postgresql://... or a libpq \"host=... dbname=...\" string).");
        return NULL;
    }
    char **keys = NULL;
    gint64 reconnect_ms = 30000;
    const char *timeout = duet_sink_option_get(options, "reconnectTimeoutMs");
    if (timeout != NULL) {
        char *end = NULL;
        reconnect_ms = g_ascii_strtoll(timeout, &end, 10);
        if (end == timeout || *end != '\0' || reconnect_ms < 0) {
            g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                        "Invalid value '%s' for option 'reconnectTimeoutMs', must be a "
                        "non-negative number of milliseconds",
                        timeout);
            return NULL;
        }
    }
    const char *table;
    if (!duet_sql_table_options(options, schema, "postgres", &table, &keys, error))
        return NULL;
    const char *name = duet_sink_option_get(options, "queryName");
    Postgres *postgres = g_new0(Postgres, 1);
    postgres->keys = keys;
    postgres->reconnect_ms = reconnect_ms;
    postgres->table = g_strdup(table);
    postgres->quoted_table = quote_table(table);
    postgres->name = g_strdup(name ? name : table);
    postgres->n_columns = duet_schema_n_fields(schema);
    if (!connect_and_prepare(postgres, url, options, schema, error)) {
        postgres_finalize(postgres);
        return NULL;
    }
    return duet_sink_new_internal(&postgres_sink_class, schema, postgres);
}
