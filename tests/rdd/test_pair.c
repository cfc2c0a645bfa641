/* test_pair.c — tests of rdd/pair.c, rdd/join.c, rdd/shuffle.c and rdd/key_map.c: every wide
 * transformation, with nulls, empty and many partitions, skewed keys and a 1M-row input. */
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
rdd_of(DuetContext *context, const char *ddl, const char *json, guint partitions)
{
    g_autoptr(DuetBatch) batch = duet_test_batch(ddl, json);
    return duet_rdd_parallelize(context, batch, partitions);
}

#define ASSERT_RDD_SORTED(rdd, expected)                                                           \
    do {                                                                                           \
        g_autofree char *text_ = duet_test_render_rdd_sorted(rdd);                                 \
        ASSERT_STR_EQ(text_, expected);                                                            \
    } while (0)

#define ASSERT_RDD(rdd, expected)                                                                  \
    do {                                                                                           \
        g_autofree char *text_ = duet_test_render_rdd(rdd);                                        \
        ASSERT_STR_EQ(text_, expected);                                                            \
    } while (0)

static void
add_int32(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int32(a->v.i32 + b->v.i32);
}

static void
add_int64(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

/* PySpark's combineByKey(str, add, add): a string combiner, concatenated. */
static void
to_text(const DuetValue *value, DuetValue *out, gpointer user_data)
{
    char *text = duet_task_scratch_alloc(16);
    int len = g_snprintf(text, 16, "%d", value->v.i32);
    *out = duet_value_string(text, (gsize)len);
}

static void
concat_text(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    char number[16];
    const char *right = b->v.str.data;
    gsize right_len = b->v.str.len;
    if (b->type != DUET_TYPE_STRING) {
        right_len = (gsize)g_snprintf(number, sizeof number, "%d", b->v.i32);
        right = number;
    }
    char *joined = duet_task_scratch_alloc(a->v.str.len + right_len);
    memcpy(joined, a->v.str.data, a->v.str.len);
    memcpy(joined + a->v.str.len, right, right_len);
    *out = duet_value_string(joined, a->v.str.len + right_len);
}

static const char *WORDS =
    "[[\"a\", 1], [\"b\", 1], [\"a\", 1], [\"c\", 1], [\"a\", 1], [\"b\", 1]]";

static void
test_reduce_by_key(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    GError *error = NULL;
    for (guint partitions = 1; partitions <= 5; partitions++) {
        g_autoptr(DuetRdd) pairs = rdd_of(context, "k STRING, v INT", WORDS, partitions);
        g_autoptr(DuetRdd) counts = duet_rdd_reduce_by_key(pairs, add_int32, NULL, 0, &error);
        ASSERT_NO_ERROR(error);
        ASSERT_INT_EQ(duet_rdd_n_partitions(counts), partitions);
        ASSERT_RDD_SORTED(counts, "[(a,3), (b,2), (c,1)]");
        g_autoptr(DuetRdd) seven = duet_rdd_reduce_by_key(pairs, add_int32, NULL, 7, &error);
        ASSERT_INT_EQ(duet_rdd_n_partitions(seven), 7);
        ASSERT_RDD_SORTED(seven, "[(a,3), (b,2), (c,1)]");
    }
    /* null keys group together; an empty input gives nothing */
    g_autoptr(DuetRdd) nulls =
        rdd_of(context, "k STRING, v INT", "[[null, 1], [\"x\", 2], [null, 3]]", 2);
    g_autoptr(DuetRdd) null_counts = duet_rdd_reduce_by_key(nulls, add_int32, NULL, 3, &error);
    ASSERT_RDD_SORTED(null_counts, "[(null,4), (x,2)]");
    g_autoptr(DuetRdd) empty = rdd_of(context, "k STRING, v INT", "[]", 3);
    g_autoptr(DuetRdd) empty_counts = duet_rdd_reduce_by_key(empty, add_int32, NULL, 0, &error);
    ASSERT_RDD(empty_counts, "[]");
    /* integer keys of different widths meet */
    g_autoptr(DuetRdd) longs =
        rdd_of(context, "k BIGINT, v BIGINT", "[[1, 10], [2, 20], [1, 5]]", 2);
    g_autoptr(DuetRdd) long_sums = duet_rdd_reduce_by_key(longs, add_int64, NULL, 2, &error);
    ASSERT_RDD_SORTED(long_sums, "[(1,15), (2,20)]");
    /* not a pair RDD */
    g_autoptr(DuetRdd) single = rdd_of(context, "v INT", "[1]", 1);
    CU_ASSERT_PTR_NULL(duet_rdd_reduce_by_key(single, add_int32, NULL, 0, &error));
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID);
    g_clear_error(&error);
}

static void
test_group_and_combine(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    GError *error = NULL;
    g_autoptr(DuetRdd) pairs =
        rdd_of(context, "k STRING, v INT", "[[\"a\", 1], [\"b\", 2], [\"a\", 3], [\"a\", 4]]", 1);
    g_autoptr(DuetRdd) groups = duet_rdd_group_by_key(pairs, 3, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_RDD_SORTED(groups, "[(a,CompactBuffer(1, 3, 4)), (b,CompactBuffer(2))]");

    g_autoptr(DuetDataType) string_type = duet_data_type_new_scalar(DUET_TYPE_STRING);
    g_autoptr(DuetRdd) combined = duet_rdd_combine_by_key(pairs, string_type, to_text, concat_text,
                                                          concat_text, NULL, 2, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_RDD_SORTED(combined, "[(a,134), (b,2)]");

    DuetValue zero = duet_value_int32(100);
    g_autoptr(DuetDataType) int_type = duet_data_type_new_scalar(DUET_TYPE_INT32);
    g_autoptr(DuetRdd) aggregated =
        duet_rdd_aggregate_by_key(pairs, &zero, int_type, add_int32, add_int32, NULL, 2, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_RDD_SORTED(aggregated, "[(a,108), (b,102)]");
}

static void
test_count_by_value_and_distinct(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetRdd) words =
        rdd_of(context, "w STRING", "[\"a\", \"b\", \"a\", null, \"a\", null]", 3);
    g_autoptr(DuetRdd) counts = duet_rdd_count_by_value(words, 0);
    ASSERT_RDD_SORTED(counts, "[(a,3), (b,1), (null,2)]");
    g_autoptr(DuetRdd) unique = duet_rdd_distinct(words, 2);
    ASSERT_RDD_SORTED(unique, "[a, b, null]");
    g_autoptr(DuetRdd) pairs =
        rdd_of(context, "k STRING, v INT", "[[\"a\", 1], [\"a\", 1], [\"a\", 2]]", 2);
    g_autoptr(DuetRdd) unique_pairs = duet_rdd_distinct(pairs, 0);
    ASSERT_RDD_SORTED(unique_pairs, "[(a,1), (a,2)]");
    g_autoptr(DuetRdd) pair_counts = duet_rdd_count_by_value(pairs, 0);
    ASSERT_RDD_SORTED(pair_counts, "[((a,1),2), ((a,2),1)]");
}

static void
test_joins(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    GError *error = NULL;
    g_autoptr(DuetRdd) left =
        rdd_of(context, "k STRING, v INT", "[[\"a\", 1], [\"b\", 2], [\"a\", 3]]", 2);
    g_autoptr(DuetRdd) right = rdd_of(context, "k STRING, w STRING",
                                      "[[\"a\", \"x\"], [\"c\", \"y\"], [\"a\", \"z\"]]", 1);
    g_autoptr(DuetRdd) inner = duet_rdd_join(left, right, 0, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_RDD_SORTED(inner, "[(a,(1,x)), (a,(1,z)), (a,(3,x)), (a,(3,z))]");
    g_autoptr(DuetRdd) left_outer = duet_rdd_left_outer_join(left, right, 3, &error);
    ASSERT_RDD_SORTED(left_outer, "[(a,(1,x)), (a,(1,z)), (a,(3,x)), (a,(3,z)), (b,(2,null))]");
    g_autoptr(DuetRdd) right_outer = duet_rdd_right_outer_join(left, right, 1, &error);
    ASSERT_RDD_SORTED(right_outer, "[(a,(1,x)), (a,(1,z)), (a,(3,x)), (a,(3,z)), (c,(null,y))]");
    g_autoptr(DuetRdd) full = duet_rdd_full_outer_join(left, right, 4, &error);
    ASSERT_RDD_SORTED(full, "[(a,(1,x)), (a,(1,z)), (a,(3,x)), (a,(3,z)), (b,(2,null)), "
                            "(c,(null,y))]");
    ASSERT_NO_ERROR(error);

    DuetRdd *sides[] = {left, right};
    g_autoptr(DuetRdd) grouped = duet_rdd_cogroup(sides, 2, 2, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_RDD_SORTED(grouped, "[(a,(CompactBuffer(1, 3),CompactBuffer(x, z))), "
                               "(b,(CompactBuffer(2),CompactBuffer())), "
                               "(c,(CompactBuffer(),CompactBuffer(y)))]");

    g_autoptr(DuetRdd) empty = rdd_of(context, "k STRING, w STRING", "[]", 2);
    g_autoptr(DuetRdd) nothing = duet_rdd_join(left, empty, 0, &error);
    ASSERT_RDD(nothing, "[]");

    g_autoptr(DuetRdd) int_keys = rdd_of(context, "k INT, v INT", "[[1, 1]]", 1);
    CU_ASSERT_PTR_NULL(duet_rdd_join(left, int_keys, 0, &error));
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "keys of one type"));
    g_clear_error(&error);
}

static void
test_partition_by_and_repartition(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    GError *error = NULL;
    g_autoptr(DuetRdd) pairs =
        rdd_of(context, "k INT, v INT", "[[1, 1], [2, 2], [3, 3], [1, 4], [2, 5], [3, 6]]", 2);
    g_autoptr(DuetRdd) by_key = duet_rdd_partition_by(pairs, 3, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_rdd_n_partitions(by_key), 3);
    /* every key lands in exactly one partition */
    GPtrArray *partitions = duet_rdd_collect_partitions(by_key, &error);
    ASSERT_NO_ERROR(error);
    for (gint32 key = 1; key <= 3; key++) {
        guint holders = 0;
        for (guint partition = 0; partition < partitions->len; partition++) {
            DuetBatch *batch = g_ptr_array_index(partitions, partition);
            gboolean has = FALSE;
            for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
                DuetRow row = duet_batch_row(batch, row_idx);
                has |= duet_row_get_int32(&row, 0) == key;
            }
            holders += has;
        }
        ASSERT_INT_EQ(holders, 1);
    }
    g_ptr_array_unref(partitions);
    /* an equal partitioner is a no-op, as in Spark */
    g_autoptr(DuetRdd) again = duet_rdd_partition_by(by_key, 3, &error);
    CU_ASSERT_PTR_EQUAL(again, by_key);

    g_autoptr(DuetRdd) numbers = rdd_of(context, "v INT", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", 2);
    g_autoptr(DuetRdd) five = duet_rdd_repartition(numbers, 5);
    ASSERT_INT_EQ(duet_rdd_n_partitions(five), 5);
    ASSERT_RDD_SORTED(five, "[1, 10, 2, 3, 4, 5, 6, 7, 8, 9]");
    GPtrArray *spread = duet_rdd_collect_partitions(five, &error);
    for (guint partition = 0; partition < spread->len; partition++)
        ASSERT_INT_EQ(duet_batch_n_rows(g_ptr_array_index(spread, partition)), 2);
    g_ptr_array_unref(spread);
}

static void
test_sort_by_key(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    GError *error = NULL;
    g_autoptr(DuetRdd) pairs = rdd_of(
        context, "k INT, v STRING",
        "[[5, \"e\"], [1, \"a\"], [4, \"d\"], [2, \"b\"], [3, \"c\"], [1, \"z\"], [null, \"n\"]]",
        3);
    g_autoptr(DuetRdd) ascending = duet_rdd_sort_by_key(pairs, TRUE, 2, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_RDD(ascending, "[(null,n), (1,a), (1,z), (2,b), (3,c), (4,d), (5,e)]");
    g_autoptr(DuetRdd) descending = duet_rdd_sort_by_key(pairs, FALSE, 3, &error);
    ASSERT_RDD(descending, "[(5,e), (4,d), (3,c), (2,b), (1,a), (1,z), (null,n)]");
    g_autoptr(DuetRdd) empty = rdd_of(context, "k INT, v STRING", "[]", 2);
    g_autoptr(DuetRdd) empty_sorted = duet_rdd_sort_by_key(empty, TRUE, 2, &error);
    ASSERT_RDD(empty_sorted, "[]");
}

/* 1M rows, 1000 keys of which one holds half the rows: exact sums. */
static void
test_million_rows_skewed(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetSchema) schema = duet_schema_parse("k BIGINT, v BIGINT", NULL);
    const gsize n_rows = 1000000;
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, n_rows);
    for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
        gint64 key = row_idx % 2 == 0 ? 0 : (gint64)(row_idx % 999) + 1;
        duet_batch_builder_append_int64(builder, 0, key);
        duet_batch_builder_append_int64(builder, 1, 1);
    }
    GError *error = NULL;
    g_autoptr(DuetBatch) batch = duet_batch_builder_finish(builder, &error);
    duet_batch_builder_free(builder);
    g_autoptr(DuetRdd) pairs = duet_rdd_parallelize(context, batch, 8);
    g_autoptr(DuetRdd) sums = duet_rdd_reduce_by_key(pairs, add_int64, NULL, 4, &error);
    g_autoptr(DuetBatch) result = duet_rdd_collect(sums, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_batch_n_rows(result), 1000);
    gint64 total = 0, zero_count = -1;
    for (gsize row_idx = 0; row_idx < duet_batch_n_rows(result); row_idx++) {
        DuetRow row = duet_batch_row(result, row_idx);
        total += duet_row_get_int64(&row, 1);
        if (duet_row_get_int64(&row, 0) == 0)
            zero_count = duet_row_get_int64(&row, 1);
    }
    ASSERT_INT_EQ(total, (gint64)n_rows);
    ASSERT_INT_EQ(zero_count, (gint64)n_rows / 2);
    gint64 groups = 0;
    g_autoptr(DuetRdd) grouped = duet_rdd_group_by_key(pairs, 3, &error);
    duet_rdd_count(grouped, &groups, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(groups, 1000);
}

/* Large enough for the radix-partitioned combine: short, long (> 16 bytes) and null string
 * keys, checked against counts computed here. */
static void
test_radix_combine_string_keys(void)
{
    g_autoptr(DuetContext) context = new_context("local[2]");
    g_autoptr(DuetSchema) schema = duet_schema_parse("k STRING, v BIGINT", NULL);
    const gsize n_rows = 300000;
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, n_rows);
    gint64 expected_null = 0, expected_long_7 = 0, expected_short_7 = 0;
    for (gsize row_idx = 0; row_idx < n_rows; row_idx++) {
        guint key = (guint)(row_idx * 2654435761u % 5000);
        if (key == 0) {
            duet_batch_builder_append_null(builder, 0);
            expected_null += 1;
        } else {
            char text[64];
            int len = key % 2 ? g_snprintf(text, sizeof text, "a-rather-long-key-number-%u", key)
                              : g_snprintf(text, sizeof text, "k%u", key);
            duet_batch_builder_append_string(builder, 0, text, len);
            expected_long_7 += key == 7;
            expected_short_7 += key == 8;
        }
        duet_batch_builder_append_int64(builder, 1, 1);
    }
    GError *error = NULL;
    g_autoptr(DuetBatch) batch = duet_batch_builder_finish(builder, &error);
    duet_batch_builder_free(builder);
    g_autoptr(DuetRdd) pairs = duet_rdd_parallelize(context, batch, 2);
    g_autoptr(DuetRdd) sums = duet_rdd_reduce_by_key(pairs, add_int64, NULL, 3, &error);
    g_autoptr(DuetBatch) result = duet_rdd_collect(sums, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_batch_n_rows(result), 5000);
    gint64 total = 0, got_null = -1, got_long_7 = -1, got_short_8 = -1;
    for (gsize row_idx = 0; row_idx < duet_batch_n_rows(result); row_idx++) {
        DuetRow row = duet_batch_row(result, row_idx);
        gint64 count = duet_row_get_int64(&row, 1);
        total += count;
        if (duet_row_is_null(&row, 0)) {
            got_null = count;
            continue;
        }
        gsize len;
        const char *key = duet_row_get_string(&row, 0, &len);
        if (len == strlen("a-rather-long-key-number-7") &&
            memcmp(key, "a-rather-long-key-number-7", len) == 0)
            got_long_7 = count;
        if (len == 2 && memcmp(key, "k8", 2) == 0)
            got_short_8 = count;
    }
    ASSERT_INT_EQ(total, (gint64)n_rows);
    ASSERT_INT_EQ(got_null, expected_null);
    ASSERT_INT_EQ(got_long_7, expected_long_7);
    ASSERT_INT_EQ(got_short_8, expected_short_7);
}

DUET_TEST_MAIN("pair", DUET_TEST(test_radix_combine_string_keys), DUET_TEST(test_reduce_by_key),
               DUET_TEST(test_group_and_combine), DUET_TEST(test_count_by_value_and_distinct),
               DUET_TEST(test_joins), DUET_TEST(test_partition_by_and_repartition),
               DUET_TEST(test_sort_by_key), DUET_TEST(test_million_rows_skewed))
