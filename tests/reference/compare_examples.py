#!/usr/bin/env python3
"""Differential check of the paired examples: duet against Apache Spark, batch by batch.

usage: compare_examples.py DUET SPARK_PYTHON [--batches N] [EXAMPLE...]

For each example (default: all of `duet run --list`), `duet compare EXAMPLE --json
--dump-input DIR` runs both halves in duet and records the input; spark_examples.py then runs
the same two programs in pyspark over that input with the same batch boundaries. Every
(example, API) pair is a case: it passes when each batch's rows are the same multiset in duet
and in Spark (neither orders its output). Prints a diff per failure and `N passed, N failed`.
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def duet_batches(duet, example, batches, directory):
    result = subprocess.run(
        [duet, "compare", example, "--json", "--batches", str(batches), "--dump-input",
         directory], capture_output=True, text=True, timeout=600)
    if result.returncode not in (0, 1):
        raise RuntimeError("duet compare %s failed: %s" % (example, result.stderr))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return {api: [line[api]["rows"] for line in lines if "batch" in line]
            for api in ("dstream", "structured")}


def differences(duet, spark):
    """Per batch, the rows only duet printed and the rows only Spark printed."""
    found = []
    for index in range(max(len(duet), len(spark))):
        ours = collections.Counter(duet[index] if index < len(duet) else [])
        theirs = collections.Counter(spark[index] if index < len(spark) else [])
        if ours != theirs:
            found.append((index, sorted((ours - theirs).elements()),
                          sorted((theirs - ours).elements())))
    return found


def main():
    duet, spark_python = sys.argv[1], sys.argv[2]
    arguments = sys.argv[3:]
    batches = 4
    if arguments[:1] == ["--batches"]:
        batches, arguments = int(arguments[1]), arguments[2:]
    examples = arguments or [
        line.split()[0] for line in subprocess.run(
            [duet, "run", "--list"], capture_output=True, text=True, check=True
        ).stdout.splitlines() if line.startswith("  ")]
    work = tempfile.mkdtemp(prefix="duet-reference-examples-")
    ours, specs = {}, []
    for example in examples:
        directory = os.path.join(work, example)
        ours[example] = duet_batches(duet, example, batches, directory)
        specs.append("%s:%s:%d" % (example, directory, batches))
    spark_out = os.path.join(work, "spark.json")
    subprocess.run([spark_python, os.path.join(HERE, "spark_examples.py"), spark_out] + specs,
                   check=True, timeout=1800)
    theirs = json.load(open(spark_out))
    passed = failed = 0
    for example in examples:
        for api in ("dstream", "structured"):
            found = differences(ours[example][api], theirs[example][api])
            if not found:
                passed += 1
                rows = sum(len(batch) for batch in ours[example][api])
                print("ok   %s (%s): %d batches, %d rows, as Spark's" % (example, api, batches,
                                                                       rows))
                continue
            failed += 1
            print("FAIL %s (%s):" % (example, api))
            for index, only_duet, only_spark in found:
                print("  batch %d: only duet %s; only Spark %s" % (index, only_duet[:8],
                                                                   only_spark[:8]))
    subprocess.run(["rm", "-rf", work])
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
