/* source.h — input sources shared by both APIs: a schema, and rows served by offsets.
 *
 * Layer: sources/ (includes rdd/ only). A source is what Spark calls a micro-batch stream:
 * it tells the latest offset available now, serves the rows in an offset range (start
 * exclusive, end inclusive) as partitions of batches, and may forget data once every consumer
 * committed it. Offsets are Spark's offset JSON text ("5" for a LongOffset,
 * {"topic":{"0":23}} for Kafka), so a Structured query can write them into its offsets log
 * verbatim and re-read any logged range after a restart. One source may feed several
 * consumers at once (a DStream and a Structured query): each registers, keeps its own offsets
 * and commits what it processed. Sources are thread-safe and reference-counted.
 */
#pragma once

#include "rdd/rdd.h"

G_BEGIN_DECLS

typedef struct _DuetSource DuetSource;

#define DUET_SOURCE_ERROR (duet_source_error_quark())
GQuark duet_source_error_quark(void);

typedef enum {
    DUET_SOURCE_ERROR_OPTION, /* a missing or malformed option (message names it) */
    DUET_SOURCE_ERROR_FORMAT, /* an unknown format */
    DUET_SOURCE_ERROR_OFFSET, /* an offset the source cannot serve (data lost, malformed) */
    DUET_SOURCE_ERROR_FAILED,
} DuetSourceError;

/* What a kind of source does. Functions run with the source's lock NOT held; each kind
 * guards its own state. */
typedef struct {
    const char *format; /* "rate", "memory", ... */
    /* Spark's description string, e.g. "RateStreamV2[rowsPerSecond=1, ...]". (transfer full) */
    char *(*description)(DuetSource *source);
    /* The latest offset, or NULL when there is no data yet. (transfer full) */
    char *(*latest_offset)(DuetSource *source, GError **error);
    /* Rows in (start, end]; start NULL = from the beginning. (transfer full): a GPtrArray of
     * partitions, each a GPtrArray of DuetBatch. */
    GPtrArray *(*get_batch)(DuetSource *source, const char *start, const char *end, GError **error);
    /* Everything up to end was committed by every consumer: it may be forgotten. May be NULL. */
    void (*forget)(DuetSource *source, const char *end);
    /* A consumer restarted from a checkpoint whose last batch ended at end: what a rate limit
     * counts from when no batch was read yet (Spark's latestOffset(startOffset, limit)). May be
     * NULL. */
    void (*resume)(DuetSource *source, const char *end);
    /* Frees the kind's data. */
    void (*finalize)(gpointer data);
    /* Orders two offsets of this source (NULL = before everything). */
    int (*compare)(const char *a, const char *b);
    /* Keeps what each offset means in directory (a query's checkpoint/sources/<index>/),
     * reading back what is logged there, so that a new process serves the same offsets. May be
     * NULL (offsets that need no log). */
    gboolean (*attach_log)(DuetSource *source, const char *directory, GError **error);
    /* Spark's latestOffset(start, ReadLimit.allAvailable()): the latest offset with the kind's
     * rate limit (maxOffsetsPerTrigger, maxFilesPerTrigger) ignored, reported as latest_offset
     * reports (Trigger.Once). May be NULL: latest_offset has no rate limit. (transfer full) */
    char *(*latest_offset_all)(DuetSource *source, GError **error);
    /* Spark's SupportsTriggerAvailableNow.prepareForTriggerAvailableNow (prepare TRUE): the
     * kind fixes the data available now as its target, and latest_offset keeps its rate limit
     * but never goes beyond that target, so a Trigger.AvailableNow query runs as many limited
     * batches as it takes and then sees no new data. prepare FALSE (the query stopped) lifts
     * the target. May be NULL: the query then caps latest_offset at the one it saw at start
     * (Spark's AvailableNowDataStreamWrapper), which is everything for a kind without a limit. */
    gboolean (*available_now)(DuetSource *source, gboolean prepare, GError **error);
} DuetSourceClass;

/* For kinds: a new source of schema (transfer none) whose kind data is data. */
DuetSource *duet_source_new_internal(const DuetSourceClass *klass, DuetSchema *schema,
                                     gpointer data);
gpointer duet_source_get_data(DuetSource *source);

DuetSource *duet_source_ref(DuetSource *source);
void duet_source_unref(DuetSource *source);

/* (transfer none) */
DuetSchema *duet_source_schema(DuetSource *source);
const char *duet_source_format(DuetSource *source);
char *duet_source_description(DuetSource *source);
char *duet_source_latest_offset(DuetSource *source, GError **error);
/* The latest offset ignoring the source's rate limit (Trigger.Once reads everything). */
char *duet_source_latest_offset_all(DuetSource *source, GError **error);
/* Trigger.AvailableNow: fixes the source's target (prepare TRUE) or lifts it (FALSE, never
 * fails). *supported (may be NULL) tells whether the source caps its own latest offsets; when
 * not, the caller caps them at the latest offset it saw at start. A source shared with other
 * consumers caps theirs too while the target is set. */
gboolean duet_source_available_now(DuetSource *source, gboolean prepare, gboolean *supported,
                                   GError **error);
/* Tells the source that a consumer resumes after a batch that ended at end (a recovered
 * checkpoint), so that rate limits count from there. */
void duet_source_resume(DuetSource *source, const char *end);
GPtrArray *duet_source_get_batch(DuetSource *source, const char *start, const char *end,
                                 GError **error);
/* Orders two offsets of this source (NULL before everything). */
int duet_source_compare_offsets(DuetSource *source, const char *a, const char *b);
/* Spark's source metadata log: a source whose offsets exist only in memory (the file source's
 * file sets) logs them under directory (checkpoint/sources/<index>/) and, the first time,
 * loads what an earlier process logged there. The first directory attached wins; a source
 * that needs no log ignores it. Errors name a damaged log file (DUET_SOURCE_ERROR_OFFSET). */
gboolean duet_source_attach_log(DuetSource *source, const char *directory, GError **error);
/* Consumers: each gets an id, commits what it processed; data is forgotten when every
 * consumer committed it. */
guint duet_source_add_consumer(DuetSource *source);
void duet_source_commit(DuetSource *source, guint consumer, const char *end);
/* A consumer that stops reading (a stopped query, a stopped DStream) no longer holds data
 * back. */
void duet_source_remove_consumer(DuetSource *source, guint consumer);

/* Options as Spark passes them: string keys compared case-insensitively. */
typedef GHashTable DuetSourceOptions;
DuetSourceOptions *duet_source_options_new(void);
void duet_source_options_set(DuetSourceOptions *options, const char *key, const char *value);
const char *duet_source_options_get(DuetSourceOptions *options, const char *key);
/* A positive (or non-negative with allow_zero) integer option, or fallback when absent;
 * Spark's message for a bad value: "Invalid value '-1' for option 'rowsPerSecond', must be
 * positive". */
gboolean duet_source_options_get_int(DuetSourceOptions *options, const char *key, gint64 fallback,
                                     gboolean allow_zero, gint64 *value, GError **error);

/* The factory: format "rate", "memory", "socket", "zmq", "kafka", "text", "csv" or "json". clock is
 * the context's (rate reads time from it); default_partitions is spark.default.parallelism. */
DuetSource *duet_source_new(const char *format, DuetSourceOptions *options, DuetSchema *user_schema,
                            DuetClock *clock, guint default_partitions, GError **error);

/* ---- memory: Spark's MemoryStream ------------------------------------------------------- */

/* Each add is one offset (a LongOffset counting adds from 0), even when it has no rows. */
DuetSource *duet_memory_source_new(DuetSchema *schema);
/* Returns the new latest offset. (transfer none) on batch. */
gint64 duet_memory_source_add(DuetSource *source, DuetBatch *batch);

/* ---- socket: Spark's TextSocket source --------------------------------------------------- */

/* Blocks until n lines arrived in total (committed ones included), at most timeout_ms of real
 * time; whether they did. For tests feeding the source from a peer. */
gboolean duet_socket_source_wait_lines(DuetSource *source, gint64 n, gint64 timeout_ms);

/* ---- zmq: a ZeroMQ SUB or PULL socket ---------------------------------------------------- */

/* Created through duet_source_new with format "zmq" (sources/zmq_source.c tells the options
 * and the schema). Blocks until n messages arrived in total (committed ones included), at most
 * timeout_ms of real time; whether they did. For tests feeding the source from a peer. */
gboolean duet_zmq_source_wait_messages(DuetSource *source, gint64 n, gint64 timeout_ms);
/* The endpoint the source's socket is bound or connected to, a wildcard port resolved (bind to
 * tcp://127.0.0.1:* and read the port here). (transfer none) */
const char *duet_zmq_source_endpoint(DuetSource *source);

/* ---- kafka: Spark's Kafka source ---------------------------------------------------------- */

/* Created through duet_source_new with format "kafka" (sources/kafka_source.c tells the options
 * and the schema; includeHeaders=true adds Spark's headers column). For a batch read
 * (spark.read.format("kafka").load(), Spark's KafkaRelation) there is this helper: the records
 * between startingOffsets (default "earliest"; "latest" refused) and endingOffsets (default
 * "latest"; "earliest" refused), both "earliest"/"latest" or JSON {"t":{"0":23}} with -2/-1,
 * resolved once when called. Returns one partition per topic partition (topics sorted,
 * partitions ascending), each a GPtrArray holding one DuetBatch; *schema (when not NULL) gets
 * the schema, *start and *end (when not NULL) the resolved offsets JSON. Errors: a bad option
 * (DUET_SOURCE_ERROR_OPTION, Spark's message), data that is gone (DUET_SOURCE_ERROR_OFFSET
 * under failOnDataLoss) or a broker that does not answer within kafkaConsumer.pollTimeoutMs
 * (DUET_SOURCE_ERROR_FAILED). (transfer full) on every output. */
GPtrArray *duet_kafka_read_range(DuetSourceOptions *options, DuetSchema **schema, char **start,
                                 char **end, GError **error);

/* ---- file: Spark's FileStreamSource ------------------------------------------------------- */

/* Formats "text" (schema value STRING), "csv" and "json" (JSON lines), created through
 * duet_source_new. CSV and JSON need a user schema, unless the option
 * "spark.sql.streaming.schemaInference" is "true" (Spark's SQL conf, passed as an option):
 * then CSV infers one from the files present at creation (all strings, or typed with
 * inferSchema), plus the name=value partition columns found. Options: path (a directory that
 * must exist), maxFilesPerTrigger, latestFirst, fileNameOnly, maxFileAge, cleanSource
 * (off|delete|archive) with sourceArchiveDir, minFileAge (duet's: how long a file must be left
 * unmodified, or seen unchanged by two listings, before it is read; default 1s); CSV: header,
 * sep, quote, escape, nullValue, inferSchema; CSV and JSON: mode (PERMISSIVE, DROPMALFORMED,
 * FAILFAST) and columnNameOfCorruptRecord. Spark's messages for bad values. Offsets are
 * LongOffsets, one per set of new files found by latest_offset. Files of committed offsets are
 * deleted or archived (cleanSource) when every consumer committed them; a FAILFAST file fails
 * get_batch with Spark's "Malformed records are detected in record parsing. Parse Mode:
 * FAILFAST. ..." (DUET_SOURCE_ERROR_FAILED). sources/file_source.c tells the details.
 * Malformed records read so far (kept, dropped or failing), for tests and metrics: */
guint duet_file_source_malformed_records(DuetSource *source);
/* Files deleted or archived by cleanSource so far. */
guint duet_file_source_cleaned_files(DuetSource *source);

/* ---- rate: Spark's RateStreamProvider ---------------------------------------------------- */

/* Rows in [0, seconds) of a rate source: Spark's valueAtSecond. */
gint64 duet_rate_source_value_at_second(gint64 seconds, gint64 rows_per_second,
                                        gint64 ramp_up_seconds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetSource, duet_source_unref)

G_END_DECLS
