/* sql_statement.c — SELECT statements over temporary views, compiled onto DataFrame builders.
 *
 * Layer: structured/. Includes rdd/, sources/ and structured/. A recursive-descent parser
 * over a small statement tokenizer: clauses are found here, and every expression inside them
 * (select items, conditions, keys) goes to the expression parser of sql_parser.c as a copy of
 * the statement with everything else blanked out, so that its syntax errors carry positions in
 * the whole statement, as Spark's do. Each clause then calls the builder the DataFrame API
 * would (select, filter, groupBy + agg, join, union, dropDuplicates, orderBy, limit), which
 * analyses it at once. One Statement threads through every rule and keeps the first error,
 * and the entry point turns it into the GError. Alongside, the parser records Spark's parsed
 * (unresolved) logical plan, which explain(extended) prints.
 */
#include "structured/internal.h"
#include "structured/sql_parser.h"
#include "structured/sql_statement.h"

#include <string.h>

/* ---- the catalog --------------------------------------------------------------------------- */

struct _DuetCatalog {
    gint ref_count;
    GHashTable *views; /* lower-case name -> DuetDataFrame* (owned) */
};

DuetCatalog *
duet_catalog_new(void)
{
    DuetCatalog *catalog = g_new0(DuetCatalog, 1);
    catalog->ref_count = 1;
    catalog->views = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify)duet_dataframe_unref);
    return catalog;
}

DuetCatalog *
duet_catalog_ref(DuetCatalog *catalog)
{
    g_return_val_if_fail(catalog != NULL, NULL);
    g_atomic_int_inc(&catalog->ref_count);
    return catalog;
}

void
duet_catalog_unref(DuetCatalog *catalog)
{
    if (catalog == NULL || !g_atomic_int_dec_and_test(&catalog->ref_count))
        return;
    g_hash_table_unref(catalog->views);
    g_free(catalog);
}

static gboolean
is_identifier(const char *name)
{
    if (name[0] == '\0')
        return FALSE;
    for (const char *at = name; *at; at++)
        if (*at == '.' || g_ascii_isspace(*at))
            return FALSE;
    return TRUE;
}

gboolean
duet_dataframe_create_or_replace_temp_view(DuetCatalog *catalog, DuetDataFrame *frame,
                                           const char *name, GError **error)
{
    g_return_val_if_fail(catalog != NULL && frame != NULL && name != NULL, FALSE);
    if (!is_identifier(name))
        return duet_analysis_error(error,
                                   "[TEMP_VIEW_NAME_TOO_MANY_NAME_PARTS] CREATE TEMPORARY VIEW or "
                                   "the corresponding Dataset APIs only accept single-part view "
                                   "names, but got: %s.",
                                   name);
    g_hash_table_replace(catalog->views, g_ascii_strdown(name, -1), duet_dataframe_ref(frame));
    return TRUE;
}

gboolean
duet_catalog_drop_temp_view(DuetCatalog *catalog, const char *name)
{
    g_return_val_if_fail(catalog != NULL && name != NULL, FALSE);
    g_autofree char *key = g_ascii_strdown(name, -1);
    return g_hash_table_remove(catalog->views, key);
}

DuetDataFrame *
duet_catalog_lookup(DuetCatalog *catalog, const char *name)
{
    g_return_val_if_fail(catalog != NULL && name != NULL, NULL);
    g_autofree char *key = g_ascii_strdown(name, -1);
    return g_hash_table_lookup(catalog->views, key);
}

/* ---- tokens -------------------------------------------------------------------------------- */

typedef enum {
    TOKEN_END,
    TOKEN_WORD,   /* an unquoted identifier or keyword */
    TOKEN_QUOTED, /* a `quoted` identifier */
    TOKEN_STRING,
    TOKEN_NUMBER,
    TOKEN_SYMBOL,
} TokenKind;

typedef struct {
    TokenKind kind;
    char *text;       /* the identifier (unquoted), the symbol, or the source text */
    gsize start, end; /* byte range in the statement */
} Token;

/* The unresolved plan as Spark's parser prints it: a label and up to two children. */
typedef struct Parsed Parsed;
struct Parsed {
    char *label;
    Parsed *children[2];
};

/* The compile context of one statement (SQLite's Parse): tokens, the catalog, the first
 * error. */
typedef struct {
    const char *text;
    GArray *tokens; /* Token */
    guint next;
    DuetCatalog *catalog;
    GError *error;
} Statement;

static void
clear_token(gpointer data)
{
    g_free(((Token *)data)->text);
}

static Parsed *
parsed_new(char *label, Parsed *first, Parsed *second)
{
    Parsed *node = g_new0(Parsed, 1);
    node->label = label;
    node->children[0] = first;
    node->children[1] = second;
    return node;
}

static void
parsed_free(Parsed *node)
{
    if (node == NULL)
        return;
    parsed_free(node->children[0]);
    parsed_free(node->children[1]);
    g_free(node->label);
    g_free(node);
}

static void
parsed_render(GString *out, const Parsed *node, GString *prefix, gboolean last, gboolean root)
{
    g_string_append(out, prefix->str);
    if (!root)
        g_string_append(out, last ? "+- " : ":- ");
    g_string_append_printf(out, "%s\n", node->label);
    gsize saved = prefix->len;
    if (!root)
        g_string_append(prefix, last ? "   " : ":  ");
    guint n = node->children[1] ? 2 : node->children[0] ? 1 : 0;
    for (guint child = 0; child < n; child++)
        parsed_render(out, node->children[child], prefix, child + 1 == n, FALSE);
    g_string_truncate(prefix, saved);
}

static void
syntax_error_at(Statement *st, const Token *token)
{
    if (st->error != NULL)
        return;
    if (token->kind == TOKEN_END)
        g_set_error(&st->error, DUET_SQL_ERROR, DUET_SQL_ERROR_PARSE,
                    "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input.(line 1, pos %zu)",
                    token->start);
    else
        g_set_error(&st->error, DUET_SQL_ERROR, DUET_SQL_ERROR_PARSE,
                    "[PARSE_SYNTAX_ERROR] Syntax error at or near '%s'.(line 1, pos %zu)",
                    token->text, token->start);
}

static void
push(Statement *st, TokenKind kind, char *text, gsize start, gsize end)
{
    Token token = {kind, text, start, end};
    g_array_append_val(st->tokens, token);
}

static gboolean
tokenize(Statement *st)
{
    const char *input = st->text;
    gsize length = strlen(input), at = 0;
    while (at < length) {
        char c = input[at];
        gsize start = at;
        if (g_ascii_isspace(c)) {
            at++;
        } else if (c == '-' && at + 1 < length && input[at + 1] == '-') {
            while (at < length && input[at] != '\n')
                at++;
        } else if (g_ascii_isalpha(c) || c == '_') {
            while (at < length && (g_ascii_isalnum(input[at]) || input[at] == '_'))
                at++;
            push(st, TOKEN_WORD, g_strndup(input + start, at - start), start, at);
        } else if (g_ascii_isdigit(c)) {
            while (at < length && (g_ascii_isalnum(input[at]) || input[at] == '.' ||
                                   ((input[at] == '+' || input[at] == '-') &&
                                    (input[at - 1] == 'e' || input[at - 1] == 'E'))))
                at++;
            push(st, TOKEN_NUMBER, g_strndup(input + start, at - start), start, at);
        } else if (c == '`' || c == '\'' || c == '"') {
            GString *text = g_string_new(NULL);
            for (at++; at < length; at++) {
                if (c == '`' && input[at] == '`' && at + 1 < length && input[at + 1] == '`') {
                    g_string_append_c(text, '`');
                    at++;
                } else if (c != '`' && input[at] == '\\' && at + 1 < length) {
                    g_string_append_c(text, input[++at]);
                } else if (input[at] == c) {
                    break;
                } else {
                    g_string_append_c(text, input[at]);
                }
            }
            if (at >= length) {
                g_string_free(text, TRUE);
                Token end = {TOKEN_END, NULL, start, start};
                if (c == '`') {
                    end.kind = TOKEN_SYMBOL;
                    end.text = (char *)"`";
                }
                syntax_error_at(st, &end);
                return FALSE;
            }
            at++;
            push(st, c == '`' ? TOKEN_QUOTED : TOKEN_STRING, g_string_free(text, FALSE), start, at);
        } else {
            static const char *const two[] = {"==", "!=", "<>", "<=", ">=", "||", NULL};
            gsize width = 1;
            for (const char *const *symbol = two; *symbol; symbol++)
                if (strncmp(input + at, *symbol, 2) == 0)
                    width = 2;
            if (width == 2 && strncmp(input + at, "<=>", 3) == 0)
                width = 3;
            at += width;
            push(st, TOKEN_SYMBOL, g_strndup(input + start, width), start, at);
        }
    }
    push(st, TOKEN_END, NULL, length, length);
    return TRUE;
}

static Token *
token_at(Statement *st, guint index)
{
    return &g_array_index(st->tokens, Token, MIN(index, st->tokens->len - 1));
}

static Token *
peek(Statement *st)
{
    return token_at(st, st->next);
}

static gboolean
word_at(Statement *st, guint index, const char *word)
{
    Token *token = token_at(st, index);
    return token->kind == TOKEN_WORD && g_ascii_strcasecmp(token->text, word) == 0;
}

static gboolean
symbol_at(Statement *st, guint index, const char *symbol)
{
    Token *token = token_at(st, index);
    return token->kind == TOKEN_SYMBOL && g_str_equal(token->text, symbol);
}

static gboolean
accept_word(Statement *st, const char *word)
{
    if (!word_at(st, st->next, word))
        return FALSE;
    st->next++;
    return TRUE;
}

static gboolean
expect_word(Statement *st, const char *word)
{
    if (accept_word(st, word))
        return TRUE;
    syntax_error_at(st, peek(st));
    return FALSE;
}

static gboolean
expect_symbol(Statement *st, const char *symbol)
{
    if (symbol_at(st, st->next, symbol)) {
        st->next++;
        return TRUE;
    }
    syntax_error_at(st, peek(st));
    return FALSE;
}

/* Words that end an expression at depth 0. */
static gboolean
is_clause_word(Statement *st, guint index)
{
    static const char *const words[] = {"FROM",  "WHERE", "GROUP", "HAVING", "ORDER",
                                        "LIMIT", "UNION", "JOIN",  "INNER",  "ON",
                                        "USING", "CROSS", "RIGHT", "FULL",   NULL};
    for (const char *const *word = words; *word; word++)
        if (word_at(st, index, *word))
            return TRUE;
    /* left(str, n) is a function; LEFT JOIN is a clause */
    return word_at(st, index, "LEFT") && !symbol_at(st, index + 1, "(");
}

/* The index one past the expression starting at from: at a depth-0 clause word, ')' or (when
 * at_comma) ',', or at one of the extra words. */
static guint
expression_end(Statement *st, guint from, gboolean at_comma, const char *const *extra)
{
    gint depth = 0;
    guint index = from;
    for (;; index++) {
        Token *token = token_at(st, index);
        if (token->kind == TOKEN_END)
            return index;
        if (symbol_at(st, index, "(")) {
            depth++;
            continue;
        }
        if (symbol_at(st, index, ")")) {
            if (depth == 0)
                return index;
            depth--;
            continue;
        }
        if (depth > 0)
            continue;
        if ((at_comma && symbol_at(st, index, ",")) || symbol_at(st, index, ";") ||
            is_clause_word(st, index))
            return index;
        for (const char *const *word = extra; word && *word; word++)
            if (word_at(st, index, *word))
                return index;
    }
}

/* ---- expressions --------------------------------------------------------------------------- */

/* Parses tokens [first, end) with the expression parser (as a select item when item). */
static DuetExpr *
parse_fragment(Statement *st, guint first, guint end, gboolean item)
{
    if (st->error != NULL)
        return NULL;
    if (first >= end) {
        syntax_error_at(st, token_at(st, first));
        return NULL;
    }
    gsize length = strlen(st->text);
    gsize start = token_at(st, first)->start, stop = token_at(st, end - 1)->end;
    g_autofree char *copy = g_malloc(length + 1);
    memset(copy, ' ', length);
    copy[length] = '\0';
    memcpy(copy + start, st->text + start, stop - start);
    for (gsize at = start; at < stop; at++)
        if (copy[at] == '\n' || copy[at] == '\r')
            copy[at] = ' ';
    GError *local = NULL;
    DuetExpr *expr =
        item ? duet_sql_parse_select_item(copy, &local) : duet_sql_parse_expression(copy, &local);
    if (expr == NULL) {
        if (strstr(local->message, "end of input") != NULL &&
            token_at(st, end)->kind != TOKEN_END) {
            g_clear_error(&local);
            syntax_error_at(st, token_at(st, end));
        } else {
            st->error = local;
        }
    }
    return expr;
}

/* A copy of expr with `qualifier.` dropped from column names whose qualifier names one of
 * scope's relations (case-insensitively). (transfer full) */
static DuetExpr *
strip_qualifiers(DuetExpr *expr, GPtrArray *scope)
{
    if (expr->kind == DUET_EXPR_COLUMN) {
        const char *dot = strchr(expr->name, '.');
        if (dot != NULL)
            for (guint index = 0; index < scope->len; index++) {
                const char *name = scope->pdata[index];
                if (strlen(name) == (gsize)(dot - expr->name) &&
                    g_ascii_strncasecmp(name, expr->name, strlen(name)) == 0)
                    return duet_expr_column(dot + 1);
            }
        return duet_expr_ref(expr);
    }
    DuetExpr *copy = duet_expr_copy_node(expr);
    for (guint child = 0; child < copy->n_children; child++) {
        DuetExpr *stripped = strip_qualifiers(copy->children[child], scope);
        duet_expr_unref(copy->children[child]);
        copy->children[child] = stripped;
    }
    return copy;
}

static const char *
op_symbol(DuetBinaryOp op)
{
    static const char *const symbols[] = {
        "+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">=", "AND", "OR"};
    return symbols[op];
}

/* Spark's text of an unresolved expression: 'column, 'function(...). */
static void
append_unresolved(GString *out, const DuetExpr *expr)
{
    switch (expr->kind) {
    case DUET_EXPR_COLUMN:
        g_string_append_printf(out, "%s%s", g_str_equal(expr->name, "*") ? "" : "'", expr->name);
        return;
    case DUET_EXPR_ALIAS:
        append_unresolved(out, expr->children[0]);
        g_string_append_printf(out, " AS %s", expr->name);
        return;
    case DUET_EXPR_BINARY:
        g_string_append_c(out, '(');
        append_unresolved(out, expr->children[0]);
        g_string_append_printf(out, " %s ", op_symbol(expr->op));
        append_unresolved(out, expr->children[1]);
        g_string_append_c(out, ')');
        return;
    case DUET_EXPR_NOT:
        g_string_append(out, "NOT ");
        append_unresolved(out, expr->children[0]);
        return;
    case DUET_EXPR_FUNCTION:
        if (g_str_equal(expr->name, "count") && expr->n_children == 1 &&
            expr->children[0]->kind == DUET_EXPR_COLUMN &&
            g_str_equal(expr->children[0]->name, "*")) {
            g_string_append(out, "'count(1)");
            return;
        }
        g_string_append_printf(out, "'%s(", expr->name);
        for (guint child = 0; child < expr->n_children; child++) {
            if (child)
                g_string_append(out, ", ");
            append_unresolved(out, expr->children[child]);
        }
        g_string_append_c(out, ')');
        return;
    default: {
        g_autofree char *name = duet_expr_name(expr);
        g_string_append(out, name);
        return;
    }
    }
}

static char *
unresolved_list(GPtrArray *exprs)
{
    GString *out = g_string_new("[");
    for (guint index = 0; index < exprs->len; index++) {
        if (index)
            g_string_append(out, ", ");
        append_unresolved(out, exprs->pdata[index]);
    }
    g_string_append_c(out, ']');
    return g_string_free(out, FALSE);
}

static char *
unresolved_text(const DuetExpr *expr)
{
    GString *out = g_string_new(NULL);
    append_unresolved(out, expr);
    return g_string_free(out, FALSE);
}

/* Fails on count(DISTINCT ...) among tokens [first, end). */
static gboolean
check_distinct_aggregate(Statement *st, guint first, guint end, DuetDataFrame *frame)
{
    for (guint index = first; index + 2 < end; index++)
        if (token_at(st, index)->kind == TOKEN_WORD && symbol_at(st, index + 1, "(") &&
            word_at(st, index + 2, "DISTINCT")) {
            if (st->error != NULL)
                return FALSE;
            if (frame->is_streaming)
                duet_analysis_error(&st->error,
                                    "Distinct aggregations are not supported on streaming "
                                    "DataFrames/Datasets. Consider using approx_count_distinct() "
                                    "instead.");
            else
                g_set_error(&st->error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                            "duet: DISTINCT inside an aggregate function is not supported yet "
                            "(at pos %zu)",
                            token_at(st, index + 2)->start);
            return FALSE;
        }
    return TRUE;
}

/* Parses a comma-separated expression list from the current token into exprs, stripped of
 * scope's qualifiers. */
static gboolean
parse_list(Statement *st, GPtrArray *scope, gboolean items, DuetDataFrame *frame, GPtrArray *exprs)
{
    for (;;) {
        guint first = st->next;
        guint end = expression_end(st, first, TRUE, NULL);
        if (!check_distinct_aggregate(st, first, end, frame))
            return FALSE;
        DuetExpr *expr = NULL;
        if (end == first + 1 && symbol_at(st, first, "*")) {
            expr = duet_expr_column("*");
        } else if (end == first + 3 && symbol_at(st, first + 1, ".") &&
                   symbol_at(st, first + 2, "*")) {
            expr = duet_expr_column("*"); /* alias.*: every column (one relation) */
        } else {
            g_autoptr(DuetExpr) parsed = parse_fragment(st, first, end, items);
            if (parsed == NULL)
                return FALSE;
            expr = strip_qualifiers(parsed, scope);
        }
        g_ptr_array_add(exprs, expr);
        st->next = end;
        if (!symbol_at(st, st->next, ","))
            return TRUE;
        st->next++;
    }
}

static DuetExpr *
parse_condition(Statement *st, GPtrArray *scope, DuetDataFrame *frame)
{
    guint first = st->next;
    guint end = expression_end(st, first, FALSE, NULL);
    if (!check_distinct_aggregate(st, first, end, frame))
        return NULL;
    g_autoptr(DuetExpr) parsed = parse_fragment(st, first, end, FALSE);
    st->next = end;
    return parsed ? strip_qualifiers(parsed, scope) : NULL;
}

/* ---- relations ----------------------------------------------------------------------------- */

static DuetDataFrame *parse_query(Statement *st, Parsed **parsed);

/* An optional [AS] alias after a relation. (transfer full) */
static char *
parse_alias(Statement *st)
{
    gboolean explicit_as = accept_word(st, "AS");
    Token *token = peek(st);
    if (token->kind == TOKEN_QUOTED ||
        (token->kind == TOKEN_WORD && !is_clause_word(st, st->next) &&
         !word_at(st, st->next, "LEFT"))) {
        st->next++;
        return g_strdup(token->text);
    }
    if (explicit_as)
        syntax_error_at(st, token);
    return NULL;
}

static DuetDataFrame *
parse_primary(Statement *st, GPtrArray *scope, Parsed **parsed)
{
    if (symbol_at(st, st->next, "(")) {
        st->next++;
        Parsed *inner = NULL;
        DuetDataFrame *frame = parse_query(st, &inner);
        if (frame == NULL || !expect_symbol(st, ")")) {
            parsed_free(inner);
            if (frame)
                duet_dataframe_unref(frame);
            return NULL;
        }
        char *alias = parse_alias(st);
        *parsed = parsed_new(
            g_strdup_printf("'SubqueryAlias %s", alias ? alias : "__auto_generated_subquery_name"),
            inner, NULL);
        if (alias)
            g_ptr_array_add(scope, alias);
        return frame;
    }
    Token *name = peek(st);
    if (name->kind != TOKEN_WORD && name->kind != TOKEN_QUOTED) {
        syntax_error_at(st, name);
        return NULL;
    }
    st->next++;
    DuetDataFrame *view = duet_catalog_lookup(st->catalog, name->text);
    if (view == NULL) {
        if (st->error == NULL)
            duet_analysis_error(
                &st->error,
                "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found. Verify the "
                "spelling and correctness of the schema and catalog.\nIf you did not qualify the "
                "name with a schema, verify the current_schema() output, or qualify the name "
                "with the correct schema and catalog.\nTo tolerate the error on drop use DROP "
                "VIEW IF EXISTS or DROP TABLE IF EXISTS.; line 1 pos %zu",
                name->text, name->start);
        return NULL;
    }
    g_ptr_array_add(scope, g_strdup(name->text));
    Parsed *relation =
        parsed_new(g_strdup_printf("'UnresolvedRelation [%s], [], false", name->text), NULL, NULL);
    char *alias = parse_alias(st);
    if (alias) {
        relation = parsed_new(g_strdup_printf("'SubqueryAlias %s", alias), relation, NULL);
        g_ptr_array_add(scope, alias);
    }
    *parsed = relation;
    return duet_dataframe_ref(view);
}

static gboolean
in_scope(GPtrArray *scope, const char *name, gsize length)
{
    for (guint index = 0; index < scope->len; index++)
        if (strlen(scope->pdata[index]) == length &&
            g_ascii_strncasecmp(scope->pdata[index], name, length) == 0)
            return TRUE;
    return FALSE;
}

/* ON a.x = b.y [AND ...]: the USING names, renaming right's keys to left's names where they
 * differ (*right replaced). */
static gboolean
on_to_using(Statement *st, DuetExpr *condition, GPtrArray *right_scope, DuetDataFrame **right,
            GPtrArray *names)
{
    if (condition->kind == DUET_EXPR_BINARY && condition->op == DUET_BINARY_AND)
        return on_to_using(st, condition->children[0], right_scope, right, names) &&
               on_to_using(st, condition->children[1], right_scope, right, names);
    if (condition->kind != DUET_EXPR_BINARY || condition->op != DUET_BINARY_EQUAL ||
        condition->children[0]->kind != DUET_EXPR_COLUMN ||
        condition->children[1]->kind != DUET_EXPR_COLUMN) {
        g_autofree char *text = duet_expr_name(condition);
        g_set_error(&st->error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                    "duet: a join condition must be equalities of columns joined by AND (got %s)",
                    text);
        return FALSE;
    }
    const char *sides[2];
    gboolean on_right[2];
    for (guint side = 0; side < 2; side++) {
        const char *name = condition->children[side]->name;
        const char *dot = strchr(name, '.');
        on_right[side] = dot != NULL && in_scope(right_scope, name, (gsize)(dot - name));
        sides[side] = dot ? dot + 1 : name;
    }
    if (on_right[0] == on_right[1]) {
        g_autofree char *text = duet_expr_name(condition);
        g_set_error(&st->error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                    "duet: each equality of a join condition must compare a left column with a "
                    "qualified right column (got %s)",
                    text);
        return FALSE;
    }
    const char *left_name = on_right[0] ? sides[1] : sides[0];
    const char *right_name = on_right[0] ? sides[0] : sides[1];
    if (g_ascii_strcasecmp(left_name, right_name) != 0) {
        g_autoptr(DuetExpr) column = duet_expr_column(right_name);
        g_autoptr(DuetDataFrame) renamed =
            duet_dataframe_with_column(*right, left_name, column, &st->error);
        if (renamed == NULL)
            return FALSE;
        /* withColumn appended the copy; drop the original */
        GPtrArray *keep = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
        for (guint field = 0; field < duet_schema_n_fields(renamed->schema); field++) {
            const char *field_name = duet_schema_field(renamed->schema, field)->name;
            if (g_ascii_strcasecmp(field_name, right_name) != 0)
                g_ptr_array_add(keep, duet_expr_column(field_name));
        }
        DuetDataFrame *narrowed =
            duet_dataframe_select(renamed, (DuetExpr *const *)keep->pdata, keep->len, &st->error);
        g_ptr_array_unref(keep);
        if (narrowed == NULL)
            return FALSE;
        duet_dataframe_unref(*right);
        *right = narrowed;
    }
    g_ptr_array_add(names, g_strdup(left_name));
    return TRUE;
}

static DuetDataFrame *
parse_relation(Statement *st, GPtrArray *scope, Parsed **parsed)
{
    DuetDataFrame *left = parse_primary(st, scope, parsed);
    while (left != NULL) {
        const char *type = "inner";
        if (accept_word(st, "LEFT")) {
            accept_word(st, "OUTER");
            type = "left_outer";
        } else {
            accept_word(st, "INNER");
        }
        if (!accept_word(st, "JOIN")) {
            if (!g_str_equal(type, "inner") || word_at(st, st->next - 1, "INNER")) {
                syntax_error_at(st, peek(st));
                duet_dataframe_unref(left);
                return NULL;
            }
            return left;
        }
        g_autoptr(GPtrArray) right_scope = g_ptr_array_new_with_free_func(g_free);
        Parsed *right_parsed = NULL;
        DuetDataFrame *right = parse_primary(st, right_scope, &right_parsed);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        char *label = NULL;
        gboolean ok = right != NULL;
        if (ok && accept_word(st, "USING")) {
            ok = expect_symbol(st, "(");
            while (ok) {
                Token *name = peek(st);
                ok = name->kind == TOKEN_WORD || name->kind == TOKEN_QUOTED;
                if (!ok) {
                    syntax_error_at(st, name);
                    break;
                }
                g_ptr_array_add(names, g_strdup(name->text));
                st->next++;
                if (!symbol_at(st, st->next, ","))
                    break;
                st->next++;
            }
            ok = ok && expect_symbol(st, ")");
            if (ok) {
                GString *list = g_string_new(NULL);
                for (guint index = 0; index < names->len; index++)
                    g_string_append_printf(list, "%s%s", index ? ", " : "",
                                           (char *)names->pdata[index]);
                g_autofree char *joined = g_string_free(list, FALSE);
                label = g_strdup_printf("'Join UsingJoin(%s, [%s])",
                                        g_str_equal(type, "inner") ? "Inner" : "LeftOuter", joined);
            }
        } else if (ok && accept_word(st, "ON")) {
            guint first = st->next;
            guint end = expression_end(st, first, FALSE, NULL);
            g_autoptr(DuetExpr) condition = parse_fragment(st, first, end, FALSE);
            st->next = end;
            ok = condition != NULL && on_to_using(st, condition, right_scope, &right, names);
            if (ok) {
                g_autofree char *text = unresolved_text(condition);
                label = g_strdup_printf("'Join %s, %s",
                                        g_str_equal(type, "inner") ? "Inner" : "LeftOuter", text);
            }
        } else if (ok) {
            syntax_error_at(st, peek(st));
            ok = FALSE;
        }
        DuetDataFrame *joined = NULL;
        if (ok) {
            g_ptr_array_add(names, NULL);
            joined = duet_dataframe_join(left, right, (const char *const *)names->pdata,
                                         names->len - 1, type, &st->error);
        }
        for (guint index = 0; index < right_scope->len; index++)
            g_ptr_array_add(scope, g_strdup(right_scope->pdata[index]));
        duet_dataframe_unref(left);
        if (right)
            duet_dataframe_unref(right);
        if (joined == NULL) {
            g_free(label);
            parsed_free(right_parsed);
            return NULL;
        }
        *parsed = parsed_new(label, *parsed, right_parsed);
        left = joined;
    }
    return NULL;
}

/* ---- SELECT -------------------------------------------------------------------------------- */

static gboolean
same_text(const DuetExpr *a, const DuetExpr *b)
{
    g_autofree char *x = duet_expr_name(a);
    g_autofree char *y = duet_expr_name(b);
    return g_ascii_strcasecmp(x, y) == 0;
}

static const DuetExpr *
unaliased(const DuetExpr *expr)
{
    while (expr->kind == DUET_EXPR_ALIAS)
        expr = expr->children[0];
    return expr;
}

static gboolean
is_agg_call(const DuetExpr *expr)
{
    return expr->kind == DUET_EXPR_FUNCTION && duet_agg_is_function(expr->name);
}

/* Adds the aggregate calls inside expr to calls (each text once). */
static void
collect_aggregates(DuetExpr *expr, GPtrArray *calls)
{
    if (is_agg_call(expr)) {
        for (guint index = 0; index < calls->len; index++)
            if (same_text(unaliased(calls->pdata[index]), expr))
                return;
        g_ptr_array_add(calls, duet_expr_ref(expr));
        return;
    }
    for (guint child = 0; child < expr->n_children; child++)
        collect_aggregates(expr->children[child], calls);
}

/* expr over the aggregate's output: group-key expressions and aggregate calls replaced by
 * references to the aggregate's columns. (transfer full) */
static DuetExpr *
over_aggregate(DuetExpr *expr, GPtrArray *keys, GPtrArray *calls, DuetSchema *output)
{
    for (guint index = 0; index < keys->len; index++)
        if (expr->kind != DUET_EXPR_COLUMN && same_text(keys->pdata[index], expr))
            return duet_expr_column(duet_schema_field(output, index)->name);
    if (is_agg_call(expr))
        for (guint index = 0; index < calls->len; index++)
            if (same_text(unaliased(calls->pdata[index]), expr))
                return duet_expr_column(duet_schema_field(output, keys->len + index)->name);
    if (expr->n_children == 0)
        return duet_expr_ref(expr);
    DuetExpr *copy = duet_expr_copy_node(expr);
    for (guint child = 0; child < copy->n_children; child++) {
        DuetExpr *rewritten = over_aggregate(copy->children[child], keys, calls, output);
        duet_expr_unref(copy->children[child]);
        copy->children[child] = rewritten;
    }
    return copy;
}

/* GROUP BY keys (maybe none) with the select items and HAVING: an Aggregate, a Filter for
 * HAVING, and a Project when the items are not the keys followed by the aggregates. */
static DuetDataFrame *
build_aggregate(Statement *st, DuetDataFrame *frame, GPtrArray *items, GPtrArray *keys,
                DuetExpr *having)
{
    /* top-level aggregate items keep their aliases; nested calls and HAVING's come after */
    g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    gboolean simple = items->len >= keys->len;
    for (guint index = 0; index < items->len; index++) {
        DuetExpr *item = items->pdata[index];
        if (is_agg_call(unaliased(item))) {
            gboolean seen = FALSE;
            for (guint call = 0; call < calls->len; call++)
                seen |= same_text(unaliased(calls->pdata[call]), unaliased(item));
            if (!seen)
                g_ptr_array_add(calls, duet_expr_ref(item));
            simple &= !seen && index >= keys->len;
        } else {
            simple &= index < keys->len;
        }
    }
    guint top_level = calls->len;
    for (guint index = 0; index < items->len; index++)
        collect_aggregates(items->pdata[index], calls);
    if (having)
        collect_aggregates(having, calls);
    simple &= calls->len == top_level;
    g_autoptr(DuetGroupedData) grouped =
        duet_dataframe_group_by(frame, (DuetExpr *const *)keys->pdata, keys->len);
    g_autoptr(DuetDataFrame) aggregated =
        duet_grouped_data_agg(grouped, (DuetExpr *const *)calls->pdata, calls->len, &st->error);
    if (aggregated == NULL)
        return NULL;
    DuetSchema *output = aggregated->schema;
    for (guint index = 0; simple && index < keys->len; index++) {
        const DuetExpr *item = items->pdata[index];
        const DuetExpr *bare = unaliased(item);
        const char *name = duet_schema_field(output, index)->name;
        simple &= same_text(bare, keys->pdata[index]) ||
                  (bare->kind == DUET_EXPR_COLUMN && g_ascii_strcasecmp(bare->name, name) == 0);
        simple &= item->kind != DUET_EXPR_ALIAS || g_str_equal(item->name, name);
    }
    g_autoptr(DuetDataFrame) filtered = duet_dataframe_ref(aggregated);
    if (having != NULL) {
        g_autoptr(DuetExpr) condition = over_aggregate(having, keys, calls, output);
        duet_dataframe_unref(filtered);
        filtered = duet_dataframe_filter(aggregated, condition, &st->error);
        if (filtered == NULL)
            return NULL;
    }
    if (simple)
        return g_steal_pointer(&filtered);
    GPtrArray *projected = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    for (guint index = 0; index < items->len; index++) {
        DuetExpr *item = items->pdata[index];
        DuetExpr *bare = (DuetExpr *)unaliased(item);
        g_autoptr(DuetExpr) rewritten = over_aggregate(bare, keys, calls, output);
        if (item->kind == DUET_EXPR_ALIAS) {
            g_ptr_array_add(projected, duet_expr_alias(rewritten, item->name));
        } else if (rewritten->kind == DUET_EXPR_COLUMN && bare->kind != DUET_EXPR_COLUMN) {
            /* a key or a call now read from its column keeps its name */
            g_ptr_array_add(projected, duet_expr_ref(rewritten));
        } else if (!same_text(rewritten, bare)) {
            g_autofree char *name = duet_expr_name(bare);
            g_ptr_array_add(projected, duet_expr_alias(rewritten, name));
        } else {
            g_ptr_array_add(projected, duet_expr_ref(rewritten));
        }
    }
    DuetDataFrame *result = duet_dataframe_select(filtered, (DuetExpr *const *)projected->pdata,
                                                  projected->len, &st->error);
    g_ptr_array_unref(projected);
    return result;
}

static DuetDataFrame *
parse_select(Statement *st, Parsed **parsed)
{
    if (!expect_word(st, "SELECT"))
        return NULL;
    gboolean distinct = accept_word(st, "DISTINCT");
    accept_word(st, "ALL");
    guint items_first = st->next;
    guint from = items_first;
    for (gint depth = 0; token_at(st, from)->kind != TOKEN_END; from++) {
        if (depth == 0 && word_at(st, from, "FROM"))
            break;
        depth += symbol_at(st, from, "(") ? 1 : symbol_at(st, from, ")") ? -1 : 0;
    }
    if (!word_at(st, from, "FROM")) {
        syntax_error_at(st, token_at(st, from));
        return NULL;
    }
    st->next = from + 1;
    g_autoptr(GPtrArray) scope = g_ptr_array_new_with_free_func(g_free);
    Parsed *relation = NULL;
    g_autoptr(DuetDataFrame) frame = parse_relation(st, scope, &relation);
    if (frame == NULL) {
        parsed_free(relation);
        return NULL;
    }
    guint after_relation = st->next;
    /* the items, now that the relations' names are known */
    st->next = items_first;
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    gboolean ok = parse_list(st, scope, TRUE, frame, items);
    if (ok && st->next != from) {
        syntax_error_at(st, peek(st));
        ok = FALSE;
    }
    st->next = after_relation;
    g_autoptr(DuetExpr) where = NULL;
    if (ok && accept_word(st, "WHERE")) {
        where = parse_condition(st, scope, frame);
        ok = where != NULL;
    }
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    gboolean grouped = FALSE;
    if (ok && accept_word(st, "GROUP")) {
        grouped = TRUE;
        ok = expect_word(st, "BY") && parse_list(st, scope, FALSE, frame, keys);
    }
    g_autoptr(DuetExpr) having = NULL;
    if (ok && accept_word(st, "HAVING")) {
        having = parse_condition(st, scope, frame);
        ok = having != NULL;
    }
    if (!ok) {
        parsed_free(relation);
        return NULL;
    }
    /* Spark's parsed plan */
    Parsed *tree = relation;
    if (where) {
        g_autofree char *text = unresolved_text(where);
        tree = parsed_new(g_strdup_printf("'Filter %s", text), tree, NULL);
    }
    gboolean aggregate = grouped || having != NULL;
    for (guint index = 0; index < items->len; index++)
        aggregate |= duet_expr_contains_aggregate(items->pdata[index]);
    g_autofree char *item_list = unresolved_list(items);
    if (aggregate) {
        g_autofree char *key_list = unresolved_list(keys);
        tree = parsed_new(g_strdup_printf("'Aggregate %s, %s", key_list, item_list), tree, NULL);
        if (having) {
            g_autofree char *text = unresolved_text(having);
            tree = parsed_new(g_strdup_printf("'UnresolvedHaving %s", text), tree, NULL);
        }
    } else {
        tree = parsed_new(g_strdup_printf("'Project %s", item_list), tree, NULL);
    }
    if (distinct)
        tree = parsed_new(g_strdup("'Distinct"), tree, NULL);
    *parsed = tree;
    /* the plan */
    if (where) {
        DuetDataFrame *filtered = duet_dataframe_filter(frame, where, &st->error);
        if (filtered == NULL)
            return NULL;
        duet_dataframe_unref(frame);
        frame = filtered;
    }
    DuetDataFrame *result =
        aggregate
            ? build_aggregate(st, frame, items, keys, having)
            : duet_dataframe_select(frame, (DuetExpr *const *)items->pdata, items->len, &st->error);
    if (result != NULL && distinct) {
        DuetDataFrame *deduped = duet_dataframe_drop_duplicates(result, NULL, 0, &st->error);
        duet_dataframe_unref(result);
        result = deduped;
    }
    return result;
}

static DuetDataFrame *
parse_term(Statement *st, Parsed **parsed)
{
    if (!symbol_at(st, st->next, "("))
        return parse_select(st, parsed);
    st->next++;
    DuetDataFrame *frame = parse_query(st, parsed);
    if (frame != NULL && !expect_symbol(st, ")"))
        g_clear_pointer(&frame, duet_dataframe_unref);
    return frame;
}

/* ORDER BY items [ASC | DESC] [NULLS FIRST | LAST]: a Sort node over frame. */
static DuetDataFrame *
parse_order_by(Statement *st, DuetDataFrame *frame, Parsed **parsed)
{
    static const char *const stops[] = {"ASC", "DESC", "NULLS", NULL};
    GArray *keys = g_array_new(FALSE, TRUE, sizeof(DuetSortKey));
    GString *label = g_string_new("'Sort [");
    g_autoptr(GPtrArray) scope = g_ptr_array_new_with_free_func(g_free);
    gboolean ok = TRUE;
    while (ok) {
        guint first = st->next;
        guint end = expression_end(st, first, TRUE, stops);
        g_autoptr(DuetExpr) parsed_key = parse_fragment(st, first, end, FALSE);
        st->next = end;
        DuetSortKey key = {NULL, TRUE, TRUE};
        if (accept_word(st, "DESC")) {
            key.ascending = FALSE;
            key.nulls_first = FALSE;
        } else {
            accept_word(st, "ASC");
        }
        if (accept_word(st, "NULLS")) {
            if (accept_word(st, "FIRST"))
                key.nulls_first = TRUE;
            else if (expect_word(st, "LAST"))
                key.nulls_first = FALSE;
        }
        ok = parsed_key != NULL && st->error == NULL;
        if (ok) {
            /* qualifiers name relations that no longer exist here: keep the column name */
            const char *dot = parsed_key->kind == DUET_EXPR_COLUMN &&
                                      duet_schema_find_ci(frame->schema, parsed_key->name) < 0
                                  ? strchr(parsed_key->name, '.')
                                  : NULL;
            g_autoptr(DuetExpr) bare = dot ? duet_expr_column(dot + 1) : duet_expr_ref(parsed_key);
            key.expr = duet_expr_resolve(bare, frame->schema, &st->error);
            ok = key.expr != NULL;
            g_autofree char *text = unresolved_text(bare);
            g_string_append_printf(label, "%s%s %s NULLS %s", keys->len ? ", " : "", text,
                                   key.ascending ? "ASC" : "DESC",
                                   key.nulls_first ? "FIRST" : "LAST");
        }
        if (ok)
            g_array_append_val(keys, key);
        if (!ok || !symbol_at(st, st->next, ","))
            break;
        st->next++;
    }
    g_string_append(label, "], true");
    if (!ok) {
        for (guint index = 0; index < keys->len; index++)
            duet_expr_unref(g_array_index(keys, DuetSortKey, index).expr);
        g_array_unref(keys);
        g_string_free(label, TRUE);
        return NULL;
    }
    *parsed = parsed_new(g_string_free(label, FALSE), *parsed, NULL);
    DuetDataFrame *sorted = duet_dataframe_node_new(DUET_PLAN_SORT, frame->schema, frame);
    sorted->sort_keys = keys;
    return sorted;
}

static DuetDataFrame *
parse_query(Statement *st, Parsed **parsed)
{
    DuetDataFrame *frame = parse_term(st, parsed);
    while (frame != NULL && accept_word(st, "UNION")) {
        gboolean all = accept_word(st, "ALL");
        if (!all)
            accept_word(st, "DISTINCT");
        Parsed *right_parsed = NULL;
        g_autoptr(DuetDataFrame) right = parse_term(st, &right_parsed);
        DuetDataFrame *unioned = right ? duet_dataframe_union(frame, right, &st->error) : NULL;
        duet_dataframe_unref(frame);
        if (unioned == NULL) {
            parsed_free(right_parsed);
            return NULL;
        }
        *parsed = parsed_new(g_strdup("'Union false, false"), *parsed, right_parsed);
        frame = unioned;
        if (!all) {
            *parsed = parsed_new(g_strdup("'Distinct"), *parsed, NULL);
            frame = duet_dataframe_drop_duplicates(unioned, NULL, 0, &st->error);
            duet_dataframe_unref(unioned);
        }
    }
    if (frame != NULL && word_at(st, st->next, "ORDER")) {
        st->next++;
        DuetDataFrame *sorted = expect_word(st, "BY") ? parse_order_by(st, frame, parsed) : NULL;
        duet_dataframe_unref(frame);
        frame = sorted;
    }
    if (frame != NULL && accept_word(st, "LIMIT")) {
        Token *count = peek(st);
        gint64 limit = 0;
        if (count->kind != TOKEN_NUMBER ||
            !g_ascii_string_to_signed(count->text, 10, 0, G_MAXINT32, &limit, NULL)) {
            syntax_error_at(st, count);
            g_clear_pointer(&frame, duet_dataframe_unref);
        } else {
            st->next++;
            *parsed = parsed_new(
                g_strdup_printf("'GlobalLimit %" G_GINT64_FORMAT, limit),
                parsed_new(g_strdup_printf("'LocalLimit %" G_GINT64_FORMAT, limit), *parsed, NULL),
                NULL);
            DuetDataFrame *limited = duet_dataframe_limit(frame, limit);
            duet_dataframe_unref(frame);
            frame = limited;
        }
    }
    return frame;
}

DuetDataFrame *
duet_catalog_sql(DuetCatalog *catalog, const char *text, GError **error)
{
    g_return_val_if_fail(catalog != NULL && text != NULL, NULL);
    Statement st = {text, g_array_new(FALSE, FALSE, sizeof(Token)), 0, catalog, NULL};
    g_array_set_clear_func(st.tokens, clear_token);
    DuetDataFrame *frame = NULL;
    Parsed *parsed = NULL;
    if (tokenize(&st)) {
        frame = parse_query(&st, &parsed);
        if (symbol_at(&st, st.next, ";"))
            st.next++;
        if (frame != NULL && peek(&st)->kind != TOKEN_END) {
            syntax_error_at(&st, peek(&st));
            g_clear_pointer(&frame, duet_dataframe_unref);
        }
    }
    if (frame == NULL && st.error == NULL)
        g_set_error(&st.error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED, "cannot compile %s", text);
    if (frame != NULL && parsed != NULL && frame->ref_count == 1) {
        GString *out = g_string_new(NULL);
        g_autoptr(GString) prefix = g_string_new(NULL);
        parsed_render(out, parsed, prefix, TRUE, TRUE);
        g_free(frame->parsed_plan);
        frame->parsed_plan = g_string_free(out, FALSE);
    }
    parsed_free(parsed);
    g_array_unref(st.tokens);
    if (frame == NULL)
        g_propagate_error(error, st.error);
    else
        g_clear_error(&st.error);
    return frame;
}
