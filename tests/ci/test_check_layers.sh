#!/bin/sh
# Tests .ci/check-layers: a clean tree passes; upward, sideways and private includes fail.
set -eu
checker="$1"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/rdd" "$tree/sources" "$tree/sinks" "$tree/dstream" "$tree/structured" \
    "$tree/compat" "$tree/tests/rdd"
printf '#include "rdd/batch.h"\n' >"$tree/sources/ok.c"
printf '#include "sources/kafka_client.h"\n' >"$tree/sinks/ok.c"
printf '#include "dstream/dstream.h"\n#include "structured/plan.h"\n' >"$tree/compat/ok.c"
printf '#include "rdd/internal.h"\n' >"$tree/rdd/ok.c"
python3 "$checker" "$tree" >/dev/null || { echo "clean tree rejected"; exit 1; }

expect_violation() {
    file="$1"
    text="$2"
    printf '%s\n' "$text" >"$tree/$file"
    if python3 "$checker" "$tree" >/dev/null; then
        echo "not caught: $file: $text"
        exit 1
    fi
    rm "$tree/$file"
}
expect_violation rdd/bad.c '#include "sources/source.h"'
expect_violation sources/bad.c '#include "sinks/sink.h"'
expect_violation sinks/bad.c '#include "sources/socket_source.h"'
expect_violation dstream/bad.c '#include "structured/plan.h"'
expect_violation structured/bad.c '#include "dstream/dstream.h"'
expect_violation dstream/bad2.c '#include "rdd/internal.h"'
expect_violation tests/rdd/bad.c '#include "dstream/dstream.h"'
echo "check-layers: all cases behave"
