#!/usr/bin/env python3
"""The paired examples of compat/examples/, run by Apache Spark (pyspark, local mode).

usage: spark_examples.py OUT.json EXAMPLE:INPUT_DIR:BATCHES...

Each example's DStream program and Structured program, written here in PySpark as the files in
compat/examples/<name>/ are in C, run over the input `duet compare EXAMPLE --dump-input DIR`
recorded (DIR/batch-NNNNN.txt, one file a batch), with the same batch boundaries on both
engines: the DStream program reads a queueStream with one RDD a batch, the Structured program
reads the files with maxFilesPerTrigger=1 (one file a batch, in order). The batch interval is
scaled to half a second: DStream windows depend on how many batches they span, not on their
length, so a 5-minute window sliding every minute over 1-minute batches is a window of 5
batches sliding 1, like 2.5 s over 0.5 s. Writes {example: {"dstream": [[row, ...], ...],
"structured": [...]}} with every row as duet's --json prints it (Scala's toString).

kafka_word_count reads the recorded lines from files and a queue here, not from Kafka: its
computation is the network word count's; Kafka reading is tested against a real broker elsewhere.
"""
import datetime
import decimal
import json
import os
import re
import shutil
import sys
import tempfile
import time

from pyspark.sql import SparkSession
from pyspark.streaming import StreamingContext

BATCH_SECONDS = 0.5


# ---- rows as duet prints them (Scala's toString) ---------------------------------------------

def java_double(value):
    """Java's Double.toString: plain between 10^-3 and 10^7, else d.dddE[-]n."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(float(value))
        return text if "e" not in text else "%.1f" % value
    sign, digits, exponent = decimal.Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    scientific = len(digits) + exponent - 1
    return "%s%s.%sE%d" % ("-" if sign else "", text[0], text[1:] or "0", scientific)


def scala(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, datetime.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        fraction = ("%06d" % value.microsecond).rstrip("0") or "0"
        return text + "." + fraction
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(scala(v) for v in value) + ")"
    return str(value)


def row_text(row):
    """An element as duet prints it: a bare value for one column, a tuple otherwise."""
    if isinstance(row, (tuple, list)) and len(row) == 1:
        return scala(row[0])
    return scala(row)


# ---- the DStream halves (compat/examples/<name>/dstream.c) ----------------------------------

def split_words(line):
    """duet_example_split_words: runs of letters and apostrophes, lower-cased, as (word, 1)."""
    return [(word.lower(), 1) for word in re.findall(r"[A-Za-z']+", line)]


def add(a, b):
    return a + b


def subtract(a, b):
    return a - b


def fields(line):
    return line.split(",")


def number(text, kind):
    try:
        return kind(text.strip())
    except (ValueError, AttributeError):
        return None


def network_word_count_dstream(lines):
    return lines.flatMap(split_words).reduceByKey(add)


def running_counts_dstream(lines):
    def add_to_total(new_values, total):
        return sum(new_values) + (total or 0)
    return lines.flatMap(split_words).updateStateByKey(add_to_total)


def windowed_counts_dstream(lines):
    def word_of_event(line):
        parts = fields(line)
        return [(parts[1], 1)] if len(parts) > 1 and parts[1] else []
    return lines.flatMap(word_of_event).reduceByKeyAndWindow(
        add, subtract, 5 * BATCH_SECONDS, BATCH_SECONDS, filterFunc=lambda kv: kv[1] > 0)


def file_monitoring_dstream(lines):
    return lines.count()


def fraud_filter_dstream(lines):
    def flag(line):
        parts = fields(line)
        amount = number(parts[1], float) if len(parts) > 2 else None
        if amount is None or amount < 0:
            return []
        reason = "large" if amount > 2000 else "abroad" if parts[2] != "US" else None
        return [(parts[0], amount, parts[2], reason)] if reason else []
    return lines.flatMap(flag)


def round_half_up(value, places):
    """Spark SQL's round (and the C half's): half up on the decimal text of the double."""
    quantum = decimal.Decimal(1).scaleb(-places)
    return float(decimal.Decimal(repr(value)).quantize(quantum, decimal.ROUND_HALF_UP))


def sensor_averages_dstream(lines):
    def reading(line):
        parts = fields(line)
        temperature = number(parts[1], float) if len(parts) > 2 else None
        seconds = number(parts[2], int) if len(parts) > 2 else None
        if temperature is None or seconds is None or seconds < 0:
            return []
        return [("%s,%d" % (parts[0], seconds // 3600 * 3600), temperature)]

    def add_readings(temperatures, state):
        total, count = state or (0.0, 0)
        return (total + sum(temperatures), count + len(temperatures))

    def average(pair):
        sensor, hour = pair[0].split(",")
        total, count = pair[1]
        when = datetime.datetime.fromtimestamp(int(hour), datetime.timezone.utc)
        return (when.replace(tzinfo=None), sensor, round_half_up(total / count, 2))
    return lines.flatMap(reading).updateStateByKey(add_readings).map(average)


def log_monitoring_dstream(lines):
    def service_of_error(line):
        parts = fields(line)
        return [(parts[2], 1)] if len(parts) > 2 and parts[1] == "ERROR" else []
    return lines.flatMap(service_of_error).reduceByKeyAndWindow(
        add, subtract, 3 * BATCH_SECONDS, BATCH_SECONDS, filterFunc=lambda kv: kv[1] > 0)


# ---- the Structured halves (compat/examples/<name>/structured.c) ----------------------------

def network_word_count_structured(lines):
    words = lines.selectExpr("explode(split(lower(value), \"[^a-z']+\")) AS word")
    return words.where("word != ''").groupBy("word").count()


def windowed_counts_structured(lines):
    events = lines.selectExpr(
        "timestamp_seconds(CAST(element_at(split(value, ','), 1) AS BIGINT)) AS timestamp",
        "element_at(split(value, ','), 2) AS word")
    return (events.withWatermark("timestamp", "2 minutes")
            .groupBy(window_expr("window(timestamp, '5 minutes', '1 minute')"), "word").count())


def file_monitoring_structured(lines):
    return lines.groupBy().count()


def fraud_filter_structured(lines):
    payments = lines.selectExpr(
        "element_at(split(value, ','), 1) AS card",
        "CAST(element_at(split(value, ','), 2) AS DOUBLE) AS amount",
        "element_at(split(value, ','), 3) AS country")
    return payments.where("amount > 2000 OR country != 'US'").selectExpr(
        "card", "amount", "country",
        "CASE WHEN amount > 2000 THEN 'large' ELSE 'abroad' END AS reason")


def sensor_averages_structured(lines):
    readings = lines.selectExpr(
        "element_at(split(value, ','), 1) AS sensor",
        "CAST(element_at(split(value, ','), 2) AS DOUBLE) AS temperature",
        "timestamp_seconds(CAST(element_at(split(value, ','), 3) AS BIGINT)) AS timestamp")
    valid = readings.where(
        "sensor IS NOT NULL AND temperature IS NOT NULL AND timestamp IS NOT NULL")
    averages = valid.groupBy(window_expr("window(timestamp, '1 hour')"), "sensor").agg(
        {"temperature": "avg"}).withColumnRenamed("avg(temperature)", "avg")
    return averages.selectExpr("window.start AS hour", "sensor",
                               "round(avg, 2) AS avg_temperature")


def log_monitoring_structured(lines):
    logs = lines.selectExpr(
        "timestamp_seconds(CAST(element_at(split(value, ','), 1) AS BIGINT)) AS timestamp",
        "element_at(split(value, ','), 2) AS level",
        "element_at(split(value, ','), 3) AS service")
    errors = logs.where("level = 'ERROR'").withWatermark("timestamp", "30 seconds")
    return (errors.groupBy(window_expr("window(timestamp, '30 seconds', '10 seconds')"),
                           "service").agg(count_all().alias("errors")))


def window_expr(text):
    from pyspark.sql.functions import expr
    return expr(text)


def count_all():
    from pyspark.sql.functions import count
    return count("*")


EXAMPLES = {
    "network_word_count": (network_word_count_dstream, network_word_count_structured,
                           "complete"),
    "kafka_word_count": (network_word_count_dstream, network_word_count_structured, "complete"),
    "windowed_counts": (windowed_counts_dstream, windowed_counts_structured, "update"),
    "running_counts": (running_counts_dstream, network_word_count_structured, "complete"),
    "file_monitoring": (file_monitoring_dstream, file_monitoring_structured, "complete"),
    "fraud_filter": (fraud_filter_dstream, fraud_filter_structured, "append"),
    "sensor_averages": (sensor_averages_dstream, sensor_averages_structured, "update"),
    "log_monitoring": (log_monitoring_dstream, log_monitoring_structured, "update"),
}


# ---- running them --------------------------------------------------------------------------

def batch_lines(directory, batches):
    return [open(os.path.join(directory, "batch-%05d.txt" % index)).read().splitlines()
            for index in range(batches)]


def run_dstream(spark, program, lines_by_batch, checkpoint):
    sc = spark.sparkContext
    ssc = StreamingContext(sc, BATCH_SECONDS)
    ssc.checkpoint(checkpoint)
    queue = [sc.parallelize(lines, 2) for lines in lines_by_batch]
    stream = ssc.queueStream(queue, oneAtATime=True, default=sc.parallelize([], 2))
    batches = []
    program(stream).foreachRDD(lambda rdd: batches.append([row_text(r) for r in rdd.collect()]))
    ssc.start()
    deadline = time.monotonic() + 120
    while len(batches) < len(lines_by_batch) and time.monotonic() < deadline:
        time.sleep(0.05)
    ssc.stop(stopSparkContext=False, stopGraceFully=False)
    return batches[:len(lines_by_batch)]


def run_structured(spark, program, mode, directory, batches, work):
    # one file a batch, in order: distinct modification times, oldest first
    inputs = os.path.join(work, "input")
    os.makedirs(inputs)
    for index in range(batches):
        name = "batch-%05d.txt" % index
        shutil.copy(os.path.join(directory, name), os.path.join(inputs, name))
        os.utime(os.path.join(inputs, name), (1_000_000 + index, 1_000_000 + index))
    lines = spark.readStream.format("text").option("maxFilesPerTrigger", 1).load(inputs)
    results = {}

    def keep(frame, batch_id):
        results[batch_id] = [row_text(tuple(row)) for row in frame.collect()]
    query = (program(lines).writeStream.outputMode(mode).foreachBatch(keep)
             .option("checkpointLocation", os.path.join(work, "checkpoint"))
             .trigger(availableNow=True).start())
    query.awaitTermination()
    return [results.get(index, []) for index in range(batches)]


def main():
    out = sys.argv[1]
    os.environ["TZ"] = "UTC"
    time.tzset()
    spark = (SparkSession.builder.master("local[2]").appName("duet-reference-examples")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    results = {}
    for argument in sys.argv[2:]:
        name, directory, batches = argument.rsplit(":", 2)
        dstream, structured, mode = EXAMPLES[name]
        lines_by_batch = batch_lines(directory, int(batches))
        work = tempfile.mkdtemp(prefix="duet-spark-example-")
        try:
            results[name] = {
                "dstream": run_dstream(spark, dstream, lines_by_batch,
                                       os.path.join(work, "dstream")),
                "structured": run_structured(spark, structured, mode, directory, int(batches),
                                             os.path.join(work, "structured")),
            }
        finally:
            shutil.rmtree(work, ignore_errors=True)
    spark.stop()
    with open(out, "w") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main()
