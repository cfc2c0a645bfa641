/* test_sql_parser.c — tests of structured/sql_parser.c: Spark's precedence, literals, names,
 * aliases, and syntax errors with Spark's message. Each case parses a string and compares the
 * Spark name of the tree (which shows its shape: every binary node is parenthesised). */
#include "tests/common/test.h"
#include "structured/sql_parser.h"

typedef struct {
    const char *text;
    const char *name;  /* expected Spark name, or NULL for an error */
    const char *error; /* expected error prefix */
} Case;

static void
run_cases(const Case *cases, gsize n, gboolean select_item)
{
    for (gsize index = 0; index < n; index++) {
        GError *error = NULL;
        DuetExpr *expr = select_item ? duet_sql_parse_select_item(cases[index].text, &error)
                                     : duet_sql_parse_expression(cases[index].text, &error);
        if (cases[index].name != NULL) {
            ASSERT_NO_ERROR(error);
            if (expr == NULL)
                continue;
            g_autofree char *name = duet_expr_name(expr);
            ASSERT_STR_EQ(name, cases[index].name);
            duet_expr_unref(expr);
        } else {
            CU_ASSERT_PTR_NULL(expr);
            CU_ASSERT_PTR_NOT_NULL_FATAL(error);
            if (!g_str_has_prefix(error->message, cases[index].error))
                g_printerr("\n  %s: got \"%s\"\n", cases[index].text, error->message);
            CU_ASSERT_TRUE(g_str_has_prefix(error->message, cases[index].error));
            g_clear_error(&error);
        }
    }
}

static void
test_precedence(void)
{
    static const Case cases[] = {
        {"a + b * 2", "(a + (b * 2))", NULL},
        {"(a + b) * 2", "((a + b) * 2)", NULL},
        {"a - b - c", "((a - b) - c)", NULL},
        {"a % 2 = 0", "((a % 2) = 0)", NULL},
        {"NOT a = 1 AND b", "((NOT (a = 1)) AND b)", NULL},
        {"a OR b AND c", "(a OR (b AND c))", NULL},
        {"a != b", "(NOT (a = b))", NULL},
        {"a <> b", "(NOT (a = b))", NULL},
        {"a == b", "(a = b)", NULL},
        {"x IS NOT NULL AND y IS NULL", "((x IS NOT NULL) AND (y IS NULL))", NULL},
        {"- a * 2", "((- a) * 2)", NULL},
        {"a >= 1 OR a <= -1", "((a >= 1) OR (a <= -1))", NULL},
    };
    run_cases(cases, G_N_ELEMENTS(cases), FALSE);
}

static void
test_literals_names_and_calls(void)
{
    static const Case cases[] = {
        {"42", "42", NULL},
        {"-5", "-5", NULL},
        {"10000000000", "10000000000", NULL},
        {"7L", "7", NULL},
        {"1.5", "1.5", NULL},
        {"1e3", "1000.0", NULL},
        {"'hello'", "hello", NULL},
        {"\"it's\"", "it's", NULL},
        {"'a\\'b'", "a'b", NULL},
        {"true", "true", NULL},
        {"NULL", "NULL", NULL},
        {"`weird name` + 1", "(weird name + 1)", NULL},
        {"window.start", "window.start", NULL},
        {"CAST(window.end AS LONG)", "CAST(window.end AS BIGINT)", NULL},
        {"a is not null", "(a IS NOT NULL)", NULL},
        {"CAST(value AS STRING)", "CAST(value AS STRING)", NULL},
        {"cast(value as bigint)", "CAST(value AS BIGINT)", NULL},
        {"CAST(x AS TIMESTAMP)", "CAST(x AS TIMESTAMP)", NULL},
        {"count(*)", "count(*)", NULL},
        {"LOWER(value)", "lower(value)", NULL},
        {"concat(a, '-', b)", "concat(a, -, b)", NULL},
        {"window(eventTime, '5 seconds')", "window(eventTime, 5 seconds)", NULL},
        {"timestamp_seconds(value)", "timestamp_seconds(value)", NULL},
    };
    run_cases(cases, G_N_ELEMENTS(cases), FALSE);
}

/* CASE, IN, BETWEEN and the LIKE family, in upper and lower case, with Spark's names. */
static void
test_predicates_and_case(void)
{
    static const Case cases[] = {
        {"CASE WHEN a > 1 THEN 'x' ELSE 'y' END", "CASE WHEN (a > 1) THEN x ELSE y END", NULL},
        {"case when a then 1 when b then 2 end", "CASE WHEN a THEN 1 WHEN b THEN 2 END", NULL},
        {"CASE a + 1 WHEN 2 THEN 'two' END", "CASE WHEN ((a + 1) = 2) THEN two END", NULL},
        {"CASE WHEN a IS NULL THEN CASE WHEN b THEN 1 END END",
         "CASE WHEN (a IS NULL) THEN CASE WHEN b THEN 1 END END", NULL},
        {"a IN (1, 2, 3)", "(a IN (1, 2, 3))", NULL},
        {"a not in ('x')", "(NOT (a IN (x)))", NULL},
        {"a + 1 IN (2) AND b", "(((a + 1) IN (2)) AND b)", NULL},
        {"a BETWEEN 1 AND 2 AND b", "(((a >= 1) AND (a <= 2)) AND b)", NULL},
        {"a NOT BETWEEN b - 1 AND b + 1", "(NOT ((a >= (b - 1)) AND (a <= (b + 1))))", NULL},
        {"a LIKE 'x%'", "a LIKE x%", NULL},
        {"a NOT LIKE 'x%' OR b", "((NOT a LIKE x%) OR b)", NULL},
        {"a like 'x!%' escape '!'", "a LIKE x!% ESCAPE '!'", NULL},
        {"a RLIKE '^x'", "a RLIKE ^x", NULL},
        {"a REGEXP '^x'", "a RLIKE ^x", NULL},
        {"a NOT RLIKE '^x'", "(NOT a RLIKE ^x)", NULL},
        {"a ILIKE 'X%'", "ilike(a, X%)", NULL},
        {"LIKE(a, 'x')", "a LIKE x", NULL},
        {"NOT a IN (1)", "(NOT (a IN (1)))", NULL},
    };
    run_cases(cases, G_N_ELEMENTS(cases), FALSE);
}

static void
test_select_items(void)
{
    static const Case cases[] = {
        {"value % 2 AS key", "key", NULL},
        {"value * 2 doubled", "doubled", NULL},
        {"count(*) AS count", "count", NULL},
        {"`a b` AS `c d`", "c d", NULL},
        {"value", "value", NULL},
        {"a AS", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input"},
        {"a b c", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near 'c'.(line 1, pos 4)"},
    };
    run_cases(cases, G_N_ELEMENTS(cases), TRUE);
}

static void
test_errors(void)
{
    static const Case cases[] = {
        {"a +", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input.(line 1, pos 3)"},
        {"(a + b", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input"},
        {"a + )", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near ')'.(line 1, pos 4)"},
        {"'open", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input"},
        {"a # b", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near '#'"},
        {"", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input"},
        {"CAST(a AS nosuchtype)", NULL, "[UNSUPPORTED_DATATYPE] Unsupported data type"},
        {"a | b", NULL, "bitwise expressions are not supported"},
        {"CASE WHEN a THEN 1", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input"},
        {"CASE a END", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near 'END'"},
        {"CASE WHEN a 1 END", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near '1'"},
        {"a IN 1", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near '1'"},
        {"a IN (1, )", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near ')'"},
        {"a BETWEEN 1 OR 2", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near 'OR'"},
        {"a LIKE 'x' ESCAPE b", NULL, "[PARSE_SYNTAX_ERROR] Syntax error at or near 'b'"},
    };
    run_cases(cases, G_N_ELEMENTS(cases), FALSE);
}

/* Parsed, resolved and evaluated end to end. */
static void
test_parse_then_resolve(void)
{
    GError *error = NULL;
    g_autoptr(DuetExpr) expr = duet_sql_parse_select_item("VALUE % 2 AS key", &error);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value INT", NULL);
    g_autoptr(DuetExpr) resolved = duet_expr_resolve(expr, schema, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *type = duet_data_type_to_string(duet_expr_type(resolved));
    ASSERT_STR_EQ(type, "int");
}

DUET_TEST_MAIN("sql_parser", DUET_TEST(test_precedence), DUET_TEST(test_literals_names_and_calls),
               DUET_TEST(test_predicates_and_case), DUET_TEST(test_select_items),
               DUET_TEST(test_errors), DUET_TEST(test_parse_then_resolve))
