/* windowed_counts/structured.c — word counts in event-time windows, with a watermark.
 *
 *   events = lines.selectExpr(
 *       "timestamp_seconds(CAST(element_at(split(value, ','), 1) AS BIGINT)) AS timestamp",
 *       "element_at(split(value, ','), 2) AS word")
 *   counts = events.withWatermark("timestamp", "2 minutes") \
 *                  .groupBy(window("timestamp", "5 minutes", "1 minute"), "word").count()
 *   counts.writeStream.outputMode("update").format("console").start()
 *
 * A record counts in the windows of the time it carries (event time), whichever batch brings
 * it; a record older than the watermark (the latest time seen, less 2 minutes) is dropped. */
#include "compat/example.h"

DuetDataFrame *
duet_example_windowed_counts_structured(DuetDataFrame *lines, GError **error)
{
    static const char *const fields[] = {
        "timestamp_seconds(CAST(element_at(split(value, ','), 1) AS BIGINT)) AS timestamp",
        "element_at(split(value, ','), 2) AS word"};
    static const char *const keys[] = {"window(timestamp, '5 minutes', '1 minute')", "word"};
    g_autoptr(DuetDataFrame) events = duet_dataframe_select_exprv(lines, fields, 2, error);
    if (events == NULL)
        return NULL;
    g_autoptr(DuetDataFrame) watermarked =
        duet_dataframe_with_watermark(events, "timestamp", "2 minutes", error);
    if (watermarked == NULL)
        return NULL;
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(watermarked, keys, 2, error);
    return grouped ? duet_grouped_data_count(grouped, error) : NULL;
}
