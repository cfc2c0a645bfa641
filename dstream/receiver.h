/* receiver.h — Spark's Receiver API: input that arrives by itself (sockets, message queues,
 * custom sources), cut into blocks and handed to batches; plus the rate control of receivers.
 *
 * Layer: dstream/. A receiver is started when its context starts, in its own thread(s), and
 * stores records with duet_receiver_store_*. Stored records go into the current block; a block
 * generator cuts a block every spark.streaming.blockInterval (default 200 ms) of the context's
 * clock, and each batch's RDD has one partition per block received since the previous batch
 * (pending records are cut into a last block when the batch is generated). restart() stops the
 * receiver and starts it again after spark.streaming.receiverRestartDelay (default 2000 ms);
 * stop() stops it for good. spark.streaming.receiver.maxRate limits records per second, and
 * with spark.streaming.backpressure.enabled the limit follows Spark's PID rate estimator.
 */
#pragma once

#include "dstream/dstream.h"
#include "sources/source.h"

G_BEGIN_DECLS

/* Spark's conf key of the receiver write-ahead log ("true" to enable; needs ssc.checkpoint).
 * With it, every block a receiver stores is appended to <checkpoint>/receivedData/<stream>/ and
 * fsynced before it counts as received, and the allocation of blocks to batches is logged in
 * <checkpoint>/receivedBlockMetadata/<stream>/, so that after a crash getOrCreate re-runs the
 * batches that were allocated with the same blocks and gives the blocks received but not yet
 * allocated to the next batch (dstream/README.md, "Receiver write-ahead log"). */
#define DUET_RECEIVER_WAL_ENABLE "spark.streaming.receiver.writeAheadLog.enable"

typedef struct _DuetReceiver DuetReceiver;

typedef struct {
    /* Starts receiving (threads, connections) and returns soon; called on start and after each
     * restart. Must not block for long. */
    void (*on_start)(DuetReceiver *receiver, gpointer user_data);
    /* Stops receiving and frees what on_start made; threads must have ended on return. */
    void (*on_stop)(DuetReceiver *receiver, gpointer user_data);
} DuetReceiverFuncs;

/* Spark's receiverStream: a DStream fed by a receiver whose records have this schema. destroy
 * frees user_data when the stream is freed. */
DuetDStream *duet_streaming_context_receiver_stream(DuetStreamingContext *context,
                                                    DuetSchema *schema,
                                                    const DuetReceiverFuncs *funcs,
                                                    gpointer user_data, GDestroyNotify destroy);

/* Stores one record (values, one per column) or a whole batch. Blocks the caller while the
 * rate limit is exceeded. Thread-safe. Records stored while stopped are dropped. */
void duet_receiver_store_values(DuetReceiver *receiver, const DuetValue *values);
void duet_receiver_store_batch(DuetReceiver *receiver, DuetBatch *batch);
/* Convenience for one string column (text lines). */
void duet_receiver_store_string(DuetReceiver *receiver, const char *data, gssize len);
/* n strings of one string column at once (one lock and one rate acquisition for all):
 * string i is data[starts[i]] .. data[starts[i] + lengths[i]). */
void duet_receiver_store_strings(DuetReceiver *receiver, const char *data, const gsize *starts,
                                 const gsize *lengths, gsize n);
/* Spark's restart(message): stop, wait the restart delay, start again (asynchronously). */
void duet_receiver_restart(DuetReceiver *receiver, const char *message);
/* Spark's stop(message): stop for good. */
void duet_receiver_stop(DuetReceiver *receiver, const char *message);
gboolean duet_receiver_is_stopped(DuetReceiver *receiver);
/* Spark's reportError: tells the listeners, keeps running. */
void duet_receiver_report_error(DuetReceiver *receiver, const char *message);
/* Records stored so far (for monitoring and for tests waiting on input). */
gint64 duet_receiver_n_stored(DuetReceiver *receiver);
/* Blocks until at least n records were stored, at most timeout_ms of real time; whether they
 * were. For tests that feed a receiver from another thread or process. */
gboolean duet_receiver_wait_stored(DuetReceiver *receiver, gint64 n, gint64 timeout_ms);
/* With the write-ahead log: records of this run written (and fsynced) to the log so far, and
 * a wait for n of them (at most timeout_ms of real time; whether they were). Blocks are logged
 * every block interval of the context's clock and when a batch is generated; store_batch logs
 * before it returns. A crash loses only records stored but not yet logged (as Spark's
 * BlockGenerator buffer). Without the log: 0 and FALSE. */
gint64 duet_receiver_n_logged(DuetReceiver *receiver);
gboolean duet_receiver_wait_logged(DuetReceiver *receiver, gint64 n, gint64 timeout_ms);
/* The same for any input stream under the log: receiver streams, and source streams over the
 * sources that cannot replay (socket, ZeroMQ). */
gint64 duet_dstream_n_logged(DuetDStream *stream);
gboolean duet_dstream_wait_logged(DuetDStream *stream, gint64 n, gint64 timeout_ms);
/* The receiver of a receiver stream. (transfer none) */
DuetReceiver *duet_dstream_receiver(DuetDStream *stream);
/* The records-per-second limit in force (0 = none). */
gdouble duet_receiver_rate_limit(DuetReceiver *receiver);

/* A DStream over a shared source (rate, memory, and later Kafka and files), read by offsets
 * like Spark's direct Kafka stream: each batch takes what arrived since the previous one. The
 * stream registers as a consumer of the source. (transfer none) on source. */
DuetDStream *duet_streaming_context_source_stream(DuetStreamingContext *context,
                                                  DuetSource *source);

/* Spark's socketTextStream(host, port): lines of text over TCP, schema "value STRING". It
 * reconnects when the peer goes away (restart with the restart delay), as Spark's
 * SocketReceiver does. */
DuetDStream *duet_streaming_context_socket_text_stream(DuetStreamingContext *context,
                                                       const char *host, guint16 port);

/* Spark's socketStream(host, port, converter): the converter turns the bytes received so far
 * into records (duet_receiver_store_*), removing what it consumed from buffer; at_end is TRUE
 * once when the connection ends, to flush a last partial record. */
typedef void (*DuetSocketConverter)(GByteArray *buffer, gboolean at_end, DuetReceiver *receiver,
                                    gpointer user_data);
DuetDStream *duet_streaming_context_socket_stream(DuetStreamingContext *context, const char *host,
                                                  guint16 port, DuetSchema *schema,
                                                  DuetSocketConverter converter,
                                                  gpointer user_data);

/* Spark's PIDRateEstimator: the next rate from a finished batch, or FALSE when it has none
 * (the first batch only initialises it; batches without records or processing time are
 * ignored). Gains as Spark's defaults: proportional 1.0, integral 0.2, derivative 0.0,
 * minimum rate 100. */
typedef struct {
    gint64 batch_interval_ms;
    gdouble proportional, integral, derivative, min_rate;
    gboolean first_run;
    gint64 latest_time;
    gdouble latest_rate, latest_error;
} DuetPidRateEstimator;

void duet_pid_rate_estimator_init(DuetPidRateEstimator *estimator, gint64 batch_interval_ms);
gboolean duet_pid_rate_estimator_compute(DuetPidRateEstimator *estimator, gint64 time_ms,
                                         gint64 n_elements, gint64 processing_delay_ms,
                                         gint64 scheduling_delay_ms, gdouble *new_rate);

G_END_DECLS
