#!/usr/bin/env bash
# Performance on this machine, as one Markdown report: the machine (CPU,
# BLAS and its kernel, the measured fp32 FMA peak), cblas_sgemm on a large
# square and on the model's own GEMM shapes, training throughput of
# configurations S, M and L on Multi30k (1 and 2 threads) with the useful
# FLOP/s and their fraction of the peak, and decoding speed of test2016.
# Run it on an otherwise idle machine (a benchmark shares the cores with
# nothing else). Takes about 6 minutes.
#   bash scripts/bench.sh [MULTI30K_DIR] [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/multi30k secs=40
[ $# -gt 0 ] && [ "${1#-}" = "$1" ] && { data=$1; shift; }
[ "${1:-}" = --seconds ] && secs=$2
bash scripts/install-deps.sh time
make -j2 s2s bench > /dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "# s2s performance, $(date -u +%Y-%m-%d)"
echo
echo "## Machine"
echo
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
blas=$(build/bench/gemm_bench 1 8 8 8 | sed -n 's/^# //p')
read -r _ peak1 < <(build/bench/fma_peak 2 | sed -n '2p')
read -r _ peak2 < <(build/bench/fma_peak 2 | sed -n '3p')
echo "- CPU: $cpu, $(nproc) threads"
echo "- BLAS: $blas"
echo "- fp32 FMA peak (register-only FMA loop): $peak1 GFLOP/s on 1 thread, $peak2 on 2"
echo
echo "## cblas_sgemm (GFLOP/s, best of 3)"
echo
shapes=(2048 2048 2048 0 0   64 1024 256 0 1   64 256 1024 0 0   1024 256 64 1 0   2048 1024 256 0 1
        2048 8000 256 0 1    64 2048 512 0 1   64 512 2048 0 0   2048 8000 512 0 1  320 1024 256 0 1)
names=("square 2048^3" "H256 recurrent fwd h[64,256] Wh^T" "H256 bwd dh dG[64,1024] Wh" "H256 bwd dWh dG^T h"
       "H256 input proj. of all steps [2048,256]" "H256 output layer [2048,256] x [256,8000]"
       "H512 recurrent fwd" "H512 bwd dh" "H512 output layer [2048,512] x [512,8000]"
       "decode 64 sentences x beam 5, H256")
build/bench/gemm_bench 1 "${shapes[@]}" | grep -v '^#' | awk '{print $6}' > "$out/g1"
build/bench/gemm_bench 2 "${shapes[@]}" | grep -v '^#' | awk '{print $6}' > "$out/g2"
echo "| shape (M x N x K) | 1 thread | 2 threads |"
echo "|---|---|---|"
for i in "${!names[@]}"; do
    echo "| ${names[$i]} (${shapes[$((i * 5))]} x ${shapes[$((i * 5 + 1))]} x ${shapes[$((i * 5 + 2))]}) | $(sed -n "$((i + 1))p" "$out/g1") | $(sed -n "$((i + 1))p" "$out/g2") |"
done

# ---- training ----
# FLOPs per target token (forward + backward = 3 x forward GEMMs, encoder tokens counted):
#   3 * [ (Nsrc/Ntgt) * S_L + S_L + 2 * H * V ],  S_L = sum over layers of 8 * H * (E_l + H)
# (the LSTM's 4 gates x 2 FLOPs per multiply-add, input and recurrent products).
flops_per_token() { # E H L V ratio
    awk -v E="$1" -v H="$2" -v L="$3" -v V="$4" -v r="$5" 'BEGIN {
        s = 8 * H * (E + H); for (l = 1; l < L; l++) s += 8 * H * (H + H);
        printf "%.0f", 3 * (r * s + s + 2 * H * V) }'
}
train_run() { # name E H L B threads seconds
    local log="$out/$1-$6.jsonl"
    /usr/bin/time -f %M -o "$out/rss" ./s2s train --src "$data/train.de" --tgt "$data/train.en" \
        --tokenizer none --src-vocab 8000 --tgt-vocab 8000 --embed "$2" --hidden "$3" --layers "$4" \
        --batch "$5" --threads "$6" --time-limit "$7" --report-every 5 --dropout 0 \
        --optim adam --lr 0.002 --overwrite \
        --model "$out/$1.s2s" --log "$log" -q
    # steady state: the reports after the first (warm-up)
    awk -F'[:,}]' 'NR > 1 { for (i = 1; i < NF; i++) { if ($i ~ /"tgt_tokens_per_s"/) t += $(i+1);
        if ($i ~ /"src_tokens_per_s"/) s += $(i+1); if ($i ~ /"pad_frac"/) p += $(i+1) } n++ }
        END { if (n) printf "%.0f %.0f %.3f\n", t / n, s / n, p / n; else print "0 0 0" }' \
        <(grep -v valid "$log") > "$out/tp"
    read -r tgt src pad < "$out/tp"
    local ratio fpt gflops peak
    ratio=$(awk -v s="$src" -v t="$tgt" 'BEGIN { printf "%.3f", t ? s / t : 0 }')
    fpt=$(flops_per_token "$2" "$3" "$4" 8000 "$ratio")
    gflops=$(awk -v t="$tgt" -v f="$fpt" 'BEGIN { printf "%.1f", t * f / 1e9 }')
    peak=$([ "$6" = 1 ] && echo "$peak1" || echo "$peak2")
    echo "| $1 (E=H=$3, L=$4, B=$5) | $6 | $tgt | $src | $gflops | $(awk -v g="$gflops" -v p="$peak" 'BEGIN { printf "%.0f%%", 100 * g / p }') | $pad | $(( $(cat "$out/rss") / 1024 )) MB |"
}
echo
echo "## Training on Multi30k de-en (8k word vocabularies, steady state after ${secs} s runs)"
echo
echo "| config | threads | target tok/s | source tok/s | useful GFLOP/s | of FMA peak | padding | peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
for th in 1 2; do
    train_run S 256 256 2 64 $th "$secs"
    train_run M 512 512 2 64 $th "$secs"
    train_run L 1000 1000 4 128 $th $((secs * 3 / 2))
done

# ---- decoding ----
echo
echo "## Decoding test2016 (1,000 sentences) with the S model after its 2-thread run"
echo
echo "| mode | sentences/s | target tok/s | peak RSS |"
echo "|---|---|---|---|"
for mode in "greedy, batches of 64:--beam 1 --batch 64" "beam 5, batches of 32:--beam 5 --batch 32" \
            "greedy, one sentence at a time:--beam 1 --batch 1" \
            "beam 5, one sentence at a time:--beam 5 --batch 1"; do
    name=${mode%%:*} opts=${mode#*:}
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    /usr/bin/time -f %M -o "$out/rss" ./s2s translate -m "$out/S.s2s" $opts --threads 2 -q \
        < "$data/test2016.de" > "$out/hyp"
    end=$(date +%s.%N)
    toks=$(wc -w < "$out/hyp")
    awk -v a="$start" -v b="$end" -v n=1000 -v t="$toks" -v r="$(cat "$out/rss")" -v m="$name" \
        'BEGIN { printf "| %s | %.0f | %.0f | %d MB |\n", m, n / (b - a), (t + n) / (b - a), r / 1024 }'
done

# ---- latency: one 15-word sentence at a time, one thread ----
awk 'NF == 15' "$data/test2016.de" | head -1 > "$out/one"
for _ in $(seq 200); do cat "$out/one"; done > "$out/one200"
start=$(date +%s.%N)
./s2s translate -m "$out/S.s2s" --beam 1 --batch 1 --threads 1 -q < "$out/one200" > /dev/null
end=$(date +%s.%N)
echo
awk -v a="$start" -v b="$end" 'BEGIN { printf "Latency of one 15-word sentence (greedy, 1 thread, mean of 200, model loading included): %.2f ms\n", 1000 * (b - a) / 200 }'

