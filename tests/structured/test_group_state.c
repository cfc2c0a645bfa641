/* test_group_state.c — tests of structured/group_state.c: groupByKey + mapGroupsWithState /
 * flatMapGroupsWithState. A running count per key in Update mode (with remove()), a
 * multi-column key, sessions that time out on processing time (a ProcessingTime trigger on
 * the manual clock) and survive a restart from the checkpoint with their timeouts, event-time
 * timeouts under a watermark (late rows dropped), every GroupState error, a failing function,
 * and the output-mode checker's rules. Queries run on a memory stream into a foreachBatch sink
 * that records each batch, so every assertion is about exact rows per batch. */
#include "tests/common/batch_literal.h"
#include "tests/common/test.h"
#include "structured/group_state.h"
#include "structured/query.h"
#include "structured/sql_parser.h"

typedef struct {
    DuetContext *context;
    DuetSource *input;
    DuetClock *clock; /* manual, or NULL */
    GMutex lock;
    GPtrArray *batches; /* rendered (sorted) rows of each batch the sink received */
    GPtrArray *notes;   /* what probe functions observed ("key: message") */
    char *checkpoint;
} Fixture;

static void
fixture_init(Fixture *fixture, const char *ddl, const char *partitions, gboolean manual_clock)
{
    GError *error = NULL;
    fixture->context = duet_context_new("local[2]", &error);
    g_assert_no_error(error);
    duet_context_set_conf(fixture->context, "spark.sql.shuffle.partitions", partitions);
    fixture->clock = manual_clock ? duet_clock_new_manual(0) : NULL;
    if (fixture->clock)
        duet_context_set_clock(fixture->context, fixture->clock);
    g_autoptr(DuetSchema) schema = duet_schema_parse(ddl, NULL);
    fixture->input = duet_memory_source_new(schema);
    g_mutex_init(&fixture->lock);
    fixture->batches = g_ptr_array_new_with_free_func(g_free);
    fixture->notes = g_ptr_array_new_with_free_func(g_free);
    fixture->checkpoint = duet_test_tmpdir_new();
}

static void
fixture_clear(Fixture *fixture)
{
    duet_test_tmpdir_free(fixture->checkpoint);
    g_ptr_array_unref(fixture->batches);
    g_ptr_array_unref(fixture->notes);
    g_mutex_clear(&fixture->lock);
    duet_source_unref(fixture->input);
    duet_context_unref(fixture->context);
    if (fixture->clock)
        duet_clock_unref(fixture->clock);
}

static void
note(Fixture *fixture, char *text)
{
    g_mutex_lock(&fixture->lock);
    g_ptr_array_add(fixture->notes, text);
    g_mutex_unlock(&fixture->lock);
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

static DuetStreamingQuery *
try_start(Fixture *fixture, DuetDataFrame *frame, DuetOutputMode mode, const DuetTrigger *trigger,
          GError **error)
{
    g_autoptr(DuetSink) sink =
        duet_foreach_batch_sink_new(duet_dataframe_schema(frame), record, fixture);
    return duet_streaming_query_start(fixture->context, frame, sink, mode, fixture->checkpoint,
                                      trigger, NULL, error);
}

static DuetStreamingQuery *
start(Fixture *fixture, DuetDataFrame *frame, DuetOutputMode mode, const DuetTrigger *trigger)
{
    GError *error = NULL;
    DuetStreamingQuery *query = try_start(fixture, frame, mode, trigger, &error);
    ASSERT_NO_ERROR(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(query);
    return query;
}

static void
push(Fixture *fixture, const char *ddl, const char *json)
{
    g_autoptr(DuetBatch) rows = duet_test_batch(ddl, json);
    duet_memory_source_add(fixture->input, rows);
}

/* Adds rows as one block and waits until it (and any no-data batch) is processed. */
static void
add(Fixture *fixture, DuetStreamingQuery *query, const char *ddl, const char *json)
{
    push(fixture, ddl, json);
    GError *error = NULL;
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    ASSERT_NO_ERROR(error);
    g_clear_error(&error);
}

/* Waits until the query blocks on the manual clock, advances it by ms, and waits until the
 * query blocks again (Spark's AdvanceManualClock). */
static void
tick(Fixture *fixture, DuetStreamingQuery *query, gint64 ms)
{
    gint64 now = duet_clock_now_ms(fixture->clock);
    CU_ASSERT_TRUE(duet_streaming_query_await_waiting_at(query, now, 30000));
    duet_clock_advance_ms(fixture->clock, ms);
    CU_ASSERT_TRUE(duet_streaming_query_await_waiting_at(query, now + ms, 30000));
}

/* The batches recorded so far, one per line, and forgets them. */
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

static gint
compare_notes(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* The notes so far, sorted, one per line. */
static char *
take_notes(Fixture *fixture)
{
    g_mutex_lock(&fixture->lock);
    g_ptr_array_sort(fixture->notes, compare_notes);
    GString *out = g_string_new(NULL);
    for (guint index = 0; index < fixture->notes->len; index++)
        g_string_append_printf(out, "%s\n", (char *)fixture->notes->pdata[index]);
    g_ptr_array_set_size(fixture->notes, 0);
    g_mutex_unlock(&fixture->lock);
    return g_string_free(out, FALSE);
}

static const DuetStateOperatorProgress *
last_operator(DuetStreamingQuery *query, DuetQueryProgress **progress)
{
    *progress = duet_streaming_query_last_progress(query);
    CU_ASSERT_PTR_NOT_NULL_FATAL(*progress);
    CU_ASSERT_FATAL((*progress)->state_operators->len == 1);
    return (*progress)->state_operators->pdata[0];
}

static char *
key_text(const DuetValue *key)
{
    return g_strndup(key->v.str.data, key->v.str.len);
}

static gboolean
append_key_and_count(DuetBatchBuilder *out, const DuetValue *key, gint64 count)
{
    duet_column_builder_append_value(duet_batch_builder_column(out, 0), key);
    duet_batch_builder_append_int64(out, 1, count);
    return TRUE;
}

static DuetKeyGroupedData *
by_key(DuetDataFrame *frame)
{
    static const char *const keys[] = {"key"};
    GError *error = NULL;
    DuetKeyGroupedData *grouped = duet_group_state_group_by_key(frame, keys, 1, &error);
    ASSERT_NO_ERROR(error);
    return grouped;
}

/* ---- a running count (mapGroupsWithState, Update) ---------------------------------------- */

/* count += rows; a negative value among the rows removes the state (and answers 0). */
static gboolean
running_count(const DuetValue *key, GPtrArray *rows, DuetGroupState *state, DuetBatchBuilder *out,
              gpointer user_data, GError **error)
{
    gint64 count = 0;
    gboolean reset = FALSE;
    for (guint index = 0; index < rows->len; index++) {
        DuetBatch *batch = rows->pdata[index];
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++) {
            count++;
            reset |= duet_column_get_int32(duet_batch_column(batch, 1), row) < 0;
        }
    }
    if (duet_group_state_exists(state)) {
        DuetValue saved;
        if (!duet_group_state_get(state, &saved, error))
            return FALSE;
        count += saved.v.i64;
    }
    if (reset) {
        duet_group_state_remove(state);
        return append_key_and_count(out, key, 0);
    }
    DuetValue updated = duet_value_int64(count);
    if (!duet_group_state_update(state, &updated, error))
        return FALSE;
    return append_key_and_count(out, key, count);
}

static DuetDataFrame *
counts_frame(Fixture *fixture, DuetGroupStateFunc func, gboolean map, DuetOutputMode op_mode,
             DuetGroupStateTimeout timeout)
{
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture->input);
    g_autoptr(DuetKeyGroupedData) grouped = by_key(input);
    g_autoptr(DuetSchema) output = duet_schema_parse("key STRING, count BIGINT", NULL);
    g_autoptr(DuetDataType) state_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    DuetGroupStateSpec spec = {func, fixture, state_type, output, timeout};
    GError *error = NULL;
    DuetDataFrame *frame = map ? duet_group_state_map(grouped, &spec, &error)
                               : duet_group_state_flat_map(grouped, op_mode, &spec, &error);
    ASSERT_NO_ERROR(error);
    return frame;
}

static void
test_running_count(void)
{
    Fixture fixture;
    fixture_init(&fixture, "key STRING, value INT", "3", FALSE);
    g_autoptr(DuetDataFrame) counts = counts_frame(
        &fixture, running_count, TRUE, DUET_OUTPUT_MODE_UPDATE, DUET_GROUP_STATE_NO_TIMEOUT);
    DuetStreamingQuery *query = start(&fixture, counts, DUET_OUTPUT_MODE_UPDATE, NULL);
    add(&fixture, query, "key STRING, value INT", "[[\"a\", 1], [\"b\", 1], [\"a\", 1]]");
    add(&fixture, query, "key STRING, value INT", "[[\"a\", 1]]");
    add(&fixture, query, "key STRING, value INT", "[]");
    g_autofree char *counted = take_batches(&fixture);
    /* no timeout: no batch runs without data, and an empty block is an empty batch */
    ASSERT_STR_EQ(counted, "[(a,2), (b,1)]\n[(a,3)]\n[]\n");
    add(&fixture, query, "key STRING, value INT", "[[\"a\", -1], [\"b\", 1], [null, 5]]");
    g_autofree char *removed = take_batches(&fixture);
    ASSERT_STR_EQ(removed, "[(a,0), (b,2), (null,1)]\n");
    DuetQueryProgress *progress = NULL;
    const DuetStateOperatorProgress *op = last_operator(query, &progress);
    ASSERT_INT_EQ(op->num_rows_total, 2); /* b and null; a was removed */
    ASSERT_INT_EQ(op->num_rows_updated, 2);
    ASSERT_INT_EQ(op->num_rows_removed, 1);
    ASSERT_INT_EQ(op->num_output_rows, 3);
    g_autofree char *json = duet_query_progress_json(progress, TRUE);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"operatorName\" : \"flatMapGroupsWithState\""));
    duet_query_progress_free(progress);
    g_autofree char *explain = duet_dataframe_explain(counts);
    CU_ASSERT_PTR_NOT_NULL(strstr(explain, "FlatMapGroupsWithState <function>, [key], Update"));
    duet_streaming_query_unref(query);
    /* restart: the counts carry over */
    query = start(&fixture, counts, DUET_OUTPUT_MODE_UPDATE, NULL);
    add(&fixture, query, "key STRING, value INT", "[[\"a\", 1], [\"b\", 1]]");
    g_autofree char *restarted = take_batches(&fixture);
    ASSERT_STR_EQ(restarted, "[(a,1), (b,3)]\n");
    duet_streaming_query_unref(query);
    fixture_clear(&fixture);
}

/* flatMapGroupsWithState(Append): one row per new row, numbered per key across batches; the
 * key is a struct of two columns. */
static gboolean
number_rows(const DuetValue *key, GPtrArray *rows, DuetGroupState *state, DuetBatchBuilder *out,
            gpointer user_data, GError **error)
{
    gint64 seen = 0;
    DuetValue saved, first, second;
    if (duet_group_state_exists(state) && duet_group_state_get(state, &saved, error))
        seen = saved.v.i64;
    duet_value_struct_get(key, 0, &first);
    duet_value_struct_get(key, 1, &second);
    for (guint index = 0; index < rows->len; index++)
        for (gsize row = 0; row < duet_batch_n_rows(rows->pdata[index]); row++) {
            duet_column_builder_append_value(duet_batch_builder_column(out, 0), &first);
            duet_column_builder_append_value(duet_batch_builder_column(out, 1), &second);
            duet_batch_builder_append_int64(out, 2, ++seen);
        }
    DuetValue updated = duet_value_int64(seen);
    return duet_group_state_update(state, &updated, error);
}

static void
test_two_column_key_append(void)
{
    Fixture fixture;
    fixture_init(&fixture, "a STRING, b INT", "2", FALSE);
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture.input);
    static const char *const keys[] = {"b", "a"};
    GError *error = NULL;
    g_autoptr(DuetKeyGroupedData) grouped = duet_group_state_group_by_key(input, keys, 2, &error);
    ASSERT_NO_ERROR(error);
    g_autoptr(DuetSchema) output = duet_schema_parse("b INT, a STRING, n BIGINT", NULL);
    g_autoptr(DuetDataType) state_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    DuetGroupStateSpec spec = {number_rows, NULL, state_type, output, DUET_GROUP_STATE_NO_TIMEOUT};
    g_autoptr(DuetDataFrame) numbered =
        duet_group_state_flat_map(grouped, DUET_OUTPUT_MODE_APPEND, &spec, &error);
    ASSERT_NO_ERROR(error);
    /* as a batch query every key is called once, with all its rows and no state */
    push(&fixture, "a STRING, b INT", "[[\"x\", 1], [\"x\", 2], [\"x\", 1]]");
    g_autoptr(DuetBatch) collected = duet_dataframe_collect(fixture.context, numbered, &error);
    ASSERT_NO_ERROR(error);
    g_autofree char *batch = collected ? duet_test_render_sorted(collected) : NULL;
    ASSERT_STR_EQ(batch, "[(1,x,1), (1,x,2), (2,x,1)]");
    DuetStreamingQuery *query = start(&fixture, numbered, DUET_OUTPUT_MODE_APPEND, NULL);
    CU_ASSERT_TRUE(duet_streaming_query_process_all_available(query, &error));
    add(&fixture, query, "a STRING, b INT", "[[\"x\", 1], [\"y\", 1]]");
    g_autofree char *batches = take_batches(&fixture);
    ASSERT_STR_EQ(batches, "[(1,x,1), (1,x,2), (2,x,1)]\n[(1,x,3), (1,y,1)]\n");
    duet_streaming_query_unref(query);
    fixture_clear(&fixture);
}

/* ---- sessions with processing-time timeouts ------------------------------------------------ */

/* State {count, start}: a key's rows so far and the batch time of its first; each call with
 * data answers (key, count, now) and times the key out 10 seconds later; a timeout answers
 * (key, -1, start) and forgets the key. */
static gboolean
session(const DuetValue *key, GPtrArray *rows, DuetGroupState *state, DuetBatchBuilder *out,
        gpointer user_data, GError **error)
{
    gint64 now = duet_group_state_current_processing_time_ms(state);
    gint64 count = 0, started = now;
    if (duet_group_state_exists(state)) {
        DuetValue saved, field;
        if (!duet_group_state_get(state, &saved, error))
            return FALSE;
        duet_value_struct_get(&saved, 0, &field);
        count = field.v.i64;
        duet_value_struct_get(&saved, 1, &field);
        started = field.v.i64;
    }
    duet_column_builder_append_value(duet_batch_builder_column(out, 0), key);
    if (duet_group_state_has_timed_out(state)) {
        CU_ASSERT_EQUAL(rows->len, 0);
        duet_group_state_remove(state);
        duet_batch_builder_append_int64(out, 1, -1);
        duet_batch_builder_append_int64(out, 2, started);
        return TRUE;
    }
    for (guint index = 0; index < rows->len; index++)
        count += (gint64)duet_batch_n_rows(rows->pdata[index]);
    DuetValue fields[] = {duet_value_int64(count), duet_value_int64(started)};
    if (!duet_group_state_update_fields(state, fields, 2, error) ||
        !duet_group_state_set_timeout_duration(state, "10 seconds", error))
        return FALSE;
    duet_batch_builder_append_int64(out, 1, count);
    duet_batch_builder_append_int64(out, 2, now);
    return TRUE;
}

static void
test_processing_time_timeouts_and_restart(void)
{
    Fixture fixture;
    fixture_init(&fixture, "key STRING", "2", TRUE);
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture.input);
    g_autoptr(DuetKeyGroupedData) grouped = by_key(input);
    g_autoptr(DuetSchema) output = duet_schema_parse("key STRING, count BIGINT, at BIGINT", NULL);
    g_autoptr(DuetSchema) fields = duet_schema_parse("count BIGINT, start BIGINT", NULL);
    g_autoptr(DuetDataType) state_type = duet_data_type_new_struct(fields);
    DuetGroupStateSpec spec = {session, NULL, state_type, output,
                               DUET_GROUP_STATE_PROCESSING_TIME_TIMEOUT};
    GError *error = NULL;
    g_autoptr(DuetDataFrame) sessions =
        duet_group_state_flat_map(grouped, DUET_OUTPUT_MODE_UPDATE, &spec, &error);
    ASSERT_NO_ERROR(error);
    DuetTrigger trigger = {DUET_TRIGGER_PROCESSING_TIME, 1000};
    DuetStreamingQuery *query = start(&fixture, sessions, DUET_OUTPUT_MODE_UPDATE, &trigger);
    CU_ASSERT_TRUE(duet_streaming_query_await_waiting_at(query, 0, 30000));
    push(&fixture, "key STRING", "[\"a\"]");
    tick(&fixture, query, 1000);
    g_autofree char *first = take_batches(&fixture);
    ASSERT_STR_EQ(first, "[(a,1,1000)]\n");
    push(&fixture, "key STRING", "[\"b\"]");
    tick(&fixture, query, 1000);
    push(&fixture, "key STRING", "[\"b\"]");
    tick(&fixture, query, 10000); /* 12000: a's timeout 11000 passed */
    g_autofree char *second = take_batches(&fixture);
    ASSERT_STR_EQ(second, "[(b,1,2000)]\n[(a,-1,1000), (b,2,12000)]\n");
    DuetQueryProgress *progress = NULL;
    const DuetStateOperatorProgress *op = last_operator(query, &progress);
    ASSERT_INT_EQ(op->num_rows_total, 1);
    ASSERT_INT_EQ(op->num_rows_updated, 1);
    ASSERT_INT_EQ(op->num_rows_removed, 1);
    duet_query_progress_free(progress);
    tick(&fixture, query, 1000); /* a batch at every trigger, data or not */
    g_autofree char *idle = take_batches(&fixture);
    ASSERT_STR_EQ(idle, "[]\n");
    ASSERT_INT_EQ(duet_streaming_query_last_batch_id(query), 3);
    duet_streaming_query_unref(query);

    /* restart at 13000: b (timeout 22000) is still there; until the run executes a batch it
     * runs none without data, as Spark (which asks its last execution) */
    query = start(&fixture, sessions, DUET_OUTPUT_MODE_UPDATE, &trigger);
    CU_ASSERT_TRUE(duet_streaming_query_await_waiting_at(query, 13000, 30000));
    tick(&fixture, query, 10000);
    g_autofree char *none = take_batches(&fixture);
    ASSERT_STR_EQ(none, "");
    push(&fixture, "key STRING", "[\"c\"]");
    tick(&fixture, query, 1000); /* 24000 */
    g_autofree char *resumed = take_batches(&fixture);
    ASSERT_STR_EQ(resumed, "[(b,-1,2000), (c,1,24000)]\n");
    tick(&fixture, query, 10000); /* 34000: c's timeout is 34000, not below it */
    tick(&fixture, query, 1000);
    g_autofree char *last = take_batches(&fixture);
    ASSERT_STR_EQ(last, "[]\n[(c,-1,24000)]\n");
    op = last_operator(query, &progress);
    ASSERT_INT_EQ(op->num_rows_total, 0);
    duet_query_progress_free(progress);
    duet_streaming_query_unref(query);
    fixture_clear(&fixture);
}

/* ---- event-time timeouts ---------------------------------------------------------------- */

/* Spark's "streaming with event time timeout + watermark": the state is the key's largest
 * event time (seconds), the timeout 5 seconds after it; a timeout answers -1. Key "early"
 * instead tries a timeout below the watermark and notes the error. */
static gboolean
max_event_time(const DuetValue *key, GPtrArray *rows, DuetGroupState *state, DuetBatchBuilder *out,
               gpointer user_data, GError **error)
{
    Fixture *fixture = user_data;
    g_autofree char *name = key_text(key);
    gint64 watermark = 0;
    if (!duet_group_state_current_watermark_ms(state, &watermark, error))
        return FALSE;
    if (g_str_equal(name, "early")) {
        GError *local = NULL;
        CU_ASSERT_FALSE(duet_group_state_set_timeout_timestamp_ms(state, 1000, &local));
        note(fixture, g_strdup_printf("early: %s", local ? local->message : "ok"));
        g_clear_error(&local);
        return append_key_and_count(out, key, 0);
    }
    if (duet_group_state_has_timed_out(state)) {
        duet_group_state_remove(state);
        return append_key_and_count(out, key, -1);
    }
    gint64 max = 0;
    if (duet_group_state_exists(state)) {
        DuetValue saved;
        duet_group_state_get(state, &saved, NULL);
        max = saved.v.i64;
    }
    for (guint index = 0; index < rows->len; index++) {
        DuetBatch *batch = rows->pdata[index];
        for (gsize row = 0; row < duet_batch_n_rows(batch); row++)
            max = MAX(max, duet_column_get_int64(duet_batch_column(batch, 1), row) / 1000000);
    }
    DuetValue updated = duet_value_int64(max);
    if (!duet_group_state_update(state, &updated, error) ||
        !duet_group_state_set_timeout_timestamp_ms(state, (max + 5) * 1000, error))
        return FALSE;
    return append_key_and_count(out, key, max);
}

static void
test_event_time_timeouts(void)
{
    Fixture fixture;
    fixture_init(&fixture, "key STRING, value INT", "2", FALSE);
    GError *error = NULL;
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture.input);
    static const char *const columns[] = {"key", "timestamp_seconds(value) AS eventTime"};
    g_autoptr(DuetDataFrame) timed = duet_dataframe_select_exprv(input, columns, 2, &error);
    g_autoptr(DuetDataFrame) marked =
        duet_dataframe_with_watermark(timed, "eventTime", "10 seconds", &error);
    ASSERT_NO_ERROR(error);
    g_autoptr(DuetKeyGroupedData) grouped = by_key(marked);
    g_autoptr(DuetSchema) output = duet_schema_parse("key STRING, max BIGINT", NULL);
    g_autoptr(DuetDataType) state_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    DuetGroupStateSpec spec = {max_event_time, &fixture, state_type, output,
                               DUET_GROUP_STATE_EVENT_TIME_TIMEOUT};
    g_autoptr(DuetDataFrame) result =
        duet_group_state_flat_map(grouped, DUET_OUTPUT_MODE_UPDATE, &spec, &error);
    ASSERT_NO_ERROR(error);
    DuetStreamingQuery *query = start(&fixture, result, DUET_OUTPUT_MODE_UPDATE, NULL);
    const char *ddl = "key STRING, value INT";
    /* max 15, timeout 20, watermark 5: the watermark moved, so a no-data batch follows */
    add(&fixture, query, ddl, "[[\"a\", 11], [\"a\", 13], [\"a\", 15]]");
    g_autofree char *first = take_batches(&fixture);
    ASSERT_STR_EQ(first, "[(a,15)]\n[]\n");
    add(&fixture, query, ddl, "[[\"a\", 4]]"); /* at or below the watermark 5: dropped */
    g_autofree char *late = take_batches(&fixture);
    ASSERT_STR_EQ(late, "[]\n");
    DuetQueryProgress *progress = NULL;
    const DuetStateOperatorProgress *op = last_operator(query, &progress);
    ASSERT_INT_EQ(op->num_rows_dropped_by_watermark, 1);
    duet_query_progress_free(progress);
    add(&fixture, query, ddl, "[[\"a\", 10]]");
    g_autofree char *same = take_batches(&fixture);
    ASSERT_STR_EQ(same, "[(a,15)]\n");
    /* b moves the watermark to 21: the no-data batch times a out (20 < 21) */
    add(&fixture, query, ddl, "[[\"b\", 31]]");
    g_autofree char *timed_out = take_batches(&fixture);
    ASSERT_STR_EQ(timed_out, "[(b,31)]\n[(a,-1)]\n");
    add(&fixture, query, ddl, "[[\"early\", 40]]");
    g_autofree char *early = take_batches(&fixture);
    ASSERT_STR_EQ(early, "[(early,0)]\n[]\n");
    g_autofree char *notes = take_notes(&fixture);
    ASSERT_STR_EQ(notes, "early: Timeout timestamp (1000) cannot be earlier than the current "
                         "watermark (21000)\n");
    duet_streaming_query_unref(query);
    fixture_clear(&fixture);
}

/* ---- errors ------------------------------------------------------------------------------- */

/* Tries the GroupState call the key names and notes the error (or "ok"). */
static gboolean
probe(const DuetValue *key, GPtrArray *rows, DuetGroupState *state, DuetBatchBuilder *out,
      gpointer user_data, GError **error)
{
    Fixture *fixture = user_data;
    g_autofree char *name = key_text(key);
    GError *local = NULL;
    DuetValue value;
    gint64 watermark = 0;
    if (g_str_equal(name, "update_null")) {
        DuetValue null = duet_value_null();
        duet_group_state_update(state, &null, &local);
    } else if (g_str_equal(name, "update_wrong_type")) {
        DuetValue text = duet_value_string("x", 1);
        duet_group_state_update(state, &text, &local);
    } else if (g_str_equal(name, "get_missing")) {
        duet_group_state_get(state, &value, &local);
    } else if (g_str_equal(name, "get_removed")) {
        DuetValue one = duet_value_int64(1);
        duet_group_state_update(state, &one, NULL);
        duet_group_state_remove(state);
        duet_group_state_get(state, &value, &local);
    } else if (g_str_equal(name, "duration")) {
        duet_group_state_set_timeout_duration_ms(state, 1000, &local);
    } else if (g_str_equal(name, "timestamp")) {
        duet_group_state_set_timeout_timestamp_ms(state, 1000, &local);
    } else if (g_str_equal(name, "watermark")) {
        duet_group_state_current_watermark_ms(state, &watermark, &local);
    } else if (g_str_equal(name, "negative_duration")) {
        duet_group_state_set_timeout_duration(state, "-5 seconds", &local);
    } else if (g_str_equal(name, "zero_duration")) {
        duet_group_state_set_timeout_duration_ms(state, 0, &local);
    } else if (g_str_equal(name, "bad_duration")) {
        duet_group_state_set_timeout_duration(state, "soon", &local);
    }
    note(fixture, g_strdup_printf("%s: %s", name, local ? local->message : "ok"));
    g_clear_error(&local);
    return TRUE;
}

static void
run_probes(Fixture *fixture, DuetGroupStateTimeout timeout, const char *keys)
{
    g_autoptr(DuetDataFrame) frame =
        counts_frame(fixture, probe, FALSE, DUET_OUTPUT_MODE_UPDATE, timeout);
    DuetStreamingQuery *query = start(fixture, frame, DUET_OUTPUT_MODE_UPDATE, NULL);
    add(fixture, query, "key STRING, value INT", keys);
    duet_streaming_query_unref(query);
}

static void
test_group_state_errors(void)
{
    Fixture fixture;
    fixture_init(&fixture, "key STRING, value INT", "2", TRUE);
    run_probes(&fixture, DUET_GROUP_STATE_NO_TIMEOUT,
               "[[\"update_null\", 1], [\"update_wrong_type\", 1], [\"get_missing\", 1], "
               "[\"get_removed\", 1], [\"duration\", 1], [\"timestamp\", 1], [\"watermark\", 1]]");
    g_autofree char *no_timeout = take_notes(&fixture);
    ASSERT_STR_EQ(
        no_timeout,
        "duration: Cannot set timeout duration without enabling processing time timeout in "
        "[map|flatMap]GroupsWithState\n"
        "get_missing: State is either not defined or has already been removed\n"
        "get_removed: State is either not defined or has already been removed\n"
        "timestamp: Cannot set timeout timestamp without enabling event time timeout in "
        "[map|flatMapGroupsWithState\n"
        "update_null: 'null' is not a valid state value\n"
        "update_wrong_type: the new state value does not fit the state type bigint\n"
        "watermark: Cannot get event time watermark timestamp without setting watermark before "
        "[map|flatMap]GroupsWithState\n");
    fixture_clear(&fixture);
    fixture_init(&fixture, "key STRING, value INT", "2", TRUE);
    run_probes(&fixture, DUET_GROUP_STATE_PROCESSING_TIME_TIMEOUT,
               "[[\"negative_duration\", 1], [\"zero_duration\", 1], [\"duration\", 1], "
               "[\"bad_duration\", 1]]");
    g_autofree char *processing = take_notes(&fixture);
    ASSERT_STR_EQ(processing,
                  "bad_duration: The interval string 'soon' is invalid: expected numbers with "
                  "units such as '10 seconds' or '1 minute 30 seconds'\n"
                  "duration: ok\n"
                  "negative_duration: Provided duration (-5 seconds) is negative\n"
                  "zero_duration: Timeout duration must be positive\n");
    fixture_clear(&fixture);
}

static gboolean
update_null(const DuetValue *key, GPtrArray *rows, DuetGroupState *state, DuetBatchBuilder *out,
            gpointer user_data, GError **error)
{
    DuetValue null = duet_value_null();
    return duet_group_state_update(state, &null, error);
}

static gboolean
no_row(const DuetValue *key, GPtrArray *rows, DuetGroupState *state, DuetBatchBuilder *out,
       gpointer user_data, GError **error)
{
    return TRUE;
}

/* A function's error ends the query with it; mapGroupsWithState must answer one row. */
static void
test_failing_function(void)
{
    static const struct {
        DuetGroupStateFunc func;
        gboolean map;
        const char *message;
    } cases[] = {
        {update_null, FALSE, "'null' is not a valid state value"},
        {no_row, TRUE, "the mapGroupsWithState function must append exactly one row per call"},
    };
    for (guint index = 0; index < G_N_ELEMENTS(cases); index++) {
        Fixture fixture;
        fixture_init(&fixture, "key STRING, value INT", "2", FALSE);
        g_autoptr(DuetDataFrame) frame =
            counts_frame(&fixture, cases[index].func, cases[index].map, DUET_OUTPUT_MODE_UPDATE,
                         DUET_GROUP_STATE_NO_TIMEOUT);
        DuetStreamingQuery *query = start(&fixture, frame, DUET_OUTPUT_MODE_UPDATE, NULL);
        push(&fixture, "key STRING, value INT", "[[\"a\", 1]]");
        GError *error = NULL;
        CU_ASSERT_FALSE(duet_streaming_query_process_all_available(query, &error));
        CU_ASSERT_PTR_NOT_NULL(error);
        if (error != NULL && strstr(error->message, cases[index].message) == NULL)
            g_printerr("\n  unexpected failure: %s\n", error->message);
        CU_ASSERT_TRUE(error != NULL && strstr(error->message, cases[index].message) != NULL);
        g_clear_error(&error);
        CU_ASSERT_FALSE(duet_streaming_query_is_active(query));
        duet_streaming_query_unref(query);
        fixture_clear(&fixture);
    }
}

/* ---- the output-mode checker --------------------------------------------------------------- */

static void
expect_start_error(Fixture *fixture, DuetDataFrame *frame, DuetOutputMode mode, const char *message)
{
    GError *error = NULL;
    DuetStreamingQuery *query = try_start(fixture, frame, mode, NULL, &error);
    CU_ASSERT_PTR_NULL(query);
    if (query)
        duet_streaming_query_unref(query);
    ASSERT_ERROR(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS);
    ASSERT_STR_EQ(error->message, message);
    g_clear_error(&error);
}

static DuetDataFrame *
count_after(DuetDataFrame *frame)
{
    static const char *const keys[] = {"key"};
    GError *error = NULL;
    g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(frame, keys, 1, &error);
    DuetDataFrame *counted = duet_grouped_data_count(grouped, &error);
    ASSERT_NO_ERROR(error);
    return counted;
}

static void
test_output_modes(void)
{
    Fixture fixture;
    fixture_init(&fixture, "key STRING, value INT", "2", FALSE);
    g_autoptr(DuetDataFrame) map = counts_frame(
        &fixture, running_count, TRUE, DUET_OUTPUT_MODE_UPDATE, DUET_GROUP_STATE_NO_TIMEOUT);
    g_autoptr(DuetDataFrame) flat_update = counts_frame(
        &fixture, running_count, FALSE, DUET_OUTPUT_MODE_UPDATE, DUET_GROUP_STATE_NO_TIMEOUT);
    g_autoptr(DuetDataFrame) flat_append = counts_frame(
        &fixture, running_count, FALSE, DUET_OUTPUT_MODE_APPEND, DUET_GROUP_STATE_NO_TIMEOUT);
    expect_start_error(&fixture, map, DUET_OUTPUT_MODE_APPEND,
                       "mapGroupsWithState is not supported with Append output mode on a "
                       "streaming DataFrame/Dataset");
    expect_start_error(&fixture, map, DUET_OUTPUT_MODE_COMPLETE,
                       "Complete output mode not supported when there are no streaming "
                       "aggregations on streaming DataFrames/Datasets");
    expect_start_error(&fixture, flat_update, DUET_OUTPUT_MODE_APPEND,
                       "flatMapGroupsWithState in update mode is not supported with Append "
                       "output mode on a streaming DataFrame/Dataset");
    expect_start_error(&fixture, flat_append, DUET_OUTPUT_MODE_UPDATE,
                       "flatMapGroupsWithState in append mode is not supported with Update "
                       "output mode on a streaming DataFrame/Dataset");
    g_autoptr(DuetDataFrame) map_then_count = count_after(map);
    expect_start_error(&fixture, map_then_count, DUET_OUTPUT_MODE_UPDATE,
                       "mapGroupsWithState is not supported with aggregation on a streaming "
                       "DataFrame/Dataset");
    g_autoptr(DuetDataFrame) update_then_count = count_after(flat_update);
    expect_start_error(&fixture, update_then_count, DUET_OUTPUT_MODE_UPDATE,
                       "flatMapGroupsWithState in update mode is not supported with aggregation "
                       "on a streaming DataFrame/Dataset");
    /* continuous processing takes map-like queries only */
    DuetTrigger continuous = {DUET_TRIGGER_CONTINUOUS, 1000};
    GError *refused = NULL;
    CU_ASSERT_PTR_NULL(
        try_start(&fixture, flat_update, DUET_OUTPUT_MODE_UPDATE, &continuous, &refused));
    CU_ASSERT_PTR_NOT_NULL_FATAL(refused);
    ASSERT_STR_EQ(refused->message,
                  "Continuous processing does not support FlatMapGroupsWithState operations.");
    g_clear_error(&refused);
    /* flatMapGroupsWithState(Append) then an aggregation is allowed (in Update here) */
    g_autoptr(DuetDataFrame) append_then_count = count_after(flat_append);
    DuetStreamingQuery *query = start(&fixture, append_then_count, DUET_OUTPUT_MODE_UPDATE, NULL);
    add(&fixture, query, "key STRING, value INT", "[[\"a\", 1], [\"a\", 1]]");
    g_autofree char *counted = take_batches(&fixture);
    ASSERT_STR_EQ(counted, "[(a,1)]\n");
    duet_streaming_query_unref(query);
    /* after an aggregation */
    GError *error = NULL;
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(fixture.input);
    g_autoptr(DuetDataFrame) counts = count_after(input);
    static const char *const keys[] = {"key"};
    g_autoptr(DuetKeyGroupedData) regrouped =
        duet_group_state_group_by_key(counts, keys, 1, &error);
    g_autoptr(DuetSchema) output = duet_schema_parse("key STRING, count BIGINT", NULL);
    g_autoptr(DuetDataType) state_type = duet_data_type_new_scalar(DUET_TYPE_INT64);
    DuetGroupStateSpec spec = {running_count, NULL, state_type, output,
                               DUET_GROUP_STATE_NO_TIMEOUT};
    g_autoptr(DuetDataFrame) after_count =
        duet_group_state_flat_map(regrouped, DUET_OUTPUT_MODE_APPEND, &spec, &error);
    ASSERT_NO_ERROR(error);
    /* (in Append, the aggregation without a watermark is refused first, as in Spark) */
    expect_start_error(&fixture, after_count, DUET_OUTPUT_MODE_UPDATE,
                       "flatMapGroupsWithState in append mode is not supported after aggregation "
                       "on a streaming DataFrame/Dataset");
    /* two of them */
    g_autoptr(DuetKeyGroupedData) again = by_key(map);
    g_autoptr(DuetDataFrame) two_maps = duet_group_state_map(again, &spec, &error);
    g_autoptr(DuetDataFrame) map_then_flat =
        duet_group_state_flat_map(again, DUET_OUTPUT_MODE_UPDATE, &spec, &error);
    ASSERT_NO_ERROR(error);
    expect_start_error(&fixture, two_maps, DUET_OUTPUT_MODE_UPDATE,
                       "Multiple mapGroupsWithStates are not supported on a streaming "
                       "DataFrames/Datasets");
    expect_start_error(&fixture, map_then_flat, DUET_OUTPUT_MODE_UPDATE,
                       "Mixing mapGroupsWithStates and flatMapGroupsWithStates are not supported "
                       "on a streaming DataFrames/Datasets");
    g_autoptr(DuetKeyGroupedData) after_update = by_key(flat_update);
    g_autoptr(DuetDataFrame) two_flat =
        duet_group_state_flat_map(after_update, DUET_OUTPUT_MODE_UPDATE, &spec, &error);
    expect_start_error(&fixture, two_flat, DUET_OUTPUT_MODE_UPDATE,
                       "Multiple flatMapGroupsWithStates are not supported when they are not all "
                       "in append mode or the output mode is not append on a streaming "
                       "DataFrames/Datasets");
    /* an event-time timeout needs a watermark */
    spec.timeout = DUET_GROUP_STATE_EVENT_TIME_TIMEOUT;
    g_autoptr(DuetKeyGroupedData) plain = by_key(input);
    g_autoptr(DuetDataFrame) no_watermark =
        duet_group_state_flat_map(plain, DUET_OUTPUT_MODE_UPDATE, &spec, &error);
    expect_start_error(&fixture, no_watermark, DUET_OUTPUT_MODE_UPDATE,
                       "Watermark must be specified in the query using "
                       "'[Dataset/DataFrame].withWatermark()' for using event-time timeout in a "
                       "[map|flatMap]GroupsWithState. Event-time timeout not supported without "
                       "watermark.");
    /* API errors */
    CU_ASSERT_PTR_NULL(duet_group_state_flat_map(plain, DUET_OUTPUT_MODE_COMPLETE, &spec, &error));
    ASSERT_ERROR(error, DUET_GROUP_STATE_ERROR, DUET_GROUP_STATE_ERROR_ILLEGAL_ARGUMENT);
    ASSERT_STR_EQ(error->message, "The output mode of function should be append or update");
    g_clear_error(&error);
    static const char *const missing[] = {"nope"};
    CU_ASSERT_PTR_NULL(duet_group_state_group_by_key(input, missing, 1, &error));
    ASSERT_ERROR(error, DUET_SQL_ERROR, DUET_SQL_ERROR_ANALYSIS);
    g_clear_error(&error);
    fixture_clear(&fixture);
}

DUET_TEST_MAIN("group_state", DUET_TEST(test_running_count), DUET_TEST(test_two_column_key_append),
               DUET_TEST(test_processing_time_timeouts_and_restart),
               DUET_TEST(test_event_time_timeouts), DUET_TEST(test_group_state_errors),
               DUET_TEST(test_failing_function), DUET_TEST(test_output_modes))
