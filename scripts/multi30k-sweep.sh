#!/usr/bin/env bash
# Short runs that choose multi30k.sh's settings for an architecture: each
# variant trains for MIN minutes on one thread, two variants side by side (one
# core each, so a pair shares the machine equally), then the final model
# translates the validation set greedily and its BLEU is printed. Variants are
# one change each from the recipe's settings (BPE 10k, E256, H512, 2 layers,
# dropout 0.3, label smoothing 0.1, batch 32; the 2026-12-01 sweep's base was
# batch 64 and is kept as the variant batch64).
#
#   bash scripts/multi30k-sweep.sh [DATA_DIR] [--arch attention] [--time-limit MIN]
#        [--out DIR] [--only NAME,NAME...]
# Prints "name  valid-BLEU  steps  target-tok/s" per variant; everything else is in
# DIR/NAME/ (train.jsonl, last.s2s, valid.hyp).
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/multi30k arch=attention minutes=12 out=runs/sweep only=""
[ $# -gt 0 ] && [ "${1#-}" = "$1" ] && { data=$1; shift; }
while [ $# -gt 0 ]; do
    case $1 in
        --arch) arch=$2; shift 2 ;;
        --time-limit) minutes=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        *) echo "multi30k-sweep.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
make -j2 s2s > /dev/null
mkdir -p "$(dirname "$out")"
. scripts/lib-opts.sh # merge_opts (cwd: the repository)
base=(--bpe-merges 10000 --embed 256 --hidden 512 --layers 2 --batch 32 --dropout 0.3
      --label-smoothing 0.1)
# name: the options that differ from base (they replace base's)
variants=(
    "base:"
    "ls0:--label-smoothing 0"
    "drop0.2:--dropout 0.2"
    "bpe5k:--bpe-merges 5000"
    "bpe20k:--bpe-merges 20000"
    "batch64:--batch 64"
    "batch128:--batch 128"
    "embed512:--embed 512"
    "bidir:--bidirectional"
    "tied:--embed 512 --tied-embeddings"
    "hidden768:--hidden 768"
    "ema:--exponential-smoothing"
    "bpedrop:--bpe-dropout 0.1"
    "warmup:--lr-warmup 800 --lr-decay-inv-sqrt 800"
    "layernorm:--layer-norm"
    "residual3:--residual --layers 3"
    "bidir-ema:--bidirectional --exponential-smoothing"
)
run() { # NAME OPTIONS...
    local name=$1 d=$out/$1; shift
    mkdir -p "$d"
    local -a args # the variant's options replace base's (s2s refuses an option given twice)
    mapfile -d '' args < <(merge_opts "${base[@]}" -- "$@")
    ./s2s train --src "$data/train.de" --tgt "$data/train.en" --model "$d/last.s2s" \
        --log "$d/train.jsonl" --arch "$arch" --optim adam --lr 0.002 --clip 5 --epochs 100 \
        --max-len 60 --threads 1 --time-limit $((minutes * 60)) --overwrite -q "${args[@]}"
    ./s2s translate -m "$d/last.s2s" --threads 1 -q < "$data/val.de" > "$d/valid.hyp"
    ./s2s bleu "$data/val.en" -i "$d/valid.hyp" -b -w 2 > "$d/valid.bleu"
}
todo=()
for v in "${variants[@]}"; do
    name=${v%%:*}
    [ -z "$only" ] || [[ ",$only," == *",$name,"* ]] || continue
    todo+=("$v")
done
for ((i = 0; i < ${#todo[@]}; i += 2)); do
    pids=()
    for v in "${todo[@]:i:2}"; do
        name=${v%%:*} opts=${v#*:}
        # shellcheck disable=SC2086 # opts are words
        run "$name" $opts > "$out-$name.log" 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || echo "multi30k-sweep.sh: a run failed (see $out-*.log)" >&2; done
done
printf '%-10s %10s %7s %8s\n' variant validBLEU steps tok/s
for v in "${todo[@]}"; do
    name=${v%%:*} d=$out/${v%%:*}
    [ -f "$d/valid.bleu" ] || { printf '%-10s %10s\n' "$name" failed; continue; }
    last=$(grep '"step"' "$d/train.jsonl" | tail -1)
    steps=$(sed -n 's/.*"step": *\([0-9]*\).*/\1/p' <<< "$last")
    tps=$(sed -n 's/.*"tgt_tokens_per_s": *\([0-9.]*\).*/\1/p' <<< "$last")
    printf '%-10s %10s %7s %8s\n' "$name" "$(cat "$d/valid.bleu")" "${steps:-?}" "$(printf %.0f "${tps:-0}")"
done
