/* bench_workload.c — the inputs and the two jobs of each `duet bench` workload.
 *
 * Layer: compat/ (includes dstream/ and structured/). See bench_workload.h. The generator is
 * xorshift64 seeded from the batch index alone, so batch i is the same whichever API asks,
 * in whatever order, and a dump of the input reproduces it exactly.
 */
#include "compat/bench_workload.h"
#include "rdd/file_format.h"

#include <string.h>

#define WORDS_PER_LINE 10

static const char *const NAMES[] = {"wordcount", "windowed", "stateful", "filter-project",
                                    "kafka-to-kafka"};

const char *
duet_bench_workload_name(DuetBenchWorkloadKind kind)
{
    g_return_val_if_fail((guint)kind < G_N_ELEMENTS(NAMES), "?");
    return NAMES[kind];
}

gboolean
duet_bench_workload_from_name(const char *name, DuetBenchWorkloadKind *kind)
{
    for (guint index = 0; index < G_N_ELEMENTS(NAMES); index++) {
        if (g_str_equal(name, NAMES[index])) {
            *kind = (DuetBenchWorkloadKind)index;
            return TRUE;
        }
    }
    return FALSE;
}

const char *
duet_bench_workload_names(void)
{
    return "wordcount, windowed, stateful, filter-project, kafka-to-kafka";
}

gint64
duet_bench_workload_default_keys(DuetBenchWorkloadKind kind)
{
    switch (kind) {
    case DUET_BENCH_STATEFUL:
        return 1000000;
    case DUET_BENCH_FILTER_PROJECT:
        return 10000;
    default:
        return 100000;
    }
}

/* ---- input ---------------------------------------------------------------------------------- */

static const char EVENT_SCHEMA[] = "id BIGINT, user STRING, type STRING, amount DOUBLE, ts BIGINT";

DuetSchema *
duet_bench_workload_input_schema(const DuetBenchWorkload *workload)
{
    switch (workload->kind) {
    case DUET_BENCH_WINDOWED:
        return duet_schema_parse("key BIGINT, time TIMESTAMP", NULL);
    case DUET_BENCH_STATEFUL:
        return duet_schema_parse("key BIGINT, value BIGINT", NULL);
    default:
        return duet_schema_parse("value STRING", NULL);
    }
}

static guint64
next_random(guint64 *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* splitmix64 of the index: a well-mixed, never-zero xorshift seed per batch. */
static guint64
seed_of(gint64 index)
{
    guint64 z = (guint64)index + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return z ? z : 1;
}

/* One JSON event: about 80 bytes. Amounts are whole cents, written without the locale. */
static int
format_event(char *out, gsize size, gint64 id, guint64 random, gint64 users, gint64 ts)
{
    static const char *const types[] = {"view", "view", "view",  "view",  "view",
                                        "view", "view", "click", "click", "buy"};
    guint64 cents = (random >> 8) % 10000;
    return g_snprintf(out, size,
                      "{\"id\":%" G_GINT64_FORMAT ",\"user\":\"u%" G_GUINT64_FORMAT
                      "\",\"type\":\"%s\",\"amount\":%" G_GUINT64_FORMAT ".%02" G_GUINT64_FORMAT
                      ",\"ts\":%" G_GINT64_FORMAT "}",
                      id, (random >> 24) % (guint64)users, types[random % 10], cents / 100,
                      cents % 100, ts);
}

DuetBatch *
duet_bench_workload_make_batch(const DuetBenchWorkload *workload, gint64 index, gint64 rows)
{
    g_autoptr(DuetSchema) schema = duet_bench_workload_input_schema(workload);
    DuetBatchBuilder *builder = duet_batch_builder_new(schema, (gsize)MAX(rows, 1));
    guint64 random = seed_of(index);
    guint64 keys = (guint64)MAX(workload->keys, 1);
    gint64 batch_us = workload->batch_ms * 1000;
    char text[WORDS_PER_LINE * 24];
    for (gint64 row = 0; row < rows; row++) {
        gint64 time_us = index * batch_us + row * batch_us / rows;
        switch (workload->kind) {
        case DUET_BENCH_WINDOWED:
            duet_batch_builder_append_int64(builder, 0, (gint64)(next_random(&random) % keys));
            duet_batch_builder_append_int64(builder, 1, time_us);
            break;
        case DUET_BENCH_STATEFUL:
            duet_batch_builder_append_int64(builder, 0, (gint64)(next_random(&random) % keys));
            duet_batch_builder_append_int64(builder, 1, (gint64)(next_random(&random) % 100));
            break;
        case DUET_BENCH_FILTER_PROJECT: {
            int length = format_event(text, sizeof text, index * rows + row, next_random(&random),
                                      (gint64)keys, time_us / 1000);
            duet_batch_builder_append_string(builder, 0, text, length);
            break;
        }
        default: {
            int length = 0;
            for (int word = 0; word < WORDS_PER_LINE; word++)
                length +=
                    g_snprintf(text + length, sizeof text - (gsize)length, "%sw%" G_GUINT64_FORMAT,
                               word ? " " : "", next_random(&random) % keys);
            duet_batch_builder_append_string(builder, 0, text, length);
            break;
        }
        }
    }
    DuetBatch *batch = duet_batch_builder_finish(builder, NULL);
    duet_batch_builder_free(builder);
    return batch;
}

void
duet_bench_workload_append_text(const DuetBenchWorkload *workload, DuetBatch *batch, GString *out)
{
    for (gsize row_idx = 0; row_idx < duet_batch_n_rows(batch); row_idx++) {
        DuetRow row = duet_batch_row(batch, row_idx);
        if (workload->kind == DUET_BENCH_WINDOWED || workload->kind == DUET_BENCH_STATEFUL) {
            gint64 second = duet_row_get_int64(&row, 1);
            /* windowed: the event time in milliseconds */
            g_string_append_printf(out, "%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "\n",
                                   duet_row_get_int64(&row, 0),
                                   workload->kind == DUET_BENCH_WINDOWED ? second / 1000 : second);
        } else {
            gsize length = 0;
            const char *text = duet_row_get_string(&row, 0, &length);
            g_string_append_len(out, text, (gssize)length);
            g_string_append_c(out, '\n');
        }
    }
}

/* ---- shared user functions ----------------------------------------------------------------- */

/* mapPartitions: JSON lines -> events, with rdd/'s JSON-lines codec (malformed lines dropped). */
static void
parse_events(GPtrArray *batches, guint partition_index, DuetBatchBuilder *out, gpointer user_data)
{
    DuetSchema *schema = user_data;
    DuetFileFormat format;
    duet_file_format_init(&format, DUET_FILE_FORMAT_JSON);
    format.mode = DUET_FILE_FORMAT_DROPMALFORMED;
    GString *text = g_string_new(NULL);
    for (guint batch_idx = 0; batch_idx < batches->len; batch_idx++) {
        DuetBatch *lines = g_ptr_array_index(batches, batch_idx);
        g_string_truncate(text, 0);
        for (gsize row_idx = 0; row_idx < duet_batch_n_rows(lines); row_idx++) {
            DuetRow row = duet_batch_row(lines, row_idx);
            gsize length = 0;
            const char *line = duet_row_get_string(&row, 0, &length);
            g_string_append_len(text, line, (gssize)length);
            g_string_append_c(text, '\n');
        }
        g_autoptr(DuetBatch) events =
            duet_file_format_decode(&format, schema, text->str, text->len, NULL);
        for (gsize row_idx = 0; events && row_idx < duet_batch_n_rows(events); row_idx++) {
            DuetRow row = duet_batch_row(events, row_idx);
            duet_batch_builder_append_row(out, &row);
        }
    }
    g_string_free(text, TRUE);
}

static void
split_words(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize length = 0;
    const char *line = duet_row_get_string(row, 0, &length);
    gsize start = 0;
    for (gsize at = 0; at <= length; at++) {
        if (at == length || line[at] == ' ') {
            if (at > start) {
                duet_batch_builder_append_string(out, 0, line + start, (gssize)(at - start));
                duet_batch_builder_append_int64(out, 1, 1);
            }
            start = at + 1;
        }
    }
}

static void
pair_with_one(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    duet_batch_builder_append_int64(out, 0, duet_row_get_int64(row, 0));
    duet_batch_builder_append_int64(out, 1, 1);
}

static void
add_values(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

static gboolean
running_sum(gint64 time_ms, const DuetValue *key, const DuetValue *values, const DuetValue *state,
            DuetColumnBuilder *new_state, gpointer user_data)
{
    gint64 sum = state->is_null ? 0 : state->v.i64;
    for (gsize index = 0; index < duet_value_list_length(values); index++) {
        DuetValue value;
        duet_value_list_get(values, index, &value);
        sum += value.v.i64;
    }
    duet_column_builder_append_int64(new_state, sum);
    return TRUE;
}

/* mapWithState: the key's running count, emitted as the mapped value. */
static void
count_per_key(gint64 time_ms, const DuetValue *key, const DuetValue *value, DuetState *state,
              DuetColumnBuilder *mapped, gpointer user_data)
{
    DuetValue current;
    gint64 count = duet_state_get(state, &current) ? current.v.i64 + 1 : 1;
    DuetValue updated = duet_value_int64(count);
    duet_state_update(state, &updated);
    duet_column_builder_append_int64(mapped, count);
}

static gboolean
is_big_buy(const DuetRow *row, gpointer user_data)
{
    gsize length = 0;
    const char *type = duet_row_get_string(row, 2, &length);
    return length == 3 && memcmp(type, "buy", 3) == 0 && duet_row_get_double(row, 3) > 50;
}

static void
project_event(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize length = 0;
    const char *user = duet_row_get_string(row, 1, &length);
    duet_batch_builder_append_int64(out, 0, duet_row_get_int64(row, 0));
    duet_batch_builder_append_string(out, 1, user, (gssize)length);
    duet_batch_builder_append_double(out, 2, duet_row_get_double(row, 3) * 0.9);
}

/* ---- Structured ------------------------------------------------------------------------------ */

static char *
seconds_text(gint64 ms)
{
    return g_strdup_printf("%" G_GINT64_FORMAT " milliseconds", ms);
}

DuetDataFrame *
duet_bench_workload_structured_plan(const DuetBenchWorkload *workload, DuetSource *source,
                                    DuetOutputMode *mode, GError **error)
{
    g_autoptr(DuetDataFrame) input = duet_dataframe_from_source(source);
    switch (workload->kind) {
    case DUET_BENCH_WORDCOUNT: {
        *mode = DUET_OUTPUT_MODE_COMPLETE;
        static const char *const words_expr[] = {"explode(split(value, ' ')) AS word"};
        g_autoptr(DuetDataFrame) words = duet_dataframe_select_exprv(input, words_expr, 1, error);
        static const char *const keys[] = {"word"};
        g_autoptr(DuetGroupedData) grouped =
            words ? duet_dataframe_group_by_exprv(words, keys, 1, error) : NULL;
        return grouped ? duet_grouped_data_count(grouped, error) : NULL;
    }
    case DUET_BENCH_WINDOWED: {
        *mode = DUET_OUTPUT_MODE_APPEND;
        g_autofree char *delay = seconds_text(workload->watermark_ms);
        g_autoptr(DuetDataFrame) marked =
            duet_dataframe_with_watermark(input, "time", delay, error);
        g_autofree char *window = seconds_text(workload->window_ms);
        g_autofree char *slide = seconds_text(workload->slide_ms);
        g_autofree char *window_expr = g_strdup_printf("window(time, '%s', '%s')", window, slide);
        const char *const keys[] = {window_expr, "key"};
        g_autoptr(DuetGroupedData) grouped =
            marked ? duet_dataframe_group_by_exprv(marked, keys, 2, error) : NULL;
        return grouped ? duet_grouped_data_count(grouped, error) : NULL;
    }
    case DUET_BENCH_STATEFUL: {
        *mode = DUET_OUTPUT_MODE_UPDATE;
        static const char *const keys[] = {"key"};
        g_autoptr(DuetGroupedData) grouped = duet_dataframe_group_by_exprv(input, keys, 1, error);
        return grouped ? duet_grouped_data_count(grouped, error) : NULL;
    }
    case DUET_BENCH_FILTER_PROJECT: {
        *mode = DUET_OUTPUT_MODE_APPEND;
        /* the schema must outlive the DataFrame: a process-wide one */
        static DuetSchema *events_schema = NULL;
        if (g_once_init_enter(&events_schema))
            g_once_init_leave(&events_schema, duet_schema_parse(EVENT_SCHEMA, NULL));
        g_autoptr(DuetDataFrame) events =
            duet_dataframe_map_partitions(input, events_schema, parse_events, events_schema);
        g_autoptr(DuetDataFrame) buys =
            duet_dataframe_where(events, "type = 'buy' AND amount > 50", error);
        static const char *const columns[] = {"id", "user", "amount * 0.9 AS net"};
        return buys ? duet_dataframe_select_exprv(buys, columns, 3, error) : NULL;
    }
    default:
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "the %s workload has no memory-stream plan", NAMES[workload->kind]);
        return NULL;
    }
}

/* ---- DStream --------------------------------------------------------------------------------- */

DuetDStream *
duet_bench_workload_dstream(const DuetBenchWorkload *workload, DuetDStream *input, GError **error)
{
    g_autoptr(DuetDataType) bigint = duet_data_type_new_scalar(DUET_TYPE_INT64);
    switch (workload->kind) {
    case DUET_BENCH_WORDCOUNT: {
        g_autoptr(DuetSchema) pairs_schema = duet_schema_parse("key STRING, value BIGINT", NULL);
        g_autoptr(DuetDStream) pairs =
            duet_dstream_flat_map(input, pairs_schema, split_words, NULL);
        return duet_dstream_update_state_by_key(pairs, bigint, running_sum, NULL,
                                                workload->partitions, NULL, error);
    }
    case DUET_BENCH_WINDOWED: {
        g_autoptr(DuetSchema) pairs_schema = duet_schema_parse("key BIGINT, value BIGINT", NULL);
        g_autoptr(DuetDStream) pairs = duet_dstream_map(input, pairs_schema, pair_with_one, NULL);
        return duet_dstream_reduce_by_key_and_window(pairs, add_values, NULL, workload->window_ms,
                                                     workload->slide_ms, workload->partitions, NULL,
                                                     NULL, error);
    }
    case DUET_BENCH_STATEFUL: {
        DuetStateSpec spec = {.function = count_per_key,
                              .state_type = bigint,
                              .mapped_type = bigint,
                              .num_partitions = workload->partitions};
        return duet_dstream_map_with_state(input, &spec, error);
    }
    case DUET_BENCH_FILTER_PROJECT: {
        static DuetSchema *events_schema = NULL;
        if (g_once_init_enter(&events_schema))
            g_once_init_leave(&events_schema, duet_schema_parse(EVENT_SCHEMA, NULL));
        g_autoptr(DuetDStream) events =
            duet_dstream_map_partitions(input, events_schema, parse_events, events_schema);
        g_autoptr(DuetDStream) buys = duet_dstream_filter(events, is_big_buy, NULL);
        g_autoptr(DuetSchema) projected =
            duet_schema_parse("id BIGINT, user STRING, net DOUBLE", NULL);
        return duet_dstream_map(buys, projected, project_event, NULL);
    }
    default:
        g_set_error(error, DUET_DSTREAM_ERROR, DUET_DSTREAM_ERROR_INVALID,
                    "the %s workload has no queue-stream job", NAMES[workload->kind]);
        return NULL;
    }
}
