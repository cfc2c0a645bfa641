/* test_expr.c — tests of structured/expr.c and expr_eval.c: Spark's column names and result
 * types, columnar evaluation with nulls (three-valued logic, x / 0 = null, overflow wraps,
 * casts of bad strings to null), functions, and analysis errors with Spark's messages. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "structured/expr.h"

static const char *DDL = "a INT, b BIGINT, d DOUBLE, s STRING, t BOOLEAN";
static const char *ROWS = "[[1, 10, 1.5, \"Hello\", true], [2, null, -2.0, \" x \", false], "
                          "[null, 30, 0.0, null, null], [2147483647, 4, 4.0, \"42\", true]]";

/* Resolves expr, checks its name and type, evaluates it and checks the rendered column. */
static void
check(DuetExpr *expr, const char *name, const char *type, const char *values)
{
    g_autoptr(DuetBatch) batch = duet_test_batch(DDL, ROWS);
    GError *error = NULL;
    g_autoptr(DuetExpr) resolved = duet_expr_resolve(expr, duet_batch_schema(batch), &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(resolved);
    g_autofree char *actual_name = duet_expr_name(resolved);
    ASSERT_STR_EQ(actual_name, name);
    g_autofree char *actual_type = duet_data_type_to_string(duet_expr_type(resolved));
    ASSERT_STR_EQ(actual_type, type);
    g_autoptr(DuetColumn) column = duet_expr_evaluate(resolved, batch, &error);
    ASSERT_NO_ERROR(error);
    g_autoptr(DuetSchema) schema = duet_schema_new();
    duet_schema_add_field(schema, "x", duet_expr_type(resolved), TRUE);
    DuetColumn *columns[] = {column};
    g_autoptr(DuetBatch) result = duet_batch_new(schema, columns, &error);
    g_autofree char *text = duet_test_render(result);
    ASSERT_STR_EQ(text, values);
    duet_expr_unref(expr);
}

static DuetExpr *
col(const char *name)
{
    return duet_expr_column(name);
}

/* consumes both operands */
static DuetExpr *
binary(DuetBinaryOp op, DuetExpr *left, DuetExpr *right)
{
    DuetExpr *expr = duet_expr_binary(op, left, right);
    duet_expr_unref(left);
    duet_expr_unref(right);
    return expr;
}

/* unary builders that consume their argument, so cases can nest calls */
static DuetExpr *
take(DuetExpr *(*builder)(DuetExpr *), DuetExpr *child)
{
    DuetExpr *expr = builder(child);
    duet_expr_unref(child);
    return expr;
}

static DuetExpr *
function1(const char *name, DuetExpr *argument)
{
    DuetExpr *expr = duet_expr_function(name, &argument, 1);
    duet_expr_unref(argument);
    return expr;
}

static void
test_arithmetic(void)
{
    check(binary(DUET_BINARY_ADD, col("a"), duet_expr_literal_int(1)), "(a + 1)", "int",
          "[2, 3, null, -2147483648]"); /* overflow wraps */
    check(binary(DUET_BINARY_ADD, col("a"), col("b")), "(a + b)", "bigint",
          "[11, null, null, 2147483651]");
    check(binary(DUET_BINARY_DIVIDE, col("b"), col("a")), "(b / a)", "double",
          "[10.0, null, null, 1.8626451500983188E-9]");
    check(binary(DUET_BINARY_DIVIDE, col("a"), col("d")), "(a / d)", "double",
          "[0.6666666666666666, -1.0, null, 5.3687091175E8]");
    check(binary(DUET_BINARY_REMAINDER, col("b"), duet_expr_literal_int(0)), "(b % 0)", "bigint",
          "[null, null, null, null]");
    check(binary(DUET_BINARY_MULTIPLY, col("d"), col("a")), "(d * a)", "double",
          "[1.5, -4.0, null, 8.589934588E9]");
    check(take(duet_expr_negate, col("a")), "(- a)", "int", "[-1, -2, null, -2147483647]");
    /* a numeric string in arithmetic is a double */
    check(binary(DUET_BINARY_ADD, col("s"), duet_expr_literal_int(1)), "(s + 1)", "double",
          "[null, null, null, 43.0]");
}

static void
test_comparison_and_logic(void)
{
    check(binary(DUET_BINARY_GREATER, col("a"), duet_expr_literal_int(1)), "(a > 1)", "boolean",
          "[false, true, null, true]");
    check(binary(DUET_BINARY_NOT_EQUAL, col("a"), duet_expr_literal_int(2)), "(NOT (a = 2))",
          "boolean", "[true, false, null, true]");
    check(binary(DUET_BINARY_EQUAL, col("s"), duet_expr_literal_int(42)), "(s = 42)", "boolean",
          "[null, null, null, true]");
    /* three-valued logic: false AND null = false, true OR null = true */
    check(binary(DUET_BINARY_AND, col("t"),
                 binary(DUET_BINARY_GREATER, col("a"), duet_expr_literal_int(0))),
          "(t AND (a > 0))", "boolean", "[true, false, null, true]");
    check(binary(DUET_BINARY_OR, col("t"), take(duet_expr_is_null, col("a"))), "(t OR (a IS NULL))",
          "boolean", "[true, false, true, true]");
    check(take(duet_expr_not, col("t")), "(NOT t)", "boolean", "[false, true, null, false]");
    check(take(duet_expr_is_not_null, col("b")), "(b IS NOT NULL)", "boolean",
          "[true, false, true, true]");
}

static void
test_casts(void)
{
    g_autoptr(DuetDataType) string_type = duet_data_type_new_scalar(DUET_TYPE_STRING);
    g_autoptr(DuetDataType) int_type = duet_data_type_new_scalar(DUET_TYPE_INT32);
    g_autoptr(DuetDataType) timestamp_type = duet_data_type_new_scalar(DUET_TYPE_TIMESTAMP);
    g_autoptr(DuetDataType) long_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    DuetExpr *d = col("d");
    check(duet_expr_cast(d, string_type), "CAST(d AS STRING)", "string", "[1.5, -2.0, 0.0, 4.0]");
    duet_expr_unref(d);
    DuetExpr *s = col("s");
    check(duet_expr_cast(s, int_type), "CAST(s AS INT)", "int", "[null, null, null, 42]");
    duet_expr_unref(s);
    /* CAST(number AS TIMESTAMP) is seconds, and back to LONG gives seconds */
    DuetExpr *a = col("a");
    DuetExpr *as_time = duet_expr_cast(a, timestamp_type);
    check(duet_expr_cast(as_time, long_type), "CAST(CAST(a AS TIMESTAMP) AS BIGINT)", "bigint",
          "[1, 2, null, 2147483647]");
    duet_expr_unref(as_time);
    duet_expr_unref(a);
}

static void
test_functions_and_aliases(void)
{
    check(function1("lower", col("s")), "lower(s)", "string", "[hello,  x , null, 42]");
    check(function1("UPPER", col("s")), "upper(s)", "string", "[HELLO,  X , null, 42]");
    check(function1("trim", col("s")), "trim(s)", "string", "[Hello, x, null, 42]");
    check(function1("length", col("s")), "length(s)", "int", "[5, 3, null, 2]");
    check(function1("abs", col("d")), "abs(d)", "double", "[1.5, 2.0, 0.0, 4.0]");
    DuetExpr *arguments[] = {col("b"), duet_expr_literal_int(0)};
    DuetExpr *coalesce = duet_expr_function("coalesce", arguments, 2);
    duet_expr_unref(arguments[0]);
    duet_expr_unref(arguments[1]);
    check(coalesce, "coalesce(b, 0)", "bigint", "[10, 0, 30, 4]");
    DuetExpr *parts[] = {col("s"), duet_expr_literal_string("!")};
    DuetExpr *concat = duet_expr_function("concat", parts, 2);
    duet_expr_unref(parts[0]);
    duet_expr_unref(parts[1]);
    check(concat, "concat(s, !)", "string", "[Hello!,  x !, null, 42!]");
    DuetExpr *pieces[] = {col("s"), duet_expr_literal_int(2), duet_expr_literal_int(3)};
    DuetExpr *sub = duet_expr_function("substring", pieces, 3);
    for (int piece = 0; piece < 3; piece++)
        duet_expr_unref(pieces[piece]);
    check(sub, "substring(s, 2, 3)", "string", "[ell, x , null, 2]");
    DuetExpr *sum = binary(DUET_BINARY_ADD, col("a"), duet_expr_literal_int(1));
    check(duet_expr_alias(sum, "next"), "next", "int", "[2, 3, null, -2147483648]");
    duet_expr_unref(sum);
    /* names resolve case-insensitively and take the schema's spelling */
    check(col("A"), "a", "int", "[1, 2, null, 2147483647]");
}

static void
test_analysis_errors(void)
{
    g_autoptr(DuetBatch) batch = duet_test_batch(DDL, ROWS);
    DuetSchema *schema = duet_batch_schema(batch);
    GError *error = NULL;
    g_autoptr(DuetExpr) missing = duet_expr_column("x");
    CU_ASSERT_PTR_NULL(duet_expr_resolve(missing, schema, &error));
    ASSERT_ERROR(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS);
    ASSERT_STR_EQ(error->message,
                  "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name "
                  "`x` cannot be resolved. Did you mean one of the following? [`a`, `b`, `d`, "
                  "`s`, `t`].");
    g_clear_error(&error);
    DuetExpr *argument = duet_expr_column("a");
    g_autoptr(DuetExpr) unknown = duet_expr_function("nosuch", &argument, 1);
    duet_expr_unref(argument);
    CU_ASSERT_PTR_NULL(duet_expr_resolve(unknown, schema, &error));
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "[UNRESOLVED_ROUTINE] Cannot resolve "
                                                    "function `nosuch`"));
    g_clear_error(&error);
    g_autoptr(DuetExpr) left = duet_expr_column("t");
    g_autoptr(DuetExpr) right = duet_expr_literal_int(1);
    g_autoptr(DuetExpr) bad = duet_expr_binary(DUET_BINARY_ADD, left, right);
    CU_ASSERT_PTR_NULL(duet_expr_resolve(bad, schema, &error));
    CU_ASSERT_TRUE(g_str_has_prefix(error->message, "[DATATYPE_MISMATCH"));
    g_clear_error(&error);
}

DUET_TEST_MAIN("expr", DUET_TEST(test_arithmetic), DUET_TEST(test_comparison_and_logic),
               DUET_TEST(test_casts), DUET_TEST(test_functions_and_aliases),
               DUET_TEST(test_analysis_errors))
