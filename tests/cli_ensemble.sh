#!/usr/bin/env bash
# Ensembles from the command line: several -m translate and score together;
# a model with itself gives byte-identical output to the model alone (beam,
# n-best, --scores, sampling, s2s score); --weights 1,0 gives the first
# model's output; the members side by side (--threads 2) give what they give
# in turn (--threads 1); members may differ in architecture, size and source
# vocabulary but not in target vocabulary or tokenizer (exit 1 naming both
# files); bad --weights are usage errors.
set -u
. "$(dirname "$0")/lib_cli.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$tmp" || exit 1

head -400 "$root/data/demo/train.en" > s.en; head -400 "$root/data/demo/train.de" > s.de
head -30 "$root/data/demo/test.en" > t.en; head -30 "$root/data/demo/test.de" > t.de
printf '\n' >> t.en; printf '\n' >> t.de # an empty line stays an empty line
common=(--src s.de --tgt s.en --bpe-merges 200 --batch 16 --max-steps 300 --threads 2 -q)
"$S2S" train "${common[@]}" --embed 16 --hidden 24 --arch seq2seq --seed 1 --model a.s2s || fail "train a"
"$S2S" train "${common[@]}" --embed 24 --hidden 16 --arch attention --seed 2 --model b.s2s ||
    fail "train b"
# another source vocabulary (fewer source words), same target side and BPE codes
"$S2S" train "${common[@]}" --embed 16 --hidden 16 --arch encdec --cell gru --src-vocab 60 \
    --seed 3 --model c.s2s || fail "train c"
"$S2S" train "${common[@]}" --tokenizer word --embed 16 --hidden 16 --model word.s2s ||
    fail "train word"
tail -200 s.en > u.en; tail -200 s.de > u.de
"$S2S" train --src u.de --tgt u.en --bpe-merges 200 --batch 16 --max-steps 5 --embed 16 \
    --hidden 16 -q --model other.s2s || fail "train other"

tr1() { "$S2S" translate -q --threads 1 "$@" < t.de; }
for opts in "--beam 4" "--beam 4 --nbest 3" "--beam 1 --scores" "--sample --seed 3 --scores"; do
    # shellcheck disable=SC2086
    tr1 -m a.s2s $opts > alone.out || fail "translate a $opts"
    # shellcheck disable=SC2086
    tr1 -m a.s2s -m a.s2s $opts > self.out || fail "translate a+a $opts"
    # shellcheck disable=SC2086
    tr1 -m a.s2s -m a.s2s -m a.s2s $opts > self3.out || fail "translate a+a+a $opts"
    cmp -s alone.out self.out || fail "a+a differs from a ($opts): $(diff alone.out self.out | head -3)"
    cmp -s alone.out self3.out || fail "a+a+a differs from a ($opts)"
    # shellcheck disable=SC2086
    tr1 -m a.s2s -m b.s2s --weights 1,0 $opts > first.out || fail "translate --weights 1,0 $opts"
    cmp -s alone.out first.out || fail "--weights 1,0 differs from the first model ($opts)"
done
[ "$(wc -l < alone.out)" -eq 31 ] || fail "31 lines in, $(wc -l < alone.out) out"
tr1 -m a.s2s > a.out
[ "$(grep -c '[a-z]' a.out)" -ge 25 ] || fail "a translates to empty lines: $(head -3 a.out)"
# three different models: not any one of them, the same on 1 and 2 threads
tr1 -m a.s2s -m b.s2s -m c.s2s --scores > abc.1 || fail "translate a+b+c"
"$S2S" translate -q --threads 2 -m a.s2s -m b.s2s -m c.s2s --scores < t.de > abc.2 ||
    fail "translate a+b+c --threads 2"
cmp -s abc.1 abc.2 || fail "a+b+c: --threads 2 differs from --threads 1"
[ "$(wc -l < abc.1)" -eq 31 ] || fail "a+b+c: $(wc -l < abc.1) lines for 31"
for m in a b c; do
    tr1 -m $m.s2s --scores > $m.sc
    cmp -s $m.sc abc.1 && fail "a+b+c translates exactly as $m alone"
done
# weights are normalised: 2,2,2 is 1,1,1; 3,1 is not 1,1
tr1 -m a.s2s -m b.s2s -m c.s2s --weights 2,2,2 --scores > abc.w || fail "--weights 2,2,2"
cmp -s abc.1 abc.w || fail "--weights 2,2,2 differs from equal weights"
tr1 -m a.s2s -m b.s2s --weights 3,1 --scores > ab31 && tr1 -m a.s2s -m b.s2s --scores > ab11 ||
    fail "translate a+b"
cmp -s ab31 ab11 && fail "--weights 3,1 gives the same as 1,1"
# --alignment comes from the attention member
tr1 -m a.s2s -m b.s2s --alignment hard > al.out || fail "a+b --alignment"
grep -Eq ' \|\|\| [0-9]+-[0-9]+' al.out || fail "a+b --alignment: no pairs: $(head -2 al.out)"
expect 2 "needs an attention model of weight > 0" "$S2S" translate -m a.s2s -m c.s2s --alignment hard -i t.de
expect 2 "needs an attention model of weight > 0" "$S2S" translate -m a.s2s -m b.s2s --weights 1,0 --alignment hard -i t.de

# s2s score: a with itself is a; an ensemble scores its own greedy output as translate --scores does
# (but for the empty last line, which translate does not decode)
"$S2S" score -m a.s2s --src t.de --tgt t.en -q > sa || fail "score a"
"$S2S" score -m a.s2s -m a.s2s --src t.de --tgt t.en -q > saa || fail "score a+a"
cmp -s sa saa || fail "score a+a differs from score a"
tr1 -m a.s2s -m b.s2s -m c.s2s --beam 1 --length-penalty 0 --scores > g.out
sed 's/ ||| [^|]*$//' g.out > g.hyp
"$S2S" score -m a.s2s -m b.s2s -m c.s2s --src t.de --tgt g.hyp -q | cut -f2 > g.lp || fail "score a+b+c"
sed 's/.* ||| //' g.out | paste - g.lp | head -30 | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-3) bad++ }
    END { exit bad > 0 }' || fail "ensemble translate --scores and score disagree"

# what members must share
expect 1 "a.s2s and other.s2s: the target vocabularies differ" "$S2S" translate -m a.s2s -m other.s2s -i t.de
expect 1 "a.s2s and word.s2s: the tokenizers differ \(bpe vs word\)" "$S2S" translate -m a.s2s -m word.s2s -i t.de
expect 1 "a.s2s and other.s2s: the target vocabularies differ" "$S2S" score -m a.s2s -m other.s2s --src t.de --tgt t.en
expect 1 "missing.s2s" "$S2S" translate -m a.s2s -m missing.s2s -i t.de
# --weights
expect 2 "--weights has 1 numbers for 2 models" "$S2S" translate -m a.s2s -m b.s2s --weights 1 -i t.de
expect 2 "weight 2 is negative" "$S2S" translate -m a.s2s -m b.s2s --weights 1,-1 -i t.de
expect 2 "the weights are all 0" "$S2S" translate -m a.s2s -m b.s2s --weights 0,0 -i t.de
expect 2 "not a comma-separated list" "$S2S" translate -m a.s2s -m b.s2s --weights 1,,2 -i t.de
expect 2 "not a comma-separated list" "$S2S" translate -m a.s2s -m b.s2s --weights 1,x -i t.de
expect 2 "--weights has 3 numbers for 2 models" "$S2S" score -m a.s2s -m b.s2s --weights 1,1,1 --src t.de --tgt t.en

# ---- n-best rescoring (s2s score --nbest) ----
tr1 -m a.s2s --beam 4 --nbest 4 > list || fail "n-best list"
"$S2S" score -m b.s2s --src t.de --nbest list -q > resc || fail "score --nbest"
[ "$(wc -l < resc)" -eq "$(wc -l < list)" ] || fail "rescoring: $(wc -l < resc) lines for $(wc -l < list)"
# ids, hypotheses, the old features and totals kept, in order; S2S= appended
paste -d'\t' list resc | awk -F'\t' '{ n = split($1, a, / \|\|\| /); m = split($2, b, / \|\|\| /)
    if (n != 4 || m != 4 || a[1] != b[1] || a[2] != b[2] || a[4] != b[4] || index(b[3], a[3] " S2S= ") != 1) bad++ }
    END { exit bad > 0 }' || fail "rescored list changed the entries: $(head -2 resc)"
# the feature is what s2s score gives the pair
awk -F' \\|\\|\\| ' 'NR == FNR { s[NR - 1] = $0; next } { print s[$1] }' t.de list > list.src
awk -F' \\|\\|\\| ' '{ print $2 }' list > list.hyp
"$S2S" score -m b.s2s --src list.src --tgt list.hyp -q | cut -f2 > list.lp
sed 's/.*S2S= \([^ ]*\) |||.*/\1/' resc | paste - list.lp | awk '{ if ($1 != $2) bad++ } END { exit bad > 0 }' ||
    fail "the S2S feature differs from s2s score: $(sed 's/.*S2S= \([^ ]*\) |||.*/\1/' resc | paste - list.lp | head -3)"
# --feature-name, an ensemble
"$S2S" score -m b.s2s -m c.s2s --src t.de --nbest list --feature-name ENS -q > resc2 || fail "ensemble rescoring"
grep -c ' ENS= -' resc2 | grep -qx "$(wc -l < list)" || fail "--feature-name ENS: $(head -1 resc2)"
# --rerank 1: each sentence's hypotheses sorted by total + feature, which is the new total
"$S2S" score -m b.s2s --src t.de --nbest list --rerank 1 -q > rr || fail "--rerank"
awk -F' \\|\\|\\| ' '{ f = $3; sub(/.*S2S= /, "", f); key[$1 " " $2] = $4 + f }
    END { for (k in key) printf "%s\t%.6f\n", k, key[k] }' resc | sort > want.keys
awk -F' \\|\\|\\| ' '{ print $1 " " $2 "\t" $4 }' rr | sort > got.keys
join -t"$(printf '\t')" want.keys got.keys | awk -F'\t' '{ d = $2 - $3; if (d < 0) d = -d; if (d > 2e-6) bad++ }
    END { exit bad > 0 || NR == 0 }' || fail "--rerank totals are not total + feature"
awk -F' \\|\\|\\| ' '$1 == prev && $4 + 0 > last { bad++ } { prev = $1; last = $4 + 0 } END { exit bad > 0 }' rr ||
    fail "--rerank did not sort each sentence"
"$S2S" score -m b.s2s --src t.de --nbest list --rerank 1 --1best -q > best || fail "--1best"
[ "$(wc -l < best)" -eq 31 ] || fail "--1best: $(wc -l < best) lines for 31 source lines"
awk -F' \\|\\|\\| ' '!($1 in seen) { seen[$1]; print $2 }' rr | cmp -s - best || fail "--1best is not the re-ranked first"
# a list with some sentences only: --1best answers every source line
grep -E '^(2|5) ' list > sparse
"$S2S" score -m b.s2s --src t.de --nbest sparse --1best -q > sb || fail "--1best on a sparse list"
[ "$(wc -l < sb)" -eq 31 ] && [ -z "$(sed -n 1p sb)" ] && [ -n "$(sed -n 3p sb)" ] && [ -n "$(sed -n 6p sb)" ] &&
    [ -z "$(sed -n 7p sb)" ] || fail "--1best on sentences 2 and 5: $(tr '\n' '|' < sb)"
# our own --alignment lists have a fifth field, kept
tr1 -m b.s2s --beam 2 --nbest 2 --alignment hard > al.list
"$S2S" score -m a.s2s --src t.de --nbest al.list -q > al.resc || fail "rescore a list with alignments"
paste -d'\t' al.list al.resc | awk -F'\t' '{ n = split($1, a, / \|\|\| /); m = split($2, b, / \|\|\| /)
    if (n != 5 || m != 5 || a[5] != b[5]) bad++ } END { exit bad > 0 }' || fail "the alignment field was not kept"
# malformed lists name the line
sed -n 1p list > bad1; echo "0 ||| x ||| F0= 1" >> bad1
expect 1 "bad1:2: 3 fields" "$S2S" score -m a.s2s --src t.de --nbest bad1
sed -n 5,6p list > bad2; sed -n 1p list >> bad2
expect 1 "bad2:3: sentence index 0 after 1" "$S2S" score -m a.s2s --src t.de --nbest bad2
echo "99 ||| x ||| F0= -1 ||| -1" > bad3
expect 1 "bad3:1: sentence index 99, but t.de has 31 lines" "$S2S" score -m a.s2s --src t.de --nbest bad3
echo "0 ||| x ||| F0= -1 ||| nan" > bad4
expect 1 "bad4:1: the total 'nan' is not a number" "$S2S" score -m a.s2s --src t.de --nbest bad4
echo "x ||| x ||| F0= -1 ||| -1" > bad5
expect 1 "bad5:1: the sentence index 'x'" "$S2S" score -m a.s2s --src t.de --nbest bad5
printf '0 ||| \xff ||| F0= -1 ||| -1\n' > bad6
expect 1 "bad6:1: invalid UTF-8" "$S2S" score -m a.s2s --src t.de --nbest bad6
expect 2 "one of --tgt or --nbest" "$S2S" score -m a.s2s --src t.de --nbest list --tgt t.en
expect 2 "are for --nbest" "$S2S" score -m a.s2s --src t.de --tgt t.en --rerank 1
expect 2 "--feature-name: 'a b' is not a name" "$S2S" score -m a.s2s --src t.de --nbest list --feature-name 'a b'
cp list l2 # the list appended to itself: refused, and left as it was
"$S2S" score -m a.s2s --src t.de --nbest l2 -q >> l2 2> err.txt
rc=$?
[ $rc -eq 1 ] && grep -Eq "same file|is also" err.txt || fail "rescoring into its own list: exit $rc, $(head -2 err.txt)"
cmp -s l2 list || fail "the list changed"
exit $((fails > 0))
