/* rate_source.c — Spark's rate source: generated (timestamp, value) rows at a set rate.
 *
 * Layer: sources/. Includes rdd/ and sources/. Exactly RateStreamProvider's arithmetic:
 * offsets are whole seconds since the source was created (a LongOffset); the rows of
 * (start, end] are the values valueAtSecond(start) .. valueAtSecond(end) - 1, spread over
 * numPartitions round-robin, each stamped creation + start s + round((v - first) * ms per
 * value). Options: rowsPerSecond (default 1), rampUpTime (seconds, default 0; "5s" also
 * accepted), numPartitions (default spark.default.parallelism).
 */
#include "sources/internal.h"

#include "rdd/atomic_file.h"

#include <math.h>
#include <string.h>

typedef struct {
    DuetClock *clock;  /* owned reference */
    GMutex lock;       /* guards created_ms, which a query's log may set */
    gint64 created_ms; /* the source's zero */
    gboolean logged;   /* created_ms is kept in a query's checkpoint */
    gint64 rows_per_second;
    gint64 ramp_up_seconds;
    gint64 partitions;
} Rate;

gint64
duet_rate_source_value_at_second(gint64 seconds, gint64 rows_per_second, gint64 ramp_up_seconds)
{
    gint64 speed_delta = rows_per_second / (ramp_up_seconds + 1);
    if (seconds <= ramp_up_seconds) {
        /* (speed_delta * seconds) * (seconds + 1) / 2, ordered to avoid overflow */
        if (seconds % 2 == 1)
            return (seconds + 1) / 2 * speed_delta * seconds;
        return seconds / 2 * speed_delta * (seconds + 1);
    }
    gint64 ramp_up_part =
        duet_rate_source_value_at_second(ramp_up_seconds, rows_per_second, ramp_up_seconds);
    return ramp_up_part + (seconds - ramp_up_seconds) * rows_per_second;
}

static void
rate_finalize(gpointer data)
{
    Rate *rate = data;
    duet_clock_unref(rate->clock);
    g_mutex_clear(&rate->lock);
    g_free(rate);
}

static char *
rate_description(DuetSource *source)
{
    Rate *rate = duet_source_get_data(source);
    return g_strdup_printf("RateStreamV2[rowsPerSecond=%" G_GINT64_FORMAT
                           ", rampUpTimeSeconds=%" G_GINT64_FORMAT
                           ", numPartitions=%" G_GINT64_FORMAT "]",
                           rate->rows_per_second, rate->ramp_up_seconds, rate->partitions);
}

static char *
rate_latest(DuetSource *source, GError **error)
{
    Rate *rate = duet_source_get_data(source);
    g_mutex_lock(&rate->lock);
    gint64 seconds = (duet_clock_now_ms(rate->clock) - rate->created_ms) / 1000;
    g_mutex_unlock(&rate->lock);
    return g_strdup_printf("%" G_GINT64_FORMAT, seconds);
}

static GPtrArray *
rate_get_batch(DuetSource *source, const char *start, const char *end, GError **error)
{
    Rate *rate = duet_source_get_data(source);
    gint64 start_seconds = 0, end_seconds = 0;
    if ((start && !duet_long_offset_parse(start, &start_seconds, error)) ||
        !duet_long_offset_parse(end, &end_seconds, error))
        return NULL;
    gint64 first = duet_rate_source_value_at_second(start_seconds, rate->rows_per_second,
                                                    rate->ramp_up_seconds);
    gint64 last =
        duet_rate_source_value_at_second(end_seconds, rate->rows_per_second, rate->ramp_up_seconds);
    g_mutex_lock(&rate->lock);
    gint64 start_ms = rate->created_ms + start_seconds * 1000;
    g_mutex_unlock(&rate->lock);
    gdouble ms_per_value =
        last > first ? (gdouble)(end_seconds - start_seconds) * 1000.0 / (gdouble)(last - first)
                     : 0.0;
    GPtrArray *partitions = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (gint64 partition = 0; partition < rate->partitions; partition++) {
        DuetBatchBuilder *builder = duet_batch_builder_new(
            duet_source_schema(source), (gsize)MAX((last - first) / rate->partitions + 1, 1));
        for (gint64 value = first + partition; value < last; value += rate->partitions) {
            gint64 relative = (gint64)llround((gdouble)(value - first) * ms_per_value);
            duet_batch_builder_append_int64(builder, 0, (start_ms + relative) * 1000);
            duet_batch_builder_append_int64(builder, 1, value);
        }
        DuetBatch *batch = duet_batch_builder_finish(builder, error);
        duet_batch_builder_free(builder);
        if (batch == NULL) {
            g_ptr_array_unref(partitions);
            return NULL;
        }
        GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)duet_batch_unref);
        g_ptr_array_add(list, batch);
        g_ptr_array_add(partitions, list);
    }
    return partitions;
}

/* Spark's RateStreamMicroBatchStream keeps its creation time in checkpoint/sources/<i>/0 ("v1",
 * then the time in ms), so that a restarted query's rows keep their timestamps; a source in a
 * new process takes it from there. */
static gboolean
rate_attach_log(DuetSource *source, const char *directory, GError **error)
{
    Rate *rate = duet_source_get_data(source);
    g_autofree char *path = g_build_filename(directory, "0", NULL);
    g_mutex_lock(&rate->lock);
    gboolean ok = TRUE;
    if (!rate->logged && g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_autofree char *text = NULL;
        GError *local = NULL;
        ok = g_file_get_contents(path, &text, NULL, &local);
        char *newline = ok ? strchr(text, '\n') : NULL;
        if (newline)
            *newline = '\0';
        char *end = NULL;
        gint64 created =
            newline && g_ascii_isdigit(newline[1]) ? g_ascii_strtoll(newline + 1, &end, 10) : -1;
        if (!ok) {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET,
                        "cannot read checkpoint file %s: %s", path, local->message);
            g_error_free(local);
        } else if (!duet_source_log_check_version(path, text, error)) {
            ok = FALSE;
        } else if (created < 0 || *end != '\0') {
            g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OFFSET,
                        "checkpoint file %s: the rate source's creation time is missing or "
                        "malformed (the file is truncated or damaged)",
                        path);
            ok = FALSE;
        } else {
            rate->created_ms = created;
        }
    } else if (!rate->logged) {
        g_autofree char *text = g_strdup_printf("v1\n%" G_GINT64_FORMAT, rate->created_ms);
        ok = duet_atomic_file_write(path, text, strlen(text), error);
    }
    rate->logged |= ok;
    g_mutex_unlock(&rate->lock);
    return ok;
}

static const DuetSourceClass rate_class = {
    .format = "rate",
    .description = rate_description,
    .latest_offset = rate_latest,
    .get_batch = rate_get_batch,
    .finalize = rate_finalize,
    .compare = duet_long_offset_compare,
    .attach_log = rate_attach_log,
};

/* rampUpTime: seconds, optionally with an "s" suffix. */
static gboolean
ramp_up_option(DuetSourceOptions *options, gint64 *seconds, GError **error)
{
    const char *text = duet_source_options_get(options, "rampUpTime");
    if (text == NULL) {
        *seconds = 0;
        return TRUE;
    }
    char *end = NULL;
    gint64 value = g_ascii_strtoll(text, &end, 10);
    if (end == text || (*end != '\0' && g_strcmp0(end, "s") != 0) || value < 0) {
        g_set_error(error, DUET_SOURCE_ERROR, DUET_SOURCE_ERROR_OPTION,
                    "Invalid value '%s' for option 'rampUpTime', must not be negative", text);
        return FALSE;
    }
    *seconds = value;
    return TRUE;
}

DuetSource *
duet_rate_source_new(DuetSourceOptions *options, DuetClock *clock, guint default_partitions,
                     GError **error)
{
    Rate *rate = g_new0(Rate, 1);
    if (!duet_source_options_get_int(options, "rowsPerSecond", 1, FALSE, &rate->rows_per_second,
                                     error) ||
        !ramp_up_option(options, &rate->ramp_up_seconds, error) ||
        !duet_source_options_get_int(options, "numPartitions", MAX(default_partitions, 1), FALSE,
                                     &rate->partitions, error)) {
        g_free(rate);
        return NULL;
    }
    rate->clock = duet_clock_ref(clock);
    g_mutex_init(&rate->lock);
    rate->created_ms = duet_clock_now_ms(clock);
    g_autoptr(DuetSchema) schema = duet_schema_parse("timestamp TIMESTAMP, value BIGINT", NULL);
    return duet_source_new_internal(&rate_class, schema, rate);
}
