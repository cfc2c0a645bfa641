/* sql_parser.c — a recursive-descent parser for Spark SQL expressions.
 *
 * Layer: structured/. Includes rdd/ and structured/. One Parser threads through every rule
 * (as SQLite's Parse does): it holds the token stream and the first error, and the entry
 * points turn that into the GError.
 */
#include "structured/internal.h"
#include "structured/sql_parser.h"

typedef enum {
    TOKEN_END,
    TOKEN_IDENTIFIER, /* a word or a `quoted name` */
    TOKEN_KEYWORD,    /* an unquoted word that is a keyword (text as written) */
    TOKEN_INTEGER,
    TOKEN_DECIMAL,
    TOKEN_STRING,
    TOKEN_SYMBOL, /* operators and punctuation */
} TokenKind;

typedef struct {
    TokenKind kind;
    char *text;           /* identifier, keyword (upper case), string contents, number, symbol */
    gsize position;       /* byte offset in the input */
    gboolean long_suffix; /* 123L */
} Token;

typedef struct {
    const char *input;
    GArray *tokens; /* Token */
    guint next;     /* index of the current token */
    GError *error;  /* the first error */
} Parser;

static const char *const keywords[] = {"AND", "OR",   "NOT",   "IS",      "NULL", "TRUE", "FALSE",
                                       "AS",  "CAST", "CASE",  "WHEN",    "THEN", "ELSE", "END",
                                       "IN",  "LIKE", "RLIKE", "BETWEEN", "DIV",  NULL};

static gboolean
is_keyword(const char *word)
{
    for (const char *const *keyword = keywords; *keyword; keyword++)
        if (g_ascii_strcasecmp(*keyword, word) == 0)
            return TRUE;
    return FALSE;
}

static void
syntax_error(Parser *parser, gsize position, const char *near)
{
    if (parser->error != NULL)
        return;
    if (near == NULL)
        g_set_error(&parser->error, DUET_SQL_ERROR, DUET_SQL_ERROR_PARSE,
                    "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input.(line 1, pos %zu)",
                    position);
    else
        g_set_error(&parser->error, DUET_SQL_ERROR, DUET_SQL_ERROR_PARSE,
                    "[PARSE_SYNTAX_ERROR] Syntax error at or near '%s'.(line 1, pos %zu)", near,
                    position);
}

static void
unsupported(Parser *parser, const char *what)
{
    if (parser->error == NULL)
        g_set_error(&parser->error, DUET_SQL_ERROR, DUET_SQL_ERROR_PARSE,
                    "%s expressions are not supported by duet yet", what);
}

static void
clear_token(gpointer data)
{
    g_free(((Token *)data)->text);
}

static void
push(Parser *parser, TokenKind kind, char *text, gsize position)
{
    Token token = {kind, text, position, FALSE};
    g_array_append_val(parser->tokens, token);
}

static gboolean
tokenize(Parser *parser)
{
    const char *input = parser->input;
    gsize length = strlen(input), at = 0;
    while (at < length) {
        char c = input[at];
        if (g_ascii_isspace(c)) {
            at++;
            continue;
        }
        gsize start = at;
        if (g_ascii_isalpha(c) || c == '_') {
            while (at < length && (g_ascii_isalnum(input[at]) || input[at] == '_'))
                at++;
            char *word = g_strndup(input + start, at - start);
            push(parser, is_keyword(word) ? TOKEN_KEYWORD : TOKEN_IDENTIFIER, word, start);
        } else if (c == '`') {
            GString *name = g_string_new(NULL);
            for (at++; at < length; at++) {
                if (input[at] == '`' && at + 1 < length && input[at + 1] == '`') {
                    g_string_append_c(name, '`');
                    at++;
                } else if (input[at] == '`') {
                    break;
                } else {
                    g_string_append_c(name, input[at]);
                }
            }
            if (at >= length) {
                g_string_free(name, TRUE);
                syntax_error(parser, start, "`");
                return FALSE;
            }
            at++;
            push(parser, TOKEN_IDENTIFIER, g_string_free(name, FALSE), start);
        } else if (g_ascii_isdigit(c) ||
                   (c == '.' && at + 1 < length && g_ascii_isdigit(input[at + 1]))) {
            gboolean decimal = FALSE;
            while (at < length && g_ascii_isdigit(input[at]))
                at++;
            if (at < length && input[at] == '.') {
                decimal = TRUE;
                for (at++; at < length && g_ascii_isdigit(input[at]); at++)
                    ;
            }
            if (at < length && (input[at] == 'e' || input[at] == 'E')) {
                decimal = TRUE;
                at++;
                if (at < length && (input[at] == '+' || input[at] == '-'))
                    at++;
                while (at < length && g_ascii_isdigit(input[at]))
                    at++;
            }
            push(parser, decimal ? TOKEN_DECIMAL : TOKEN_INTEGER,
                 g_strndup(input + start, at - start), start);
            if (!decimal && at < length && (input[at] == 'L' || input[at] == 'l')) {
                g_array_index(parser->tokens, Token, parser->tokens->len - 1).long_suffix = TRUE;
                at++;
            }
        } else if (c == '\'' || c == '"') {
            GString *text = g_string_new(NULL);
            for (at++; at < length && input[at] != c; at++) {
                if (input[at] == '\\' && at + 1 < length) {
                    at++;
                    char escaped = input[at];
                    g_string_append_c(text, escaped == 'n'   ? '\n'
                                            : escaped == 't' ? '\t'
                                            : escaped == 'r' ? '\r'
                                            : escaped == '0' ? '\0'
                                                             : escaped);
                } else {
                    g_string_append_c(text, input[at]);
                }
            }
            if (at >= length) {
                g_string_free(text, TRUE);
                syntax_error(parser, start, NULL);
                return FALSE;
            }
            at++;
            push(parser, TOKEN_STRING, g_string_free(text, FALSE), start);
        } else {
            static const char *const symbols[] = {
                "==", "!=", "<>", "<=", ">=", "<=>", "||", "=", "<", ">", "+", "-", "*",
                "/",  "%",  "(",  ")",  ",",  ".",   "!",  "&", "|", "^", "~", NULL};
            const char *matched = NULL;
            for (const char *const *symbol = symbols; *symbol; symbol++) {
                gsize symbol_length = strlen(*symbol);
                if (strncmp(input + at, *symbol, symbol_length) == 0 &&
                    (matched == NULL || symbol_length > strlen(matched)))
                    matched = *symbol;
            }
            if (matched == NULL) {
                char near[2] = {c, '\0'};
                syntax_error(parser, start, near);
                return FALSE;
            }
            at += strlen(matched);
            push(parser, TOKEN_SYMBOL, g_strdup(matched), start);
        }
    }
    push(parser, TOKEN_END, NULL, length);
    return TRUE;
}

static Token *
peek(Parser *parser)
{
    return &g_array_index(parser->tokens, Token, parser->next);
}

static gboolean
at_symbol(Parser *parser, const char *symbol)
{
    Token *token = peek(parser);
    return token->kind == TOKEN_SYMBOL && g_str_equal(token->text, symbol);
}

static gboolean
at_keyword(Parser *parser, const char *keyword)
{
    Token *token = peek(parser);
    return token->kind == TOKEN_KEYWORD && g_ascii_strcasecmp(token->text, keyword) == 0;
}

static void
advance(Parser *parser)
{
    if (peek(parser)->kind != TOKEN_END)
        parser->next++;
}

static void
fail_here(Parser *parser)
{
    Token *token = peek(parser);
    syntax_error(parser, token->position, token->kind == TOKEN_END ? NULL : token->text);
}

static gboolean
expect_symbol(Parser *parser, const char *symbol)
{
    if (!at_symbol(parser, symbol)) {
        fail_here(parser);
        return FALSE;
    }
    advance(parser);
    return TRUE;
}

static DuetExpr *parse_or(Parser *parser);

/* consumes left and right */
static DuetExpr *
combine(DuetBinaryOp op, DuetExpr *left, DuetExpr *right)
{
    DuetExpr *expr = duet_expr_binary(op, left, right);
    duet_expr_unref(left);
    duet_expr_unref(right);
    return expr;
}

static DuetExpr *
consume_unary(DuetExpr *(*builder)(DuetExpr *), DuetExpr *child)
{
    DuetExpr *expr = builder(child);
    duet_expr_unref(child);
    return expr;
}

/* CAST(expr AS type): the type runs to the closing parenthesis. */
static DuetExpr *
parse_cast(Parser *parser)
{
    advance(parser); /* CAST */
    if (!expect_symbol(parser, "("))
        return NULL;
    DuetExpr *child = parse_or(parser);
    if (child == NULL)
        return NULL;
    if (!at_keyword(parser, "AS")) {
        fail_here(parser);
        duet_expr_unref(child);
        return NULL;
    }
    advance(parser);
    GString *type_text = g_string_new(NULL);
    int depth = 0;
    while (peek(parser)->kind != TOKEN_END && !(depth == 0 && at_symbol(parser, ")"))) {
        Token *token = peek(parser);
        if (token->kind == TOKEN_SYMBOL && g_str_equal(token->text, "<"))
            depth++;
        if (token->kind == TOKEN_SYMBOL && g_str_equal(token->text, ">"))
            depth--;
        g_string_append_printf(type_text, "%s%s", type_text->len ? " " : "", token->text);
        advance(parser);
    }
    DuetExpr *result = NULL;
    if (expect_symbol(parser, ")")) {
        GError *local = NULL;
        g_autoptr(DuetDataType) type = duet_data_type_parse(type_text->str, &local);
        if (type == NULL) {
            if (parser->error == NULL)
                g_set_error(&parser->error, DUET_SQL_ERROR, DUET_SQL_ERROR_PARSE,
                            "[UNSUPPORTED_DATATYPE] Unsupported data type \"%s\".", type_text->str);
            g_clear_error(&local);
        } else {
            result = duet_expr_cast(child, type);
        }
    }
    g_string_free(type_text, TRUE);
    duet_expr_unref(child);
    return result;
}

static DuetExpr *
parse_function_call(Parser *parser, const char *name)
{
    advance(parser); /* ( */
    GPtrArray *arguments = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    DuetExpr *result = NULL;
    if (at_symbol(parser, "*")) { /* count(*) */
        advance(parser);
        g_ptr_array_add(arguments, duet_expr_column("*"));
    } else if (!at_symbol(parser, ")")) {
        for (;;) {
            DuetExpr *argument = parse_or(parser);
            if (argument == NULL)
                goto out;
            g_ptr_array_add(arguments, argument);
            if (!at_symbol(parser, ","))
                break;
            advance(parser);
        }
    }
    if (expect_symbol(parser, ")"))
        result = duet_expr_function(name, (DuetExpr *const *)arguments->pdata, arguments->len);
out:
    g_ptr_array_unref(arguments);
    return result;
}

static DuetExpr *parse_additive(Parser *parser);

/* CASE [operand] WHEN a THEN b ... [ELSE c] END. Spark turns the simple form's WHEN values
 * into equalities with the operand: CASE x WHEN 1 THEN ... is CASE WHEN (x = 1) THEN .... */
static DuetExpr *
parse_case(Parser *parser)
{
    advance(parser); /* CASE */
    GPtrArray *conditions = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    GPtrArray *values = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
    DuetExpr *operand = NULL, *else_value = NULL, *result = NULL;
    if (!at_keyword(parser, "WHEN") && (operand = parse_or(parser)) == NULL)
        goto out;
    if (!at_keyword(parser, "WHEN")) {
        fail_here(parser);
        goto out;
    }
    while (at_keyword(parser, "WHEN")) {
        advance(parser);
        DuetExpr *condition = parse_or(parser);
        if (condition == NULL)
            goto out;
        if (operand != NULL)
            condition = combine(DUET_BINARY_EQUAL, duet_expr_ref(operand), condition);
        g_ptr_array_add(conditions, condition);
        if (!at_keyword(parser, "THEN")) {
            fail_here(parser);
            goto out;
        }
        advance(parser);
        DuetExpr *value = parse_or(parser);
        if (value == NULL)
            goto out;
        g_ptr_array_add(values, value);
    }
    if (at_keyword(parser, "ELSE")) {
        advance(parser);
        if ((else_value = parse_or(parser)) == NULL)
            goto out;
    }
    if (!at_keyword(parser, "END")) {
        fail_here(parser);
        goto out;
    }
    advance(parser);
    result = duet_expr_case_when((DuetExpr *const *)conditions->pdata,
                                 (DuetExpr *const *)values->pdata, conditions->len, else_value);
out:
    if (operand)
        duet_expr_unref(operand);
    if (else_value)
        duet_expr_unref(else_value);
    g_ptr_array_unref(conditions);
    g_ptr_array_unref(values);
    return result;
}

static DuetExpr *
parse_primary(Parser *parser)
{
    Token *token = peek(parser);
    switch (token->kind) {
    case TOKEN_INTEGER: {
        gint64 value = g_ascii_strtoll(token->text, NULL, 10);
        gboolean long_suffix = token->long_suffix;
        advance(parser);
        if (long_suffix) {
            DuetValue literal = duet_value_int64(value);
            return duet_expr_literal(&literal);
        }
        return duet_expr_literal_int(value);
    }
    case TOKEN_DECIMAL: {
        DuetValue literal = duet_value_double(g_ascii_strtod(token->text, NULL));
        advance(parser);
        return duet_expr_literal(&literal);
    }
    case TOKEN_STRING: {
        DuetExpr *literal = duet_expr_literal_string(token->text);
        advance(parser);
        return literal;
    }
    case TOKEN_KEYWORD:
        if (at_keyword(parser, "NULL")) {
            advance(parser);
            return duet_expr_literal_null();
        }
        if (at_keyword(parser, "TRUE") || at_keyword(parser, "FALSE")) {
            DuetValue literal = duet_value_boolean(at_keyword(parser, "TRUE"));
            advance(parser);
            return duet_expr_literal(&literal);
        }
        if (at_keyword(parser, "CAST"))
            return parse_cast(parser);
        if ((at_keyword(parser, "LIKE") || at_keyword(parser, "RLIKE")) &&
            g_array_index(parser->tokens, Token, parser->next + 1).kind == TOKEN_SYMBOL &&
            g_str_equal(g_array_index(parser->tokens, Token, parser->next + 1).text, "(")) {
            /* like(str, pattern) and rlike(str, regexp) are functions too */
            g_autofree char *name = g_ascii_strdown(token->text, -1);
            advance(parser);
            return parse_function_call(parser, name);
        }
        if (at_keyword(parser, "CASE"))
            return parse_case(parser);
        fail_here(parser);
        return NULL;
    case TOKEN_IDENTIFIER: {
        g_autofree char *name = g_strdup(token->text);
        advance(parser);
        if (at_symbol(parser, "("))
            return parse_function_call(parser, name);
        GString *qualified = g_string_new(name);
        while (at_symbol(parser, ".")) {
            advance(parser);
            /* after a dot, keywords are names too (window.end) */
            Token *part = peek(parser);
            if (part->kind != TOKEN_IDENTIFIER && part->kind != TOKEN_KEYWORD) {
                fail_here(parser);
                g_string_free(qualified, TRUE);
                return NULL;
            }
            g_string_append_printf(qualified, ".%s", part->text);
            advance(parser);
        }
        DuetExpr *column = duet_expr_column(qualified->str);
        g_string_free(qualified, TRUE);
        return column;
    }
    case TOKEN_SYMBOL:
        if (g_str_equal(token->text, "(")) {
            advance(parser);
            DuetExpr *inner = parse_or(parser);
            if (inner != NULL && !expect_symbol(parser, ")"))
                g_clear_pointer(&inner, duet_expr_unref);
            return inner;
        }
        if (g_str_equal(token->text, "*")) {
            advance(parser);
            return duet_expr_column("*");
        }
        fail_here(parser);
        return NULL;
    case TOKEN_END:
        fail_here(parser);
        return NULL;
    }
    return NULL;
}

static DuetExpr *
parse_unary(Parser *parser)
{
    if (at_symbol(parser, "-")) {
        advance(parser);
        /* fold -<number> into a literal, as Spark's parser does */
        Token *token = peek(parser);
        if (token->kind == TOKEN_INTEGER && !token->long_suffix) {
            gint64 value = -g_ascii_strtoll(token->text, NULL, 10);
            advance(parser);
            return duet_expr_literal_int(value);
        }
        DuetExpr *child = parse_unary(parser);
        return child ? consume_unary(duet_expr_negate, child) : NULL;
    }
    if (at_symbol(parser, "+")) {
        advance(parser);
        return parse_unary(parser);
    }
    if (at_symbol(parser, "~")) {
        unsupported(parser, "bitwise");
        return NULL;
    }
    return parse_primary(parser);
}

static DuetExpr *
parse_multiplicative(Parser *parser)
{
    DuetExpr *left = parse_unary(parser);
    while (left != NULL) {
        DuetBinaryOp op;
        if (at_symbol(parser, "*"))
            op = DUET_BINARY_MULTIPLY;
        else if (at_symbol(parser, "/"))
            op = DUET_BINARY_DIVIDE;
        else if (at_symbol(parser, "%"))
            op = DUET_BINARY_REMAINDER;
        else if (at_keyword(parser, "DIV")) {
            unsupported(parser, "DIV");
            duet_expr_unref(left);
            return NULL;
        } else
            break;
        advance(parser);
        DuetExpr *right = parse_unary(parser);
        if (right == NULL) {
            duet_expr_unref(left);
            return NULL;
        }
        left = combine(op, left, right);
    }
    return left;
}

static DuetExpr *
parse_additive(Parser *parser)
{
    DuetExpr *left = parse_multiplicative(parser);
    while (left != NULL && (at_symbol(parser, "+") || at_symbol(parser, "-"))) {
        DuetBinaryOp op = at_symbol(parser, "+") ? DUET_BINARY_ADD : DUET_BINARY_SUBTRACT;
        advance(parser);
        DuetExpr *right = parse_multiplicative(parser);
        if (right == NULL) {
            duet_expr_unref(left);
            return NULL;
        }
        left = combine(op, left, right);
    }
    if (left != NULL && (at_symbol(parser, "&") || at_symbol(parser, "|") ||
                         at_symbol(parser, "^") || at_symbol(parser, "||"))) {
        unsupported(parser, at_symbol(parser, "||") ? "|| concatenation" : "bitwise");
        duet_expr_unref(left);
        return NULL;
    }
    return left;
}

/* A word that Spark does not reserve (ILIKE, REGEXP, ESCAPE): a keyword only where it stands. */
static gboolean
at_word(Parser *parser, guint offset, const char *word)
{
    if (parser->next + offset >= parser->tokens->len)
        return FALSE;
    Token *token = &g_array_index(parser->tokens, Token, parser->next + offset);
    return (token->kind == TOKEN_KEYWORD || token->kind == TOKEN_IDENTIFIER) &&
           g_ascii_strcasecmp(token->text, word) == 0;
}

static gboolean
at_predicate(Parser *parser, guint offset)
{
    return at_word(parser, offset, "IN") || at_word(parser, offset, "LIKE") ||
           at_word(parser, offset, "RLIKE") || at_word(parser, offset, "REGEXP") ||
           at_word(parser, offset, "ILIKE") || at_word(parser, offset, "BETWEEN");
}

/* left [NOT] IN (list) | [NOT] BETWEEN a AND b | [NOT] LIKE/ILIKE p [ESCAPE 'c'] |
 * [NOT] RLIKE/REGEXP p. Consumes left. BETWEEN is ((left >= a) AND (left <= b)), as Spark 3's
 * parser writes it; NOT wraps the whole predicate. */
static DuetExpr *
parse_predicate(Parser *parser, DuetExpr *left)
{
    gboolean negated = at_keyword(parser, "NOT");
    if (negated)
        advance(parser);
    DuetExpr *result = NULL;
    if (at_keyword(parser, "IN")) {
        advance(parser);
        GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify)duet_expr_unref);
        gboolean ok = expect_symbol(parser, "(");
        while (ok) {
            DuetExpr *element = parse_or(parser);
            if (element == NULL) {
                ok = FALSE;
                break;
            }
            g_ptr_array_add(list, element);
            if (!at_symbol(parser, ","))
                break;
            advance(parser);
        }
        if (ok && expect_symbol(parser, ")"))
            result = duet_expr_in(left, (DuetExpr *const *)list->pdata, list->len);
        g_ptr_array_unref(list);
    } else if (at_keyword(parser, "BETWEEN")) {
        advance(parser);
        DuetExpr *lower = parse_additive(parser);
        DuetExpr *upper = NULL;
        if (lower != NULL && !at_keyword(parser, "AND"))
            fail_here(parser);
        else if (lower != NULL) {
            advance(parser);
            upper = parse_additive(parser);
        }
        if (upper != NULL)
            result = combine(DUET_BINARY_AND,
                             combine(DUET_BINARY_GREATER_EQUAL, duet_expr_ref(left), lower),
                             combine(DUET_BINARY_LESS_EQUAL, duet_expr_ref(left), upper));
        else if (lower != NULL)
            duet_expr_unref(lower);
    } else {
        gboolean regex = at_word(parser, 0, "RLIKE") || at_word(parser, 0, "REGEXP");
        const char *name = regex ? "rlike" : at_word(parser, 0, "ILIKE") ? "ilike" : "like";
        advance(parser);
        DuetExpr *arguments[3] = {left, parse_additive(parser), NULL};
        guint n = 2;
        if (arguments[1] != NULL && !regex && at_word(parser, 0, "ESCAPE")) {
            advance(parser);
            if (peek(parser)->kind == TOKEN_STRING) {
                arguments[2] = duet_expr_literal_string(peek(parser)->text);
                n = 3;
                advance(parser);
            } else {
                fail_here(parser);
                g_clear_pointer(&arguments[1], duet_expr_unref);
            }
        }
        if (arguments[1] != NULL)
            result = duet_expr_function(name, arguments, n);
        for (guint argument = 1; argument < n; argument++)
            if (arguments[argument])
                duet_expr_unref(arguments[argument]);
    }
    duet_expr_unref(left);
    if (result != NULL && negated)
        result = consume_unary(duet_expr_not, result);
    return result;
}

static DuetExpr *
parse_comparison(Parser *parser)
{
    DuetExpr *left = parse_additive(parser);
    while (left != NULL) {
        if (at_keyword(parser, "IS")) {
            advance(parser);
            gboolean negated = at_keyword(parser, "NOT");
            if (negated)
                advance(parser);
            if (!at_keyword(parser, "NULL")) {
                fail_here(parser);
                duet_expr_unref(left);
                return NULL;
            }
            advance(parser);
            left = consume_unary(negated ? duet_expr_is_not_null : duet_expr_is_null, left);
            continue;
        }
        if (at_predicate(parser, 0) || (at_keyword(parser, "NOT") && at_predicate(parser, 1))) {
            left = parse_predicate(parser, left);
            continue;
        }
        if (at_keyword(parser, "NOT"))
            break;
        DuetBinaryOp op;
        if (at_symbol(parser, "=") || at_symbol(parser, "=="))
            op = DUET_BINARY_EQUAL;
        else if (at_symbol(parser, "!=") || at_symbol(parser, "<>"))
            op = DUET_BINARY_NOT_EQUAL;
        else if (at_symbol(parser, "<"))
            op = DUET_BINARY_LESS;
        else if (at_symbol(parser, "<="))
            op = DUET_BINARY_LESS_EQUAL;
        else if (at_symbol(parser, ">"))
            op = DUET_BINARY_GREATER;
        else if (at_symbol(parser, ">="))
            op = DUET_BINARY_GREATER_EQUAL;
        else
            break;
        advance(parser);
        DuetExpr *right = parse_additive(parser);
        if (right == NULL) {
            duet_expr_unref(left);
            return NULL;
        }
        left = combine(op, left, right);
    }
    return left;
}

static DuetExpr *
parse_not(Parser *parser)
{
    if (at_keyword(parser, "NOT") || at_symbol(parser, "!")) {
        advance(parser);
        DuetExpr *child = parse_not(parser);
        return child ? consume_unary(duet_expr_not, child) : NULL;
    }
    return parse_comparison(parser);
}

static DuetExpr *
parse_and(Parser *parser)
{
    DuetExpr *left = parse_not(parser);
    while (left != NULL && at_keyword(parser, "AND")) {
        advance(parser);
        DuetExpr *right = parse_not(parser);
        if (right == NULL) {
            duet_expr_unref(left);
            return NULL;
        }
        left = combine(DUET_BINARY_AND, left, right);
    }
    return left;
}

static DuetExpr *
parse_or(Parser *parser)
{
    DuetExpr *left = parse_and(parser);
    while (left != NULL && at_keyword(parser, "OR")) {
        advance(parser);
        DuetExpr *right = parse_and(parser);
        if (right == NULL) {
            duet_expr_unref(left);
            return NULL;
        }
        left = combine(DUET_BINARY_OR, left, right);
    }
    return left;
}

/* Runs rule over text; the whole input must be consumed. */
static DuetExpr *
parse(const char *text, gboolean select_item, GError **error)
{
    Parser parser = {text, g_array_new(FALSE, FALSE, sizeof(Token)), 0, NULL};
    g_array_set_clear_func(parser.tokens, clear_token);
    DuetExpr *result = NULL;
    if (tokenize(&parser)) {
        result = parse_or(&parser);
        if (result != NULL && select_item) {
            gboolean explicit_as = at_keyword(&parser, "AS");
            if (explicit_as)
                advance(&parser);
            if (peek(&parser)->kind == TOKEN_IDENTIFIER) {
                DuetExpr *aliased = duet_expr_alias(result, peek(&parser)->text);
                duet_expr_unref(result);
                result = aliased;
                advance(&parser);
            } else if (explicit_as) {
                fail_here(&parser);
                g_clear_pointer(&result, duet_expr_unref);
            }
        }
        if (result != NULL && peek(&parser)->kind != TOKEN_END) {
            fail_here(&parser);
            g_clear_pointer(&result, duet_expr_unref);
        }
    }
    if (result == NULL) {
        if (parser.error == NULL)
            syntax_error(&parser, 0, text);
        g_propagate_error(error, parser.error);
    } else {
        g_clear_error(&parser.error);
    }
    g_array_unref(parser.tokens);
    return result;
}

DuetExpr *
duet_sql_parse_expression(const char *text, GError **error)
{
    g_return_val_if_fail(text != NULL, NULL);
    return parse(text, FALSE, error);
}

DuetExpr *
duet_sql_parse_select_item(const char *text, GError **error)
{
    g_return_val_if_fail(text != NULL, NULL);
    return parse(text, TRUE, error);
}
