/* test_batch.c — tests of rdd/batch.c, rdd/batch_builder.c, rdd/column.c,
 * rdd/column_builder.c and rdd/value.c: building, slicing without copying, projection,
 * gathering, concatenation, nested columns, nulls, row views, hashing and ordering. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"

#define ASSERT_BATCH(batch, expected)                                                              \
    do {                                                                                           \
        g_autofree char *text_ = duet_test_render(batch);                                          \
        ASSERT_STR_EQ(text_, expected);                                                            \
    } while (0)

static void
test_build_every_type(void)
{
    g_autoptr(DuetBatch) batch =
        duet_test_batch("b BOOLEAN, i INT, l BIGINT, d DOUBLE, s STRING, t TIMESTAMP, dt DATE",
                        "[[true, 1, 10000000000, 1.5, \"x\", 1000000, 1], "
                        " [null, null, null, null, null, null, null]]");
    ASSERT_INT_EQ(duet_batch_n_rows(batch), 2);
    ASSERT_INT_EQ(duet_batch_n_columns(batch), 7);
    ASSERT_BATCH(batch, "[(true,1,10000000000,1.5,x,1970-01-01 00:00:01.0,1970-01-02), "
                        "(null,null,null,null,null,null,null)]");
    for (guint column = 0; column < 7; column++)
        ASSERT_INT_EQ(duet_column_null_count(duet_batch_column(batch, column)), 1);
    DuetRow row = duet_batch_row(batch, 0);
    CU_ASSERT_TRUE(duet_row_get_boolean(&row, 0));
    ASSERT_INT_EQ(duet_row_get_int32(&row, 1), 1);
    ASSERT_INT_EQ(duet_row_get_int64(&row, 2), G_GINT64_CONSTANT(10000000000));
    CU_ASSERT_DOUBLE_EQUAL(duet_row_get_double(&row, 3), 1.5, 0.0);
    gsize len;
    const char *text = duet_row_get_string(&row, 4, &len);
    ASSERT_INT_EQ(len, 1);
    CU_ASSERT_EQUAL(text[0], 'x');
    DuetRow second = duet_batch_row(batch, 1);
    CU_ASSERT_TRUE(duet_row_is_null(&second, 4));
    CU_ASSERT_FALSE(duet_row_is_null(&row, 4));
}

static void
test_empty_batches(void)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("a INT, b STRING", NULL);
    g_autoptr(DuetBatch) empty = duet_batch_new_empty(schema);
    ASSERT_INT_EQ(duet_batch_n_rows(empty), 0);
    ASSERT_BATCH(empty, "[]");
    g_autoptr(DuetBatch) concat = duet_batch_concat(schema, NULL, 0, NULL);
    ASSERT_INT_EQ(duet_batch_n_rows(concat), 0);
    g_autoptr(DuetBatch) slice = duet_batch_slice(empty, 0, 0);
    ASSERT_INT_EQ(duet_batch_n_rows(slice), 0);
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, 0);
    GError *error = NULL;
    g_autoptr(DuetBatch) built = duet_batch_builder_finish(builder, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_batch_n_rows(built), 0);
    duet_batch_builder_free(builder);
}

static void
test_slices_share_buffers(void)
{
    g_autoptr(DuetBatch) batch = duet_test_batch(
        "k STRING, v INT", "[[\"a\", 1], [null, 2], [\"ccc\", null], [\"dd\", 4], [\"e\", 5]]");
    g_autoptr(DuetBatch) middle = duet_batch_slice(batch, 1, 3);
    ASSERT_BATCH(middle, "[(null,2), (ccc,null), (dd,4)]");
    ASSERT_INT_EQ(duet_column_null_count(duet_batch_column(middle, 0)), 1);
    ASSERT_INT_EQ(duet_column_null_count(duet_batch_column(middle, 1)), 1);
    /* a slice of a slice */
    g_autoptr(DuetBatch) inner = duet_batch_slice(middle, 1, 2);
    ASSERT_BATCH(inner, "[(ccc,null), (dd,4)]");
    /* shared: the string bytes are the very same memory */
    CU_ASSERT_PTR_EQUAL(duet_column_data(duet_batch_column(inner, 0)),
                        duet_column_data(duet_batch_column(batch, 0)));
    guint swapped[] = {1, 0};
    g_autoptr(DuetBatch) projected = duet_batch_project(inner, swapped, 2);
    ASSERT_BATCH(projected, "[(null,ccc), (4,dd)]");
    CU_ASSERT_PTR_EQUAL(duet_batch_column(projected, 1), duet_batch_column(inner, 0));
}

static void
test_take_and_concat(void)
{
    g_autoptr(DuetBatch) batch = duet_test_batch(
        "k STRING, v BIGINT", "[[\"a\", 1], [null, 2], [\"ccc\", null], [\"dd\", 4]]");
    guint32 rows[] = {3, 0, 3, 1};
    g_autoptr(DuetBatch) taken = duet_batch_take(batch, rows, 4);
    ASSERT_BATCH(taken, "[(dd,4), (a,1), (dd,4), (null,2)]");
    g_autoptr(DuetBatch) tail = duet_batch_slice(batch, 2, 2);
    DuetBatch *parts[] = {tail, taken, batch};
    GError *error = NULL;
    g_autoptr(DuetBatch) all = duet_batch_concat(duet_batch_schema(batch), parts, 3, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_BATCH(all, "[(ccc,null), (dd,4), (dd,4), (a,1), (dd,4), (null,2), (a,1), (null,2), "
                      "(ccc,null), (dd,4)]");
    g_autoptr(DuetBatch) other = duet_test_batch("k STRING", "[\"x\"]");
    DuetBatch *mixed[] = {batch, other};
    CU_ASSERT_PTR_NULL(duet_batch_concat(duet_batch_schema(batch), mixed, 2, &error));
    ASSERT_ERROR(error, DUET_BATCH_ERROR, DUET_BATCH_ERROR_SCHEMA);
    g_clear_error(&error);
    CU_ASSERT_TRUE(duet_batch_equal(batch, batch));
    CU_ASSERT_FALSE(duet_batch_equal(batch, taken));
}

static void
test_nested_columns(void)
{
    g_autoptr(DuetBatch) batch =
        duet_test_batch("k INT, xs ARRAY<STRING>, p STRUCT<a: INT, b: STRING>, m MAP<STRING, INT>",
                        "[[1, [\"a\", null], [1, \"x\"], [[\"k\", 1]]], "
                        " [2, [], null, []], "
                        " [3, null, [3, null], [[\"a\", 1], [\"b\", 2]]]]");
    ASSERT_BATCH(batch, "[(1,CompactBuffer(a, null),(1,x),Map(k -> 1)), "
                        "(2,CompactBuffer(),null,Map()), "
                        "(3,null,(3,null),Map(a -> 1, b -> 2))]");
    g_autoptr(DuetBatch) slice = duet_batch_slice(batch, 1, 2);
    ASSERT_BATCH(slice, "[(2,CompactBuffer(),null,Map()), (3,null,(3,null),Map(a -> 1, b -> 2))]");
    guint32 rows[] = {2, 0};
    g_autoptr(DuetBatch) taken = duet_batch_take(slice, rows, 0);
    ASSERT_INT_EQ(duet_batch_n_rows(taken), 0);
    guint32 reorder[] = {1, 0};
    g_autoptr(DuetBatch) swapped = duet_batch_take(slice, reorder, 2);
    ASSERT_BATCH(swapped,
                 "[(3,null,(3,null),Map(a -> 1, b -> 2)), (2,CompactBuffer(),null,Map())]");
    /* nested values compare and hash structurally */
    DuetValue first, again;
    duet_column_get_value(duet_batch_column(batch, 2), 0, &first);
    duet_column_get_value(duet_batch_column(swapped, 2), 1, &again);
    CU_ASSERT_TRUE(duet_value_equal(&first, &first));
    DuetValue third;
    duet_column_get_value(duet_batch_column(batch, 2), 2, &third);
    duet_column_get_value(duet_batch_column(swapped, 2), 0, &again);
    CU_ASSERT_TRUE(duet_value_equal(&third, &again));
    ASSERT_INT_EQ(duet_value_hash(&third, 0), duet_value_hash(&again, 0));
    CU_ASSERT_FALSE(duet_value_equal(&first, &third));
    (void)rows;
}

static void
test_builder_partial_row_is_an_error(void)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("a INT, b INT", NULL);
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, 4);
    duet_batch_builder_append_int32(builder, 0, 1);
    duet_batch_builder_append_int32(builder, 1, 1);
    duet_batch_builder_append_int32(builder, 0, 2);
    GError *error = NULL;
    CU_ASSERT_PTR_NULL(duet_batch_builder_finish(builder, &error));
    ASSERT_ERROR(error, DUET_BATCH_ERROR, DUET_BATCH_ERROR_LENGTH);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "partial row"));
    g_clear_error(&error);
    /* the builder is reusable afterwards */
    DuetValue values[] = {duet_value_int32(7), duet_value_null()};
    CU_ASSERT_TRUE(duet_batch_builder_append_values(builder, values));
    DuetValue wrong[] = {duet_value_string("x", 1), duet_value_int32(1)};
    CU_ASSERT_FALSE(duet_batch_builder_append_values(builder, wrong));
    g_autoptr(DuetBatch) batch = duet_batch_builder_finish(builder, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_BATCH(batch, "[(7,null)]");
    duet_batch_builder_free(builder);
}

static void
test_value_semantics(void)
{
    DuetValue one32 = duet_value_int32(1), one64 = duet_value_int64(1);
    CU_ASSERT_TRUE(duet_value_equal(&one32, &one64));
    ASSERT_INT_EQ(duet_value_hash(&one32, 0), duet_value_hash(&one64, 0));
    DuetValue zero = duet_value_double(0.0), minus_zero = duet_value_double(-0.0);
    CU_ASSERT_TRUE(duet_value_equal(&zero, &minus_zero));
    ASSERT_INT_EQ(duet_value_hash(&zero, 0), duet_value_hash(&minus_zero, 0));
    DuetValue nan = duet_value_double(NAN), big = duet_value_double(1e300);
    CU_ASSERT_TRUE(duet_value_equal(&nan, &nan));
    ASSERT_INT_EQ(duet_value_compare(&big, &nan), -1); /* NaN sorts last */
    DuetValue null = duet_value_null();
    ASSERT_INT_EQ(duet_value_compare(&null, &one32), -1); /* nulls first */
    CU_ASSERT_TRUE(duet_value_equal(&null, &null));
    DuetValue a = duet_value_string("a", 1), ab = duet_value_string("ab", 2);
    ASSERT_INT_EQ(duet_value_compare(&a, &ab), -1);
    ASSERT_INT_EQ(duet_value_compare(&ab, &a), 1);
    gint64 as_int = 0;
    gdouble as_double = 0;
    CU_ASSERT_TRUE(duet_value_as_int64(&one32, &as_int));
    CU_ASSERT_TRUE(duet_value_as_double(&one64, &as_double));
    CU_ASSERT_FALSE(duet_value_as_double(&a, &as_double));
}

/* A million rows through the builder, then sliced and gathered. */
static void
test_million_rows(void)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse("s STRING, v BIGINT", NULL);
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, 16);
    for (gint64 row = 0; row < 1000000; row++) {
        char text[16];
        int len = g_snprintf(text, sizeof text, "%" G_GINT64_FORMAT, row);
        if (row % 1000 == 999)
            duet_batch_builder_append_null(builder, 0);
        else
            duet_batch_builder_append_string(builder, 0, text, len);
        duet_batch_builder_append_int64(builder, 1, row);
    }
    g_autoptr(DuetBatch) batch = duet_batch_builder_finish(builder, NULL);
    duet_batch_builder_free(builder);
    ASSERT_INT_EQ(duet_batch_n_rows(batch), 1000000);
    ASSERT_INT_EQ(duet_column_null_count(duet_batch_column(batch, 0)), 1000);
    g_autoptr(DuetBatch) tail = duet_batch_slice(batch, 999998, 2);
    ASSERT_BATCH(tail, "[(999998,999998), (null,999999)]");
}

DUET_TEST_MAIN("batch", DUET_TEST(test_build_every_type), DUET_TEST(test_empty_batches),
               DUET_TEST(test_slices_share_buffers), DUET_TEST(test_take_and_concat),
               DUET_TEST(test_nested_columns), DUET_TEST(test_builder_partial_row_is_an_error),
               DUET_TEST(test_value_semantics), DUET_TEST(test_million_rows))
