#!/usr/bin/env bash
# A local Redis Cluster for the tests: three primaries and three replicas on
# loopback ports 7101-7106, each in its own directory under
# target/redis-cluster. Uses the machine's redis-server and redis-cli.
#
#   scripts/redis-cluster.sh start   # idempotent: a healthy cluster is left running
#   scripts/redis-cluster.sh stop
#
# The tests read REDIS_CLUSTER_URLS (default: these six nodes).
set -euo pipefail
cd "$(dirname "$0")/.."

PORTS=(7101 7102 7103 7104 7105 7106)
DIR="$PWD/target/redis-cluster"

# Healthy: every slot served, three connected primaries, three replicas.
healthy() {
    local nodes
    redis-cli -p "${PORTS[0]}" cluster info 2>/dev/null | grep -q "cluster_state:ok" || return 1
    nodes=$(redis-cli -p "${PORTS[0]}" cluster nodes 2>/dev/null | grep connected | grep -v fail)
    [ "$(echo "$nodes" | grep -c master)" -eq 3 ] && [ "$(echo "$nodes" | grep -c slave)" -eq 3 ]
}

stop() {
    for port in "${PORTS[@]}"; do
        redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    done
}

start() {
    if healthy; then
        echo "redis cluster: already running on ports ${PORTS[*]}"
        return
    fi
    stop
    rm -rf "$DIR"
    for port in "${PORTS[@]}"; do
        mkdir -p "$DIR/$port"
        redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
            --cluster-enabled yes --cluster-config-file "$DIR/$port/nodes.conf" \
            --cluster-node-timeout 2000 --appendonly no --save "" \
            --dir "$DIR/$port" --logfile "$DIR/$port/redis.log"
    done
    for port in "${PORTS[@]}"; do
        for _ in $(seq 1 50); do
            redis-cli -p "$port" ping >/dev/null 2>&1 && break
            sleep 0.1
        done
    done
    local nodes=()
    for port in "${PORTS[@]}"; do nodes+=("127.0.0.1:$port"); done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/create.log" 2>&1
    for _ in $(seq 1 100); do
        if healthy; then
            echo "redis cluster: running on ports ${PORTS[*]}"
            return
        fi
        sleep 0.2
    done
    echo "redis cluster: did not become healthy; see $DIR" >&2
    exit 1
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
