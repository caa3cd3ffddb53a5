#!/usr/bin/env bash
# The quality options of s2s train: --lr-warmup and --lr-decay-inv-sqrt (a
# resumed run, stopped mid-warm-up, equals the uninterrupted one bit for bit;
# the log shows the ramp), --residual, --layer-norm and --bpe-dropout (bad
# values refused; recorded in the model; old models unchanged).
set -u
. "$(dirname "$0")/lib_cli.sh"
demo=$(cd "$(dirname "$0")/../data/demo" && pwd)
cd "$tmp"

params() { "$S2S" info --json "$1" | grep -o '"params_fnv1a64":[[:space:]]*"[0-9a-f]*"' | grep -o '[0-9a-f]\{16\}'; }

head -300 "$demo/train.en" > s.en; head -300 "$demo/train.de" > s.de
head -40 "$demo/valid.en" > v.en; head -40 "$demo/valid.de" > v.de
small="--embed 16 --hidden 16 --layers 2 --tokenizer word -q --dropout 0.2 --seed 3 --batch 16 --threads 2"
run() { "$S2S" train --src s.en --tgt s.de $small "$@"; }

# ---- the schedule: warm-up then inverse square root ----
expect 2 "--lr-warmup: -1 is out of range" run --lr-warmup -1 --max-steps 1
expect 2 "--lr-decay-inv-sqrt: 'x' is not an integer" run --lr-decay-inv-sqrt x --max-steps 1
sched="--lr-warmup 16 --lr-decay-inv-sqrt 24 --valid-src v.en --valid-tgt v.de --valid-every 5"
run $sched --max-steps 40 --model u.s2s --log u.jsonl --report-every 0 || fail "train with a schedule"
run $sched --max-steps 7 --model r.s2s || fail "train to step 7 (mid-warm-up)"
"$S2S" train --resume r.s2s --max-steps 40 -q || fail "resume from step 7 to 40"
[ -n "$(params u.s2s)" ] && [ "$(params r.s2s)" = "$(params u.s2s)" ] ||
    fail "resumed mid-warm-up: not the uninterrupted run's weights"
"$S2S" info --json r.s2s | grep -q '"lr-warmup":[[:space:]]*16' || fail "the checkpoint lacks --lr-warmup"
# the logged rate: step 8 of 16 is half of 0.002; step 40 is 0.002 sqrt(24/40)
lr_at() { grep "\"step\":$1," u.jsonl | grep -o '"lr":[0-9.e-]*' | head -1 | cut -d: -f2; }
awk -v a="$(lr_at 8)" 'BEGIN { exit !(a > 0.000999 && a < 0.001001) }' || fail "lr at step 8: $(lr_at 8)"
awk -v a="$(lr_at 40)" 'BEGIN { exit !(a > 0.0015491 && a < 0.0015492) }' || fail "lr at step 40: $(lr_at 40)"
run --max-steps 40 --model plain.s2s || fail "train without a schedule"
[ "$(params plain.s2s)" != "$(params u.s2s)" ] || fail "the schedule changed nothing"

# ---- BPE-dropout: P = 0 is today's training; P > 0 reproducible, resumable, training only ----
bpe="--tokenizer bpe --bpe-merges 200"
brun() { "$S2S" train --src s.en --tgt s.de --embed 16 --hidden 16 --layers 1 -q --seed 3 --batch 16 \
    --threads 2 $bpe "$@"; }
expect 2 "--bpe-dropout: 1.5 is out of range" brun --bpe-dropout 1.5 --max-steps 1
expect 1 "--bpe-dropout needs --tokenizer bpe" run --bpe-dropout 0.1 --max-steps 1
expect 1 "--bpe-dropout cannot be combined with --batch-words" brun --bpe-dropout 0.1 --batch-words 100 --max-steps 1
brun --max-steps 45 --model d.s2s || fail "train without BPE-dropout"
brun --max-steps 45 --model d0.s2s --bpe-dropout 0 || fail "train --bpe-dropout 0"
[ -n "$(params d.s2s)" ] && [ "$(params d0.s2s)" = "$(params d.s2s)" ] || fail "--bpe-dropout 0 changed training"
brun --max-steps 45 --model d1.s2s --bpe-dropout 0.1 2> d1.err --log d1.jsonl || fail "train --bpe-dropout 0.1"
brun --max-steps 45 --model d2.s2s --bpe-dropout 0.1 || fail "train --bpe-dropout 0.1 again"
[ "$(params d1.s2s)" = "$(params d2.s2s)" ] || fail "--bpe-dropout 0.1 twice with one seed: two models"
[ "$(params d1.s2s)" != "$(params d.s2s)" ] || fail "--bpe-dropout 0.1 changed nothing"
# 300 pairs in batches of 16: 19 a epoch, so step 25 is inside epoch 2
brun --max-steps 25 --model dr.s2s --bpe-dropout 0.1 || fail "train --bpe-dropout 0.1 to step 25"
"$S2S" train --resume dr.s2s --max-steps 45 -q || fail "resume --bpe-dropout 0.1"
[ "$(params dr.s2s)" = "$(params d1.s2s)" ] || fail "resumed --bpe-dropout run differs from the uninterrupted one"
"$S2S" info --json d1.s2s | grep -q '"bpe-dropout":[[:space:]]*0.1' || fail "the checkpoint lacks --bpe-dropout"
# translation segments deterministically: the same input twice, the same output
head -30 v.en > in.txt; cat in.txt in.txt > in2.txt
"$S2S" translate -m d1.s2s -q < in2.txt > out2.txt || fail "translate with a BPE-dropout model"
[ "$(sed -n 1,30p out2.txt)" = "$(sed -n 31,60p out2.txt)" ] || fail "one input translated two ways"

# ---- --layer-norm: recorded, trains, decodes a batch as one sentence at a time ----
for cell in lstm gru rnn; do
    run --layer-norm --cell $cell --bidirectional --max-steps 40 --model ln-$cell.s2s || fail "train --layer-norm --cell $cell"
    "$S2S" info ln-$cell.s2s | grep -q "(layer-normalised)" || fail "info: ln-$cell.s2s is not layer-normalised"
    "$S2S" info --json ln-$cell.s2s | grep -q '"layer_norm":[[:space:]]*true' || fail "ln-$cell.s2s: no layer_norm"
    for beam in 1 4; do
        "$S2S" translate -m ln-$cell.s2s --beam $beam --batch 16 --threads 1 -q < v.en > b16.txt ||
            fail "translate ln-$cell.s2s --batch 16"
        "$S2S" translate -m ln-$cell.s2s --beam $beam --batch 1 --threads 1 -q < v.en > b1.txt ||
            fail "translate ln-$cell.s2s --batch 1"
        [ "$(wc -l < b16.txt)" = 40 ] && cmp -s b1.txt b16.txt ||
            fail "ln-$cell.s2s beam $beam: --batch 16 differs from one sentence at a time"
    done
done
run --layer-norm --max-steps 40 --model ln-seq.s2s --arch seq2seq || fail "train --layer-norm --arch seq2seq"
run --layer-norm --max-steps 40 --model ln-enc.s2s --arch encdec --cell gru || fail "train --layer-norm --arch encdec"
"$S2S" translate -m ln-seq.s2s -m ln-lstm.s2s -m u.s2s -q < v.en > ens.txt ||
    fail "an ensemble of layer-normalised and plain models"
run --layer-norm --max-steps 10 --model ln-u.s2s || fail "train ln-u.s2s"
"$S2S" average -o avg.s2s u.s2s ln-u.s2s 2> avg.err && fail "average of a layer-normalised and a plain model"
grep -q "layer_norm 0 vs 1" avg.err || fail "average: $(head -2 avg.err)"
"$S2S" train --resume ln-lstm.s2s --max-steps 50 -q || fail "resume a layer-normalised model"
"$S2S" info ln-lstm.s2s | grep -q "(layer-normalised)" || fail "resumed: no longer layer-normalised"

# ---- --residual: recorded, trains 3- and 4-layer stacks, decodes a batch as one sentence at a time ----
deep() { "$S2S" train --src s.en --tgt s.de --embed 16 --hidden 16 --tokenizer word -q --dropout 0.2 \
    --seed 3 --batch 16 --threads 2 "$@"; }
deep --residual --layers 3 --bidirectional --max-steps 40 --model res-attention.s2s ||
    fail "train --residual --bidirectional"
deep --residual --layers 4 --arch seq2seq --max-steps 40 --model res-seq2seq.s2s || fail "train --residual seq2seq"
deep --residual --layers 3 --layer-norm --cell gru --max-steps 40 --model res-ln.s2s || fail "train --residual --layer-norm"
for m in res-attention res-seq2seq res-ln; do
    "$S2S" info $m.s2s | grep -q "layers (residual)" || fail "info: $m.s2s is not residual"
    "$S2S" translate -m $m.s2s --beam 3 --batch 16 --threads 1 -q < v.en > b16.txt || fail "translate $m --batch 16"
    "$S2S" translate -m $m.s2s --beam 3 --batch 1 --threads 1 -q < v.en > b1.txt || fail "translate $m --batch 1"
    [ "$(wc -l < b16.txt)" = 40 ] && cmp -s b1.txt b16.txt || fail "$m: --batch 16 differs from one sentence at a time"
done
deep --layers 3 --bidirectional --max-steps 40 --model plain3.s2s || fail "train 3 plain layers"
[ "$(params plain3.s2s)" != "$(params res-attention.s2s)" ] || fail "--residual changed nothing"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
