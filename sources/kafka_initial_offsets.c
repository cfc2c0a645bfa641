/* kafka_initial_offsets.c — the Kafka source's resolved startingOffsets, kept in a checkpoint.
 *
 * Layer: sources/. Includes rdd/ and sources/. Spark's KafkaSourceInitialOffsetWriter: the
 * first time a streaming query's Kafka source resolves startingOffsets ("latest" by default),
 * it writes them to checkpoint/sources/<index>/0 as a zero byte (Spark writes one for Spark
 * 2.1.0's reader), "v1\n" and the offsets JSON; a source made in a new process reads them back
 * instead of resolving "latest" again, so a query that failed before committing its first
 * batch re-reads the same records. Written atomically (rdd/atomic_file.h); a damaged file is an
 * error naming it, with Spark's texts for the version line.
 */
#include "sources/internal.h"
#include "rdd/atomic_file.h"

#include <string.h>

gboolean
duet_kafka_initial_offsets_write(const char *path, const DuetKafkaOffsets *offsets, GError **error)
{
    g_autofree char *json = duet_kafka_offsets_to_json(offsets);
    GString *text = g_string_new(NULL);
    g_string_append_c(text, '\0');
    g_string_append_printf(text, "v1\n%s", json);
    gboolean ok = duet_atomic_file_write(path, text->str, text->len, error);
    g_string_free(text, TRUE);
    return ok;
}

static DuetKafkaOffsets *
damaged(GError **error, const char *path, const char *what)
{
    g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET, "checkpoint file %s: %s", path,
                what);
    return NULL;
}

DuetKafkaOffsets *
duet_kafka_initial_offsets_read(const char *path, GError **error)
{
    g_autofree char *contents = NULL;
    gsize len = 0;
    GError *local = NULL;
    if (!g_file_get_contents(path, &contents, &len, &local)) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET,
                    "cannot read checkpoint file %s: %s", path, local->message);
        g_error_free(local);
        return NULL;
    }
    const char *text = contents;
    if (len > 0 && text[0] == '\0') { /* Spark's optional leading zero byte */
        text++;
        len--;
    }
    if (len == 0)
        return damaged(error, path, "Incomplete log file");
    if (memchr(text, '\0', len) != NULL || !g_utf8_validate(text, (gssize)len, NULL))
        return damaged(error, path, "is not text (binary garbage): the file is damaged");
    const char *newline = strchr(text, '\n');
    g_autofree char *version = newline ? g_strndup(text, newline - text) : g_strdup(text);
    if (!duet_source_log_check_version(path, version, error))
        return NULL;
    if (newline == NULL)
        return damaged(error, path, "Incomplete log file: the offsets line is missing");
    DuetKafkaOffsets *offsets =
        duet_kafka_offsets_parse(newline + 1, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET, &local);
    if (offsets == NULL) {
        g_autofree char *what = g_strdup_printf(
            "the initial offsets are not Kafka offsets JSON (the file is truncated or damaged): "
            "%s",
            local->message);
        g_error_free(local);
        return damaged(error, path, what);
    }
    return offsets;
}
