/* example.c — the table of paired examples and the little parsers their DStream halves share.
 *
 * Layer: compat/. The halves themselves live in compat/examples/<name>/; this file only lists
 * them, with how each pair is run (batch interval, output mode, input) and how `duet compare`
 * relates their outputs.
 */
#include "compat/example.h"

#include <stdlib.h>

#define EXAMPLE(name)                                                                              \
    duet_example_##name##_generate, duet_example_##name##_dstream, duet_example_##name##_structured

static const DuetExample examples[] = {
    {"network_word_count", "word counts of text lines (the tutorial's first program)",
     "DStream counts the words of each batch alone; Structured's complete mode keeps running "
     "totals since the query started.",
     1000, 0, "complete", DUET_EXAMPLE_RUNNING_TOTALS, NULL, EXAMPLE(network_word_count)},
    {"kafka_word_count", "word counts of a Kafka topic's messages",
     "DStream's direct stream and Structured's Kafka source read the same offset ranges; "
     "DStream counts each batch, Structured keeps running totals.",
     1000, 0, "complete", DUET_EXAMPLE_RUNNING_TOTALS, "kafka:mock/words",
     EXAMPLE(kafka_word_count)},
    {"windowed_counts", "word counts in 5-minute windows sliding every minute",
     "reduceByKeyAndWindow windows over batch arrival (processing time); window(timestamp, ...) "
     "windows over the time in each record (event time), and drops records later than the "
     "watermark.",
     60000, 300000, "update", DUET_EXAMPLE_WINDOWS, NULL, EXAMPLE(windowed_counts)},
    {"running_counts", "running word counts (updateStateByKey against a streaming aggregation)",
     "updateStateByKey keeps the state in RDDs the program checkpoints; the streaming "
     "aggregation keeps it in the query's state store; both print every key's total.",
     1000, 0, "complete", DUET_EXAMPLE_SAME_ROWS, NULL, EXAMPLE(running_counts)},
    {"file_monitoring", "lines of new files in a directory, counted",
     "DStream counts each batch's new lines; Structured's global count is a running total.", 1000,
     0, "complete", DUET_EXAMPLE_RUNNING_TOTALS, "file", EXAMPLE(file_monitoring)},
    {"fraud_filter", "card payments flagged as suspicious (large, or abroad)",
     "A stateless filter: both APIs print the same rows, each batch.", 1000, 0, "append",
     DUET_EXAMPLE_SAME_ROWS, NULL, EXAMPLE(fraud_filter)},
    {"sensor_averages", "IoT sensors' average temperature per hour",
     "DStream keeps (sum, count) per sensor and hour with updateStateByKey and prints every "
     "key; Structured's update mode prints only the hours a batch changed.",
     60000, 0, "update", DUET_EXAMPLE_UPDATED_KEYS, NULL, EXAMPLE(sensor_averages)},
    {"log_monitoring", "ERROR lines per service, in 30-second windows sliding every 10 seconds",
     "reduceByKeyAndWindow windows over batch arrival; Structured windows over the log time, "
     "with a watermark for late lines.",
     10000, 30000, "update", DUET_EXAMPLE_WINDOWS, NULL, EXAMPLE(log_monitoring)},
    {NULL, NULL, NULL, 0, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

const DuetExample *
duet_examples(void)
{
    return examples;
}

const DuetExample *
duet_example_lookup(const char *name, GError **error)
{
    g_autoptr(GString) names = g_string_new(NULL);
    for (const DuetExample *example = examples; example->name; example++) {
        if (g_str_equal(example->name, name))
            return example;
        g_string_append_printf(names, "%s%s", names->len ? ", " : "", example->name);
    }
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "no example named '%s' (the examples: %s)", name, names->str);
    return NULL;
}

const char *
duet_example_relation_name(DuetExampleRelation relation)
{
    switch (relation) {
    case DUET_EXAMPLE_SAME_ROWS:
        return "same rows";
    case DUET_EXAMPLE_RUNNING_TOTALS:
        return "running totals";
    case DUET_EXAMPLE_UPDATED_KEYS:
        return "updated keys";
    case DUET_EXAMPLE_WINDOWS:
        return "processing-time vs event-time windows";
    }
    return "?";
}

const char *
duet_example_field(const DuetRow *row, guint index, gsize *len)
{
    gsize line_len;
    const char *line = duet_row_get_string(row, 0, &line_len);
    gsize start = 0;
    for (guint field = 0; field < index; field++) {
        const char *comma = memchr(line + start, ',', line_len - start);
        if (comma == NULL) {
            *len = 0;
            return NULL;
        }
        start = (gsize)(comma - line) + 1;
    }
    const char *comma = memchr(line + start, ',', line_len - start);
    *len = (comma ? (gsize)(comma - line) : line_len) - start;
    return line + start;
}

/* The field copied into a NUL-terminated stack buffer, for strtoll/strtod. */
static gboolean
field_text(const DuetRow *row, guint index, char *buffer, gsize size)
{
    gsize len;
    const char *field = duet_example_field(row, index, &len);
    if (field == NULL || len == 0 || len >= size)
        return FALSE;
    memcpy(buffer, field, len);
    buffer[len] = '\0';
    return TRUE;
}

gint64
duet_example_field_int64(const DuetRow *row, guint index, gint64 fallback)
{
    char buffer[32], *end;
    if (!field_text(row, index, buffer, sizeof buffer))
        return fallback;
    gint64 value = g_ascii_strtoll(g_strstrip(buffer), &end, 10);
    return *end == '\0' ? value : fallback;
}

gdouble
duet_example_field_double(const DuetRow *row, guint index, gdouble fallback)
{
    char buffer[64], *end;
    if (!field_text(row, index, buffer, sizeof buffer))
        return fallback;
    gdouble value = g_ascii_strtod(g_strstrip(buffer), &end);
    return *end == '\0' ? value : fallback;
}

void
duet_example_split_words(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data)
{
    gsize len;
    const char *line = duet_row_get_string(row, 0, &len);
    gsize start = 0;
    while (start < len) {
        while (start < len && !g_ascii_isalpha(line[start]) && line[start] != '\'')
            start++;
        gsize end = start;
        while (end < len && (g_ascii_isalpha(line[end]) || line[end] == '\''))
            end++;
        if (end > start) {
            char *word = duet_task_scratch_strndup(line + start, end - start);
            for (gsize char_idx = 0; char_idx < end - start; char_idx++)
                word[char_idx] = g_ascii_tolower(word[char_idx]);
            duet_batch_builder_append_string(out, 0, word, (gssize)(end - start));
            duet_batch_builder_append_int64(out, 1, 1);
        }
        start = end;
    }
}

void
duet_example_add_int64(const DuetValue *a, const DuetValue *b, DuetValue *out, gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 + b->v.i64);
}

void
duet_example_subtract_int64(const DuetValue *a, const DuetValue *b, DuetValue *out,
                            gpointer user_data)
{
    *out = duet_value_int64(a->v.i64 - b->v.i64);
}

gboolean
duet_example_count_above_zero(const DuetRow *row, gpointer user_data)
{
    return duet_row_get_int64(row, 1) > 0;
}
