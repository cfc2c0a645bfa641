/* sensor_averages/structured.c — each sensor's average temperature per hour.
 *
 *   readings = lines.selectExpr(
 *       "element_at(split(value, ','), 1) AS sensor",
 *       "CAST(element_at(split(value, ','), 2) AS DOUBLE) AS temperature",
 *       "timestamp_seconds(CAST(element_at(split(value, ','), 3) AS BIGINT)) AS timestamp")
 *   averages = readings.groupBy(window("timestamp", "1 hour"), "sensor") \
 *       .agg(avg("temperature").alias("avg")) \
 *       .selectExpr("window.start AS hour", "sensor", "round(avg, 2) AS avg_temperature")
 *   averages.writeStream.outputMode("update").format("console").start()
 *
 * The hourly window is event time; avg keeps (sum, count) in the state store for us. Without
 * a watermark the state is never cleaned: add withWatermark for a long-running job. */
#include "compat/example.h"

DuetDataFrame *
duet_example_sensor_averages_structured(DuetDataFrame *lines, GError **error)
{
    static const char *const fields[] = {
        "element_at(split(value, ','), 1) AS sensor",
        "CAST(element_at(split(value, ','), 2) AS DOUBLE) AS temperature",
        "timestamp_seconds(CAST(element_at(split(value, ','), 3) AS BIGINT)) AS timestamp"};
    static const char *const keys[] = {"window(timestamp, '1 hour')", "sensor"};
    static const char *const aggregate[] = {"avg(temperature) AS avg"};
    static const char *const shown[] = {"window.start AS hour", "sensor",
                                        "round(avg, 2) AS avg_temperature"};
    g_autoptr(DuetDataFrame) readings = duet_dataframe_select_exprv(lines, fields, 3, error);
    if (readings == NULL)
        return NULL;
    g_autoptr(DuetDataFrame) valid = duet_dataframe_where(
        readings, "sensor IS NOT NULL AND temperature IS NOT NULL AND timestamp IS NOT NULL",
        error);
    if (valid == NULL)
        return NULL;
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(valid, keys, 2, error);
    if (grouped == NULL)
        return NULL;
    g_autoptr(DuetDataFrame) averages = duet_grouped_data_agg_exprv(grouped, aggregate, 1, error);
    return averages ? duet_dataframe_select_exprv(averages, shown, 3, error) : NULL;
}
