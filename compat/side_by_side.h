/* side_by_side.h — one paired example run by both APIs at once, over one shared source.
 *
 * Layer: compat/. A run owns one context and one clock, one input source that both APIs read
 * (duet's shared sources, so each engine sees every record once), the example's DStream half
 * on a StreamingContext and its Structured half as a streaming query whose trigger is the
 * batch interval. Each step feeds one batch of input (from the example's generator, or
 * whatever arrived on an external source), moves the clock one interval, waits for both
 * engines' batch and returns what each produced, its text (pprint / console sink) and its
 * processing time. The manual clock makes the batches of both engines the same records.
 */
#pragma once

#include "compat/example.h"

G_BEGIN_DECLS

typedef struct {
    const char *source;      /* NULL: the example's default; else socket:HOST:PORT,
                              * kafka:BOOTSTRAP/TOPIC (kafka:mock/TOPIC: a cluster in memory),
                              * file:DIR, zmq:ENDPOINT, or "generator" */
    const char *sink;        /* NULL, or an extra sink both write to: FORMAT:TARGET */
    const char *master;      /* "local[2]" when NULL */
    gint64 interval_ms;      /* 0: the example's batch interval */
    guint lines_per_batch;   /* generated lines per batch (0: 20) */
    guint32 seed;            /* of the generator */
    gboolean run_dstream;    /* run the DStream half */
    gboolean run_structured; /* run the Structured half */
    gint num_rows;           /* rows printed per side (pprint's num, show's numRows); 0: 20 */
    gboolean wall_clock;     /* external input: wait one real interval before each batch */
} DuetSideBySideOptions;

/* What one engine did in one batch. */
typedef struct {
    gboolean ran;          /* this API is part of the run */
    DuetBatch *rows;       /* everything the batch output (collected), or NULL */
    char *text;            /* pprint's text or the console sink's table */
    gdouble processing_ms; /* real time the engine spent on the batch */
    gint64 late_rows;      /* Structured: rows dropped by the watermark in this batch */
    gint64 watermark_ms;   /* Structured: the watermark the batch used (0: none) */
} DuetEngineBatch;

typedef struct {
    guint index;                /* 0, 1, ... */
    gint64 time_ms;             /* the batch time (DStream's batch time, Structured's trigger) */
    gint64 rows_in;             /* input records of the batch */
    GPtrArray *input;           /* the generated lines (char *), or NULL for an external source */
    DuetEngineBatch dstream;    /* the DStream half's output */
    DuetEngineBatch structured; /* the Structured half's output */
} DuetSideBySideBatch;

void duet_side_by_side_batch_free(DuetSideBySideBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetSideBySideBatch, duet_side_by_side_batch_free)

typedef struct _DuetSideBySide DuetSideBySide;

/* Builds both halves and starts both engines. Fails with an error naming the bad option
 * (an unknown source kind, a source the example cannot read, an unreachable peer). */
DuetSideBySide *duet_side_by_side_new(const DuetExample *example,
                                      const DuetSideBySideOptions *options, GError **error);
/* Runs one batch on both engines. (transfer full) */
DuetSideBySideBatch *duet_side_by_side_step(DuetSideBySide *run, GError **error);
/* A description of the input: "generator (seed 42, 20 lines a batch)", "socket 127.0.0.1:9999". */
const char *duet_side_by_side_input(DuetSideBySide *run);
/* The shared source both APIs read. (transfer none) */
DuetSource *duet_side_by_side_source(DuetSideBySide *run);
/* The Structured half's plans (explain extended), and the DStream graph, as text. */
char *duet_side_by_side_explain(DuetSideBySide *run);
/* Stops both engines (the current batch is complete: steps are synchronous) and frees. */
void duet_side_by_side_free(DuetSideBySide *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetSideBySide, duet_side_by_side_free)

G_END_DECLS
