/* write_ahead_log.c — Spark's FileBasedWriteAheadLog (writer, random reader, readAll, clean).
 *
 * Layer: dstream/. Includes rdd/ (atomic_file.h for the error domain and directory creation,
 * fault.h for the write and fsync fault sites). The format is described in write_ahead_log.h.
 * One file is open for appending at a time; every write is one write(2) of length, bytes and
 * checksum followed by fsync, so a crash leaves at most one torn record, at the end of the file
 * being written (the newest by sequence number), which readers skip and the next log opened on
 * the directory truncates before it creates its own file.
 */
#include "dstream/write_ahead_log.h"
#include "rdd/atomic_file.h"
#include "rdd/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define WAL_MAGIC    "DUET write-ahead-log v"
#define WAL_PREFIX   "log-"
#define RECORD_EXTRA 12 /* length (4) + checksum (8) */

struct _DuetWriteAheadLog {
    char *directory;
    gint64 rolling_ms;
    GMutex lock;      /* serializes writes and clean */
    int fd;           /* the file being written, or -1 */
    char *path;       /* its path */
    gint64 end_ms;    /* its end time: writes after it roll to a new file */
    gint64 size;      /* its size (the next record's offset) */
    gint64 next_seq;  /* the sequence number of the next file */
    gboolean prepare; /* scan the directory before the next file (prepare_directory) */
};

void
duet_wal_segment_clear(DuetWalSegment *segment)
{
    g_clear_pointer(&segment->path, g_free);
}

/* ---- file names ---------------------------------------------------------------------------- */

/* Parses log-<start>-<end>-<seq>, or log-<start>-<end> (a file of a build before sequence
 * numbers: *seq 0); FALSE for other names. */
static gboolean
parse_name(const char *name, gint64 *start_ms, gint64 *end_ms, gint64 *seq)
{
    if (!g_str_has_prefix(name, WAL_PREFIX))
        return FALSE;
    g_auto(GStrv) parts = g_strsplit(name + strlen(WAL_PREFIX), "-", 4);
    guint n = g_strv_length(parts);
    if (n < 2 || n > 3)
        return FALSE;
    gint64 fields[3] = {0, 0, 0};
    for (guint index = 0; index < n; index++) {
        char *end = NULL;
        if (!g_ascii_isdigit(parts[index][0]))
            return FALSE;
        fields[index] = g_ascii_strtoll(parts[index], &end, 10);
        if (*end != '\0')
            return FALSE;
    }
    *start_ms = fields[0];
    *end_ms = fields[1];
    *seq = fields[2];
    return TRUE;
}

/* Files in the order they were written: by sequence number (restarts go on counting from the
 * files they find, whatever the clock says), then by time for files without one. */
static gint
compare_names(gconstpointer a, gconstpointer b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    gint64 x_start = 0, x_end = 0, x_seq = 0, y_start = 0, y_end = 0, y_seq = 0;
    parse_name(x, &x_start, &x_end, &x_seq);
    parse_name(y, &y_start, &y_end, &y_seq);
    if (x_seq != y_seq)
        return (x_seq > y_seq) - (x_seq < y_seq);
    if (x_start != y_start)
        return (x_start > y_start) - (x_start < y_start);
    return (x_end > y_end) - (x_end < y_end);
}

GPtrArray *
duet_write_ahead_log_list(const char *directory)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *dir = g_dir_open(directory, 0, NULL);
    if (dir == NULL)
        return names;
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        gint64 start, end, seq;
        if (parse_name(name, &start, &end, &seq))
            g_ptr_array_add(names, g_strdup(name));
    }
    g_dir_close(dir);
    g_ptr_array_sort(names, compare_names);
    return names;
}

/* ---- reading ------------------------------------------------------------------------------- */

static guint32
get_be32(const guint8 *data)
{
    return ((guint32)data[0] << 24) | ((guint32)data[1] << 16) | ((guint32)data[2] << 8) |
           (guint32)data[3];
}

static guint64
get_be64(const guint8 *data)
{
    return ((guint64)get_be32(data) << 32) | get_be32(data + 4);
}

static void
put_be32(guint8 *data, guint32 value)
{
    data[0] = (guint8)(value >> 24);
    data[1] = (guint8)(value >> 16);
    data[2] = (guint8)(value >> 8);
    data[3] = (guint8)value;
}

static void
put_be64(guint8 *data, guint64 value)
{
    put_be32(data, (guint32)(value >> 32));
    put_be32(data + 4, (guint32)value);
}

static char *
header_line(void)
{
    return g_strdup_printf(WAL_MAGIC "%d\n", DUET_WAL_FORMAT_VERSION);
}

/* Checks the header of a file's contents; *body receives the offset after it. A file shorter
 * than a header that begins like one (torn while being created) has an empty body. */
static gboolean
check_header(const char *path, const guint8 *data, gsize len, gsize *body, GError **error)
{
    g_autofree char *expected = header_line();
    gsize magic_len = strlen(WAL_MAGIC);
    if (len < strlen(expected) && memcmp(data, expected, len) == 0) {
        if (len > 0)
            g_warning("write-ahead log file %s: ignoring a torn header of %" G_GSIZE_FORMAT
                      " bytes",
                      path, len);
        *body = len;
        return TRUE;
    }
    if (len < magic_len + 2 || memcmp(data, WAL_MAGIC, magic_len) != 0) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                    "write-ahead log file %s is corrupt: it does not start with \"%s\"", path,
                    WAL_MAGIC);
        return FALSE;
    }
    gsize at = magic_len;
    guint64 version = 0;
    while (at < len && at < magic_len + 9 && g_ascii_isdigit(data[at]))
        version = version * 10 + (guint64)(data[at++] - '0');
    if (at == magic_len || at >= len || data[at] != '\n') {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                    "write-ahead log file %s is corrupt: its header has no version", path);
        return FALSE;
    }
    if (version != DUET_WAL_FORMAT_VERSION) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_VERSION,
                    "write-ahead log file %s has format version %" G_GUINT64_FORMAT
                    "; this build reads version %d",
                    path, version, DUET_WAL_FORMAT_VERSION);
        return FALSE;
    }
    *body = at + 1;
    return TRUE;
}

/* Walks the records of a file's contents, calling func (if any) for each; *valid receives the
 * length of the well-formed prefix (a torn tail is left out, with a warning). */
static gboolean
scan_records(const char *path, const guint8 *data, gsize len, DuetWalRecordFunc func,
             gpointer user_data, gsize *valid, GError **error)
{
    gsize at = 0;
    if (!check_header(path, data, len, &at, error))
        return FALSE;
    while (at < len) {
        gsize remaining = len - at;
        const char *torn = NULL;
        guint32 record_len = remaining >= 4 ? get_be32(data + at) : 0;
        if (remaining < 4 || remaining < RECORD_EXTRA + (gsize)record_len)
            torn = "a record cut short";
        else if (XXH64(data + at + 4, record_len, 0) != get_be64(data + at + 4 + record_len)) {
            if (at + RECORD_EXTRA + record_len != len) {
                g_set_error(
                    error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                    "write-ahead log file %s is corrupt: the record at offset %" G_GSIZE_FORMAT
                    " has a wrong checksum",
                    path, at);
                return FALSE;
            }
            torn = "a last record with a wrong checksum";
        }
        if (torn != NULL) {
            g_warning("write-ahead log file %s: ignoring a torn tail at offset %" G_GSIZE_FORMAT
                      " (%s, %" G_GSIZE_FORMAT " bytes)",
                      path, at, torn, remaining);
            break;
        }
        if (func != NULL) {
            DuetWalSegment segment = {(char *)path, (gint64)at, (gint64)record_len};
            g_autoptr(GBytes) record = g_bytes_new(data + at + 4, record_len);
            if (!func(record, &segment, user_data, error)) {
                g_prefix_error(error,
                               "write-ahead log file %s, record at offset %" G_GSIZE_FORMAT ": ",
                               path, at);
                return FALSE;
            }
        }
        at += RECORD_EXTRA + record_len;
    }
    *valid = at;
    return TRUE;
}

static gboolean
read_file(const char *path, char **contents, gsize *len, GError **error)
{
    GError *local = NULL;
    if (!g_file_get_contents(path, contents, len, &local)) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_IO,
                    "cannot read the write-ahead log file %s: %s", path, local->message);
        g_error_free(local);
        return FALSE;
    }
    return TRUE;
}

gboolean
duet_write_ahead_log_read_all(const char *directory, DuetWalRecordFunc func, gpointer user_data,
                              GError **error)
{
    g_autoptr(GPtrArray) names = duet_write_ahead_log_list(directory);
    for (guint index = 0; index < names->len; index++) {
        g_autofree char *path = g_build_filename(directory, names->pdata[index], NULL);
        g_autofree char *contents = NULL;
        gsize len = 0, valid = 0;
        if (!read_file(path, &contents, &len, error) ||
            !scan_records(path, (const guint8 *)contents, len, func, user_data, &valid, error))
            return FALSE;
    }
    return TRUE;
}

GBytes *
duet_write_ahead_log_read_segment(const DuetWalSegment *segment, GError **error)
{
    g_return_val_if_fail(segment != NULL && segment->path != NULL, NULL);
    if (segment->offset < 0 || segment->length < 0 || segment->length > G_MAXINT32) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                    "no record of %" G_GINT64_FORMAT " bytes at offset %" G_GINT64_FORMAT
                    " can be in the write-ahead log file %s",
                    segment->length, segment->offset, segment->path);
        return NULL;
    }
    int fd = open(segment->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_IO,
                    "cannot open the write-ahead log file %s: %s", segment->path,
                    g_strerror(errno));
        return NULL;
    }
    gsize total = (gsize)segment->length + RECORD_EXTRA;
    struct stat info;
    if (fstat(fd, &info) != 0 || (guint64)info.st_size < (guint64)segment->offset + total) {
        close(fd);
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                    "write-ahead log file %s is corrupt at offset %" G_GINT64_FORMAT
                    ": the file ends before the record",
                    segment->path, segment->offset);
        return NULL;
    }
    guint8 *buffer = g_malloc(total);
    gsize done = 0;
    while (done < total) {
        ssize_t n = pread(fd, buffer + done, total - done, (off_t)(segment->offset + (gint64)done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (gsize)n;
    }
    close(fd);
    const char *what = NULL;
    if (done < total)
        what = "the file ends before the record";
    else if (get_be32(buffer) != (guint32)segment->length)
        what = "the record's length differs from the block's";
    else if (XXH64(buffer + 4, (gsize)segment->length, 0) != get_be64(buffer + 4 + segment->length))
        what = "the record has a wrong checksum";
    if (what != NULL) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT,
                    "write-ahead log file %s is corrupt at offset %" G_GINT64_FORMAT ": %s",
                    segment->path, segment->offset, what);
        g_free(buffer);
        return NULL;
    }
    memmove(buffer, buffer + 4, (gsize)segment->length);
    return g_bytes_new_take(buffer, (gsize)segment->length);
}

/* ---- writing ------------------------------------------------------------------------------- */

DuetWriteAheadLog *
duet_write_ahead_log_open(const char *directory, gint64 rolling_interval_ms, GError **error)
{
    g_return_val_if_fail(directory != NULL && rolling_interval_ms > 0, NULL);
    if (!duet_atomic_mkdir(directory, error)) {
        g_prefix_error(error, "cannot create the write-ahead log directory: ");
        return NULL;
    }
    DuetWriteAheadLog *log = g_new0(DuetWriteAheadLog, 1);
    log->directory = g_strdup(directory);
    log->rolling_ms = rolling_interval_ms;
    log->fd = -1;
    log->prepare = TRUE;
    g_mutex_init(&log->lock);
    return log;
}

const char *
duet_write_ahead_log_directory(const DuetWriteAheadLog *log)
{
    return log->directory;
}

static void
close_file(DuetWriteAheadLog *log)
{
    if (log->fd >= 0)
        close(log->fd);
    log->fd = -1;
    g_clear_pointer(&log->path, g_free);
}

void
duet_write_ahead_log_close(DuetWriteAheadLog *log)
{
    if (log == NULL)
        return;
    close_file(log);
    g_mutex_clear(&log->lock);
    g_free(log->directory);
    g_free(log);
}

static gboolean
io_error(GError **error, const char *what, const char *path, int errno_value)
{
    g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_IO,
                "cannot %s the write-ahead log file %s: %s", what, path, g_strerror(errno_value));
    return FALSE;
}

static gboolean
write_all(int fd, const guint8 *data, gsize len, const char *path, GError **error)
{
    if (duet_fault_sim(DUET_FAULT_SITE_WRITE, path))
        return io_error(error, "write", path, EIO);
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error(error, "write", path, errno);
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

static gboolean
sync_fd(int fd, const char *path, GError **error)
{
    if (duet_fault_sim(DUET_FAULT_SITE_FSYNC, path) || fsync(fd) != 0)
        return io_error(error, "fsync", path, errno ? errno : EIO);
    return TRUE;
}

static gboolean
sync_directory(DuetWriteAheadLog *log, GError **error)
{
    int dir_fd = open(log->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return TRUE;
    gboolean ok = sync_fd(dir_fd, log->directory, error);
    close(dir_fd);
    return ok;
}

/* Before the first file of this log object (and after a write that could not be undone): finds
 * the sequence number to go on from, and cuts the torn tail off the newest existing file, the
 * only one a crash can have left one in. A damaged file is an error: the log is not continued
 * past it. */
static gboolean
prepare_directory(DuetWriteAheadLog *log, GError **error)
{
    g_autoptr(GPtrArray) names = duet_write_ahead_log_list(log->directory);
    gint64 max_seq = 0;
    for (guint index = 0; index < names->len; index++) {
        gint64 start = 0, end = 0, seq = 0;
        parse_name(names->pdata[index], &start, &end, &seq);
        max_seq = MAX(max_seq, seq);
    }
    log->next_seq = MAX(log->next_seq, max_seq + 1);
    if (names->len == 0)
        return TRUE;
    g_autofree char *path = g_build_filename(log->directory, names->pdata[names->len - 1], NULL);
    g_autofree char *contents = NULL;
    gsize len = 0, valid = 0;
    if (!read_file(path, &contents, &len, error) ||
        !scan_records(path, (const guint8 *)contents, len, NULL, NULL, &valid, error))
        return FALSE;
    if (valid < len && truncate(path, (off_t)valid) != 0)
        return io_error(error, "truncate", path, errno);
    return TRUE;
}

/* Creates the next file, log-<start_ms>-<start_ms + rolling>-<seq>: the sequence number, not
 * the clock, orders the files, since a restarted run's clock may be behind the time of files
 * an earlier run wrote. */
static gboolean
open_file(DuetWriteAheadLog *log, gint64 start_ms, GError **error)
{
    if (log->prepare && !prepare_directory(log, error))
        return FALSE;
    log->prepare = FALSE;
    gint64 end_ms = start_ms + log->rolling_ms;
    g_autofree char *name =
        g_strdup_printf(WAL_PREFIX "%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                        start_ms, end_ms, log->next_seq);
    char *path = g_build_filename(log->directory, name, NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        io_error(error, "create", path, errno);
        g_free(path);
        return FALSE;
    }
    g_autofree char *header = header_line();
    /* the new name must survive a crash too */
    gboolean ok = write_all(fd, (const guint8 *)header, strlen(header), path, error) &&
                  sync_fd(fd, path, error) && sync_directory(log, error);
    if (!ok) {
        close(fd);
        g_unlink(path);
        g_free(path);
        return FALSE;
    }
    close_file(log);
    log->fd = fd;
    log->path = path;
    log->end_ms = end_ms;
    log->size = (gint64)strlen(header);
    log->next_seq++;
    return TRUE;
}

gboolean
duet_write_ahead_log_write(DuetWriteAheadLog *log, const void *data, gsize len, gint64 time_ms,
                           DuetWalSegment *segment, GError **error)
{
    g_return_val_if_fail(log != NULL && (data != NULL || len == 0), FALSE);
    if (len > G_MAXINT32) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_FAILED,
                    "a write-ahead log record holds at most %d bytes, not %" G_GSIZE_FORMAT,
                    G_MAXINT32, len);
        return FALSE;
    }
    gsize total = len + RECORD_EXTRA;
    guint8 *buffer = g_malloc(total);
    put_be32(buffer, (guint32)len);
    if (len > 0)
        memcpy(buffer + 4, data, len);
    put_be64(buffer + 4 + len, XXH64(data, len, 0));
    g_mutex_lock(&log->lock);
    gboolean ok = TRUE;
    if (log->fd < 0 || time_ms > log->end_ms)
        ok = open_file(log, time_ms, error);
    if (ok) {
        ok = write_all(log->fd, buffer, total, log->path, error) &&
             sync_fd(log->fd, log->path, error);
        if (ok) {
            if (segment != NULL) {
                segment->path = g_strdup(log->path);
                segment->offset = log->size;
                segment->length = (gint64)len;
            }
            log->size += (gint64)total;
        } else {
            /* no partial record may stay: cut it off, or check the directory (cutting it off) and
             * start a new file on the next write */
            if (ftruncate(log->fd, (off_t)log->size) != 0 ||
                lseek(log->fd, (off_t)log->size, SEEK_SET) != (off_t)log->size) {
                close_file(log);
                log->prepare = TRUE;
            }
        }
    }
    g_mutex_unlock(&log->lock);
    g_free(buffer);
    return ok;
}

guint
duet_write_ahead_log_clean(DuetWriteAheadLog *log, gint64 thresh_ms)
{
    g_mutex_lock(&log->lock);
    g_autoptr(GPtrArray) names = duet_write_ahead_log_list(log->directory);
    guint deleted = 0;
    for (guint index = 0; index < names->len; index++) {
        gint64 start, end, seq;
        parse_name(names->pdata[index], &start, &end, &seq);
        g_autofree char *path = g_build_filename(log->directory, names->pdata[index], NULL);
        /* only a prefix of the write order goes: a restarted run's file may end before an
         * earlier run's and hold the events (allocations) of that earlier file's blocks */
        if (end >= thresh_ms || (log->path != NULL && strcmp(path, log->path) == 0))
            break;
        if (g_unlink(path) == 0)
            deleted++;
    }
    g_mutex_unlock(&log->lock);
    return deleted;
}
