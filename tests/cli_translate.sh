#!/usr/bin/env bash
# s2s translate and s2s score from the command line: one output line per
# input line whatever the input holds; n-best format; scores; sampling
# seeds; beam search versus greedy checked with s2s score; errors.
set -u
. "$(dirname "$0")/lib_cli.sh"
demo=$(cd "$(dirname "$0")/../data/demo" && pwd)
cd "$tmp"

head -400 "$demo/train.en" > s.en; head -400 "$demo/train.de" > s.de
"$S2S" train --src s.en --tgt s.de --arch seq2seq --embed 32 --hidden 32 --batch 16 --max-steps 60 --optim sgd --lr 8 --clip 1 \
    --threads 2 -q --model m.s2s || fail "training the test model"
head -60 "$demo/test.en" > t.en; head -60 "$demo/test.de" > t.de

# ---- line alignment, whatever the lines hold ----
long=$(for i in $(seq 300); do printf 'one '; done); long=${long% }
{
    echo "three hundred forty two"
    echo ""
    printf '   \t  \n'
    echo "$long"
    printf 'seven \xff\xfe hundred\n'
    printf 'twelve\r\n'
    echo "two"
    printf 'one thousand five'            # no final newline
} > mixed.en
"$S2S" translate -m m.s2s -i mixed.en -o mixed.out --batch 3 2> mixed.err || fail "translate mixed.en"
[ "$(wc -l < mixed.out)" -eq 8 ] || fail "8 input lines gave $(wc -l < mixed.out) output lines"
[ -z "$(sed -n 2p mixed.out)" ] && [ -z "$(sed -n 3p mixed.out)" ] || fail "empty/blank lines must give empty output"
grep -q "mixed.en:4: 300 tokens, truncated to --max-len 200" mixed.err || fail "no truncation warning: $(cat mixed.err)"
grep -q "mixed.en:5: 2 invalid UTF-8" mixed.err || fail "no invalid UTF-8 warning: $(cat mixed.err)"
n=0
while IFS= read -r line || [ -n "$line" ]; do   # each line alone == its line in the batch
    n=$((n + 1))
    [ -n "$(printf '%s' "$line" | tr -d ' \t\r')" ] || continue
    [ $n -eq 4 ] && continue
    alone=$(printf '%s\n' "$line" | "$S2S" translate -m m.s2s -q)
    [ "$alone" = "$(sed -n ${n}p mixed.out)" ] || fail "line $n: alone '$alone' vs in batch '$(sed -n ${n}p mixed.out)'"
done < mixed.en
"$S2S" translate -m m.s2s -q - < t.en > stdin.out || fail "translate from -"
"$S2S" translate -m m.s2s -q -i t.en > file.out || fail "translate -i"
cmp -s stdin.out file.out || fail "stdin and -i differ"
[ "$(wc -l < file.out)" -eq 60 ] || fail "60 lines in, $(wc -l < file.out) out"
# decoders side by side (--threads) give the same output, in input order
for th in 1 3; do
    "$S2S" translate -m m.s2s -q -i t.en --batch 7 --threads $th > th$th.out || fail "--threads $th"
    cmp -s th$th.out file.out || fail "--threads $th --batch 7 differs from the default run"
    "$S2S" translate -m m.s2s -q -i mixed.en --batch 2 --threads $th 2> /dev/null > mth$th.out
    cmp -s mth$th.out mixed.out || fail "--threads $th --batch 2 on mixed.en differs"
done
: > empty.en
"$S2S" translate -m m.s2s -q -i empty.en > empty.out && [ ! -s empty.out ] || fail "empty input must give empty output"

# ---- interactive: each line is answered before the next is sent ----
coproc T { "$S2S" translate -m m.s2s --interactive -q; }
for w in "two" "three hundred"; do
    echo "$w" >&"${T[1]}"
    IFS= read -t 300 -r answer <&"${T[0]}" || fail "--interactive gave no answer to '$w' in time"
    want=$(echo "$w" | "$S2S" translate -m m.s2s -q)
    [ "$answer" = "$want" ] || fail "--interactive answered '$answer', wanted '$want'"
done
exec {T[1]}>&-
wait "$T_PID" || fail "--interactive exited non-zero"

# ---- n-best and scores ----
"$S2S" translate -m m.s2s -q -i t.en --beam 4 --nbest 3 > nbest.out || fail "nbest"
[ "$(wc -l < nbest.out)" -eq 180 ] || fail "nbest 3 over 60 lines gave $(wc -l < nbest.out) lines"
# Moses/Marian: i ||| hypothesis ||| F0= log-probability ||| total (the length-normalised score)
awk -F' \\|\\|\\| ' 'NF != 4 || $1 != int((NR - 1) / 3) || $3 !~ /^F0= -?[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ ||
        $4 !~ /^-?[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ { bad++ }
    { if ($1 == prev && $4 + 0 > last + 1e-9) unsorted++; if ($1 == prev && $2 == hyp) dup++;
      prev = $1; last = $4 + 0; hyp = $2 }
    END { exit (bad + unsorted + dup) > 0 }' nbest.out || fail "n-best lines malformed, unsorted or repeated: $(head -4 nbest.out)"
# parsed back: F0 is what s2s score gives the pair
awk -F' \\|\\|\\| ' '{ print $2 }' nbest.out > nbest.hyp
awk '{ for (k = 0; k < 3; k++) print }' t.en > nbest.src
"$S2S" score -m m.s2s --src nbest.src --tgt nbest.hyp -q | cut -f2 > nbest.lp
awk -F' \\|\\|\\| ' '{ sub(/^F0= /, "", $3); print $3 }' nbest.out | paste - nbest.lp |
    awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-3) bad++ } END { exit bad > 0 }' ||
    fail "n-best F0 differs from s2s score: $(head -2 nbest.out)"
"$S2S" translate -m m.s2s -q -i t.en --beam 4 --scores > scores.out || fail "--scores"
grep -Evq ' \|\|\| -?[0-9]+\.[0-9]{6}$' scores.out && fail "--scores lines lack ' ||| score'"
cut -d'|' -f1 scores.out | sed 's/ $//' > scores.hyp
"$S2S" translate -m m.s2s -q -i t.en --beam 4 > plain.out
cmp -s scores.hyp plain.out || fail "--scores changed the translations"

# ---- sampling: same seed, same output ----
"$S2S" translate -m m.s2s -q -i t.en --sample --seed 3 > s1.out
"$S2S" translate -m m.s2s -q -i t.en --sample --seed 3 > s2.out
"$S2S" translate -m m.s2s -q -i t.en --sample --seed 4 --temperature 1.5 > s3.out
cmp -s s1.out s2.out || fail "sampling with the same seed differs"
cmp -s s1.out s3.out && fail "sampling with another seed gave the same output"

# ---- beam search versus greedy, judged by s2s score ----
"$S2S" translate -m m.s2s -q -i t.en --beam 1 > greedy.out
"$S2S" translate -m m.s2s -q -i t.en --beam 5 --length-penalty 0 > beam.out
"$S2S" score -m m.s2s --src t.en --tgt greedy.out -q | cut -f2 > greedy.lp
"$S2S" score -m m.s2s --src t.en --tgt beam.out -q | cut -f2 > beam.lp
[ "$(wc -l < beam.lp)" -eq 60 ] || fail "score printed $(wc -l < beam.lp) lines for 60 pairs"
worse=$(paste greedy.lp beam.lp | awk '$2 < $1 - 1e-4' | wc -l)
[ "$worse" -le 3 ] || fail "beam 5 scored below greedy on $worse of 60 sentences"
"$S2S" translate -m m.s2s -q -i t.en --beam 5 --length-penalty 0 --scores | sed 's/.* ||| //' > beam.sc
paste beam.sc beam.lp | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-3) bad++ } END { exit bad > 0 }' \
    || fail "translate --scores and s2s score disagree"

# ---- s2s score ----
"$S2S" score -m m.s2s --src t.en --tgt t.de --summary 2> score.err > score.out || fail "score"
[ "$(grep -c . score.out)" -eq 61 ] || fail "score: 60 pair lines and a summary wanted"
tail -1 score.out | grep -Eq '^pairs 60 target_tokens [0-9]+ logprob -[0-9.]+ ppl [0-9.]+$' || fail "summary: $(tail -1 score.out)"
grep -q "^pairs 60" score.err || fail "no summary on stderr"
head -59 t.de > short.de
expect 1 "short.de has 59 lines but t.en has more" "$S2S" score -m m.s2s --src t.en --tgt short.de
printf 'ein\nzw\xc3ei\n' > bad.de; printf 'one\ntwo\n' > two.en
expect 1 "bad.de:2: invalid UTF-8 at byte 2" "$S2S" score -m m.s2s --src two.en --tgt bad.de
expect 2 "required" "$S2S" score -m m.s2s --src t.en
printf 'one\ntw\0o\n' > nul.en; printf 'eins\nzwei\n' > nul.de
expect 1 "nul.en:2: NUL byte at byte 2" "$S2S" score -m m.s2s --src nul.en --tgt nul.de
expect 1 "nul.en:2: NUL byte at byte 2" "$S2S" score -m m.s2s --src nul.de --tgt nul.en
expect 2 "--sample and --beam exclude each other" "$S2S" translate -m m.s2s --sample --beam 5 -i t.en
expect 2 "--sample and --beam exclude each other" "$S2S" translate -m m.s2s --beam 1 --sample -i t.en
expect 2 "--src and --tgt \(or --nbest\) cannot both be stdin" "$S2S" score -m m.s2s --src - --tgt -
expect 2 "--src and --tgt \(or --nbest\) cannot both be stdin" "$S2S" score -m m.s2s --src - --nbest -
printf '0 ||| ei\0ns ||| F0= -1 ||| -1\n' > nul.nbest
expect 1 "nul.nbest:1: the hypothesis: NUL byte at byte 2" "$S2S" score -m m.s2s --src nul.de --nbest nul.nbest
expect_full 1 "s2s score: stdout: write failed: No space left on device" "$S2S" score -m m.s2s --src t.en --tgt t.de -q
expect_full 1 "s2s score: stdout: write failed: No space left on device" "$S2S" score -m m.s2s --src empty.en --tgt empty.en --summary -q
expect 1 "s2s score: stdin: cannot read: Bad file descriptor" "$S2S" score -m m.s2s --src t.en --tgt - <&-

# ---- errors ----
expect 1 "missing.s2s: cannot open" "$S2S" translate -m missing.s2s -i t.en
head -c 1000 m.s2s > cut.s2s
expect 1 "cut.s2s: .*truncated" "$S2S" translate -m cut.s2s -i t.en
expect 2 "--nbest 3 needs --beam 3" "$S2S" translate -m m.s2s --beam 2 --nbest 3 -i t.en
expect 2 "unknown option" "$S2S" translate -m m.s2s --frobnicate
expect 2 "--model is required" "$S2S" translate -i t.en
expect 1 "nope.en: cannot open" "$S2S" translate -m m.s2s -i nope.en
expect 1 "s2s translate: stdin: cannot read: Bad file descriptor" "$S2S" translate -m m.s2s <&-
expect_full 1 "s2s translate: stdout: write failed: No space left on device" "$S2S" translate -m m.s2s -q -i t.en
[ -w /dev/full ] && expect 1 "s2s translate: /dev/full: write failed: No space left on device" \
    "$S2S" translate -m m.s2s -q -i t.en -o /dev/full

echo "cli_translate: $fails failures"
[ "$fails" -eq 0 ]
