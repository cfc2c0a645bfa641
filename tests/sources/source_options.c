/* source_options.c — the sources/ tests' shared helper for bad options. */
#include "tests/sources/source_options.h"
#include "tests/common/test.h"

#include <stdarg.h>

char *
duet_test_source_option_error(const char *format, const char *first_key, ...)
{
    DuetSourceOptions *options = duet_source_options_new();
    va_list args;
    va_start(args, first_key);
    for (const char *key = first_key; key != NULL; key = va_arg(args, const char *))
        duet_source_options_set(options, key, va_arg(args, const char *));
    va_end(args);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    GError *error = NULL;
    DuetSource *source = duet_source_new(format, options, NULL, clock, 1, &error);
    g_hash_table_unref(options);
    CU_ASSERT_PTR_NULL(source);
    if (source != NULL) {
        duet_source_unref(source);
        return g_strdup("(no error)");
    }
    CU_ASSERT_TRUE(g_error_matches(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION));
    char *message = g_strdup(error->message);
    g_error_free(error);
    return message;
}
