/* sql_statement.h — SQL queries over temporary views: createOrReplaceTempView + spark.sql.
 *
 * Layer: structured/ (includes rdd/, sources/). A DuetCatalog maps view names
 * (case-insensitively, as Spark's session catalog does) to DataFrames. duet_catalog_sql()
 * parses a SELECT statement and builds its DataFrame by calling the DataFrame builders of
 * dataframe.h, so a view over a streaming DataFrame gives a streaming DataFrame with the same
 * watermarks, windows and stateful operators the API would build.
 *
 * The grammar: query := term ((UNION [ALL]) term)* [ORDER BY item [ASC|DESC], ...] [LIMIT n];
 * term := SELECT [DISTINCT] items FROM relation [WHERE c] [GROUP BY exprs] [HAVING c] |
 * ( query ); relation := primary ([INNER | LEFT [OUTER]] JOIN primary (USING (cols) |
 * ON a.x = b.y [AND ...]))*; primary := view [[AS] alias] | ( query ) [[AS] alias].
 * Select items and conditions are Spark SQL expressions (sql_parser.h), with `alias.column`
 * qualifiers; GROUP BY accepts window(...) and session_window(...).
 *
 * A catalog is a standalone object; a session may own one. It is not thread-safe: define
 * views and run sql() from one thread.
 */
#pragma once

#include "structured/dataframe.h"

G_BEGIN_DECLS

typedef struct _DuetCatalog DuetCatalog;

/* An empty catalog of temporary views. (transfer full) */
DuetCatalog *duet_catalog_new(void);
DuetCatalog *duet_catalog_ref(DuetCatalog *catalog);
void duet_catalog_unref(DuetCatalog *catalog);

/* df.createOrReplaceTempView(name): registers frame (a new reference) under name, replacing a
 * view of that name. A name that is not one identifier fails with Spark's
 * "[TEMP_VIEW_NAME_TOO_MANY_NAME_PARTS]" (DUET_SQL_ERROR_ANALYSIS). */
gboolean duet_dataframe_create_or_replace_temp_view(DuetCatalog *catalog, DuetDataFrame *frame,
                                                    const char *name, GError **error);
/* spark.catalog.dropTempView(name): TRUE when a view was dropped. */
gboolean duet_catalog_drop_temp_view(DuetCatalog *catalog, const char *name);
/* The view's DataFrame, or NULL. (transfer none) */
DuetDataFrame *duet_catalog_lookup(DuetCatalog *catalog, const char *name);

/* spark.sql(text): the DataFrame of a SELECT statement over the catalog's views.
 * Errors (DUET_SQL_ERROR): "[PARSE_SYNTAX_ERROR] Syntax error at or near 'x'.(line 1, pos n)"
 * (DUET_SQL_ERROR_PARSE); "[TABLE_OR_VIEW_NOT_FOUND] The table or view `x` cannot be
 * found. ..." and the analyzer's messages (DUET_SQL_ERROR_ANALYSIS); count(DISTINCT ...) over a
 * stream fails at once with Spark's "Distinct aggregations are not supported on streaming
 * DataFrames/Datasets. Consider using approx_count_distinct() instead." (Spark raises it when
 * the query starts). (transfer full) */
DuetDataFrame *duet_catalog_sql(DuetCatalog *catalog, const char *text, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetCatalog, duet_catalog_unref)

G_END_DECLS
