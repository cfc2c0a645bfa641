/* dataframe.h — streaming DataFrames: logical plans over a shared source.
 *
 * Layer: structured/ (includes rdd/ and sources/). A DataFrame is an immutable plan node:
 * a source, or a projection / filter of another DataFrame. Building a node resolves its
 * expressions against the child's schema at once, so a bad column name fails where Spark's
 * analyzer fails (Spark's AnalysisException messages). Stateless operators (select,
 * selectExpr, filter/where, withColumn, toDF, map) and stateful ones (groupBy + agg with
 * window(), dropDuplicates, dropDuplicatesWithinWatermark, streaming limit) with withWatermark;
 * orderBy after an aggregation in Complete mode.
 */
#pragma once

#include "sources/source.h"
#include "structured/expr.h"

G_BEGIN_DECLS

typedef struct _DuetDataFrame DuetDataFrame;

/* spark.readStream...load(): a DataFrame over source. (transfer none) on source. */
DuetDataFrame *duet_dataframe_from_source(DuetSource *source);
/* spark.read...load(): a static DataFrame over everything source holds when a batch runs (for
 * stream-static joins and batch queries). */
DuetDataFrame *duet_dataframe_from_static_source(DuetSource *source);
gboolean duet_dataframe_is_streaming(DuetDataFrame *frame);
DuetDataFrame *duet_dataframe_ref(DuetDataFrame *frame);
void duet_dataframe_unref(DuetDataFrame *frame);

/* (transfer none) */
DuetSchema *duet_dataframe_schema(DuetDataFrame *frame);
/* Spark's printSchema text. (transfer full) */
char *duet_dataframe_tree_string(DuetDataFrame *frame);

/* select(exprs): output columns are the expressions' Spark names (or aliases). */
DuetDataFrame *duet_dataframe_select(DuetDataFrame *frame, DuetExpr *const *exprs, guint n,
                                     GError **error);
/* selectExpr("a + 1 AS b", ...): NULL-terminated strings. */
DuetDataFrame *duet_dataframe_select_expr(DuetDataFrame *frame, GError **error, const char *first,
                                          ...) G_GNUC_NULL_TERMINATED;
DuetDataFrame *duet_dataframe_filter(DuetDataFrame *frame, DuetExpr *condition, GError **error);
/* where("a > 1") */
DuetDataFrame *duet_dataframe_where(DuetDataFrame *frame, const char *condition, GError **error);
/* withColumn(name, expr): replaces a column of that name (case-insensitive), else appends. */
DuetDataFrame *duet_dataframe_with_column(DuetDataFrame *frame, const char *name, DuetExpr *expr,
                                          GError **error);

/* selectExpr over an array of strings. */
DuetDataFrame *duet_dataframe_select_exprv(DuetDataFrame *frame, const char *const *texts, guint n,
                                           GError **error);
/* toDF(names...): renames every column. */
DuetDataFrame *duet_dataframe_to_df(DuetDataFrame *frame, const char *const *names, guint n,
                                    GError **error);
/* withColumnRenamed(existing, new) (a no-op when existing is absent, as in Spark) and
 * drop(columns) (absent names ignored). */
DuetDataFrame *duet_dataframe_with_column_renamed(DuetDataFrame *frame, const char *existing,
                                                  const char *new_name, GError **error);
DuetDataFrame *duet_dataframe_drop(DuetDataFrame *frame, const char *const *columns, guint n,
                                   GError **error);
/* A user function over each partition's batches (Dataset.map/flatMap/mapPartitions): it
 * appends rows of schema to out. user_data must outlive the DataFrame. */
DuetDataFrame *duet_dataframe_map_partitions(DuetDataFrame *frame, DuetSchema *schema,
                                             DuetPartitionFunc func, gpointer user_data);

/* withWatermark(column, "10 seconds"): column must be a timestamp; a negative delay fails. */
DuetDataFrame *duet_dataframe_with_watermark(DuetDataFrame *frame, const char *column,
                                             const char *delay, GError **error);
gboolean duet_dataframe_has_watermark(DuetDataFrame *frame);

/* groupBy(keys).agg(aggs). Keys may use window(time, "10 seconds"[, slide[, start]]); aggs are
 * count, sum, avg/mean, min, max, first, last, collect_list, collect_set,
 * approx_count_distinct calls, optionally aliased. */
typedef struct _DuetGroupedData DuetGroupedData;
DuetGroupedData *duet_dataframe_group_by(DuetDataFrame *frame, DuetExpr *const *keys, guint n);
DuetGroupedData *duet_dataframe_group_by_exprv(DuetDataFrame *frame, const char *const *texts,
                                               guint n, GError **error);
void duet_grouped_data_free(DuetGroupedData *grouped);
DuetDataFrame *duet_grouped_data_agg(DuetGroupedData *grouped, DuetExpr *const *aggs, guint n,
                                     GError **error);
DuetDataFrame *duet_grouped_data_agg_exprv(DuetGroupedData *grouped, const char *const *texts,
                                           guint n, GError **error);
/* groupBy(...).count(): adds column `count`. */
DuetDataFrame *duet_grouped_data_count(DuetGroupedData *grouped, GError **error);

/* dropDuplicates(columns) (n = 0: all columns) and dropDuplicatesWithinWatermark. */
DuetDataFrame *duet_dataframe_drop_duplicates(DuetDataFrame *frame, const char *const *columns,
                                              guint n, GError **error);
DuetDataFrame *duet_dataframe_drop_duplicates_within_watermark(DuetDataFrame *frame,
                                                               const char *const *columns, guint n,
                                                               GError **error);
/* orderBy("col", "col DESC", ...). */
DuetDataFrame *duet_dataframe_order_by(DuetDataFrame *frame, const char *const *specs, guint n,
                                       GError **error);
DuetDataFrame *duet_dataframe_limit(DuetDataFrame *frame, gint64 n);
/* repartition(n) (shuffle TRUE) or coalesce(n). */
DuetDataFrame *duet_dataframe_repartition(DuetDataFrame *frame, guint n, gboolean shuffle);

/* A static (batch) query: runs the plan once over everything the source holds now, with
 * batch semantics (aggregations emit every group, orderBy allowed anywhere, watermarks do
 * nothing), and returns the rows in one batch. (transfer full) */
DuetBatch *duet_dataframe_collect(DuetContext *context, DuetDataFrame *frame, GError **error);

/* union (by position; both sides streaming, or both static). */
DuetDataFrame *duet_dataframe_union(DuetDataFrame *left, DuetDataFrame *right, GError **error);
/* join(right, usingColumns, type): type "inner" (NULL) or "left_outer". The output is the
 * USING columns once (from the left), the left's other columns, then the right's. A static
 * right side is re-read every batch (Spark's stream-static join); a streaming right side
 * makes a stream-stream inner join, which keeps both sides' rows in state and evicts them by a
 * join key carrying event time (a window over a watermarked column). */
DuetDataFrame *duet_dataframe_join(DuetDataFrame *left, DuetDataFrame *right,
                                   const char *const *using_columns, guint n, const char *type,
                                   GError **error);

/* A stream-stream inner join on USING columns with a time bound, Spark's
 *   left.join(right, expr("keys equal AND rightTime BETWEEN leftTime + lower AND leftTime +
 * upper")) (lower and upper are interval strings, e.g. "0 seconds" and "1 hour"). Under watermarks,
 * each side's state is evicted as soon as no row of the other side can match it any more. */
DuetDataFrame *duet_dataframe_join_time_bounded(DuetDataFrame *left, DuetDataFrame *right,
                                                const char *const *using_columns, guint n,
                                                const char *left_time, const char *right_time,
                                                const char *lower, const char *upper,
                                                GError **error);

/* The source at the bottom of the (leftmost) plan. (transfer none) */
DuetSource *duet_dataframe_source(DuetDataFrame *frame);
/* The distinct streaming sources of the plan, left to right. (transfer container) */
GPtrArray *duet_dataframe_streaming_sources(DuetDataFrame *frame);
/* Spark's explain() physical plan text, one operator a line. (transfer full) */
char *duet_dataframe_explain(DuetDataFrame *frame);
/* Spark's explain(extended = true): "== Parsed Logical Plan ==" (the SQL parser's unresolved
 * plan for duet_catalog_sql frames, else the analysed plan), "== Analyzed Logical Plan =="
 * (after the output schema line "name: type, ..."), "== Optimized Logical Plan ==" and
 * "== Physical Plan ==" (of the optimised plan), sections apart by a blank line.
 * (transfer full) */
char *duet_dataframe_explain_extended(DuetDataFrame *frame);
/* The plan the optimizer makes of frame (Spark's queryExecution.optimizedPlan): the same rows,
 * schema, event time and stateful operators. Queries and collect() run it. (transfer full) */
DuetDataFrame *duet_dataframe_optimized(DuetDataFrame *frame);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetDataFrame, duet_dataframe_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetGroupedData, duet_grouped_data_free)

G_END_DECLS
