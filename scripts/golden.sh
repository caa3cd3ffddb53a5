#!/usr/bin/env bash
# Byte-for-byte evidence for a refactor: trains the nine architecture x cell
# combinations on a slice of the demo corpus (fixed seed, with dropout, one
# and two threads), and writes into OUTDIR their parameter checksums, and
# the translations (greedy, beam, n-best with scores, sampling) and scores
# of those models and of the s2s 0.1 fixture model. Run it before and after
# moving code and compare: `diff -r BEFORE AFTER` must print nothing.
#   bash scripts/golden.sh OUTDIR [S2S]
set -euo pipefail
out=${1:?usage: golden.sh OUTDIR [S2S]}
root=$(cd "$(dirname "$0")/.." && pwd)
s2s=$(cd "$(dirname "${2:-$root/s2s}")" && pwd)/$(basename "${2:-$root/s2s}")
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
d=$root/data/demo
head -1000 "$d/train.en" > "$work/s.en"; head -1000 "$d/train.de" > "$work/s.de"
head -60 "$d/valid.en" > "$work/v.en"; head -60 "$d/valid.de" > "$work/v.de"
head -80 "$d/test.en" > "$work/t.en"; head -80 "$d/test.de" > "$work/t.de"
params() { "$s2s" info --json "$1" | grep -o '"params_fnv1a64":[[:space:]]*"[0-9a-f]*"'; }
outputs() { # outputs MODEL NAME: every decoding mode and the scores
    local m=$1 n=$2
    "$s2s" translate -m "$m" -q --beam 1 < "$work/t.en" > "$out/$n.greedy"
    "$s2s" translate -m "$m" -q --beam 5 --scores < "$work/t.en" > "$out/$n.beam5"
    "$s2s" translate -m "$m" -q --beam 4 --nbest 3 --batch 7 --threads 2 < "$work/t.en" > "$out/$n.nbest"
    "$s2s" translate -m "$m" -q --sample --seed 3 --temperature 0.8 < "$work/t.en" > "$out/$n.sample"
    "$s2s" score -m "$m" -q --src "$work/t.en" --tgt "$work/t.de" --summary > "$out/$n.score"
}
for arch in seq2seq encdec attention; do
    for cell in lstm gru rnn; do
        for th in 1 2; do
            n=$arch-$cell-t$th
            "$s2s" train --src "$work/s.en" --tgt "$work/s.de" --valid-src "$work/v.en" --valid-tgt "$work/v.de" \
                --arch $arch --cell $cell --embed 24 --hidden 32 --layers 2 --batch 16 --max-steps 120 \
                --valid-every 60 --valid-bleu --dropout 0.2 --seed 11 --threads $th --tokenizer bpe --bpe-merges 200 \
                --model "$work/$n.s2s" --log "$work/$n.jsonl" -q --overwrite
            params "$work/$n.s2s" > "$out/$n.params"
            grep -o '"valid_\(ppl\|bleu\)":[0-9.e+-]*' "$work/$n.jsonl" > "$out/$n.valid"
            grep -o '"loss":[0-9.e+-]*' "$work/$n.jsonl" > "$out/$n.loss"
        done
        outputs "$work/$arch-$cell-t2.s2s" $arch-$cell
    done
done
outputs "$root/tests/fixtures/model-v0.1-word.s2s" fixture
echo "golden: $(ls "$out" | wc -l) files in $out"
