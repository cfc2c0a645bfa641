/* write_ahead_log.h — Spark's FileBasedWriteAheadLog: a directory of rolling, append-only log
 * files of opaque records, each fsynced before its write returns.
 *
 * Layer: dstream/ (public). The receiver write-ahead log (received blocks, under
 * <checkpoint>/receivedData/<stream>/) and the received block tracker's event log (under
 * <checkpoint>/receivedBlockMetadata/<stream>/) are two such logs. Files are named as Spark names
 * them, log-<start ms>-<end ms>, plus a sequence number: a write at time t goes to the current
 * file while t <= its end, otherwise to a new file log-<t>-<t + rolling interval>-<seq>. The
 * sequence number goes on from the highest one in the directory, so it orders the files as they
 * were written even when a restarted run's clock is behind an earlier run's (a restart from a
 * checkpoint goes back to its time); a log never appends to a file it did not create, but first
 * cuts the torn tail off the newest one. Files named log-<start>-<end> (no sequence number) come
 * first, by time. A file starts with the header line
 * "DUET write-ahead-log v1\n"; each record is its length (4 bytes, big-endian, as Java's
 * writeInt), its bytes and an XXH64 checksum of them (8 bytes, big-endian). A record cut short
 * at the end of a file, or a bad last record (a write torn by a crash), is a torn tail: readers
 * skip it with a warning and the next log opened on the directory truncates it away. Anything else
 * that does not parse (a bad header, a bad record with more bytes after it, a newer version) is an
 * error naming the file and the offset, never data.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DUET_WAL_FORMAT_VERSION 1

typedef struct _DuetWriteAheadLog DuetWriteAheadLog;

/* Where a record is: Spark's FileBasedWriteAheadLogSegment. offset is the offset of the
 * record's length field in the file, length the record's size. */
typedef struct {
    char *path;
    gint64 offset;
    gint64 length;
} DuetWalSegment;

void duet_wal_segment_clear(DuetWalSegment *segment);

/**
 * duet_write_ahead_log_open:
 * @directory: the log's directory (created if missing)
 * @rolling_interval_ms: how long a file takes writes before the next one starts (Spark's
 *   spark.streaming.{receiver,driver}.writeAheadLog.rollingIntervalSecs, 60 s by default)
 *
 * Returns: (transfer full): the log, or NULL with a DUET_FILE_ERROR when the directory cannot
 * be made. Thread-safe: writes are serialized by the log.
 */
DuetWriteAheadLog *duet_write_ahead_log_open(const char *directory, gint64 rolling_interval_ms,
                                             GError **error);
void duet_write_ahead_log_close(DuetWriteAheadLog *log);
const char *duet_write_ahead_log_directory(const DuetWriteAheadLog *log);

/* Appends one record at time_ms (the clock's time: it chooses the file) and fsyncs it before
 * returning; segment (may be NULL) receives where it is (caller clears it). A failure is a
 * DUET_FILE_ERROR naming the file; the record then is not in the log. The first write of a log
 * object also fails when the newest existing file is damaged (not a torn tail). */
gboolean duet_write_ahead_log_write(DuetWriteAheadLog *log, const void *data, gsize len,
                                    gint64 time_ms, DuetWalSegment *segment, GError **error);

/* Reads the record of segment (Spark's FileBasedWriteAheadLogRandomReader), checking its length
 * and checksum. (transfer full) */
GBytes *duet_write_ahead_log_read_segment(const DuetWalSegment *segment, GError **error);

/* Calls func for every record of every log file in directory, in the order they were written
 * (files by sequence number, records in order; Spark's readAll). A torn tail is skipped with a
 * warning; any other damage stops with a DUET_FILE_ERROR naming the file (DUET_FILE_ERROR_VERSION
 * for a newer format). A missing directory holds no records. func returning FALSE with its error
 * set stops the read. */
typedef gboolean (*DuetWalRecordFunc)(GBytes *record, const DuetWalSegment *segment,
                                      gpointer user_data, GError **error);
gboolean duet_write_ahead_log_read_all(const char *directory, DuetWalRecordFunc func,
                                       gpointer user_data, GError **error);

/* Deletes the log files whose end time is before thresh_ms (Spark's clean(threshTime)), in the
 * order they were written and stopping at the first one that stays, so what is left is always
 * the end of the log (a restarted run's file may end before an earlier run's yet hold events
 * about it); returns how many were deleted. The file being written is never deleted. */
guint duet_write_ahead_log_clean(DuetWriteAheadLog *log, gint64 thresh_ms);

/* The log files of directory in the order they were written: file names. (transfer full) */
GPtrArray *duet_write_ahead_log_list(const char *directory);

G_END_DECLS
