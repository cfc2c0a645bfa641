"""reference_runner.py — differential conformance: the same cases through duet and through
Apache Spark, outputs compared batch by batch.

    python3 reference_runner.py --duet build/compat/duet [--spark-python PY]
        [--intended intended_differences.txt] [--random-seed N] [--keep DIR] CASES.json...

For every case file: `duet conformance FILE --dump-json` gives what duet produced; the
pyspark interpreter of the same case format (spark_runner.py, one Spark session for all files)
gives what Spark produced. They are compared case by case:
- DStream: the first N output batches, N = how many Spark produced (the case's number of
  batches over its slide); each batch as a list when the case compares lists in an order Spark
  defines (compare "list" and not hash_order), else as a multiset of elements.
- Structured: the sequence of batches the sink received (data batches and the no-data batches
  each engine chose to run), each batch's rows as a multiset, batch ids included.
- Console cases and DStream pipelines with pprint: the exact text as well (Spark's console sink
  prints on the JVM's stdout and pprint on Python's, both the runner's stdout, cut at markers).
Numbers compare by value (1 equals 1.0; doubles to 9 significant digits). A case Spark cannot
run this way is reported SKIP with the reason and does not count. Differences listed in the
intended-differences file (one `ID reason` a line) count as passed while they occur; a listed
case that no longer differs is a failure (the list cannot go stale), and with --all so is a
listed case that did not run. Prints one line per case,
a diff for each failure and `N passed, N failed`; exit status 1 when anything failed.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = "@@duet-reference@@"


def canonical(value):
    """Canonical JSON text of a value: integral numbers as integers, doubles to 9 significant
    digits (duet's dump writes them to 10, Spark's to 17)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == value and abs(value) < 9e15 and value == int(value):
            return str(int(value))
        return "%.9g" % value
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join("%s:%s" % (json.dumps(k), canonical(v)) for k, v in sorted(value.items())) + "}"
    return json.dumps(value)


def load_intended(path):
    intended = {}
    if not path:
        return intended
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            if len(parts) < 2:
                raise SystemExit("%s:%d: an intended difference needs a reason after its id" % (path, number))
            intended[parts[0]] = parts[1]
    return intended


def console_sections(text):
    """Spark's stdout cut into {case id: console text} at the runner's markers."""
    sections = {}
    current = None
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith(MARKER + " begin "):
            current = line[len(MARKER) + 7 :].strip()
            lines = []
        elif line.startswith(MARKER + " end ") and current is not None:
            sections[current] = "".join(lines)
            current = None
        elif current is not None:
            lines.append(line)
    return sections


def ordered_list(spec):
    return spec.get("compare", "list") == "list" and not spec.get("hash_order")


def diff_batches(label, duet, spark, ordered):
    """Lines describing how two lists of batches differ (empty when they agree)."""
    out = []
    for index in range(max(len(duet), len(spark))):
        d = duet[index] if index < len(duet) else None
        s = spark[index] if index < len(spark) else None
        if d is None or s is None:
            out.append("  %s %d: only %s has it: %s" % (label, index, "duet" if s is None else "Spark",
                                                        canonical(d if s is None else s)))
            continue
        dc = [canonical(e) for e in d]
        sc = [canonical(e) for e in s]
        if not ordered:
            dc.sort()
            sc.sort()
        if dc != sc:
            out.append("  %s %d:\n    duet  [%s]\n    Spark [%s]" % (label, index, ", ".join(dc), ", ".join(sc)))
    return out


def diff_text(what, d_text, s_text):
    if s_text is None:
        return ["  Spark's %s text was not captured" % what]
    if d_text != s_text:
        return ["  %s text differs:\n--- duet\n%s--- Spark\n%s---" % (what, d_text, s_text)]
    return []


def compare_case(spec, duet, spark, spark_console):
    """(status, detail): status is PASS, FAIL or SKIP."""
    if spark is None:
        return "FAIL", "Spark produced no result for this case"
    if "skipped" in spark:
        return "SKIP", spark["skipped"]
    if "error" in spark:
        return "FAIL", "Spark failed: " + spark["error"]
    if duet is None:
        return "FAIL", "duet produced no result for this case"
    if "pipeline" in spec:
        if duet.get("error"):
            return "FAIL", "duet failed: " + duet["error"]
        wanted = len(spark["outputs"])
        lines = diff_batches("batch", duet.get("outputs", [])[:wanted], spark["outputs"], ordered_list(spec))
        if any(step["op"] == "pprint" for step in spec["pipeline"]):
            lines += diff_text("pprint", duet.get("pprint", ""), spark_console.get(spec["id"]))
    else:
        d_batches = duet.get("batches", [])
        s_batches = spark.get("batches", [])
        lines = []
        d_ids = [b["batch_id"] for b in d_batches]
        s_ids = [b["batch_id"] for b in s_batches]
        if spec.get("kind") != "console" and d_ids != s_ids:
            lines.append("  batch ids: duet %s, Spark %s" % (d_ids, s_ids))
        lines += diff_batches("batch", [b["rows"] for b in d_batches], [b["rows"] for b in s_batches], False)
        if spec.get("kind") == "console":
            lines += diff_text("console", duet.get("console", ""), spark_console.get(spec["id"]))
    if lines and duet.get("failure") and spec.get("kind") != "console":
        # duet's harness stopped the case (e.g. a query it cannot build): say why
        lines.insert(0, "  duet: %s" % duet["failure"].splitlines()[0])
    if lines:
        return "FAIL", "\n".join(lines)
    return "PASS", ""


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duet", required=True)
    parser.add_argument("--spark-python", default=os.environ.get("DUET_SPARK_PYTHON"))
    parser.add_argument("--intended", default=os.path.join(HERE, "intended_differences.txt"))
    parser.add_argument("--keep", help="keep the dumps of both engines in this directory")
    parser.add_argument("--only", help="only cases whose id starts with this")
    parser.add_argument("--all", action="store_true",
                        help="every case set runs: an intended difference whose case did not run is stale")
    parser.add_argument("cases", nargs="+")
    args = parser.parse_args(argv[1:])
    if not args.spark_python:
        print("reference_runner: no pyspark (run tests/reference/setup, or pass --spark-python)", file=sys.stderr)
        return 1
    intended = load_intended(args.intended)
    work = args.keep or tempfile.mkdtemp(prefix="duet-reference-")
    os.makedirs(work, exist_ok=True)
    started = time.time()

    specs = []
    duet_results = {}
    spark_inputs = []
    for number, path in enumerate(args.cases):
        with open(path) as f:
            cases = json.load(f)
        if args.only:
            cases = [c for c in cases if c["id"].startswith(args.only)]
        specs.extend(cases)
        selected = os.path.join(work, "cases-%d.json" % number)
        with open(selected, "w") as f:
            json.dump(cases, f)
        spark_inputs.append(selected)
        dump = os.path.join(work, "duet-%d.json" % number)
        # duet's own verdict (against the expectations in the file) is the conformance suite's
        # business; here only what it produced matters
        subprocess.run([args.duet, "conformance", selected, "--dump-json", dump],
                       stdout=subprocess.DEVNULL, check=False)
        if not os.path.exists(dump):
            print("reference_runner: duet wrote no dump for %s" % path, file=sys.stderr)
            return 1
        with open(dump) as f:
            duet_results.update(json.load(f))
    duet_seconds = time.time() - started

    spark_out = os.path.join(work, "spark.json")
    spark_stdout = os.path.join(work, "spark-stdout.txt")
    spark_stderr = os.path.join(work, "spark-stderr.txt")
    with open(spark_stdout, "w") as out, open(spark_stderr, "w") as err:
        status = subprocess.run([args.spark_python, os.path.join(HERE, "spark_runner.py"), spark_out] + spark_inputs,
                                stdout=out, stderr=err, check=False).returncode
    if status != 0 or not os.path.exists(spark_out):
        with open(spark_stderr) as f:
            sys.stderr.write(f.read()[-4000:])
        print("reference_runner: spark_runner.py failed (exit %d)" % status, file=sys.stderr)
        return 1
    with open(spark_out) as f:
        spark_results = json.load(f)
    with open(spark_stdout, errors="replace") as f:
        spark_console = console_sections(f.read())
    spark_seconds = time.time() - started - duet_seconds

    passed = failed = skipped = 0
    seen = set()
    for spec in specs:
        case_id = spec["id"]
        seen.add(case_id)
        status, detail = compare_case(spec, duet_results.get(case_id), spark_results.get(case_id), spark_console)
        reason = intended.get(case_id)
        if status == "SKIP":
            print("SKIP %s: %s" % (case_id, detail))
            skipped += 1
        elif status == "PASS" and reason is None:
            print("PASS %s" % case_id)
            passed += 1
        elif status == "PASS":
            print("FAIL %s: listed as an intended difference (%s) but duet and Spark agree now; remove it" % (case_id, reason))
            failed += 1
        elif reason is not None:
            print("PASS %s (intended difference: %s)" % (case_id, reason))
            passed += 1
        else:
            print("FAIL %s:\n%s" % (case_id, detail))
            failed += 1
    for case_id in sorted(set(intended) - seen):
        if args.all and not args.only:
            print("FAIL %s: listed as an intended difference but no such case ran" % case_id)
            failed += 1
    print("%d passed, %d failed (%d skipped; duet %.1fs, Spark %.1fs)" % (passed, failed, skipped, duet_seconds, spark_seconds))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
