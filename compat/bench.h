/* bench.h — what the files of `duet bench` share: its settings, a batch's sample, an API's
 * result, and the runner, plot and Kafka entry points.
 *
 * Layer: compat/ (a private header of bench_*.c). `duet bench` (bench_command.c) runs each API
 * in a child process of its own (`duet bench --child API ...`, so that peak RSS and CPU are that
 * API's alone); the child (bench_run.c, or bench_kafka.c for kafka-to-kafka) prints one JSON
 * line per batch and one with its totals, which the parent turns into the progress line, the
 * report, the --json file and the --plot picture (bench_plot.c).
 */
#pragma once

#include "compat/bench_workload.h"

#include <stdio.h>

G_BEGIN_DECLS

/* The settings of one run, from the command line. */
typedef struct {
    DuetBenchWorkload workload; /* what to run */
    const char *master;         /* local[N] */
    gboolean saturate;          /* batches back to back (else at a fixed rate) */
    gdouble rate;               /* rate mode: input rows per second */
    gint64 batch_rows;          /* rows per batch (rate mode: rate x batch interval) */
    gdouble duration_s;         /* run time per API, when batches is 0 */
    gint64 batches;             /* > 0: exactly this many batches per API */
    const char *bootstrap;      /* kafka-to-kafka: a broker, or NULL for the mock cluster */
} DuetBenchConfig;

/* One batch as the child measured it. */
typedef struct {
    gint64 batch;          /* index, from 0 */
    gdouble t_s;           /* when it completed, seconds since the API's first batch was due */
    gint64 rows;           /* input rows */
    gint64 output_rows;    /* rows the job emitted for it */
    gdouble latency_ms;    /* completion - when its input was complete (rate mode: its due time,
                            * so waiting behind a slow batch counts) */
    gdouble processing_ms; /* completion - start of its processing */
    gdouble cpu_ms;        /* process CPU time (user + system) spent while it was processed */
} DuetBenchSample;

/* An API's measurements. */
typedef struct {
    char *api;            /* "dstream" or "structured" */
    GArray *samples;      /* DuetBenchSample, in batch order */
    gboolean complete;    /* the child reported its totals */
    gboolean interrupted; /* stopped early by SIGINT/SIGTERM */
    gint64 peak_rss_kib;  /* the child's peak resident set */
    gint64 state_rows;    /* Structured: rows in state after the last batch; -1 unknown */
    char *error;          /* why it failed, or NULL */
} DuetBenchResult;

DuetBenchResult *duet_bench_result_new(const char *api);
void duet_bench_result_free(DuetBenchResult *result);

/* Summary numbers of a result. */
typedef struct {
    gint64 batches, rows, output_rows;
    gdouble busy_s; /* sum of processing times */
    gdouble wall_s; /* from the first batch due to the last completion */
    gdouble
        rows_per_second; /* rows / busy_s: the processing rate (Spark's processedRowsPerSecond) */
    gdouble input_rows_per_second;          /* rows / wall_s: the rate achieved end to end */
    gdouble p50_ms, p95_ms, p99_ms, max_ms; /* per-batch latency */
    gdouble cpu_s;                          /* CPU time while batches were processed */
    gdouble cpu_percent; /* cpu_s / busy_s x 100: cores kept busy (200% = 2 cores) */
} DuetBenchSummary;

void duet_bench_result_summarize(const DuetBenchResult *result, DuetBenchSummary *summary);

/* The child: runs one API (api "dstream" or "structured") and prints its JSON lines to out.
 * stop is polled between batches (set by SIGINT/SIGTERM). Returns 0, or 1 after printing an
 * error line. */
int duet_bench_child_run(const DuetBenchConfig *config, const char *api, volatile gint *stop,
                         FILE *out);
/* The same for kafka-to-kafka (bench_kafka.c). */
int duet_bench_kafka_run(const DuetBenchConfig *config, const char *api, volatile gint *stop,
                         FILE *out);
/* Prints a sample line / the totals line (shared by both runners). */
void duet_bench_print_sample(FILE *out, const DuetBenchSample *sample);
void duet_bench_print_totals(FILE *out, gboolean interrupted, gint64 state_rows);
void duet_bench_print_error(FILE *out, const char *message);
/* Sleeps until the monotonic time deadline_us, waking early when *stop is set. */
void duet_bench_sleep_until(gint64 deadline_us, volatile gint *stop);
/* Process CPU time (user + system), in milliseconds. */
gdouble duet_bench_cpu_ms(void);

/* Draws latency and processing rate per batch over time, one <g class="series"> per result.
 * Fails with a G_FILE_ERROR. */
gboolean duet_bench_plot_write(const char *path, const char *title, GPtrArray *results,
                               GError **error);

G_END_DECLS
