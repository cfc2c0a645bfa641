/* test_checkpoint_file.c — tests of a streaming query's checkpoint (structured/query_log.c,
 * checkpoint_file.c, state_store.c, state_schema.c): Spark's layout
 * (state/<operator>/<partition>/<version>.delta|.snapshot, state/<operator>/_metadata/schema),
 * every kind of checkpoint file damaged every way (truncated, garbage, a newer version, empty,
 * a flipped byte) giving an error that names the file, the restart checks (number of sources,
 * state schema, checkpointed shuffle partitions), and the retention of logs and state
 * (minBatchesToRetain, minDeltasForSnapshot, maintenanceInterval) on the manual clock, with
 * the exact files that remain and the state still recovered from them. A word count on a
 * memory stream into a foreachBatch sink that records each batch. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "rdd/clock.h"
#include "structured/query.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
    DuetContext *context;
    DuetClock *clock; /* manual */
    DuetSource *input;
    GMutex lock;
    GPtrArray *batches; /* rendered (sorted) rows of each batch the sink received */
    char *checkpoint;
} Fixture;

static void
fixture_init(Fixture *fixture, const char *partitions)
{
    GError *error = NULL;
    fixture->context = duet_context_new("local[2]", &error);
    g_assert_no_error(error);
    fixture->clock = duet_clock_new_manual(0);
    duet_context_set_clock(fixture->context, fixture->clock);
    duet_context_set_conf(fixture->context, "spark.sql.shuffle.partitions", partitions);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    fixture->input = duet_memory_source_new(schema);
    g_mutex_init(&fixture->lock);
    fixture->batches = g_ptr_array_new_with_free_func(g_free);
    fixture->checkpoint = duet_test_tmpdir_new();
}

static void
fixture_clear(Fixture *fixture)
{
    duet_test_tmpdir_free(fixture->checkpoint);
    g_ptr_array_unref(fixture->batches);
    g_mutex_clear(&fixture->lock);
    duet_source_unref(fixture->input);
    duet_clock_unref(fixture->clock);
    duet_context_unref(fixture->context);
}

static gboolean
record(DuetBatch *rows, gint64 batch_id, gpointer user_data, GError **error)
{
    Fixture *fixture = user_data;
    g_mutex_lock(&fixture->lock);
    g_ptr_array_add(fixture->batches, duet_test_render_sorted(rows));
    g_mutex_unlock(&fixture->lock);
    return TRUE;
}

/* Starts frame on the fixture's checkpoint; NULL with *error set when the start fails. */
static DuetStreamingQuery *
try_start(Fixture *fixture, DuetDataFrame *frame, DuetOutputMode mode, GError **error)
{
    g_autoptr(DuetSink) sink =
        duet_foreach_batch_sink_new(duet_dataframe_schema(frame), record, fixture);
    return duet_streaming_query_start(fixture->context, frame, sink, mode, fixture->checkpoint,
                                      NULL, NULL, error);
}

static DuetStreamingQuery *
start(Fixture *fixture, DuetDataFrame *frame)
{
    GError *error = NULL;
    DuetStreamingQuery *query = try_start(fixture, frame, DUET_OUTPUT_MODE_UPDATE, &error);
    ASSERT_NO_ERROR(error);
    return query;
}

/* Advances the clock 10 s, adds words as one block and waits for the batch. */
static void
add(Fixture *fixture, DuetStreamingQuery *query, const char *json)
{
    duet_clock_advance_ms(fixture->clock, 10000);
    g_autoptr(DuetBatch) rows = duet_test_batch("value STRING", json);
    duet_memory_source_add(fixture->input, rows);
    GError *error = NULL;
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    ASSERT_NO_ERROR(error);
}

static char *
take_batches(Fixture *fixture)
{
    g_mutex_lock(&fixture->lock);
    GString *out = g_string_new(NULL);
    for (guint index = 0; index < fixture->batches->len; index++)
        g_string_append_printf(out, "%s\n", (char *)fixture->batches->pdata[index]);
    g_ptr_array_set_size(fixture->batches, 0);
    g_mutex_unlock(&fixture->lock);
    return g_string_free(out, FALSE);
}

/* groupBy(key).count() where key is an expression over value. */
static DuetDataFrame *
counts_by(Fixture *fixture, const char *key)
{
    GError *error = NULL;
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture->input);
    const char *const keys[] = {key};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(input, keys, 1, &error);
    ASSERT_NO_ERROR(error);
    DuetDataFrame *counts = duet_grouped_data_count(grouped, &error);
    ASSERT_NO_ERROR(error);
    return counts;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory, sorted, space-separated ("" when it is missing). */
static char *
list_dir(const char *checkpoint, const char *relative)
{
    g_autofree char *directory = g_build_filename(checkpoint, relative, NULL);
    GDir *dir = g_dir_open(directory, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while (dir && (name = g_dir_read_name(dir)) != NULL)
        g_ptr_array_add(names, g_strdup(name));
    if (dir)
        g_dir_close(dir);
    g_ptr_array_sort(names, compare_names);
    g_ptr_array_add(names, NULL);
    char *joined = g_strjoinv(" ", (char **)names->pdata);
    g_ptr_array_unref(names);
    return joined;
}

/* ---- the layout ----------------------------------------------------------------------------- */

static void
test_layout(void)
{
    Fixture fixture;
    fixture_init(&fixture, "3");
    g_autoptr(DuetDataFrame) counts = counts_by(&fixture, "value");
    DuetStreamingQuery *query = start(&fixture, counts);
    add(&fixture, query, "[\"a\", \"b\", \"a\"]");
    add(&fixture, query, "[\"c\"]");
    duet_streaming_query_unref(query);
    g_autofree char *top = list_dir(fixture.checkpoint, "");
    ASSERT_STR_EQ(top, "commits metadata offsets state");
    g_autofree char *operators = list_dir(fixture.checkpoint, "state/0");
    ASSERT_STR_EQ(operators, "0 1 2 _metadata");
    /* every partition has its own delta per version, touched by the batch or not */
    for (guint partition = 0; partition < 3; partition++) {
        g_autofree char *relative = g_strdup_printf("state/0/%u", partition);
        g_autofree char *files = list_dir(fixture.checkpoint, relative);
        ASSERT_STR_EQ(files, "1.delta 2.delta");
    }
    g_autofree char *schema = list_dir(fixture.checkpoint, "state/0/_metadata");
    ASSERT_STR_EQ(schema, "schema");
    g_autofree char *schema_path =
        g_build_filename(fixture.checkpoint, "state", "0", "_metadata", "schema", NULL);
    g_autofree char *schema_text = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(schema_path, &schema_text, NULL, NULL));
    CU_ASSERT_PTR_NOT_NULL(strstr(schema_text, "default\tkey\tvalue\tStringType\ttrue\n"
                                               "default\tvalue\tcount\tLongType\tfalse\n"));
    g_autofree char *batches = take_batches(&fixture);
    ASSERT_STR_EQ(batches, "[(a,2), (b,1)]\n[(c,1)]\n");
    fixture_clear(&fixture);
}

/* ---- damaged files ------------------------------------------------------------------------ */

typedef enum {
    TRUNCATED, /* the first half of the file */
    GARBAGE,   /* bytes that are not a checkpoint file */
    NEWER,     /* a format version above what this build reads */
    EMPTY,     /* zero bytes */
    FLIPPED,   /* the last byte changed */
} Damage;

typedef struct {
    const char *file; /* relative to the checkpoint */
    Damage damage;
    const char *expected; /* a part of the error message (which also names the file) */
} DamageCase;

static const DamageCase damage_cases[] = {
    {"metadata", TRUNCATED, "the query metadata is not valid JSON"},
    {"metadata", GARBAGE, "is not text (binary garbage)"},
    {"metadata", EMPTY, "the query metadata is not a JSON object"},
    {"metadata", FLIPPED, "the query metadata is not valid JSON"},
    {"offsets/2", TRUNCATED, "the batch metadata is not valid JSON"},
    {"offsets/2", GARBAGE, "is not text (binary garbage)"},
    {"offsets/2", NEWER,
     "UnsupportedLogVersion: maximum supported log version is v1, but encountered v2. The log "
     "file was produced by a newer version of Spark and cannot be read by this version. Please "
     "upgrade."},
    {"offsets/2", EMPTY, "Incomplete log file"},
    {"offsets/2", FLIPPED, "the offset of source 0 is not valid JSON"},
    {"commits/2", TRUNCATED, "the commit metadata is not valid JSON"},
    {"commits/2", GARBAGE, "is not text (binary garbage)"},
    {"commits/2", NEWER,
     "UnsupportedLogVersion: maximum supported log version is v1, but "
     "encountered v2."},
    {"commits/2", EMPTY, "Incomplete log file in the offset commit log"},
    {"commits/2", FLIPPED, "the commit metadata is not valid JSON"},
    {"state/0/0/3.delta", TRUNCATED, "is truncated"},
    {"state/0/0/3.delta", GARBAGE, "is not a duet state-delta file"},
    {"state/0/0/3.delta", NEWER,
     "UnsupportedLogVersion: maximum supported log version is v2, "
     "but encountered v3."},
    {"state/0/0/3.delta", EMPTY, "is not a duet state-delta file"},
    {"state/0/0/3.delta", FLIPPED, "fails its checksum"},
    {"state/0/0/2.snapshot", TRUNCATED, "is truncated"},
    {"state/0/0/2.snapshot", GARBAGE, "is not a duet state-snapshot file"},
    {"state/0/0/2.snapshot", NEWER,
     "UnsupportedLogVersion: maximum supported log version is "
     "v2, but encountered v3."},
    {"state/0/0/2.snapshot", EMPTY, "is not a duet state-snapshot file"},
    {"state/0/0/2.snapshot", FLIPPED, "fails its checksum"},
    {"state/0/_metadata/schema", TRUNCATED, "is truncated"},
    {"state/0/_metadata/schema", GARBAGE, "is not a duet state-schema file"},
    {"state/0/_metadata/schema", NEWER,
     "UnsupportedLogVersion: maximum supported log version "
     "is v1, but encountered v2."},
    {"state/0/_metadata/schema", EMPTY, "is not a duet state-schema file"},
    {"state/0/_metadata/schema", FLIPPED, "fails its checksum"},
};

/* Replaces the first " v<N>\n" or "v<N>\n" version mark of text with N + 1. */
static char *
bump_version(const char *text)
{
    const char *mark = g_str_has_prefix(text, "v") ? text : strstr(text, " v");
    g_assert_nonnull(mark);
    const char *digits = mark + (mark[0] == 'v' ? 1 : 2);
    gint64 version = g_ascii_strtoll(digits, NULL, 10);
    const char *rest = digits;
    while (g_ascii_isdigit(*rest))
        rest++;
    return g_strdup_printf("%.*s%" G_GINT64_FORMAT "%s", (int)(digits - text), text, version + 1,
                           rest);
}

static void
damage_file(const char *path, Damage damage)
{
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_autofree char *replaced = NULL;
    switch (damage) {
    case TRUNCATED:
        len /= 2;
        break;
    case GARBAGE:
        replaced = g_strdup("\x01\x02\xff\xfe garbage \x80");
        break;
    case NEWER:
        replaced = bump_version(contents);
        break;
    case EMPTY:
        len = 0;
        break;
    case FLIPPED:
        contents[len - 1] = contents[len - 1] == '}' ? '!' : (char)(contents[len - 1] ^ 0x5a);
        break;
    }
    if (replaced)
        g_assert_true(g_file_set_contents(path, replaced, -1, NULL));
    else
        g_assert_true(g_file_set_contents(path, contents, (gssize)len, NULL));
}

/* A checkpoint after three batches on one partition with a snapshot every second delta:
 * 1.delta 2.delta 2.snapshot 3.delta, offsets and commits 0..2. */
static void
build_checkpoint(Fixture *fixture, DuetDataFrame *counts)
{
    duet_context_set_conf(fixture->context, "spark.sql.streaming.stateStore.minDeltasForSnapshot",
                          "1");
    duet_context_set_conf(fixture->context, "spark.sql.streaming.stateStore.maintenanceInterval",
                          "0");
    DuetStreamingQuery *query = start(fixture, counts);
    add(fixture, query, "[\"a\"]");
    add(fixture, query, "[\"a\", \"b\"]");
    add(fixture, query, "[\"b\"]");
    duet_streaming_query_unref(query);
    g_autofree char *files = list_dir(fixture->checkpoint, "state/0/0");
    ASSERT_STR_EQ(files, "1.delta 2.delta 2.snapshot 3.delta");
}

static void
test_damaged_files(void)
{
    for (guint index = 0; index < G_N_ELEMENTS(damage_cases); index++) {
        const DamageCase *test = &damage_cases[index];
        Fixture fixture;
        fixture_init(&fixture, "1");
        g_autoptr(DuetDataFrame) counts = counts_by(&fixture, "value");
        build_checkpoint(&fixture, counts);
        g_autofree char *path = g_build_filename(fixture.checkpoint, test->file, NULL);
        damage_file(path, test->damage);
        /* the restart fails at start (logs, metadata, schema) or at its first batch (state),
         * naming the file, and no batch reaches the sink */
        g_ptr_array_set_size(fixture.batches, 0);
        GError *error = NULL;
        DuetStreamingQuery *query = try_start(&fixture, counts, DUET_OUTPUT_MODE_UPDATE, &error);
        if (query != NULL) {
            g_autoptr(DuetBatch) rows = duet_test_batch("value STRING", "[\"c\"]");
            duet_memory_source_add(fixture.input, rows);
            CU_ASSERT_FALSE(duet_streaming_query_process_all_available(query, &error));
            duet_streaming_query_unref(query);
        }
        CU_ASSERT_PTR_NOT_NULL(error);
        if (error == NULL)
            fprintf(stderr, "no error for %s damage %d\n", test->file, test->damage);
        if (error != NULL && (strstr(error->message, path) == NULL ||
                              strstr(error->message, test->expected) == NULL)) {
            fprintf(stderr, "%s damage %d: expected \"%s\" and the path in: %s\n", test->file,
                    test->damage, test->expected, error->message);
            CU_FAIL("the error does not name the file and the damage");
        }
        CU_ASSERT_EQUAL(fixture.batches->len, 0);
        g_clear_error(&error);
        fixture_clear(&fixture);
    }
}

/* ---- restart checks ------------------------------------------------------------------------ */

static void
test_changed_number_of_sources(void)
{
    Fixture fixture;
    fixture_init(&fixture, "1");
    g_autoptr(DuetDataFrame) one = duet_dataframe_from_source(fixture.input);
    DuetStreamingQuery *query = start(&fixture, one);
    add(&fixture, query, "[\"a\"]");
    duet_streaming_query_unref(query);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    g_autoptr(DuetSource) other = duet_memory_source_new(schema);
    g_autoptr(DuetDataFrame) second = duet_dataframe_from_source(other);
    GError *error = NULL;
    g_autoptr(DuetDataFrame) both = duet_dataframe_union(one, second, &error);
    ASSERT_NO_ERROR(error);
    query = try_start(&fixture, both, DUET_OUTPUT_MODE_APPEND, &error);
    CU_ASSERT_PTR_NULL(query);
    CU_ASSERT_PTR_NOT_NULL(error);
    if (error) {
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message,
                                      "There are [1] sources in the checkpoint offsets and now "
                                      "there are [2] sources requested by the query. Cannot "
                                      "continue."));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "offsets/0"));
    }
    g_clear_error(&error);
    fixture_clear(&fixture);
}

static void
test_changed_state_schema(void)
{
    Fixture fixture;
    fixture_init(&fixture, "2");
    g_autoptr(DuetDataFrame) counts = counts_by(&fixture, "value");
    DuetStreamingQuery *query = start(&fixture, counts);
    add(&fixture, query, "[\"ab\", \"ab\"]");
    duet_streaming_query_unref(query);
    /* a key of another type: refused, naming the operator and both schemas */
    g_autoptr(DuetDataFrame) by_length = counts_by(&fixture, "length(value) AS value");
    GError *error = NULL;
    query = try_start(&fixture, by_length, DUET_OUTPUT_MODE_UPDATE, &error);
    CU_ASSERT_PTR_NULL(query);
    CU_ASSERT_PTR_NOT_NULL(error);
    if (error) {
        g_autofree char *schema_path =
            g_build_filename(fixture.checkpoint, "state", "0", "_metadata", "schema", NULL);
        g_autofree char *expected = g_strdup_printf(
            "state of stateful operator 0 (StateStoreSaveExec; checkpoint file %s): Provided "
            "schema doesn't match to the schema for existing state! Please note that Spark "
            "allow difference of field name: check count of fields and data type of each "
            "field.\n"
            "- Provided key schema: StructType(StructField(value,IntegerType,true))\n"
            "- Provided value schema: StructType(StructField(count,LongType,false))\n"
            "- Existing key schema: StructType(StructField(value,StringType,true))\n"
            "- Existing value schema: StructType(StructField(count,LongType,false))\n"
            "If you want to force running query without schema validation, please set "
            "spark.sql.streaming.stateStore.stateSchemaCheck to false.\n",
            schema_path);
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, expected));
        if (strstr(error->message, expected) == NULL)
            fprintf(stderr, "%s\n", error->message);
    }
    g_clear_error(&error);
    /* another aggregate (sum instead of count): the value schema changed */
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture.input);
    static const char *const keys[] = {"value"};
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(input, keys, 1, &error);
    static const char *const aggs[] = {"avg(length(value))"};
    g_autoptr(DuetDataFrame) averages = duet_grouped_data_agg_exprv(grouped, aggs, 1, &error);
    ASSERT_NO_ERROR(error);
    query = try_start(&fixture, averages, DUET_OUTPUT_MODE_UPDATE, &error);
    CU_ASSERT_PTR_NULL(query);
    CU_ASSERT_PTR_NOT_NULL(error);
    if (error)
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "- Provided value schema: StructType("
                                                      "StructField(sum,DoubleType,true),"
                                                      "StructField(count,LongType,true))"));
    g_clear_error(&error);
    /* a renamed key is allowed (Spark compares counts and types), and the state carries */
    g_autoptr(DuetDataFrame) renamed = counts_by(&fixture, "value AS word");
    query = start(&fixture, renamed);
    add(&fixture, query, "[\"ab\"]");
    duet_streaming_query_unref(query);
    g_autofree char *batches = take_batches(&fixture);
    ASSERT_STR_EQ(batches, "[(ab,2)]\n[(ab,3)]\n");
    /* with the check off, the changed key type starts (Spark's stateSchemaCheck=false) */
    duet_context_set_conf(fixture.context, "spark.sql.streaming.stateStore.stateSchemaCheck",
                          "false");
    query = try_start(&fixture, by_length, DUET_OUTPUT_MODE_UPDATE, &error);
    ASSERT_NO_ERROR(error);
    duet_streaming_query_unref(query);
    fixture_clear(&fixture);
}

static void
test_shuffle_partitions_from_checkpoint(void)
{
    Fixture fixture;
    fixture_init(&fixture, "2");
    g_autoptr(DuetDataFrame) counts = counts_by(&fixture, "value");
    DuetStreamingQuery *query = start(&fixture, counts);
    add(&fixture, query, "[\"a\", \"b\", \"c\", \"d\"]");
    duet_streaming_query_unref(query);
    /* Spark keeps the checkpointed spark.sql.shuffle.partitions and ignores the new one */
    duet_context_set_conf(fixture.context, "spark.sql.shuffle.partitions", "5");
    query = start(&fixture, counts);
    add(&fixture, query, "[\"a\", \"b\", \"c\", \"d\", \"e\"]");
    duet_streaming_query_unref(query);
    g_autofree char *batches = take_batches(&fixture);
    ASSERT_STR_EQ(batches, "[(a,1), (b,1), (c,1), (d,1)]\n[(a,2), (b,2), (c,2), (d,2), (e,1)]\n");
    g_autofree char *partitions = list_dir(fixture.checkpoint, "state/0");
    ASSERT_STR_EQ(partitions, "0 1 _metadata");
    g_autofree char *offsets_path = g_build_filename(fixture.checkpoint, "offsets", "1", NULL);
    g_autofree char *offsets = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(offsets_path, &offsets, NULL, NULL));
    CU_ASSERT_PTR_NOT_NULL(strstr(offsets, "\"spark.sql.shuffle.partitions\":\"2\""));
    fixture_clear(&fixture);
}

/* A source recreated without its history (a memory stream numbers its offsets from zero again)
 * is behind the checkpoint: the query fails instead of skipping the new rows. */
static void
test_source_behind_checkpoint(void)
{
    Fixture fixture;
    fixture_init(&fixture, "1");
    g_autoptr(DuetDataFrame) counts = counts_by(&fixture, "value");
    DuetStreamingQuery *query = start(&fixture, counts);
    add(&fixture, query, "[\"a\"]");
    add(&fixture, query, "[\"a\"]");
    duet_streaming_query_unref(query);
    g_autofree char *batches = take_batches(&fixture);
    ASSERT_STR_EQ(batches, "[(a,1)]\n[(a,2)]\n");
    duet_source_unref(fixture.input);
    g_autoptr(DuetSchema) schema = duet_schema_parse("value STRING", NULL);
    fixture.input = duet_memory_source_new(schema);
    g_autoptr(DuetDataFrame) again = counts_by(&fixture, "value");
    query = start(&fixture, again);
    g_autoptr(DuetBatch) rows = duet_test_batch("value STRING", "[\"b\"]");
    duet_memory_source_add(fixture.input, rows);
    GError *error = NULL;
    /* the source's latest offset (0) is below the committed one (1), so processAllAvailable
     * has nothing to wait for: the query's own trigger fails it */
    CU_ASSERT_TRUE(duet_streaming_query_await_termination(query, 60000, &error));
    CU_ASSERT_PTR_NOT_NULL(error);
    if (error)
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "is at offset 0, behind the offset 1 the "
                                                      "checkpoint"));
    g_clear_error(&error);
    duet_streaming_query_unref(query);
    CU_ASSERT_EQUAL(fixture.batches->len, 0);
    fixture_clear(&fixture);
}

/* A text file source over directory (young files taken at once). */
static DuetSource *
text_source(Fixture *fixture, const char *directory)
{
    DuetSourceOptions *options = duet_source_options_new();
    duet_source_options_set(options, "path", directory);
    duet_source_options_set(options, "minFileAge", "0");
    GError *error = NULL;
    DuetSource *source = duet_source_new("text", options, NULL, fixture->clock, 2, &error);
    ASSERT_NO_ERROR(error);
    g_hash_table_unref(options);
    return source;
}

static void
write_input(const char *directory, const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(directory, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* Runs the word count over a new file source (as a new process would make) until it has
 * processed what is there. */
static void
run_file_counts(Fixture *fixture, const char *directory)
{
    duet_source_unref(fixture->input);
    fixture->input = text_source(fixture, directory);
    g_autoptr(DuetDataFrame) counts = counts_by(fixture, "value");
    DuetStreamingQuery *query = start(fixture, counts);
    GError *error = NULL;
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    ASSERT_NO_ERROR(error);
    duet_streaming_query_unref(query);
}

/* Spark's FileStreamSourceLog under sources/0/: a file source made anew (a new process) takes
 * the logged file sets back, so a restart neither re-reads old files nor skips new ones, and
 * a batch logged but not committed is re-run with exactly its files. */
static void
test_file_source_log(void)
{
    Fixture fixture;
    fixture_init(&fixture, "2");
    g_autofree char *input = duet_test_tmpdir_new();
    write_input(input, "a.txt", "x\ny\n");
    run_file_counts(&fixture, input);
    g_autofree char *logged = list_dir(fixture.checkpoint, "sources/0");
    ASSERT_STR_EQ(logged, "0");
    g_autofree char *log_path = g_build_filename(fixture.checkpoint, "sources", "0", "0", NULL);
    g_autofree char *log = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(log_path, &log, NULL, NULL));
    g_autofree char *a_path = g_build_filename(input, "a.txt", NULL);
    g_autofree char *entry = g_strdup_printf("v1\n{\"path\":\"file://%s\",\"timestamp\":", a_path);
    CU_ASSERT_TRUE(g_str_has_prefix(log, entry));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, ",\"batchId\":0}"));
    /* a new file while stopped: only it is read after the restart */
    write_input(input, "b.txt", "x\n");
    run_file_counts(&fixture, input);
    g_autofree char *batches = take_batches(&fixture);
    ASSERT_STR_EQ(batches, "[(x,1), (y,1)]\n[(x,2)]\n");
    /* batch 2 logged (offsets/2, sources/0/2) but not committed: re-run with its file only,
     * although another file arrived meanwhile; the new file follows in batch 3 */
    write_input(input, "c.txt", "z\n");
    run_file_counts(&fixture, input);
    g_autofree char *commit = g_build_filename(fixture.checkpoint, "commits", "2", NULL);
    CU_ASSERT_EQUAL(g_remove(commit), 0);
    write_input(input, "d.txt", "x\n");
    g_ptr_array_set_size(fixture.batches, 0);
    run_file_counts(&fixture, input);
    batches = (g_free(batches), take_batches(&fixture));
    ASSERT_STR_EQ(batches, "[(z,1)]\n[(x,3)]\n");
    /* each damage of a log file is an error naming it, and the query does not start */
    static const struct {
        Damage damage;
        const char *expected;
    } damages[] = {
        {TRUNCATED, "line 2 is not a file entry of batch 1 (the file is truncated or damaged)"},
        {GARBAGE, "is not text (binary garbage)"},
        {NEWER, "UnsupportedLogVersion: maximum supported log version is v1, but encountered "
                "v2. The log file was produced by a newer version of Spark"},
        {EMPTY, "Incomplete log file"},
        {FLIPPED, "line 2 is not a file entry of batch 1"},
    };
    g_autofree char *second = g_build_filename(fixture.checkpoint, "sources", "0", "1", NULL);
    g_autofree char *good = NULL;
    gsize good_len = 0;
    CU_ASSERT_TRUE(g_file_get_contents(second, &good, &good_len, NULL));
    for (guint index = 0; index < G_N_ELEMENTS(damages); index++) {
        CU_ASSERT_TRUE(g_file_set_contents(second, good, (gssize)good_len, NULL));
        damage_file(second, damages[index].damage);
        duet_source_unref(fixture.input);
        fixture.input = text_source(&fixture, input);
        g_autoptr(DuetDataFrame) frame = counts_by(&fixture, "value");
        GError *error = NULL;
        DuetStreamingQuery *query = try_start(&fixture, frame, DUET_OUTPUT_MODE_UPDATE, &error);
        CU_ASSERT_PTR_NULL(query);
        CU_ASSERT_PTR_NOT_NULL(error);
        if (error && (strstr(error->message, second) == NULL ||
                      strstr(error->message, damages[index].expected) == NULL)) {
            fprintf(stderr, "damage %d: expected \"%s\" in: %s\n", damages[index].damage,
                    damages[index].expected, error->message);
            CU_FAIL("the error does not name the file and the damage");
        }
        g_clear_error(&error);
        if (query)
            duet_streaming_query_unref(query);
    }
    duet_test_tmpdir_free(g_steal_pointer(&input));
    fixture_clear(&fixture);
}

/* ---- retention ------------------------------------------------------------------------------- */

static void
test_retention(void)
{
    Fixture fixture;
    fixture_init(&fixture, "2");
    duet_context_set_conf(fixture.context, "spark.sql.streaming.minBatchesToRetain", "3");
    duet_context_set_conf(fixture.context, "spark.sql.streaming.stateStore.minDeltasForSnapshot",
                          "2");
    duet_context_set_conf(fixture.context, "spark.sql.streaming.stateStore.maintenanceInterval",
                          "10s");
    g_autoptr(DuetDataFrame) counts = counts_by(&fixture, "value");
    DuetStreamingQuery *query = start(&fixture, counts);
    /* batch b runs at (b + 1) * 10 s and commits state version b + 1; maintenance runs every
     * 10 s from the first batch: a snapshot of version v when v - (the last snapshot) > 2 (at
     * 3 and 6), then the cleanup keeps what versions from v - 3 on need */
    for (guint batch = 0; batch < 8; batch++)
        add(&fixture, query, "[\"a\", \"b\"]");
    duet_streaming_query_unref(query);
    for (guint partition = 0; partition < 2; partition++) {
        g_autofree char *relative = g_strdup_printf("state/0/%u", partition);
        g_autofree char *files = list_dir(fixture.checkpoint, relative);
        ASSERT_STR_EQ(files, "3.delta 3.snapshot 4.delta 5.delta 6.delta 6.snapshot 7.delta "
                             "8.delta");
    }
    /* after offsets/N is written the logs keep the batches from N - 3 */
    g_autofree char *offsets = list_dir(fixture.checkpoint, "offsets");
    ASSERT_STR_EQ(offsets, "4 5 6 7");
    g_autofree char *commits = list_dir(fixture.checkpoint, "commits");
    ASSERT_STR_EQ(commits, "4 5 6 7");
    /* what remains recovers the state: snapshot 6, deltas 7 and 8 */
    g_ptr_array_set_size(fixture.batches, 0);
    query = start(&fixture, counts);
    add(&fixture, query, "[\"a\"]");
    duet_streaming_query_unref(query);
    g_autofree char *batches = take_batches(&fixture);
    ASSERT_STR_EQ(batches, "[(a,9)]\n");
    fixture_clear(&fixture);
}

static void
test_bad_retention_conf(void)
{
    Fixture fixture;
    fixture_init(&fixture, "1");
    g_autoptr(DuetDataFrame) counts = counts_by(&fixture, "value");
    static const char *const confs[][2] = {
        {"spark.sql.streaming.minBatchesToRetain", "0"},
        {"spark.sql.streaming.stateStore.minDeltasForSnapshot", "x"},
        {"spark.sql.streaming.stateStore.maintenanceInterval", "10 parsecs"},
    };
    for (guint index = 0; index < G_N_ELEMENTS(confs); index++) {
        g_autoptr(DuetContext) context = duet_context_new("local[1]", NULL);
        DuetContext *saved = fixture.context;
        fixture.context = context;
        duet_context_set_conf(context, confs[index][0], confs[index][1]);
        GError *error = NULL;
        DuetStreamingQuery *query = try_start(&fixture, counts, DUET_OUTPUT_MODE_UPDATE, &error);
        CU_ASSERT_PTR_NULL(query);
        CU_ASSERT_PTR_NOT_NULL(error);
        if (error)
            CU_ASSERT_PTR_NOT_NULL(strstr(error->message, confs[index][0]));
        g_clear_error(&error);
        fixture.context = saved;
    }
    fixture_clear(&fixture);
}

DUET_TEST_MAIN("structured checkpoint", DUET_TEST(test_layout), DUET_TEST(test_damaged_files),
               DUET_TEST(test_changed_number_of_sources), DUET_TEST(test_changed_state_schema),
               DUET_TEST(test_shuffle_partitions_from_checkpoint),
               DUET_TEST(test_source_behind_checkpoint), DUET_TEST(test_file_source_log),
               DUET_TEST(test_retention), DUET_TEST(test_bad_retention_conf))
