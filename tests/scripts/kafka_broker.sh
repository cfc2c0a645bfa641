#!/bin/sh
# kafka_broker.sh TEST_BINARY... — runs Kafka test binaries against a real Apache Kafka broker.
#
# Kafka's distribution tarball is not on Maven Central, but its broker's jars are: this resolves
# them from kafka-broker.pom.xml beside it with Maven (maven-dependency-plugin copy-dependencies)
# into ${XDG_CACHE_HOME:-~/.cache}/duet/kafka once, formats a KRaft storage directory in a
# temporary directory (kafka.tools.StorageTool), starts a single-node broker and controller
# (kafka.Kafka, process.roles=broker,controller) on free loopback ports, waits for it with a
# deadline, runs every TEST_BINARY with DUET_KAFKA_BOOTSTRAP=127.0.0.1:PORT (tests/common/
# kafka_mock.c then uses the real broker instead of librdkafka's mock) and
# DUET_KAFKA_BROKER_CTL, a script taking "stop" or "start" that stops the broker (a controlled
# shutdown) and starts it again on the same ports and data (fault tests), and always stops the
# broker and removes the directory (trap). A binary exiting 77 is reported as SKIPPED. Java and Maven come from Debian's default-jre-headless
# and maven, installed here when missing and running as root. Exits non-zero if any binary failed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
version=${DUET_KAFKA_VERSION:-3.7.0}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/duet/kafka
libs=$cache/kafka_2.13-$version/libs
start_deadline=${DUET_KAFKA_START_SECONDS:-180}

if [ "$#" -eq 0 ]; then
    echo "usage: kafka_broker.sh TEST_BINARY..." >&2
    exit 2
fi

install_tools() {
    missing=""
    command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
    command -v mvn >/dev/null 2>&1 || missing="$missing maven"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "kafka_broker.sh: install the Debian packages$missing (java and maven run the broker)" >&2
        exit 1
    fi
    echo "kafka_broker.sh: installing the Debian packages the broker needs:$missing" >&2
    env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    # shellcheck disable=SC2086
    env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
}

# The broker's jars, resolved once into the cache (one resolver at a time).
resolve() {
    [ -f "$libs/.complete" ] && return 0
    mkdir -p "$cache"
    exec 9>"$cache/.lock"
    if command -v flock >/dev/null 2>&1; then flock 9; fi
    if [ ! -f "$libs/.complete" ]; then
        echo "kafka_broker.sh: resolving Apache Kafka $version's jars from Maven Central" \
            "into $libs" >&2
        work=$(mktemp -d "${TMPDIR:-/tmp}/duet-kafka-mvn.XXXXXX")
        cp "$here/kafka-broker.pom.xml" "$work/pom.xml"
        rm -rf "$libs.partial"
        if ! (cd "$work" && mvn -B -q -Dmaven.repo.local="$cache/m2" -Dkafka.version="$version" \
            org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
            -DoutputDirectory="$libs.partial" -DincludeScope=runtime) >"$work/mvn.log" 2>&1; then
            cat "$work/mvn.log" >&2
            rm -rf "$work" "$libs.partial"
            echo "kafka_broker.sh: Maven could not resolve org.apache.kafka:kafka_2.13:$version" >&2
            exit 1
        fi
        rm -rf "$work"
        touch "$libs.partial/.complete"
        rm -rf "$libs"
        mv "$libs.partial" "$libs"
    fi
    exec 9>&-
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

install_tools
resolve

tmp=$(mktemp -d "${TMPDIR:-/tmp}/duet-kafka.XXXXXX")
broker=""
child=""
cleanup() {
    status=$?
    if [ -n "$child" ]; then
        kill "$child" 2>/dev/null || true
    fi
    # the broker may have been restarted by broker_ctl.sh: its pid is in broker.pid
    if [ -f "$tmp/broker.pid" ]; then
        broker=$(cat "$tmp/broker.pid")
    fi
    if [ -n "$broker" ] && kill -0 "$broker" 2>/dev/null; then
        kill "$broker" 2>/dev/null || true
        # a controlled shutdown takes a few seconds; then it is killed
        waited=0
        while kill -0 "$broker" 2>/dev/null && [ "$waited" -lt 300 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        kill -9 "$broker" 2>/dev/null || true
        wait "$broker" 2>/dev/null || true
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

java_options="-Xms128m -Xmx512m -Djava.awt.headless=true"
java_run() {
    # shellcheck disable=SC2086
    java $java_options -Dlog4j.configuration="file:$tmp/log4j.properties" -cp "$libs/*" "$@"
}

cat >"$tmp/log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.BrokerServer=INFO
EOF

# start_broker: formats a fresh storage directory and starts the broker on new free ports;
# returns once it reported STARTED (0), or when it died or the deadline passed (1).
start_broker() {
    port=$(free_port)
    controller=$(free_port)
    [ "$controller" = "$port" ] && controller=$(free_port)
    data="$tmp/data-$port"
    cat >"$tmp/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
    cluster=$(java_run kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    if ! java_run kafka.tools.StorageTool format -t "$cluster" -c "$tmp/server.properties" \
        >"$tmp/format.log" 2>&1; then
        cat "$tmp/format.log" >&2
        return 1
    fi
    # a simple command, not java_run: $! must be java itself for the trap to stop it
    # shellcheck disable=SC2086
    java $java_options -Dlog4j.configuration="file:$tmp/log4j.properties" -cp "$libs/*" \
        kafka.Kafka "$tmp/server.properties" >"$tmp/broker.log" 2>&1 &
    broker=$!
    echo "$broker" >"$tmp/broker.pid"
    deadline=$(($(date +%s) + start_deadline))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        if grep -q "Transition from STARTING to STARTED" "$tmp/broker.log"; then
            return 0
        fi
        if ! kill -0 "$broker" 2>/dev/null; then
            echo "kafka_broker.sh: the broker exited while starting; its log:" >&2
            cat "$tmp/broker.log" >&2
            broker=""
            return 1
        fi
        sleep 0.2
    done
    echo "kafka_broker.sh: the broker did not start within ${start_deadline}s; its log:" >&2
    cat "$tmp/broker.log" >&2
    return 1
}

# A port found free can be taken before the broker binds it: try a few times.
started=""
for attempt in 1 2 3; do
    if start_broker; then
        started=yes
        break
    fi
    if [ -n "$broker" ]; then
        kill -9 "$broker" 2>/dev/null || true
        broker=""
    fi
done
[ -n "$started" ] || exit 1

# broker_ctl.sh stop|start: the same broker stopped (SIGTERM, a controlled shutdown; killed after
# 30 s) and started again on its ports and data, waiting for STARTED with the same deadline.
cat >"$tmp/broker_ctl.sh" <<EOF
#!/bin/sh
set -eu
case "\${1:-}" in
stop)
    pid=\$(cat "$tmp/broker.pid")
    kill "\$pid" 2>/dev/null || true
    waited=0
    while kill -0 "\$pid" 2>/dev/null && [ "\$waited" -lt 300 ]; do
        sleep 0.1
        waited=\$((waited + 1))
    done
    kill -9 "\$pid" 2>/dev/null || true
    echo "broker_ctl.sh: broker stopped" >&2
    ;;
start)
    log="$tmp/broker-\$(date +%s%N).log"
    java $java_options -Dlog4j.configuration="file:$tmp/log4j.properties" -cp "$libs/*" \\
        kafka.Kafka "$tmp/server.properties" >"\$log" 2>&1 &
    echo \$! >"$tmp/broker.pid"
    deadline=\$((\$(date +%s) + $start_deadline))
    while [ "\$(date +%s)" -lt "\$deadline" ]; do
        if grep -q "Transition from STARTING to STARTED" "\$log"; then
            echo "broker_ctl.sh: broker started again" >&2
            exit 0
        fi
        sleep 0.2
    done
    echo "broker_ctl.sh: the broker did not start again; its log:" >&2
    cat "\$log" >&2
    exit 1
    ;;
*)
    echo "usage: broker_ctl.sh stop|start" >&2
    exit 2
    ;;
esac
EOF
chmod +x "$tmp/broker_ctl.sh"
DUET_KAFKA_BROKER_CTL="$tmp/broker_ctl.sh"
export DUET_KAFKA_BROKER_CTL

DUET_KAFKA_BOOTSTRAP="127.0.0.1:$port"
export DUET_KAFKA_BOOTSTRAP
echo "kafka_broker.sh: Apache Kafka $version (KRaft, one node) at $DUET_KAFKA_BOOTSTRAP"
failed=0
for binary in "$@"; do
    echo "== $(basename -- "$binary") against $DUET_KAFKA_BOOTSTRAP"
    # in the background, so that a signal runs the trap at once
    "$binary" &
    child=$!
    status=0
    wait "$child" || status=$?
    child=""
    if [ "$status" -eq 77 ]; then
        echo "kafka_broker.sh: SKIPPED $(basename -- "$binary") (it said why above)" >&2
    elif [ "$status" -ne 0 ]; then
        echo "kafka_broker.sh: $(basename -- "$binary") failed (exit $status)" >&2
        failed=1
    fi
done
exit "$failed"
