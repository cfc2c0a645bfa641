/* log_monitoring/dstream.c — ERROR lines per service, in a sliding processing-time window.
 *
 *   errors = lines.map(lambda l: l.split(",")).filter(lambda f: f[1] == "ERROR") \
 *                 .map(lambda f: (f[2], 1))
 *   counts = errors.reduceByKeyAndWindow(lambda a, b: a + b, lambda a, b: a - b, 30, 10,
 *                                        filterFunc=lambda kv: kv[1] > 0)
 *   counts.pprint()
 *
 * A line is "epoch_seconds,LEVEL,service,message". */
#include "compat/example.h"

static void
service_of_error(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize level_len, service_len;
    const char *level = duet_example_field(row, 1, &level_len);
    const char *service = duet_example_field(row, 2, &service_len);
    if (level == NULL || service == NULL || level_len != 5 || memcmp(level, "ERROR", 5) != 0)
        return;
    duet_batch_builder_append_string(out, 0, service, (gssize)service_len);
    duet_batch_builder_append_int64(out, 1, 1);
}

DuetDStream *
duet_example_log_monitoring_dstream(DuetDStream *lines, GError **error)
{
    g_autoptr(DuetSchema) pair = duet_schema_parse("service STRING, errors BIGINT", NULL);
    g_autoptr(DuetDStream) errors = duet_dstream_flat_map(lines, pair, service_of_error, NULL);
    return duet_dstream_reduce_by_key_and_window(errors, duet_example_add_int64,
                                                 duet_example_subtract_int64, 30000, 10000, 0,
                                                 duet_example_count_above_zero, NULL, error);
}
