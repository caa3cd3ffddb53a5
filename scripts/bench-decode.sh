#!/usr/bin/env bash
# Decoding speed by precision, as one Markdown report: for the S model
# (seq2seq, E=H=256, 2 LSTM layers) and the recipe's attention model
# (E256, H512, 2 layers), each trained here on Multi30k de-en for
# --train-seconds unless given, and each of fp32, bf16 and int8 in one
# run: one-sentence greedy latency (warm process, 1 thread, a 15-word
# sentence 200 and 1,000 times: (1000 - 200) / 800), greedy batch-64 and beam-5
# batch-32 sentences/s on 2 threads over test2016, the time to load and
# quantize, peak RSS, test2016 BLEU of the beam-5 output, and the floor: the
# decoder weights one step reads over this machine's read bandwidth for a
# buffer of that size. Run it on an otherwise idle machine.
#   bash scripts/bench-decode.sh [--s MODEL] [--att MODEL] [--train-seconds N] [MULTI30K_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/multi30k secs=600 s_model="" a_model=""
while [ $# -gt 0 ]; do
    case $1 in
    --s) s_model=$2; shift 2 ;;
    --att) a_model=$2; shift 2 ;;
    --train-seconds) secs=$2; shift 2 ;;
    *) data=$1; shift ;;
    esac
done
make -j2 s2s build/bench/read_bw > /dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
train() { # name options...: trains $out/name.s2s for $secs seconds on 2 threads
    local n=$1; shift
    ./s2s train --src "$data/train.de" --tgt "$data/train.en" --valid-src "$data/val.de" \
        --valid-tgt "$data/val.en" --tokenizer word --src-vocab 8000 --tgt-vocab 8000 \
        --time-limit "$secs" --threads 2 --model "$out/$n.s2s" -q "$@"
    echo "$out/$n.s2s"
}
[ -n "$s_model" ] || s_model=$(train S --embed 256 --hidden 256 --layers 2 --batch 64)
[ -n "$a_model" ] || a_model=$(train A --arch attention --embed 256 --hidden 512 --layers 2 \
    --batch 32 --dropout 0.3 --label-smoothing 0.1)
# translation models (no optimizer state), as users decode with
./s2s average -o "$out/S-t.s2s" "$s_model" 2> /dev/null && s_model=$out/S-t.s2s
./s2s average -o "$out/A-t.s2s" "$a_model" 2> /dev/null && a_model=$out/A-t.s2s

awk 'NF == 15' "$data/test2016.de" | head -1 > "$out/one"
for _ in $(seq 200); do cat "$out/one"; done > "$out/one200"
for _ in 1 2 3 4 5; do cat "$out/one200"; done > "$out/one1000"
secs_of() { # seconds the command takes
    local s e
    s=$(date +%s.%N)
    "$@" > "$out/hyp"
    e=$(date +%s.%N)
    awk -v a="$s" -v b="$e" 'BEGIN { print b - a }'
}
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "# Decoding by precision, $(date -u +%Y-%m-%d)"
echo
echo "$cpu, $(nproc) threads; OpenBLAS for fp32 (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})."
echo
echo "| model | precision | kernel | decoder weights | made in | latency, 1 sentence | floor | greedy b64 sent/s | beam 5 b32 sent/s | load | peak RSS | BLEU |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for mm in "S:$s_model" "attention:$a_model"; do
    name=${mm%%:*} model=${mm#*:}
    for p in fp32 bf16 int8; do
        banner=$(./s2s translate -m "$model" --precision $p < "$out/one" 2>&1 > "$out/one.hyp" | grep "decoding in")
        kernel=$(sed -n 's/.*(\(.*\)): decoder.*/\1/p' <<< "$banner")
        mb=$(sed -n 's/.*weights \([0-9.]*\) MB.*/\1/p' <<< "$banner")
        made=$(sed -n 's/.*made in \([0-9]*\) ms.*/\1/p' <<< "$banner")
        steps=$(( $(wc -w < "$out/one.hyp") + 1 ))
        bw=$(build/bench/read_bw "$mb" 20 2> /dev/null | awk '{ print $2 }')
        floor=$(awk -v m="$mb" -v b="$bw" -v n="$steps" 'BEGIN { printf "%.2f ms (%d steps at %s GB/s)", n * m * 1048576 / (b * 1e9) * 1000, n, b }')
        t2=$(secs_of ./s2s translate -m "$model" --precision $p --beam 1 --batch 1 --threads 1 -q < "$out/one200")
        t4=$(secs_of ./s2s translate -m "$model" --precision $p --beam 1 --batch 1 --threads 1 -q < "$out/one1000")
        lat=$(awk -v a="$t2" -v b="$t4" 'BEGIN { printf "%.2f ms", 1000 * (b - a) / 800 }')
        load=$(secs_of ./s2s translate -m "$model" --precision $p -q < /dev/null)
        g=$(secs_of ./s2s translate -m "$model" --precision $p --beam 1 --batch 64 --threads 2 -q < "$data/test2016.de")
        b=$(secs_of /usr/bin/time -f %M -o "$out/rss" ./s2s translate -m "$model" --precision $p --beam 5 --batch 32 --threads 2 -q < "$data/test2016.de")
        cp "$out/hyp" "$out/beam.$name.$p"
        bleu=$(./s2s bleu "$data/test2016.en" -i "$out/beam.$name.$p" -b)
        n=$(wc -l < "$data/test2016.de")
        awk -v nm="$name" -v p=$p -v k="$kernel" -v mb="$mb" -v made="$made" -v lat="$lat" -v fl="$floor" \
            -v g="$g" -v b="$b" -v n="$n" -v ld="$load" -v rss="$(cat "$out/rss")" -v bleu="$bleu" \
            'BEGIN { printf "| %s | %s | %s | %s MB | %s ms | %s | %s | %.0f | %.0f | %.2f s | %d MB | %s |\n",
                     nm, p, k, mb, made, lat, fl, n / g, n / b, ld, rss / 1024, bleu }'
    done
done
