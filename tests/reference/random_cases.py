"""random_cases.py — seeded random differential cases in the conformance case format.

    python3 random_cases.py SEED OUT.json

Writes DStream and Structured Streaming cases whose inputs are drawn from random.Random(SEED):
lines of words for DStream pipelines (word count, windows with and without an inverse
function, running state, joins and unions of two streams, transforms), and events
(word, event time in seconds) for Structured queries, with late events (times well behind the
current maximum) so that watermarks drop some of them, and duplicates for deduplication. The
same SEED always gives the same file; reference_runner.py feeds it to duet and to Spark and
compares what they produce (no expected output is written: Spark's output is the reference).
"""
import json
import random
import sys

WORDS = ["spark", "duet", "stream", "batch", "window", "state", "a", "bb"]


def f(name):
    return {"lang": "python", "src": name, "named": name}


def dstream_case(rng, case_id, pipeline, n_inputs=1, window=None, compare="set", batches=None):
    n = batches or rng.randint(5, 9)
    inputs = []
    for _ in range(n_inputs):
        stream = []
        for _ in range(n):
            stream.append([" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
                           for _ in range(rng.randint(0, 4))])
        inputs.append(stream)
    spec = {
        "id": case_id,
        "source": {"generator": "tests/reference/random_cases.py"},
        "api": "python",
        "kind": "stream",
        "batch_duration_s": 1,
        "input_mode": "queue_stream",
        "queue": {"one_at_a_time": True, "all_enqueued_before_start": True},
        "input_partitions": 2,
        "inputs": inputs,
        "pipeline": pipeline,
        "run": {"num_batches": n},
        "compare": compare,
        "hash_order": compare != "list",
        "expected": None,
    }
    if window:
        spec["output_every_n_batches"] = window[1]
    return spec


def words(then=()):
    return [{"op": "flatMap", "args": {"f": f("split_space")}}] + list(then)


def pairs(then=()):
    return words([{"op": "map", "args": {"f": f("pair_with_1")}}] + list(then))


def dstream_cases(rng, seed):
    p = "random.%d.dstream." % seed
    w = rng.choice([2, 3, 4])
    s = rng.choice([1, 2]) if w > 2 else 1
    cases = [
        dstream_case(rng, p + "flatMap", words(), compare="list"),
        dstream_case(rng, p + "filter_map", words([
            {"op": "filter", "args": {"f": f("contains_a")}},
            {"op": "map", "args": {"f": f("upper")}}]), compare="list"),
        dstream_case(rng, p + "wordcount", pairs([{"op": "reduceByKey", "args": {"f": f("add")}}])),
        dstream_case(rng, p + "countByValue", words([{"op": "countByValue"}])),
        dstream_case(rng, p + "count", words([{"op": "count"}]), compare="list"),
        dstream_case(rng, p + "window", words([{"op": "window", "args": {"window_s": w, "slide_s": s}}]),
                     window=(w, s)),
        dstream_case(rng, p + "reduceByKeyAndWindow", pairs([{"op": "reduceByKeyAndWindow", "args": {
            "f": f("add"), "window_s": w, "slide_s": s}}]), window=(w, s)),
        dstream_case(rng, p + "reduceByKeyAndWindow.inv_filter", pairs([{"op": "reduceByKeyAndWindow", "args": {
            "f": f("add"), "inv_f": f("sub"), "filter_f": f("drop_key_when_zero"), "window_s": w,
            "slide_s": s}}, {"op": "checkpoint", "args": {"interval_s": 100}}]), window=(w, s)),
        dstream_case(rng, p + "countByValueAndWindow", words([{"op": "countByValueAndWindow", "args": {
            "window_s": w, "slide_s": s}}]), window=(w, s)),
        dstream_case(rng, p + "groupByKeyAndWindow", pairs([{"op": "groupByKeyAndWindow", "args": {
            "window_s": w, "slide_s": s}}, {"op": "map", "args": {"f": f("values_to_set")}}]),
            window=(w, s)),
        dstream_case(rng, p + "updateStateByKey", pairs([{"op": "updateStateByKey", "args": {
            "f": f("running_sum_state")}}])),
        dstream_case(rng, p + "transform_sortByKey", pairs([
            {"op": "reduceByKey", "args": {"f": f("add")}},
            {"op": "transform", "args": {"f": f("rdd_sort_by_key")}}]), compare="list"),
        dstream_case(rng, p + "union", words([{"op": "union", "args": {"other": {"input": 1, "pipeline": words()}}}]),
                     n_inputs=2),
        dstream_case(rng, p + "join", pairs([{"op": "reduceByKey", "args": {"f": f("add")}},
                                              {"op": "join", "args": {"other": {"input": 1, "pipeline": pairs()}}}]),
                     n_inputs=2),
        dstream_case(rng, p + "leftOuterJoin", pairs([{"op": "reduceByKey", "args": {"f": f("add")}},
                                                       {"op": "leftOuterJoin", "args": {"other": {"input": 1, "pipeline": pairs([
                                                           {"op": "reduceByKey", "args": {"f": f("add")}}])}}}]),
                     n_inputs=2),
    ]
    return cases


def events(rng, n_batches, delay):
    """Batches of (word, event time s); about one event in five is late by more than delay."""
    batches = []
    high = 0
    for _ in range(n_batches):
        rows = []
        for _ in range(rng.randint(0, 5)):
            if high and rng.random() < 0.2:
                t = max(0, high - delay - rng.randint(1, 3 * delay))  # late
            else:
                t = high + rng.randint(0, 6)
            high = max(high, t)
            rows.append([rng.choice(WORDS[:5]), t])
        if rows and rng.random() < 0.3:
            rows.append(list(rng.choice(rows)))  # a duplicate
        batches.append(rows)
    return batches


def structured_case(rng, case_id, steps, mode, delay=10, actions=None, kind="stream"):
    batches = events(rng, rng.randint(4, 8), delay)
    spec = {
        "id": case_id,
        "source": {"generator": "tests/reference/random_cases.py"},
        "kind": kind,
        "inputs": [{"name": "events", "kind": "memory", "columns": [["word", "string"], ["t", "bigint"]]}],
        "query": {"steps": [{"op": "toDF"}, {"op": "withColumn", "name": "eventTime",
                                              "expr": "timestamp_seconds(t)"}] + steps},
        "output_mode": mode,
        "steps": actions or [{"action": "AddData", "source": "events", "rows": rows} for rows in batches]
        + [{"action": "ProcessAllAvailable"}],
    }
    return spec


def structured_cases(rng, seed):
    p = "random.%d.structured." % seed
    wm = [{"op": "withWatermark", "col": "eventTime", "delay": "10 seconds"}]
    win = rng.choice([5, 10])
    windowed = [{"op": "groupBy", "cols": ["window(eventTime, '%d seconds') AS window" % win, "word"]},
                {"op": "agg", "exprs": ["count(*) AS n", "sum(t) AS total", "max(t) AS latest"]},
                {"op": "select", "exprs": ["CAST(window.start AS LONG)", "CAST(window.end AS LONG)", "word", "n", "total", "latest"]}]
    cases = [
        structured_case(rng, p + "select_where.append", [
            {"op": "where", "expr": "t % 2 = 0"},
            {"op": "selectExpr", "exprs": ["upper(word) AS w", "t * 10 AS t10", "length(word) AS len"]}], "append"),
        structured_case(rng, p + "groupBy_count.complete", [
            {"op": "groupBy", "cols": ["word"]}, {"op": "agg", "exprs": ["count(*) AS n", "min(t)", "max(t)", "avg(t)"]}], "complete"),
        structured_case(rng, p + "groupBy_count.update", [
            {"op": "groupBy", "cols": ["word"]}, {"op": "count"}], "update"),
        structured_case(rng, p + "window.append", wm + windowed, "append"),
        structured_case(rng, p + "window.update", wm + windowed, "update"),
        structured_case(rng, p + "window.complete", windowed, "complete"),
        structured_case(rng, p + "sliding_window.append", wm + [
            {"op": "groupBy", "cols": ["window(eventTime, '10 seconds', '5 seconds') AS window"]},
            {"op": "agg", "exprs": ["count(*) AS n"]},
            {"op": "select", "exprs": ["CAST(window.start AS LONG)", "n"]}], "append"),
        structured_case(rng, p + "session_window.append", wm + [
            {"op": "groupBy", "cols": ["session_window(eventTime, '5 seconds') AS session", "word"]},
            {"op": "agg", "exprs": ["count(*) AS n"]},
            {"op": "select", "exprs": ["word", "CAST(session.start AS LONG)", "CAST(session.end AS LONG)", "n"]}], "append"),
        structured_case(rng, p + "dropDuplicates.append", wm + [
            {"op": "dropDuplicates", "cols": ["word", "eventTime"]},
            {"op": "select", "exprs": ["word", "t"]}], "append"),
        structured_case(rng, p + "dropDuplicatesWithinWatermark.append", wm + [
            {"op": "dropDuplicatesWithinWatermark", "cols": ["word"]},
            {"op": "select", "exprs": ["word", "t"]}], "append"),
        structured_case(rng, p + "groupBy_raw_time.append", wm + [
            {"op": "groupBy", "cols": ["eventTime"]}, {"op": "agg", "exprs": ["count(*) AS n"]},
            {"op": "select", "exprs": ["CAST(eventTime AS LONG)", "n"]}], "append"),
    ]
    static = structured_case(rng, p + "stream_static_join.append", [
        {"op": "join", "right": "lengths", "using": ["word"], "type": "inner"},
        {"op": "select", "exprs": ["word", "t", "len"]}], "append")
    static["static_tables"] = {"lengths": {"columns": [["word", "string"], ["len", "int"]],
                                           "rows": [[w, len(w)] for w in WORDS[:4]]}}
    cases.append(static)
    left_outer = structured_case(rng, p + "stream_static_left_join.append", [
        {"op": "join", "right": "lengths", "using": ["word"], "type": "left_outer"},
        {"op": "select", "exprs": ["word", "t", "len"]}], "append")
    left_outer["static_tables"] = static["static_tables"]
    cases.append(left_outer)
    # stream-stream inner join on (word, 10 s window), both sides watermarked: the USING form
    # of Spark's StreamingJoinSuite (duet does not join on time-range conditions yet)
    join = {
        "id": p + "stream_stream_join.append",
        "source": {"generator": "tests/reference/random_cases.py"},
        "kind": "stream",
        "inputs": [{"name": "left", "kind": "memory", "columns": [["word", "string"], ["t", "bigint"]]},
                   {"name": "right", "kind": "memory", "columns": [["word", "string"], ["t", "bigint"]]}],
        "query": {"steps": [{"op": "join",
                             "left": [{"op": "toDF", "input": "left"},
                                      {"op": "selectExpr", "exprs": ["word", "timestamp_seconds(t) AS lt", "t AS lv"]},
                                      {"op": "withWatermark", "col": "lt", "delay": "10 seconds"},
                                      {"op": "selectExpr", "exprs": ["word", "window(lt, '10 seconds') AS window", "lv"]}],
                             "right": [{"op": "toDF", "input": "right"},
                                       {"op": "selectExpr", "exprs": ["word", "timestamp_seconds(t) AS rt", "t AS rv"]},
                                       {"op": "withWatermark", "col": "rt", "delay": "10 seconds"},
                                       {"op": "selectExpr", "exprs": ["word", "window(rt, '10 seconds') AS window", "rv"]}],
                             "using": ["word", "window"],
                             "type": "inner"},
                            {"op": "selectExpr", "exprs": ["word", "CAST(window.start AS LONG)", "lv", "rv"]}]},
        "output_mode": "append",
        "steps": [],
    }
    left_batches = events(rng, 6, 10)
    right_batches = events(rng, 6, 10)
    for lrows, rrows in zip(left_batches, right_batches):
        join["steps"].append({"action": "MultiAddData", "adds": [{"source": "left", "rows": lrows},
                                                                 {"source": "right", "rows": rrows}]})
        join["steps"].append({"action": "ProcessAllAvailable"})
    cases.append(join)
    return cases


def main(argv):
    if len(argv) != 3:
        print("usage: random_cases.py SEED OUT.json", file=sys.stderr)
        return 2
    seed = int(argv[1])
    rng = random.Random(seed)
    cases = dstream_cases(rng, seed) + structured_cases(rng, seed)
    with open(argv[2], "w") as out:
        json.dump(cases, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
