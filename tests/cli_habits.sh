#!/usr/bin/env bash
# What a Marian, OpenNMT-py or sacreBLEU user types: version and help
# commands, "did you mean" for a mistyped command or option, no silent
# last-one-wins for an option given twice, Marian's and OpenNMT's option
# names giving the same output as ours, and a clear error for Marian's -n.
set -u
. "$(dirname "$0")/lib_cli.sh"
demo=$(cd "$(dirname "$0")/../data/demo" && pwd)
cd "$tmp"

# ---- versions and help ----
"$S2S" --version > v.txt || fail "--version"
grep -Eq '^s2s [0-9]+\.[0-9]+\.[0-9]+$' v.txt && grep -q '^build: BLAS .*; MPI (yes|no)' v.txt -E &&
    grep -q '^model files: format versions 1 to [0-9]' v.txt || fail "--version: $(cat v.txt)"
for args in "-V" "version" "translate --version" "bleu --version"; do
    # shellcheck disable=SC2086
    "$S2S" $args | cmp -s - v.txt || fail "s2s $args differs from s2s --version"
done
"$S2S" help translate > h1.txt && "$S2S" translate --help > h2.txt && cmp -s h1.txt h2.txt &&
    grep -q "usage: s2s translate" h1.txt || fail "s2s help translate != s2s translate --help"
"$S2S" help | grep -q "serve" || fail "s2s help lists no commands"
"$S2S" train --help | grep -q "MODEL.best.s2s" || fail "train --help names MODEL.best, not MODEL.best.s2s"

# ---- typos: did you mean ----
expect 2 "unknown command 'tranlsate' \(did you mean 'translate'\?\)" "$S2S" tranlsate
expect 2 "unknown command 'help-me'" "$S2S" help-me
expect 2 "unknown option '--modle' \(did you mean '--model'\?\)" "$S2S" translate --modle m.s2s
expect 2 "unknown option '--hiden' \(did you mean '--hidden'\?\)" "$S2S" train --hiden 4
expect 2 "unknown option '--widht' \(did you mean '--width'\?\)" "$S2S" bleu ref --widht 2
expect 2 "unknown option '--xyzzy'$" "$S2S" translate --xyzzy
expect 2 "unknown command 'blue' \(did you mean 'bleu'\?\)" "$S2S" help blue

# ---- a model to translate with ----
head -200 "$demo/train.en" > s.en; head -200 "$demo/train.de" > s.de; head -30 "$demo/test.en" > t.en
"$S2S" train --src s.en --tgt s.de --embed 16 --hidden 16 --max-steps 20 --threads 1 --model m.s2s 2> banner.txt ||
    fail "training the test model"
grep -q "; 1 thread$" banner.txt || fail "banner: $(grep thread banner.txt)"

# ---- no silent last-one-wins; Marian's -n ----
expect 2 "option '--beam' given twice" "$S2S" translate -m m.s2s --beam 2 --beam 3
expect 2 "option '--beam-size' given twice" "$S2S" translate -m m.s2s -b 2 --beam-size 3
expect 2 "option '-w' given twice" "$S2S" bleu t.en -i t.en -w 2 -w 3
expect 2 "option '--hidden' given twice" "$S2S" train --src s.en --tgt s.de --hidden 8 --hidden 16
expect 2 "option '--src' given twice" "$S2S" score -m m.s2s --src t.en --src t.en --tgt t.en
expect 2 "option '--port' given twice" "$S2S" serve -m m.s2s --port 0 --port 1
expect 2 "-n: no short option here: --nbest N" "$S2S" translate -m m.s2s -n 0.6
expect 2 "--normalize: Marian's length normalisation" "$S2S" translate -m m.s2s --normalize 0.6

# ---- Marian's and OpenNMT's names: the same output as ours ----
"$S2S" translate -m m.s2s --beam 3 --batch 4 --threads 1 --max-len 5 -q < t.en > ours.txt 2> ours.err
"$S2S" translate -m m.s2s --beam-size 3 --mini-batch 4 --cpu-threads 1 --max-length 5 --max-length-crop \
    --quiet-translation < t.en > marian.txt 2> marian.err
[ -s ours.txt ] && cmp -s ours.txt marian.txt || fail "Marian's option names translate differently"
"$S2S" translate -m m.s2s --beam 4 --nbest 4 -q < t.en > nb.txt
"$S2S" translate -m m.s2s --beam-size 4 --n-best -q < t.en > nb_marian.txt
"$S2S" translate -m m.s2s --beam 4 --n_best 4 -q < t.en > nb_onmt.txt
cmp -s nb.txt nb_marian.txt && cmp -s nb.txt nb_onmt.txt && [ "$(wc -l < nb.txt)" -gt 30 ] ||
    fail "--n-best (Marian) / --n_best (OpenNMT) differ from --nbest"

# ---- --dump-config: the resolved options, fed back as --config, give the same model ----
opts="--src s.en --tgt s.de --embed 16 --hidden 16 --max-steps 5 --threads 1 --seed 4"
# shellcheck disable=SC2086
"$S2S" train $opts --dump-config > dumped.json || fail "--dump-config"
grep -q '"lr":	0.002' dumped.json && grep -q '"optim":	"adam"' dumped.json || fail "--dump-config: lr/optim unresolved"
# shellcheck disable=SC2086
"$S2S" train $opts --model direct.s2s -q && "$S2S" train --config dumped.json --model viaconfig.s2s -q ||
    fail "training with the dumped config"
[ "$("$S2S" info --json direct.s2s | grep params_fnv)" = "$("$S2S" info --json viaconfig.s2s | grep params_fnv)" ] ||
    fail "--dump-config then --config trains another model"
echo '{}' > c.yml
expect 2 "c.yml: YAML configs are not read: --config takes JSON" "$S2S" train --config c.yml --src s.en --tgt s.de

# ---- messages: timestamps, BPE merges learned, unknown source words ----
"$S2S" train --src s.en --tgt s.de --embed 16 --hidden 16 --max-steps 2 --report-every 0 --tokenizer bpe \
    --bpe-merges 100000 --model bpe.s2s 2> bpe.err || fail "training with BPE"
grep -Eq '^\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\] epoch 1 step 1 loss' bpe.err ||
    fail "progress lines carry no timestamp: $(grep -m1 step bpe.err)"
grep -Eq "learned [0-9]+ BPE merges, fewer than 100000" bpe.err || fail "no word on fewer BPE merges learned"
printf 'Q\xc3\x9fQ \xe2\x82\xac\xe2\x82\xac\n' | "$S2S" translate -m m.s2s > /dev/null 2> unk.err
grep -Eq "[1-9][0-9]* of [0-9]+ source tokens \([0-9.]+%\) are not in the model's vocabulary" unk.err ||
    fail "unknown words: $(cat unk.err)"
head -1 s.en | "$S2S" translate -m m.s2s 2> unk0.err > /dev/null
! grep -q "vocabulary" unk0.err || fail "unknown words reported when there are none"

# ---- --valid-metrics and --valid-translation-output (Marian's names) ----
head -400 "$demo/train.en" > s4.en; head -400 "$demo/train.de" > s4.de
head -40 "$demo/valid.en" > v.en; head -40 "$demo/valid.de" > v.de
"$S2S" train --src s4.en --tgt s4.de --valid-src v.en --valid-tgt v.de --arch seq2seq --embed 32 --hidden 32 --batch 16 \
    --max-steps 60 --valid-every 30 --optim sgd --lr 8 --clip 1 --threads 1 --valid-metrics chrf,bleu,ppl \
    --valid-translation-output vout.txt --model vm.s2s --log vm.jsonl -q || fail "training with --valid-metrics"
[ "$(wc -l < vout.txt)" = 40 ] || fail "--valid-translation-output: $(wc -l < vout.txt) lines for 40"
last=$(grep valid_chrf vm.jsonl | tail -1)
chrf=$(echo "$last" | grep -o '"valid_chrf":[0-9.e+-]*' | cut -d: -f2)
bleu=$(echo "$last" | grep -o '"valid_bleu":[0-9.e+-]*' | cut -d: -f2)
awk -v a="$chrf" -v b="$("$S2S" bleu v.de -i vout.txt -m chrf -b -w 10)" 'BEGIN { exit !(a > 0 && (a - b < 1e-6 && b - a < 1e-6)) }' ||
    fail "valid chrF $chrf is not s2s bleu -m chrf of the written translations"
awk -v a="$bleu" -v b="$("$S2S" bleu v.de -i vout.txt -b -w 10)" 'BEGIN { exit !(a - b < 1e-6 && b - a < 1e-6) }' ||
    fail "valid BLEU $bleu is not s2s bleu of the written translations"
expect 2 "--valid-metrics: unknown metric 'meteor' \(ppl, bleu, chrf\)" "$S2S" train --src s.en --tgt s.de --valid-metrics meteor

# ---- bpe apply on untokenized text: one warning ----
"$S2S" bpe learn -i s.en -m 50 -o codes.txt -q || fail "bpe learn"
printf 'the house.\nfine (ok\n' | "$S2S" bpe apply -c codes.txt > /dev/null 2> ap.err
[ "$(grep -c "looks untokenized" ap.err)" = 1 ] && grep -q "stdin:1: 'house.' looks untokenized" ap.err ||
    fail "bpe apply on raw text: $(cat ap.err)"
printf 'the house .\n' | "$S2S" bpe apply -c codes.txt > /dev/null 2> ap2.err
[ ! -s ap2.err ] || fail "bpe apply warned on tokenized text: $(cat ap2.err)"

# ---- one way to name the input: -i FILE, FILE, or - ----
"$S2S" tokenize -i t.en > tok1.txt && "$S2S" tokenize t.en > tok2.txt && "$S2S" tokenize - < t.en > tok3.txt &&
    cmp -s tok1.txt tok2.txt && cmp -s tok1.txt tok3.txt && [ -s tok1.txt ] || fail "tokenize FILE / -i FILE / - differ"
"$S2S" score -m m.s2s --src s.en -i s.de -o sc1.txt -q && "$S2S" score -m m.s2s --src s.en --tgt s.de -q > sc2.txt &&
    cmp -s sc1.txt sc2.txt && [ -s sc1.txt ] || fail "score -i/-o differ from --tgt and stdout"
expect 2 "one input file \(given: t.en and s.en\)" "$S2S" tokenize t.en s.en

[ "$fails" -eq 0 ] && echo "cli_habits: all passed" || echo "$fails failure(s)"
[ "$fails" -eq 0 ]
