#!/usr/bin/env bash
# A single-node Apache Cassandra 5 for Segue's CQL tests: fetched from Maven Central into a cache
# outside the repository, started on free loopback ports with a throw-away data directory and a
# small heap, and stopped again.
#
#   scripts/cassandra.sh fetch            download Cassandra into the cache when missing
#   scripts/cassandra.sh start DIR        start a node whose state lives in DIR; waits until CQL
#                                         answers, then prints HOST:PORT on stdout
#   scripts/cassandra.sh stop DIR         stop the node started in DIR (idempotent)
#   scripts/cassandra.sh restart DIR      start the node of DIR again on its previous ports and
#                                         data (stopping it first when it runs); prints HOST:PORT
#
# Maven Central does not carry Cassandra's binary tarball for 5.0, but it does carry the server
# jar (org.apache.cassandra:cassandra-all) with all its dependencies; the launch below does what
# bin/cassandra + conf/jvm17-server.options do for a foreground node.
#
# Environment: CASSANDRA_VERSION (default 5.0.6), SEGUE_CACHE_DIR (default ~/.cache/segue),
# CASSANDRA_HEAP (default 1g, max heap), CASSANDRA_START_TIMEOUT (seconds, default 600: two
# cores shared with a Rust build can slow start-up from ~10 s to minutes).
set -euo pipefail

CASSANDRA_VERSION="${CASSANDRA_VERSION:-5.0.6}"
CACHE_ROOT="${SEGUE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/segue}"
CASSANDRA_HOME="$CACHE_ROOT/cassandra/$CASSANDRA_VERSION"
HEAP="${CASSANDRA_HEAP:-1g}"
START_TIMEOUT="${CASSANDRA_START_TIMEOUT:-600}"

log() { echo "[cassandra] $*" >&2; }

fetch() {
    if [[ -f "$CASSANDRA_HOME/.complete" ]]; then
        return 0
    fi
    command -v mvn >/dev/null || { log "maven (mvn) is needed to fetch Cassandra"; return 1; }
    command -v java >/dev/null || { log "a Java 17 runtime is needed to run Cassandra"; return 1; }
    log "fetching org.apache.cassandra:cassandra-all:$CASSANDRA_VERSION and its dependencies into $CASSANDRA_HOME"
    rm -rf "$CASSANDRA_HOME"
    mkdir -p "$CASSANDRA_HOME"
    cat >"$CASSANDRA_HOME/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>segue.test</groupId>
  <artifactId>cassandra-node</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>$CASSANDRA_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
    (cd "$CASSANDRA_HOME" && mvn -q -B dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$CASSANDRA_HOME/lib" </dev/null) >&2
    [[ -f "$CASSANDRA_HOME/lib/cassandra-all-$CASSANDRA_VERSION.jar" ]] || {
        log "download finished but cassandra-all-$CASSANDRA_VERSION.jar is missing"
        return 1
    }
    touch "$CASSANDRA_HOME/.complete"
}

# A TCP port nobody listens on right now (bash's /dev/tcp, no extra tools needed).
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    log "no free port found"
    return 1
}

# A real CQL handshake: send OPTIONS (protocol v4, opcode 0x05) and expect SUPPORTED (0x06) in
# a response frame (version byte 0x84).
cql_answers() {
    local port="$1" reply
    reply=$(timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
        printf "\x04\x00\x00\x00\x05\x00\x00\x00\x00" >&3
        head -c 5 <&3 | od -An -tx1 | tr -d " \n"
    ' "$port" 2>/dev/null) || return 1
    # version 0x84 = response to v4; byte 5 is the opcode.
    [[ "${reply:0:2}" == 84 && "${reply:8:2}" == 06 ]]
}

write_config() {
    local dir="$1" cql_port="$2" storage_port="$3"
    mkdir -p "$dir/conf" "$dir/data" "$dir/commitlog" "$dir/saved_caches" "$dir/hints" \
        "$dir/cdc_raw" "$dir/logs" "$dir/triggers"
    cat >"$dir/conf/cassandra.yaml" <<EOF
# Single-node test instance for Segue: loopback only, one token, small caches, no auth.
cluster_name: segue-test
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:$storage_port"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: $storage_port
native_transport_port: $cql_port
start_native_transport: true
data_file_directories:
  - $dir/data
commitlog_directory: $dir/commitlog
saved_caches_directory: $dir/saved_caches
hints_directory: $dir/hints
cdc_raw_directory: $dir/cdc_raw
# Tests want speed over durability of the test node itself.
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 8MiB
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
auto_snapshot: false
snapshot_on_duplicate_row_detection: false
concurrent_compactors: 1
compaction_throughput: 0MiB/s
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 8
memtable_heap_space: 128MiB
memtable_offheap_space: 128MiB
key_cache_size: 8MiB
counter_cache_size: 4MiB
prepared_statements_cache_size: 16MiB
# Segue creates and drops tables at test start; let schema changes settle quickly.
materialized_views_enabled: false
sasi_indexes_enabled: false
# Generous timeouts: two shared cores running builds next to the node.
read_request_timeout: 10000ms
range_request_timeout: 20000ms
write_request_timeout: 10000ms
cas_contention_timeout: 5000ms
request_timeout: 20000ms
EOF
    cat >"$dir/conf/logback.xml" <<'EOF'
<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${cassandra.logdir}/system.log</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE" /></root>
</configuration>
EOF
}

# One launch attempt on fresh ports. Returns 1 when the node died during start-up (e.g. a port
# taken between choosing and binding it), 2 when it did not answer in time.
launch_once() {
    local dir="$1"
    local cql_port storage_port
    cql_port=$(free_port) || return 1
    storage_port=$(free_port) || return 1
    while [[ "$storage_port" == "$cql_port" ]]; do storage_port=$(free_port); done
    write_config "$dir" "$cql_port" "$storage_port"
    launch "$dir" "$cql_port"
}

# Starts the JVM on the configuration already in DIR and waits until CQL answers on CQL_PORT.
launch() {
    local dir="$1" cql_port="$2"
    local jvm_opts=(
        -Xms256m "-Xmx$HEAP" -Xss256k
        -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1
        -XX:+UseThreadPriorities -XX:+ExitOnOutOfMemoryError
        -XX:+PerfDisableSharedMem -XX:ActiveProcessorCount=2
        -ea -da:net.openhft...
        -Djava.net.preferIPv4Stack=true
        # From conf/jvm17-server.options: the module openings Cassandra 5 needs on Java 17.
        -Djdk.attach.allowAttachSelf=true
        --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
        --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
        --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
        --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
        --add-exports java.sql/java.sql=ALL-UNNAMED
        --add-exports java.base/java.lang.ref=ALL-UNNAMED
        --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
        --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
        --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
        --add-opens java.base/java.lang.module=ALL-UNNAMED
        --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
        --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
        --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
        --add-opens java.base/jdk.internal.math=ALL-UNNAMED
        --add-opens java.base/jdk.internal.module=ALL-UNNAMED
        --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
        --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
        --add-opens java.base/sun.nio.ch=ALL-UNNAMED
        --add-opens java.base/java.io=ALL-UNNAMED
        --add-opens java.base/java.lang.reflect=ALL-UNNAMED
        --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
        --add-opens java.base/java.lang=ALL-UNNAMED
        --add-opens java.base/java.util=ALL-UNNAMED
        -Dio.netty.tryReflectionSetAccessible=true
        -Dio.netty.allocator.useCacheForAllThreads=true
        -Dio.netty.allocator.maxOrder=11
        "-javaagent:$CASSANDRA_HOME/lib/jamm-0.4.0.jar"
        # What bin/cassandra would set, plus start-up shortcuts that are safe for one node.
        -Dcassandra-foreground=yes
        "-Dcassandra.config=file://$dir/conf/cassandra.yaml"
        "-Dlogback.configurationFile=file://$dir/conf/logback.xml"
        "-Dcassandra.logdir=$dir/logs"
        "-Dcassandra.storagedir=$dir"
        "-Dcassandra.triggers_dir=$dir/triggers"
        -Dcassandra.skip_wait_for_gossip_to_settle=0
        -Dcassandra.ring_delay_ms=0
        -Dcassandra.available_processors=2
        -Dcassandra.superuser_setup_delay_ms=0
    )
    log "starting Cassandra $CASSANDRA_VERSION: CQL on 127.0.0.1:$cql_port, data in $dir"
    # setsid: the node gets its own process group, so stopping it never touches the caller's.
    setsid java "${jvm_opts[@]}" -cp "$dir/conf:$CASSANDRA_HOME/lib/*" \
        org.apache.cassandra.service.CassandraDaemon \
        >"$dir/logs/stdout.log" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$dir/pid"
    echo "127.0.0.1:$cql_port" >"$dir/address"

    local started=$SECONDS
    until cql_answers "$cql_port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "Cassandra exited during start-up; last log lines:"
            tail -n 40 "$dir/logs/system.log" "$dir/logs/stdout.log" >&2 2>/dev/null || true
            rm -f "$dir/pid"
            return 1
        fi
        if ((SECONDS - started > START_TIMEOUT)); then
            log "Cassandra did not answer CQL within ${START_TIMEOUT}s; last log lines:"
            tail -n 40 "$dir/logs/system.log" >&2 2>/dev/null || true
            stop "$dir"
            return 2
        fi
        sleep 1
    done
    log "CQL answers on 127.0.0.1:$cql_port after $((SECONDS - started))s"
    echo "127.0.0.1:$cql_port"
}

start() {
    local dir="$1" rc
    fetch
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    for attempt in 1 2; do
        rc=0
        launch_once "$dir" || rc=$?
        if ((rc == 0)); then return 0; fi
        if ((rc == 2)); then return 1; fi # too slow: a second try would not be faster
        if ((attempt == 1)); then
            log "retrying once on other ports with a clean data directory"
            mv "$dir/logs" "$dir/logs.attempt1" 2>/dev/null || true
            rm -rf "$dir/data" "$dir/commitlog" "$dir/saved_caches" "$dir/hints" "$dir/cdc_raw"
        fi
    done
    return 1
}

# The same node again: same configuration, ports and data, so clients reconnect to the address
# they knew. No retry on other ports: the address is what the caller depends on.
restart() {
    local dir="$1" addr
    [[ -f "$dir/conf/cassandra.yaml" && -f "$dir/address" ]] || {
        log "$dir holds no node started by this script"
        return 1
    }
    dir="$(cd "$dir" && pwd)"
    stop "$dir"
    addr=$(cat "$dir/address")
    launch "$dir" "${addr##*:}"
}

stop() {
    local dir="$1" pid
    [[ -f "$dir/pid" ]] || return 0
    pid=$(cat "$dir/pid")
    rm -f "$dir/pid"
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    log "Cassandra (pid $pid) did not stop on TERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
fetch) fetch ;;
start) start "${2:?usage: cassandra.sh start DIR}" ;;
stop) stop "${2:?usage: cassandra.sh stop DIR}" ;;
restart) restart "${2:?usage: cassandra.sh restart DIR}" ;;
*)
    echo "usage: $0 fetch | start DIR | stop DIR | restart DIR" >&2
    exit 2
    ;;
esac
