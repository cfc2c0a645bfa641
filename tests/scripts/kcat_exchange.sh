#!/bin/sh
# kcat_exchange.sh [PEER [TOPIC_IN TOPIC_OUT]] — duet's Kafka source and sink against kcat, an
# independent producer and consumer, on the broker at $DUET_KAFKA_BOOTSTRAP.
#
# kcat produces records (keys, values with spaces and UTF-8, headers, two partitions, a
# thousand numbered records) that duet's source must read exactly (tests/compat/kafka_peer read:
# a batch read with includeHeaders); duet's sink writes records (keys, values, headers) that
# kcat must consume exactly. PEER is the kafka_peer binary (default $DUET_KAFKA_PEER). The two
# topics are created (2 partitions each) under fresh names unless given, as `duet kafka-mock
# --topics` creates them. Without kcat it says SKIPPED loudly and exits 77.
set -eu

peer=${1:-${DUET_KAFKA_PEER:-}}
bootstrap=${DUET_KAFKA_BOOTSTRAP:?kcat_exchange.sh: set DUET_KAFKA_BOOTSTRAP}
if [ -z "$peer" ]; then
    echo "usage: kcat_exchange.sh PEER [TOPIC_IN TOPIC_OUT] (or set DUET_KAFKA_PEER)" >&2
    exit 2
fi
if ! command -v kcat >/dev/null 2>&1; then
    echo "kcat_exchange.sh: SKIPPED: kcat is not installed (Debian package kcat; ./duet installs it)"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/duet-kcat.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ "$#" -ge 3 ]; then
    in=$2
    out=$3
else
    in="kcat-in-$$"
    out="kcat-out-$$"
    "$peer" "$bootstrap" create "$in" 2
    "$peer" "$bootstrap" create "$out" 2
fi

# a deadline on every kcat call: a broker that stops answering fails the test
kc() { timeout 60 kcat -b "$bootstrap" "$@"; }

tab=$(printf '\t')
# kcat -> duet: three records with headers on partition 0, one without on partition 1, then a
# thousand numbered records on partition 1
printf 'k1\tv1\nk2\thello world\nk3\th\303\251llo w\303\266rld\n' |
    kc -P -t "$in" -p 0 -K "$tab" -H trace=abc -H empty=
printf 'k4\tv4\n' | kc -P -t "$in" -p 1 -K "$tab"
seq 1 1000 | awk '{ printf "key%d\tvalue-%d\n", $1, $1 }' | kc -P -t "$in" -p 1 -K "$tab"
{
    printf '0\t0\tk1\tv1\ttrace=abc,empty=\n'
    printf '0\t1\tk2\thello world\ttrace=abc,empty=\n'
    printf '0\t2\tk3\th\303\251llo w\303\266rld\ttrace=abc,empty=\n'
    printf '1\t0\tk4\tv4\t\n'
    seq 1 1000 | awk '{ printf "1\t%d\tkey%d\tvalue-%d\t\n", $1, $1, $1 }'
} >"$tmp/expected-in"
"$peer" "$bootstrap" read "$in" >"$tmp/read-in"
if ! cmp -s "$tmp/expected-in" "$tmp/read-in"; then
    echo "kcat_exchange.sh: duet's source did not read what kcat produced:" >&2
    diff "$tmp/expected-in" "$tmp/read-in" | head -n 20 >&2
    exit 1
fi
echo "kcat_exchange.sh: duet's Kafka source read kcat's 1004 records exactly"

# duet -> kcat: the sink writes to partition 1, kcat consumes every partition
{
    printf 'a\t1\tx=y,z=w\n'
    printf 'b\tspaced value\n'
    printf 'c\th\303\251llo\tu=\303\274\n'
} | "$peer" "$bootstrap" write "$out" 1
{
    printf '1\t0\ta\t1\tx=y,z=w\n'
    printf '1\t1\tb\tspaced value\t\n'
    printf '1\t2\tc\th\303\251llo\tu=\303\274\n'
} >"$tmp/expected-out"
kc -C -t "$out" -e -q -o beginning -f '%p\t%o\t%k\t%s\t%h\n' | sort >"$tmp/read-out"
if ! cmp -s "$tmp/expected-out" "$tmp/read-out"; then
    echo "kcat_exchange.sh: kcat did not consume what duet's sink wrote:" >&2
    diff "$tmp/expected-out" "$tmp/read-out" >&2
    exit 1
fi
echo "kcat_exchange.sh: kcat consumed duet's Kafka sink's 3 records exactly"
