#!/usr/bin/env bash
# Training throughput of the attention architecture against seq2seq at the
# recipe's size (E256, H512, 2 layers, batch 64, Adam) on Multi30k de-en,
# one run after the other on an otherwise idle machine, and decoding speed
# of test2016 with each. Prints a Markdown table. A second s2s binary (say
# a build of an earlier commit) may be given to compare it on attention.
#   bash scripts/bench-attention.sh [MULTI30K_DIR] [--seconds N] [--other S2S]
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/multi30k secs=40 other=""
[ $# -gt 0 ] && [ "${1#-}" = "$1" ] && { data=$1; shift; }
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) secs=$2; shift 2 ;;
        --other) other=$2; shift 2 ;;
        *) echo "bench-attention.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
make -j2 s2s > /dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# steady-state target tokens/s: the mean of the progress lines after the first
tps() { grep -v valid "$1" | grep -o '"tgt_tokens_per_s":[0-9.]*' | cut -d: -f2 |
        awk 'NR > 1 { s += $1; n++ } END { printf "%.0f", n ? s / n : 0 }'; }
run() { # run NAME S2S ARCH [LABEL]
    "$2" train --src "$data/train.de" --tgt "$data/train.en" --tokenizer none --src-vocab 8000 \
        --tgt-vocab 8000 --arch "$3" --embed 256 --hidden 512 --layers 2 --batch 64 --threads 2 \
        --time-limit "$secs" --report-every 5 --dropout 0 --model "$out/$1.s2s" --log "$out/$1.jsonl" \
        --overwrite -q
    local start end
    start=$(date +%s.%N)
    "$2" translate -m "$out/$1.s2s" --beam 5 --threads 2 -q < "$data/test2016.de" > "$out/$1.hyp"
    end=$(date +%s.%N)
    echo "| ${4:-$1} | $(tps "$out/$1.jsonl") | $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", 1000 / (b - a) }') |"
}
echo "# Attention against seq2seq, $(date -u +%Y-%m-%d) (${secs} s of training each, 2 threads)"
echo
echo "| model | training target tok/s | test2016 beam 5 sentences/s |"
echo "|---|---|---|"
run seq2seq ./s2s seq2seq
run attention ./s2s attention
[ -z "$other" ] || run other "$other" attention "attention ($other)"
