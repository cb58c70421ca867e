#!/usr/bin/env bash
# Requests/s of a route behind the auth layer with a revocation check on
# every request (access revocation on), per revocation store, over HTTP.
# Three quickstart servers (memory, Redis, Redis with its invalidation-feed cache)
# take turns on core 0, wrk on core 1; runs are interleaved so machine noise
# hits all alike, and ratios to the memory store are computed per round.
#
#   scripts/load_stores.sh            # RUNS=3 DURATION=10s
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-32}"
REDIS="${REDIS_URL:-redis://127.0.0.1:6379}"
HOSTPORT="${REDIS#redis://}"

command -v wrk >/dev/null || { echo "installing wrk (Debian package)"; apt-get install -y wrk >/dev/null; }
cargo build --release --example quickstart -q
DIR="$(mktemp -d)"
export JWT_SECRET="load-test-secret-load-test-secret-32b!"
declare -A PORT=([memory]=3931 [redis]=3932 [redis_cache]=3933)
declare -A STORE=([memory]=memory [redis]="$REDIS" [redis_cache]="redis+cache://$HOSTPORT")
PIDS=()
for name in memory redis redis_cache; do
    RUST_LOG=warn TOKIO_WORKER_THREADS=1 taskset -c 0 target/release/examples/quickstart \
        --addr "127.0.0.1:${PORT[$name]}" --db "$DIR/$name.db" --store "${STORE[$name]}" \
        >"$DIR/$name.log" 2>&1 &
    PIDS+=($!)
done
trap 'kill ${PIDS[*]} 2>/dev/null; rm -rf "$DIR"' EXIT
for name in memory redis redis_cache; do
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:${PORT[$name]}/health" >/dev/null && break; sleep 0.1; done
done
token() {
    curl -sf -X POST "http://127.0.0.1:$1/api/token/" -H 'content-type: application/json' \
        -d '{"username": "demo", "password": "demo-password"}' | sed -E 's/.*"access":"([^"]+)".*/\1/'
}
for i in $(seq 1 "$RUNS"); do
    echo "round $i"
    for name in memory redis redis_cache; do
        port=${PORT[$name]}
        out="$(taskset -c 1 wrk -t 1 -c "$CONNS" -d "$DURATION" -H "Authorization: Bearer $(token "$port")" \
            "http://127.0.0.1:$port/api/health/")"
        rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
        echo "  $name: $rps req/s"
        echo "$i $name $rps" >>"$DIR/results"
    done
done
echo
awk '{ r[$1, $2] = $3; n = $1 }
    END { for (i = 1; i <= n; i++) printf "round %d: redis/memory %.3f, redis_cache/memory %.3f\n", i, r[i, "redis"] / r[i, "memory"], r[i, "redis_cache"] / r[i, "memory"] }' "$DIR/results"
