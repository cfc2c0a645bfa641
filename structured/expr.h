/* expr.h — column expressions of Structured Streaming: trees, names, types, evaluation.
 *
 * Layer: structured/ (includes rdd/). An expression is an immutable, reference-counted tree:
 * column references, literals, arithmetic, comparisons, boolean logic, null tests, casts,
 * aliases, CASE WHEN, IN and function calls (string, regex, date-time, collection and math
 * functions: see expr_function.c, expr_string.c and expr_time.c). Before it can run it is resolved
 * against an input schema (duet_expr_resolve): names are matched as Spark's analyzer matches them
 * (case-insensitively, with its UNRESOLVED_COLUMN message), and every node gets Spark's
 * result type (int + bigint is bigint, int / int is double, comparisons are boolean, ...).
 * A resolved expression evaluates a whole batch at a time into one column
 * (duet_expr_evaluate): each operator is a loop over column buffers, never a tree walk per
 * row. Its Spark name ("(a + 1)", "lower(value)", "CAST(x AS STRING)") is the column name a
 * select without alias produces.
 */
#pragma once

#include "rdd/rdd.h"

G_BEGIN_DECLS

typedef struct _DuetExpr DuetExpr;

#define DUET_SQL_ERROR (duet_sql_error_quark())
GQuark duet_sql_error_quark(void);

typedef enum {
    DUET_SQL_ERROR_PARSE,    /* a syntax error in an expression string */
    DUET_SQL_ERROR_ANALYSIS, /* Spark's AnalysisException: unknown column, bad types */
    DUET_SQL_ERROR_FAILED,
} DuetSqlError;

typedef enum {
    DUET_EXPR_COLUMN,  /* a column by name */
    DUET_EXPR_LITERAL, /* a constant */
    DUET_EXPR_BINARY,  /* arithmetic, comparison, AND, OR */
    DUET_EXPR_NOT,
    DUET_EXPR_NEGATE,
    DUET_EXPR_IS_NULL,
    DUET_EXPR_IS_NOT_NULL,
    DUET_EXPR_CAST,
    DUET_EXPR_ALIAS,
    DUET_EXPR_FUNCTION, /* lower, upper, length, concat, coalesce, abs, ... */
    DUET_EXPR_FIELD,    /* a field of a struct column (window.start); made by resolution */
    DUET_EXPR_CASE,     /* CASE WHEN c1 THEN v1 ... [ELSE e] END: children c1, v1, ..., [e] */
    DUET_EXPR_IN,       /* value IN (list...): children value, list... */
} DuetExprKind;

typedef enum {
    DUET_BINARY_ADD,
    DUET_BINARY_SUBTRACT,
    DUET_BINARY_MULTIPLY,
    DUET_BINARY_DIVIDE,
    DUET_BINARY_REMAINDER,
    DUET_BINARY_EQUAL,
    DUET_BINARY_NOT_EQUAL,
    DUET_BINARY_LESS,
    DUET_BINARY_LESS_EQUAL,
    DUET_BINARY_GREATER,
    DUET_BINARY_GREATER_EQUAL,
    DUET_BINARY_AND,
    DUET_BINARY_OR,
} DuetBinaryOp;

/* Builders, Spark's functions.col / lit / alias / cast / ... Arguments are (transfer none). */
DuetExpr *duet_expr_column(const char *name);
DuetExpr *duet_expr_literal(const DuetValue *value); /* strings are copied */
DuetExpr *duet_expr_literal_int(gint64 value);       /* int when it fits, as Spark's lit */
DuetExpr *duet_expr_literal_string(const char *text);
DuetExpr *duet_expr_literal_null(void);
DuetExpr *duet_expr_binary(DuetBinaryOp op, DuetExpr *left, DuetExpr *right);
DuetExpr *duet_expr_not(DuetExpr *child);
DuetExpr *duet_expr_negate(DuetExpr *child);
DuetExpr *duet_expr_is_null(DuetExpr *child);
DuetExpr *duet_expr_is_not_null(DuetExpr *child);
DuetExpr *duet_expr_cast(DuetExpr *child, DuetDataType *type);
DuetExpr *duet_expr_alias(DuetExpr *child, const char *name);
/* A function by Spark's name with n arguments. Unknown names fail at resolution with Spark's
 * UNRESOLVED_ROUTINE message. */
DuetExpr *duet_expr_function(const char *name, DuetExpr *const *arguments, guint n);
/* Spark's CaseWhen, as functions.when(c1, v1).when(c2, v2).otherwise(e) and SQL's searched
 * CASE build it: n (condition, value) pairs and an optional else_value (NULL: none, which
 * gives null). Values are coerced to their common type; conditions must be boolean. Named
 * "CASE WHEN c1 THEN v1 ... ELSE e END". */
DuetExpr *duet_expr_case_when(DuetExpr *const *conditions, DuetExpr *const *values, guint n,
                              DuetExpr *else_value);
/* One branch: functions.when(condition, value)[.otherwise(else_value)]. */
DuetExpr *duet_expr_when(DuetExpr *condition, DuetExpr *value, DuetExpr *else_value);
/* Spark's In, Column.isin(list...): null when value is null, or when no element matches and
 * one is null. Named "(value IN (l1, l2))". */
DuetExpr *duet_expr_in(DuetExpr *value, DuetExpr *const *list, guint n);

DuetExpr *duet_expr_ref(DuetExpr *expr);
void duet_expr_unref(DuetExpr *expr);

DuetExprKind duet_expr_kind(const DuetExpr *expr);
/* Spark's name for the expression's result column. (transfer full) */
char *duet_expr_name(const DuetExpr *expr);

/* Resolves names and types against schema: a new, resolved tree. Errors are Spark's:
 * "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `x` cannot be
 * resolved. Did you mean one of the following? [`a`, `b`]." (DUET_SQL_ERROR_ANALYSIS). */
DuetExpr *duet_expr_resolve(DuetExpr *expr, DuetSchema *schema, GError **error);
gboolean duet_expr_is_resolved(const DuetExpr *expr);
/* The result type of a resolved expression. (transfer none) */
DuetDataType *duet_expr_type(const DuetExpr *expr);
gboolean duet_expr_nullable(const DuetExpr *expr);

/* Evaluates a resolved expression over every row of batch (whose schema it was resolved
 * against): one column of batch's length. Arithmetic follows Spark's default (non-ANSI)
 * semantics: integer overflow wraps, division by zero and % 0 give null. (transfer full) */
DuetColumn *duet_expr_evaluate(const DuetExpr *expr, DuetBatch *batch, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetExpr, duet_expr_unref)

G_END_DECLS
