#!/bin/sh
# test_kafka_mock.sh DUET KAFKA_PEER — `duet kafka-mock` as a user runs it: starts it with two
# topics, reads the bootstrap line (a deadline, not a sleep), runs tests/scripts/kcat_exchange.sh
# through it (kcat and duet's Kafka source and sink, both ways), stops it with SIGTERM and
# checks it exited 0. Also checks --help and a bad argument's exit code.
set -eu
duet=$1
peer=$2
here=$(cd "$(dirname "$0")" && pwd)

"$duet" kafka-mock --help | grep -q '^usage: duet kafka-mock' || { echo "no usage"; exit 1; }
status=0
"$duet" kafka-mock --partitions zero 2>/dev/null || status=$?
[ "$status" -eq 2 ] || { echo "bad --partitions exited $status, expected 2"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/duet-kafka-mock.XXXXXX")
mock=""
cleanup() {
    status=$?
    [ -n "$mock" ] && kill "$mock" 2>/dev/null || true
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT

"$duet" kafka-mock --partitions 2 --topics in,out >"$tmp/out" 2>"$tmp/err" &
mock=$!
waited=0
while ! grep -q '^bootstrap: ' "$tmp/out" 2>/dev/null; do
    if ! kill -0 "$mock" 2>/dev/null || [ "$waited" -ge 100 ]; then
        echo "duet kafka-mock printed no bootstrap line; stderr:" >&2
        cat "$tmp/err" >&2
        exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
done
[ "$(wc -l <"$tmp/out")" -eq 1 ] || { echo "more than one line on stdout"; exit 1; }
DUET_KAFKA_BOOTSTRAP=$(sed -n 's/^bootstrap: //p' "$tmp/out")
export DUET_KAFKA_BOOTSTRAP
echo "duet kafka-mock at $DUET_KAFKA_BOOTSTRAP"

status=0
sh "$here/../scripts/kcat_exchange.sh" "$peer" in out || status=$?
[ "$status" -eq 0 ] || exit "$status"

kill -TERM "$mock"
status=0
wait "$mock" || status=$?
mock=""
[ "$status" -eq 0 ] || { echo "duet kafka-mock exited $status after SIGTERM"; exit 1; }
grep -q 'stopped' "$tmp/err" || { echo "duet kafka-mock did not say it stopped"; exit 1; }
echo "duet kafka-mock: started, served kcat and duet, stopped"
