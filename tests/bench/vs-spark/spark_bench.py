#!/usr/bin/env python3
"""spark_bench.py — one `duet bench` workload on Apache Spark (pyspark, local mode), one API.

Usage: spark_bench.py WORKLOAD API INPUT_DIR OUT.json [--master local[2]] [--partitions 8]
                      [--batch-ms 1000] [--window-ms 10000] [--slide-ms 10000]
                      [--watermark-ms 5000]

INPUT_DIR holds the batches `duet bench WORKLOAD --dump-input INPUT_DIR --batches N` wrote
(batch-NNNNN.txt: lines for wordcount, CSV key,time_ms for windowed, CSV key,value for stateful,
JSON lines for filter-project), so Spark and duet process the same rows. API is
"structured" or "dstream". Each batch is measured as duet measures it with --saturate:
  structured  readStream (maxFilesPerTrigger=1, so one file = one micro-batch) -> the job ->
              the noop sink; a batch's time is its progress's durationMs.triggerExecution (plus
              the no-data batches that follow it, which emit windows once the watermark moved,
              as duet's processAllAvailable includes them). The file is read and parsed inside
              the batch: Spark has no in-memory stream in Python.
  dstream     queueStream(oneAtATime) of RDDs read and cached before the start, so input is
              in memory as in duet; the job's functions are Python lambdas run by pyspark's
              Python workers (that is what pyspark DStreams are); a batch's time is its
              foreachRDD(count) — the action runs the whole batch.
Writes a JSON document shaped like `duet bench --json` (one result) with the peak RSS of the
process tree (this Python, the JVM, the Python workers), sampled every 100 ms.
"""
import argparse
import json
import operator
import os
import shutil
import tempfile
import threading
import time


def tree_rss_kib(root):
    """VmRSS of root and all its descendants, in KiB."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
        stack.extend(children.get(pid, []))
    return total


class PeakRss(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.1):
            self.peak_kib = max(self.peak_kib, tree_rss_kib(os.getpid()))


def structured(spark, args, files):
    from pyspark.sql import functions as F
    # the file source picks files oldest first: a directory of links in batch order
    watch = tempfile.mkdtemp(prefix="spark-bench-in-")
    for index, path in enumerate(files):
        target = os.path.join(watch, os.path.basename(path))
        shutil.copyfile(path, target)
        os.utime(target, (1000000 + index, 1000000 + index))
    reader = spark.readStream.option("maxFilesPerTrigger", 1)
    mode = "append"
    if args.workload == "wordcount":
        frame = (reader.text(watch).select(F.explode(F.split("value", " ")).alias("word"))
                 .groupBy("word").count())
        mode = "complete"
    elif args.workload == "windowed":
        window = "%d milliseconds" % args.window_ms
        slide = "%d milliseconds" % args.slide_ms
        frame = (reader.schema("key BIGINT, time_ms BIGINT").csv(watch)
                 .select("key", F.timestamp_millis("time_ms").alias("time"))
                 .withWatermark("time", "%d milliseconds" % args.watermark_ms)
                 .groupBy(F.window("time", window, slide), "key").count())
    elif args.workload == "stateful":
        frame = reader.schema("key BIGINT, value BIGINT").csv(watch).groupBy("key").count()
        mode = "update"
    elif args.workload == "filter-project":
        schema = "id BIGINT, user STRING, type STRING, amount DOUBLE, ts BIGINT"
        frame = (reader.text(watch).select(F.from_json("value", schema).alias("e")).select("e.*")
                 .where("type = 'buy' AND amount > 50")
                 .selectExpr("id", "user", "amount * 0.9 AS net"))
    else:
        raise SystemExit("spark_bench: no Structured job for %s" % args.workload)
    checkpoint = tempfile.mkdtemp(prefix="spark-bench-ckpt-")
    query = (frame.writeStream.format("noop").outputMode(mode)
             .option("checkpointLocation", checkpoint).start())
    query.processAllAvailable()
    progresses = list(query.recentProgress)
    query.stop()
    shutil.rmtree(watch, ignore_errors=True)
    shutil.rmtree(checkpoint, ignore_errors=True)
    series = []
    for progress in progresses:
        duration = progress["durationMs"].get("triggerExecution", 0)
        rows = progress["numInputRows"]
        out = progress.get("sink", {}).get("numOutputRows", 0)
        if rows > 0:
            series.append({"batch": len(series), "rows": rows, "processing_ms": duration,
                           "output_rows": max(out, 0)})
        elif series:  # a no-data batch: part of the data batch before it
            series[-1]["processing_ms"] += duration
            series[-1]["output_rows"] += max(out, 0)
    return series


def dstream(spark, args, files):
    from pyspark.streaming import StreamingContext
    sc = spark.sparkContext
    ssc = StreamingContext(sc, args.batch_ms / 1000.0)
    checkpoint = tempfile.mkdtemp(prefix="spark-bench-ckpt-")
    ssc.checkpoint(checkpoint)
    rdds, sizes = [], []
    for path in files:
        rdd = sc.textFile(path, 2).cache()
        sizes.append(rdd.count())
        rdds.append(rdd)
    stream = ssc.queueStream(rdds, oneAtATime=True)
    partitions = args.partitions
    if args.workload == "wordcount":
        result = (stream.flatMap(lambda line: line.split(" ")).map(lambda word: (word, 1))
                  .updateStateByKey(lambda values, state: sum(values) + (state or 0),
                                    numPartitions=partitions))
    elif args.workload == "windowed":
        result = (stream.map(lambda line: (int(line.split(",", 1)[0]), 1))
                  .reduceByKeyAndWindow(operator.add, None, args.window_ms / 1000.0,
                                        args.slide_ms / 1000.0, numPartitions=partitions))
    elif args.workload == "stateful":
        # pyspark has no mapWithState: updateStateByKey keeps the running count per key
        result = (stream.map(lambda line: (int(line.split(",", 1)[0]), 1))
                  .updateStateByKey(lambda values, state: (state or 0) + len(values),
                                    numPartitions=partitions))
    elif args.workload == "filter-project":
        result = (stream.map(json.loads)
                  .filter(lambda e: e["type"] == "buy" and e["amount"] > 50)
                  .map(lambda e: (e["id"], e["user"], e["amount"] * 0.9)))
    else:
        raise SystemExit("spark_bench: no DStream job for %s" % args.workload)
    # One entry per input batch, found by its batch time: a first output operation on the
    # queue stream records the time of every batch (it runs no job), the second times the job.
    # A windowed stream has a job only when its window slides (as in duet); the other batches
    # then count 0 rows out and 0 ms. No lock in the closures: with a checkpoint directory
    # pyspark pickles them, and output operations run one at a time on one thread anyway.
    series = [{"batch": index, "rows": size, "processing_ms": 0.0, "output_rows": 0}
              for index, size in enumerate(sizes)]
    batch_times = []
    done = []

    def note_batch(batch_time, rdd):
        batch_times.append(batch_time)

    def measure(batch_time, rdd):
        started = time.perf_counter()
        count = rdd.count()
        elapsed = (time.perf_counter() - started) * 1000.0
        if batch_time in batch_times:
            index = batch_times.index(batch_time)
            if index < len(series):
                series[index]["processing_ms"] = elapsed
                series[index]["output_rows"] = count
                done.append(index)

    stream.foreachRDD(note_batch)
    result.foreachRDD(measure)
    ssc.start()
    deadline = time.time() + 3600
    # until the last input batch was processed (windowed: until its batch time passed);
    # awaitTerminationOrTimeout raises a failed batch's error instead of waiting an hour
    while len(batch_times) <= len(files) and time.time() < deadline:
        ssc.awaitTerminationOrTimeout(0.1)
    ssc.stop(stopSparkContext=False, stopGraceFully=False)
    shutil.rmtree(checkpoint, ignore_errors=True)
    return series


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), int(-(-fraction * len(sorted_values) // 1))))
    return sorted_values[rank - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("api", choices=["structured", "dstream"])
    parser.add_argument("input_dir")
    parser.add_argument("out")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--batch-ms", type=int, default=1000)
    parser.add_argument("--window-ms", type=int, default=10000)
    parser.add_argument("--slide-ms", type=int, default=10000)
    parser.add_argument("--watermark-ms", type=int, default=5000)
    parser.add_argument("--driver-memory", default="4g")
    args = parser.parse_args()
    files = sorted(os.path.join(args.input_dir, name) for name in os.listdir(args.input_dir)
                   if name.startswith("batch-"))
    if not files:
        raise SystemExit("spark_bench: no batch-*.txt in %s" % args.input_dir)
    peak = PeakRss()
    peak.start()
    from pyspark.sql import SparkSession
    import pyspark
    spark = (SparkSession.builder.master(args.master).appName("duet-vs-spark")
             .config("spark.driver.memory", args.driver_memory)
             .config("spark.sql.shuffle.partitions", str(args.partitions))
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.streaming.numRecentProgressUpdates", "100000")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    series = structured(spark, args, files) if args.api == "structured" else dstream(spark, args, files)
    spark.stop()
    peak.done.set()
    peak.join()
    latencies = sorted(s["processing_ms"] for s in series)
    busy_s = sum(latencies) / 1000.0
    rows = sum(s["rows"] for s in series)
    result = {
        "api": args.api, "ok": True, "error": None, "batches": len(series), "rows": rows,
        "output_rows": sum(s["output_rows"] for s in series), "busy_s": busy_s,
        "rows_per_second": rows / busy_s if busy_s > 0 else 0,
        "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                       "p99": percentile(latencies, 0.99), "max": latencies[-1] if latencies else 0},
        "peak_rss_mib": peak.peak_kib / 1024.0, "series": series,
    }
    doc = {"system": "spark", "version": pyspark.__version__, "workload": args.workload,
           "mode": "saturate", "master": args.master, "partitions": args.partitions,
           "batch_ms": args.batch_ms, "results": [result]}
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
    print("spark_bench: %s %s: %d batches, %d rows, %.0f rows/s, p50 %.1f ms, peak RSS %.0f MiB"
          % (args.workload, args.api, len(series), rows, result["rows_per_second"],
             result["latency_ms"]["p50"], result["peak_rss_mib"]))


if __name__ == "__main__":
    main()
