#!/bin/sh
# Runs `duet bench` as a user does: usage errors (exit 2, naming the bad argument), small runs
# of every memory-stream workload on both APIs whose --json output bench_check.py parses and
# checks batch by batch against the input recounted from --dump-input, the --plot SVG parsed
# with GMarkup (svg_classes: one series per API), --json - and Ctrl-C. Asserts no timings.
# Usage: test_bench.sh DUET SVG_CLASSES BENCH_CHECK_PY
set -eu
duet="$1"
svg_classes="$2"
check="$3"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# usage: exit 2 and a message naming the argument
expect_usage() { # expect_usage TEXT ARGS...
    text="$1"
    shift
    status=0
    "$duet" bench "$@" >"$work/out" 2>"$work/err" || status=$?
    [ "$status" -eq 2 ] || { echo "duet bench $*: exit $status, expected 2"; cat "$work/err"; exit 1; }
    grep -qF -- "$text" "$work/err" ||
        { echo "duet bench $*: the message does not name '$text':"; cat "$work/err"; exit 1; }
}
"$duet" bench --help | grep -q '^usage: duet bench WORKLOAD' || { echo "no usage from --help"; exit 1; }
"$duet" --help | grep -q '^  bench ' || { echo "duet --help does not list bench"; exit 1; }
expect_usage 'which workload' 
expect_usage "'nosuch'" nosuch
expect_usage "'--bogus'" wordcount --bogus
expect_usage "'sideways'" wordcount --api sideways
expect_usage "'fast'" wordcount --rate fast
expect_usage "'0'" wordcount --duration 0
expect_usage "'-3'" wordcount --batches -3
expect_usage "'1.5'" wordcount --batch-rows 1.5
expect_usage '--rate needs a value' wordcount --rate
expect_usage 'exclude each other' wordcount --rate 1000 --saturate
expect_usage 'multiples of --batch-ms' windowed --window 3 --batch-ms 2000
expect_usage "'localhost'" kafka-to-kafka --bootstrap localhost
expect_usage 'one workload at a time' wordcount stateful
expect_usage '--dump-input needs --batches' wordcount --dump-input "$work/in"

# every memory-stream workload, both APIs, checked against its own input
run_and_check() { # run_and_check WORKLOAD ARGS...
    workload="$1"
    shift
    rm -rf "$work/in"
    "$duet" bench "$workload" "$@" --dump-input "$work/in" >/dev/null
    "$duet" bench "$workload" "$@" --json "$work/$workload.json" --plot "$work/$workload.svg" \
        >"$work/table" 2>"$work/progress" ||
        { echo "duet bench $workload $* failed:"; cat "$work/table" "$work/progress"; exit 1; }
    grep -q '^| DStream ' "$work/table" && grep -q '^| Structured ' "$work/table" ||
        { echo "no table:"; cat "$work/table"; exit 1; }
    python3 "$check" "$work/$workload.json" "$work/in" dstream,structured
    "$svg_classes" "$work/$workload.svg" >"$work/classes"
    grep -qx 'series 2' "$work/classes" && grep -qx 'latency 2' "$work/classes" &&
        grep -qx 'rate 2' "$work/classes" ||
        { echo "$workload.svg: not one series per API:"; cat "$work/classes"; exit 1; }
}
run_and_check filter-project --batches 3 --batch-rows 4000
run_and_check stateful --batches 3 --batch-rows 4000 --keys 100000
run_and_check wordcount --batches 3 --batch-rows 1000 --keys 5000
run_and_check windowed --batches 6 --batch-rows 3000 --keys 20000 --window 2 --watermark 1
# at a fixed rate too (3 batches of 100 ms: 2000 rows/s is 200 rows a batch)
run_and_check filter-project --rate 2000 --batch-ms 100 --batches 3

# kafka-to-kafka on librdkafka's mock cluster: every record comes out of the output topic
"$duet" bench kafka-to-kafka --batches 3 --batch-rows 200 --batch-ms 100 \
    --json "$work/kafka.json" >/dev/null 2>"$work/progress" ||
    { echo "kafka-to-kafka failed:"; cat "$work/progress"; exit 1; }
python3 "$check" "$work/kafka.json" - dstream,structured

# one API: one series; --json - prints JSON only on standard output
"$duet" bench stateful --api structured --batches 2 --batch-rows 1000 --keys 1000 \
    --plot "$work/one.svg" --json - 2>/dev/null >"$work/stdout.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [r["api"] for r in d["results"]] == ["structured"], d' "$work/stdout.json"
"$svg_classes" "$work/one.svg" | grep -qx 'series 1' || { echo "one.svg: not one series"; exit 1; }

# an unwritable --json: exit 1, naming it
status=0
"$duet" bench stateful --api dstream --batches 1 --batch-rows 10 --json "$work/no/such/dir/r.json" \
    >/dev/null 2>"$work/err" || status=$?
[ "$status" -eq 1 ] && grep -q 'r.json' "$work/err" ||
    { echo "unwritable --json: exit $status"; cat "$work/err"; exit 1; }

# Ctrl-C: the running API stops after its batch, the next is skipped, the report is written
"$duet" bench wordcount --duration 600 --batch-rows 2000 --json "$work/int.json" \
    >"$work/int.table" 2>"$work/int.progress" &
pid=$!
tries=0
until grep -q 'duet bench wordcount \[DStream\]' "$work/int.progress" 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt 600 ] || { echo "no progress line in 60 s"; kill "$pid"; exit 1; }
    sleep 0.1
done
kill -INT "$pid"
status=0
wait "$pid" || status=$?
[ "$status" -eq 0 ] || { echo "interrupted bench exited $status"; cat "$work/int.progress"; exit 1; }
python3 - "$work/int.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["interrupted"] is True, doc["interrupted"]
assert [r["api"] for r in doc["results"]] == ["dstream"], [r["api"] for r in doc["results"]]
assert doc["results"][0]["ok"] and doc["results"][0]["batches"] >= 1, doc["results"][0]
PY
grep -q '^interrupted' "$work/int.table" || { echo "the table does not say interrupted"; exit 1; }
echo "duet bench: usage errors, every workload's output rows, JSON, SVG and Ctrl-C as expected"
