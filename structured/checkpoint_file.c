/* checkpoint_file.c — reading a streaming checkpoint's files, every damage reported by name.
 *
 * Layer: structured/. Includes rdd/ and structured/. The text logs (offsets/N, commits/N) open
 * with Spark's log version line "v1" and are checked as Spark's
 * MetadataVersionUtil.validateVersion checks it, with Spark's texts ("Log file was malformed:
 * failed to read correct log version from x.", "UnsupportedLogVersion: maximum supported log
 * version is v1, but encountered v2. ..."); JSON lines must parse. The binary files (state
 * deltas and snapshots, state schemas) are rdd/atomic_file.h's versioned, checksummed files; a
 * future version is reported with the same UnsupportedLogVersion text. Every message starts
 * with "checkpoint file <path>" so the user knows which file to look at.
 */
#include "structured/internal.h"
#include "rdd/atomic_file.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

static gboolean
file_error(GError **error, gint code, const char *path, const char *what)
{
    g_set_error(error, DUET_FILE_ERROR, code, "checkpoint file %s: %s", path, what);
    return FALSE;
}

gboolean
duet_checkpoint_parse_version(const char *path, const char *text, guint max_version, guint *version,
                              GError **error)
{
    /* Spark's rule: 'v', then a positive integer with nothing after it */
    if (text[0] == 'v' && text[1] != '\0') {
        char *end = NULL;
        gint64 parsed = g_ascii_strtoll(text + 1, &end, 10);
        gboolean digits = g_ascii_isdigit(text[1]) || (text[1] == '-' && g_ascii_isdigit(text[2]));
        if (digits && *end == '\0' && parsed > 0) {
            if (parsed > max_version) {
                g_autofree char *what = g_strdup_printf(
                    "UnsupportedLogVersion: maximum supported log version is v%u, but "
                    "encountered v%" G_GINT64_FORMAT ". The log file was produced by a newer "
                    "version of Spark and cannot be read by this version. Please upgrade.",
                    max_version, parsed);
                return file_error(error, DUET_FILE_ERROR_VERSION, path, what);
            }
            if (version)
                *version = (guint)parsed;
            return TRUE;
        }
    }
    g_autofree char *shown = g_strndup(text, 64); /* garbage can be long */
    g_autofree char *what = g_strdup_printf(
        "Log file was malformed: failed to read correct log version from %s.", shown);
    return file_error(error, DUET_FILE_ERROR_CORRUPT, path, what);
}

gboolean
duet_checkpoint_check_json(const char *path, const char *what, const char *text, gboolean object,
                           GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    GError *local = NULL;
    if (!json_parser_load_from_data(parser, text, -1, &local)) {
        g_autofree char *message = g_strdup_printf("%s is not valid JSON (%s): the file is "
                                                   "truncated or damaged",
                                                   what, local->message);
        g_error_free(local);
        return file_error(error, DUET_FILE_ERROR_CORRUPT, path, message);
    }
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || (object && !JSON_NODE_HOLDS_OBJECT(root))) {
        g_autofree char *message =
            g_strdup_printf("%s is not a JSON object: the file is damaged", what);
        return file_error(error, DUET_FILE_ERROR_CORRUPT, path, message);
    }
    return TRUE;
}

char *
duet_checkpoint_read_text(const char *path, GError **error)
{
    char *text = NULL;
    gsize len = 0;
    GError *local = NULL;
    if (!g_file_get_contents(path, &text, &len, &local)) {
        g_set_error(error, DUET_FILE_ERROR, DUET_FILE_ERROR_IO, "cannot read checkpoint file %s",
                    local->message);
        g_error_free(local);
        return NULL;
    }
    if (memchr(text, '\0', len) != NULL || !g_utf8_validate(text, (gssize)len, NULL)) {
        g_free(text);
        file_error(error, DUET_FILE_ERROR_CORRUPT, path,
                   "is not text (binary garbage): the file is damaged");
        return NULL;
    }
    return text;
}

GBytes *
duet_checkpoint_read_versioned(const char *path, const char *kind, guint max_version,
                               guint *version, GError **error)
{
    GError *local = NULL;
    GBytes *bytes = duet_versioned_file_read(path, kind, max_version, version, &local);
    if (bytes != NULL)
        return bytes;
    if (g_error_matches(local, DUET_FILE_ERROR, DUET_FILE_ERROR_VERSION)) {
        /* the header is "DUET <kind> v<N>": report it with Spark's words */
        g_autofree char *head = NULL;
        g_file_get_contents(path, &head, NULL, NULL);
        char *line_end = head ? strchr(head, '\n') : NULL;
        if (line_end)
            *line_end = '\0';
        const char *at = line_end ? strrchr(head, ' ') : NULL;
        if (at != NULL) {
            g_clear_error(&local);
            duet_checkpoint_parse_version(path, at + 1, max_version, NULL, &local);
        }
    }
    g_propagate_error(error, local);
    return NULL;
}
