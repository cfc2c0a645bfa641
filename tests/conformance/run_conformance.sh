#!/bin/sh
# Replays one cases.json of ../shared/conformance with `duet conformance`. A missing file is a
# failure with a clear message, never a silent pass.
set -eu
duet="$1"
cases="$2"
if [ ! -f "$cases" ]; then
    echo "conformance vectors not found: $cases (shared/ must sit beside the repository)" >&2
    exit 1
fi
shift 2
exec "$duet" conformance "$cases" "$@"
