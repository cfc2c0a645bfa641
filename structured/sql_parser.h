/* sql_parser.h — Spark SQL expression strings: expr("...") and selectExpr("...").
 *
 * Layer: structured/ (includes rdd/). Parses the expression grammar of Spark SQL into
 * DuetExpr trees with Spark's precedence (OR < AND < NOT < comparison and IS [NOT] NULL <
 * + - < * / % < unary minus < primary), identifiers with backticks, string literals in '...' or
 * "..." with backslash escapes, integer (int, or bigint when large or with an L suffix) and
 * decimal/exponent literals (double), TRUE/FALSE/NULL, CAST(x AS type), function calls
 * (count(*) passes a `*` column), `a.b` qualified names, CASE [x] WHEN ... THEN ... [ELSE ...]
 * END (the simple form becomes equalities, as in Spark), and the predicates [NOT] IN (...),
 * [NOT] BETWEEN a AND b (Spark 3 writes it as ((x >= a) AND (x <= b))), [NOT] LIKE p
 * [ESCAPE 'c'], [NOT] ILIKE p and [NOT] RLIKE/REGEXP p. Keywords are case-insensitive. Syntax
 * errors are Spark's "[PARSE_SYNTAX_ERROR] Syntax error at or near 'x'.(line 1, pos n)".
 * Constructs the expression tree cannot represent yet (bitwise operators, DIV, ||) are
 * reported as errors that name them.
 */
#pragma once

#include "structured/expr.h"

G_BEGIN_DECLS

DuetExpr *duet_sql_parse_expression(const char *text, GError **error);
/* A selectExpr item: an expression with an optional alias ("x + 1 AS y", "x + 1 y"). */
DuetExpr *duet_sql_parse_select_item(const char *text, GError **error);

G_END_DECLS
