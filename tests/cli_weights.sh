#!/usr/bin/env bash
# Hostile weights: a model whose weights are finite but huge (3e38, which
# overflow every product) is refused at load by translate, score, serve and
# train --resume, naming the tensor; weights at the bound (+-1e6) decode to
# finite scores; the decoder never prints <pad> or <s>, even when a model
# favours them (all logits equal: <pad> is the first maximum).
set -u
. "$(dirname "$0")/lib_cli.sh"
demo=$(cd "$(dirname "$0")/../data/demo" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
cd "$tmp" || exit 1
command -v python3 > /dev/null || { echo "cli_weights: no python3: skipped"; exit 77; }
head -200 "$demo/train.en" > s.en; head -200 "$demo/train.de" > s.de; head -6 "$demo/test.en" > t.en
"$S2S" train --src s.en --tgt s.de --embed 16 --hidden 16 --batch 16 --max-steps 5 --threads 1 -q \
    --model m.s2s || fail "training the test model"

# ---- over the bound: refused at load ----
python3 "$here/reseal.py" m.s2s huge.s2s --fill 3e38 || fail "reseal"
msg="huge.s2s: tensor src_embed \(.*\), element 0 \(row 0, col 0\) is 3e\+38, over the bound of 1e\+06"
expect 1 "$msg" "$S2S" translate -m huge.s2s -i t.en
expect 1 "$msg" "$S2S" score -m huge.s2s --src t.en --tgt t.en
expect 1 "$msg" timeout -s KILL 120 "$S2S" serve -m huge.s2s --port 0 # the bound guards a hang only
expect 1 "$msg" "$S2S" train --resume huge.s2s --src s.en --tgt s.de --max-steps 6 -q --model again.s2s
[ ! -e again.s2s ] || fail "a resumed run from a refused model wrote a model"

# ---- at the bound: finite scores, no special token printed ----
finite() { ! grep -Eiq 'nan|inf' "$1"; }
no_specials() { ! grep -Eq '<pad>|<s>|</s>' "$1"; }
for v in 1e6 -1e6; do
    python3 "$here/reseal.py" m.s2s w.s2s --fill $v || fail "reseal $v"
    for opts in "--beam 1" "--beam 5" "--nbest 3" "--sample --seed 3"; do
        "$S2S" translate -m w.s2s --scores $opts -q < t.en > out.txt || fail "$v $opts: exit $?"
        want=6; [ "$opts" = "--nbest 3" ] && want=18
        [ "$(wc -l < out.txt)" = $want ] || fail "$v $opts: $(wc -l < out.txt) lines, wanted $want"
        finite out.txt || fail "weights $v, $opts: a score is not finite: $(head -2 out.txt)"
        no_specials out.txt || fail "weights $v, $opts: a special token printed: $(head -c 200 out.txt)"
    done
    "$S2S" score -m w.s2s --src t.en --tgt t.en -q > score.txt 2> score.err || fail "$v score: $(cat score.err)"
    finite score.txt && finite score.err || fail "weights $v: score is not finite: $(cat score.txt score.err | head -3)"
done
[ "$fails" -eq 0 ] && echo "cli_weights: all passed" || echo "cli_weights: $fails failure(s)"
[ "$fails" -eq 0 ]
