#!/usr/bin/env bash
# Trains the demo task (data/demo) with every architecture x cell under the
# demo's settings and prints one table row each: validation perplexity,
# held-out exact matches, BLEU, training time. Usage:
#   bash scripts/compare-cells.sh [OUTDIR] [extra s2s train options...]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib-opts.sh # merge_opts: the caller's options replace the script's
out=${1:-runs/compare}; shift || true
mkdir -p "$out"
make -j2 s2s > /dev/null
d=data/demo
printf '| arch | cell | valid ppl | test exact | test BLEU | train s |\n|---|---|---|---|---|---|\n'
for arch in seq2seq encdec; do
    for cell in lstm gru rnn; do
        m="$out/$arch-$cell"
        start=$(date +%s)
        mapfile -d '' opts < <(merge_opts --model "$m.s2s" --log "$m.jsonl" --arch $arch --cell $cell \
            --embed 128 --hidden 128 --layers 2 --batch 16 --epochs 7 --optim sgd --lr 8 --clip 1 --decay-start 5 \
            --dropout 0 --seed 1 --overwrite -q -- "$@") # the caller's options replace these
        ./s2s train --src $d/train.en --tgt $d/train.de --valid-src $d/valid.en --valid-tgt $d/valid.de \
            "${opts[@]}" 2> "$m.err" || { echo "| $arch | $cell | failed: $(tail -1 "$m.err") |"; continue; }
        secs=$(( $(date +%s) - start ))
        ./s2s translate -m "$m.s2s" -q < $d/test.en > "$m.hyp"
        ppl=$(grep -o '"valid_ppl":[0-9.e+-]*' "$m.jsonl" | tail -1 | cut -d: -f2)
        exact=$(paste -d'\t' "$m.hyp" $d/test.de | awk -F'\t' '$1 == $2' | wc -l)
        bleu=$(./s2s bleu $d/test.de -i "$m.hyp" -b)
        printf '| %s | %s | %.3f | %d/500 | %s | %d |\n' $arch $cell "$ppl" "$exact" "$bleu" "$secs"
    done
done
