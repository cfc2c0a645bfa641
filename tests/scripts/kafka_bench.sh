#!/bin/sh
# kafka_bench.sh [KAFKA_BENCH [ARGS...]] — runs tests/bench/kafka_bench against a real Apache
# Kafka broker: the broker is started, awaited and stopped by kafka_broker.sh (the same jars,
# ports and cleanup as the kafka-broker test suite), which runs this script again as its
# "binary" with DUET_KAFKA_BOOTSTRAP set; that second run executes KAFKA_BENCH (default
# build/tests/bench/kafka_bench) with ARGS (e.g. --messages 1000000). A benchmark, never a test.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

if [ -n "${DUET_KAFKA_BENCH_RUN:-}" ]; then
    # inside kafka_broker.sh: the broker is up
    # shellcheck disable=SC2086
    exec "$DUET_KAFKA_BENCH_RUN" ${DUET_KAFKA_BENCH_ARGS:-}
fi

bench=${1:-$here/../../build/tests/bench/kafka_bench}
[ "$#" -gt 0 ] && shift
if [ ! -x "$bench" ]; then
    echo "kafka_bench.sh: no benchmark at $bench (build first: ninja -C build)" >&2
    exit 2
fi
DUET_KAFKA_BENCH_RUN=$(cd "$(dirname "$bench")" && pwd)/$(basename "$bench")
DUET_KAFKA_BENCH_ARGS="$*"
export DUET_KAFKA_BENCH_RUN DUET_KAFKA_BENCH_ARGS
exec sh "$here/kafka_broker.sh" "$here/kafka_bench.sh"
