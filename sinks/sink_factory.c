/* sink_factory.c — a sink by its Spark format name and options, for both APIs.
 *
 * Layer: sinks/. writeStream.format(...).option(...): "console" (numRows, truncate), "memory",
 * "json" / "csv" / "text" (the file sink; path), "kafka", "zmq", "sqlite", "postgres". Options
 * are matched case-insensitively, as Spark's. foreach and foreachBatch take callbacks and are
 * made with their own constructors.
 */
#include "sinks/sink.h"

#include <stdlib.h>

static gboolean
option_int(GHashTable *options, const char *key, gint64 fallback, gint64 *value, GError **error)
{
    const char *text = duet_sink_option_get(options, key);
    if (text == NULL) {
        *value = fallback;
        return TRUE;
    }
    char *end = NULL;
    *value = g_ascii_strtoll(text, &end, 10);
    if (end == text || *end != '\0') {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "Invalid value '%s' for option '%s', must be an integer", text, key);
        return FALSE;
    }
    return TRUE;
}

DuetSink *
duet_sink_new(const char *format, GHashTable *options, DuetSchema *schema, GError **error)
{
    if (format == NULL) {
        g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                    "writeStream needs a format: console, memory, json, csv, text, kafka, zmq, "
                    "sqlite or postgres (foreach and foreachBatch take a function)");
        return NULL;
    }
    if (g_ascii_strcasecmp(format, "console") == 0) {
        gint64 rows = 20;
        if (!option_int(options, "numRows", 20, &rows, error))
            return NULL;
        const char *truncate = duet_sink_option_get(options, "truncate");
        return duet_console_sink_new(schema, (gint)rows,
                                     truncate == NULL || g_ascii_strcasecmp(truncate, "false") != 0,
                                     NULL, NULL);
    }
    if (g_ascii_strcasecmp(format, "memory") == 0)
        return duet_memory_sink_new(schema);
    if (g_ascii_strcasecmp(format, "json") == 0 || g_ascii_strcasecmp(format, "csv") == 0 ||
        g_ascii_strcasecmp(format, "text") == 0)
        return duet_file_sink_new(format, options, schema, error);
    if (g_ascii_strcasecmp(format, "kafka") == 0)
        return duet_kafka_sink_new(schema, options, error);
    if (g_ascii_strcasecmp(format, "zmq") == 0)
        return duet_zmq_sink_new(options, schema, error);
    if (g_ascii_strcasecmp(format, "sqlite") == 0)
        return duet_sqlite_sink_new(options, schema, error);
    if (g_ascii_strcasecmp(format, "postgres") == 0 ||
        g_ascii_strcasecmp(format, "postgresql") == 0)
        return duet_postgres_sink_new(options, schema, error);
    g_set_error(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION,
                "[DATA_SOURCE_NOT_FOUND] Failed to find the data source: %s. duet's streaming "
                "sinks are console, memory, json, csv, text, kafka, zmq, sqlite and postgres.",
                format);
    return NULL;
}
