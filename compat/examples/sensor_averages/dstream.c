/* sensor_averages/dstream.c — each sensor's average temperature per hour, with state.
 *
 *   readings = lines.map(lambda l: l.split(",")) \
 *                   .map(lambda f: ("%s,%d" % (f[0], int(f[2]) // 3600 * 3600), float(f[1])))
 *   def update(temperatures, state):           # state: (sum, count)
 *       sum, count = state or (0.0, 0)
 *       return (sum + sum(temperatures), count + len(temperatures))
 *   averages = readings.updateStateByKey(update) \
 *                      .map(lambda kv: (hour(kv[0]), sensor(kv[0]), round(kv[1][0] / kv[1][1], 2)))
 *
 * The hour comes from the reading's own time, so this DStream program groups by event time
 * by hand; every key stays in the state, and every batch prints them all. */
#include "compat/example.h"

#include <math.h>

/* "sensor,temperature,epoch_seconds" -> ("sensor,hour_start_seconds", temperature). */
static void
reading_of_line(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize sensor_len;
    const char *sensor = duet_example_field(row, 0, &sensor_len);
    gdouble temperature = duet_example_field_double(row, 1, NAN);
    gint64 seconds = duet_example_field_int64(row, 2, -1);
    if (sensor == NULL || isnan(temperature) || seconds < 0)
        return;
    char *key = duet_task_scratch_alloc(sensor_len + 24);
    int key_len = g_snprintf(key, sensor_len + 24, "%.*s,%" G_GINT64_FORMAT, (int)sensor_len,
                             sensor, seconds / 3600 * 3600);
    duet_batch_builder_append_string(out, 0, key, key_len);
    duet_batch_builder_append_double(out, 1, temperature);
}

static gboolean
add_readings(gint64 time_ms, const DuetValue *key, const DuetValue *temperatures,
             const DuetValue *state, DuetColumnBuilder *new_state, gpointer user_data)
{
    gdouble sum = 0;
    gint64 count = 0;
    if (!state->is_null) {
        sum = duet_column_get_double(duet_column_child(state->v.nested.column, 0),
                                     state->v.nested.row);
        count = duet_column_get_int64(duet_column_child(state->v.nested.column, 1),
                                      state->v.nested.row);
    }
    gsize start, end;
    duet_column_list_range(temperatures->v.nested.column, temperatures->v.nested.row, &start, &end);
    DuetColumn *elements = duet_column_child(temperatures->v.nested.column, 0);
    for (gsize element = start; element < end; element++)
        sum += duet_column_get_double(elements, element);
    count += (gint64)(end - start);
    duet_column_builder_append_double(duet_column_builder_child(new_state, 0), sum);
    duet_column_builder_append_int64(duet_column_builder_child(new_state, 1), count);
    duet_column_builder_end_struct(new_state);
    return TRUE;
}

/* ("sensor,hour", (sum, count)) -> (hour, sensor, average rounded to 2 places, as round()). */
static void
average_of_state(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize sensor_len;
    const char *sensor = duet_example_field(row, 0, &sensor_len);
    DuetValue state;
    duet_row_get_value(row, 1, &state);
    gdouble sum =
        duet_column_get_double(duet_column_child(state.v.nested.column, 0), state.v.nested.row);
    gint64 count =
        duet_column_get_int64(duet_column_child(state.v.nested.column, 1), state.v.nested.row);
    duet_batch_builder_append_int64(out, 0, duet_example_field_int64(row, 1, 0) * G_USEC_PER_SEC);
    duet_batch_builder_append_string(out, 1, sensor, (gssize)sensor_len);
    duet_batch_builder_append_double(out, 2, round(sum / (gdouble)count * 100) / 100);
}

DuetDStream *
duet_example_sensor_averages_dstream(DuetDStream *lines, GError **error)
{
    g_autoptr(DuetSchema) reading = duet_schema_parse("key STRING, temperature DOUBLE", NULL);
    g_autoptr(DuetDStream) readings = duet_dstream_flat_map(lines, reading, reading_of_line, NULL);
    g_autoptr(DuetDataType) sum_count =
        duet_data_type_parse("STRUCT<sum: DOUBLE, count: BIGINT>", error);
    if (sum_count == NULL)
        return NULL;
    g_autoptr(DuetDStream) states =
        duet_dstream_update_state_by_key(readings, sum_count, add_readings, NULL, 0, NULL, error);
    if (states == NULL)
        return NULL;
    g_autoptr(DuetSchema) average =
        duet_schema_parse("hour TIMESTAMP, sensor STRING, avg_temperature DOUBLE", NULL);
    return duet_dstream_map(states, average, average_of_state, NULL);
}
