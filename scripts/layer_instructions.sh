#!/usr/bin/env bash
# Instructions per request through the auth layer with a revocation check on
# every request, per store, counted by callgrind (the client side: the app's
# process; the store server's own work is not counted). For each store the
# bench binary runs 0 and N requests; the difference divided by N is one
# request.
#
#   scripts/layer_instructions.sh        # N=2000, every feature
#   FEATURES="--features sqlite,postgres,redis" STORES=memory scripts/layer_instructions.sh
#                                        # tracing and metrics off
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-2000}"
FEATURES="${FEATURES:---all-features}"
# shellcheck disable=SC2086
cargo bench $FEATURES --bench layer --no-run --quiet 2>/dev/null
BIN=$(ls -t target/release/deps/layer-* | grep -v '\.d$' | head -1)

count() {
    local out
    out=$(mktemp)
    LAYER_COUNT="$1 $2" valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN" >/dev/null 2>&1
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
    rm -f "$out"
}

memory=""
for store in ${STORES:-memory redis_invalidation_feed redis postgres_invalidation_feed postgres_not_revoked_cache postgres}; do
    zero=$(count "$store" 0)
    many=$(count "$store" "$N")
    per=$(( (many - zero) / N ))
    [ -z "$memory" ] && memory=$per
    echo "$store $per instructions per request ($(awk -v a="$per" -v b="$memory" 'BEGIN { printf "%.2f", a / b }')x memory)"
done
