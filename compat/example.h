/* example.h — the paired example programs: one use of the tutorial, written in both APIs.
 *
 * Layer: compat/. Each example lives in compat/examples/<name>/ as two short C files a student
 * reads side by side (dstream.c and structured.c) and a README.md saying where the two APIs
 * differ. Both halves start from the same input: text lines (a column `value STRING`), read by
 * one shared source, as the tutorial's socket examples do; each half parses the lines itself.
 * The runner (compat/side_by_side.c) feeds both halves the same batches and compares them.
 */
#pragma once

#include "dstream/dstream.h"
#include "structured/dataframe.h"

G_BEGIN_DECLS

/* How the two halves' outputs are meant to relate, batch by batch; `duet compare` checks it. */
typedef enum {
    /* The same rows each batch (as multisets: neither API orders its output). */
    DUET_EXAMPLE_SAME_ROWS,
    /* DStream counts each batch alone; Structured (complete mode) shows running totals: the
     * sum of DStream's batches so far, key by key, must equal Structured's rows. */
    DUET_EXAMPLE_RUNNING_TOTALS,
    /* DStream keeps every key's state and prints it all; Structured (update mode) prints only
     * the keys the batch changed: Structured's rows must be a subset of DStream's. */
    DUET_EXAMPLE_UPDATED_KEYS,
    /* DStream windows are processing time (the batches a window spans), Structured windows are
     * event time (the times in the data) with a watermark that drops late rows: they agree
     * only when every row arrives in the batch of its event time. */
    DUET_EXAMPLE_WINDOWS,
} DuetExampleRelation;

/* Appends one batch's input lines (g_strdup'ed) for the batch at batch_time_ms. */
typedef void (*DuetExampleGenerateFunc)(GRand *rand, gint64 batch_time_ms, guint n_lines,
                                        GPtrArray *lines);
/* The DStream half: from the lines to the stream it prints. (transfer full) */
typedef DuetDStream *(*DuetExampleDStreamFunc)(DuetDStream *lines, GError **error);
/* The Structured half: from the lines to the frame it writes. (transfer full) */
typedef DuetDataFrame *(*DuetExampleStructuredFunc)(DuetDataFrame *lines, GError **error);

typedef struct {
    const char *name;                     /* as typed: "windowed_counts" */
    const char *title;                    /* one line for `duet run --list` */
    const char *difference;               /* one sentence: where the two halves differ */
    gint64 batch_interval_ms;             /* the DStream batch interval and Structured trigger */
    gint64 dstream_window_ms;             /* the DStream half's window length, 0: no window */
    const char *output_mode;              /* of the Structured half */
    DuetExampleRelation relation;         /* what `duet compare` checks */
    const char *default_source;           /* NULL: the built-in generator, in memory */
    DuetExampleGenerateFunc generate;     /* the built-in input */
    DuetExampleDStreamFunc dstream;       /* the DStream half */
    DuetExampleStructuredFunc structured; /* the Structured half */
} DuetExample;

/* Every example, ending with a NULL name. */
const DuetExample *duet_examples(void);
/* NULL (with a GError listing the names) when there is no example of that name. */
const DuetExample *duet_example_lookup(const char *name, GError **error);
const char *duet_example_relation_name(DuetExampleRelation relation);

/* For DStream halves: the index-th comma-separated field (from 0) of the row's column 0, a
 * text line; NULL (len 0) when the line has fewer fields. Not NUL-terminated. */
const char *duet_example_field(const DuetRow *row, guint index, gsize *len);
/* The same field as a number; fallback when it is missing or not a number. */
gint64 duet_example_field_int64(const DuetRow *row, guint index, gint64 fallback);
gdouble duet_example_field_double(const DuetRow *row, guint index, gdouble fallback);
/* Appends the lower-cased words (letters and apostrophes) of a line as (word, 1) rows. */
void duet_example_split_words(const DuetRow *row, DuetBatchBuilder *out, gpointer user_data);
/* Sum of two int64 values: the reduce function of every count. */
void duet_example_add_int64(const DuetValue *a, const DuetValue *b, DuetValue *out,
                            gpointer user_data);
/* filterFunc = lambda kv: kv[1] > 0: drops the keys a window's inverse reduce brought to 0. */
gboolean duet_example_count_above_zero(const DuetRow *row, gpointer user_data);
void duet_example_subtract_int64(const DuetValue *a, const DuetValue *b, DuetValue *out,
                                 gpointer user_data);

/* The halves, one pair per example (compat/examples/<name>/). */
#define DUET_EXAMPLE_DECLARE(name)                                                                 \
    void duet_example_##name##_generate(GRand *rand, gint64 batch_time_ms, guint n_lines,          \
                                        GPtrArray *lines);                                         \
    DuetDStream *duet_example_##name##_dstream(DuetDStream *lines, GError **error);                \
    DuetDataFrame *duet_example_##name##_structured(DuetDataFrame *lines, GError **error)

DUET_EXAMPLE_DECLARE(network_word_count);
DUET_EXAMPLE_DECLARE(kafka_word_count);
DUET_EXAMPLE_DECLARE(windowed_counts);
DUET_EXAMPLE_DECLARE(running_counts);
DUET_EXAMPLE_DECLARE(file_monitoring);
DUET_EXAMPLE_DECLARE(fraud_filter);
DUET_EXAMPLE_DECLARE(sensor_averages);
DUET_EXAMPLE_DECLARE(log_monitoring);

G_END_DECLS
