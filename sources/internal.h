/* internal.h — what the files of sources/ share and nobody else may see.
 *
 * Layer: sources/ private (compiled with -DDUET_SOURCES_COMPILATION).
 */
#pragma once

#ifndef DUET_SOURCES_COMPILATION
#error "sources/internal.h is private to sources/; include sources/source.h instead"
#endif

#include "sources/source.h"

#include "rdd/file_format.h"

G_BEGIN_DECLS

/* rate_source.c */
DuetSource *duet_rate_source_new(DuetSourceOptions *options, DuetClock *clock,
                                 guint default_partitions, GError **error);

/* socket_source.c */
DuetSource *duet_socket_source_new(DuetSourceOptions *options, DuetClock *clock,
                                   guint default_partitions, GError **error);

/* zmq_source.c */
DuetSource *duet_zmq_source_new(DuetSourceOptions *options, guint default_partitions,
                                GError **error);

/* kafka_source.c */
DuetSource *duet_kafka_source_new(DuetSourceOptions *options, DuetSchema *user_schema,
                                  GError **error);
/* The same source for a batch read: batch option checks, startingOffsets default earliest. */
DuetSource *duet_kafka_source_new_batch(DuetSourceOptions *options, GError **error);
/* "earliest", "latest" or JSON offsets (-2/-1 resolved; every partition read must be named)
 * as offsets JSON of every partition the source reads now; a starting bound Kafka does not
 * hold is data loss. (transfer full) */
char *duet_kafka_source_resolve_offsets(DuetSource *source, const char *bound, gboolean starting,
                                        GError **error);

/* kafka_options.c: KafkaSourceProvider's checks, with Spark's messages. */
gboolean duet_kafka_validate_stream_options(DuetSourceOptions *options, GError **error);
gboolean duet_kafka_validate_batch_options(DuetSourceOptions *options, GError **error);

/* kafka_offset.c: Spark's KafkaSourceOffset. One topic partition's offset (the next offset to
 * read; in startingOffsets -2 is earliest and -1 latest). */
typedef struct {
    char *topic;      /* owned */
    gint32 partition; /* the partition number */
    gint64 offset;    /* the next offset to read */
} DuetKafkaPartitionOffset;
/* A GArray of DuetKafkaPartitionOffset sorted by topic, then partition; g_array_unref frees
 * it. */
typedef GArray DuetKafkaOffsets;
DuetKafkaOffsets *duet_kafka_offsets_new(void);
DuetKafkaOffsets *duet_kafka_offsets_copy(const DuetKafkaOffsets *offsets);
/* Sets (or adds) the offset of one partition, keeping the order. */
void duet_kafka_offsets_put(DuetKafkaOffsets *offsets, const char *topic, gint32 partition,
                            gint64 offset);
/* (transfer none), or NULL when the partition is absent. */
const DuetKafkaPartitionOffset *duet_kafka_offsets_find(const DuetKafkaOffsets *offsets,
                                                        const char *topic, gint32 partition);
/* {"topicA":{"0":23,"1":-1}}: topics sorted, partitions ascending. (transfer full) */
char *duet_kafka_offsets_to_json(const DuetKafkaOffsets *offsets);
/* Scala's toString of the set of topic partitions: "Set(topicA-0, topicA-1)". */
char *duet_kafka_offsets_partitions_string(const DuetKafkaOffsets *offsets);
/* Parses offsets JSON; Spark's message in domain/code when malformed. */
DuetKafkaOffsets *duet_kafka_offsets_parse(const char *text, GQuark domain, gint code,
                                           GError **error);
/* kafka_initial_offsets.c: Spark's KafkaSourceInitialOffsetWriter file (a zero byte, "v1\n",
 * the offsets JSON), written atomically and read back with every damage named. */
gboolean duet_kafka_initial_offsets_write(const char *path, const DuetKafkaOffsets *offsets,
                                          GError **error);
DuetKafkaOffsets *duet_kafka_initial_offsets_read(const char *path, GError **error);
/* Parses the assign option's {"topicA":[0,1]} (offsets 0); Spark's message when malformed. */
DuetKafkaOffsets *duet_kafka_partitions_parse(const char *text, GError **error);
/* Orders two offsets JSON texts (NULL first): see kafka_offset.c. */
int duet_kafka_offsets_compare(const char *a, const char *b);
/* file_listing.c: what the file source finds in its directory. */
typedef struct {
    char *path;        /* absolute path of the file */
    gint64 mtime_ms;   /* modification time, milliseconds since the epoch */
    gint64 size;       /* bytes */
    gboolean complete; /* listed by a sink's log: committed, so complete */
} DuetFileListingEntry;
void duet_file_listing_entry_free(gpointer entry);
/* Appends the leaf files under directory (recursively, hidden names skipped as Spark's
 * InMemoryFileIndex.shouldFilterOutPathName does) to found, as DuetFileListingEntry. */
gboolean duet_file_listing_list_directory(const char *directory, GPtrArray *found, GError **error);
/* Appends the files a file sink committed, from its _spark_metadata log directory. */
gboolean duet_file_listing_list_sink_log(const char *log_dir, GPtrArray *found, GError **error);
/* Orders entries by modification time, then path (for g_ptr_array_sort). */
int duet_file_listing_compare_oldest_first(gconstpointer a, gconstpointer b);
/* file_source_log.c: Spark's MetadataVersionUtil.validateVersion of a source log's first line
 * for version 1, with Spark's texts after "checkpoint file <path>: " (DUET_SOURCE_ERROR_OFFSET). */
gboolean duet_source_log_check_version(const char *path, const char *line, GError **error);
/* file_source_log.c: Spark's FileStreamSourceLog. Writes directory/<batch> for paths (with
 * their modification times); reads every batch logged in directory, 0 to the last (an empty
 * array when nothing is), each a GPtrArray of paths, their times appended to mtimes (a
 * GArray of gint64 per batch; the caller gives mtimes a free function). (transfer full) */
gboolean duet_file_source_log_write(const char *directory, gint64 batch, GPtrArray *paths,
                                    const gint64 *mtimes_ms, GError **error);
GPtrArray *duet_file_source_log_read(const char *directory, GPtrArray *mtimes, GError **error);
int duet_file_listing_compare_newest_first(gconstpointer a, gconstpointer b);
/* Per schema column, the unescaped value of the column's name=value directory between
 * directory and path, or NULL; NULL when no column has one. (transfer full): free each of the
 * duet_schema_n_fields(schema) slots, then the array. */
char **duet_file_listing_partition_values(const char *directory, DuetSchema *schema,
                                          const char *path);
/* Spark's DataSource.sourceSchema with schema inference: format's inferred schema of the files
 * in directory now, then their partition columns. (transfer full) */
DuetSchema *duet_file_listing_infer_schema(const DuetFileFormat *format, const char *directory,
                                           gboolean infer_types, GError **error);

/* file_source.c: format "text", "csv" or "json". */
DuetSource *duet_file_source_new(const char *format, DuetSourceOptions *options,
                                 DuetSchema *user_schema, GError **error);

/* LongOffset JSON ("5"): parsing with Spark's error for anything else, and ordering (NULL
 * first). */
gboolean duet_long_offset_parse(const char *text, gint64 *value, GError **error);
int duet_long_offset_compare(const char *a, const char *b);
/* A source that holds its items (lines, messages, batches) under LongOffsets first ..
 * first + held - 1 and drops them once committed: parses (start, end] (start NULL: from the
 * beginning) into *from and *to, failing when the source does not hold all of it. Call with
 * the source's lock held. */
gboolean duet_long_offset_held_range(const char *what, const char *start, const char *end,
                                     gint64 first, gint64 held, gint64 *from, gint64 *to,
                                     GError **error);
/* How many of those held items a commit of end lets go (0 when end is not a LongOffset). */
gint64 duet_long_offset_releasable(const char *end, gint64 first, gint64 held);
/* The partitions of a batch that a source deals its records into round-robin: n builders of
 * schema, then, finished and freed, one list of one batch per partition. (transfer full) */
DuetBatchBuilder **duet_partition_builders_new(DuetSchema *schema, gint64 n);
GPtrArray *duet_partition_builders_finish(DuetBatchBuilder **builders, gint64 n);

G_END_DECLS
