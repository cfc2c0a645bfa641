/* interval.c — Spark's interval strings, for window(), withWatermark and triggers.
 *
 * Layer: structured/. "10 seconds", "1 minute 30 seconds", "200 milliseconds",
 * "interval 2 hours", "0 second": a sum of <number> <unit> pairs (units singular or plural:
 * microsecond, millisecond, second, minute, hour, day, week; a month counts 31 days and a
 * year 12 months, as Spark's watermark delay does). A bare integer is microseconds, as a
 * window duration given as a number is in Spark.
 */
#include "structured/internal.h"

#include <string.h>

static const struct {
    const char *unit;
    gint64 us;
} units[] = {
    {"microsecond", 1},
    {"millisecond", 1000},
    {"second", (gint64)G_USEC_PER_SEC},
    {"minute", 60 * (gint64)G_USEC_PER_SEC},
    {"hour", 3600 * (gint64)G_USEC_PER_SEC},
    {"day", 86400 * (gint64)G_USEC_PER_SEC},
    {"week", 7 * 86400 * (gint64)G_USEC_PER_SEC},
    {"month", 31 * 86400 * (gint64)G_USEC_PER_SEC},
    {"year", 12 * 31 * 86400 * (gint64)G_USEC_PER_SEC},
};

static gboolean
unit_us(const char *word, gint64 *us)
{
    gsize len = strlen(word);
    for (guint index = 0; index < G_N_ELEMENTS(units); index++) {
        gsize unit_len = strlen(units[index].unit);
        if (g_ascii_strncasecmp(word, units[index].unit, unit_len) == 0 &&
            (len == unit_len || (len == unit_len + 1 && g_ascii_tolower(word[len - 1]) == 's'))) {
            *us = units[index].us;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean
duet_parse_interval_us(const char *text, gint64 *us, GError **error)
{
    g_auto(GStrv) words = g_strsplit_set(text, " \t", -1);
    GPtrArray *parts = g_ptr_array_new();
    for (guint index = 0; words[index]; index++)
        if (*words[index])
            g_ptr_array_add(parts, words[index]);
    guint first = parts->len > 0 && g_ascii_strcasecmp(parts->pdata[0], "interval") == 0;
    gint64 total = 0;
    gboolean ok = parts->len > first;
    char *end = NULL;
    if (ok && parts->len == first + 1) {
        total = g_ascii_strtoll(parts->pdata[first], &end, 10);
        ok = end != parts->pdata[first] && *end == '\0';
    } else {
        for (guint index = first; ok && index < parts->len; index += 2) {
            gint64 unit = 0;
            gdouble amount = g_ascii_strtod(parts->pdata[index], &end);
            ok = end != parts->pdata[index] && *end == '\0' && index + 1 < parts->len &&
                 unit_us(parts->pdata[index + 1], &unit);
            total += (gint64)(amount * (gdouble)unit);
        }
    }
    g_ptr_array_unref(parts);
    if (!ok) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "The interval string '%s' is invalid: expected numbers with units such as "
                    "'10 seconds' or '1 minute 30 seconds'",
                    text);
        return FALSE;
    }
    *us = total;
    return TRUE;
}
