/* dataframe.h — streaming DataFrames: logical plans over a shared source.
 *
 * Layer: structured/ (includes rdd/ and sources/). A DataFrame is an immutable plan node:
 * a source, or a projection / filter of another DataFrame. Building a node resolves its
 * expressions against the child's schema at once, so a bad column name fails where Spark's
 * analyzer fails (Spark's AnalysisException messages). This first slice covers stateless
 * queries: select, selectExpr, filter/where, withColumn. Aggregations, windows, watermarks,
 * deduplication and joins come next.
 */
#pragma once

#include "sources/source.h"
#include "structured/expr.h"

G_BEGIN_DECLS

typedef struct _DuetDataFrame DuetDataFrame;

/* spark.readStream...load(): a DataFrame over source. (transfer none) on source. */
DuetDataFrame *duet_dataframe_from_source(DuetSource *source);
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

/* What the query engine needs: the source at the bottom, and running the plan over one
 * micro-batch's rows (the source's partitions) as RDD transformations. */
DuetSource *duet_dataframe_source(DuetDataFrame *frame);
/* (transfer full) */
DuetRdd *duet_dataframe_plan_rdd(DuetDataFrame *frame, DuetRdd *input, GError **error);
/* Spark's explain() physical plan text, one operator a line. (transfer full) */
char *duet_dataframe_explain(DuetDataFrame *frame);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetDataFrame, duet_dataframe_unref)

G_END_DECLS
