#!/usr/bin/env bash
# s2s train --batch-words N: minibatches by tokens. Batches of one pair and
# of the whole corpus equal --batch 1 and --batch ALL bit for bit; the same
# seed gives the same model; resuming is exact; bad values are refused.
set -u
. "$(dirname "$0")/lib_cli.sh"
demo=$(cd "$(dirname "$0")/../data/demo" && pwd)
cd "$tmp"

params() { "$S2S" info --json "$1" | grep -o '"params_fnv1a64":[[:space:]]*"[0-9a-f]*"' | grep -o '[0-9a-f]\{16\}'; }

head -300 "$demo/train.en" > s.en; head -300 "$demo/train.de" > s.de
head -40 "$demo/valid.en" > v.en; head -40 "$demo/valid.de" > v.de
small="--embed 16 --hidden 16 --layers 2 --tokenizer word -q --dropout 0.2 --seed 3"
run() { "$S2S" train --src s.en --tgt s.de $small "$@"; }

expect 2 "--batch-words: -5 is out of range" run --batch-words -5 --max-steps 1
expect 2 "--batch-words: 'x' is not an integer" run --batch-words x --max-steps 1

# ---- the banner says how the batches are cut ----
"$S2S" train --src s.en --tgt s.de --embed 16 --hidden 16 --tokenizer word --batch-words 200 \
    --max-steps 1 --model banner.s2s 2> banner.txt || fail "train with --batch-words"
grep -Eq "300 pairs .* [0-9]+ batches of up to 200 padded tokens \(up to [0-9]+ pairs\)" banner.txt ||
    fail "banner: $(grep batches banner.txt)"
grep -Eq "memory: parameters [0-9]+ MB, gradients [0-9]+ MB \([0-9]+ shards\), optimizer [0-9]+ MB, activations [0-9]+ MB, data and other [0-9]+ MB: [0-9]+ MB" banner.txt ||
    fail "banner: no memory account: $(grep memory banner.txt)"

# ---- one pair per batch, and every pair in one batch: the sentence batches exactly ----
run --batch-words 1 --threads 1 --max-steps 30 --model w1.s2s || fail "train --batch-words 1"
run --batch 1 --threads 1 --max-steps 30 --model b1.s2s || fail "train --batch 1"
[ -n "$(params w1.s2s)" ] && [ "$(params w1.s2s)" = "$(params b1.s2s)" ] ||
    fail "--batch-words 1 differs from --batch 1 (one pair per batch both)"
run --batch-words 1 --threads 2 --max-steps 30 --model w12.s2s || fail "train --batch-words 1 on 2 threads (an empty shard)"
run --batch-words 1000000 --threads 2 --max-steps 3 --model wall.s2s || fail "train --batch-words 1e6"
run --batch 300 --threads 2 --max-steps 3 --model ball.s2s || fail "train --batch 300"
[ "$(params wall.s2s)" = "$(params ball.s2s)" ] ||
    fail "--batch-words 1000000 differs from --batch 300 (the whole corpus in one batch both)"

# ---- the same seed, the same model; another N, another model ----
vrun() {
    local -a args
    mapfile -d '' args < <(merge_opts --valid-src v.en --valid-tgt v.de --valid-every 7 --batch-words 150 --threads 2 -- "$@")
    run "${args[@]}"
}
vrun --max-steps 40 --model a1.s2s --log a1.jsonl || fail "train a1"
vrun --max-steps 40 --model a2.s2s || fail "train a2"
[ -n "$(params a1.s2s)" ] && [ "$(params a1.s2s)" = "$(params a2.s2s)" ] || fail "same seed gave different models"
vrun --max-steps 40 --model a3.s2s --batch-words 100 || fail "train a3"
[ "$(params a1.s2s)" != "$(params a3.s2s)" ] || fail "--batch-words 100 trained the same model as 150"
grep -q '"valid_ppl"' a1.jsonl || fail "no validation with --batch-words"
steps=$("$S2S" info --json a1.s2s | grep -o '"batch_in_epoch":[[:space:]]*[0-9]*' | grep -o '[0-9]*$')
[ -n "$steps" ] || fail "no batch_in_epoch in the checkpoint"

# ---- resume mid-epoch and across an epoch's end == uninterrupted (Adam, dropout, validation) ----
vrun --max-steps 17 --model r.s2s || fail "train r to 17"
"$S2S" train --resume r.s2s --max-steps 40 -q || fail "resume r to 40"
[ "$(params r.s2s)" = "$(params a1.s2s)" ] || fail "resumed --batch-words model differs from the uninterrupted one"
"$S2S" info --json r.s2s | grep -q '"batch-words":[[:space:]]*150' || fail "the checkpoint does not record --batch-words"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "cli_batchwords: all passed"
