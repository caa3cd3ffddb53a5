#!/usr/bin/env bash
# Performance on this machine, as one Markdown report, both BLAS backends
# side by side in one run (OpenBLAS, the default build, and oneDNN, `make
# BLAS=dnnl`): the machine (CPU, the kernel OpenBLAS runs and why, the
# measured fp32 FMA peak with AVX-512 and AVX2 loops), the GEMM on a large
# square and on the model's own shapes (plus one labelled column: OpenBLAS
# with OPENBLAS_CORETYPE unset, in that command alone), training throughput
# of configurations S, M and L on Multi30k with the useful FLOP/s and their
# fraction of the peak, the PyTorch peer (../shared/peers/torch_s2s.py) in
# the same run when python3-torch is installed, and decoding speed of
# test2016. Run it on an otherwise idle machine. About 12 minutes.
#   bash scripts/bench.sh [MULTI30K_DIR] [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/multi30k secs=40
[ $# -gt 0 ] && [ "${1#-}" = "$1" ] && { data=$1; shift; }
[ "${1:-}" = --seconds ] && secs=$2
bash scripts/install-deps.sh time --dnnl
make -j2 s2s bench > /dev/null
make -j2 BLAS=dnnl BIN=build-dnnl/s2s build-dnnl/s2s bench > /dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
backends=(OpenBLAS oneDNN)
bin_of() { [ "$1" = OpenBLAS ] && echo ./s2s || echo build-dnnl/s2s; }
gemm_of() { [ "$1" = OpenBLAS ] && echo build/bench/gemm_bench || echo build-dnnl/bench/gemm_bench; }
peer=../shared/peers/torch_s2s.py

echo "# s2s performance, $(date -u +%Y-%m-%d)"
echo
echo "## Machine"
echo
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
ob=$(build/bench/gemm_bench 1 8 8 8 | sed -n 's/^# //p')
ob_auto=$(env -u OPENBLAS_CORETYPE build/bench/gemm_bench 1 8 8 8 | sed -n 's/^# //p')
dn=$(build-dnnl/bench/gemm_bench 1 8 8 8 | sed -n 's/^# //p')
read -r _ peak1 < <(build/bench/fma_peak 2 | sed -n '2p')
read -r _ peak2 < <(build/bench/fma_peak 2 | sed -n '3p')
read -r _ avx1 < <(build/bench/fma_peak_avx2 2 | sed -n '2p')
read -r _ avx2 < <(build/bench/fma_peak_avx2 2 | sed -n '3p')
echo "- CPU: $cpu, $(nproc) threads"
echo "- OpenBLAS: $ob"
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    echo "  (its kernel is the one OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE names, set in this environment;"
    echo "  with the variable unset it picks: ${ob_auto##* NO_AFFINITY })"
else
    echo "  (OPENBLAS_CORETYPE unset: the kernel OpenBLAS detected for this CPU)"
fi
echo "- oneDNN: $dn"
echo "- fp32 FMA peak (register-only FMA loop, \`tests/bench/fma_peak.c\`): AVX-512 $peak1 GFLOP/s on 1 thread, $peak2 on 2; AVX2 $avx1 and $avx2"
echo

# ---- GEMM ----
shapes=(2048 2048 2048 0 0   64 1024 256 0 1   64 256 1024 0 0   1024 256 64 1 0   2048 1024 256 0 1
        2048 8000 256 0 1    64 2048 512 0 1   64 512 2048 0 0   2048 8000 512 0 1  320 1024 256 0 1
        5 1024 256 0 1       1 1024 256 0 1    1 8000 256 0 1)
names=("square 2048^3" "H256 recurrent fwd h[64,256] Wh^T" "H256 bwd dh dG[64,1024] Wh" "H256 bwd dWh dG^T h"
       "H256 input proj. of all steps [2048,256]" "H256 output layer [2048,256] x [256,8000]"
       "H512 recurrent fwd" "H512 bwd dh" "H512 output layer [2048,512] x [512,8000]"
       "decode 64 sentences x beam 5, H256" "one sentence, beam 5, H256 recurrent"
       "one sentence, greedy, H256 recurrent" "one sentence, greedy, output layer")
for b in "${backends[@]}"; do
    for th in 1 2; do
        "$(gemm_of "$b")" $th "${shapes[@]}" | grep -v '^#' | awk '{print $6}' > "$out/g-$b-$th"
    done
done
env -u OPENBLAS_CORETYPE build/bench/gemm_bench 1 "${shapes[@]}" | grep -v '^#' | awk '{print $6}' > "$out/g-auto"
echo "## GEMM through blas_gemm (GFLOP/s, best of 3)"
echo
echo "| shape (M x N x K) | OpenBLAS 1 thread | OpenBLAS 2 threads | oneDNN 1 thread | oneDNN 2 threads | OpenBLAS, OPENBLAS_CORETYPE unset, 1 thread |"
echo "|---|---|---|---|---|---|"
for i in "${!names[@]}"; do
    row="| ${names[$i]} (${shapes[$((i * 5))]} x ${shapes[$((i * 5 + 1))]} x ${shapes[$((i * 5 + 2))]})"
    for f in OpenBLAS-1 OpenBLAS-2 oneDNN-1 oneDNN-2; do row="$row | $(sed -n "$((i + 1))p" "$out/g-$f")"; done
    echo "$row | $(sed -n "$((i + 1))p" "$out/g-auto") |"
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
train_run() { # backend name E H L B threads seconds [extra options]
    local log="$out/$2-$1-$7${9:+-x}.jsonl" model="$out/$2-$1${9:+-x}.s2s"
    /usr/bin/time -f %M -o "$out/rss" "$(bin_of "$1")" train --src "$data/train.de" \
        --tgt "$data/train.en" --tokenizer none --src-vocab 8000 --tgt-vocab 8000 --embed "$3" \
        --hidden "$4" --layers "$5" --batch "$6" --threads "$7" --time-limit "$8" --report-every 5 \
        --dropout 0 --optim adam --lr 0.002 --overwrite --model "$model" --log "$log" \
        ${9:-} 2> "$out/train.err"
    # steady state: the reports after the first (warm-up)
    awk -F'[:,}]' 'NR > 1 { for (i = 1; i < NF; i++) { if ($i ~ /"tgt_tokens_per_s"/) t += $(i+1);
        if ($i ~ /"src_tokens_per_s"/) s += $(i+1); if ($i ~ /"pad_frac"/) p += $(i+1) } n++ }
        END { if (n) printf "%.0f %.0f %.3f\n", t / n, s / n, p / n; else print "0 0 0" }' \
        <(grep -v valid "$log") > "$out/tp"
    read -r tgt src pad < "$out/tp"
    local ratio fpt gflops peak
    ratio=$(awk -v s="$src" -v t="$tgt" 'BEGIN { printf "%.3f", t ? s / t : 0 }')
    fpt=$(flops_per_token "$3" "$4" "$5" 8000 "$ratio")
    gflops=$(awk -v t="$tgt" -v f="$fpt" 'BEGIN { printf "%.1f", t * f / 1e9 }')
    peak=$([ "$7" = 1 ] && echo "$peak1" || echo "$peak2")
    echo "| $2 (E=H=$4, L=$5, ${9:-B=$6}) | $1 | $7 | $tgt | $src | $gflops | $(awk -v g="$gflops" -v p="$peak" 'BEGIN { printf "%.0f%%", 100 * g / p }') | $pad | $(( $(cat "$out/rss") / 1024 )) MB | $(rss_vs_accounted "$out/train.err" "$out/rss") |"
}
rss_vs_accounted() { # train.err rss: the trainer's own account (its banner) and peak RSS / it
    awk -v r="$(cat "$2")" '/s2s train: memory:/ { m = $(NF - 1) + 0 }
        END { if (m) printf "%d MB, x%.2f", m, r / 1024 / m; else print "?" }' "$1"
}
peer_run() { # name E H L: the PyTorch peer, 2 threads, its steady-state target tokens/s
    /usr/bin/python3 "$peer" --data "$data" --src de --tgt en --emb "$2" --hidden "$3" \
        --layers "$4" --batch 64 --warmup 10 --seconds "$secs" --threads 2 --omp-threads 1 2>&1 |
        sed -n 's/.*RESULT train_tgt_tok_per_s \([0-9.]*\).*/\1/p' | tail -1
}
echo
echo "## Training on Multi30k de-en (8k word vocabularies, Adam, steady state after ${secs} s runs)"
echo
echo "| config | BLAS | threads | target tok/s | source tok/s | useful GFLOP/s | of the AVX-512 FMA peak | padding | peak RSS | parameters + gradients + Adam + activations + data (the banner's account), RSS / it |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for th in 1 2; do
    for b in "${backends[@]}"; do
        train_run "$b" S 256 256 2 64 $th "$secs"
        train_run "$b" M 512 512 2 64 $th "$secs"
        [ $th = 2 ] && train_run "$b" S 256 256 2 64 $th "$secs" "--batch-words 2000"
        [ $th = 2 ] && train_run "$b" L 1000 1000 4 128 $th $((secs * 3 / 2))
    done
done
if /usr/bin/python3 -c 'import torch' 2> /dev/null && [ -f "$peer" ]; then
    echo
    echo "PyTorch peer in the same run (\`torch_s2s.py\`, plain SGD, 2 threads, target tok/s): S $(peer_run S 256 256 2), M $(peer_run M 512 512 2)"
else
    echo
    echo "(PyTorch peer not run: python3-torch is not installed)"
fi

# ---- decoding ----
echo
echo "## Decoding test2016 (1,000 sentences) with each backend's S model after its 2-thread run"
echo
echo "| mode | BLAS | sentences/s | target tok/s | peak RSS |"
echo "|---|---|---|---|---|"
for mode in "greedy, batches of 64:--beam 1 --batch 64" "beam 5, batches of 32:--beam 5 --batch 32" \
            "greedy, one sentence at a time:--beam 1 --batch 1" \
            "beam 5, one sentence at a time:--beam 5 --batch 1"; do
    name=${mode%%:*} opts=${mode#*:}
    for b in "${backends[@]}"; do
        start=$(date +%s.%N)
        # shellcheck disable=SC2086
        /usr/bin/time -f %M -o "$out/rss" "$(bin_of "$b")" translate -m "$out/S-$b.s2s" $opts \
            --threads 2 -q < "$data/test2016.de" > "$out/hyp"
        end=$(date +%s.%N)
        toks=$(wc -w < "$out/hyp")
        awk -v a="$start" -v b="$end" -v n=1000 -v t="$toks" -v r="$(cat "$out/rss")" -v m="$name" -v k="$b" \
            'BEGIN { printf "| %s | %s | %.0f | %.0f | %d MB |\n", m, k, n / (b - a), (t + n) / (b - a), r / 1024 }'
    done
done

# ---- latency: one 15-word sentence at a time, one thread, in a warm process ----
# (the difference of 400 and 200 sentences, so that loading the model is not counted)
awk 'NF == 15' "$data/test2016.de" | head -1 > "$out/one"
for _ in $(seq 200); do cat "$out/one"; done > "$out/one200"
cat "$out/one200" "$out/one200" > "$out/one400"
echo
secs_of() { # backend file: seconds to translate it, greedy, one sentence at a time, one thread
    local s e
    s=$(date +%s.%N)
    "$(bin_of "$1")" translate -m "$out/S-$1.s2s" --beam 1 --batch 1 --threads 1 -q < "$2" > /dev/null
    e=$(date +%s.%N)
    awk -v a="$s" -v b="$e" 'BEGIN { print b - a }'
}
"$(bin_of OpenBLAS)" translate -m "$out/S-OpenBLAS.s2s" --beam 1 -q < "$out/one" > "$out/one.hyp"
steps=$(( $(wc -w < "$out/one.hyp") + 1 ))
floor_ms() { # backend: the products alone at the GEMM table's 1-thread speeds (rows 12, 13)
    awk -v r="$(sed -n 12p "$out/g-$1-1")" -v o="$(sed -n 13p "$out/g-$1-1")" -v n="$steps" 'BEGIN {
        rec = 2 * 1024 * 256 / (r * 1e9); out = 2 * 8000 * 256 / (o * 1e9)
        printf "%.2f", 1000 * (15 * 4 * rec + n * (4 * rec + out)) }'
}
for b in "${backends[@]}"; do
    t2=$(secs_of "$b" "$out/one200") t4=$(secs_of "$b" "$out/one400")
    echo "- Floor, $b: the matrix-vector products alone at the GEMM table's speeds (encoder 15 x 4 of 1 x 1024 x 256; decoder $steps steps x (4 of those + the 1 x 8000 x 256 output layer), 12 MB of weights a step): $(floor_ms "$b") ms"
    awk -v a="$t2" -v c="$t4" -v k="$b" 'BEGIN { printf "- Latency of one 15-word sentence, %s (greedy, 1 thread, warm process: (400 - 200 sentences) / 200): %.2f ms; with loading the model, over 200: %.2f ms\n", k, 1000 * (c - a) / 200, 1000 * a / 200 }'
done
