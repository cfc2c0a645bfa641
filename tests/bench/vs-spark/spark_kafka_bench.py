#!/usr/bin/env python3
"""spark_kafka_bench.py — `duet bench kafka-to-kafka` on Apache Spark Structured Streaming.

Usage: spark_kafka_bench.py BOOTSTRAP OUT.json [--batches 8] [--batch-rows 20000]
                            [--master local[2]] [--partitions 8] [--jars A.jar,B.jar]
                            [--harness-only]

Measured as compat/bench_kafka.c measures duet with --saturate: the job — readStream kafka
(subscribe the input topic, earliest) -> CAST(key AS STRING), upper(CAST(value AS STRING)) ->
writeStream kafka to the output topic, default trigger — runs, and this process, as the outside
world, produces each batch of 100-byte records ("b<batch> r<row> " then letters, the same bytes
duet bench makes, made before the batch's clock starts) with its own librdkafka producer (confluent-kafka, linger.ms=1, as duet's) and
reads the output topic with its own consumer thread (partitions assigned from the beginning,
fetch.wait.max.ms=5). A batch's latency is from the start of its production to its last record
out; the next batch is produced once the previous one is all out. Topics: 2 partitions each,
as duet bench makes them. The connector jars (spark-sql-kafka-0-10 and its dependencies) come
from --jars (tests/reference/setup's DUET_SPARK_KAFKA_JARS); confluent_kafka must be importable
(./run installs it into a cached folder and puts it on PYTHONPATH).

--harness-only runs no Spark: the consumer reads the input topic itself, so the latency is what
producing and consuming alone cost this harness (the floor under every Spark number).
Spark DStreams are not measured: pyspark has had no Kafka DStream since Spark 3.0 (KafkaUtils was
removed), so the DStream result is written as not measurable, with that reason.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spark_bench import PeakRss, percentile  # noqa: E402

RECORD_BYTES = 100
TOPIC_PARTITIONS = 2
FETCH_WAIT_MS = "5"
BATCH_TIMEOUT_S = 120
DSTREAM_REASON = ("not measurable: pyspark has no Kafka DStream since Spark 3.0 "
                  "(pyspark.streaming.kafka.KafkaUtils was removed)")


def record(batch, row):
    head = b"b%d r%d " % (batch, row)
    return head + bytes(ord("a") + (row + at) % 26 for at in range(len(head), RECORD_BYTES))


class OutputReader(threading.Thread):
    """Counts the records of each batch on a topic and the time of each batch's last one."""

    def __init__(self, bootstrap, topic, batches):
        super().__init__(daemon=True)
        from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
        self.consumer = Consumer({"bootstrap.servers": bootstrap,
                                  "group.id": "duet-vs-spark-%s" % uuid.uuid4().hex,
                                  "auto.offset.reset": "earliest",
                                  "enable.auto.commit": False,
                                  "fetch.wait.max.ms": int(FETCH_WAIT_MS)})
        self.consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)
                              for p in range(TOPIC_PARTITIONS)])
        self.received = [0] * batches
        self.last = [0.0] * batches
        self.arrived = threading.Condition()
        self.quit = False
        self.error = None

    def run(self):
        while not self.quit:
            messages = self.consumer.consume(num_messages=10000, timeout=0.05)
            if not messages:
                continue
            now = time.monotonic()
            with self.arrived:
                for message in messages:
                    if message.error():
                        self.error = str(message.error())
                        continue
                    value = message.value() or b""
                    if value[:1] not in (b"B", b"b"):
                        continue
                    batch = int(value[1:value.index(b" ")])
                    if 0 <= batch < len(self.received):
                        self.received[batch] += 1
                        self.last[batch] = now
                self.arrived.notify_all()
        self.consumer.close()

    def wait(self, batch, rows, deadline):
        with self.arrived:
            while self.received[batch] < rows and time.monotonic() < deadline:
                self.arrived.wait(0.1)
            return self.last[batch] if self.received[batch] >= rows else None


def create_topics(bootstrap, names):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, TOPIC_PARTITIONS, 1) for name in names],
                                  operation_timeout=30)
    for name, future in futures.items():
        future.result(timeout=30)


def start_spark_job(args, bootstrap, in_topic, out_topic, checkpoint):
    from pyspark.sql import SparkSession
    builder = (SparkSession.builder.master(args.master).appName("duet-vs-spark-kafka")
               .config("spark.driver.memory", args.driver_memory)
               .config("spark.sql.shuffle.partitions", str(args.partitions))
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    if args.jars:
        builder = builder.config("spark.jars", args.jars)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    frame = (spark.readStream.format("kafka")
             .option("kafka.bootstrap.servers", bootstrap)
             .option("subscribe", in_topic)
             .option("startingOffsets", "earliest")
             .option("kafka.fetch.max.wait.ms", FETCH_WAIT_MS)
             .load()
             .selectExpr("CAST(key AS STRING) AS key", "upper(CAST(value AS STRING)) AS value"))
    query = (frame.writeStream.format("kafka")
             .option("kafka.bootstrap.servers", bootstrap)
             .option("topic", out_topic)
             .option("checkpointLocation", checkpoint)
             .start())
    return spark, query


def run(args, peak):
    from confluent_kafka import Producer
    tag = "%d-%s" % (os.getpid(), uuid.uuid4().hex[:6])
    in_topic, out_topic = "vs-spark-in-" + tag, "vs-spark-out-" + tag
    create_topics(args.bootstrap, [in_topic, out_topic])
    reader = OutputReader(args.bootstrap, in_topic if args.harness_only else out_topic,
                          args.batches)
    reader.start()
    spark = query = None
    checkpoint = tempfile.mkdtemp(prefix="spark-kafka-bench-ckpt-")
    if not args.harness_only:
        spark, query = start_spark_job(args, args.bootstrap, in_topic, out_topic, checkpoint)
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 1})
    series = []
    started = time.monotonic()
    try:
        for batch in range(args.batches):
            # made before the clock starts: duet makes each record with one snprintf, Python
            # would take longer than producing them
            values = [record(batch, row) for row in range(args.batch_rows)]
            due = time.monotonic()
            for value in values:
                while True:
                    try:
                        producer.produce(in_topic, value=value)
                        break
                    except BufferError:
                        producer.poll(0.01)
            producer.flush(30)
            last = reader.wait(batch, args.batch_rows, time.monotonic() + BATCH_TIMEOUT_S)
            if last is None:
                if query is not None and query.exception() is not None:
                    raise SystemExit("spark_kafka_bench: the query failed: %s" % query.exception())
                raise SystemExit("spark_kafka_bench: batch %d did not come out of %s within %d s%s"
                                 % (batch, out_topic, BATCH_TIMEOUT_S,
                                    ": " + reader.error if reader.error else ""))
            elapsed = (last - due) * 1000.0
            series.append({"batch": batch, "t_s": last - started, "rows": args.batch_rows,
                           "output_rows": args.batch_rows, "latency_ms": elapsed,
                           "processing_ms": elapsed})
            print("spark_kafka_bench: batch %d: %.1f ms" % (batch, elapsed), file=sys.stderr)
    finally:
        reader.quit = True
        reader.join()
        if query is not None:
            query.stop()
        if spark is not None:
            spark.stop()
        shutil.rmtree(checkpoint, ignore_errors=True)
    return series


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("out")
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--batch-rows", type=int, default=20000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--jars", default=os.environ.get("DUET_SPARK_KAFKA_JARS", ""))
    parser.add_argument("--harness-only", action="store_true")
    args = parser.parse_args()
    peak = PeakRss()
    peak.start()
    series = run(args, peak)
    peak.done.set()
    peak.join()
    import pyspark
    latencies = sorted(s["processing_ms"] for s in series)
    busy_s = sum(latencies) / 1000.0
    rows = sum(s["rows"] for s in series)
    result = {
        "api": "harness" if args.harness_only else "structured", "ok": True, "error": None,
        "batches": len(series), "rows": rows, "output_rows": rows, "busy_s": busy_s,
        "rows_per_second": rows / busy_s if busy_s > 0 else 0,
        "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                       "p99": percentile(latencies, 0.99), "max": latencies[-1] if latencies else 0},
        "peak_rss_mib": peak.peak_kib / 1024.0, "series": series,
    }
    dstream = {"api": "dstream", "ok": False, "error": DSTREAM_REASON, "series": []}
    doc = {"system": "harness" if args.harness_only else "spark", "version": pyspark.__version__,
           "workload": "kafka-to-kafka", "mode": "saturate", "master": args.master,
           "partitions": args.partitions, "batch_rows": args.batch_rows,
           "results": [result] if args.harness_only else [result, dstream]}
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
    print("spark_kafka_bench: %s: %d batches, %d rows, %.0f rows/s, p50 %.1f ms, peak RSS %.0f MiB"
          % (result["api"], len(series), rows, result["rows_per_second"],
             result["latency_ms"]["p50"], result["peak_rss_mib"]))


if __name__ == "__main__":
    main()
