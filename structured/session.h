/* session.h — Spark's SparkSession for streaming: readers, writers, the query manager.
 *
 * Layer: structured/ (includes rdd/, sources/, sinks/). The C form of
 *     spark = SparkSession.builder.master("local[2]").getOrCreate()
 *     df = spark.readStream.format("socket").option("host", h).option("port", p).load()
 *     q = df.writeStream.outputMode("complete").format("console").trigger(...).start()
 *     spark.streams.awaitAnyTermination()
 * A reader or writer is a builder: each call returns it for chaining, and load/start consume
 * it (an error set by any step is reported by load/start, as Spark reports bad options then).
 * The session's streams are its active queries; listeners hear every query it starts.
 */
#pragma once

#include "structured/query.h"

G_BEGIN_DECLS

typedef struct _DuetSession DuetSession;
typedef struct _DuetStreamReader DuetStreamReader;
typedef struct _DuetStreamWriter DuetStreamWriter;

/* SparkSession.builder.master(master).getOrCreate(). */
DuetSession *duet_session_new(const char *master, GError **error);
DuetSession *duet_session_ref(DuetSession *session);
/* Stops the session's active queries when the last reference goes. */
void duet_session_unref(DuetSession *session);
/* (transfer none) */
DuetContext *duet_session_context(DuetSession *session);
/* spark.conf.set / get (spark.sql.shuffle.partitions, spark.sql.streaming.checkpointLocation,
 * ...). get: (transfer full), NULL when unset. */
void duet_session_set_conf(DuetSession *session, const char *key, const char *value);
char *duet_session_get_conf(DuetSession *session, const char *key);

/* ---- readers ------------------------------------------------------------------------------ */

/* spark.readStream and spark.read (a static DataFrame over what the source holds). */
DuetStreamReader *duet_session_read_stream(DuetSession *session);
DuetStreamReader *duet_session_read(DuetSession *session);
DuetStreamReader *duet_stream_reader_format(DuetStreamReader *reader, const char *format);
DuetStreamReader *duet_stream_reader_option(DuetStreamReader *reader, const char *key,
                                            const char *value);
/* schema("word STRING, n INT") */
DuetStreamReader *duet_stream_reader_schema(DuetStreamReader *reader, const char *ddl);
/* load() / load(path): frees the reader. (transfer full) */
DuetDataFrame *duet_stream_reader_load(DuetStreamReader *reader, const char *path, GError **error);
/* Frees a reader that is not loaded. */
void duet_stream_reader_free(DuetStreamReader *reader);

/* ---- writers ------------------------------------------------------------------------------ */

/* df.writeStream */
DuetStreamWriter *duet_dataframe_write_stream(DuetSession *session, DuetDataFrame *frame);
DuetStreamWriter *duet_stream_writer_format(DuetStreamWriter *writer, const char *format);
DuetStreamWriter *duet_stream_writer_option(DuetStreamWriter *writer, const char *key,
                                            const char *value);
/* "append", "update" or "complete" (any case); Spark's error for others. */
DuetStreamWriter *duet_stream_writer_output_mode(DuetStreamWriter *writer, const char *mode);
DuetStreamWriter *duet_stream_writer_query_name(DuetStreamWriter *writer, const char *name);
/* trigger(processingTime="5 seconds"), trigger(once=True), trigger(availableNow=True),
 * trigger(continuous="1 second"). */
DuetStreamWriter *duet_stream_writer_trigger_processing_time(DuetStreamWriter *writer,
                                                             const char *interval);
DuetStreamWriter *duet_stream_writer_trigger_once(DuetStreamWriter *writer);
DuetStreamWriter *duet_stream_writer_trigger_available_now(DuetStreamWriter *writer);
DuetStreamWriter *duet_stream_writer_trigger_continuous(DuetStreamWriter *writer,
                                                        const char *interval);
/* foreachBatch(f) and foreach(writer) instead of a format. */
DuetStreamWriter *duet_stream_writer_foreach_batch(DuetStreamWriter *writer,
                                                   DuetForeachBatchFunc func, gpointer user_data);
DuetStreamWriter *duet_stream_writer_foreach(DuetStreamWriter *writer,
                                             const DuetForeachWriter *callbacks,
                                             gpointer user_data);
/* A sink made by the caller (a console sink printing elsewhere, a test sink). */
DuetStreamWriter *duet_stream_writer_sink(DuetStreamWriter *writer, DuetSink *sink);
/* start(): frees the writer. The checkpoint is option("checkpointLocation"), else
 * spark.sql.streaming.checkpointLocation/<queryName>, else a temporary directory (Spark's
 * rules; the file sink requires one). (transfer full) */
DuetStreamingQuery *duet_stream_writer_start(DuetStreamWriter *writer, GError **error);
void duet_stream_writer_free(DuetStreamWriter *writer);

/* ---- spark.streams ------------------------------------------------------------------------ */

/* The active queries. (transfer full): a GPtrArray of referenced DuetStreamingQuery. */
GPtrArray *duet_session_active_queries(DuetSession *session);
/* streams.get(id): (transfer full), or NULL. */
DuetStreamingQuery *duet_session_get_query(DuetSession *session, const char *id);
/* streams.awaitAnyTermination(timeout): TRUE when a query ended since the last reset (error:
 * its failure); timeout_ms < 0 waits forever. */
gboolean duet_session_await_any_termination(DuetSession *session, gint64 timeout_ms,
                                            GError **error);
void duet_session_reset_terminated(DuetSession *session);
/* streams.addListener: hears every query started afterwards. (copied) */
void duet_session_add_listener(DuetSession *session, const DuetQueryListener *listener);
/* The rows a memory sink holds, by its query name (spark.table(name)). (transfer full) */
DuetBatch *duet_session_memory_table(DuetSession *session, const char *name, GError **error);

/* The session's temporary views: df.createOrReplaceTempView is
 * duet_dataframe_create_or_replace_temp_view(duet_session_catalog(spark), df, name, &error).
 * (transfer none) */
typedef struct _DuetCatalog DuetCatalog;
DuetCatalog *duet_session_catalog(DuetSession *session);
/* spark.sql(text) over the session's views; every memory sink is also a table by its query
 * name, holding what the sink holds when the statement runs. (transfer full) */
DuetDataFrame *duet_session_sql(DuetSession *session, const char *text, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetSession, duet_session_unref)

G_END_DECLS
