#!/bin/sh
# The duet command as a user runs it: demo, run, compare, explain and sql, their --help, exit
# codes (0 ok, 1 failure, 2 usage), --json and --timeline. Then every `./duet` command shown in
# README.md's console blocks runs and its output is compared (readme_commands.py).
set -eu
duet="$1"
svg_classes="$2"
readme_check="$3"
readme="$4"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }

# exit code of a command, its output kept in $work/out and $work/err
status_of() { s=0; "$@" >"$work/out" 2>"$work/err" || s=$?; echo "$s"; }

out=$("$duet" demo --batches 2)
printf '%s\n' "$out" | grep -q '^duet demo running_counts: ' || fail "demo heading: $out"
printf '%s\n' "$out" | grep -q '^verdicts: 2 agree, 0 differ as expected, 0 DIFFER$' ||
    fail "demo verdicts: $out"
"$duet" demo --help | grep -q '^usage: duet demo ' || fail "demo --help"
[ "$(status_of "$duet" demo --bogus)" -eq 2 ] || fail "demo --bogus should exit 2"
grep -q "unknown option '--bogus'" "$work/err" || fail "demo --bogus message: $(cat "$work/err")"
[ "$(status_of "$duet" nosuchcommand)" -eq 2 ] || fail "unknown command should exit 2"

[ "$("$duet" run --list | grep -c '^  ')" -eq 8 ] || fail "run --list: $("$duet" run --list)"
[ "$(status_of "$duet" run nope)" -eq 2 ] || fail "run nope should exit 2"
grep -q "no example named 'nope'" "$work/err" || fail "run nope message"
[ "$(status_of "$duet" run)" -eq 2 ] || fail "run without an example should exit 2"
[ "$(status_of "$duet" run fraud_filter --api nope)" -eq 2 ] || fail "--api nope should exit 2"
[ "$(status_of "$duet" run fraud_filter --batches x)" -eq 2 ] || fail "--batches x should exit 2"
grep -q "\-\-batches wants a number >= 0, got 'x'" "$work/err" || fail "--batches message"
[ "$(status_of "$duet" run fraud_filter --source socket:nohost)" -eq 2 ] ||
    fail "a bad --source should exit 2"

# Ctrl-C: the batch in progress completes, then the summary; exit 0. The loop waits for the
# run's output (it does not sleep to pass): SIGINT goes once batch 3 was printed.
"$duet" run fraud_filter --batches 0 >"$work/interrupted" 2>&1 &
pid=$!
tries=0
until grep -q '^batch 3 |' "$work/interrupted" 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt 3000 ] || { kill "$pid"; fail "run --batches 0 printed no batches"; }
    sleep 0.01
done
kill -INT "$pid"
s=0; wait "$pid" || s=$?
[ "$s" -eq 0 ] || fail "Ctrl-C exited $s: $(tail -5 "$work/interrupted")"
grep -q '^interrupted: stopped after the batch in progress completed$' "$work/interrupted" ||
    fail "Ctrl-C message: $(tail -5 "$work/interrupted")"
grep -q '^verdicts: ' "$work/interrupted" || fail "no summary after Ctrl-C"

# every example's two halves keep their relation
for example in $("$duet" run --list | awk '/^  / {print $1}'); do
    [ "$(status_of "$duet" compare "$example" --batches 3)" -eq 0 ] ||
        fail "compare $example: $(cat "$work/out" "$work/err")"
done

# --json: one object per batch, then the summary
"$duet" compare fraud_filter --json --batches 2 >"$work/json"
python3 - "$work/json" <<'PY' || fail "compare --json output"
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
assert [line.get("batch") for line in lines[:2]] == [0, 1], lines
assert all(line["verdict"] == "agree" for line in lines[:2])
assert lines[0]["dstream"]["rows"] and lines[0]["structured"]["text"].startswith("-----")
assert lines[2]["summary"]["agree"] == 2 and lines[2]["summary"]["dstream"]["batches"] == 2
PY

# --timeline: a valid SVG with a batch per API per batch and windows in both lanes
"$duet" compare windowed_counts --batches 3 --timeline "$work/t.svg" >/dev/null
"$svg_classes" "$work/t.svg" >"$work/classes" || fail "timeline is not valid SVG"
grep -q '^batch 6$' "$work/classes" || fail "timeline batches: $(cat "$work/classes")"
grep -q '^lane 2$' "$work/classes" || fail "timeline lanes: $(cat "$work/classes")"
grep -q '^window ' "$work/classes" || fail "timeline windows: $(cat "$work/classes")"
[ "$(status_of "$duet" run fraud_filter --batches 1 --timeline /nonexistent/t.svg)" -eq 1 ] ||
    fail "an unwritable --timeline should exit 1"

"$duet" explain windowed_counts | grep -q '^== Physical Plan ==' || fail "explain plans"
"$duet" explain windowed_counts | grep -q 'ReducedWindowedDStream' || fail "explain graph"

# sql
"$duet" sql "SELECT upper(value) AS v FROM lines" --batches 2 --lines 1 | grep -q '^Batch: 1$' ||
    fail "sql batches"
[ "$(status_of "$duet" sql "SELECT nope FROM lines")" -eq 1 ] || fail "sql bad column exit"
grep -q 'UNRESOLVED_COLUMN' "$work/err" || fail "sql bad column message"
[ "$(status_of "$duet" sql)" -eq 2 ] || fail "sql without a query should exit 2"
"$duet" sql "SELECT upper(value) AS v, length(value) AS n FROM lines" --batches 2 --lines 3 \
    --json >"$work/sql.json"
python3 - "$work/sql.json" <<'PY' || fail "sql --json output"
import json, sys
batches = [json.loads(line) for line in open(sys.argv[1])]
assert [b["batch"] for b in batches] == [0, 1] and batches[0]["columns"] == ["v", "n"]
assert all(len(b["rows"]) == 3 and all(r[0] == r[0].upper() and r[1] == len(r[0])
                                       for r in b["rows"]) for b in batches), batches
PY

python3 "$readme_check" "$readme" "$duet" || fail "README.md's commands"
echo "duet commands: as README.md shows them"
