#!/usr/bin/env bash
# The README's demo end to end (about a minute): the trained demo model must
# translate at least 90% of the held-out test numbers exactly right.
# Skipped when S2S_SKIP_SLOW=1 (the sanitizer run, where it takes ten times longer).
set -u
if [ "${S2S_SKIP_SLOW:-0}" = 1 ]; then echo "cli_demo: skipped (S2S_SKIP_SLOW=1)"; exit 0; fi
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
S2S_DEMO_OUT=$tmp bash "$root/scripts/demo.sh" -q > "$tmp/demo.out" 2>&1 || { cat "$tmp/demo.out"; echo "cli_demo: demo.sh failed"; exit 1; }
cat "$tmp/demo.out"
[ "$(wc -l < "$tmp/test.hyp")" -eq "$(wc -l < "$root/data/demo/test.de")" ] || { echo "cli_demo: line count differs"; exit 1; }
right=$(paste -d'\t' "$tmp/test.hyp" "$root/data/demo/test.de" | awk -F'\t' '$1 == $2' | wc -l)
total=$(wc -l < "$root/data/demo/test.de")
echo "cli_demo: $right / $total exactly right"
[ $((right * 100)) -ge $((total * 90)) ] || { echo "cli_demo: accuracy below 90%"; exit 1; }
