#!/usr/bin/env bash
# Load on `s2s serve`: starts it on a free loopback port with MODEL, runs C
# concurrent clients (C = 1, 4, 16, 64; scripts/serve-load.py, 127.0.0.1
# only, a bounded number of requests each round) sending one-sentence
# requests from SRC, and prints requests/s, sentences/s and p50/p90/p99
# latency, against `s2s translate`'s batched throughput on the same
# sentences, model, beam and threads in the same run. Run it on an idle
# machine; the server stops (SIGTERM) at the end. Options after -- go to
# both translate and serve (e.g. -- --shortlist lex.s2t 100 100 --precision int8).
#   [S2S=build-dnnl/s2s] bash scripts/bench-serve.sh MODEL [SRC] [--beam K] [--requests N] [-- OPTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: bench-serve.sh MODEL [SRC] [--beam K] [--requests N]}; shift
src=../shared/data/multi30k/test2016.de
[ $# -gt 0 ] && [ "${1#-}" = "$1" ] && { src=$1; shift; }
beam=5 requests=1000 extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --beam) beam=$2; shift 2 ;;
        --requests) requests=$2; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) echo "bench-serve.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
s2s=${S2S:-./s2s} # S2S=build-dnnl/s2s: the oneDNN build (make BLAS=dnnl BIN=build-dnnl/s2s)
[ "$s2s" != ./s2s ] || make -j2 s2s > /dev/null
out=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -TERM $pid 2> /dev/null; rm -rf "$out"' EXIT
head -"$requests" "$src" > "$out/src"
n=$(wc -l < "$out/src")
threads=$(nproc)

echo "# s2s serve under load, $(date -u +%Y-%m-%d), $(lscpu | sed -n 's/^Model name: *//p' | head -1), $threads threads"
echo
echo "Model $model ${extra[*]}, beam $beam, $n one-sentence requests a round (lines of $src)."
echo
s=$(date +%s.%N)
"$s2s" translate -m "$model" "${extra[@]}" --beam "$beam" --batch 32 --threads "$threads" -q < "$out/src" > /dev/null
e=$(date +%s.%N)
ls=$(date +%s.%N)
"$s2s" translate -m "$model" "${extra[@]}" -q < /dev/null > /dev/null
le=$(date +%s.%N)
batched=$(awk -v a="$s" -v b="$e" -v c="$ls" -v d="$le" -v n="$n" 'BEGIN { printf "%.1f", n / ((b - a) - (d - c)) }')
echo "- \`s2s translate --batch 32 --threads $threads\` on the same lines, its loading (an empty input's run) subtracted: $batched sentences/s"
echo

"$s2s" serve -m "$model" "${extra[@]}" --port 0 --beam "$beam" --batch 32 --threads "$threads" -q 2> "$out/log" &
pid=$!
for _ in $(seq 600); do grep -q "listening on" "$out/log" && break; sleep 0.1; done
port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$out/log")
[ -n "$port" ] || { echo "the server did not start: $(cat "$out/log")"; exit 1; }
python3 scripts/serve-load.py "$port" "$out/src" 1 20 > /dev/null # warm-up

echo "| clients | requests/s | sentences/s | of translate's batched | p50 ms | p90 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|---|"
for c in 1 4 16 64; do
    read -r rps sps p50 p90 p99 errs < <(python3 scripts/serve-load.py "$port" "$out/src" "$c" "$n")
    frac=$(awk -v a="$sps" -v b="$batched" 'BEGIN { printf "%.0f%%", 100 * a / b }')
    echo "| $c | $rps | $sps | $frac | $p50 | $p90 | $p99 | $errs |"
done
kill -TERM "$pid"
wait "$pid"
pid=
