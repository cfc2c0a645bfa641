/* test_dstream.c — tests of dstream/: the StreamingContext on a manual clock, inputs,
 * transformations, windows (first partial windows, inverse reduce, empty batches), state over
 * 100+ batches, output text, and Spark's errors. Each batch's output is rendered in Scala's
 * text and compared exactly (sorted where Spark's order is a hash order). */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "dstream/dstream.h"

#include <fcntl.h>
#include <sys/stat.h>

#define BATCH_MS 1000

/* A streaming context on a manual clock at 0, local[2], a checkpoint directory. */
typedef struct {
    DuetContext *spark;
    DuetClock *clock;
    DuetStreamingContext *ssc;
    char *checkpoint_dir;
    GPtrArray *outputs; /* rendered output of each batch, in batch order */
    gboolean sorted;    /* render each batch sorted */
} Harness;

static void
harness_init(Harness *harness, gboolean sorted)
{
    GError *error = NULL;
    harness->spark = duet_context_new("local[2]", &error);
    harness->clock = duet_clock_new_manual(0);
    duet_context_set_clock(harness->spark, harness->clock);
    harness->ssc = duet_streaming_context_new(harness->spark, BATCH_MS, &error);
    g_assert_no_error(error);
    harness->checkpoint_dir = duet_test_tmpdir_new();
    duet_streaming_context_checkpoint(harness->ssc, harness->checkpoint_dir, &error);
    harness->outputs = g_ptr_array_new_with_free_func(g_free);
    harness->sorted = sorted;
}

static void
harness_clear(Harness *harness)
{
    duet_streaming_context_unref(harness->ssc);
    duet_clock_unref(harness->clock);
    duet_context_unref(harness->spark);
    duet_test_tmpdir_free(harness->checkpoint_dir);
    g_ptr_array_unref(harness->outputs);
}

static gboolean
collect_output(DuetRdd *rdd, gint64 time_ms, gpointer user_data, GError **error)
{
    Harness *harness = user_data;
    g_autoptr(DuetBatch) batch = duet_rdd_collect(rdd, error);
    if (batch == NULL)
        return FALSE;
    g_ptr_array_add(harness->outputs,
                    harness->sorted ? duet_test_render_sorted(batch) : duet_test_render(batch));
    return TRUE;
}

/* Runs n batches: advance the clock to each batch time and wait for the batch. */
static void
harness_run(Harness *harness, guint n_batches)
{
    GError *error = NULL;
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(harness->ssc, &error));
    for (guint batch = 1; batch <= n_batches; batch++) {
        duet_clock_set_ms(harness->clock, (gint64)batch * BATCH_MS);
        CU_ASSERT_TRUE(
            duet_streaming_context_await_batch(harness->ssc, (gint64)batch * BATCH_MS, 60000));
    }
}

/* "out1 | out2 | ..." for one comparison. */
static char *
harness_outputs(Harness *harness)
{
    GString *all = g_string_new(NULL);
    for (guint output = 0; output < harness->outputs->len; output++)
        g_string_append_printf(all, "%s%s", output ? " | " : "",
                               (char *)harness->outputs->pdata[output]);
    return g_string_free(all, FALSE);
}

static void
unref_batch_or_null(gpointer data)
{
    if (data != NULL)
        duet_batch_unref(data);
}

/* A prepared-batches input; a NULL batch text stands for "no RDD" at that batch. */
static DuetDStream *
input_of(Harness *harness, const char *ddl, const char *const *batches, guint n, guint partitions)
{
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    GPtrArray *list = g_ptr_array_new_with_free_func(unref_batch_or_null);
    for (guint batch = 0; batch < n; batch++)
        g_ptr_array_add(list, batches[batch] ? duet_test_batch(ddl, batches[batch]) : NULL);
    DuetDStream *stream =
        duet_streaming_context_batches_stream(harness->ssc, schema, list, partitions);
    g_ptr_array_unref(list);
    return stream;
}

#define ASSERT_OUTPUTS(harness, expected)                                                          \
    do {                                                                                           \
        g_autofree char *text_ = harness_outputs(harness);                                         \
        ASSERT_STR_EQ(text_, expected);                                                            \
    } while (0)

/* ---- user functions ---------------------------------------------------------------------- */

static void
to_string(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    char text[16];
    int len = g_snprintf(text, sizeof text, "%d", duet_row_get_int32(row, 0));
    duet_batch_builder_append_string(out, 0, text, len);
}

static void
pair_with_one(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len;
    const char *text = duet_row_get_string(row, 0, &len);
    duet_batch_builder_append_string(out, 0, text, (gssize)len);
    duet_batch_builder_append_int32(out, 1, 1);
}

static void
add(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int32(a->v.i32 + b->v.i32);
}

static void
sub(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int32(a->v.i32 - b->v.i32);
}

static gboolean
value_not_zero(const DuetRow *row, gpointer user_data)
{
    return duet_row_get_int32(row, 1) != 0;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void
test_map_and_first_batch_time(void)
{
    Harness harness;
    harness_init(&harness, FALSE);
    const char *batches[] = {"[1, 2, 3, 4]", "[5, 6, 7, 8]", "[9, 10, 11, 12]"};
    g_autoptr(DuetDStream) input = input_of(&harness, "v INT", batches, 3, 2);
    g_autoptr(DuetSchema) strings = duet_schema_parse("v STRING", NULL);
    g_autoptr(DuetDStream) mapped = duet_dstream_map(input, strings, to_string, NULL);
    duet_dstream_foreach_rdd(mapped, collect_output, &harness);
    harness_run(&harness, 4);
    /* past the end of the input every batch is empty */
    ASSERT_OUTPUTS(&harness, "[1, 2, 3, 4] | [5, 6, 7, 8] | [9, 10, 11, 12] | []");
    GArray *infos = duet_streaming_context_batch_infos(harness.ssc);
    ASSERT_INT_EQ(infos->len, 4);
    ASSERT_INT_EQ(g_array_index(infos, DuetBatchInfo, 0).batch_time_ms, 1000);
    ASSERT_INT_EQ(g_array_index(infos, DuetBatchInfo, 3).batch_time_ms, 4000);
    g_array_unref(infos);
    harness_clear(&harness);
}

static void
test_word_count_and_count(void)
{
    Harness harness;
    harness_init(&harness, TRUE);
    const char *batches[] = {"[\"a\", \"b\", \"a\"]", "[]", "[\"b\"]"};
    g_autoptr(DuetDStream) words = input_of(&harness, "w STRING", batches, 3, 2);
    g_autoptr(DuetSchema) pairs_schema = duet_schema_parse("w STRING, n INT", NULL);
    g_autoptr(DuetDStream) pairs = duet_dstream_map(words, pairs_schema, pair_with_one, NULL);
    GError *error = NULL;
    g_autoptr(DuetDStream) counts = duet_dstream_reduce_by_key(pairs, add, NULL, 0, &error);
    ASSERT_NO_ERROR(error);
    duet_dstream_foreach_rdd(counts, collect_output, &harness);
    g_autoptr(DuetDStream) sizes = duet_dstream_count(words);
    duet_dstream_foreach_rdd(sizes, collect_output, &harness);
    harness_run(&harness, 3);
    /* outputs interleave per batch: word counts, then the batch size (0 for an empty batch) */
    ASSERT_OUTPUTS(&harness, "[(a,2), (b,1)] | [3] | [] | [0] | [(b,1)] | [1]");
    harness_clear(&harness);
}

/* WindowOperationsSuite "window - basic window": window 2 s, slide 1 s over batches 1..6. */
static void
test_window_first_windows_are_partial(void)
{
    Harness harness;
    harness_init(&harness, TRUE);
    const char *batches[] = {"[1]", "[2]", "[3]", "[4]", "[5]", "[6]"};
    g_autoptr(DuetDStream) input = input_of(&harness, "v INT", batches, 6, 2);
    GError *error = NULL;
    g_autoptr(DuetDStream) windowed = duet_dstream_window(input, 2000, 1000, &error);
    ASSERT_NO_ERROR(error);
    duet_dstream_foreach_rdd(windowed, collect_output, &harness);
    harness_run(&harness, 7);
    ASSERT_OUTPUTS(&harness, "[1] | [1, 2] | [2, 3] | [3, 4] | [4, 5] | [5, 6] | [6]");
    harness_clear(&harness);
}

static void
test_window_slide_two(void)
{
    Harness harness;
    harness_init(&harness, TRUE);
    const char *batches[] = {"[1]", "[2]", "[3]", "[4]", "[5]", "[6]"};
    g_autoptr(DuetDStream) input = input_of(&harness, "v INT", batches, 6, 2);
    GError *error = NULL;
    g_autoptr(DuetDStream) windowed = duet_dstream_window(input, 3000, 2000, &error);
    duet_dstream_foreach_rdd(windowed, collect_output, &harness);
    harness_run(&harness, 6);
    /* outputs only at 2 s, 4 s, 6 s; the window (t - 3 s, t] */
    ASSERT_OUTPUTS(&harness, "[1, 2] | [2, 3, 4] | [4, 5, 6]");
    g_autoptr(DuetDStream) bad = duet_dstream_window(input, 1500, 1000, &error);
    CU_ASSERT_PTR_NULL(bad);
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "must be a multiple of the slide duration"));
    g_clear_error(&error);
    harness_clear(&harness);
}

/* WindowOperationsSuite "reduceByKeyAndWindow with inverse function": keys stay at 0. */
static void
test_reduce_by_key_and_window_inverse(void)
{
    Harness harness;
    harness_init(&harness, TRUE);
    const char *batches[] = {"[[\"a\", 1]]", "[[\"a\", 1], [\"b\", 1]]", "[]", "[]"};
    g_autoptr(DuetDStream) input = input_of(&harness, "k STRING, v INT", batches, 4, 2);
    GError *error = NULL;
    g_autoptr(DuetDStream) with_inverse =
        duet_dstream_reduce_by_key_and_window(input, add, sub, 2000, 1000, 0, NULL, NULL, &error);
    ASSERT_NO_ERROR(error);
    duet_dstream_foreach_rdd(with_inverse, collect_output, &harness);
    harness_run(&harness, 4);
    ASSERT_OUTPUTS(&harness, "[(a,1)] | [(a,2), (b,1)] | [(a,1), (b,1)] | [(a,0), (b,0)]");
    harness_clear(&harness);

    /* the same with a filter drops zeros; the naive form never shows absent keys */
    Harness filtered;
    harness_init(&filtered, TRUE);
    g_autoptr(DuetDStream) input2 = input_of(&filtered, "k STRING, v INT", batches, 4, 2);
    g_autoptr(DuetDStream) with_filter = duet_dstream_reduce_by_key_and_window(
        input2, add, sub, 2000, 1000, 0, value_not_zero, NULL, &error);
    duet_dstream_foreach_rdd(with_filter, collect_output, &filtered);
    g_autoptr(DuetDStream) naive =
        duet_dstream_reduce_by_key_and_window(input2, add, NULL, 2000, 1000, 0, NULL, NULL, &error);
    duet_dstream_foreach_rdd(naive, collect_output, &filtered);
    harness_run(&filtered, 4);
    ASSERT_OUTPUTS(&filtered, "[(a,1)] | [(a,1)] | [(a,2), (b,1)] | [(a,2), (b,1)] | "
                              "[(a,1), (b,1)] | [(a,1), (b,1)] | [] | []");
    harness_clear(&filtered);
}

static void
test_count_by_window(void)
{
    Harness harness;
    harness_init(&harness, FALSE);
    const char *batches[] = {"[1]", "[1, 2]", "[]", "[]"};
    g_autoptr(DuetDStream) input = input_of(&harness, "v INT", batches, 4, 2);
    GError *error = NULL;
    g_autoptr(DuetDStream) counts = duet_dstream_count_by_window(input, 2000, 1000, &error);
    ASSERT_NO_ERROR(error);
    duet_dstream_foreach_rdd(counts, collect_output, &harness);
    harness_run(&harness, 4);
    /* built on the inverse form: an empty window after data counts 0 */
    ASSERT_OUTPUTS(&harness, "[1] | [3] | [2] | [0]");
    harness_clear(&harness);
}

static gboolean
running_sum(gint64 time_ms, const DuetValue *key, const DuetValue *values, const DuetValue *state,
            DuetColumnBuilder *new_state, gpointer user_data)
{
    gint32 sum = state->is_null ? 0 : state->v.i32;
    for (gsize value_idx = 0; value_idx < duet_value_list_length(values); value_idx++) {
        DuetValue value;
        duet_value_list_get(values, value_idx, &value);
        sum += value.v.i32;
    }
    duet_column_builder_append_int32(new_state, sum);
    return TRUE;
}

/* updateStateByKey over 120 batches: a running count that crosses several checkpoints. */
static void
test_update_state_by_key_many_batches(void)
{
    Harness harness;
    harness_init(&harness, TRUE);
    const char *pattern[] = {"[[\"a\", 1]]", "[[\"a\", 1], [\"b\", 1]]", "[]"};
    const char *batches[120];
    for (guint batch = 0; batch < 120; batch++)
        batches[batch] = pattern[batch % 3];
    g_autoptr(DuetDStream) input = input_of(&harness, "k STRING, v INT", batches, 120, 2);
    g_autoptr(DuetDataType) int_type = duet_data_type_new_scalar(DUET_TYPE_INT32);
    GError *error = NULL;
    g_autoptr(DuetDStream) state =
        duet_dstream_update_state_by_key(input, int_type, running_sum, NULL, 0, NULL, &error);
    ASSERT_NO_ERROR(error);
    duet_dstream_foreach_rdd(state, collect_output, &harness);
    harness_run(&harness, 120);
    ASSERT_INT_EQ(harness.outputs->len, 120);
    ASSERT_STR_EQ(harness.outputs->pdata[0], "[(a,1)]");
    ASSERT_STR_EQ(harness.outputs->pdata[1], "[(a,2), (b,1)]");
    ASSERT_STR_EQ(harness.outputs->pdata[2], "[(a,2), (b,1)]");
    ASSERT_STR_EQ(harness.outputs->pdata[119], "[(a,80), (b,40)]");
    harness_clear(&harness);
}

static void
test_stateful_needs_checkpoint_dir(void)
{
    GError *error = NULL;
    g_autoptr(DuetContext) spark = duet_context_new("local[2]", &error);
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    duet_context_set_clock(spark, clock);
    g_autoptr(DuetStreamingContext) ssc = duet_streaming_context_new(spark, BATCH_MS, &error);
    g_autoptr(DuetSchema) schema = duet_schema_parse("k STRING, v INT", NULL);
    g_autoptr(DuetDStream) queue = duet_streaming_context_queue_stream(ssc, schema, TRUE, NULL);
    g_autoptr(DuetDataType) int_type = duet_data_type_new_scalar(DUET_TYPE_INT32);
    g_autoptr(DuetDStream) state =
        duet_dstream_update_state_by_key(queue, int_type, running_sum, NULL, 0, NULL, &error);
    duet_dstream_foreach_rdd(state, collect_output, NULL);
    CU_ASSERT_FALSE(duet_streaming_context_start(ssc, &error));
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID);
    ASSERT_STR_EQ(error->message, "The checkpoint directory has not been set. Please set it by "
                                  "StreamingContext.checkpoint().");
    g_clear_error(&error);
}

static void
append_text(const char *text, gpointer user_data)
{
    g_string_append(user_data, text);
}

static void
test_print_and_pprint(void)
{
    Harness harness;
    harness_init(&harness, FALSE);
    const char *batches[] = {"[[\"a\", 1], [\"b\", 2], [\"c\", 3]]"};
    g_autoptr(DuetDStream) input = input_of(&harness, "k STRING, v INT", batches, 1, 1);
    GString *scala = g_string_new(NULL);
    GString *python = g_string_new(NULL);
    duet_dstream_print(input, 2, append_text, scala);
    duet_dstream_pprint(input, 10, append_text, python);
    harness_run(&harness, 2);
    ASSERT_STR_EQ(scala->str, "-------------------------------------------\n"
                              "Time: 1000 ms\n"
                              "-------------------------------------------\n"
                              "(a,1)\n(b,2)\n...\n\n"
                              "-------------------------------------------\n"
                              "Time: 2000 ms\n"
                              "-------------------------------------------\n"
                              "\n");
    ASSERT_STR_EQ(python->str, "-------------------------------------------\n"
                               "Time: 1970-01-01 00:00:01\n"
                               "-------------------------------------------\n"
                               "('a', 1)\n('b', 2)\n('c', 3)\n\n"
                               "-------------------------------------------\n"
                               "Time: 1970-01-01 00:00:02\n"
                               "-------------------------------------------\n"
                               "\n");
    g_string_free(scala, TRUE);
    g_string_free(python, TRUE);
    harness_clear(&harness);
}

/* PySpark's pprint prints each element with print(): a string element is its bare text (str),
 * strings inside a tuple are reprs, a null is None. */
static void
test_pprint_prints_str_of_elements(void)
{
    Harness harness;
    harness_init(&harness, FALSE);
    const char *batches[] = {"[\"to\", \"it's\", null, \"\"]"};
    g_autoptr(DuetDStream) input = input_of(&harness, "w STRING", batches, 1, 1);
    GString *python = g_string_new(NULL);
    duet_dstream_pprint(input, 3, append_text, python);
    harness_run(&harness, 1);
    ASSERT_STR_EQ(python->str, "-------------------------------------------\n"
                               "Time: 1970-01-01 00:00:01\n"
                               "-------------------------------------------\n"
                               "to\nit's\nNone\n...\n\n");
    g_string_free(python, TRUE);
    harness_clear(&harness);
}

/* A null input batch: unary operations have no RDD, union fails the batch as in Spark. */
static void
test_no_rdd_batches(void)
{
    Harness harness;
    harness_init(&harness, FALSE);
    const char *batches[] = {"[1]", NULL, "[3]"};
    g_autoptr(DuetDStream) input = input_of(&harness, "v INT", batches, 3, 1);
    g_autoptr(DuetSchema) strings = duet_schema_parse("v STRING", NULL);
    g_autoptr(DuetDStream) mapped = duet_dstream_map(input, strings, to_string, NULL);
    duet_dstream_foreach_rdd(mapped, collect_output, &harness);
    harness_run(&harness, 3);
    ASSERT_OUTPUTS(&harness, "[1] | [3]");
    GError *error = NULL;
    duet_streaming_context_await_termination(harness.ssc, 0, &error);
    ASSERT_NO_ERROR(error);
    harness_clear(&harness);

    Harness unioned;
    harness_init(&unioned, FALSE);
    g_autoptr(DuetDStream) input2 = input_of(&unioned, "v INT", batches, 3, 1);
    DuetDStream *both[] = {input2, input2};
    g_autoptr(DuetDStream) union_stream = duet_dstream_union(both, 2, &error);
    duet_dstream_foreach_rdd(union_stream, collect_output, &unioned);
    harness_run(&unioned, 3);
    ASSERT_OUTPUTS(&unioned, "[1, 1] | [3, 3]");
    duet_streaming_context_await_termination(unioned.ssc, 0, &error);
    ASSERT_ERROR(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_NO_RDD);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "Could not generate RDD from a parent"));
    g_clear_error(&error);
    harness_clear(&unioned);
}

static void
test_queue_stream(void)
{
    Harness harness;
    harness_init(&harness, FALSE);
    g_autoptr(DuetSchema) schema = duet_schema_parse("v INT", NULL);
    g_autoptr(DuetBatch) first = duet_test_batch("v INT", "[1, 2]");
    g_autoptr(DuetBatch) second = duet_test_batch("v INT", "[3]");
    g_autoptr(DuetRdd) first_rdd = duet_rdd_parallelize(harness.spark, first, 1);
    g_autoptr(DuetRdd) second_rdd = duet_rdd_parallelize(harness.spark, second, 1);
    g_autoptr(DuetDStream) one_at_a_time =
        duet_streaming_context_queue_stream(harness.ssc, schema, TRUE, NULL);
    duet_dstream_queue_push(one_at_a_time, first_rdd);
    duet_dstream_queue_push(one_at_a_time, second_rdd);
    duet_dstream_foreach_rdd(one_at_a_time, collect_output, &harness);
    harness_run(&harness, 3);
    ASSERT_OUTPUTS(&harness, "[1, 2] | [3] | []");
    harness_clear(&harness);
}

/* Writes a file and sets its modification time to a manual-clock time. */
static void
write_file_at(const char *dir, const char *name, const char *text, gint64 mtime_ms)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_file_set_contents(path, text, -1, NULL);
    struct timespec times[2] = {{mtime_ms / 1000, (mtime_ms % 1000) * 1000000},
                                {mtime_ms / 1000, (mtime_ms % 1000) * 1000000}};
    utimensat(AT_FDCWD, path, times, 0);
}

/* textFileStream: files modified in (previous batch, batch] are read once; hidden files, files
 * from before the stream and files from the future wait or are ignored, as in Spark. */
static void
test_text_file_stream(void)
{
    Harness harness;
    harness_init(&harness, TRUE);
    char *dir = duet_test_tmpdir_new();
    g_autoptr(DuetDStream) lines = duet_streaming_context_text_file_stream(harness.ssc, dir);
    duet_dstream_foreach_rdd(lines, collect_output, &harness);
    write_file_at(dir, "old.txt", "old\n", 0); /* not after the stream's creation */
    write_file_at(dir, "a.txt", "x\ny", 500);
    write_file_at(dir, ".hidden", "secret\n", 500);
    write_file_at(dir, "later.txt", "z\r\nw", 1500); /* in the future at batch 1 */
    GError *error = NULL;
    CU_ASSERT_TRUE_FATAL(duet_streaming_context_start(harness.ssc, &error));
    duet_clock_set_ms(harness.clock, 1000);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(harness.ssc, 1000, 60000));
    write_file_at(dir, "a.txt", "x\ny\nmore", 1800); /* already taken: not read again */
    duet_clock_set_ms(harness.clock, 2000);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(harness.ssc, 2000, 60000));
    duet_clock_set_ms(harness.clock, 3000);
    CU_ASSERT_TRUE(duet_streaming_context_await_batch(harness.ssc, 3000, 60000));
    ASSERT_OUTPUTS(&harness, "[x, y] | [w, z] | []");
    harness_clear(&harness);
    duet_test_tmpdir_free(dir);
}

static void
test_save_as_text_files(void)
{
    Harness harness;
    harness_init(&harness, FALSE);
    char *dir = duet_test_tmpdir_new();
    const char *batches[] = {"[[\"a\", 1], [\"b\", 2]]"};
    g_autoptr(DuetDStream) input = input_of(&harness, "k STRING, v INT", batches, 1, 1);
    g_autofree char *prefix = g_build_filename(dir, "out", NULL);
    duet_dstream_save_as_text_files(input, prefix, "txt");
    harness_run(&harness, 2);
    g_autofree char *first = g_strdup_printf("%s-1000.txt/part-00000", prefix);
    g_autofree char *second = g_strdup_printf("%s-2000.txt/part-00000", prefix);
    g_autofree char *first_text = NULL, *second_text = NULL;
    g_file_get_contents(first, &first_text, NULL, NULL);
    g_file_get_contents(second, &second_text, NULL, NULL);
    ASSERT_STR_EQ(first_text, "(a,1)\n(b,2)\n");
    ASSERT_STR_EQ(second_text, "");
    harness_clear(&harness);
    duet_test_tmpdir_free(dir);
}

/* A DStream writing to a shared memory sink: batch ids are batch indexes. */
static void
test_write_to_sink(void)
{
    Harness harness;
    harness_init(&harness, FALSE);
    const char *batches[] = {"[1, 2]", "[3]"};
    g_autoptr(DuetDStream) input = input_of(&harness, "v INT", batches, 2, 2);
    g_autoptr(DuetSink) sink = duet_memory_sink_new(duet_dstream_schema(input));
    duet_dstream_write_to_sink(input, sink);
    harness_run(&harness, 2);
    ASSERT_INT_EQ(duet_sink_latest_batch_id(sink), 1);
    g_autoptr(DuetBatch) all = duet_memory_sink_all_data(sink);
    g_autofree char *text = duet_test_render(all);
    ASSERT_STR_EQ(text, "[1, 2, 3]");
    harness_clear(&harness);
}

DUET_TEST_MAIN("dstream", DUET_TEST(test_write_to_sink), DUET_TEST(test_save_as_text_files),
               DUET_TEST(test_text_file_stream), DUET_TEST(test_map_and_first_batch_time),
               DUET_TEST(test_word_count_and_count),
               DUET_TEST(test_window_first_windows_are_partial), DUET_TEST(test_window_slide_two),
               DUET_TEST(test_reduce_by_key_and_window_inverse), DUET_TEST(test_count_by_window),
               DUET_TEST(test_update_state_by_key_many_batches),
               DUET_TEST(test_stateful_needs_checkpoint_dir), DUET_TEST(test_print_and_pprint),
               DUET_TEST(test_pprint_prints_str_of_elements), DUET_TEST(test_no_rdd_batches),
               DUET_TEST(test_queue_stream))
