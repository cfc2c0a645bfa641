#!/bin/sh
# locate_shared.sh PATH — prints PATH, ../shared/conformance or a file in it, where it really is.
# shared/ sits beside the repository; a clone made elsewhere (e.g. `git clone . /tmp/ci`) finds
# it beside the clone's origin instead, or in $DUET_SHARED_CONFORMANCE. A missing file is a
# failure (exit 1) with a clear message, never a silent pass. Used by run_conformance.sh and
# tests/reference/run.
set -eu
cases="$1"
if [ ! -e "$cases" ]; then
    relative=""
    case "$cases" in
    */shared/conformance | */shared/conformance/*)
        case "$cases" in */shared/conformance/*) relative="${cases##*/shared/conformance/}" ;; esac
        here=$(dirname "$0")
        origin=$(git -C "$here" config --get remote.origin.url 2>/dev/null || true)
        for dir in "${DUET_SHARED_CONFORMANCE:-}" "${origin:+$origin/../shared/conformance}"; do
            if [ -n "$dir" ] && [ -e "$dir/$relative" ]; then
                cases="$dir${relative:+/$relative}"
                break
            fi
        done
        ;;
    esac
fi
if [ ! -e "$cases" ]; then
    echo "conformance vectors not found: $cases (shared/ must sit beside the repository or" \
        "its origin, or set DUET_SHARED_CONFORMANCE)" >&2
    exit 1
fi
echo "$cases"
