#!/usr/bin/env bash
# s2s tokenize / detokenize / bpe from the command line, and a model
# trained with --tokenizer bpe that takes raw German in and gives raw
# English out.
set -u
. "$(dirname "$0")/lib_cli.sh"
m30k=${S2S_SHARED_DATA:-$(dirname "$0")/../../shared/data}/multi30k
[ -f "$m30k/train.de" ] || { echo "cli_tok: $m30k/train.de not found (set S2S_SHARED_DATA)"; exit 1; }
m30k=$(cd "$m30k" && pwd)
cd "$tmp" || exit 1

# ---- round trips, byte for byte ----
for f in "$m30k/val.de" "$m30k/test2016.en"; do
    "$S2S" tokenize -i "$f" | "$S2S" detokenize | cmp -s - "$f" || fail "round trip of $f"
done
printf '  lead\ttab  trail \r\n\nZwei  Männer, „hier“…\r\n\xef\xbf\xad \xef\xbf\xae\n' > odd.txt
"$S2S" tokenize < odd.txt > odd.tok && "$S2S" detokenize < odd.tok | cmp -s - odd.txt || fail "round trip of odd.txt"
# a Prepend character (U+0600..0605, U+06DD, U+070F, U+08E2, U+110BD) takes the space after it into its
# grapheme cluster: the space is still recorded
printf '\xd8\x80 x\n\xd8\x85 x \xdb\x9d y\n\xdc\x8f\t\xe0\xa3\xa2  z\n\xf0\x91\x82\xbd \xef\xbf\xad\n' > prepend.txt
"$S2S" tokenize < prepend.txt | "$S2S" detokenize | cmp -s - prepend.txt || fail "round trip after Prepend characters"
# detokenize and bpe apply take what tokenize makes of the longest line it takes (1 MiB): 100,000
# flags (800 KB, 1.2 MB of tokens), 1 MiB of "!?" (5 MiB of tokens)
yes $'\xf0\x9f\x87\xa9\xf0\x9f\x87\xaa' | head -n 100000 | tr -d '\n' > flags.txt; echo >> flags.txt
yes '!?' | head -n 524288 | tr -d '\n' > marks.txt; echo >> marks.txt
for f in flags.txt marks.txt; do
    "$S2S" tokenize < $f > $f.tok && "$S2S" detokenize < $f.tok | cmp -s - $f || fail "round trip of $f ($(wc -c < $f.tok) bytes of tokens)"
done
[ "$(wc -l < odd.tok)" -eq 4 ] || fail "4 lines in, $(wc -l < odd.tok) out"
printf 'gut\nschl\xe4cht\n' > latin1.txt
expect 1 "latin1.txt:2: invalid UTF-8 at byte 4" "$S2S" tokenize -i latin1.txt
expect 2 "unknown option" "$S2S" tokenize --frobnicate
expect 1 "s2s tokenize: stdin: cannot read: Bad file descriptor" "$S2S" tokenize <&-
expect 1 "s2s detokenize: stdin: cannot read: Bad file descriptor" "$S2S" detokenize <&-
expect_full 1 "s2s tokenize: stdout: write failed: No space left on device" "$S2S" tokenize -i odd.txt
expect_full 1 "s2s detokenize: stdout: write failed: No space left on device" "$S2S" detokenize -i odd.txt

# ---- BPE ----
head -3000 "$m30k/train.de" > s.de; head -3000 "$m30k/train.en" > s.en
"$S2S" bpe learn --merges 2000 -i s.de -i s.en -o c1.bpe -q || fail "bpe learn"
"$S2S" bpe learn --merges 2000 -i s.de -i s.en -o c2.bpe -q || fail "bpe learn again"
cmp -s c1.bpe c2.bpe || fail "learning twice gave different codes"
[ "$(head -1 c1.bpe)" = "#version: 0.2" ] || fail "codes header: $(head -1 c1.bpe)"
[ "$(wc -l < c1.bpe)" -eq 2001 ] || fail "2000 merges wanted, file has $(wc -l < c1.bpe) lines"
"$S2S" tokenize -i s.de | "$S2S" bpe apply --codes c1.bpe > s.bpe || fail "bpe apply"
"$S2S" tokenize --codes c1.bpe -i s.de | cmp -s - s.bpe || fail "tokenize --codes differs from tokenize | bpe apply"
"$S2S" detokenize < s.bpe | cmp -s - s.de || fail "bpe apply then detokenize is not the text"
[ "$(tr ' ' '\n' < s.bpe | wc -l)" -gt "$(tr ' ' '\n' < <("$S2S" tokenize -i s.de) | wc -l)" ] || fail "BPE split nothing"
expect 2 "--codes is required" "$S2S" bpe apply -i s.de
expect_full 1 "s2s bpe apply: stdout: write failed: No space left on device" "$S2S" bpe apply --codes c1.bpe -i s.de
[ -w /dev/full ] && expect 1 "s2s bpe apply: /dev/full: write failed: No space left on device" \
    "$S2S" bpe apply --codes c1.bpe -i s.de -o /dev/full
[ -w /dev/full ] && expect 1 "s2s bpe learn: /dev/full: not a regular file" \
    "$S2S" bpe learn --merges 10 -i s.de -o /dev/full
expect 1 "s2s bpe learn: stdin: cannot read: Bad file descriptor" "$S2S" bpe learn --merges 10 -i - -o x.bpe <&-
expect 2 "--merges, -i and -o are required" "$S2S" bpe learn -i s.de
expect 1 "latin1.txt:2: invalid UTF-8" "$S2S" bpe learn --merges 10 -i latin1.txt -o x.bpe
printf '#version: 0.2\na b\nbroken\n' > bad.bpe
expect 1 "bad.bpe:3: expected two symbols separated by one space" "$S2S" tokenize --codes bad.bpe -i s.de

# ---- raw text in, raw text out ----
head -2000 "$m30k/train.de" > t.de; head -2000 "$m30k/train.en" > t.en
"$S2S" train --src t.de --tgt t.en --tokenizer bpe --bpe-merges 1500 --embed 64 --hidden 64 \
    --batch 32 --max-steps 250 --optim sgd --lr 8 --clip 1 --dropout 0 --threads 2 -q --model m.s2s || fail "train bpe"
"$S2S" info --json m.s2s | grep -q '"kind":[[:space:]]*"bpe"' || fail "model does not record the bpe tokenizer"
"$S2S" info --json m.s2s | grep -q '"merges"' || fail "model does not hold the merges"
head -50 "$m30k/test2016.de" > raw.de
"$S2S" translate -m m.s2s -q -i raw.de -o raw.en --beam 2 || fail "translate raw text"
[ "$(wc -l < raw.en)" -eq 50 ] || fail "50 lines in, $(wc -l < raw.en) out"
grep -q $'\xef\xbf[\xad\xae]' raw.en && fail "tokenizer marks left in the output: $(head -2 raw.en)"
glued=$(grep -c '[[:alpha:]]\.$' raw.en)
[ "$glued" -ge 25 ] || fail "only $glued of 50 outputs end in a word with its full stop attached: $(head -3 raw.en)"
echo "sample: $(head -2 raw.en | tr '\n' '|')"
"$S2S" train --src t.de --tgt t.en --bpe-codes c1.bpe --embed 16 --hidden 16 --max-steps 2 -q --model m2.s2s \
    || fail "train with --bpe-codes"
last=$(tail -1 c1.bpe)
"$S2S" info --json m2.s2s | grep -qF "\"$last\"]" || fail "--bpe-codes: the last merge '$last' is not stored last"

echo "cli_tok: $fails failures"
[ "$fails" -eq 0 ]
