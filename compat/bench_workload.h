/* bench_workload.h — the workloads of `duet bench`: their input and their job in both APIs.
 *
 * Layer: compat/. A workload is a deterministic input generator (batch index -> rows, the same
 * rows for both APIs and for `--dump-input`, which the Spark comparison in tests/bench/vs-spark
 * reads) plus one job written twice, once per API, as a user of each API would write it:
 *   wordcount      lines of 10 words from a vocabulary of `keys` words. Structured
 *                  explode(split(value, ' ')) + groupBy(word).count() in Complete mode; DStream
 *                  flatMap(split) + map((w, 1)) + updateStateByKey(sum) — both emit every
 *                  word's running count at every batch.
 *   windowed       (key, time) rows, batch index i covering event times [i, i + 1) batch
 *                  intervals. Structured withWatermark(time, watermark) +
 *                  groupBy(window(time, window, slide), key).count() in Append mode; DStream
 *                  reduceByKeyAndWindow(+, window, slide) over batch times.
 *   stateful       (key, value) rows over `keys` keys (1M by default). Structured
 *                  groupBy(key).count() in Update mode; DStream mapWithState keeping a running
 *                  count per key and emitting the keys it updated.
 *   filter-project JSON events {"id","user","type","amount","ts"} as text lines. Both parse
 *                  them with rdd/'s JSON-lines codec in a mapPartitions, keep type = 'buy' and
 *                  amount > 50 and project (id, user, amount * 0.9 AS net); Structured with
 *                  where/selectExpr, DStream with filter/map.
 * kafka-to-kafka has no generator here: see bench_kafka.c.
 */
#pragma once

#include "dstream/dstream.h"
#include "structured/query.h"

G_BEGIN_DECLS

typedef enum {
    DUET_BENCH_WORDCOUNT,
    DUET_BENCH_WINDOWED,
    DUET_BENCH_STATEFUL,
    DUET_BENCH_FILTER_PROJECT,
    DUET_BENCH_KAFKA_TO_KAFKA,
} DuetBenchWorkloadKind;

/* A workload and its parameters (a small value type). */
typedef struct {
    DuetBenchWorkloadKind kind;
    gint64 keys;         /* distinct keys (wordcount: the vocabulary; filter-project: users) */
    gint64 batch_ms;     /* the batch interval, and the event time one batch covers */
    gint64 window_ms;    /* windowed: window length (a multiple of batch_ms) */
    gint64 slide_ms;     /* windowed: slide (a multiple of batch_ms; = window_ms: tumbling) */
    gint64 watermark_ms; /* windowed: the Structured watermark delay */
    guint partitions;    /* shuffle partitions (spark.sql.shuffle.partitions, DStream's too) */
} DuetBenchWorkload;

/* "wordcount", "windowed", "stateful", "filter-project", "kafka-to-kafka". */
const char *duet_bench_workload_name(DuetBenchWorkloadKind kind);
/* FALSE (no error) for an unknown name. */
gboolean duet_bench_workload_from_name(const char *name, DuetBenchWorkloadKind *kind);
/* Every workload name, comma-separated, for messages. */
const char *duet_bench_workload_names(void);
/* The default keys of a workload: 100k words, 100k keys, 1M keys, 10k users. */
gint64 duet_bench_workload_default_keys(DuetBenchWorkloadKind kind);

/* The input schema. (transfer full) */
DuetSchema *duet_bench_workload_input_schema(const DuetBenchWorkload *workload);
/* The input of batch index: rows rows, a pure function of (workload, index, rows).
 * (transfer full) */
DuetBatch *duet_bench_workload_make_batch(const DuetBenchWorkload *workload, gint64 index,
                                          gint64 rows);
/* The same rows as text, one a line (JSON for filter-project, tab-separated otherwise). */
void duet_bench_workload_append_text(const DuetBenchWorkload *workload, DuetBatch *batch,
                                     GString *out);

/* The Structured query over source (whose schema is the input schema) and its output mode.
 * (transfer full) */
DuetDataFrame *duet_bench_workload_structured_plan(const DuetBenchWorkload *workload,
                                                   DuetSource *source, DuetOutputMode *mode,
                                                   GError **error);
/* The DStream job over input: the stream whose RDDs are the results of each batch.
 * (transfer full) */
DuetDStream *duet_bench_workload_dstream(const DuetBenchWorkload *workload, DuetDStream *input,
                                         GError **error);

G_END_DECLS
