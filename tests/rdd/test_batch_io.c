/* test_batch_io.c — tests of rdd/batch_io.c: round trips of every type (slices included),
 * several batches in one buffer, and damaged input at every truncation point and as garbage,
 * which must be an error and never a crash. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "rdd/batch_io.h"

static const char *DDL =
    "b BOOLEAN, i INT, l BIGINT, d DOUBLE, s STRING, t TIMESTAMP, xs ARRAY<STRING>, "
    "p STRUCT<a: INT, b: STRING>, m MAP<STRING, BIGINT>";
static const char *ROWS = "[[true, 1, 2, 1.5, \"x\", 3, [\"a\", null], [1, \"y\"], [[\"k\", 9]]], "
                          " [null, null, null, null, null, null, null, null, null], "
                          " [false, -1, -2, -0.5, \"\", -3, [], [null, null], []]]";

static DuetBatch *
round_trip(DuetBatch *batch)
{
    GByteArray *bytes = g_byte_array_new();
    duet_batch_serialize(batch, bytes);
    gsize offset = 0;
    GError *error = NULL;
    DuetBatch *back = duet_batch_deserialize(bytes->data, bytes->len, &offset, &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(offset, bytes->len);
    g_byte_array_unref(bytes);
    return back;
}

static void
test_round_trip_every_type(void)
{
    g_autoptr(DuetBatch) batch = duet_test_batch(DDL, ROWS);
    g_autoptr(DuetBatch) back = round_trip(batch);
    CU_ASSERT_TRUE(duet_batch_equal(batch, back));
    g_autofree char *before = duet_test_render(batch);
    g_autofree char *after = duet_test_render(back);
    ASSERT_STR_EQ(after, before);
    /* a slice writes only its window */
    g_autoptr(DuetBatch) slice = duet_batch_slice(batch, 1, 2);
    g_autoptr(DuetBatch) slice_back = round_trip(slice);
    CU_ASSERT_TRUE(duet_batch_equal(slice, slice_back));
    g_autoptr(DuetSchema) schema = duet_schema_parse(DDL, NULL);
    g_autoptr(DuetBatch) empty = duet_batch_new_empty(schema);
    g_autoptr(DuetBatch) empty_back = round_trip(empty);
    ASSERT_INT_EQ(duet_batch_n_rows(empty_back), 0);
}

static void
test_several_batches_in_one_buffer(void)
{
    g_autoptr(DuetBatch) first = duet_test_batch("a INT", "[1, 2, 3]");
    g_autoptr(DuetBatch) second = duet_test_batch("s STRING", "[\"x\"]");
    GByteArray *bytes = g_byte_array_new();
    duet_batch_serialize(first, bytes);
    duet_batch_serialize(second, bytes);
    gsize offset = 0;
    g_autoptr(DuetBatch) one = duet_batch_deserialize(bytes->data, bytes->len, &offset, NULL);
    g_autoptr(DuetBatch) two = duet_batch_deserialize(bytes->data, bytes->len, &offset, NULL);
    CU_ASSERT_TRUE(duet_batch_equal(one, first));
    CU_ASSERT_TRUE(duet_batch_equal(two, second));
    ASSERT_INT_EQ(offset, bytes->len);
    g_byte_array_unref(bytes);
}

static void
test_every_truncation_is_an_error(void)
{
    g_autoptr(DuetBatch) batch = duet_test_batch(DDL, ROWS);
    GByteArray *bytes = g_byte_array_new();
    duet_batch_serialize(batch, bytes);
    for (gsize len = 0; len < bytes->len; len++) {
        gsize offset = 0;
        GError *error = NULL;
        DuetBatch *back = duet_batch_deserialize(bytes->data, len, &offset, &error);
        CU_ASSERT_PTR_NULL(back);
        ASSERT_ERROR(error, DUET_BATCH_ERROR, DUET_BATCH_ERROR_CORRUPT);
        g_clear_error(&error);
        ASSERT_INT_EQ(offset, 0);
    }
    g_byte_array_unref(bytes);
}

/* Random bytes, and single-byte corruptions of a valid encoding: never a crash. */
static void
test_garbage_never_crashes(void)
{
    GRand *random = g_rand_new_with_seed(1234);
    for (int round = 0; round < 2000; round++) {
        guint8 garbage[256];
        gsize len = (gsize)g_rand_int_range(random, 0, sizeof garbage);
        for (gsize byte = 0; byte < len; byte++)
            garbage[byte] = (guint8)g_rand_int(random);
        gsize offset = 0;
        GError *error = NULL;
        DuetBatch *back = duet_batch_deserialize(garbage, len, &offset, &error);
        if (back != NULL)
            duet_batch_unref(back);
        g_clear_error(&error);
    }
    g_autoptr(DuetBatch) batch = duet_test_batch(DDL, ROWS);
    GByteArray *bytes = g_byte_array_new();
    duet_batch_serialize(batch, bytes);
    for (gsize position = 0; position < bytes->len; position++) {
        guint8 saved = bytes->data[position];
        bytes->data[position] ^= (guint8)g_rand_int_range(random, 1, 256);
        gsize offset = 0;
        GError *error = NULL;
        DuetBatch *back = duet_batch_deserialize(bytes->data, bytes->len, &offset, &error);
        if (back != NULL) {
            g_autofree char *text = duet_test_render(back); /* readable, whatever it holds */
            duet_batch_unref(back);
        }
        g_clear_error(&error);
        bytes->data[position] = saved;
    }
    g_byte_array_unref(bytes);
    g_rand_free(random);
}

DUET_TEST_MAIN("batch_io", DUET_TEST(test_round_trip_every_type),
               DUET_TEST(test_several_batches_in_one_buffer),
               DUET_TEST(test_every_truncation_is_an_error), DUET_TEST(test_garbage_never_crashes))
