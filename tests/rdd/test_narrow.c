/* test_narrow.c — tests of rdd/narrow.c and rdd/rdd.c: creating RDDs and the narrow
 * transformations, with exact results per partition. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"

static DuetContext *
new_context(const char *master)
{
    GError *error = NULL;
    DuetContext *context = duet_context_new(master, &error);
    g_assert_no_error(error);
    return context;
}

static DuetRdd *
ints(DuetContext *context, const char *json, guint partitions)
{
    g_autoptr(DuetBatch) batch = duet_test_batch("value INT", json);
    return duet_rdd_parallelize(context, batch, partitions);
}

#define ASSERT_RDD(rdd, expected)                                                                  \
    do {                                                                                           \
        g_autofree char *text_ = duet_test_render_rdd(rdd);                                        \
        ASSERT_STR_EQ(text_, expected);                                                            \
    } while (0)

#define ASSERT_PARTITIONS(rdd, expected)                                                           \
    do {                                                                                           \
        g_autofree char *text_ = duet_test_render_partitions(rdd);                                 \
        ASSERT_STR_EQ(text_, expected);                                                            \
    } while (0)

/* ---- user functions ---------------------------------------------------------------------- */

static void
to_string(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    if (duet_row_is_null(row, 0)) {
        duet_batch_builder_append_null(out, 0);
        return;
    }
    char text[16];
    int len = g_snprintf(text, sizeof text, "%d", duet_row_get_int32(row, 0));
    duet_batch_builder_append_string(out, 0, text, len);
}

static void
self_and_double(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gint32 value = duet_row_get_int32(row, 0);
    duet_batch_builder_append_int32(out, 0, value);
    duet_batch_builder_append_int32(out, 0, value * 2);
}

static gboolean
is_even(const DuetRow *row, gpointer user_data)
{
    return duet_row_get_int32(row, 0) % 2 == 0;
}

static void
partition_sum(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    gint32 sum = 0;
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetRow row = duet_batch_row(batch, row_idx);
            sum += duet_row_get_int32(&row, 0);
        }
    }
    duet_batch_builder_append_int32(out, 0, sum);
}

static void
tag_partition(GPtrArray *batches, guint partition, DuetBatchBuilder *out, gpointer user_data)
{
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *batch = g_ptr_array_index(batches, batch_idx);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
            DuetRow row = duet_batch_row(batch, row_idx);
            duet_batch_builder_append_int32(out, 0, (gint32)partition);
            duet_batch_builder_append_int32(out, 1, duet_row_get_int32(&row, 0));
        }
    }
}

static void
plus_ten(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data)
{
    duet_column_builder_append_int32(out, value->v.i32 + 10);
}

static void
self_and_plus_ten(const DuetValue *value, DuetColumnBuilder *out, gpointer user_data)
{
    duet_column_builder_append_int32(out, value->v.i32);
    duet_column_builder_append_int32(out, value->v.i32 + 10);
}

static gboolean
keep_all(const DuetRow *row, gpointer user_data)
{
    return TRUE;
}

static void
appends_two_rows(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    self_and_double(row, out, user_data);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void
test_master_strings(void)
{
    GError *error = NULL;
    g_autoptr(DuetContext) one = duet_context_new("local", &error);
    ASSERT_INT_EQ(duet_context_parallelism(one), 1);
    g_autoptr(DuetContext) four = duet_context_new("local[4]", &error);
    ASSERT_INT_EQ(duet_context_parallelism(four), 4);
    g_autoptr(DuetContext) retries = duet_context_new("local[2,3]", &error);
    ASSERT_INT_EQ(duet_context_max_task_attempts(retries), 3);
    g_autoptr(DuetContext) star = duet_context_new("local[*]", &error);
    ASSERT_INT_EQ(duet_context_parallelism(star), g_get_num_processors());
    ASSERT_NO_ERROR(error);
    DuetContext *bad = duet_context_new("yarn", &error);
    CU_ASSERT_PTR_NULL(bad);
    ASSERT_ERROR(error, DUET_CONTEXT_ERROR, DUET_CONTEXT_ERROR_MASTER);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "'yarn'"));
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_context_new("local[0]", &error));
    g_clear_error(&error);
    CU_ASSERT_PTR_NULL(duet_context_new("local[x]", &error));
    g_clear_error(&error);
}

/* Spark slices [1,2,3,4] into 2 partitions as [1,2] | [3,4], and 5 rows into 3 as 1|2|2. */
static void
test_parallelize_slicing(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetRdd) four = ints(context, "[1, 2, 3, 4]", 2);
    ASSERT_PARTITIONS(four, "[[1, 2], [3, 4]]");
    g_autoptr(DuetRdd) five = ints(context, "[1, 2, 3, 4, 5]", 3);
    ASSERT_PARTITIONS(five, "[[1], [2, 3], [4, 5]]");
    g_autoptr(DuetRdd) sparse = ints(context, "[1, 2]", 4);
    ASSERT_PARTITIONS(sparse, "[[], [1], [], [2]]");
    g_autoptr(DuetRdd) empty = ints(context, "[]", 3);
    ASSERT_PARTITIONS(empty, "[[], [], []]");
    ASSERT_INT_EQ(duet_rdd_n_partitions(empty), 3);
}

static void
test_map_filter_flat_map(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetRdd) numbers = ints(context, "[1, 2, null, 4]", 2);
    g_autoptr(DuetSchema) strings = duet_schema_parse("value STRING", NULL);
    g_autoptr(DuetRdd) texts = duet_rdd_map(numbers, strings, to_string, NULL);
    ASSERT_RDD(texts, "[1, 2, null, 4]");
    ASSERT_PARTITIONS(texts, "[[1, 2], [null, 4]]");

    g_autoptr(DuetRdd) plain = ints(context, "[1, 2, 3, 4]", 2);
    g_autoptr(DuetRdd) evens = duet_rdd_filter(plain, is_even, NULL);
    ASSERT_PARTITIONS(evens, "[[2], [4]]");
    g_autoptr(DuetRdd) doubled =
        duet_rdd_flat_map(plain, duet_rdd_schema(plain), self_and_double, NULL);
    ASSERT_RDD(doubled, "[1, 2, 2, 4, 3, 6, 4, 8]");
    /* chained: flatMap then filter, pipelined in one task */
    g_autoptr(DuetRdd) chained = duet_rdd_filter(doubled, is_even, NULL);
    ASSERT_RDD(chained, "[2, 2, 4, 6, 4, 8]");
}

static void
test_map_must_append_one_row(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetRdd) numbers = ints(context, "[1, 2]", 1);
    g_autoptr(DuetRdd) wrong =
        duet_rdd_map(numbers, duet_rdd_schema(numbers), appends_two_rows, NULL);
    GError *error = NULL;
    DuetBatch *batch = duet_rdd_collect(wrong, &error);
    CU_ASSERT_PTR_NULL(batch);
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_JOB_ABORTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "must append exactly one"));
    g_clear_error(&error);
}

static void
test_map_partitions_and_glom(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetRdd) numbers = ints(context, "[1, 2, 3, 4, 5]", 2);
    g_autoptr(DuetRdd) sums =
        duet_rdd_map_partitions(numbers, duet_rdd_schema(numbers), partition_sum, NULL, FALSE);
    ASSERT_RDD(sums, "[3, 12]");
    g_autoptr(DuetRdd) glommed = duet_rdd_glom(numbers);
    ASSERT_RDD(glommed, "[CompactBuffer(1, 2), CompactBuffer(3, 4, 5)]");
    g_autoptr(DuetRdd) empty = ints(context, "[]", 2);
    g_autoptr(DuetRdd) empty_sums =
        duet_rdd_map_partitions(empty, duet_rdd_schema(empty), partition_sum, NULL, FALSE);
    ASSERT_RDD(empty_sums, "[0, 0]");
    g_autoptr(DuetRdd) empty_glom = duet_rdd_glom(empty);
    ASSERT_RDD(empty_glom, "[CompactBuffer(), CompactBuffer()]");

    g_autoptr(DuetSchema) tagged_schema = duet_schema_parse("p INT, v INT", NULL);
    g_autoptr(DuetRdd) tagged =
        duet_rdd_map_partitions_with_index(numbers, tagged_schema, tag_partition, NULL, FALSE);
    ASSERT_RDD(tagged, "[(0,1), (0,2), (1,3), (1,4), (1,5)]");
    g_autoptr(DuetRdd) pair_glom = duet_rdd_glom(tagged);
    ASSERT_RDD(pair_glom, "[CompactBuffer((0,1), (0,2)), CompactBuffer((1,3), (1,4), (1,5))]");
}

static void
test_union_and_coalesce(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetRdd) left = ints(context, "[1, 2]", 2);
    g_autoptr(DuetRdd) right = ints(context, "[3, 4, 5]", 1);
    DuetRdd *parts[] = {left, right};
    GError *error = NULL;
    g_autoptr(DuetRdd) both = duet_rdd_union(parts, 2, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_rdd_n_partitions(both), 3);
    ASSERT_PARTITIONS(both, "[[1], [2], [3, 4, 5]]");

    g_autoptr(DuetBatch) text = duet_test_batch("value STRING", "[\"a\"]");
    g_autoptr(DuetRdd) strings = duet_rdd_parallelize(context, text, 1);
    DuetRdd *mixed[] = {left, strings};
    CU_ASSERT_PTR_NULL(duet_rdd_union(mixed, 2, &error));
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID);
    g_clear_error(&error);

    g_autoptr(DuetRdd) six = ints(context, "[1, 2, 3, 4, 5, 6]", 6);
    g_autoptr(DuetRdd) three = duet_rdd_coalesce(six, 3, FALSE);
    ASSERT_PARTITIONS(three, "[[1, 2], [3, 4], [5, 6]]");
    g_autoptr(DuetRdd) more = duet_rdd_coalesce(six, 10, FALSE);
    ASSERT_INT_EQ(duet_rdd_n_partitions(more), 6);
    g_autoptr(DuetRdd) four = duet_rdd_coalesce(six, 4, FALSE);
    ASSERT_PARTITIONS(four, "[[1], [2, 3], [4], [5, 6]]");
}

static void
test_map_values_keys_values(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetBatch) batch =
        duet_test_batch("k STRING, v INT", "[[\"a\", 1], [\"b\", 2], [null, 3]]");
    g_autoptr(DuetRdd) pairs = duet_rdd_parallelize(context, batch, 2);
    g_autoptr(DuetDataType) int_type = duet_data_type_new_scalar(DUET_TYPE_INT32);
    GError *error = NULL;
    g_autoptr(DuetRdd) shifted = duet_rdd_map_values(pairs, int_type, plus_ten, NULL, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_RDD(shifted, "[(a,11), (b,12), (null,13)]");
    g_autoptr(DuetRdd) flat =
        duet_rdd_flat_map_values(pairs, int_type, self_and_plus_ten, NULL, &error);
    ASSERT_RDD(flat, "[(a,1), (a,11), (b,2), (b,12), (null,3), (null,13)]");
    g_autoptr(DuetRdd) keys = duet_rdd_keys(pairs);
    ASSERT_RDD(keys, "[a, b, null]");
    g_autoptr(DuetRdd) values = duet_rdd_values(pairs);
    ASSERT_RDD(values, "[1, 2, 3]");

    g_autoptr(DuetRdd) single = ints(context, "[1]", 1);
    CU_ASSERT_PTR_NULL(duet_rdd_map_values(single, int_type, plus_ten, NULL, &error));
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "mapValues needs a pair RDD"));
    g_clear_error(&error);
}

static void
test_sample_and_cartesian(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetRdd) numbers = ints(context, "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", 2);
    g_autoptr(DuetRdd) none = duet_rdd_sample(numbers, 0.0, 7);
    ASSERT_RDD(none, "[]");
    g_autoptr(DuetRdd) all = duet_rdd_sample(numbers, 1.0, 7);
    ASSERT_RDD(all, "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]");
    g_autoptr(DuetRdd) some = duet_rdd_sample(numbers, 0.5, 42);
    g_autofree char *first = duet_test_render_rdd(some);
    g_autofree char *second = duet_test_render_rdd(some);
    ASSERT_STR_EQ(first, second); /* seeded: the same sample every time */

    g_autoptr(DuetRdd) left = ints(context, "[1, 2]", 2);
    g_autoptr(DuetBatch) text = duet_test_batch("value STRING", "[\"a\", \"b\"]");
    g_autoptr(DuetRdd) right = duet_rdd_parallelize(context, text, 1);
    g_autoptr(DuetRdd) product = duet_rdd_cartesian(left, right);
    ASSERT_INT_EQ(duet_rdd_n_partitions(product), 2);
    ASSERT_RDD(product, "[(1,a), (1,b), (2,a), (2,b)]");
}

static void
test_debug_string(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetRdd) numbers = ints(context, "[1, 2]", 2);
    g_autoptr(DuetRdd) evens = duet_rdd_filter(numbers, is_even, NULL);
    g_autofree char *text = duet_rdd_debug_string(evens);
    g_autofree char *expected = g_strdup_printf(
        "(2) MapPartitionsRDD[%u] at filter []\n |  ParallelCollectionRDD[%u] at parallelize []",
        duet_rdd_id(evens), duet_rdd_id(numbers));
    ASSERT_STR_EQ(text, expected);
    /* a shuffle opens a new stage, as in Spark */
    g_autoptr(DuetBatch) batch = duet_test_batch("k STRING, v INT", "[[\"a\", 1]]");
    g_autoptr(DuetRdd) pairs = duet_rdd_parallelize(context, batch, 2);
    g_autoptr(DuetRdd) kept = duet_rdd_filter(pairs, keep_all, NULL);
    g_autoptr(DuetRdd) grouped = duet_rdd_group_by_key(kept, 3, NULL);
    g_autofree char *shuffle_text = duet_rdd_debug_string(grouped);
    g_autofree char *shuffle_expected = g_strdup_printf(
        "(3) ShuffledRDD[%u] at groupByKey []\n +-(2) MapPartitionsRDD[%u] at filter []\n"
        "    |  ParallelCollectionRDD[%u] at parallelize []",
        duet_rdd_id(grouped), duet_rdd_id(kept), duet_rdd_id(pairs));
    ASSERT_STR_EQ(shuffle_text, shuffle_expected);
}

DUET_TEST_MAIN("narrow", DUET_TEST(test_master_strings), DUET_TEST(test_parallelize_slicing),
               DUET_TEST(test_map_filter_flat_map), DUET_TEST(test_map_must_append_one_row),
               DUET_TEST(test_map_partitions_and_glom), DUET_TEST(test_union_and_coalesce),
               DUET_TEST(test_map_values_keys_values), DUET_TEST(test_sample_and_cartesian),
               DUET_TEST(test_debug_string))
