#!/usr/bin/env python3
"""Checks `duet bench --json` output: its shape, and each batch's output rows against the
input that `duet bench --dump-input` wrote for the same settings, recounted here in Python.

Usage: bench_check.py RESULTS.json DUMP_DIR APIS
APIS: the comma-separated APIs the run had ("dstream,structured"). Exit 1 with a message on the
first difference. The expected counts follow each workload's job (compat/bench_workload.h):
  wordcount       both APIs emit every word seen so far, at every batch
  windowed        DStream emits the distinct keys of each window when it slides; Structured
                  (Append, watermark) emits each window's keys once the watermark passes its end
  stateful        DStream mapWithState emits one value per input row; Structured Update mode
                  one row per key updated in the batch
  filter-project  both: the events with type "buy" and amount > 50
  kafka-to-kafka  both: every record produced comes out (DUMP_DIR is not read; pass -)
"""
import json
import os
import sys


def fail(message):
    print("bench_check: " + message)
    sys.exit(1)


def batches_of(dump_dir):
    names = sorted(n for n in os.listdir(dump_dir) if n.startswith("batch-"))
    for name in names:
        with open(os.path.join(dump_dir, name)) as f:
            yield [line.rstrip("\n") for line in f if line.strip()]


def expected_outputs(doc, dump_dir):
    """API -> list of output rows per batch."""
    workload = doc["workload"]
    if workload == "kafka-to-kafka":
        # every record produced must come out of the output topic, batch by batch
        counts = [doc["batch_rows"]] * doc["batches"]
        return {"dstream": counts, "structured": counts}
    batches = list(batches_of(dump_dir))
    if workload == "filter-project":
        counts = []
        for lines in batches:
            events = [json.loads(line) for line in lines]
            counts.append(sum(1 for e in events if e["type"] == "buy" and e["amount"] > 50))
        return {"dstream": counts, "structured": counts}
    if workload == "stateful":
        return {"dstream": [len(lines) for lines in batches],
                "structured": [len({line.split(",")[0] for line in lines}) for lines in batches]}
    if workload == "wordcount":
        seen, counts = set(), []
        for lines in batches:
            for line in lines:
                seen.update(line.split(" "))
            counts.append(len(seen))
        return {"dstream": counts, "structured": counts}
    if workload == "windowed":
        batch_ms = doc["batch_ms"]
        window = doc["window_ms"] // batch_ms
        if doc["slide_ms"] != doc["window_ms"]:
            fail("only tumbling windows are checked")
        keys = [{line.split(",")[0] for line in lines} for lines in batches]
        dstream = []
        for index in range(len(batches)):
            if (index + 1) % window == 0:
                dstream.append(len(set().union(*keys[index + 1 - window:index + 1])))
            else:
                dstream.append(0)
        # Structured: window w = batches [w*window, (w+1)*window) closes when the watermark
        # (max event time seen - delay) reaches its end; the no-data batch that follows the
        # batch raising it emits it, inside that batch's processAllAvailable.
        structured = [0] * len(batches)
        closed = set()
        max_event_ms = -1
        for index, lines in enumerate(batches):
            max_event_ms = max([max_event_ms] + [int(line.split(",")[1]) for line in lines])
            watermark = max_event_ms - doc["watermark_ms"]
            for start in range(0, index + 1, window):
                end_ms = (start + window) * batch_ms
                if end_ms <= watermark and start not in closed:
                    closed.add(start)
                    structured[index] += len(set().union(*keys[start:start + window]))
        return {"dstream": dstream, "structured": structured}
    fail("no expectation for workload %s" % workload)


def main():
    path, dump_dir, apis = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    with open(path) as f:
        doc = json.load(f)
    for key, kind in [("workload", str), ("mode", str), ("batch_ms", int), ("batch_rows", int),
                      ("partitions", int), ("master", str), ("results", list),
                      ("interrupted", bool)]:
        if not isinstance(doc.get(key), kind):
            fail("%s: %r is not a %s" % (key, doc.get(key), kind.__name__))
    if [r["api"] for r in doc["results"]] != apis:
        fail("results are for %s, expected %s" % ([r["api"] for r in doc["results"]], apis))
    expected = expected_outputs(doc, dump_dir)
    for result in doc["results"]:
        api = result["api"]
        if not result["ok"] or result["error"] is not None:
            fail("%s failed: %s" % (api, result["error"]))
        latency = result["latency_ms"]
        if not 0 <= latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]:
            fail("%s: latency percentiles out of order: %s" % (api, latency))
        series = result["series"]
        if len(series) != result["batches"] or result["batches"] != doc["batches"]:
            fail("%s: %d batches in the series, %d reported, %d asked" %
                 (api, len(series), result["batches"], doc["batches"]))
        if [s["batch"] for s in series] != list(range(len(series))):
            fail("%s: batches out of order" % api)
        if sum(s["rows"] for s in series) != result["rows"] or \
                result["rows"] != doc["batches"] * doc["batch_rows"]:
            fail("%s: %d rows, expected %d" % (api, result["rows"],
                                               doc["batches"] * doc["batch_rows"]))
        for key in ["rows_per_second", "peak_rss_mib", "cpu_s", "busy_s", "wall_s"]:
            if not isinstance(result[key], (int, float)) or result[key] < 0:
                fail("%s: %s is %r" % (api, key, result[key]))
        if result["peak_rss_mib"] <= 0 or result["rows_per_second"] <= 0:
            fail("%s: no peak RSS or rate" % api)
        outputs = [s["output_rows"] for s in series]
        if outputs != expected[api]:
            fail("%s: output rows per batch %s, expected %s" % (api, outputs, expected[api]))
    print("bench_check: %s %s: shape and output rows as expected" %
          (doc["workload"], ",".join(apis)))


if __name__ == "__main__":
    main()
