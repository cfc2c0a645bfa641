/* format.h — values as text, in the dialects Spark users see.
 *
 * Layer: rdd/ (a codec, like text/CSV/JSON, so sources, sinks and both APIs share it).
 *   - SCALA: Scala's toString, used by DStream.print() and saveAsTextFile(s): 1, 1.0, abc,
 *     (a,1), List(1, 2)/CompactBuffer(1, 2) for groups, Some/None are not used (null prints
 *     "null").
 *   - PYTHON: Python's repr, used by PySpark's pprint(): 1, 1.0, 'abc', ('a', 1), [1, 2], None,
 *     True.
 *   - SPARK_SQL: Spark SQL's cast to string as Dataset.show prints cells (ToPrettyString):
 *     NULL, Java Double.toString, timestamps in UTC "yyyy-MM-dd HH:mm:ss[.ffffff]", arrays
 *     [a, b], structs {a, b}, maps {k -> v}, binary [0A 1F].
 */
#pragma once

#include "rdd/batch.h"

G_BEGIN_DECLS

typedef enum {
    DUET_FORMAT_SCALA,
    DUET_FORMAT_PYTHON,
    DUET_FORMAT_SPARK_SQL,
} DuetFormatDialect;

/* Appends one value's text to out. */
void duet_format_value(GString *out, const DuetValue *value, DuetFormatDialect dialect);
/* Appends one row as an element: the bare value for a one-column row, a tuple otherwise. */
void duet_format_row(GString *out, const DuetRow *row, DuetFormatDialect dialect);
/* Java's Double.toString (shortest repr that round-trips, Java's exponent rules). */
void duet_format_java_double(GString *out, gdouble value);
/* Spark timestamp text in UTC: "2016-03-27 19:39:30" or with a fraction "…:30.25". */
void duet_format_timestamp(GString *out, gint64 micros);
void duet_format_date(GString *out, gint32 days);

G_END_DECLS
