/* test_types.c — tests of rdd/types.c: Spark's type names, DDL parsing, schemas and
 * treeString. */
#include "tests/common/test.h"
#include "rdd/rdd.h"

static void
assert_type_round_trip(const char *ddl, const char *expected)
{
    GError *error = NULL;
    g_autoptr(DuetDataType) type = duet_data_type_parse(ddl, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(type);
    g_autofree char *text = duet_data_type_to_string(type);
    ASSERT_STR_EQ(text, expected);
    /* the printed name parses back to an equal type */
    g_autoptr(DuetDataType) again = duet_data_type_parse(text, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_TRUE(duet_data_type_equal(type, again));
}

static void
test_type_names(void)
{
    assert_type_round_trip("INT", "int");
    assert_type_round_trip("integer", "int");
    assert_type_round_trip("Long", "bigint");
    assert_type_round_trip("BIGINT", "bigint");
    assert_type_round_trip("double", "double");
    assert_type_round_trip("float", "double");
    assert_type_round_trip("STRING", "string");
    assert_type_round_trip("varchar(10)", "string");
    assert_type_round_trip("boolean", "boolean");
    assert_type_round_trip("timestamp", "timestamp");
    assert_type_round_trip("date", "date");
    assert_type_round_trip("binary", "binary");
    assert_type_round_trip("void", "void");
    assert_type_round_trip("array<int>", "array<int>");
    assert_type_round_trip("ARRAY< ARRAY<string> >", "array<array<string>>");
    assert_type_round_trip("map<string, bigint>", "map<string,bigint>");
    assert_type_round_trip("struct<start: timestamp, end: timestamp>",
                           "struct<start:timestamp,end:timestamp>");
    /* a backquoted name keeps its space; Spark's simpleString prints it bare */
    g_autoptr(DuetDataType) spaced = duet_data_type_parse("struct<`a b`: int>", NULL);
    g_autofree char *spaced_text = duet_data_type_to_string(spaced);
    ASSERT_STR_EQ(spaced_text, "struct<a b:int>");
}

static void
test_parse_errors(void)
{
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_data_type_parse("integr", &error));
    ASSERT_ERROR(error, DUET_TYPE_ERROR, DUET_TYPE_ERROR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "unknown type name"));
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_data_type_parse("array<int", &error));
    ASSERT_ERROR(error, DUET_TYPE_ERROR, DUET_TYPE_ERROR_PARSE);
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_data_type_parse("int int", &error));
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_schema_parse("", &error));
    ASSERT_ERROR(error, DUET_TYPE_ERROR, DUET_TYPE_ERROR_PARSE);
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_schema_parse("a int b string", &error));
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_schema_parse("`a int", &error));
    g_clear_error(&error);
}

static void
test_schemas(void)
{
    GError *error = NULL;
    g_autoptr(DuetSchema) ddl =
        duet_schema_parse("a INT, b: string, c ARRAY<DOUBLE> NOT NULL", &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_schema_n_fields(ddl), 3);
    g_autofree char *text = duet_schema_to_string(ddl);
    ASSERT_STR_EQ(text, "struct<a:int,b:string,c:array<double>>");
    CU_ASSERT_FALSE(duet_schema_field(ddl, 2)->nullable);
    ASSERT_INT_EQ(duet_schema_find(ddl, "b"), 1);
    ASSERT_INT_EQ(duet_schema_find(ddl, "B"), -1);
    ASSERT_INT_EQ(duet_schema_find_ci(ddl, "B"), 1);
    ASSERT_INT_EQ(duet_schema_find_ci(ddl, "zz"), -1);
    g_autoptr(DuetSchema) twice = duet_schema_parse("x int, X int", &error);
    ASSERT_INT_EQ(duet_schema_find_ci(twice, "x"), -2);

    g_autoptr(DuetSchema) simple =
        duet_schema_new_simple("a", DUET_TYPE_INT32, "b", DUET_TYPE_STRING, NULL);
    guint first_two[] = {0, 1};
    g_autoptr(DuetSchema) projected = duet_schema_project(ddl, first_two, 2);
    CU_ASSERT_TRUE(duet_schema_equal(simple, projected));
    CU_ASSERT_FALSE(duet_schema_equal(simple, ddl));
}

/* Spark's StructType.treeString, including nested levels. */
static void
test_tree_string(void)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse(
        "value INT, words ARRAY<STRING>, window STRUCT<start: TIMESTAMP, end: TIMESTAMP>, "
        "m MAP<STRING, BIGINT>",
        NULL);
    g_autofree char *tree = duet_schema_tree_string(schema);
    ASSERT_STR_EQ(tree, "root\n"
                        " |-- value: integer (nullable = true)\n"
                        " |-- words: array (nullable = true)\n"
                        " |    |-- element: string (containsNull = true)\n"
                        " |-- window: struct (nullable = true)\n"
                        " |    |-- start: timestamp (nullable = true)\n"
                        " |    |-- end: timestamp (nullable = true)\n"
                        " |-- m: map (nullable = true)\n"
                        " |    |-- key: string\n"
                        " |    |-- value: long (valueContainsNull = true)\n");
}

static void
test_fixed_widths(void)
{
    ASSERT_INT_EQ(duet_data_type_fixed_width(duet_data_type_new_scalar(DUET_TYPE_BOOLEAN)), 1);
    ASSERT_INT_EQ(duet_data_type_fixed_width(duet_data_type_new_scalar(DUET_TYPE_DATE)), 4);
    ASSERT_INT_EQ(duet_data_type_fixed_width(duet_data_type_new_scalar(DUET_TYPE_TIMESTAMP)), 8);
    ASSERT_INT_EQ(duet_data_type_fixed_width(duet_data_type_new_scalar(DUET_TYPE_STRING)), 0);
    CU_ASSERT_TRUE(duet_data_type_is_numeric(duet_data_type_new_scalar(DUET_TYPE_DOUBLE)));
    CU_ASSERT_FALSE(duet_data_type_is_numeric(duet_data_type_new_scalar(DUET_TYPE_STRING)));
}

DUET_TEST_MAIN("types", DUET_TEST(test_type_names), DUET_TEST(test_parse_errors),
               DUET_TEST(test_schemas), DUET_TEST(test_tree_string), DUET_TEST(test_fixed_widths))
