#!/usr/bin/env bash
# Decoding speed by precision and shortlist, as one Markdown report: for the
# S model (seq2seq, E=H=256, 2 LSTM layers) and the recipe's attention model
# (E256, H512, 2 layers), each trained here on Multi30k de-en for
# --train-seconds unless given, and each of fp32, bf16 and int8 (the latter
# two as `s2s convert` files), without and with a lexical shortlist (`s2s
# shortlist learn` on the training corpus, --shortlist FILE FIRST BEST), in
# one run: one-sentence greedy latency (warm process, 1 thread, a 15-word
# sentence 200 and 1,000 times: (1000 - 200) / 800), greedy batch-64 and
# beam-5 batch-32 sentences/s on 2 threads over test2016 (the load
# subtracted), the load (the whole process for an empty input), peak RSS,
# test2016 BLEU of the beam-5 output, and the floor: the decoder weights one
# step reads over this machine's read bandwidth for a buffer of that size.
# Two labelled fp32 rows decode as s2s did before its weights were
# packed (S2S_CPU=portable: OpenBLAS reads the model's weights, packing
# them in every product), the second with OPENBLAS_CORETYPE unset (this
# machine's own OpenBLAS kernels). Then the shortlist's learning methods by
# BLEU, and `s2s serve` under load against translate (scripts/bench-serve.sh).
# Run it on an otherwise idle machine.
#   bash scripts/bench-decode.sh [--s MODEL] [--att MODEL] [--train-seconds N]
#        [--shortlist FIRST BEST] [MULTI30K_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/multi30k secs=600 s_model="" a_model="" first=100 best=100
while [ $# -gt 0 ]; do
    case $1 in
    --s) s_model=$2; shift 2 ;;
    --att) a_model=$2; shift 2 ;;
    --train-seconds) secs=$2; shift 2 ;;
    --shortlist) first=$2 best=$3; shift 3 ;;
    *) data=$1; shift ;;
    esac
done
make -j2 s2s build/bench/read_bw > /dev/null
out=$(mktemp -d)
trap 'kill $(jobs -p) 2> /dev/null; rm -rf "$out"' EXIT
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
# translation models (no optimizer state), as users decode with; the
# converted ones; the shortlists
for mm in "S:$s_model" "attention:$a_model"; do
    name=${mm%%:*} model=${mm#*:}
    ./s2s convert --precision fp32 -q -o "$out/$name.fp32.s2s" "$model"
    for p in bf16 int8; do ./s2s convert --precision $p -q -o "$out/$name.$p.s2s" "$model"; done
    for l in ibm1 cooc; do
        ./s2s shortlist learn -q -m "$model" --src "$data/train.de" --tgt "$data/train.en" \
            --method $l -o "$out/$name.$l.lex"
    done
done

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
n=$(wc -l < "$data/test2016.de")
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "# Decoding by precision and shortlist, $(date -u +%Y-%m-%d)"
echo
echo "$cpu, $(nproc) threads; OpenBLAS for fp32 (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset});"
echo "shortlist: ibm1, --shortlist FILE $first $best."
echo
echo "| model | precision | shortlist | kernel | decoder weights | file | latency, 1 sentence | floor | greedy b64 sent/s | beam 5 b32 sent/s | load | peak RSS | BLEU |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
# row NAME PRECISION SHORTLIST LABEL [env...]: one line of the table
row() {
    local name=$1 p=$2 sl=$3 label=$4 model=$out/$1.$2.s2s
    shift 4
    local -a o=(-m "$model")
    [ "$sl" = on ] && o+=(--shortlist "$out/$name.ibm1.lex" "$first" "$best")
    local banner kernel mb steps bw floor t2 t4 lat load g b bleu
    banner=$(env "$@" ./s2s translate "${o[@]}" < "$out/one" 2>&1 > "$out/one.hyp" | grep "decoding in")
    kernel=$(sed -n 's/.*(\(.*\)): decoder.*/\1/p' <<< "$banner")
    mb=$(sed -n 's/.*weights \([0-9.]*\) MB.*/\1/p' <<< "$banner")
    steps=$(( $(wc -w < "$out/one.hyp") + 1 ))
    bw=$(build/bench/read_bw "$mb" 20 2> /dev/null | awk '{ print $2 }')
    floor=$(awk -v m="$mb" -v b="$bw" -v n="$steps" 'BEGIN { printf "%.2f ms (%d steps at %s GB/s)", n * m * 1048576 / (b * 1e9) * 1000, n, b }')
    [ "$sl" = on ] && floor="-"
    t2=$(secs_of env "$@" ./s2s translate "${o[@]}" --beam 1 --batch 1 --threads 1 -q < "$out/one200")
    t4=$(secs_of env "$@" ./s2s translate "${o[@]}" --beam 1 --batch 1 --threads 1 -q < "$out/one1000")
    lat=$(awk -v a="$t2" -v b="$t4" 'BEGIN { printf "%.2f ms", 1000 * (b - a) / 800 }')
    load=$(secs_of env "$@" ./s2s translate "${o[@]}" -q < /dev/null)
    g=$(secs_of env "$@" ./s2s translate "${o[@]}" --beam 1 --batch 64 --threads 2 -q < "$data/test2016.de")
    b=$(secs_of env "$@" /usr/bin/time -f %M -o "$out/rss" ./s2s translate "${o[@]}" --beam 5 --batch 32 --threads 2 -q < "$data/test2016.de")
    cp "$out/hyp" "$out/beam.$name.$p.$sl"
    bleu=$(./s2s bleu "$data/test2016.en" -i "$out/beam.$name.$p.$sl" -b)
    awk -v nm="$name" -v p="$label" -v sl="$sl" -v k="$kernel" -v mb="$mb" -v lat="$lat" -v fl="$floor" \
        -v g="$g" -v b="$b" -v n="$n" -v ld="$load" -v rss="$(cat "$out/rss")" -v bleu="$bleu" \
        -v fmb="$(stat -c %s "$model" | awk '{ printf "%.1f MB", $1 / 1048576 }')" \
        'BEGIN { printf "| %s | %s | %s | %s | %s MB | %s | %s | %s | %.0f | %.0f | %.2f s | %d MB | %s |\n",
                 nm, p, sl, k, mb, fmb, lat, fl, n / (g - ld), n / (b - ld), ld, rss / 1024, bleu }'
}
for name in S attention; do
    for p in fp32 bf16 int8; do
        for sl in off on; do row $name $p $sl $p; done
    done
    row $name fp32 off "fp32 through BLAS (as before packing)" S2S_CPU=portable
    row $name fp32 off "fp32 through BLAS, OPENBLAS_CORETYPE unset" -u OPENBLAS_CORETYPE S2S_CPU=portable
done

echo
echo "Shortlist learning methods (attention model, int8, beam 5, test2016 BLEU; FIRST BEST):"
echo
echo "| method | 100 100 | 100 50 | 50 20 |"
echo "|---|---|---|---|"
for l in ibm1 cooc; do
    line="| $l"
    for fb in "100 100" "100 50" "50 20"; do
        set -- $fb
        ./s2s translate -m "$out/attention.int8.s2s" -q --shortlist "$out/attention.$l.lex" "$1" "$2" \
            --threads 2 < "$data/test2016.de" > "$out/m.hyp"
        line="$line | $(./s2s bleu "$data/test2016.en" -i "$out/m.hyp" -b)"
    done
    echo "$line |"
done

echo
echo "s2s serve under load (attention model, int8 + shortlist):"
echo
bash scripts/bench-serve.sh "$out/attention.int8.s2s" "$data/test2016.de" -- \
    --shortlist "$out/attention.ibm1.lex" "$first" "$best" | sed 1,2d
