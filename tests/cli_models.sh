#!/usr/bin/env bash
# Every architecture x cell trains, translates (greedy and beam) and scores
# from the command line; a model refuses to be resumed as another
# combination; a model file from s2s 0.1 (before --arch/--cell and the
# reversible tokenizer) still loads and translates as it did.
set -u
. "$(dirname "$0")/lib_cli.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$tmp" || exit 1

head -300 "$root/data/demo/train.en" > s.en; head -300 "$root/data/demo/train.de" > s.de
head -20 "$root/data/demo/test.en" > t.en; head -20 "$root/data/demo/test.de" > t.de
for arch in seq2seq encdec attention; do
    for cell in lstm gru rnn; do
        m=$arch-$cell.s2s
        "$S2S" train --src s.en --tgt s.de --arch $arch --cell $cell --embed 16 --hidden 16 \
            --batch 16 --max-steps 20 --threads 2 -q --model $m || { fail "train $arch/$cell"; continue; }
        "$S2S" info --json $m | grep -q "\"arch\":[[:space:]]*\"$arch\"" || fail "$m: arch not recorded"
        "$S2S" info --json $m | grep -q "\"cell\":[[:space:]]*\"$cell\"" || fail "$m: cell not recorded"
        for beam in 1 3; do
            "$S2S" translate -m $m -q --beam $beam < t.en > hyp.$beam || fail "translate $m beam $beam"
            [ "$(wc -l < hyp.$beam)" -eq 20 ] || fail "$m beam $beam: $(wc -l < hyp.$beam) lines for 20"
        done
        "$S2S" score -m $m --src t.en --tgt t.de -q > lp || fail "score $m"
        [ "$(grep -c $'\t-' lp)" -eq 20 ] || fail "$m: score printed $(wc -l < lp) lines"
        "$S2S" translate -m $m -q --beam 1 --length-penalty 0 --scores < t.en | sed 's/.* ||| //' > sc
        "$S2S" score -m $m --src t.en --tgt hyp.1 -q | cut -f2 | paste sc - \
            | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-3) bad++ } END { exit bad > 0 }' \
            || fail "$m: translate --scores and s2s score disagree"
    done
done
expect 2 "--cell lstm: cannot change when resuming \(the model has gru\)" \
    "$S2S" train --resume encdec-gru.s2s --cell lstm --max-steps 30
expect 2 "--arch seq2seq: cannot change when resuming \(the model has encdec\)" \
    "$S2S" train --resume encdec-gru.s2s --arch seq2seq --max-steps 30
"$S2S" train --resume encdec-gru.s2s --max-steps 25 -q || fail "resume encdec/gru"
expect 2 "--cell: 'tree' is not lstm, gru or rnn" "$S2S" train --src s.en --tgt s.de --cell tree
expect 2 "--arch: 'transformer' is not seq2seq, encdec or attention" "$S2S" train --src s.en --tgt s.de --arch transformer
expect 2 "--attention: 'concat' is not general, dot or mlp" "$S2S" train --src s.en --tgt s.de --arch attention --attention concat

# ---- attention with each score: trains, records it, translates ----
for score in dot mlp; do
    [ $score = mlp ] && bidir=--bidirectional || bidir=
    "$S2S" train --src s.en --tgt s.de --arch attention --attention $score $bidir --embed 16 --hidden 16 \
        --batch 16 --max-steps 20 --threads 2 -q --model att-$score.s2s || fail "train attention $score"
    "$S2S" info --json att-$score.s2s | grep -q "\"attention\":[[:space:]]*\"$score\"" || fail "att-$score: score not recorded"
    [ -z "$bidir" ] || "$S2S" info --json att-$score.s2s | grep -q '"bidirectional":[[:space:]]*true' ||
        fail "att-$score: bidirectional not recorded"
    "$S2S" translate -m att-$score.s2s -q --beam 3 < t.en > att.hyp && [ "$(wc -l < att.hyp)" -eq 20 ] ||
        fail "translate with attention $score"
done

# ---- tied embeddings: no out.W, the target embeddings serve the output layer ----
for arch in seq2seq attention; do
    "$S2S" train --src s.en --tgt s.de --arch $arch --embed 16 --hidden 16 --tied-embeddings \
        --batch 16 --max-steps 20 --threads 2 -q --model tied-$arch.s2s || fail "train tied $arch"
    "$S2S" info --json tied-$arch.s2s | grep -q '"tied_embeddings":[[:space:]]*true' || fail "tied-$arch: not recorded"
    "$S2S" info --json tied-$arch.s2s | grep -q '"out.W"' && fail "tied-$arch: still has out.W"
    "$S2S" translate -m tied-$arch.s2s -q < t.en > tied.hyp && [ "$(wc -l < tied.hyp)" -eq 20 ] ||
        fail "translate with tied-$arch"
done
expect 2 "--bidirectional is for --arch attention" "$S2S" train --src s.en --tgt s.de --arch seq2seq --bidirectional
expect 2 "--tied-embeddings: encdec's output layer" "$S2S" train --src s.en --tgt s.de --arch encdec \
    --embed 16 --hidden 16 --tied-embeddings
expect 2 "--tied-embeddings needs --embed equal to --hidden" "$S2S" train --src s.en --tgt s.de \
    --embed 16 --hidden 32 --tied-embeddings

old="$root/tests/fixtures/model-v0.1-word.s2s"
[ "$(echo "three hundred forty two" | "$S2S" translate -m "$old" -q)" = "zwei hundert sieben und sechzig" ] \
    || fail "the s2s 0.1 model no longer translates as it did"
"$S2S" score -m "$old" --src t.en --tgt t.de -q > /dev/null || fail "the s2s 0.1 model does not score"

echo "cli_models: $fails failures"
[ "$fails" -eq 0 ]
