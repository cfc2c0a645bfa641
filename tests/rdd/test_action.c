/* test_action.c — tests of rdd/action.c: collect, count, take, first, reduce, fold, foreach,
 * foreachPartition and saveAsTextFile, including empty RDDs and error paths. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"

#include <glib/gstdio.h>

static DuetContext *
new_context(void)
{
    GError *error = NULL;
    DuetContext *context = duet_context_new("local[2]", &error);
    g_assert_no_error(error);
    return context;
}

static DuetRdd *
rdd_of(DuetContext *context, const char *ddl, const char *json, guint partitions)
{
    g_autoptr(DuetBatch) batch = duet_test_batch(ddl, json);
    return duet_rdd_parallelize(context, batch, partitions);
}

static void
add_int32(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int32(a->v.i32 + b->v.i32);
}

static void
concat(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    char *joined = duet_task_scratch_alloc(a->v.str.len + b->v.str.len);
    memcpy(joined, a->v.str.data, a->v.str.len);
    memcpy(joined + a->v.str.len, b->v.str.data, b->v.str.len);
    *out = duet_value_string(joined, a->v.str.len + b->v.str.len);
}

static void
test_collect_count_take_first(void)
{
    g_autoptr(DuetContext) context = new_context();
    GError *error = NULL;
    g_autoptr(DuetRdd) numbers = rdd_of(context, "v INT", "[1, 2, 3, 4, 5, 6, 7]", 4);
    gint64 count = -1;
    CU_ASSERT_TRUE(duet_rdd_count(numbers, &count, &error));
    ASSERT_INT_EQ(count, 7);
    g_autoptr(DuetBatch) three = duet_rdd_take(numbers, 3, &error);
    g_autofree char *three_text = duet_test_render(three);
    ASSERT_STR_EQ(three_text, "[1, 2, 3]");
    g_autoptr(DuetBatch) many = duet_rdd_take(numbers, 100, &error);
    ASSERT_INT_EQ(duet_batch_n_rows(many), 7);
    g_autoptr(DuetBatch) none = duet_rdd_take(numbers, 0, &error);
    ASSERT_INT_EQ(duet_batch_n_rows(none), 0);
    g_autoptr(DuetBatch) first = duet_rdd_first(numbers, &error);
    g_autofree char *first_text = duet_test_render(first);
    ASSERT_STR_EQ(first_text, "[1]");
    ASSERT_NO_ERROR(error);

    g_autoptr(DuetRdd) empty = rdd_of(context, "v INT", "[]", 3);
    CU_ASSERT_TRUE(duet_rdd_count(empty, &count, &error));
    ASSERT_INT_EQ(count, 0);
    CU_ASSERT_PTR_NULL(duet_rdd_first(empty, &error));
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_EMPTY_COLLECTION);
    g_clear_error(&error);
    g_autoptr(DuetBatch) nothing = duet_rdd_collect(empty, &error);
    ASSERT_INT_EQ(duet_batch_n_rows(nothing), 0);
    g_autoptr(DuetRdd) no_partitions = duet_rdd_new_empty(context, duet_rdd_schema(numbers));
    g_autoptr(DuetBatch) still_nothing = duet_rdd_collect(no_partitions, &error);
    ASSERT_INT_EQ(duet_batch_n_rows(still_nothing), 0);
    ASSERT_NO_ERROR(error);
}

static void
test_reduce_and_fold(void)
{
    g_autoptr(DuetContext) context = new_context();
    GError *error = NULL;
    g_autoptr(DuetRdd) numbers = rdd_of(context, "v INT", "[1, 2, 3, 4, 5]", 3);
    g_autoptr(DuetBatch) sum = duet_rdd_reduce(numbers, add_int32, NULL, &error);
    g_autofree char *sum_text = duet_test_render(sum);
    ASSERT_STR_EQ(sum_text, "[15]");
    /* fold adds the zero once per partition and once more on the driver, like Spark */
    DuetValue zero = duet_value_int32(1);
    g_autoptr(DuetBatch) folded = duet_rdd_fold(numbers, &zero, add_int32, NULL, &error);
    g_autofree char *folded_text = duet_test_render(folded);
    ASSERT_STR_EQ(folded_text, "[19]");
    g_autoptr(DuetRdd) words = rdd_of(context, "w STRING", "[\"a\", \"b\", \"c\", \"d\"]", 2);
    g_autoptr(DuetBatch) joined = duet_rdd_reduce(words, concat, NULL, &error);
    g_autofree char *joined_text = duet_test_render(joined);
    ASSERT_STR_EQ(joined_text, "[abcd]");
    ASSERT_NO_ERROR(error);

    g_autoptr(DuetRdd) empty = rdd_of(context, "v INT", "[]", 2);
    CU_ASSERT_PTR_NULL(duet_rdd_reduce(empty, add_int32, NULL, &error));
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_EMPTY_COLLECTION);
    g_clear_error(&error);
    g_autoptr(DuetBatch) folded_empty = duet_rdd_fold(empty, &zero, add_int32, NULL, &error);
    g_autofree char *folded_empty_text = duet_test_render(folded_empty);
    ASSERT_STR_EQ(folded_empty_text, "[3]");
}

static void
count_row(const DuetRow *row, gpointer user_data)
{
    g_atomic_int_add((gint *)user_data, duet_row_get_int32(row, 0));
}

static void
count_partition(GPtrArray *batches, guint partition, gpointer user_data)
{
    g_atomic_int_inc((gint *)user_data);
}

static void
test_foreach(void)
{
    g_autoptr(DuetContext) context = new_context();
    GError *error = NULL;
    g_autoptr(DuetRdd) numbers = rdd_of(context, "v INT", "[1, 2, 3, 4, 5]", 3);
    gint total = 0;
    CU_ASSERT_TRUE(duet_rdd_foreach(numbers, count_row, &total, &error));
    ASSERT_INT_EQ(total, 15);
    gint partitions = 0;
    CU_ASSERT_TRUE(duet_rdd_foreach_partition(numbers, count_partition, &partitions, &error));
    ASSERT_INT_EQ(partitions, 3);
    ASSERT_NO_ERROR(error);
}

static void
test_save_as_text_file(void)
{
    g_autoptr(DuetContext) context = new_context();
    GError *error = NULL;
    char *dir = duet_test_tmpdir_new();
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autoptr(DuetRdd) pairs =
        rdd_of(context, "k STRING, v INT", "[[\"a\", 1], [\"b\", null], [\"c\", 3]]", 2);
    CU_ASSERT_TRUE(duet_rdd_save_as_text_file(pairs, out, &error));
    ASSERT_NO_ERROR(error);
    g_autofree char *part0 = g_build_filename(out, "part-00000", NULL);
    g_autofree char *part1 = g_build_filename(out, "part-00001", NULL);
    g_autofree char *success = g_build_filename(out, "_SUCCESS", NULL);
    g_autofree char *text0 = NULL, *text1 = NULL;
    g_file_get_contents(part0, &text0, NULL, NULL);
    g_file_get_contents(part1, &text1, NULL, NULL);
    ASSERT_STR_EQ(text0, "(a,1)\n");
    ASSERT_STR_EQ(text1, "(b,null)\n(c,3)\n");
    CU_ASSERT_TRUE(g_file_test(success, G_FILE_TEST_EXISTS));
    /* Spark refuses to overwrite an existing output directory */
    CU_ASSERT_FALSE(duet_rdd_save_as_text_file(pairs, out, &error));
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "already exists"));
    g_clear_error(&error);
    duet_test_tmpdir_free(dir);
}

DUET_TEST_MAIN("action", DUET_TEST(test_collect_count_take_first), DUET_TEST(test_reduce_and_fold),
               DUET_TEST(test_foreach), DUET_TEST(test_save_as_text_file))
