#!/usr/bin/env bash
# s2s translate --alignment on a toy task whose right alignment is known:
# a model trained to copy sequences of words must align target word j with
# source word j for most words (the source is read reversed by the
# encoder, so this also checks the position mapping). Plus the format,
# empty lines, soft rows, and the usage errors.
set -u
. "$(dirname "$0")/lib_cli.sh"
cd "$tmp" || exit 1

# 2,000 sequences of 3-7 words from 20, and 50 held out; a fixed LCG, so any awk gives the same.
awk 'BEGIN { x = 12345; for (i = 0; i < 2050; i++) { x = (x * 1103515245 + 12345) % 2147483648
         n = 3 + int(x / 2147483648 * 5); line = ""
         for (k = 0; k < n; k++) { x = (x * 1103515245 + 12345) % 2147483648
             line = line (k ? " " : "") "w" int(x / 2147483648 * 20) }
         print line } }' > all.txt
head -2000 all.txt > train.txt; tail -50 all.txt > test.txt
"$S2S" train --src train.txt --tgt train.txt --arch attention --tokenizer word --embed 32 --hidden 64 \
    --layers 1 --batch 32 --max-steps 600 --lr 0.01 --decay-start 100 --dropout 0 --threads 2 -q \
    --model copy.s2s || fail "train the copy model"
"$S2S" translate -m copy.s2s -q --beam 1 --alignment hard < test.txt > hard.out || fail "--alignment hard"
[ "$(wc -l < hard.out)" -eq 50 ] || fail "50 lines in, $(wc -l < hard.out) out"
# the pairs i-j: one per target word, and i == j for most
read -r pairs diag words < <(awk -F' \\|\\|\\| ' '{ nw += split($1, w, " "); n = split($2, p, " ")
    for (k = 1; k <= n; k++) { split(p[k], ij, "-"); d += ij[1] == ij[2] }; np += n }
    END { print np, d, nw }' hard.out)
echo "cli_align: $diag of $pairs alignment pairs on the diagonal ($words target words)"
[ "$pairs" -eq "$words" ] || fail "$pairs pairs for $words target words"
[ "$pairs" -gt 0 ] && [ $((100 * diag / pairs)) -ge 80 ] || fail "only $diag of $pairs pairs on the diagonal"
# BPE pieces ("w", "￭1", "￭7" with 5 merges) are summed to the words s2s tokenize prints ("w17"):
# one pair per target word, source indices below the source's word count
"$S2S" train --src train.txt --tgt train.txt --arch attention --bpe-merges 5 --embed 32 --hidden 64 \
    --layers 1 --batch 32 --max-steps 300 --lr 0.01 --decay-start 100 --dropout 0 --threads 2 -q \
    --model bpe.s2s || fail "train the BPE copy model"
"$S2S" translate -m bpe.s2s -q --beam 1 --alignment hard < test.txt > bpe.out || fail "--alignment with BPE"
paste -d'\t' test.txt bpe.out | awk -F'\t' '{ ns = split($1, s, " "); split($2, f, " \\|\\|\\| ")
    nt = split(f[1], t, " "); n = split(f[2], p, " "); if (n != nt) bad++
    for (k = 1; k <= n; k++) { split(p[k], ij, "-"); if (ij[1] >= ns || ij[2] != k - 1) bad++ } }
    END { exit bad > 0 }' || fail "BPE alignments not over words: $(head -2 bpe.out)"

# soft: a row per target word, one weight per source word, each row summing to 1
"$S2S" translate -m copy.s2s -q --beam 1 --alignment soft < test.txt > soft.out || fail "--alignment soft"
paste -d'\t' test.txt soft.out | awk -F'\t' '{ ns = split($1, s, " "); split($2, f, " \\|\\|\\| ")
    nt = split(f[1], t, " "); nr = split(f[2], rows, " "); if (nr != nt) bad++
    for (r = 1; r <= nr; r++) { nc = split(rows[r], c, ","); sum = 0; for (k = 1; k <= nc; k++) sum += c[k]
        if (nc != ns || sum < 0.99 || sum > 1.01) bad++ } }
    END { exit bad > 0 }' || fail "soft rows malformed: $(head -2 soft.out)"
# with scores and n-best the alignment is the last field; empty lines stay empty
printf 'w1 w2 w3\n\n   \nw4 w5\n' | "$S2S" translate -m copy.s2s -q --scores --alignment hard > mixed.out
[ "$(sed -n 2p mixed.out)" = " ||| 0.000000" ] && [ "$(sed -n 3p mixed.out)" = " ||| 0.000000" ] ||
    fail "empty lines with --alignment: $(sed -n 2,3p mixed.out | tr '\n' '|')"
sed -n 1p mixed.out | grep -Eq '^[^|]+ \|\|\| -?[0-9.]+ \|\|\| [0-9]+-[0-9]+( [0-9]+-[0-9]+)*$' ||
    fail "--scores --alignment line: $(sed -n 1p mixed.out)"
echo "w1 w2" | "$S2S" translate -m copy.s2s -q --beam 3 --nbest 2 --alignment hard |
    grep -Evq '^0 \|\|\| .* \|\|\| -?[0-9.]+ \|\|\| [0-9 -]*$' && fail "n-best lines with --alignment malformed"
# usage errors
"$S2S" train --src train.txt --tgt train.txt --tokenizer word --arch seq2seq --embed 8 --hidden 8 --layers 1 \
    --max-steps 2 -q --model s2s.s2s || fail "train a seq2seq model"
expect 2 "--alignment needs an attention model \(s2s.s2s is seq2seq\)" "$S2S" translate -m s2s.s2s --alignment hard -i test.txt
expect 2 "--alignment: 'fuzzy' is not hard or soft" "$S2S" translate -m copy.s2s --alignment fuzzy -i test.txt

echo "cli_align: $fails failures"
[ "$fails" -eq 0 ]
