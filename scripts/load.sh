#!/usr/bin/env bash
# Load test of the quickstart app in release mode.
#
# The server is pinned to core 0 and wrk to core 1 (`taskset`). The same
# handler is served bare (`/health`) and behind the auth layer
# (`/api/health/`: HS256 validation plus the memory store's revocation
# check), and both get the very same request, bearer token included. Runs are interleaved RUNS times so machine noise hits both alike;
# ratios are computed per pair.
#
#   scripts/load.sh            # RUNS=5 DURATION=10s by default
#   RUNS=7 DURATION=15s scripts/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-5}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-32}"
ADDR=127.0.0.1:3917
BASE="http://$ADDR"
ADDR2=127.0.0.1:3918
BASE2="http://$ADDR2"

command -v wrk >/dev/null || { echo "installing wrk (Debian package)"; apt-get install -y wrk >/dev/null; }
command -v taskset >/dev/null || { echo "taskset (util-linux) is required"; exit 1; }

cargo build --release --example quickstart -q
DIR="$(mktemp -d)"
export JWT_SECRET="load-test-secret-load-test-secret-32b!"
# One runtime worker for the one core it may use.
RUST_LOG=warn TOKIO_WORKER_THREADS=1 taskset -c 0 target/release/examples/quickstart --addr "$ADDR" --db "$DIR/load.db" --store memory \
    >"$DIR/server.log" 2>&1 &
SERVER=$!
# A second instance on both cores for the refresh run, without the
# per-refresh user lookup (SQLite), to measure the token path itself.
RUST_LOG=warn target/release/examples/quickstart --addr "$ADDR2" --db "$DIR/load2.db" --store memory \
    --recheck-users off >"$DIR/server2.log" 2>&1 &
SERVER2=$!
trap 'kill $SERVER $SERVER2 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 1 100); do curl -sf "$BASE/health" >/dev/null && curl -sf "$BASE2/health" >/dev/null && break; sleep 0.1; done

ACCESS="$(curl -sf -X POST "$BASE/api/token/" -H 'content-type: application/json' \
    -d '{"username": "demo", "password": "demo-password"}' | sed -E 's/.*"access":"([^"]+)".*/\1/')"

rps() { # wrk output -> requests/s
    awk '/Requests\/sec/ {print $2}'
}
p99() {
    awk '/ 99%/ {print $2}'
}
run() { # name, then wrk arguments
    local name="$1"; shift
    local out
    if [ "$name" = refresh ]; then
        out="$(wrk --latency -d "$DURATION" "$@")"
    else
        out="$(taskset -c 1 wrk --latency -d "$DURATION" "$@")"
    fi
    echo "$name $(echo "$out" | rps) $(echo "$out" | p99)" >>"$DIR/results"
    echo "  $name: $(echo "$out" | rps) req/s, p99 $(echo "$out" | p99)"
}

echo "server on core 0, wrk on core 1, $RUNS interleaved runs of $DURATION, $CONNS connections"
bare() { run bare -t 1 -c "$CONNS" -H "Authorization: Bearer $ACCESS" "$BASE/health"; }
layer() { run layer -t 1 -c "$CONNS" -H "Authorization: Bearer $ACCESS" "$BASE/api/health/"; }
for i in $(seq 1 "$RUNS"); do
    echo "run $i"
    # Alternate which goes first, so drift during a pair favours neither.
    if [ $((i % 2)) -eq 1 ]; then bare; layer; else layer; bare; fi
done
echo "refresh with rotation (memory store, server on both cores, wrk sharing them), 16 chains"
run refresh -t 16 -c 16 -s scripts/wrk/refresh.lua "$BASE2"
echo "obtain pair (argon2 password check per request)"
run obtain -t 1 -c 4 -s scripts/wrk/login.lua "$BASE/api/token/"

echo
awk '
    $1 == "bare"  { bare[++nb] = $2 }
    $1 == "layer" { layer[++nl] = $2 }
    $1 == "refresh" { printf "refresh with rotation: %.0f req/s\n", $2 }
    $1 == "obtain"  { printf "obtain pair: %.0f req/s\n", $2 }
    END {
        for (i = 1; i <= nb; i++) { r = layer[i] / bare[i]; printf "pair %d: bare %.0f, layer %.0f, ratio %.3f\n", i, bare[i], layer[i], r; s[i] = r }
        n = asort(s); printf "layer / bare ratio: median %.3f (min %.3f, max %.3f)\n", s[int((n + 1) / 2)], s[1], s[n]
    }' "$DIR/results"
