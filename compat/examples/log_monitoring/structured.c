/* log_monitoring/structured.c — ERROR lines per service, in sliding event-time windows.
 *
 *   logs = lines.selectExpr(
 *       "timestamp_seconds(CAST(element_at(split(value, ','), 1) AS BIGINT)) AS timestamp",
 *       "element_at(split(value, ','), 2) AS level",
 *       "element_at(split(value, ','), 3) AS service")
 *   errors = logs.where("level = 'ERROR'").withWatermark("timestamp", "30 seconds") \
 *       .groupBy(window("timestamp", "30 seconds", "10 seconds"), "service") \
 *       .agg(count("*").alias("errors"))
 *   errors.writeStream.outputMode("update").format("console").start()
 */
#include "compat/example.h"

DuetDataFrame *
duet_example_log_monitoring_structured(DuetDataFrame *lines, GError **error)
{
    static const char *const fields[] = {
        "timestamp_seconds(CAST(element_at(split(value, ','), 1) AS BIGINT)) AS timestamp",
        "element_at(split(value, ','), 2) AS level", "element_at(split(value, ','), 3) AS service"};
    static const char *const keys[] = {"window(timestamp, '30 seconds', '10 seconds')", "service"};
    static const char *const aggregate[] = {"count(*) AS errors"};
    g_autoptr(DuetDataFrame) logs = duet_dataframe_select_exprv(lines, fields, 3, error);
    if (logs == NULL)
        return NULL;
    g_autoptr(DuetDataFrame) errors = duet_dataframe_where(logs, "level = 'ERROR'", error);
    if (errors == NULL)
        return NULL;
    g_autoptr(DuetDataFrame) watermarked =
        duet_dataframe_with_watermark(errors, "timestamp", "30 seconds", error);
    if (watermarked == NULL)
        return NULL;
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(watermarked, keys, 2, error);
    return grouped ? duet_grouped_data_agg_exprv(grouped, aggregate, 1, error) : NULL;
}
