/* atomic_file.h — durable, all-or-nothing file writes and self-describing versioned files.
 *
 * Layer: rdd/. Every checkpoint, log and manifest file of both APIs is written here: to a
 * temporary file in the same directory, fsync'ed, renamed over the target, and the directory
 * fsync'ed, so a reader sees the old file or the new one, never a torn one. Versioned files
 * carry a header naming their kind and format version and a checksum of the payload, so a
 * truncated, garbage or future-version file is reported with its path instead of misread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DUET_FILE_ERROR (duet_file_error_quark())
GQuark duet_file_error_quark(void);

typedef enum {
    DUET_FILE_ERROR_IO,      /* the operating system refused (message has strerror and path) */
    DUET_FILE_ERROR_CORRUPT, /* wrong magic, bad checksum, truncated */
    DUET_FILE_ERROR_VERSION, /* a format version this build cannot read */
    DUET_FILE_ERROR_FAILED,
} DuetFileError;

/* Writes data to path atomically (temp file, fsync, rename, fsync of the directory). Creates
 * missing parent directories. */
gboolean duet_atomic_file_write(const char *path, const void *data, gsize len, GError **error);
/* Creates a directory and its parents; fsyncs the parent. */
gboolean duet_atomic_mkdir(const char *path, GError **error);
/* Deletes path and, if it is a directory, everything under it (symlinks are unlinked, never
 * followed). Best effort: a file that cannot be removed is left. NULL is a no-op. */
void duet_remove_tree(const char *path);

/* Versioned files: header "DUET <kind> v<version>\n", then the payload length and an XXH64
 * checksum on one line, then the payload. kind is a short word ("rdd-partition", "state-delta").
 */
gboolean duet_versioned_file_write(const char *path, const char *kind, guint version,
                                   const void *payload, gsize len, GError **error);
/* Reads a versioned file, checking kind, version (must be <= max_version) and checksum.
 * Returns the payload; *version receives the file's version. */
GBytes *duet_versioned_file_read(const char *path, const char *kind, guint max_version,
                                 guint *version, GError **error);

G_END_DECLS
