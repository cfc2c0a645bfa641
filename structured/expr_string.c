/* expr_string.c — Spark's string functions over regular expressions and separators: split,
 * concat_ws, regexp_extract, regexp_replace, like, rlike and ilike.
 *
 * Layer: structured/. Includes rdd/ and structured/. Spark's regular expressions are Java's
 * java.util.regex; duet runs them with GRegex (PCRE), which agrees on the syntax Spark programs
 * use. What Java decides beyond the pattern is reproduced here: String.split's treatment of
 * empty matches and trailing empty strings, Matcher.appendReplacement's `$n` group references
 * and `\` escapes, and LIKE's translation to a regex (StringUtils.escapeLikeRegex). A pattern
 * given as a literal is compiled once, at resolution, so a bad one is an analysis error; a
 * pattern from a column is compiled when it changes and a bad one fails the batch.
 */
#include "structured/internal.h"

/* ---- compiling patterns ---------------------------------------------------------------------- */

static GRegex *
compile(const char *pattern, const char *function, GError **error)
{
    GError *local = NULL;
    GRegex *regex = g_regex_new(pattern, 0, 0, &local);
    if (regex == NULL) {
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) `regexp` in `%s` "
                    "is invalid: '%s'. (%s)",
                    function, pattern, local->message);
        g_error_free(local);
    }
    return regex;
}

/* Spark's StringUtils.escapeLikeRegex: `_` is any character, `%` any sequence, the escape
 * character makes the next `_`, `%` or itself literal; the whole string must match, and `.`
 * matches newlines ((?s)). NULL with Spark's INVALID_FORMAT error for a misplaced escape. */
static char *
like_to_regex(const char *pattern, gunichar escape, GError **error)
{
    GString *regex = g_string_new("(?s)\\A(?:");
    for (const char *at = pattern; *at; at = g_utf8_next_char(at)) {
        gunichar c = g_utf8_get_char(at);
        if (c == escape) {
            const char *next = g_utf8_next_char(at);
            gunichar escaped = *next ? g_utf8_get_char(next) : 0;
            if (*next == '\0' || (escaped != '_' && escaped != '%' && escaped != escape)) {
                if (*next == '\0')
                    g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                                "[INVALID_FORMAT.ESC_AT_THE_END] The format is invalid: '%s'. "
                                "The escape character is not allowed to end with.",
                                pattern);
                else
                    g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                                "[INVALID_FORMAT.ESC_IN_THE_MIDDLE] The format is invalid: '%s'. "
                                "The escape character is not allowed to precede '%.*s'.",
                                pattern, (int)(g_utf8_next_char(next) - next), next);
                g_string_free(regex, TRUE);
                return NULL;
            }
            at = next;
            c = escaped;
        } else if (c == '_') {
            g_string_append_c(regex, '.');
            continue;
        } else if (c == '%') {
            g_string_append(regex, ".*");
            continue;
        }
        char buffer[8];
        gint length = g_unichar_to_utf8(c, buffer);
        g_autofree char *quoted = g_regex_escape_string(buffer, length);
        g_string_append(regex, quoted);
    }
    g_string_append(regex, ")\\z");
    return g_string_free(regex, FALSE);
}

static gboolean
is_like(const DuetExpr *expr)
{
    return g_str_equal(expr->name, "like") || g_str_equal(expr->name, "ilike");
}

/* The escape character of like(str, pattern[, escape]): a one-character string literal. */
static gboolean
like_escape(const DuetExpr *expr, gunichar *escape, GError **error)
{
    *escape = '\\';
    if (expr->n_children < 3)
        return TRUE;
    const DuetExpr *argument = expr->children[2];
    if (argument->kind == DUET_EXPR_LITERAL && !argument->literal.is_null &&
        argument->literal.type == DUET_TYPE_STRING &&
        g_utf8_strlen(argument->literal.v.str.data, (gssize)argument->literal.v.str.len) == 1) {
        *escape = g_utf8_get_char(argument->literal.v.str.data);
        return TRUE;
    }
    return duet_expr_input_type_error(expr, 2, "a one-character string literal", error);
}

/* The regex of a pattern text as the function uses it. (transfer full) */
static GRegex *
function_regex(const DuetExpr *expr, const char *pattern, GError **error)
{
    if (!is_like(expr))
        return compile(pattern, expr->name, error);
    gunichar escape;
    if (!like_escape(expr, &escape, error))
        return NULL;
    g_autofree char *lowered =
        g_str_equal(expr->name, "ilike") ? g_utf8_strdown(pattern, -1) : NULL;
    g_autofree char *regex = like_to_regex(lowered ? lowered : pattern, escape, error);
    return regex ? compile(regex, expr->name, error) : NULL;
}

/* The last pattern a column of patterns gave, so a constant column compiles once. */
typedef struct {
    char *pattern;
    GRegex *regex;
} RegexCache;

static GRegex *
cached_regex(RegexCache *cache, const DuetExpr *expr, const char *pattern, GError **error)
{
    if (cache->regex != NULL && g_str_equal(cache->pattern, pattern))
        return cache->regex;
    GRegex *regex = function_regex(expr, pattern, error);
    if (regex == NULL)
        return NULL;
    g_free(cache->pattern);
    if (cache->regex)
        g_regex_unref(cache->regex);
    cache->pattern = g_strdup(pattern);
    cache->regex = regex;
    return regex;
}

static void
regex_cache_clear(RegexCache *cache)
{
    g_free(cache->pattern);
    if (cache->regex)
        g_regex_unref(cache->regex);
}

static gboolean
literal_string(const DuetExpr *expr, const char **text)
{
    if (expr->kind != DUET_EXPR_LITERAL || expr->literal.is_null ||
        expr->literal.type != DUET_TYPE_STRING)
        return FALSE;
    *text = expr->literal.v.str.data;
    return TRUE;
}

/* Arguments Spark implicitly casts to string: any atomic type. */
static gboolean
string_arguments(const DuetExpr *expr, guint first, guint last, GError **error)
{
    for (guint argument = first; argument <= last && argument < expr->n_children; argument++) {
        DuetTypeId id = duet_data_type_id(expr->children[argument]->type);
        if (id > DUET_TYPE_DATE || id == DUET_TYPE_BINARY)
            return duet_expr_input_type_error(expr, argument, "\"STRING\"", error);
    }
    return TRUE;
}

/* A literal pattern is compiled now, so that a bad one fails the analysis. */
static gboolean
check_literal_pattern(const DuetExpr *expr, GError **error)
{
    const char *pattern;
    if (!literal_string(expr->children[1], &pattern))
        return TRUE;
    GRegex *regex = function_regex(expr, pattern, error);
    if (regex == NULL)
        return FALSE;
    g_regex_unref(regex);
    return TRUE;
}

/* ---- matching as java.util.regex.Matcher.find does ------------------------------------------ */

/* The next match at or after from; FALSE when there is none. After an empty match, Java
 * searches again one character further on. */
static gboolean
find(GRegex *regex, const char *text, gssize length, gint from, GMatchInfo **info)
{
    if (*info)
        g_match_info_free(*info);
    *info = NULL;
    if (from > length)
        return FALSE;
    return g_regex_match_full(regex, text, length, from, 0, info, NULL);
}

static gint
after_match(const char *text, gint start, gint end)
{
    if (end != start)
        return end;
    return text[end] ? (gint)(g_utf8_next_char(text + end) - text) : end + 1;
}

/* ---- split ----------------------------------------------------------------------------------- */

static gboolean
type_split(DuetExpr *expr, GError **error)
{
    if (expr->n_children == 2) {
        DuetValue all = duet_value_int32(-1);
        duet_expr_append_default(expr, &all);
    }
    if (!string_arguments(expr, 0, 1, error))
        return FALSE;
    DuetTypeId limit = duet_data_type_id(expr->children[2]->type);
    if (limit != DUET_TYPE_INT32 && limit != DUET_TYPE_INT64 && limit != DUET_TYPE_NULL)
        return duet_expr_input_type_error(expr, 2, "\"INT\"", error);
    if (!check_literal_pattern(expr, error))
        return FALSE;
    g_autoptr(DuetDataType) element = duet_data_type_new_scalar(DUET_TYPE_STRING);
    expr->type = duet_data_type_new_array(element, FALSE);
    expr->nullable = duet_expr_any_nullable(expr);
    return TRUE;
}

/* Spark's UTF8String.split: an empty pattern splits into characters (limit caps the count),
 * anything else is Java's String.split with limit 0 read as -1 (trailing empty strings kept). */
static void
split_row(GRegex *regex, const char *text, gboolean empty_pattern, gint64 limit,
          DuetColumnBuilder *elements)
{
    gssize length = (gssize)strlen(text);
    if (length > 0 && empty_pattern) {
        glong n_chars = g_utf8_strlen(text, length);
        glong pieces = limit > n_chars || limit <= 0 ? n_chars : (glong)limit;
        const char *at = text;
        for (glong piece = 0; piece + 1 < pieces; piece++) {
            const char *next = g_utf8_next_char(at);
            duet_column_builder_append_string(elements, at, next - at);
            at = next;
        }
        duet_column_builder_append_string(elements, at, text + length - at);
        return;
    }
    gboolean limited = limit > 0;
    gint64 count = 0;
    gint index = 0, from = 0;
    GMatchInfo *info = NULL;
    while (find(regex, text, length, from, &info)) {
        gint start, end;
        g_match_info_fetch_pos(info, 0, &start, &end);
        from = after_match(text, start, end);
        if (limited && count >= limit - 1)
            break;
        if (index == 0 && start == 0 && end == 0)
            continue; /* no empty leading string for a zero-width match at the start */
        duet_column_builder_append_string(elements, text + index, start - index);
        count++;
        index = end;
    }
    if (info)
        g_match_info_free(info);
    duet_column_builder_append_string(elements, text + index, length - index);
}

static gboolean
evaluate_split(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
               DuetColumnBuilder *out, GError **error)
{
    RegexCache cache = {NULL, NULL};
    DuetColumnBuilder *elements = duet_column_builder_child(out, 0);
    gboolean ok = TRUE;
    for (gsize row = 0; row < n_rows && ok; row++) {
        if (duet_expr_row_has_null(arguments, 3, row)) {
            duet_column_builder_append_null(out);
            continue;
        }
        g_autofree char *text = duet_expr_cell_string(arguments[0], row);
        g_autofree char *pattern = duet_expr_cell_string(arguments[1], row);
        gint64 limit = -1;
        duet_expr_cell_int(arguments[2], row, &limit);
        GRegex *regex = cached_regex(&cache, expr, pattern, error);
        if (regex == NULL) {
            ok = FALSE;
            break;
        }
        split_row(regex, text, pattern[0] == '\0', limit, elements);
        duet_column_builder_end_list(out);
    }
    regex_cache_clear(&cache);
    return ok;
}

/* ---- concat_ws ------------------------------------------------------------------------------- */

static gboolean
type_concat_ws(DuetExpr *expr, GError **error)
{
    for (guint argument = 0; argument < expr->n_children; argument++) {
        DuetDataType *type = expr->children[argument]->type;
        DuetTypeId id = duet_data_type_id(type);
        if (argument > 0 && id == DUET_TYPE_ARRAY)
            id = duet_data_type_id(duet_data_type_element(type));
        if (id > DUET_TYPE_DATE || id == DUET_TYPE_BINARY)
            return duet_expr_input_type_error(
                expr, argument, argument ? "(\"ARRAY<STRING>\" or \"STRING\")" : "\"STRING\"",
                error);
    }
    expr->type = duet_data_type_new_scalar(DUET_TYPE_STRING);
    expr->nullable = expr->children[0]->nullable;
    return TRUE;
}

/* Null separator: null. Null arguments and null array elements are skipped. */
static gboolean
evaluate_concat_ws(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
                   DuetColumnBuilder *out, GError **error)
{
    (void)error;
    GString *joined = g_string_new(NULL);
    for (gsize row = 0; row < n_rows; row++) {
        g_autofree char *separator = duet_expr_cell_string(arguments[0], row);
        if (separator == NULL) {
            duet_column_builder_append_null(out);
            continue;
        }
        g_string_truncate(joined, 0);
        gboolean first = TRUE;
        for (guint argument = 1; argument < expr->n_children; argument++) {
            DuetColumn *column = arguments[argument];
            if (duet_column_is_null(column, row))
                continue;
            gboolean list = duet_data_type_id(duet_column_type(column)) == DUET_TYPE_ARRAY;
            gsize start = row, end = row + 1;
            DuetColumn *values = column;
            if (list) {
                duet_column_list_range(column, row, &start, &end);
                values = duet_column_child(column, 0);
            }
            for (gsize index = start; index < end; index++) {
                g_autofree char *part = duet_expr_cell_string(values, index);
                if (part == NULL)
                    continue;
                if (!first)
                    g_string_append(joined, separator);
                g_string_append(joined, part);
                first = FALSE;
            }
        }
        duet_column_builder_append_string(out, joined->str, (gssize)joined->len);
    }
    g_string_free(joined, TRUE);
    return TRUE;
}

/* ---- regexp_extract -------------------------------------------------------------------------- */

static gboolean
group_index_error(gint group_count, gint64 index, GError **error)
{
    g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                "[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in "
                "`regexp_extract` is invalid: Expects group index between 0 and %d, but got "
                "%" G_GINT64_FORMAT ".",
                group_count, index);
    return FALSE;
}

static gboolean
type_regexp_extract(DuetExpr *expr, GError **error)
{
    if (expr->n_children == 2) {
        DuetValue first = duet_value_int32(1);
        duet_expr_append_default(expr, &first);
    }
    if (!string_arguments(expr, 0, 1, error))
        return FALSE;
    DuetTypeId index = duet_data_type_id(expr->children[2]->type);
    if (index != DUET_TYPE_INT32 && index != DUET_TYPE_INT64 && index != DUET_TYPE_NULL)
        return duet_expr_input_type_error(expr, 2, "\"INT\"", error);
    const char *pattern;
    if (literal_string(expr->children[1], &pattern)) {
        GRegex *regex = function_regex(expr, pattern, error);
        if (regex == NULL)
            return FALSE;
        gint groups = g_regex_get_capture_count(regex);
        g_regex_unref(regex);
        const DuetExpr *literal = expr->children[2];
        gint64 wanted = 0;
        if (literal->kind == DUET_EXPR_LITERAL && duet_value_as_int64(&literal->literal, &wanted) &&
            !literal->literal.is_null && (wanted < 0 || wanted > groups))
            return group_index_error(groups, wanted, error);
    }
    expr->type = duet_data_type_new_scalar(DUET_TYPE_STRING);
    expr->nullable = duet_expr_any_nullable(expr);
    return TRUE;
}

/* No match gives ""; so does a group that did not take part in the match. */
static gboolean
evaluate_regexp_extract(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
                        DuetColumnBuilder *out, GError **error)
{
    RegexCache cache = {NULL, NULL};
    gboolean ok = TRUE;
    for (gsize row = 0; row < n_rows; row++) {
        if (duet_expr_row_has_null(arguments, 3, row)) {
            duet_column_builder_append_null(out);
            continue;
        }
        g_autofree char *text = duet_expr_cell_string(arguments[0], row);
        g_autofree char *pattern = duet_expr_cell_string(arguments[1], row);
        gint64 index = 1;
        duet_expr_cell_int(arguments[2], row, &index);
        GRegex *regex = cached_regex(&cache, expr, pattern, error);
        if (regex == NULL || index < 0 || index > g_regex_get_capture_count(regex)) {
            if (regex != NULL)
                group_index_error(g_regex_get_capture_count(regex), index, error);
            ok = FALSE;
            break;
        }
        GMatchInfo *info = NULL;
        gint start = -1, end = -1;
        if (g_regex_match(regex, text, 0, &info))
            g_match_info_fetch_pos(info, (gint)index, &start, &end);
        g_match_info_free(info);
        if (start < 0)
            duet_column_builder_append_string(out, "", 0);
        else
            duet_column_builder_append_string(out, text + start, end - start);
    }
    regex_cache_clear(&cache);
    return ok;
}

/* ---- regexp_replace -------------------------------------------------------------------------- */

/* Appends Java's Matcher.appendReplacement expansion of replacement: `\x` is x, `$n` is group
 * n (further digits are taken while the number stays a group), `${name}` a named group.
 * FALSE with Java's message for a reference to a missing group. */
static gboolean
append_replacement(GString *out, const char *replacement, GRegex *regex, GMatchInfo *info,
                   GError **error)
{
    gint groups = g_regex_get_capture_count(regex);
    for (const char *at = replacement; *at; at++) {
        if (*at == '\\') {
            at++;
            if (*at == '\0') {
                g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                            "character to be escaped is missing");
                return FALSE;
            }
            g_string_append_c(out, *at);
            continue;
        }
        if (*at != '$') {
            g_string_append_c(out, *at);
            continue;
        }
        at++;
        gint group = -1;
        if (*at == '{') {
            const char *close = strchr(at, '}');
            g_autofree char *name = close ? g_strndup(at + 1, close - at - 1) : NULL;
            group = name ? g_regex_get_string_number(regex, name) : -1;
            if (group < 0) {
                g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED, "No group with name {%s}",
                            name ? name : "");
                return FALSE;
            }
            at = close;
        } else if (g_ascii_isdigit(*at)) {
            group = *at - '0';
            if (group > groups) {
                g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED, "No group %d", group);
                return FALSE;
            }
            while (g_ascii_isdigit(at[1]) && group * 10 + (at[1] - '0') <= groups) {
                group = group * 10 + (at[1] - '0');
                at++;
            }
        } else {
            g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_FAILED,
                        "Illegal group reference: group index is missing");
            return FALSE;
        }
        if (info == NULL)
            continue; /* validating only */
        gint start, end;
        if (g_match_info_fetch_pos(info, group, &start, &end) && start >= 0)
            g_string_append_len(out, g_match_info_get_string(info) + start, end - start);
        if (*at == '\0')
            break;
    }
    return TRUE;
}

static gboolean
type_regexp_replace(DuetExpr *expr, GError **error)
{
    if (expr->n_children == 3) {
        DuetValue first = duet_value_int32(1);
        duet_expr_append_default(expr, &first);
    }
    if (!string_arguments(expr, 0, 2, error))
        return FALSE;
    const DuetExpr *position = expr->children[3];
    gint64 value = 0;
    if (position->kind != DUET_EXPR_LITERAL || position->literal.is_null ||
        !duet_value_as_int64(&position->literal, &value) ||
        position->literal.type == DUET_TYPE_DOUBLE)
        return duet_expr_input_type_error(expr, 3, "\"INT\"", error);
    if (value <= 0) {
        g_autofree char *name = duet_expr_name(expr);
        g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                    "[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] Cannot resolve \"%s\" due to data "
                    "type mismatch: The `position` must be between 1 and 2147483647 (current "
                    "value = %" G_GINT64_FORMAT ").",
                    name, value);
        return FALSE;
    }
    const char *pattern, *replacement;
    if (literal_string(expr->children[1], &pattern)) {
        GRegex *regex = function_regex(expr, pattern, error);
        if (regex == NULL)
            return FALSE;
        gboolean valid = TRUE;
        if (literal_string(expr->children[2], &replacement)) {
            GString *ignored = g_string_new(NULL);
            valid = append_replacement(ignored, replacement, regex, NULL, error);
            g_string_free(ignored, TRUE);
        }
        g_regex_unref(regex);
        if (!valid)
            return FALSE;
    }
    expr->type = duet_data_type_new_scalar(DUET_TYPE_STRING);
    expr->nullable = duet_expr_any_nullable(expr);
    return TRUE;
}

/* Java's Matcher.replaceAll from the 1-based character position on; the text before it is
 * kept, and a position past the end leaves the string as it is. */
static gboolean
evaluate_regexp_replace(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
                        DuetColumnBuilder *out, GError **error)
{
    RegexCache cache = {NULL, NULL};
    GString *result = g_string_new(NULL);
    gint64 position = expr->children[3]->literal.type == DUET_TYPE_INT64
                          ? expr->children[3]->literal.v.i64
                          : expr->children[3]->literal.v.i32;
    gboolean ok = TRUE;
    for (gsize row = 0; row < n_rows && ok; row++) {
        if (duet_expr_row_has_null(arguments, 3, row)) {
            duet_column_builder_append_null(out);
            continue;
        }
        g_autofree char *text = duet_expr_cell_string(arguments[0], row);
        g_autofree char *pattern = duet_expr_cell_string(arguments[1], row);
        g_autofree char *replacement = duet_expr_cell_string(arguments[2], row);
        GRegex *regex = cached_regex(&cache, expr, pattern, error);
        if (regex == NULL) {
            ok = FALSE;
            break;
        }
        gssize length = (gssize)strlen(text);
        if (position - 1 > g_utf8_strlen(text, length)) {
            duet_column_builder_append_string(out, text, length);
            continue;
        }
        gint from = (gint)(g_utf8_offset_to_pointer(text, (glong)position - 1) - text);
        g_string_assign(result, "");
        g_string_append_len(result, text, from);
        gint copied = from;
        GMatchInfo *info = NULL;
        while (ok && find(regex, text, length, from, &info)) {
            gint start, end;
            g_match_info_fetch_pos(info, 0, &start, &end);
            g_string_append_len(result, text + copied, start - copied);
            ok = append_replacement(result, replacement, regex, info, error);
            copied = end;
            from = after_match(text, start, end);
        }
        if (info)
            g_match_info_free(info);
        g_string_append_len(result, text + copied, length - copied);
        if (ok)
            duet_column_builder_append_string(out, result->str, (gssize)result->len);
    }
    g_string_free(result, TRUE);
    regex_cache_clear(&cache);
    return ok;
}

/* ---- like, ilike, rlike ---------------------------------------------------------------------- */

static gboolean
type_like(DuetExpr *expr, GError **error)
{
    if (!string_arguments(expr, 0, 1, error))
        return FALSE;
    gunichar escape;
    if (!like_escape(expr, &escape, error) || !check_literal_pattern(expr, error))
        return FALSE;
    expr->type = duet_data_type_new_scalar(DUET_TYPE_BOOLEAN);
    expr->nullable = expr->children[0]->nullable || expr->children[1]->nullable;
    return TRUE;
}

/* like and ilike match the whole string; rlike finds the pattern anywhere in it. */
static gboolean
evaluate_like(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
              DuetColumnBuilder *out, GError **error)
{
    RegexCache cache = {NULL, NULL};
    gboolean lower = g_str_equal(expr->name, "ilike");
    gboolean ok = TRUE;
    for (gsize row = 0; row < n_rows; row++) {
        if (duet_expr_row_has_null(arguments, 2, row)) {
            duet_column_builder_append_null(out);
            continue;
        }
        g_autofree char *text = duet_expr_cell_string(arguments[0], row);
        g_autofree char *pattern = duet_expr_cell_string(arguments[1], row);
        GRegex *regex = cached_regex(&cache, expr, pattern, error);
        if (regex == NULL) {
            ok = FALSE;
            break;
        }
        g_autofree char *lowered = lower ? g_utf8_strdown(text, -1) : NULL;
        duet_column_builder_append_boolean(out,
                                           g_regex_match(regex, lowered ? lowered : text, 0, NULL));
    }
    regex_cache_clear(&cache);
    return ok;
}

/* ---- the table ------------------------------------------------------------------------------- */

static const DuetFunctionDef functions[] = {
    {"split", 2, 3, type_split, evaluate_split},
    {"concat_ws", 1, G_MAXUINT, type_concat_ws, evaluate_concat_ws},
    {"regexp_extract", 2, 3, type_regexp_extract, evaluate_regexp_extract},
    {"regexp_replace", 3, 4, type_regexp_replace, evaluate_regexp_replace},
    {"like", 2, 3, type_like, evaluate_like},
    {"ilike", 2, 3, type_like, evaluate_like},
    {"rlike", 2, 2, type_like, evaluate_like},
};

const DuetFunctionDef *
duet_expr_string_function(const char *name)
{
    for (gsize entry = 0; entry < G_N_ELEMENTS(functions); entry++)
        if (g_str_equal(functions[entry].name, name))
            return &functions[entry];
    return NULL;
}
