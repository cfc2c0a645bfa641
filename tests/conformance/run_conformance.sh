#!/bin/sh
# Replays one cases.json of ../shared/conformance with `duet conformance`. shared/ sits beside
# the repository; a clone made elsewhere (e.g. `git clone . /tmp/ci`) finds it beside the clone's
# origin instead, or in $DUET_SHARED_CONFORMANCE. A missing file is a failure with a clear
# message, never a silent pass.
set -eu
duet="$1"
cases="$2"
shift 2
if [ ! -f "$cases" ]; then
    case "$cases" in
    */shared/conformance/*)
        relative="${cases##*/shared/conformance/}"
        here=$(dirname "$0")
        origin=$(git -C "$here" config --get remote.origin.url 2>/dev/null || true)
        for dir in "${DUET_SHARED_CONFORMANCE:-}" "${origin:+$origin/../shared/conformance}"; do
            if [ -n "$dir" ] && [ -f "$dir/$relative" ]; then
                cases="$dir/$relative"
                break
            fi
        done
        ;;
    esac
fi
if [ ! -f "$cases" ]; then
    echo "conformance vectors not found: $cases (shared/ must sit beside the repository or" \
        "its origin, or set DUET_SHARED_CONFORMANCE)" >&2
    exit 1
fi
exec "$duet" conformance "$cases" "$@"
