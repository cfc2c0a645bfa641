/* test_checkpoint.c — tests of rdd/checkpoint.c: persist reuses computed partitions,
 * checkpoint truncates lineage and reads back, and damaged checkpoint files give errors that
 * name the file. */
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

static void
counting_plus_one(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    g_atomic_int_inc((gint *)user_data);
    duet_batch_builder_append_int32(out, 0, duet_row_get_int32(row, 0) + 1);
}

static void
test_persist_computes_once(void)
{
    g_autoptr(DuetContext) context = new_context();
    g_autoptr(DuetBatch) batch = duet_test_batch("v INT", "[1, 2, 3]");
    g_autoptr(DuetRdd) numbers = duet_rdd_parallelize(context, batch, 2);
    gint calls = 0;
    g_autoptr(DuetRdd) mapped =
        duet_rdd_map(numbers, duet_rdd_schema(numbers), counting_plus_one, &calls);
    g_autoptr(DuetRdd) persisted = duet_rdd_persist(mapped);
    CU_ASSERT_TRUE(duet_rdd_is_persisted(mapped));
    g_autofree char *first = duet_test_render_rdd(mapped);
    g_autofree char *second = duet_test_render_rdd(mapped);
    ASSERT_STR_EQ(first, "[2, 3, 4]");
    ASSERT_STR_EQ(second, first);
    ASSERT_INT_EQ(calls, 3);
    duet_rdd_unpersist(mapped);
    g_autofree char *third = duet_test_render_rdd(mapped);
    ASSERT_STR_EQ(third, first);
    ASSERT_INT_EQ(calls, 6);
}

static void
add_int32(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int32(a->v.i32 + b->v.i32);
}

static void
test_checkpoint_truncates_lineage(void)
{
    g_autoptr(DuetContext) context = new_context();
    GError *error = NULL;
    g_autoptr(DuetBatch) batch =
        duet_test_batch("k STRING, v INT", "[[\"a\", 1], [\"b\", 2], [\"a\", 3], [null, 4]]");
    g_autoptr(DuetRdd) pairs = duet_rdd_parallelize(context, batch, 2);
    g_autoptr(DuetRdd) sums = duet_rdd_reduce_by_key(pairs, add_int32, NULL, 2, &error);

    CU_ASSERT_FALSE(duet_rdd_checkpoint(sums, &error));
    ASSERT_ERROR(error, DUET_RDD_ERROR, DUET_RDD_ERROR_CHECKPOINT);
    g_clear_error(&error);

    char *dir = duet_test_tmpdir_new();
    CU_ASSERT_TRUE(duet_context_set_checkpoint_dir(context, dir, &error));
    CU_ASSERT_TRUE(duet_rdd_checkpoint(sums, &error));
    CU_ASSERT_FALSE(duet_rdd_is_checkpointed(sums));
    g_autofree char *before = duet_test_render_rdd_sorted(sums);
    ASSERT_STR_EQ(before, "[(a,4), (b,2), (null,4)]");
    CU_ASSERT_TRUE(duet_rdd_is_checkpointed(sums));
    g_autofree char *after = duet_test_render_rdd_sorted(sums);
    ASSERT_STR_EQ(after, before);
    g_autofree char *lineage = duet_rdd_debug_string(sums);
    CU_ASSERT_PTR_NOT_NULL(strstr(lineage, "ReliableCheckpointRDD"));
    CU_ASSERT_PTR_NULL(strstr(lineage, "ParallelCollectionRDD"));

    /* read back from the directory alone, in a new context */
    g_autoptr(DuetContext) other = new_context();
    g_autoptr(DuetRdd) reread =
        duet_rdd_read_checkpoint(other, duet_rdd_checkpoint_path(sums), &error);
    ASSERT_NO_ERROR(error);
    ASSERT_INT_EQ(duet_rdd_n_partitions(reread), 2);
    g_autofree char *reread_text = duet_test_render_rdd_sorted(reread);
    ASSERT_STR_EQ(reread_text, before);
    duet_test_tmpdir_free(dir);
}

static void
test_corrupted_checkpoint_is_reported(void)
{
    g_autoptr(DuetContext) context = new_context();
    GError *error = NULL;
    char *dir = duet_test_tmpdir_new();
    duet_context_set_checkpoint_dir(context, dir, &error);
    g_autoptr(DuetBatch) batch = duet_test_batch("v STRING", "[\"x\", \"y\", \"z\"]");
    g_autoptr(DuetRdd) words = duet_rdd_parallelize(context, batch, 1);
    duet_rdd_checkpoint(words, &error);
    g_autofree char *text = duet_test_render_rdd(words);
    ASSERT_STR_EQ(text, "[x, y, z]");
    const char *path = duet_rdd_checkpoint_path(words);
    g_autofree char *part = g_build_filename(path, "part-00000", NULL);

    /* truncate the partition file: reading it fails and names it */
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_file_get_contents(part, &contents, &len, NULL);
    g_file_set_contents(part, contents, (gssize)(len - 3), NULL);
    g_autoptr(DuetRdd) reread = duet_rdd_read_checkpoint(context, path, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NULL(duet_rdd_collect(reread, &error));
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, part));
    g_clear_error(&error);

    /* garbage metadata */
    g_autofree char *metadata = g_build_filename(path, "_metadata", NULL);
    g_file_set_contents(metadata, "not a checkpoint", -1, NULL);
    CU_ASSERT_PTR_NULL(duet_rdd_read_checkpoint(context, path, &error));
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "_metadata"));
    g_clear_error(&error);

    /* a directory that is not a checkpoint */
    CU_ASSERT_PTR_NULL(duet_rdd_read_checkpoint(context, dir, &error));
    CU_ASSERT_PTR_NOT_NULL(error);
    g_clear_error(&error);
    duet_test_tmpdir_free(dir);
}

DUET_TEST_MAIN("checkpoint", DUET_TEST(test_persist_computes_once),
               DUET_TEST(test_checkpoint_truncates_lineage),
               DUET_TEST(test_corrupted_checkpoint_is_reported))
