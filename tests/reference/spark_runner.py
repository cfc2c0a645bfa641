"""spark_runner.py — runs conformance cases (the JSON case format of shared/conformance) on
Apache Spark itself, through pyspark, and writes what each case produced.

    $DUET_SPARK_PYTHON spark_runner.py OUT.json CASES.json...

OUT.json gets {"<id>": result}, the same shape `duet conformance --dump-json` writes:
  DStream cases    {"api": "dstream", "outputs": [[elements of output batch 1], ...]}
  Structured cases {"api": "structured", "batches": [{"batch_id": 0, "rows": [[...], ...]}],
                    "console": "<what the console sink printed>"}
  cases Spark cannot run this way {"skipped": "<why>"}.

One SparkSession (local[2]) runs every case. Batch boundaries are deterministic on both sides:
- DStream: each input stream is a queueStream holding one RDD per input batch (cut into the
  case's input partitions, as Spark's TestInputStream does), oneAtATime, an empty RDD once the
  queue is drained; a no-op output on every input makes each batch time dequeue one RDD. The
  session runs DStreams on Spark's ManualClock (spark.streaming.clock), as Spark's own streaming
  tests do: the clock starts at 0, the first batch is at one batch interval, and the runner
  advances it by the case's number of batches; outputs are collected with foreachRDD until the
  case's number of output batches is reached.
- Structured: each input stream is a directory read by the JSON file source with the input's
  columns as schema and maxFilesPerTrigger=1; each AddData writes one file (atomically: written
  beside, then renamed in) and, while the query runs, processAllAvailable() makes it one batch
  (plus the no-data batches Spark decides to run). Data added while the query is stopped is
  written as one file per input when it starts again (Spark's MemoryStream hands it to the first
  batch after the restart). Check*/Assert* actions only wait (processAllAvailable): this runner
  records what Spark produced, it does not judge it. Rows reach a foreachBatch sink (or the
  console sink for "console" cases, whose text is read back from the JVM's stdout between
  markers; see reference_runner.py).
Values are written as duet writes them: timestamps as microseconds since the epoch (UTC),
structs and tuples as arrays, integral doubles as integers.
"""
import calendar
import datetime
import decimal
import json
import operator
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback

os.environ["TZ"] = "UTC"
time.tzset()

MARKER = "@@duet-reference@@"


# ---- values --------------------------------------------------------------------------------


def to_json(value):
    """A Spark value (Row, tuple, datetime, ...) as the JSON value duet writes."""
    from pyspark.sql import Row

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value == value and value not in (float("inf"), float("-inf")) and value == int(value):
            return int(value)
        return value
    if isinstance(value, decimal.Decimal):
        return to_json(float(value))
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return calendar.timegm(value.timetuple()) * 1000000 + value.microsecond
    if isinstance(value, datetime.date):
        return (value - datetime.date(1970, 1, 1)).days
    if isinstance(value, Row):
        return [to_json(field) for field in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if hasattr(value, "__iter__"):
        return [to_json(item) for item in value]
    return value


# What foreachRDD collects for the running DStream case. With a checkpoint directory, Spark
# pickles the DStream graph, functions included: a module-level function of this module
# imported by name (not __main__) is pickled by reference, so its state here never is.
COLLECTOR = {"outputs": [], "wanted": 0, "done": None}


def collect_output(rdd):
    outputs = COLLECTOR["outputs"]
    if len(outputs) < COLLECTOR["wanted"]:
        outputs.append(to_json(rdd.collect()))
    if len(outputs) >= COLLECTOR["wanted"]:
        COLLECTOR["done"].set()


def ignore_rdd(rdd):
    pass


class Skip(Exception):
    """The case uses something this runner cannot express in pyspark."""


# ---- DStream ---------------------------------------------------------------------------------


def _expire_after_two_idle(values, state):
    state = dict(state) if state is not None else {"counter": 0, "expireCounter": 0}
    n = sum(values)
    if n == 0:
        state["expireCounter"] += 1
    else:
        state["counter"] += n
        state["expireCounter"] = 0
    return None if state["expireCounter"] == 2 else state


def _append_values_state(values, state):
    return (state or []) + list(values)


ELEMENT = {
    "identity": lambda x: x,
    "to_string": str,
    "to_int": int,
    "value_to_int": lambda kv: (kv[0], int(kv[1])),
    "len": len,
    "pair_with_1": lambda x: (x, 1),
    "pair_with_x": lambda x: (x, "x"),
    "pair_with_len": lambda s: (s, len(s)),
    "plus_4": lambda x: x + 4,
    "plus_8": lambda x: x + 8,
    "plus_10": lambda x: x + 10,
    "self_and_double": lambda x: [x, x * 2],
    "self_and_plus_10": lambda v: [v, v + 10],
    "suffix_1_and_2": lambda s: [s + "1", s + "2"],
    "split_chars": list,
    "split_space": lambda line: line.split(" "),
    "first_char_pair": lambda s: (s[0:1], s),
    "len_letter_pairs": lambda s: [(len(s), c) for c in s],
    "value_key_chars": lambda kv: [(kv[1], c) for c in kv[0]],
    "swap": lambda kv: (kv[1], kv[0]),
    "second": lambda kv: kv[1],
    "upper": lambda s: s.upper(),
    "is_even": lambda x: x % 2 == 0,
    "is_odd": lambda x: x % 2 != 0,
    "keep_if_gt_0": lambda x: x > 0,
    "contains_a": lambda s: "a" in s,
    "key_contains_a": lambda kv: "a" in kv[0],
    "value_gt_0": lambda kv: kv[1] > 0,
    "drop_key_when_zero": lambda kv: kv[1] != 0,
    "values_to_set": lambda kv: (kv[0], sorted(set(kv[1]))),
    "state_counter": lambda state: state["counter"],
    "sum": sum,
}
PARTITION = {
    "partition_sum": lambda it: [sum(it)],
    "partition_upper_concat": lambda it: ["".join(s.upper() for s in it)],
    "partition_swap": lambda it: [(v, k) for k, v in it],
}
REDUCE = {
    "add": operator.add,
    "sub": operator.sub,
    "concat": operator.add,
    "concat_str": lambda a, b: a + str(b),
    "max": max,
    "min": min,
}
RDD = {
    "rdd_map_to_string": lambda rdd: rdd.map(str),
    "rdd_map_plus_2": lambda rdd: rdd.map(lambda i: i + 2),
    "rdd_map_first": lambda rdd: rdd.map(lambda p: p[0]),
    "rdd_sort_by_key": lambda rdd: rdd.sortByKey(),
    "rdd_cartesian_self": lambda rdd: rdd.cartesian(rdd),
}
RDD2 = {
    "rdd_join": lambda a, b: a.join(b),
    "rdd_union": lambda a, b: a.union(b),
}
RDDS = {
    "rdds_union": lambda rdds: rdds[0].context.union(rdds),
    "rdds_union_2_3_1": lambda rdds: rdds[1].union(rdds[2]).union(rdds[0]),
    "rdds_union12_self_pair_join3": lambda rdds: rdds[0]
    .union(rdds[1])
    .map(lambda i: (i, i))
    .join(rdds[2]),
}
UPDATE = {
    "running_sum_state": lambda values, state: sum(values) + (state or 0),
    "running_count_state": lambda values, state: len(values) + (state or 0),
    "expire_after_two_idle": _expire_after_two_idle,
    "append_values_state": _append_values_state,
}


def _named(args, key, table):
    f = args.get(key)
    if f is None:
        raise Skip("step needs %s" % key)
    name = f.get("named")
    if name not in table:
        raise Skip("function %s has no Python equivalent here" % name)
    return table[name]


class DStreamCase:
    def __init__(self, spark, spec):
        self.spark = spark
        self.sc = spark.sparkContext
        self.spec = spec

    def seconds(self, value):
        return value

    def build_input(self, ssc, batches):
        partitions = self.spec.get("input_partitions", 2)
        if any(batch is None for batch in batches):
            raise Skip("a null batch (no RDD at all) cannot be queued")
        rdds = [self.sc.parallelize(batch, partitions) for batch in batches]
        return ssc.queueStream(rdds, oneAtATime=True)

    def sub_pipeline(self, ssc, inputs, main_input, other):
        index = other.get("input", 0)
        stream = main_input if index == 0 else inputs[index]
        return self.apply(ssc, inputs, main_input, stream, other.get("pipeline", []))

    def apply(self, ssc, inputs, main_input, stream, steps):
        for step in steps:
            op = step["op"]
            args = step.get("args", {})
            if op in ("map", "filter", "flatMap", "mapValues", "flatMapValues"):
                stream = getattr(stream, op)(_named(args, "f", ELEMENT))
            elif op == "mapPartitions":
                stream = stream.mapPartitions(_named(args, "f", PARTITION))
            elif op == "glom":
                stream = stream.glom()
            elif op == "reduce":
                stream = stream.reduce(_named(args, "f", REDUCE))
            elif op == "reduceByKey":
                stream = stream.reduceByKey(_named(args, "f", REDUCE), args.get("num_partitions"))
            elif op == "count":
                stream = stream.count()
            elif op == "countByValue":
                stream = stream.countByValue()
            elif op == "groupByKey":
                stream = stream.groupByKey(args.get("num_partitions")).mapValues(list)
            elif op == "repartition":
                stream = stream.repartition(args["num_partitions"])
            elif op in ("union",):
                stream = stream.union(self.sub_pipeline(ssc, inputs, main_input, args["other"]))
            elif op in ("join", "leftOuterJoin", "rightOuterJoin", "fullOuterJoin"):
                other = self.sub_pipeline(ssc, inputs, main_input, args["other"])
                stream = getattr(stream, op)(other, args.get("num_partitions"))
            elif op == "cogroup":
                other = self.sub_pipeline(ssc, inputs, main_input, args["other"])
                stream = stream.cogroup(other, args.get("num_partitions")).mapValues(
                    lambda vs: [list(v) for v in vs]
                )
            elif op == "transform":
                stream = stream.transform(_named(args, "f", RDD))
            elif op == "transformWith":
                other = self.sub_pipeline(ssc, inputs, main_input, args["other"])
                stream = stream.transformWith(_named(args, "f", RDD2), other)
            elif op == "StreamingContext.union":
                streams = [self.sub_pipeline(ssc, inputs, main_input, s) for s in args["streams"]]
                # PySpark unions only streams of one serializer: an identity map gives every
                # stream (a raw queueStream included) the batched pickle serializer
                stream = ssc.union(*[s.map(lambda x: x) for s in streams])
            elif op == "StreamingContext.transform":
                streams = [self.sub_pipeline(ssc, inputs, main_input, s) for s in args["streams"]]
                f = _named(args, "f", RDDS)
                stream = ssc.transform(streams, lambda rdds: f(rdds))
            elif op == "window":
                stream = stream.window(
                    self.seconds(args["window_s"]), self.seconds(args.get("slide_s", 0)) or None
                )
            elif op == "reduceByKeyAndWindow":
                inv = None
                if args.get("inv_f") is not None:
                    inv = _named(args, "inv_f", REDUCE)
                filter_f = None
                if args.get("filter_f") is not None:
                    filter_f = _named(args, "filter_f", ELEMENT)
                stream = stream.reduceByKeyAndWindow(
                    _named(args, "f", REDUCE),
                    inv,
                    self.seconds(args["window_s"]),
                    self.seconds(args["slide_s"]) if args.get("slide_s") else None,
                    args.get("num_partitions"),
                    filter_f,
                )
            elif op == "reduceByWindow":
                stream = stream.reduceByWindow(
                    _named(args, "f", REDUCE),
                    _named(args, "inv_f", REDUCE) if args.get("inv_f") else None,
                    self.seconds(args["window_s"]),
                    self.seconds(args["slide_s"]),
                )
            elif op == "groupByKeyAndWindow":
                stream = stream.groupByKeyAndWindow(
                    self.seconds(args["window_s"]), self.seconds(args["slide_s"])
                ).mapValues(list)
            elif op == "countByWindow":
                stream = stream.countByWindow(
                    self.seconds(args["window_s"]), self.seconds(args["slide_s"])
                )
            elif op == "countByValueAndWindow":
                stream = stream.countByValueAndWindow(
                    self.seconds(args["window_s"]), self.seconds(args["slide_s"])
                )
            elif op == "updateStateByKey":
                update = _named(args, "f", UPDATE)
                initial = None
                if args.get("initial") is not None:
                    initial = self.sc.parallelize([tuple(p) for p in args["initial"]], 2)
                stream = stream.updateStateByKey(
                    update, args.get("num_partitions"), initialRDD=initial
                )
            elif op in ("checkpoint", "persist", "pprint", "cache"):
                if op == "pprint":
                    stream.pprint(args.get("num", 10))
            elif op == "mapWithState":
                raise Skip("mapWithState has no PySpark API")
            else:
                raise Skip("DStream op %s is not mapped to PySpark" % op)
        return stream

    def run(self):
        from pyspark.streaming import StreamingContext

        spec = self.spec
        kind = spec.get("kind", "stream")
        if kind not in ("stream", "checkpoint_recovery"):
            raise Skip("kind %s (checked by duet conformance against Spark's suites)" % kind)
        run = spec.get("run", {})
        if "num_batches" not in run:
            raise Skip("run by %s" % ",".join(run))
        every = spec.get("output_every_n_batches", 1)
        n_outputs = run["num_batches"] // every
        batch_s = self.seconds(spec["batch_duration_s"])
        ssc = StreamingContext(self.sc, batch_s)
        checkpoint = tempfile.mkdtemp(prefix="duet-reference-ssc-")
        printing = False
        ssc.checkpoint(checkpoint)
        import spark_runner

        collector = spark_runner.COLLECTOR
        outputs = collector["outputs"] = []
        collector["wanted"] = n_outputs
        done = collector["done"] = threading.Event()
        try:
            inputs = [self.build_input(ssc, batches) for batches in spec["inputs"]]
            # A queueStream dequeues when a batch time is computed, and a window computes its
            # parent only at its own output times: an output on every input computes each
            # input at every batch time, so input batch k is the k-th batch's, as in Spark's
            # TestInputStream (and duet's replay of it).
            for stream in inputs:
                stream.foreachRDD(ignore_rdd)
            stream = self.apply(ssc, inputs, inputs[0], inputs[0], spec["pipeline"])
            stream.foreachRDD(spark_runner.collect_output)
            printing = any(step["op"] == "pprint" for step in spec["pipeline"])
            if printing:
                print("%s begin %s" % (MARKER, spec["id"]), flush=True)
            ssc.start()
            clock = ssc._jssc.ssc().scheduler().clock()
            clock.advance(int(round(spec["batch_duration_s"] * 1000)) * run["num_batches"])
            if n_outputs > 0 and not done.wait(60 + n_outputs * 5):
                raise RuntimeError("Spark produced %d of %d outputs in time" % (len(outputs), n_outputs))
        finally:
            ssc.stop(stopSparkContext=False, stopGraceFully=False)
            shutil.rmtree(checkpoint, ignore_errors=True)
        if printing:
            sys.stdout.flush()
            print("%s end %s" % (MARKER, spec["id"]), flush=True)
        return {"api": "dstream", "outputs": outputs[:n_outputs]}


# ---- Structured ------------------------------------------------------------------------------

SPARK_TYPES = {
    "int": "INT",
    "bigint": "BIGINT",
    "string": "STRING",
    "double": "DOUBLE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}


class StructuredCase:
    def __init__(self, spark, spec, console_out):
        self.spark = spark
        self.spec = spec
        self.console_out = console_out
        self.work = tempfile.mkdtemp(prefix="duet-reference-sql-")
        self.checkpoint = os.path.join(self.work, "checkpoint")
        self.inputs = {}
        self.pending = {}
        self.sequence = 0
        self.batches = []
        self.lock = threading.Lock()
        self.query = None
        self.confs = []

    # inputs: one directory per stream, one file per AddData
    def setup_inputs(self):
        for stream in self.spec.get("inputs", []):
            if stream.get("kind", "memory") != "memory":
                raise Skip("input kind %s" % stream.get("kind"))
            columns = stream["columns"]
            for _, t in columns:
                if t not in SPARK_TYPES:
                    raise Skip("input column type %s" % t)
            directory = os.path.join(self.work, "in-" + stream["name"])
            os.makedirs(directory)
            self.inputs[stream["name"]] = (directory, columns)
            self.pending[stream["name"]] = None

    def input_frame(self, name):
        directory, columns = self.inputs[name]
        schema = ", ".join("`%s` %s" % (c, SPARK_TYPES[t]) for c, t in columns)
        return (
            self.spark.readStream.schema(schema)
            .option("maxFilesPerTrigger", 1)
            .json(directory)
        )

    def add(self, name, rows):
        if name not in self.inputs:
            raise Skip("AddData to unknown input %s" % name)
        if self.pending[name] is None:
            self.pending[name] = []
        self.pending[name].extend(rows)

    def flush(self):
        """Writes every input's pending rows as one new file."""
        for name, rows in self.pending.items():
            if rows is None:
                continue
            directory, columns = self.inputs[name]
            self.sequence += 1
            lines = []
            for row in rows:
                values = row if isinstance(row, list) and len(columns) > 1 else [row]
                if len(columns) == 1 and isinstance(row, list) and len(row) == 1:
                    values = row
                lines.append(json.dumps({c: v for (c, _), v in zip(columns, values)}))
            tmp = os.path.join(self.work, ".part-%06d" % self.sequence)
            with open(tmp, "w") as f:
                f.write("".join(line + "\n" for line in lines))
            os.rename(tmp, os.path.join(directory, "part-%06d.json" % self.sequence))
            self.pending[name] = None

    # query steps
    def steps(self, frame, steps):
        from pyspark.sql import functions as F

        for step in steps:
            op = step["op"]
            if op in ("toDF", "toDS"):
                if step.get("input") is not None or frame is None:
                    name = step.get("input") or self.spec["inputs"][0]["name"]
                    frame = self.input_frame(name)
                if step.get("cols"):
                    frame = frame.toDF(*step["cols"])
            elif op in ("select", "selectExpr"):
                frame = frame.selectExpr(*step["exprs"])
            elif op == "withColumn":
                frame = frame.withColumn(step["name"], F.expr(step["expr"]))
            elif op == "where":
                frame = frame.where(step["expr"])
            elif op in ("map", "flatMap"):
                frame = self.named_map(frame, op, step.get("named"))
            elif op == "groupBy":
                frame = frame.groupBy(*[F.expr(c) for c in step["cols"]])
            elif op == "agg":
                frame = frame.agg(*[F.expr(e) for e in step["exprs"]])
            elif op == "count":
                frame = frame.count()
            elif op == "withWatermark":
                frame = frame.withWatermark(step["col"], step["delay"])
            elif op == "dropDuplicates":
                frame = frame.dropDuplicates(step["cols"] or None)
            elif op == "dropDuplicatesWithinWatermark":
                frame = frame.dropDuplicatesWithinWatermark(step["cols"] or None)
            elif op in ("orderBy", "sort"):
                columns = []
                for c in step["cols"]:
                    parts = c.split()
                    column = F.expr(parts[0])
                    if len(parts) > 1 and parts[1].upper() == "DESC":
                        column = column.desc()
                    columns.append(column)
                frame = frame.orderBy(*columns)
            elif op == "limit":
                frame = frame.limit(step["n"])
            elif op == "repartition":
                frame = frame.repartition(step["n"])
            elif op == "coalesce":
                frame = frame.coalesce(step["n"])
            elif op == "union":
                frame = self.steps(None, step["left"]).union(self.steps(None, step["right"]))
            elif op == "join":
                left = self.steps(None, step["left"]) if step.get("left") else frame
                right = step["right"]
                if isinstance(right, str):
                    right = self.static_table(right)
                else:
                    right = self.steps(None, right)
                on = step.get("using") or (F.expr(step["on"]) if step.get("on") else None)
                frame = left.join(right, on, step.get("type", "inner"))
            elif op == "createOrReplaceTempView":
                frame.createOrReplaceTempView(step["name"])
            elif op == "sql":
                frame = self.spark.sql(step["text"])
            else:
                raise Skip("query step %s" % op)
        return frame

    def register_udfs(self):
        udfs = self.spec.get("udfs") or {}
        if "gapDuration" in udfs:
            # a SQL function (inlined by the analyzer), as the suite's Scala UDF is opaque
            self.spark.sql(
                "CREATE OR REPLACE TEMPORARY FUNCTION gapDuration(s STRING) RETURNS STRING RETURN "
                "CASE s WHEN 'hello' THEN '1 second' WHEN 'structured' THEN '0 second' "
                "WHEN 'world' THEN '-10 seconds' ELSE '10 seconds' END"
            )

    def named_map(self, frame, op, name):
        first = frame.columns[0]
        if name == "identity":
            return frame
        if name == "plus_1":
            return frame.selectExpr("`%s` + 1 AS value" % first)
        if name == "to_int":
            return frame.selectExpr("CAST(`%s` AS INT) AS value" % first)
        if name == "self_and_next" and op == "flatMap":
            return frame.selectExpr("explode(array(`%s`, `%s` + 1)) AS value" % (first, first))
        if name == "first_field":
            return frame.selectExpr("`%s` AS value" % first)
        raise Skip("typed function %s" % name)

    def static_table(self, name):
        table = self.spec.get("static_tables", {}).get(name)
        if table is None or "rows" not in table:
            raise Skip("static table %s" % name)
        columns = table["columns"]
        schema = ", ".join("`%s` %s" % (c, SPARK_TYPES.get(t, t)) for c, t in columns)
        rows = [r if isinstance(r, list) else [r] for r in table["rows"]]
        return self.spark.createDataFrame(rows, schema)

    # running
    def record(self, frame, batch_id):
        rows = [to_json(row) for row in frame.collect()]
        with self.lock:
            self.batches.append({"batch_id": batch_id, "rows": rows})

    def start(self, action, frame):
        trigger = (action or {}).get("trigger") or {}
        if trigger.get("type") not in (None, "ProcessingTime") or trigger.get("interval_ms"):
            raise Skip("trigger %s" % trigger)
        if (action or {}).get("clock") or (action or {}).get("checkpoint"):
            raise Skip("StartStream with a manual clock or another checkpoint")
        for key, value in ((action or {}).get("confs") or {}).items():
            self.set_conf(key, value)
        self.flush()
        writer = frame.writeStream.outputMode(self.spec.get("output_mode", "append")).option(
            "checkpointLocation", self.checkpoint
        )
        if self.spec.get("kind") == "console":
            writer = writer.format("console")
            for key, value in (self.spec.get("sink_options") or {}).items():
                writer = writer.option(key, str(value))
        else:
            writer = writer.foreachBatch(self.record)
        self.query = writer.start()
        self.query.processAllAvailable()

    def stop(self):
        if self.query is not None:
            self.query.processAllAvailable()
            self.query.stop()
            self.query = None

    def set_conf(self, key, value):
        self.confs.append((key, self.spark.conf.get(key, None)))
        self.spark.conf.set(key, str(value))

    def run(self):
        spec = self.spec
        kind = spec.get("kind", "stream")
        if kind not in ("stream", "console"):
            raise Skip("kind %s (checked by duet conformance against Spark's suites)" % kind)
        try:
            # Spark's test session uses 5. Results do not depend on it except which rows a limit
            # after a shuffle keeps; every shuffle partition is a task per batch, and 2 keeps
            # the suite fast
            limited = any(step.get("op") == "limit" for step in spec["query"]["steps"])
            self.set_conf("spark.sql.shuffle.partitions", "5" if limited else "2")
            for key, value in (spec.get("confs") or {}).items():
                self.set_conf(key, value)
            self.setup_inputs()
            self.register_udfs()
            try:
                frame = self.steps(None, spec["query"]["steps"])
            except Exception as error:
                if "UNRESOLVED_ROUTINE" in str(error):
                    raise Skip("a user-defined function the case does not define in Python: %s"
                               % str(error).splitlines()[0][:120])
                raise
            if frame is None:
                frame = self.input_frame(spec["inputs"][0]["name"])
            actions = spec.get("steps", [])
            first = next((a for a in actions if a["action"] in ("StartStream", "AddData",
                          "MultiAddData", "CheckAnswer", "CheckLastBatch", "CheckNewAnswer",
                          "ProcessAllAvailable", "StopStream")), None)
            explicit = first is not None and first["action"] == "StartStream"
            supported_waits = ("CheckAnswer", "CheckLastBatch", "CheckNewAnswer",
                               "ProcessAllAvailable", "AssertNumStateRows",
                               "AssertNumStateRowsTotal", "AssertNumRowsDroppedByWatermark",
                               "AssertEventStats", "AssertCustomMetric")
            for action in actions:
                name = action["action"]
                if name not in ("StartStream", "StopStream", "AddData", "MultiAddData") + supported_waits:
                    raise Skip("action %s" % name)
                if name == "AssertOnQuery" and action.get("check", {}).get("side_effects"):
                    raise Skip("AssertOnQuery with side effects")
            if kind == "console":
                sys.stdout.flush()
                print("%s begin %s" % (MARKER, spec["id"]), file=self.console_out, flush=True)
            if not explicit:
                self.start(None, frame)
            for action in actions:
                name = action["action"]
                if name == "StartStream":
                    if self.query is None:
                        self.start(action, frame)
                elif name == "StopStream":
                    self.stop()
                elif name == "AddData":
                    self.add(action.get("source") or spec["inputs"][0]["name"], action["rows"])
                    if self.query is not None:
                        self.flush()
                        self.query.processAllAvailable()
                elif name == "MultiAddData":
                    for add in action["adds"]:
                        self.add(add.get("source") or spec["inputs"][0]["name"], add["rows"])
                    if self.query is not None:
                        self.flush()
                        self.query.processAllAvailable()
                elif self.query is not None:
                    self.query.processAllAvailable()
            self.stop()
            result = {"api": "structured", "batches": self.batches}
            if kind == "console":
                time.sleep(0.2)  # the JVM's stdout is flushed per line; let the last lines land
                print("%s end %s" % (MARKER, spec["id"]), file=self.console_out, flush=True)
            return result
        finally:
            try:
                if self.query is not None:
                    self.query.stop()
            except Exception:
                pass
            for key, old in reversed(self.confs):
                if old is None:
                    self.spark.conf.unset(key)
                else:
                    self.spark.conf.set(key, old)
            shutil.rmtree(self.work, ignore_errors=True)


# ---- main ------------------------------------------------------------------------------------


def session():
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("duet-reference")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "5")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.streaming.forceDeleteTempCheckpointLocation", "true")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.streaming.clock", "org.apache.spark.util.ManualClock")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def main(argv):
    if len(argv) < 3:
        print("usage: spark_runner.py OUT.json CASES.json...", file=sys.stderr)
        return 2
    out_path = argv[1]
    cases = []
    for path in argv[2:]:
        with open(path) as f:
            cases.extend(json.load(f))
    import warnings

    warnings.simplefilter("ignore", FutureWarning)
    spark = session()
    results = {}
    for spec in cases:
        started = time.time()
        try:
            if "pipeline" in spec:
                result = DStreamCase(spark, spec).run()
            else:
                result = StructuredCase(spark, spec, sys.stdout).run()
        except Skip as why:
            result = {"skipped": str(why)}
        except Exception as error:  # a failure of Spark itself is a result too
            result = {"error": "%s: %s" % (type(error).__name__, str(error).splitlines()[0] if str(error) else "")}
            traceback.print_exc(file=sys.stderr)
        result["seconds"] = round(time.time() - started, 2)
        results[spec["id"]] = result
        print("spark_runner: %s %s (%.1fs)" % (spec["id"], "skipped: " + result["skipped"] if "skipped" in result else ("error" if "error" in result else "ran"), result["seconds"]), file=sys.stderr, flush=True)
    with open(out_path, "w") as f:
        json.dump(results, f)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
