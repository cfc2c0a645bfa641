#!/bin/sh
# postgres.sh COMMAND [ARGS...] — runs COMMAND against a throwaway PostgreSQL server.
#
# Finds Debian's server binaries (/usr/lib/postgresql/*/bin; `./duet` installs the postgresql
# package), runs initdb into a temporary directory, starts the server on a free loopback port
# with its unix socket in that directory, exports DUET_POSTGRES_URL (a libpq URI for the
# superuser "duet", trust authentication on loopback only) and DUET_POSTGRES_CTL (a script taking
# "stop" or "start": the same server stopped (fast shutdown) and started again on its port and
# data, for fault tests), runs COMMAND, and always stops the server and removes the directory
# (trap). PostgreSQL refuses to run as root: as root the server
# runs as the user nobody, which owns the temporary directory. Exits with COMMAND's status.
set -eu

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ] && bindir=$candidate
done
if [ -z "$bindir" ]; then
    echo "postgres.sh: no PostgreSQL server in /usr/lib/postgresql/*/bin;" \
        "install the Debian package postgresql (./duet does)" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/duet-postgres.XXXXXX")
data="$tmp/data"
log="$tmp/server.log"

# as_server CMD...: runs CMD as the server's user.
if [ "$(id -u)" -eq 0 ]; then
    chown nobody "$tmp"
    chmod 0755 "$tmp"
    as_server() { runuser -u nobody -- "$@"; }
else
    as_server() { "$@"; }
fi

started=""
child=""
stop() {
    status=$?
    if [ -n "$child" ]; then
        kill "$child" 2>/dev/null || true
    fi
    if [ -n "$started" ]; then
        as_server "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

if ! as_server "$bindir/initdb" -D "$data" -U duet --auth=trust --no-sync -E UTF8 \
    --locale=C >"$tmp/initdb.log" 2>&1; then
    cat "$tmp/initdb.log" >&2
    exit 1
fi

# A port found free can be taken before the server binds it: try a few. (started is set
# first: a start that timed out may still have left a server to stop.)
started=yes
for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_server "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \
        -o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off" \
        start >/dev/null 2>&1; then
        up=yes
        break
    fi
done
if [ -z "${up:-}" ]; then
    echo "postgres.sh: the server did not start; its log:" >&2
    cat "$log" >&2 2>/dev/null || true
    exit 1
fi

DUET_POSTGRES_URL="postgresql://duet@127.0.0.1:$port/postgres"
export DUET_POSTGRES_URL

# server_ctl.sh stop|start: the server stopped and started again on the same port and data.
if [ "$(id -u)" -eq 0 ]; then run_as="runuser -u nobody --"; else run_as=""; fi
cat >"$tmp/server_ctl.sh" <<EOF
#!/bin/sh
set -eu
case "\${1:-}" in
stop) exec $run_as "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null ;;
start) exec $run_as "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \\
    -o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ;;
*) echo "usage: server_ctl.sh stop|start" >&2; exit 2 ;;
esac
EOF
chmod 0755 "$tmp/server_ctl.sh"
DUET_POSTGRES_CTL="$tmp/server_ctl.sh"
export DUET_POSTGRES_CTL
# In the background, so that a signal to this script runs the trap at once (a shell waits for a
# foreground command before it handles a trap).
"$@" &
child=$!
status=0
wait "$child" || status=$?
child=""
exit "$status"
