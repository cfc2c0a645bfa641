/* file_monitoring/dstream.c — lines of the new files in a directory, counted per batch.
 *
 *   lines = ssc.textFileStream(directory)
 *   lines.count().pprint()
 *
 * Each batch takes the files that appeared since the last one; count() gives one number per
 * batch, 0 when no file came. */
#include "compat/example.h"

DuetDStream *
duet_example_file_monitoring_dstream(DuetDStream *lines, GError **error)
{
    return duet_dstream_count(lines);
}
