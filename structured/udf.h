/* udf.h — user-defined functions: Spark's spark.udf.register and Aggregator UDAFs.
 *
 * Layer: structured/ (includes rdd/). A registered name (matched case-insensitively, as Spark
 * matches function names) can be called in any expression or agg() like a built-in. A scalar
 * UDF receives whole argument columns and appends one result per row, so it runs column by
 * column like the built-ins; a UDAF is Spark's Aggregator (zero, reduce, merge, finish) over a
 * scalar buffer, merged across partitions and kept in the state store between batches.
 * Registrations are process-wide and thread-safe; registering a name again replaces it.
 */
#pragma once

#include "rdd/rdd.h"

G_BEGIN_DECLS

/* Appends n_rows values of the UDF's result type to out. A FALSE return with error fails the
 * batch (Spark's SparkException from a UDF). */
typedef gboolean (*DuetUdfFunc)(DuetColumn *const *arguments, guint n_arguments, gsize n_rows,
                                DuetColumnBuilder *out, gpointer user_data, GError **error);

/* (transfer none) on result_type. */
void duet_udf_register(const char *name, guint n_arguments, DuetDataType *result_type,
                       DuetUdfFunc func, gpointer user_data);

/* Spark's Aggregator[IN, BUF, OUT] with scalar BUF and OUT: reduce folds one input value
 * (which may be null) into the buffer; merge folds another buffer in. String buffers may point
 * at memory the callbacks own only until they return: the engine copies them. */
typedef struct {
    DuetTypeId buffer_type;
    DuetTypeId result_type;
    void (*zero)(DuetValue *buffer, gpointer user_data);
    void (*reduce)(DuetValue *buffer, const DuetValue *input, gpointer user_data);
    void (*merge)(DuetValue *buffer, const DuetValue *other, gpointer user_data);
    void (*finish)(const DuetValue *buffer, DuetValue *result, gpointer user_data);
} DuetAggregator;

/* (transfer none) on aggregator, which must outlive the registration. */
void duet_udaf_register(const char *name, const DuetAggregator *aggregator, gpointer user_data);

G_END_DECLS
