#!/bin/sh
# Replays one cases.json of ../shared/conformance with `duet conformance`; locate_shared.sh
# finds the file (beside the repository, beside its origin, or in $DUET_SHARED_CONFORMANCE).
set -eu
duet="$1"
cases=$(sh "$(dirname "$0")/locate_shared.sh" "$2")
shift 2
exec "$duet" conformance "$cases" "$@"
