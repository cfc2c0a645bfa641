/* atomic_file.c — all-or-nothing file writes and versioned, checksummed files.
 *
 * Layer: rdd/. Includes rdd/ only. A write goes to a temporary file beside the target, is
 * fsync'ed, renamed over the target, and the directory is fsync'ed, so readers and a crash at
 * any instant see the old file or the new one. Each step consults duet_fault_sim first, so
 * tests can make any of them fail; a failure removes the temporary file and leaves the old
 * target untouched.
 */
#include "rdd/atomic_file.h"
#include "rdd/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <xxhash.h>

G_DEFINE_QUARK(duet - file - error - quark, duet_file_error)

static gint temp_counter;

static gboolean
io_error(GError **error, const char *action, const char *path, int saved_errno)
{
    g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_IO, "cannot %s %s: %s", action, path,
                g_strerror(saved_errno));
    return FALSE;
}

static gboolean
fsync_directory(const char *directory, GError **error)
{
    if (duet_fault_sim(DUET_FAULT_SITE_FSYNC, directory))
        return io_error(error, "fsync directory", directory, EIO);
    int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return io_error(error, "open directory", directory, errno);
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0 && saved != EINVAL) /* some file systems cannot fsync directories */
        return io_error(error, "fsync directory", directory, saved);
    return TRUE;
}

gboolean
duet_atomic_mkdir(const char *path, GError **error)
{
    if (g_mkdir_with_parents(path, 0755) != 0)
        return io_error(error, "create directory", path, errno);
    g_autofree char *parent = g_path_get_dirname(path);
    return fsync_directory(parent, error);
}

void
duet_remove_tree(const char *path)
{
    if (path == NULL)
        return;
    GDir *dir = g_file_test(path, G_FILE_TEST_IS_SYMLINK) ? NULL : g_dir_open(path, 0, NULL);
    if (dir == NULL) {
        g_remove(path);
        return;
    }
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        duet_remove_tree(child);
    }
    g_dir_close(dir);
    g_rmdir(path);
}

gboolean
duet_atomic_file_write(const char *path, const void *data, gsize len, GError **error)
{
    g_return_val_if_fail(path != NULL, FALSE);
    g_autofree char *directory = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    if (g_mkdir_with_parents(directory, 0755) != 0)
        return io_error(error, "create directory", directory, errno);
    g_autofree char *temp_name =
        g_strdup_printf(".%s.tmp-%d-%d", base, (int)getpid(), g_atomic_int_add(&temp_counter, 1));
    g_autofree char *temp_path = g_build_filename(directory, temp_name, NULL);

    int fd = open(temp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return io_error(error, "create", temp_path, errno);
    const guint8 *cursor = data;
    gsize remaining = len;
    gboolean ok = TRUE;
    if (duet_fault_sim(DUET_FAULT_SITE_WRITE, path))
        ok = io_error(error, "write", temp_path, EIO);
    while (ok && remaining > 0) {
        ssize_t written = write(fd, cursor, remaining);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            ok = io_error(error, "write", temp_path, errno);
            break;
        }
        cursor += written;
        remaining -= (gsize)written;
    }
    if (ok && duet_fault_sim(DUET_FAULT_SITE_FSYNC, path))
        ok = io_error(error, "fsync", temp_path, EIO);
    if (ok && fsync(fd) != 0)
        ok = io_error(error, "fsync", temp_path, errno);
    if (close(fd) != 0 && ok)
        ok = io_error(error, "close", temp_path, errno);
    if (ok && duet_fault_sim(DUET_FAULT_SITE_RENAME, path))
        ok = io_error(error, "rename into place", path, EIO);
    if (ok && g_rename(temp_path, path) != 0)
        ok = io_error(error, "rename into place", path, errno);
    if (!ok) {
        g_unlink(temp_path);
        return FALSE;
    }
    return fsync_directory(directory, error);
}

gboolean
duet_versioned_file_write(const char *path, const char *kind, guint version, const void *payload,
                          gsize len, GError **error)
{
    GString *file = g_string_sized_new(len + 64);
    g_string_append_printf(file, "DUET %s v%u\n%zu %016" G_GINT64_MODIFIER "x\n", kind, version,
                           len, (guint64)XXH64(payload, len, 0));
    g_string_append_len(file, payload, (gssize)len);
    gboolean ok = duet_atomic_file_write(path, file->str, file->len, error);
    g_string_free(file, TRUE);
    return ok;
}

static gboolean
corrupt(GError **error, const char *path, const char *what)
{
    g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_CORRUPT, "checkpoint file %s %s", path,
                what);
    return FALSE;
}

GBytes *
duet_versioned_file_read(const char *path, const char *kind, guint max_version, guint *version,
                         GError **error)
{
    g_autofree char *contents = NULL;
    gsize size = 0;
    GError *local = NULL;
    if (!g_file_get_contents(path, &contents, &size, &local)) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_IO, "cannot read %s: %s", path,
                    local->message);
        g_error_free(local);
        return NULL;
    }
    g_autofree char *magic = g_strdup_printf("DUET %s v", kind);
    gsize magic_len = strlen(magic);
    if (size < magic_len || memcmp(contents, magic, magic_len) != 0) {
        g_autofree char *what = g_strdup_printf("is not a duet %s file", kind);
        corrupt(error, path, what);
        return NULL;
    }
    char *cursor = contents + magic_len;
    char *end = NULL;
    guint64 file_version = g_ascii_strtoull(cursor, &end, 10);
    if (end == cursor || *end != '\n') {
        corrupt(error, path, "has a damaged header");
        return NULL;
    }
    if (file_version > max_version) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_VERSION,
                    "checkpoint file %s has format version v%" G_GUINT64_FORMAT
                    ", newer than this build reads (up to v%u)",
                    path, file_version, max_version);
        return NULL;
    }
    cursor = end + 1;
    gsize header_left = size - (gsize)(cursor - contents);
    char *newline = memchr(cursor, '\n', header_left);
    if (newline == NULL) {
        corrupt(error, path, "is truncated in its header");
        return NULL;
    }
    guint64 expected_len = g_ascii_strtoull(cursor, &end, 10);
    if (end == cursor || *end != ' ') {
        corrupt(error, path, "has a damaged header");
        return NULL;
    }
    guint64 checksum = g_ascii_strtoull(end + 1, &end, 16);
    if (end != newline) {
        corrupt(error, path, "has a damaged header");
        return NULL;
    }
    const char *payload = newline + 1;
    gsize found = size - (gsize)(payload - contents);
    if (found != expected_len) {
        g_autofree char *what =
            g_strdup_printf("is truncated: expected %" G_GUINT64_FORMAT " payload bytes, found %zu",
                            expected_len, found);
        corrupt(error, path, what);
        return NULL;
    }
    if ((guint64)XXH64(payload, found, 0) != checksum) {
        corrupt(error, path, "fails its checksum (the file is damaged)");
        return NULL;
    }
    if (version != NULL)
        *version = (guint)file_version;
    return g_bytes_new(payload, found);
}
