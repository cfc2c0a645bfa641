/* test_expr_functions.c — tests of the built-in scalar functions (structured/expr_function.c,
 * expr_string.c, expr_time.c) and of CASE WHEN, IN, LIKE and BETWEEN: each case is an
 * expression string parsed, resolved and evaluated over one batch, checked for Spark's column
 * name, Spark's result type and the exact values (nulls, empty strings, unicode). Error cases
 * check Spark's analysis messages. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "structured/expr.h"
#include "structured/sql_parser.h"

static const char *DDL = "a INT, b BIGINT, d DOUBLE, s STRING, t TIMESTAMP, words ARRAY<STRING>, "
                         "ts STRING";
/* t: 2023-11-14 22:13:20.123456, 1969-12-31 23:59:59, null, 2024-02-29 00:00:00 */
static const char *ROWS =
    "[[1, 10, 2.675, \"a b  c \", 1700000000123456, [\"x\", null, \"y\"], \"2021-03-04 05:06:07\"],"
    " [2, null, -2.5, \"\", -1000000, [], \"2021-3-4 5:6:7\"],"
    " [null, 30, null, null, null, null, null],"
    " [7, 4, 0.5, \"héllo wörld\", 1709164800000000, [\"héllo\"], \"garbage\"]]";

typedef struct {
    const char *sql;
    const char *name;   /* Spark's column name */
    const char *type;   /* Spark's simpleString of the result type */
    const char *values; /* the evaluated column, rendered as Scala prints it */
} Case;

static void
run_cases(const Case *cases, gsize n)
{
    g_autoptr(DuetBatch) batch = duet_test_batch(DDL, ROWS);
    for (gsize index = 0; index < n; index++) {
        const Case *one = &cases[index];
        GError *error = NULL;
        g_autoptr(DuetExpr) expr = duet_sql_parse_expression(one->sql, &error);
        if (error != NULL)
            g_printerr("\n  %s: %s\n", one->sql, error->message);
        ASSERT_NO_ERROR(error);
        if (expr == NULL)
            continue;
        g_autoptr(DuetExpr) resolved = duet_expr_resolve(expr, duet_batch_schema(batch), &error);
        if (error != NULL)
            g_printerr("\n  %s: %s\n", one->sql, error->message);
        ASSERT_NO_ERROR(error);
        if (resolved == NULL)
            continue;
        g_autofree char *name = duet_expr_name(resolved);
        g_autofree char *type = duet_data_type_to_string(duet_expr_type(resolved));
        g_autoptr(DuetColumn) column = duet_expr_evaluate(resolved, batch, &error);
        if (error != NULL)
            g_printerr("\n  %s: %s\n", one->sql, error->message);
        ASSERT_NO_ERROR(error);
        if (column == NULL)
            continue;
        g_autoptr(DuetSchema) schema = duet_schema_new();
        duet_schema_add_field(schema, "x", duet_expr_type(resolved), TRUE);
        DuetColumn *columns[] = {column};
        g_autoptr(DuetBatch) result = duet_batch_new(schema, columns, &error);
        ASSERT_NO_ERROR(error);
        g_autofree char *values = duet_test_render(result);
        if (!g_str_equal(name, one->name) || !g_str_equal(type, one->type) ||
            !g_str_equal(values, one->values))
            g_printerr("\n  %s: got name \"%s\", type %s, values %s\n", one->sql, name, type,
                       values);
        ASSERT_STR_EQ(name, one->name);
        ASSERT_STR_EQ(type, one->type);
        ASSERT_STR_EQ(values, one->values);
    }
}

typedef struct {
    const char *sql;
    const char *error; /* expected message prefix (resolution or evaluation) */
} ErrorCase;

static void
run_errors(const ErrorCase *cases, gsize n)
{
    g_autoptr(DuetBatch) batch = duet_test_batch(DDL, ROWS);
    for (gsize index = 0; index < n; index++) {
        GError *error = NULL;
        g_autoptr(DuetExpr) expr = duet_sql_parse_expression(cases[index].sql, &error);
        ASSERT_NO_ERROR(error);
        if (expr == NULL)
            continue;
        g_autoptr(DuetExpr) resolved = duet_expr_resolve(expr, duet_batch_schema(batch), &error);
        if (resolved != NULL) {
            g_autoptr(DuetColumn) column = duet_expr_evaluate(resolved, batch, &error);
            CU_ASSERT_PTR_NULL(column);
        }
        if (error == NULL) {
            g_printerr("\n  %s: no error\n", cases[index].sql);
            CU_FAIL("expected an error");
            continue;
        }
        if (!g_str_has_prefix(error->message, cases[index].error))
            g_printerr("\n  %s: got \"%s\"\n", cases[index].sql, error->message);
        CU_ASSERT_TRUE(g_str_has_prefix(error->message, cases[index].error));
        g_clear_error(&error);
    }
}

static void
test_split_and_concat_ws(void)
{
    static const Case cases[] = {
        /* limit -1 keeps trailing empty strings; the default limit shows in the name */
        {"split(s, ' ')", "split(s,  , -1)", "array<string>",
         "[CompactBuffer(a, b, , c, ), CompactBuffer(), null, CompactBuffer(héllo, wörld)]"},
        {"split(s, ' +', 2)", "split(s,  +, 2)", "array<string>",
         "[CompactBuffer(a, b  c ), CompactBuffer(), null, CompactBuffer(héllo, wörld)]"},
        /* an empty pattern splits into characters; a zero-width match never leads */
        {"split('héllo', '')", "split(héllo, , -1)", "array<string>",
         "[CompactBuffer(h, é, l, l, o), CompactBuffer(h, é, l, l, o), CompactBuffer(h, é, l, l, "
         "o), CompactBuffer(h, é, l, l, o)]"},
        {"split(',a,,b,', ',')", "split(,a,,b,, ,, -1)", "array<string>",
         "[CompactBuffer(, a, , b, ), CompactBuffer(, a, , b, ), CompactBuffer(, a, , b, ), "
         "CompactBuffer(, a, , b, )]"},
        {"split(a, '')", "split(a, , -1)", "array<string>",
         "[CompactBuffer(1), CompactBuffer(2), null, CompactBuffer(7)]"},
        {"concat_ws('-', s, NULL, 'z')", "concat_ws(-, s, NULL, z)", "string",
         "[a b  c -z, -z, z, héllo wörld-z]"},
        {"concat_ws(',', words)", "concat_ws(,, words)", "string", "[x,y, , , héllo]"},
        {"concat_ws(NULL, s)", "concat_ws(NULL, s)", "string", "[null, null, null, null]"},
        {"concat_ws('|', a, words, b)", "concat_ws(|, a, words, b)", "string",
         "[1|x|y|10, 2, 30, 7|héllo|4]"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_regexp(void)
{
    static const Case cases[] = {
        {"regexp_extract(ts, '(\\\\d+)-(\\\\d+)', 2)", "regexp_extract(ts, (\\d+)-(\\d+), 2)",
         "string", "[03, 3, null, ]"},
        {"regexp_extract(s, 'w(ö)?r', 1)", "regexp_extract(s, w(ö)?r, 1)", "string",
         "[, , null, ö]"},
        {"regexp_extract(s, '([a-z]+)')", "regexp_extract(s, ([a-z]+), 1)", "string",
         "[a, , null, h]"},
        {"regexp_extract(s, '(b)|(h)', 2)", "regexp_extract(s, (b)|(h), 2)", "string",
         "[, , null, h]"},
        {"regexp_replace(s, ' +', '_')", "regexp_replace(s,  +, _, 1)", "string",
         "[a_b_c_, , null, héllo_wörld]"},
        {"regexp_replace(s, '(\\\\w+) (\\\\w+)', '$2 $1')",
         "regexp_replace(s, (\\w+) (\\w+), $2 $1, 1)", "string", "[b a  c , , null, wörld héllo]"},
        {"regexp_replace('abc', 'x*', '-')", "regexp_replace(abc, x*, -, 1)", "string",
         "[-a-b-c-, -a-b-c-, -a-b-c-, -a-b-c-]"},
        {"regexp_replace('a.b', '\\\\.', '\\\\$')", "regexp_replace(a.b, \\., \\$, 1)", "string",
         "[a$b, a$b, a$b, a$b]"},
        {"regexp_replace('aaa', 'a', 'b', 2)", "regexp_replace(aaa, a, b, 2)", "string",
         "[abb, abb, abb, abb]"},
        {"s RLIKE '^h.*d$'", "s RLIKE ^h.*d$", "boolean", "[false, false, null, true]"},
        {"rlike(s, 'b')", "s RLIKE b", "boolean", "[true, false, null, false]"},
        {"s regexp 'l+'", "s RLIKE l+", "boolean", "[false, false, null, true]"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_like(void)
{
    static const Case cases[] = {
        {"s LIKE 'a%'", "s LIKE a%", "boolean", "[true, false, null, false]"},
        {"s like 'h_llo%'", "s LIKE h_llo%", "boolean", "[false, false, null, true]"},
        {"s NOT LIKE '%o%'", "(NOT s LIKE %o%)", "boolean", "[true, true, null, false]"},
        {"s LIKE ''", "s LIKE ", "boolean", "[false, true, null, false]"},
        {"'50%' LIKE '50\\\\%'", "50% LIKE 50\\%", "boolean", "[true, true, true, true]"},
        {"'5x' LIKE '5\\\\%'", "5x LIKE 5\\%", "boolean", "[false, false, false, false]"},
        {"'a.c' LIKE 'a.c'", "a.c LIKE a.c", "boolean", "[true, true, true, true]"},
        {"'abc' LIKE 'a.c'", "abc LIKE a.c", "boolean", "[false, false, false, false]"},
        {"'a_c' LIKE 'a/_c' ESCAPE '/'", "a_c LIKE a/_c ESCAPE '/'", "boolean",
         "[true, true, true, true]"},
        {"like(s, '%c ')", "s LIKE %c ", "boolean", "[true, false, null, false]"},
        {"s ILIKE 'HÉ%'", "ilike(s, HÉ%)", "boolean", "[false, false, null, true]"},
        {"NOT s LIKE 'a%'", "(NOT s LIKE a%)", "boolean", "[false, true, null, true]"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_case_in_between(void)
{
    static const Case cases[] = {
        {"CASE WHEN a > 1 THEN 'big' WHEN a = 1 THEN 'one' ELSE 'none' END",
         "CASE WHEN (a > 1) THEN big WHEN (a = 1) THEN one ELSE none END", "string",
         "[one, big, none, big]"},
        {"case when a > 1 then b end", "CASE WHEN (a > 1) THEN b END", "bigint",
         "[null, null, null, 4]"},
        /* int and bigint branches give bigint; a double gives double; null fits anything */
        {"CASE WHEN a = 1 THEN a ELSE b END", "CASE WHEN (a = 1) THEN a ELSE b END", "bigint",
         "[1, null, 30, 4]"},
        {"CASE WHEN a = 1 THEN a WHEN a = 2 THEN d ELSE NULL END",
         "CASE WHEN (a = 1) THEN a WHEN (a = 2) THEN d ELSE NULL END", "double",
         "[1.0, -2.5, null, null]"},
        {"CASE WHEN a = 1 THEN 1 ELSE 'x' END", "CASE WHEN (a = 1) THEN 1 ELSE x END", "string",
         "[1, x, x, x]"},
        {"CASE a WHEN 1 THEN 'one' WHEN 7 THEN 'seven' END",
         "CASE WHEN (a = 1) THEN one WHEN (a = 7) THEN seven END", "string",
         "[one, null, null, seven]"},
        {"a IN (1, 7)", "(a IN (1, 7))", "boolean", "[true, false, null, true]"},
        {"a IN (1, NULL)", "(a IN (1, NULL))", "boolean", "[true, null, null, null]"},
        {"a NOT IN (1, 2)", "(NOT (a IN (1, 2)))", "boolean", "[false, false, null, true]"},
        {"b IN (a, 30L)", "(b IN (a, 30))", "boolean", "[false, null, true, false]"},
        {"s IN ('', 'x')", "(s IN (, x))", "boolean", "[false, true, null, false]"},
        {"a BETWEEN 2 AND 7", "((a >= 2) AND (a <= 7))", "boolean", "[false, true, null, true]"},
        {"a NOT BETWEEN 2 AND 7 OR a IS NULL", "((NOT ((a >= 2) AND (a <= 7))) OR (a IS NULL))",
         "boolean", "[true, false, true, false]"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_time(void)
{
    static const Case cases[] = {
        /* Spark's cast reads one-digit fields too */
        {"to_timestamp(ts)", "to_timestamp(ts)", "timestamp",
         "[2021-03-04 05:06:07.0, 2021-03-04 05:06:07.0, null, null]"},
        {"to_timestamp(ts, 'yyyy-M-d H:m:s')", "to_timestamp(ts, yyyy-M-d H:m:s)", "timestamp",
         "[2021-03-04 05:06:07.0, 2021-03-04 05:06:07.0, null, null]"},
        {"to_timestamp('04/03/2021 05:06 PM', 'dd/MM/yyyy hh:mm a')",
         "to_timestamp(04/03/2021 05:06 PM, dd/MM/yyyy hh:mm a)", "timestamp",
         "[2021-03-04 17:06:00.0, 2021-03-04 17:06:00.0, 2021-03-04 17:06:00.0, "
         "2021-03-04 17:06:00.0]"},
        {"to_timestamp('2021-02-29', 'yyyy-MM-dd')", "to_timestamp(2021-02-29, yyyy-MM-dd)",
         "timestamp", "[null, null, null, null]"},
        {"to_timestamp('2021-01-02 03:04:05.12', 'yyyy-MM-dd HH:mm:ss.SSS')",
         "to_timestamp(2021-01-02 03:04:05.12, yyyy-MM-dd HH:mm:ss.SSS)", "timestamp",
         "[2021-01-02 03:04:05.12, 2021-01-02 03:04:05.12, 2021-01-02 03:04:05.12, "
         "2021-01-02 03:04:05.12]"},
        {"unix_timestamp(t)", "unix_timestamp(t, yyyy-MM-dd HH:mm:ss)", "bigint",
         "[1700000000, -1, null, 1709164800]"},
        {"unix_timestamp(ts)", "unix_timestamp(ts, yyyy-MM-dd HH:mm:ss)", "bigint",
         "[1614834367, null, null, null]"},
        {"unix_timestamp(\"20210304\", 'yyyyMMdd')", "unix_timestamp(20210304, yyyyMMdd)", "bigint",
         "[1614816000, 1614816000, 1614816000, 1614816000]"},
        {"from_unixtime(b)", "from_unixtime(b, yyyy-MM-dd HH:mm:ss)", "string",
         "[1970-01-01 00:00:10, null, 1970-01-01 00:00:30, 1970-01-01 00:00:04]"},
        {"from_unixtime(1700000000, 'EEE, d MMM yyyy')",
         "from_unixtime(1700000000, EEE, d MMM yyyy)", "string",
         "[Tue, 14 Nov 2023, Tue, 14 Nov 2023, Tue, 14 Nov 2023, Tue, 14 Nov 2023]"},
        {"date_format(t, \"yyyy-MM-dd'T'HH:mm:ss.SSS\")",
         "date_format(t, yyyy-MM-dd'T'HH:mm:ss.SSS)", "string",
         "[2023-11-14T22:13:20.123, 1969-12-31T23:59:59.000, null, 2024-02-29T00:00:00.000]"},
        {"date_format(t, 'EEEE MMMM d h a yy')", "date_format(t, EEEE MMMM d h a yy)", "string",
         "[Tuesday November 14 10 PM 23, Wednesday December 31 11 PM 69, null, "
         "Thursday February 29 12 AM 24]"},
        {"to_date(ts)", "to_date(ts)", "date", "[2021-03-04, 2021-03-04, null, null]"},
        {"to_date(t)", "to_date(t)", "date", "[2023-11-14, 1969-12-31, null, 2024-02-29]"},
        {"to_date('03.2021', 'MM.yyyy')", "to_date(03.2021, MM.yyyy)", "date",
         "[2021-03-01, 2021-03-01, 2021-03-01, 2021-03-01]"},
        {"CAST(ts AS DATE)", "CAST(ts AS DATE)", "date", "[2021-03-04, 2021-03-04, null, null]"},
        {"CAST(CAST(t AS DATE) AS TIMESTAMP)", "CAST(CAST(t AS DATE) AS TIMESTAMP)", "timestamp",
         "[2023-11-14 00:00:00.0, 1969-12-31 00:00:00.0, null, 2024-02-29 00:00:00.0]"},
        {"year(t)", "year(t)", "int", "[2023, 1969, null, 2024]"},
        {"month(t)", "month(t)", "int", "[11, 12, null, 2]"},
        {"dayofmonth(t)", "dayofmonth(t)", "int", "[14, 31, null, 29]"},
        {"hour(t)", "hour(t)", "int", "[22, 23, null, 0]"},
        {"minute(t)", "minute(t)", "int", "[13, 59, null, 0]"},
        {"second(t)", "second(t)", "int", "[20, 59, null, 0]"},
        {"year(ts)", "year(ts)", "int", "[2021, 2021, null, null]"},
        {"hour(ts)", "hour(ts)", "int", "[5, 5, null, null]"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_collections_and_math(void)
{
    static const Case cases[] = {
        {"size(words)", "size(words)", "int", "[3, 0, -1, 1]"},
        {"array_contains(words, 'y')", "array_contains(words, y)", "boolean",
         "[true, false, null, false]"},
        {"array_contains(words, 'z')", "array_contains(words, z)", "boolean",
         "[null, false, null, false]"},
        {"element_at(words, 1)", "element_at(words, 1)", "string", "[x, null, null, héllo]"},
        {"element_at(words, -1)", "element_at(words, -1)", "string", "[y, null, null, héllo]"},
        {"element_at(split(s, ' '), 2)", "element_at(split(s,  , -1), 2)", "string",
         "[b, null, null, wörld]"},
        {"greatest(a, b, 5)", "greatest(a, b, 5)", "bigint", "[10, 5, 30, 7]"},
        {"least(a, d)", "least(a, d)", "double", "[1.0, -2.5, null, 0.5]"},
        {"round(d, 2)", "round(d, 2)", "double", "[2.68, -2.5, null, 0.5]"},
        {"round(d)", "round(d, 0)", "double", "[3.0, -3.0, null, 1.0]"},
        {"round(b, -1)", "round(b, -1)", "bigint", "[10, null, 30, 0]"},
        {"round(25, -1)", "round(25, -1)", "int", "[30, 30, 30, 30]"},
        {"floor(d)", "FLOOR(d)", "bigint", "[2, -3, null, 0]"},
        {"ceil(d)", "CEIL(d)", "bigint", "[3, -2, null, 1]"},
        {"floor(a)", "FLOOR(a)", "bigint", "[1, 2, null, 7]"},
        {"sqrt(a)", "SQRT(a)", "double", "[1.0, 1.4142135623730951, null, 2.6457513110645907]"},
        {"sqrt(d)", "SQRT(d)", "double", "[1.6355427233796125, NaN, null, 0.7071067811865476]"},
        {"pow(a, 2)", "POWER(a, 2)", "double", "[1.0, 4.0, null, 49.0]"},
        {"isnan(sqrt(d))", "isnan(SQRT(d))", "boolean", "[false, true, false, false]"},
        {"nvl(b, a)", "nvl(b, a)", "bigint", "[10, 2, 30, 4]"},
        {"ifnull(s, 'none')", "ifnull(s, none)", "string", "[a b  c , , none, héllo wörld]"},
        {"coalesce(d, a)", "coalesce(d, a)", "double", "[2.675, -2.5, null, 0.5]"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

/* Null literals (Spark's NullType) in every position. */
static void
test_null_literals(void)
{
    static const Case cases[] = {
        {"CASE WHEN NULL THEN 1 END", "CASE WHEN NULL THEN 1 END", "int",
         "[null, null, null, null]"},
        {"CASE WHEN a = 2 THEN NULL ELSE s END", "CASE WHEN (a = 2) THEN NULL ELSE s END", "string",
         "[a b  c , null, null, héllo wörld]"},
        {"NULL IN (1, 2)", "(NULL IN (1, 2))", "boolean", "[null, null, null, null]"},
        {"split(NULL, ',')", "split(NULL, ,, -1)", "array<string>", "[null, null, null, null]"},
        {"concat_ws(',')", "concat_ws(,)", "string", "[, , , ]"},
        {"greatest(NULL, NULL)", "greatest(NULL, NULL)", "void", "[null, null, null, null]"},
        {"round(NULL, 1)", "round(NULL, 1)", "double", "[null, null, null, null]"},
        {"size(NULL)", "size(NULL)", "int", "[-1, -1, -1, -1]"},
        {"to_timestamp(NULL)", "to_timestamp(NULL)", "timestamp", "[null, null, null, null]"},
        {"date_format(t, NULL)", "date_format(t, NULL)", "string", "[null, null, null, null]"},
        {"s RLIKE NULL", "s RLIKE NULL", "boolean", "[null, null, null, null]"},
        {"regexp_replace(s, 'l', NULL)", "regexp_replace(s, l, NULL, 1)", "string",
         "[null, null, null, null]"},
        {"nvl(NULL, 1)", "nvl(NULL, 1)", "int", "[1, 1, 1, 1]"},
        {"unix_timestamp() > 0", "(unix_timestamp(current_timestamp(), yyyy-MM-dd HH:mm:ss) > 0)",
         "boolean", "[true, true, true, true]"},
    };
    run_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_errors(void)
{
    static const ErrorCase cases[] = {
        {"split(s, '(')", "[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) `regexp` "
                          "in `split` is invalid: '('."},
        {"s RLIKE '[a'", "[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) `regexp` "
                         "in `rlike` is invalid: '[a'."},
        {"regexp_extract(s, 'a(b)', 2)",
         "[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in "
         "`regexp_extract` is invalid: Expects group index between 0 and 1, but got 2."},
        {"regexp_extract(s, '[a-z]+')", "[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value "
                                        "of parameter(s) `idx` in `regexp_extract` is invalid: "
                                        "Expects group index between 0 and 0, but got 1."},
        {"regexp_replace(s, 'a', '$1')", "No group 1"},
        {"s LIKE 'a\\\\'", "[INVALID_FORMAT.ESC_AT_THE_END] The format is invalid: 'a\\'."},
        {"s LIKE 'a\\\\b'", "[INVALID_FORMAT.ESC_IN_THE_MIDDLE] The format is invalid: 'a\\b'. "
                            "The escape character is not allowed to precede 'b'."},
        {"size(a)", "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"size(a)\" due to "
                    "data type mismatch: Parameter 1 requires the (\"ARRAY\" or \"MAP\") type, "
                    "however \"a\" has the type \"INT\"."},
        {"array_contains(s, 'a')", "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "
                                   "\"array_contains(s, a)\" due to data type mismatch: "
                                   "Parameter 1 requires the \"ARRAY\" type"},
        {"CASE WHEN a THEN 1 END", "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "
                                   "\"CASE WHEN a THEN 1 END\" due to data type mismatch: "
                                   "Parameter 1 requires the \"BOOLEAN\" type, however \"a\" "
                                   "has the type \"INT\"."},
        {"CASE WHEN a = 1 THEN 1 ELSE true END",
         "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"CASE WHEN (a = 1) THEN 1 ELSE "
         "true END\" due to data type mismatch: Input to `casewhen` should all be the same type, "
         "but it's [\"INT\", \"BOOLEAN\"]."},
        {"CASE WHEN a = 1 THEN words ELSE array_contains(words, 'x') END",
         "[DATATYPE_MISMATCH.DATA_DIFF_TYPES]"},
        {"a IN (words)", "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"(a IN (words))\""},
        {"greatest(a, s)", "[DATATYPE_MISMATCH.DATA_DIFF_TYPES] Cannot resolve \"greatest(a, "
                           "s)\" due to data type mismatch: Input to `greatest` should all be "
                           "the same type, but it's [\"INT\", \"STRING\"]."},
        {"greatest(a)", "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `greatest` requires > 1 "
                        "parameters but the actual number is 1."},
        {"split(s)", "[WRONG_NUM_ARGS.WITHOUT_SUGGESTION] The `split` requires [2, 3] "
                     "parameters but the actual number is 1."},
        {"sqrt(t)", "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"SQRT(t)\""},
        {"round(d, a)", "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"round(d, a)\""},
        {"date_format(t, 'yyyy-qq')", "[INCONSISTENT_BEHAVIOR_CROSS_VERSION.DATETIME_PATTERN_"
                                      "RECOGNITION]"},
        {"year(a)", "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve \"year(a)\""},
        {"element_at(words, 0)", "[INVALID_INDEX_OF_ZERO] The index 0 is invalid."},
    };
    run_errors(cases, G_N_ELEMENTS(cases));
}

/* The column-API builders: functions.when(...).otherwise(...) and Column.isin(...). */
static void
test_builders(void)
{
    g_autoptr(DuetBatch) batch = duet_test_batch(DDL, ROWS);
    g_autoptr(DuetExpr) a = duet_expr_column("a");
    g_autoptr(DuetExpr) one = duet_expr_literal_int(1);
    g_autoptr(DuetExpr) condition = duet_expr_binary(DUET_BINARY_EQUAL, a, one);
    g_autoptr(DuetExpr) yes = duet_expr_literal_string("yes");
    g_autoptr(DuetExpr) no = duet_expr_literal_string("no");
    g_autoptr(DuetExpr) when = duet_expr_when(condition, yes, no);
    CU_ASSERT_EQUAL(duet_expr_kind(when), DUET_EXPR_CASE);
    GError *error = NULL;
    g_autoptr(DuetExpr) resolved = duet_expr_resolve(when, duet_batch_schema(batch), &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *name = duet_expr_name(resolved);
    ASSERT_STR_EQ(name, "CASE WHEN (a = 1) THEN yes ELSE no END");
    CU_ASSERT_FALSE(duet_expr_nullable(resolved));
    g_autoptr(DuetExpr) seven = duet_expr_literal_int(7);
    DuetExpr *list[] = {one, seven};
    g_autoptr(DuetExpr) in = duet_expr_in(a, list, 2);
    g_autofree char *in_name = duet_expr_name(in);
    ASSERT_STR_EQ(in_name, "(a IN (1, 7))");
}

DUET_TEST_MAIN("expr_functions", DUET_TEST(test_split_and_concat_ws), DUET_TEST(test_regexp),
               DUET_TEST(test_like), DUET_TEST(test_case_in_between), DUET_TEST(test_time),
               DUET_TEST(test_collections_and_math), DUET_TEST(test_null_literals),
               DUET_TEST(test_errors), DUET_TEST(test_builders))
