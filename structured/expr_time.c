/* expr_time.c — Spark's date-time functions and its datetime patterns, in UTC.
 *
 * Layer: structured/. Includes rdd/ and structured/. The session time zone is UTC, so a
 * timestamp (microseconds since the epoch) maps to a civil date and time by arithmetic alone
 * (days_from_civil / civil_from_days, Howard Hinnant's algorithms), with no time-zone
 * database. Patterns follow Spark 3's DateTimeFormatter subset: y, M, d, D, H, h, m, s, S, a,
 * E and 'quoted' literals ('' is a quote); parsing is case-insensitive, strict about field
 * ranges (2021-02-30 does not parse) and lenient about the length of a fraction, as Spark's
 * is. What does not parse is null (Spark's non-ANSI mode). Also here: Spark's casts of strings
 * to timestamps and dates, which the cast operator shares.
 */
#include "structured/internal.h"

#include <math.h>

#define DAY_US         G_GINT64_CONSTANT(86400000000)
#define DEFAULT_FORMAT "yyyy-MM-dd HH:mm:ss"

/* ---- civil time ------------------------------------------------------------------------------ */

static gint64
days_from_civil(gint64 year, gint month, gint day)
{
    year -= month <= 2;
    gint64 era = (year >= 0 ? year : year - 399) / 400;
    gint64 year_of_era = year - era * 400;
    gint64 day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    gint64 day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

typedef struct {
    gint64 year;
    gint month, day, hour, minute, second;
    gint micros;
    gint weekday;     /* 1 = Monday ... 7 = Sunday */
    gint day_of_year; /* 1-based */
} Civil;

static gint64
floor_div(gint64 a, gint64 b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static void
civil_from_micros(gint64 micros, Civil *civil)
{
    gint64 days = floor_div(micros, DAY_US);
    gint64 in_day = micros - days * DAY_US;
    gint64 z = days + 719468;
    gint64 era = (z >= 0 ? z : z - 146096) / 146097;
    gint64 day_of_era = z - era * 146097;
    gint64 year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    gint64 day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    gint64 mp = (5 * day_of_year + 2) / 153;
    civil->day = (gint)(day_of_year - (153 * mp + 2) / 5 + 1);
    civil->month = (gint)(mp < 10 ? mp + 3 : mp - 9);
    civil->year = year_of_era + era * 400 + (civil->month <= 2);
    civil->hour = (gint)(in_day / (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC));
    civil->minute = (gint)(in_day / (60 * G_USEC_PER_SEC) % 60);
    civil->second = (gint)(in_day / G_USEC_PER_SEC % 60);
    civil->micros = (gint)(in_day % G_USEC_PER_SEC);
    civil->weekday = (gint)((days % 7 + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
    civil->day_of_year = (gint)(days - days_from_civil(civil->year, 1, 1)) + 1;
}

static gboolean
is_leap(gint64 year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static gint
days_in_month(gint64 year, gint month)
{
    static const gint lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : lengths[month - 1];
}

/* ---- Spark's casts of strings ---------------------------------------------------------------- */

static gboolean
read_number(const char **at, gint min_digits, gint max_digits, gint64 *value)
{
    gint digits = 0;
    *value = 0;
    while (digits < max_digits && g_ascii_isdigit(**at)) {
        *value = *value * 10 + (**at - '0');
        (*at)++;
        digits++;
    }
    return digits >= min_digits;
}

/* The date part of Spark's string casts: yyyy[-[m]m[-[d]d]]; the rest is left in *at. */
static gboolean
read_date(const char **at, gint64 *days, gboolean *complete)
{
    gint64 year, month = 1, day = 1;
    if (!read_number(at, 4, 7, &year))
        return FALSE;
    *complete = FALSE;
    if (**at == '-') {
        (*at)++;
        if (!read_number(at, 1, 2, &month))
            return FALSE;
        if (**at == '-') {
            (*at)++;
            if (!read_number(at, 1, 2, &day))
                return FALSE;
            *complete = TRUE;
        }
    }
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, (gint)month))
        return FALSE;
    *days = days_from_civil(year, (gint)month, (gint)day);
    return TRUE;
}

gboolean
duet_expr_parse_date(const char *text, gint32 *days)
{
    const char *at = text;
    gint64 value;
    gboolean complete;
    if (!read_date(&at, &value, &complete))
        return FALSE;
    if (*at != '\0' && !(complete && (*at == ' ' || *at == 'T')))
        return FALSE;
    *days = (gint32)value;
    return TRUE;
}

gboolean
duet_expr_parse_timestamp(const char *text, gint64 *micros)
{
    const char *at = text;
    gint64 days, hour = 0, minute = 0, second = 0, fraction = 0;
    gboolean complete;
    if (!read_date(&at, &days, &complete))
        return FALSE;
    if (complete && (*at == ' ' || *at == 'T') && at[1] != '\0') {
        at++;
        if (!read_number(&at, 1, 2, &hour) || *at++ != ':' || !read_number(&at, 1, 2, &minute))
            return FALSE;
        if (*at == ':') {
            at++;
            if (!read_number(&at, 1, 2, &second))
                return FALSE;
            if (*at == '.') {
                gint64 scale = 100000;
                for (at++; g_ascii_isdigit(*at); at++, scale /= 10)
                    fraction += (*at - '0') * scale;
            }
        }
        if (*at == 'Z')
            at++;
    } else if (complete && (*at == ' ' || *at == 'T')) {
        at++;
    }
    if (*at != '\0' || hour > 23 || minute > 59 || second > 59)
        return FALSE;
    *micros = days * DAY_US + ((hour * 60 + minute) * 60 + second) * G_USEC_PER_SEC + fraction;
    return TRUE;
}

/* ---- datetime patterns ----------------------------------------------------------------------- */

typedef struct {
    char letter; /* 0 for literal text */
    gint count;  /* how many times the letter repeats */
    char *text;  /* literal text */
} PatternToken;

typedef struct {
    char *source;
    GArray *tokens; /* PatternToken */
} Pattern;

static void
clear_token(gpointer data)
{
    g_free(((PatternToken *)data)->text);
}

static void
pattern_free(Pattern *pattern)
{
    if (pattern == NULL)
        return;
    g_free(pattern->source);
    g_array_unref(pattern->tokens);
    g_free(pattern);
}

static gboolean
pattern_error(const char *source, const char *what, GError **error)
{
    g_set_error(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS,
                "[INCONSISTENT_BEHAVIOR_CROSS_VERSION.DATETIME_PATTERN_RECOGNITION] You may get a "
                "different result due to the upgrading to Spark >= 3.0: Fail to recognize '%s' "
                "pattern in the DateTimeFormatter. (%s)",
                source, what);
    return FALSE;
}

static Pattern *
pattern_compile(const char *source, GError **error)
{
    Pattern *pattern = g_new0(Pattern, 1);
    pattern->source = g_strdup(source);
    pattern->tokens = g_array_new(FALSE, TRUE, sizeof(PatternToken));
    g_array_set_clear_func(pattern->tokens, clear_token);
    GString *literal = g_string_new(NULL);
    const char *at = source;
    gboolean ok = TRUE;
    while (*at && ok) {
        if (*at == '\'') {
            at++;
            if (*at == '\'') { /* '' is a quote */
                g_string_append_c(literal, '\'');
                at++;
                continue;
            }
            while (*at && !(*at == '\'' && at[1] != '\'')) {
                if (*at == '\'')
                    at++;
                g_string_append_c(literal, *at++);
            }
            if (*at != '\'') {
                ok = pattern_error(source, "an unterminated quote", error);
                break;
            }
            at++;
            continue;
        }
        if (!g_ascii_isalpha(*at)) {
            if (strchr("[]{}#", *at) != NULL) {
                ok = pattern_error(source, "optional sections are not supported by duet", error);
                break;
            }
            g_string_append_c(literal, *at++);
            continue;
        }
        char letter = *at;
        gint count = 0;
        while (*at == letter) {
            at++;
            count++;
        }
        gboolean known = strchr("yMdDHhmsSaE", letter) != NULL;
        gboolean too_long = (strchr("dHhms", letter) && count > 2) ||
                            (letter == 'D' && count > 3) || (letter == 'M' && count > 5) ||
                            (letter == 'a' && count > 1) || (letter == 'E' && count > 4) ||
                            (letter == 'S' && count > 9);
        if (!known || too_long) {
            g_autofree char *what = g_strdup_printf("pattern letter '%c' x %d", letter, count);
            ok = pattern_error(source, what, error);
            break;
        }
        if (literal->len) {
            PatternToken text = {0, 0, g_strdup(literal->str)};
            g_array_append_val(pattern->tokens, text);
            g_string_truncate(literal, 0);
        }
        PatternToken field = {letter, count, NULL};
        g_array_append_val(pattern->tokens, field);
    }
    if (ok && literal->len) {
        PatternToken text = {0, 0, g_strdup(literal->str)};
        g_array_append_val(pattern->tokens, text);
    }
    g_string_free(literal, TRUE);
    if (!ok) {
        pattern_free(pattern);
        return NULL;
    }
    return pattern;
}

static const char *const month_names[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};
static const char *const day_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};

static void
append_padded(GString *out, gint64 value, gint width)
{
    if (value < 0) {
        g_string_append_c(out, '-');
        value = -value;
    }
    g_string_append_printf(out, "%0*" G_GINT64_FORMAT, width, value);
}

static void
pattern_format(const Pattern *pattern, gint64 micros, GString *out)
{
    Civil civil;
    civil_from_micros(micros, &civil);
    for (guint index = 0; index < pattern->tokens->len; index++) {
        const PatternToken *token = &g_array_index(pattern->tokens, PatternToken, index);
        gint count = token->count;
        switch (token->letter) {
        case 0:
            g_string_append(out, token->text);
            break;
        case 'y':
            if (count == 2)
                append_padded(out, ((civil.year % 100) + 100) % 100, 2);
            else
                append_padded(out, civil.year, count);
            break;
        case 'M':
            if (count <= 2)
                append_padded(out, civil.month, count);
            else if (count == 3)
                g_string_append_len(out, month_names[civil.month - 1], 3);
            else if (count == 4)
                g_string_append(out, month_names[civil.month - 1]);
            else
                g_string_append_c(out, month_names[civil.month - 1][0]);
            break;
        case 'd':
            append_padded(out, civil.day, count);
            break;
        case 'D':
            append_padded(out, civil.day_of_year, count);
            break;
        case 'H':
            append_padded(out, civil.hour, count);
            break;
        case 'h':
            append_padded(out, civil.hour % 12 == 0 ? 12 : civil.hour % 12, count);
            break;
        case 'm':
            append_padded(out, civil.minute, count);
            break;
        case 's':
            append_padded(out, civil.second, count);
            break;
        case 'S': {
            char digits[10];
            g_snprintf(digits, sizeof digits, "%06d000", civil.micros);
            g_string_append_len(out, digits, count);
            break;
        }
        case 'a':
            g_string_append(out, civil.hour < 12 ? "AM" : "PM");
            break;
        case 'E':
            if (count == 4)
                g_string_append(out, day_names[civil.weekday - 1]);
            else
                g_string_append_len(out, day_names[civil.weekday - 1], 3);
            break;
        default:
            break;
        }
    }
}

/* Matches one of names (full, or their first three letters when short) case-insensitively. */
static gint
read_name(const char **at, const char *const *names, gint n, gboolean short_names)
{
    for (gint index = 0; index < n; index++) {
        gsize length = short_names ? 3 : strlen(names[index]);
        if (g_ascii_strncasecmp(*at, names[index], length) == 0) {
            *at += length;
            return index + 1;
        }
    }
    return 0;
}

static gboolean
is_numeric_token(const PatternToken *token)
{
    return token->letter != 0 && token->letter != 'a' && token->letter != 'E' &&
           !(token->letter == 'M' && token->count >= 3);
}

/* Parses text with the pattern, which must consume all of it. */
static gboolean
pattern_parse(const Pattern *pattern, const char *text, gint64 *micros)
{
    gint64 year = 1970, month = 1, day = 1, day_of_year = 0, hour = 0, minute = 0, second = 0;
    gint64 fraction = 0;
    gint pm = -1;
    gboolean clock_hour = FALSE;
    const char *at = text;
    for (guint index = 0; index < pattern->tokens->len; index++) {
        const PatternToken *token = &g_array_index(pattern->tokens, PatternToken, index);
        gboolean adjacent =
            index + 1 < pattern->tokens->len &&
            is_numeric_token(&g_array_index(pattern->tokens, PatternToken, index + 1));
        gint count = token->count;
        /* a field of one letter takes 1-2 digits (a year any number), unless a numeric field
         * follows with no separator: then it takes exactly its count (Java's adjacent parsing) */
        gint min = count, max = adjacent ? count : count == 1 ? 2 : count;
        switch (token->letter) {
        case 0: {
            gsize length = strlen(token->text);
            if (g_ascii_strncasecmp(at, token->text, length) != 0)
                return FALSE;
            at += length;
            break;
        }
        case 'y':
            if (count == 2) {
                if (!read_number(&at, 2, 2, &year))
                    return FALSE;
                year += 2000;
            } else if (!read_number(&at, count, adjacent ? count : 10, &year)) {
                return FALSE;
            }
            break;
        case 'M':
            if (count >= 3) {
                month = read_name(&at, month_names, 12, count == 3);
                if (month == 0)
                    return FALSE;
            } else if (!read_number(&at, min, max, &month)) {
                return FALSE;
            }
            break;
        case 'd':
            if (!read_number(&at, min, max, &day))
                return FALSE;
            break;
        case 'D':
            if (!read_number(&at, min, adjacent ? count : 3, &day_of_year))
                return FALSE;
            break;
        case 'H':
        case 'h':
            if (!read_number(&at, min, max, &hour))
                return FALSE;
            clock_hour = token->letter == 'h';
            break;
        case 'm':
            if (!read_number(&at, min, max, &minute))
                return FALSE;
            break;
        case 's':
            if (!read_number(&at, min, max, &second))
                return FALSE;
            break;
        case 'S': {
            gint64 digits_value;
            const char *start = at;
            if (!read_number(&at, 1, count, &digits_value))
                return FALSE;
            gint digits = (gint)(at - start);
            fraction = digits_value;
            for (; digits < 6; digits++)
                fraction *= 10;
            for (; digits > 6; digits--)
                fraction /= 10;
            break;
        }
        case 'a':
            if (g_ascii_strncasecmp(at, "AM", 2) == 0)
                pm = 0;
            else if (g_ascii_strncasecmp(at, "PM", 2) == 0)
                pm = 1;
            else
                return FALSE;
            at += 2;
            break;
        case 'E':
            if (read_name(&at, day_names, 7, count < 4) == 0)
                return FALSE;
            break;
        default:
            return FALSE;
        }
    }
    if (*at != '\0')
        return FALSE;
    if (clock_hour) {
        if (hour < 1 || hour > 12)
            return FALSE;
        hour = hour % 12 + (pm == 1 ? 12 : 0);
    } else if (pm == 1 && hour < 12) {
        hour += 12;
    }
    gint64 days;
    if (day_of_year > 0) {
        if (day_of_year > (is_leap(year) ? 366 : 365))
            return FALSE;
        days = days_from_civil(year, 1, 1) + day_of_year - 1;
    } else {
        if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, (gint)month))
            return FALSE;
        days = days_from_civil(year, (gint)month, (gint)day);
    }
    if (hour > 23 || minute > 59 || second > 59)
        return FALSE;
    *micros = days * DAY_US + ((hour * 60 + minute) * 60 + second) * G_USEC_PER_SEC + fraction;
    return TRUE;
}

/* The pattern of the last format a column gave. */
typedef struct {
    Pattern *pattern;
} PatternCache;

static Pattern *
cached_pattern(PatternCache *cache, const char *source, GError **error)
{
    if (cache->pattern != NULL && g_str_equal(cache->pattern->source, source))
        return cache->pattern;
    Pattern *pattern = pattern_compile(source, error);
    if (pattern == NULL)
        return NULL;
    pattern_free(cache->pattern);
    cache->pattern = pattern;
    return pattern;
}

/* ---- typing ---------------------------------------------------------------------------------- */

/* A format argument: a string; a literal one is compiled now so that a bad one fails here. */
static gboolean
check_format(const DuetExpr *expr, guint argument, GError **error)
{
    if (argument >= expr->n_children)
        return TRUE;
    const DuetExpr *format = expr->children[argument];
    DuetTypeId id = duet_data_type_id(format->type);
    if (id != DUET_TYPE_STRING && id != DUET_TYPE_NULL)
        return duet_expr_input_type_error(expr, argument, "\"STRING\"", error);
    if (format->kind == DUET_EXPR_LITERAL && !format->literal.is_null) {
        g_autofree char *source = g_strndup(format->literal.v.str.data, format->literal.v.str.len);
        Pattern *pattern = pattern_compile(source, error);
        if (pattern == NULL)
            return FALSE;
        pattern_free(pattern);
    }
    return TRUE;
}

/* A time argument: timestamp, date or string (and numbers where Spark takes seconds). */
static gboolean
check_time(const DuetExpr *expr, guint argument, gboolean numbers, GError **error)
{
    DuetTypeId id = duet_expr_argument_type(expr, argument);
    if (id == DUET_TYPE_TIMESTAMP || id == DUET_TYPE_DATE || id == DUET_TYPE_STRING ||
        id == DUET_TYPE_NULL ||
        (numbers && (id == DUET_TYPE_INT32 || id == DUET_TYPE_INT64 || id == DUET_TYPE_DOUBLE)))
        return TRUE;
    return duet_expr_input_type_error(expr, argument, "(\"TIMESTAMP\" or \"DATE\" or \"STRING\")",
                                      error);
}

static void
append_default_format(DuetExpr *expr)
{
    DuetValue format = duet_value_string(DEFAULT_FORMAT, strlen(DEFAULT_FORMAT));
    duet_expr_append_default(expr, &format);
}

/* to_timestamp(x[, fmt]), to_date(x[, fmt]): a string that does not parse is null. */
static gboolean
type_parse(DuetExpr *expr, GError **error)
{
    gboolean to_date = g_str_equal(expr->name, "to_date");
    if (!check_time(expr, 0, !to_date, error) || !check_format(expr, 1, error))
        return FALSE;
    return duet_expr_set_type(expr, to_date ? DUET_TYPE_DATE : DUET_TYPE_TIMESTAMP, TRUE);
}

/* unix_timestamp() is unix_timestamp(current_timestamp(), 'yyyy-MM-dd HH:mm:ss'), and the
 * format defaults too: Spark's names show both. */
static gboolean
type_unix_timestamp(DuetExpr *expr, GError **error)
{
    if (expr->n_children == 0) {
        DuetExpr *now = duet_expr_function("current_timestamp", NULL, 0);
        if (!duet_expr_type_function(now, error)) {
            duet_expr_unref(now);
            return FALSE;
        }
        expr->children = g_renew(DuetExpr *, expr->children, 1);
        expr->children[0] = now;
        expr->n_children = 1;
    }
    if (expr->n_children == 1)
        append_default_format(expr);
    if (!check_time(expr, 0, FALSE, error) || !check_format(expr, 1, error))
        return FALSE;
    return duet_expr_set_type(expr, DUET_TYPE_INT64, TRUE);
}

static gboolean
type_from_unixtime(DuetExpr *expr, GError **error)
{
    if (expr->n_children == 1)
        append_default_format(expr);
    DuetTypeId id = duet_expr_argument_type(expr, 0);
    if (id != DUET_TYPE_INT32 && id != DUET_TYPE_INT64 && id != DUET_TYPE_DOUBLE &&
        id != DUET_TYPE_STRING && id != DUET_TYPE_NULL)
        return duet_expr_input_type_error(expr, 0, "\"BIGINT\"", error);
    if (!check_format(expr, 1, error))
        return FALSE;
    return duet_expr_set_type(expr, DUET_TYPE_STRING, duet_expr_any_nullable(expr));
}

static gboolean
type_date_format(DuetExpr *expr, GError **error)
{
    if (!check_time(expr, 0, FALSE, error) || !check_format(expr, 1, error))
        return FALSE;
    return duet_expr_set_type(expr, DUET_TYPE_STRING, TRUE);
}

/* year, month, dayofmonth, hour, minute, second: int. */
static gboolean
type_field(DuetExpr *expr, GError **error)
{
    if (!check_time(expr, 0, FALSE, error))
        return FALSE;
    return duet_expr_set_type(expr, DUET_TYPE_INT32,
                              duet_expr_any_nullable(expr) ||
                                  duet_expr_argument_type(expr, 0) == DUET_TYPE_STRING);
}

/* ---- evaluation ------------------------------------------------------------------------------ */

/* Argument 0 as microseconds: timestamps as they are, dates at midnight, strings with the
 * pattern (or Spark's cast when there is none), numbers as seconds. */
static gboolean
cell_micros(const DuetColumn *column, gsize row, const Pattern *pattern, gint64 *micros)
{
    DuetValue value;
    duet_column_get_value(column, row, &value);
    if (value.is_null)
        return FALSE;
    switch (value.type) {
    case DUET_TYPE_TIMESTAMP:
        *micros = value.v.i64;
        return TRUE;
    case DUET_TYPE_DATE:
        *micros = value.v.i32 * DAY_US;
        return TRUE;
    case DUET_TYPE_STRING: {
        g_autofree char *text = g_strndup(value.v.str.data, value.v.str.len);
        if (pattern != NULL)
            return pattern_parse(pattern, text, micros);
        return duet_expr_parse_timestamp(g_strstrip(text), micros);
    }
    default: {
        gdouble seconds;
        if (!duet_expr_cell_double(column, row, &seconds) || !isfinite(seconds))
            return FALSE;
        *micros = (gint64)llround(seconds * 1e6);
        return TRUE;
    }
    }
}

/* The row's pattern from argument `argument` (NULL when there is no such argument). FALSE for
 * a null format (the row is null) or, with error set, a bad one. */
static gboolean
row_pattern(const DuetExpr *expr, DuetColumn *const *arguments, guint argument, gsize row,
            PatternCache *cache, Pattern **pattern, GError **error)
{
    *pattern = NULL;
    if (argument >= expr->n_children)
        return TRUE;
    g_autofree char *source = duet_expr_cell_string(arguments[argument], row);
    if (source == NULL)
        return FALSE;
    *pattern = cached_pattern(cache, source, error);
    return *pattern != NULL;
}

static gboolean
evaluate_time(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
              DuetColumnBuilder *out, GError **error)
{
    const char *name = expr->name;
    gboolean to_string = g_str_equal(name, "date_format") || g_str_equal(name, "from_unixtime");
    PatternCache cache = {NULL};
    GString *text = g_string_new(NULL);
    gboolean ok = TRUE;
    for (gsize row = 0; row < n_rows; row++) {
        Pattern *pattern;
        gint64 micros = 0;
        GError *local = NULL;
        gboolean valid = row_pattern(expr, arguments, 1, row, &cache, &pattern, &local);
        if (local != NULL) {
            g_propagate_error(error, local);
            ok = FALSE;
            break;
        }
        if (valid && g_str_equal(name, "from_unixtime")) {
            gint64 seconds;
            valid = duet_expr_cell_int(arguments[0], row, &seconds);
            micros = (gint64)((guint64)seconds * G_USEC_PER_SEC);
        } else if (valid) {
            /* only strings read the pattern: date_format's is for output */
            valid = cell_micros(arguments[0], row, to_string ? NULL : pattern, &micros);
        }
        if (!valid) {
            duet_column_builder_append_null(out);
            continue;
        }
        if (to_string) {
            g_string_truncate(text, 0);
            pattern_format(pattern, micros, text);
            duet_column_builder_append_string(out, text->str, (gssize)text->len);
        } else if (g_str_equal(name, "to_timestamp")) {
            duet_column_builder_append_int64(out, micros);
        } else if (g_str_equal(name, "to_date")) {
            duet_column_builder_append_int32(out, (gint32)floor_div(micros, DAY_US));
        } else { /* unix_timestamp */
            duet_column_builder_append_int64(out, floor_div(micros, G_USEC_PER_SEC));
        }
    }
    g_string_free(text, TRUE);
    pattern_free(cache.pattern);
    return ok;
}

/* Fields of a timestamp, a date or a string (cast as Spark casts it). */
static gboolean
evaluate_field(const DuetExpr *expr, DuetColumn *const *arguments, gsize n_rows,
               DuetColumnBuilder *out, GError **error)
{
    (void)error;
    const char *name = expr->name;
    gboolean date_field = g_str_equal(name, "year") || g_str_equal(name, "month") ||
                          g_str_equal(name, "dayofmonth") || g_str_equal(name, "day");
    for (gsize row = 0; row < n_rows; row++) {
        gint64 micros;
        DuetValue value;
        duet_column_get_value(arguments[0], row, &value);
        gboolean valid;
        if (!value.is_null && value.type == DUET_TYPE_STRING && date_field) {
            g_autofree char *text = g_strstrip(g_strndup(value.v.str.data, value.v.str.len));
            gint32 days;
            valid = duet_expr_parse_date(text, &days);
            micros = days * DAY_US;
        } else {
            valid = cell_micros(arguments[0], row, NULL, &micros);
        }
        if (!valid) {
            duet_column_builder_append_null(out);
            continue;
        }
        Civil civil;
        civil_from_micros(micros, &civil);
        gint64 result = g_str_equal(name, "year")     ? civil.year
                        : g_str_equal(name, "month")  ? civil.month
                        : g_str_equal(name, "hour")   ? civil.hour
                        : g_str_equal(name, "minute") ? civil.minute
                        : g_str_equal(name, "second") ? civil.second
                                                      : civil.day;
        duet_column_builder_append_int32(out, (gint32)result);
    }
    return TRUE;
}

/* ---- the table ------------------------------------------------------------------------------- */

static const DuetFunctionDef functions[] = {
    {"to_timestamp", 1, 2, type_parse, evaluate_time},
    {"to_date", 1, 2, type_parse, evaluate_time},
    {"unix_timestamp", 0, 2, type_unix_timestamp, evaluate_time},
    {"from_unixtime", 1, 2, type_from_unixtime, evaluate_time},
    {"date_format", 2, 2, type_date_format, evaluate_time},
    {"year", 1, 1, type_field, evaluate_field},
    {"month", 1, 1, type_field, evaluate_field},
    {"dayofmonth", 1, 1, type_field, evaluate_field},
    {"day", 1, 1, type_field, evaluate_field},
    {"hour", 1, 1, type_field, evaluate_field},
    {"minute", 1, 1, type_field, evaluate_field},
    {"second", 1, 1, type_field, evaluate_field},
};

const DuetFunctionDef *
duet_expr_time_function(const char *name)
{
    for (gsize entry = 0; entry < G_N_ELEMENTS(functions); entry++)
        if (g_str_equal(functions[entry].name, name))
            return &functions[entry];
    return NULL;
}
