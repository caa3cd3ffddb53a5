#!/usr/bin/env bash
# --precision bf16|int8 (translate, score): against fp32, on the s2s 0.1
# fixture and on three small models trained here (attention with the mlp
# score and an LSTM, encdec with a GRU, seq2seq with a plain RNN: every
# product a decoder step has), the translations agree on at least 80 of 100
# sentences, each sentence's length-normalised score is within 0.05, and
# `s2s score`'s log-probability of the references within 0.02 per token.
# The portable kernels (S2S_CPU=portable) give int8 output byte for byte
# equal to the fast ones, and bf16 scores within 1e-3. A bad value is a
# usage error.
set -u
. "$(dirname "$0")/lib_cli.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$tmp" || exit 1
d=$root/data/demo
head -3000 "$d/train.en" > s.en; head -3000 "$d/train.de" > s.de
head -100 "$d/test.en" > t.en; head -100 "$d/test.de" > t.de

# compare NAME MODEL: every check above for one model
compare() {
    local n=$1 m=$2 p
    for p in fp32 bf16 int8; do
        "$S2S" translate -m "$m" -q --precision $p --scores < t.en > "o.$n.$p" || fail "$n: translate --precision $p failed"
        "$S2S" score -m "$m" -q --precision $p --src t.en --tgt t.de > "sc.$n.$p" || fail "$n: score --precision $p failed"
    done
    for p in bf16 int8; do
        [ "$(wc -l < "o.$n.$p")" -eq 100 ] || fail "$n $p: not 100 lines"
        read -r same diff <<< "$(paste -d'\t' "o.$n.fp32" "o.$n.$p" | awk -F'\t' '{
            split($1, a, " \\|\\|\\| "); split($2, b, " \\|\\|\\| "); s += a[1] == b[1];
            x = a[2] - b[2]; if (x < 0) x = -x; if (x > m) m = x } END { print s + 0, m + 0 }')"
        [ "$same" -ge 80 ] || fail "$n $p: $same of 100 translations as fp32's (wanted >= 80)"
        awk -v x="$diff" 'BEGIN { exit !(x <= 0.05) }' || fail "$n $p: a score $diff from fp32's (wanted <= 0.05)"
        tok=$(paste "sc.$n.fp32" "sc.$n.$p" | awk '{ d = ($2 - $4) / $1; if (d < 0) d = -d; if (d > m) m = d } END { print m + 0 }')
        awk -v x="$tok" 'BEGIN { exit !(x <= 0.02) }' || fail "$n $p: score differs by $tok per token (wanted <= 0.02)"
        echo "cli_precision: $n $p: $same/100 as fp32, score within $diff, log-prob within $tok per token"
    done
    S2S_CPU=portable "$S2S" translate -m "$m" -q --precision int8 --scores < t.en > "o.$n.int8p"
    cmp -s "o.$n.int8" "o.$n.int8p" || fail "$n: int8's portable kernel gives other output"
    S2S_CPU=portable "$S2S" score -m "$m" -q --precision bf16 --src t.en --tgt t.de > "sc.$n.bf16p"
    tok=$(paste "sc.$n.bf16" "sc.$n.bf16p" | awk '{ d = $2 - $4; if (d < 0) d = -d; if (d > m) m = d } END { print m + 0 }')
    awk -v x="$tok" 'BEGIN { exit !(x <= 1e-3) }' || fail "$n: bf16's portable kernel differs by $tok"
}

compare fixture "$root/tests/fixtures/model-v0.1-word.s2s"
for spec in "attention lstm --attention mlp" "encdec gru" "seq2seq rnn"; do
    set -- $spec
    arch=$1 cell=$2
    shift 2
    "$S2S" train --src s.en --tgt s.de --arch "$arch" --cell "$cell" "$@" --embed 32 --hidden 64 \
        --layers 2 --batch 32 --max-steps 500 --tokenizer word --model "$arch.s2s" -q --seed 3 \
        --threads 2 --dropout 0 --label-smoothing 0 --decay-start 5 || fail "training $arch failed"
    compare "$arch-$cell" "$arch.s2s"
done

expect 2 "--precision: 'fp16' is not fp32, bf16 or int8" "$S2S" translate -m "$root/tests/fixtures/model-v0.1-word.s2s" --precision fp16
expect 2 "--precision: 'x' is not fp32, bf16 or int8" "$S2S" serve -m "$root/tests/fixtures/model-v0.1-word.s2s" --precision x

[ "$fails" -eq 0 ] && echo "cli_precision: all passed" || echo "cli_precision: $fails failure(s)"
[ "$fails" -eq 0 ]
