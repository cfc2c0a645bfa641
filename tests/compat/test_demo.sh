#!/bin/sh
# Runs `duet demo` as README.md shows it and checks its output: the three most frequent words
# of the Gettysburg Address and the totals. Also checks --help and a bad argument's exit code.
set -eu
duet="$1"
out=$("$duet" demo --top 3)
expected='(that,13)
(the,11)
(we,10)'
top=$(printf '%s\n' "$out" | head -n 3)
[ "$top" = "$expected" ] || { printf 'unexpected demo output:\n%s\n' "$out"; exit 1; }
printf '%s\n' "$out" | grep -q '^-- 272 words, 138 distinct, counted on local\[2\]' ||
    { printf 'unexpected summary:\n%s\n' "$out"; exit 1; }
"$duet" demo --help | grep -q '^usage: duet demo' || { echo "no usage from --help"; exit 1; }
status=0
"$duet" demo --bogus 2>/dev/null || status=$?
[ "$status" -eq 2 ] || { echo "bad argument exited $status, expected 2"; exit 1; }
status=0
"$duet" nosuchcommand 2>/dev/null || status=$?
[ "$status" -eq 2 ] || { echo "unknown command exited $status, expected 2"; exit 1; }
echo "duet demo: output as README.md shows it"
