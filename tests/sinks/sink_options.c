/* sink_options.c — the sinks/ tests' shared helper for bad options. */
#include "tests/sinks/sink_options.h"
#include "tests/common/test.h"

#include <stdarg.h>

char *
duet_test_sink_option_error(const char *format, const char *ddl, const char *first_key, ...)
{
    GHashTable *options = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    va_list args;
    va_start(args, first_key);
    for (const char *key = first_key; key != NULL; key = va_arg(args, const char *))
        g_hash_table_replace(options, g_strdup(key), g_strdup(va_arg(args, const char *)));
    va_end(args);
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    GError *error = NULL;
    DuetSink *sink = duet_sink_new(format, options, schema, &error);
    g_hash_table_unref(options);
    CU_ASSERT_PTR_NULL(sink);
    if (sink != NULL) {
        duet_sink_unref(sink);
        return g_strdup("(no error)");
    }
    CU_ASSERT_TRUE(g_error_matches(error, DUET_SINK_ERROR, DUET_SINK_ERROR_OPTION));
    char *message = g_strdup(error->message);
    g_error_free(error);
    return message;
}
