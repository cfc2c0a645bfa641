/* show.h — Spark's Dataset.show text and the console sink's per-batch block.
 *
 * Layer: rdd/ (an output format shared by the console sink and both APIs). Reproduces
 * Dataset.showString(numRows, truncate, vertical = false) of Spark >= 3.5: cells as
 * ToPrettyString prints them (rdd/format.h, DUET_FORMAT_SPARK_SQL), meta characters escaped,
 * long cells truncated, columns as wide as their widest cell (East Asian wide characters
 * count twice), right-aligned when truncating and left-aligned otherwise, and the
 * "only showing top N rows" footer.
 */
#pragma once

#include "rdd/batch.h"

G_BEGIN_DECLS

/* Appends the table of the first num_rows rows of rows. truncate: 0 = never, else the cell
 * width (Spark's show() uses 20). has_more: there are rows beyond num_rows (the caller took
 * num_rows + 1, as Spark does); rows beyond num_rows in the batch count as "more" too. */
void duet_show_string(GString *out, DuetBatch *rows, gint num_rows, gint truncate,
                      gboolean has_more);
/* The console sink's block for one batch: 43 dashes, "Batch: <id>", 43 dashes, the table of
 * show(num_rows, truncate ? 20 : 0), and the empty line show's println adds. */
void duet_show_console_batch(GString *out, gint64 batch_id, DuetBatch *rows, gint num_rows,
                             gboolean truncate);

G_END_DECLS
