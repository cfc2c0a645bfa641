/* sink.h — output sinks shared by both APIs: each batch written once per batch id.
 *
 * Layer: sinks/ (includes rdd/ and the client headers of sources/). A sink receives a batch's
 * rows as partitions (a GPtrArray of partitions, each a GPtrArray of DuetBatch), a batch id
 * and an output mode, and is idempotent by batch id: adding a batch id not greater than the
 * last one committed does nothing, so a batch re-run after a failure never writes twice
 * (Spark's MemorySink/FileStreamSink rule). A fault-injection site (DUET_FAULT_SITE_SINK_COMMIT)
 * precedes every commit. Sinks are thread-safe and reference-counted.
 */
#pragma once

#include "rdd/rdd.h"

G_BEGIN_DECLS

typedef struct _DuetSink DuetSink;

#define DUET_SINK_ERROR (duet_sink_error_quark())
GQuark duet_sink_error_quark(void);

typedef enum {
    DUET_SINK_ERROR_WRITE,  /* the sink could not write (message says why) */
    DUET_SINK_ERROR_OPTION, /* a bad option or input column, or an unsupported output mode
                             * (message names it) */
    DUET_SINK_ERROR_FAILED, /* a user function failed */
} DuetSinkError;

/* Spark's output modes. */
typedef enum {
    DUET_OUTPUT_MODE_APPEND,
    DUET_OUTPUT_MODE_UPDATE,
    DUET_OUTPUT_MODE_COMPLETE,
} DuetOutputMode;

typedef struct {
    const char *format;
    char *(*description)(DuetSink *sink);
    gboolean (*add_batch)(DuetSink *sink, gint64 batch_id, GPtrArray *partitions,
                          DuetOutputMode mode, GError **error);
    void (*finalize)(gpointer data);
} DuetSinkClass;

/* For kinds. (transfer none) on schema. */
DuetSink *duet_sink_new_internal(const DuetSinkClass *klass, DuetSchema *schema, gpointer data);
gpointer duet_sink_get_data(DuetSink *sink);
const DuetSinkClass *duet_sink_get_class(DuetSink *sink);
/* Options as Spark passes them: a table of string keys (a DuetSourceOptions, or any table of
 * strings), compared case-insensitively. NULL when absent or when options is NULL. */
const char *duet_sink_option_get(GHashTable *options, const char *key);

DuetSink *duet_sink_ref(DuetSink *sink);
void duet_sink_unref(DuetSink *sink);
DuetSchema *duet_sink_schema(DuetSink *sink);
char *duet_sink_description(DuetSink *sink);
/* Writes batch_id unless it was already committed (then returns TRUE doing nothing). */
gboolean duet_sink_add_batch(DuetSink *sink, gint64 batch_id, GPtrArray *partitions,
                             DuetOutputMode mode, GError **error);
/* Continuous processing: the rows of an epoch arrive in parts, each written at once (console,
 * memory, foreach, kafka and zmq sinks only: Spark's continuous sinks); the epoch is committed
 * when it ends. Parts of an epoch already committed are ignored. */
gboolean duet_sink_add_epoch_part(DuetSink *sink, gint64 epoch, GPtrArray *partitions,
                                  DuetOutputMode mode, GError **error);
void duet_sink_commit_epoch(DuetSink *sink, gint64 epoch);
/* The last committed batch id, or -1. */
gint64 duet_sink_latest_batch_id(DuetSink *sink);
/* One batch as a single partition list (for callers holding one DuetBatch). (transfer full) */
GPtrArray *duet_sink_partitions_of(DuetBatch *batch);

/* A sink by Spark's format name: "console" (options numRows, truncate), "memory", "json",
 * "csv", "text" (the file sink), "kafka", "zmq", "sqlite", "postgres"; options matched
 * case-insensitively. (transfer none) on options and schema. */
DuetSink *duet_sink_new(const char *format, GHashTable *options, DuetSchema *schema,
                        GError **error);
/* The key columns of a database sink: option keyColumns (alias upsertKeys), a comma list of
 * column names of schema (exact, trimmed, each once), in *keys (transfer full, NULL-terminated)
 * or NULL when the option is absent. An unknown, empty or repeated name is a
 * DUET_SINK_ERROR_OPTION naming the sink kind and the schema's columns. */
gboolean duet_sink_key_columns(GHashTable *options, DuetSchema *schema, const char *kind,
                               char ***keys, GError **error);

/* ---- console -------------------------------------------------------------------------- */

/* Receives the text a console sink prints; NULL = standard output. */
typedef void (*DuetSinkTextFunc)(const char *text, gpointer user_data);
/* Spark's console sink: per batch, "Batch: N" and show(num_rows, truncate). */
DuetSink *duet_console_sink_new(DuetSchema *schema, gint num_rows, gboolean truncate,
                                DuetSinkTextFunc text_func, gpointer user_data);
/* Prints text already formatted by an API (DStream print/pprint) through the sink. */
void duet_console_sink_print(DuetSink *sink, const char *text);

/* ---- memory ----------------------------------------------------------------------------- */

/* Spark's MemorySink: Append/Update add rows, Complete replaces them. */
DuetSink *duet_memory_sink_new(DuetSchema *schema);
/* All rows, and the rows of the last committed batch. (transfer full) */
DuetBatch *duet_memory_sink_all_data(DuetSink *sink);
DuetBatch *duet_memory_sink_latest_batch_data(DuetSink *sink);

/* ---- foreachBatch and foreach ----------------------------------------------------------- */

typedef gboolean (*DuetForeachBatchFunc)(DuetBatch *rows, gint64 batch_id, gpointer user_data,
                                         GError **error);
DuetSink *duet_foreach_batch_sink_new(DuetSchema *schema, DuetForeachBatchFunc func,
                                      gpointer user_data);

/* Spark's ForeachWriter: per partition and batch, open(partition, epoch); if it returns TRUE,
 * process(row) for each row; then close(error) with the error message or NULL. process
 * returning FALSE (with *message set, freed by the sink) is the exception Spark would see:
 * close gets it, and the batch fails. */
typedef struct {
    gboolean (*open)(guint partition, gint64 epoch, gpointer user_data);
    gboolean (*process)(const DuetRow *row, char **message, gpointer user_data);
    void (*close)(const char *error, gpointer user_data);
} DuetForeachWriter;
DuetSink *duet_foreach_sink_new(DuetSchema *schema, const DuetForeachWriter *writer,
                                gpointer user_data);

/* ---- kafka: Spark's Kafka sink ------------------------------------------------------------ */

/* Every row becomes one Kafka record: "value" (string or binary, required), "key" (string or
 * binary), "topic" (string; the "topic" option wins over it), "partition" (int), "timestamp"
 * (timestamp, or double seconds) and "headers" (array<struct<key:string,value:binary>>)
 * columns, found by exact name. options are DuetSourceOptions (sources/source.h): "topic", and
 * every "kafka.<name>" given to librdkafka as "<name>" (kafka.bootstrap.servers is required;
 * enable.idempotence defaults to true and acks to all, as the Java producer's do). A bad
 * option or column is a DUET_SINK_ERROR_OPTION with Spark's message ("Required attribute
 * 'value' not found"). A batch is acknowledged only when every record is delivered: a record
 * Kafka refuses fails its batch (DUET_SINK_ERROR_WRITE, with the broker's reason) once the
 * batch is flushed. (transfer none) on schema and options. */
DuetSink *duet_kafka_sink_new(DuetSchema *schema, GHashTable *options, GError **error);

/* ---- zmq: a ZeroMQ PUB or PUSH socket ------------------------------------------------------ */

/* Every row becomes one message of its "value" column (string or binary, required), framed as
 * [topic, value] when the "topic" option or a "topic" string column gives a topic. options
 * (compared case-insensitively): url (alias endpoint), socketType pub (default) or push, bind
 * (default true), topic, topicFrame, sendTimeoutMs, sendHighWaterMark, minSubscribers (PUB),
 * lingerMs; sinks/zmq_sink.c tells what each does. A bad option or column, or an endpoint that
 * cannot be bound or connected, is a DUET_SINK_ERROR_OPTION naming it; a batch whose messages
 * no peer takes within sendTimeoutMs fails with DUET_SINK_ERROR_WRITE. Idempotent by batch id
 * within the process, as every sink. (transfer none) on schema and options. */
DuetSink *duet_zmq_sink_new(GHashTable *options, DuetSchema *schema, GError **error);
/* The endpoint the sink's socket is bound or connected to, a wildcard port resolved (bind to
 * tcp://127.0.0.1:* and read the port here). (transfer none) */
const char *duet_zmq_sink_endpoint(DuetSink *sink);

/* ---- file: Spark's FileStreamSink -------------------------------------------------------- */

/* format "json", "csv" (options header, sep, nullValue) or "text" (one string column); option
 * path, the output directory (created if missing); option partitionBy, a comma-separated list of
 * columns (Spark's DataStreamWriter.partitionBy): rows go under <col>=<value>/ directories
 * (values escaped as Spark does, nulls as __HIVE_DEFAULT_PARTITION__) into files without those
 * columns, with Spark's messages for a column not found, repeated, nested or when all columns
 * are partition columns. Part files part-NNNNN-<uuid>-c000.<ext>, one per non-empty partition
 * (and partition directory), and the log <path>/_spark_metadata/<batch id> in Spark's format (every
 * 10th batch compacted into <batch id>.compact, as Spark does). A batch id the log already holds is
 * skipped, whichever sink object wrote it. Append mode only: others fail with Spark's "Data source
 * json does not support Update output mode". Errors: DUET_SINK_ERROR_OPTION for options,
 * DUET_SINK_ERROR_WRITE for I/O. */
DuetSink *duet_file_sink_new(const char *format, GHashTable *options, DuetSchema *schema,
                             GError **error);
/* The latest batch id of the sink's _spark_metadata log, or -1. */
gint64 duet_file_sink_latest_logged_batch_id(DuetSink *sink);

/* ---- SQLite ----------------------------------------------------------------------------- */

/* Writes each batch into a SQLite table. Options: url ("jdbc:sqlite:/db", "sqlite:/db" or a
 * path) or path; table (alias dbtable), created from the schema when missing (INTEGER for
 * integers and booleans, REAL for doubles, TEXT for strings, dates and timestamps in Spark's
 * text, BLOB for binary, JSON TEXT for nested values). A batch's rows and its id, recorded in
 * the table duet_batches (sink, batch_id) under the sink's name (option queryName, default the
 * table name), commit in one transaction: a batch id not greater than one already recorded is
 * skipped, so every batch lands exactly once, across restarts too. Append adds rows, Complete
 * replaces the table's rows. With keyColumns (alias upsertKeys, a comma list) rows are upserted
 * (INSERT ... ON CONFLICT (keys) DO UPDATE), the table is created with those columns as its
 * primary key, and Update mode is allowed; without keys Update is refused. */
DuetSink *duet_sqlite_sink_new(GHashTable *options, DuetSchema *schema, GError **error);

/* ---- PostgreSQL --------------------------------------------------------------------------- */

/* Writes each batch into a PostgreSQL table, as the SQLite sink does. Options: url (a libpq
 * postgresql:// URI, jdbc:postgresql://... or a "host=... dbname=..." string), user and password
 * (override the url's), table (alias dbtable; "schema.table" is qualified), created from the
 * schema when missing (BOOLEAN, INTEGER, BIGINT, DOUBLE PRECISION, TEXT, BYTEA, TIMESTAMP in
 * UTC, DATE; nested values as JSON TEXT). A batch's rows and its id, recorded in the table
 * duet_batches (sink, batch_id) under the sink's name (option queryName, default the table
 * name), commit in one transaction: a batch id not greater than one already recorded is
 * skipped, so every batch lands exactly once, across restarts and processes too. Append adds
 * rows, Complete replaces the table's rows; keyColumns (alias upsertKeys) upserts on those
 * columns (the table's primary key when created) and allows Update, refused otherwise. A server
 * that cannot be reached or a table that does not fit the schema is a DUET_SINK_ERROR_OPTION at
 * creation; a failed write rolls the batch back (DUET_SINK_ERROR_WRITE). A server lost before
 * or during a batch (restarted) is reconnected to, retried until reconnectTimeoutMs (default
 * 30000) has passed, and the batch run again: written once. */
DuetSink *duet_postgres_sink_new(GHashTable *options, DuetSchema *schema, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetSink, duet_sink_unref)

G_END_DECLS
