/* internal.h — what the files of structured/ share and nobody else may see.
 *
 * Layer: structured/ private (compiled with -DDUET_STRUCTURED_COMPILATION).
 */
#pragma once

#ifndef DUET_STRUCTURED_COMPILATION
#error "structured/internal.h is private to structured/"
#endif

#include "rdd/format.h"
#include "structured/expr.h"

G_BEGIN_DECLS

struct _DuetExpr {
    gint ref_count; /* atomic */
    DuetExprKind kind;
    DuetBinaryOp op;         /* DUET_EXPR_BINARY */
    char *name;              /* column name, alias, or lower-case function name */
    DuetValue literal;       /* DUET_EXPR_LITERAL; strings point at literal_bytes */
    char *literal_bytes;     /* owned copy of a string literal */
    DuetDataType *cast_type; /* DUET_EXPR_CAST target (owned) */
    DuetExpr **children;     /* owned */
    guint n_children;
    /* set by resolution */
    DuetDataType *type; /* result type (owned), NULL until resolved */
    gboolean nullable;
    gint column_index; /* DUET_EXPR_COLUMN: field index in the input schema */
};

/* expr_eval.c: typing of DUET_EXPR_FUNCTION nodes (children resolved). */
gboolean duet_expr_type_function(DuetExpr *expr, GError **error);

G_END_DECLS
