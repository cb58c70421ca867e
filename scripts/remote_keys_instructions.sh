#!/usr/bin/env bash
# Instructions per validation, counted by callgrind: the same figure run after
# run. For each case and variant of benches/remote_keys.rs, the bench binary
# runs 0 and N validations; the difference divided by N is one validation.
#
#   scripts/remote_keys_instructions.sh        # N=1000
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-1000}"
cargo bench --all-features --bench remote_keys --no-run --quiet 2>/dev/null
BIN=$(ls -t target/release/deps/remote_keys-* | grep -v '\.d$' | head -1)

count() {
    local out
    out=$(mktemp)
    REMOTE_KEYS_COUNT="$1 $2 $3" valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$BIN" >/dev/null 2>&1
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
    rm -f "$out"
}

for case in es256 rs256; do
    for variant in static_key remote_key_set remote_bad_signature remote_unknown_kid; do
        zero=$(count "$case" "$variant" 0)
        many=$(count "$case" "$variant" "$N")
        echo "$case $variant $(( (many - zero) / N )) instructions per validation"
    done
done
