/* file_monitoring/structured.c — lines of the new files in a directory, counted.
 *
 *   lines = spark.readStream.format("text").load(directory)
 *   lines.groupBy().count().writeStream.outputMode("complete").format("console").start()
 *
 * The file source logs which files each batch took (sources/), so a restarted query never
 * reads a file twice; the global count is a running total. */
#include "compat/example.h"

DuetDataFrame *
duet_example_file_monitoring_structured(DuetDataFrame *lines, GError **error)
{
    g_autoptr(DuetGroupedData) all = duet_dataframe_group_by_exprv(lines, NULL, 0, error);
    return all ? duet_grouped_data_count(all, error) : NULL;
}
