#!/usr/bin/env bash
# Lexical shortlists: `s2s shortlist learn` (ibm1 and cooc) writes Marian's
# lex.s2t lines for the fixture model; --shortlist FILE FIRST with FIRST
# past the vocabulary decodes byte for byte as without one (translate's
# n-best and scores in fp32 and int8, score, n-best rescoring, serve); a
# small shortlist still gives one line per input, says on stderr that
# scores are over it, and every scored log-probability is at least the
# full vocabulary's (a softmax over fewer tokens); bad shortlists are
# refused naming file and line, and nothing is overwritten.
set -u
. "$(dirname "$0")/lib_cli.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
client="python3 $root/tests/serve_client.py"
cd "$tmp" || exit 1
d=$root/data/demo
m=$root/tests/fixtures/model-v0.1-word.s2s
head -3000 "$d/train.en" > s.en; head -3000 "$d/train.de" > s.de
head -60 "$d/test.en" > t.en; head -60 "$d/test.de" > t.de

# ---- learning ----
for method in ibm1 cooc; do
    "$S2S" shortlist learn -m "$m" --src s.en --tgt s.de -o "$method.lex" --method $method --best 30 \
        2> "learn.$method.err" || fail "shortlist learn --method $method: $(cat "learn.$method.err")"
    [ -s "$method.lex" ] || fail "$method: nothing written"
    awk 'NF != 3 || $3 + 0 < 0 || $3 + 0 > 1.000001 { bad++ } END { exit bad > 0 }' "$method.lex" ||
        fail "$method: a line is not 'TARGET SOURCE PROBABILITY'"
    most=$(awk '{ n[$2]++ } END { for (s in n) if (n[s] > m) m = n[s]; print m + 0 }' "$method.lex")
    [ "$most" -le 30 ] || fail "$method: $most entries for one source token (--best 30)"
done
grep -q "EM iteration 5/5" learn.ibm1.err || fail "ibm1: no progress: $(cat learn.ibm1.err)"
"$S2S" shortlist learn -m "$m" --src s.en --tgt s.de --best 30 -q | cmp -s - ibm1.lex ||
    fail "learning twice (to stdout) gives another file"

# ---- a shortlist of the whole vocabulary changes nothing ----
all="--shortlist ibm1.lex 100000000"
for p in fp32 int8; do
    "$S2S" translate -m "$m" -q --precision $p --nbest 3 < t.en > "nb.$p" || fail "translate $p"
    "$S2S" translate -m "$m" -q --precision $p --nbest 3 $all < t.en > "nb.$p.all" || fail "translate $p $all"
    cmp -s "nb.$p" "nb.$p.all" || fail "$p: n-best over the whole vocabulary as a shortlist differs"
done
"$S2S" translate -m "$m" -q -b 1 --scores < t.en > g.txt
"$S2S" translate -m "$m" -q -b 1 --scores $all 100 < t.en > g.all || fail "--shortlist FILE FIRST BEST"
cmp -s g.txt g.all || fail "greedy over the whole vocabulary as a shortlist differs"
"$S2S" score -m "$m" -q --src t.en --tgt t.de > sc.txt
"$S2S" score -m "$m" -q --src t.en --tgt t.de $all > sc.all
cmp -s sc.txt sc.all || fail "score over the whole vocabulary as a shortlist differs"
"$S2S" score -m "$m" -q --src t.en --nbest nb.fp32 > rs.txt
"$S2S" score -m "$m" -q --src t.en --nbest nb.fp32 $all > rs.all
cmp -s rs.txt rs.all || fail "rescoring over the whole vocabulary as a shortlist differs"

# ---- a small shortlist ----
"$S2S" translate -m "$m" --nbest 2 --shortlist ibm1.lex 20 5 < t.en > nb.small 2> small.err ||
    fail "translate --shortlist ibm1.lex 20 5: $(cat small.err)"
[ "$(wc -l < nb.small)" -eq 120 ] || fail "small shortlist: $(wc -l < nb.small) n-best lines, wanted 120"
grep -q "scores are over each batch's shortlist" small.err || fail "translate does not say the scores are over the shortlist"
for l in ibm1 cooc; do
    "$S2S" score -m "$m" --src t.en --tgt t.de --shortlist $l.lex 20 5 > "sc.$l" 2> sc.err || fail "score --shortlist $l"
    grep -q "scores are over each batch's shortlist" sc.err || fail "score does not say the scores are over the shortlist"
    # "tokens logprob" per pair: over a subset of the vocabulary, never lower
    paste sc.txt "sc.$l" | awk '$1 != $3 || $4 < $2 - 1e-4 { bad++ } $4 > $2 + 1e-3 { up++ }
        END { exit !(bad == 0 && up > 0) }' || fail "$l: a log-probability over the shortlist is below the full one (or none above)"
done

# ---- what is refused ----
printf 'the the 0.5\nDas\n' > bad.lex
expect 1 "bad.lex:2: expected 'TARGET SOURCE PROBABILITY', found 1 field" "$S2S" translate -m "$m" --shortlist bad.lex -i t.en
printf 'the the x\n' > bad.lex
expect 1 "bad.lex:1: probability 'x' is not a number >= 0" "$S2S" score -m "$m" --shortlist bad.lex --src t.en --tgt t.de
printf 'x y 0.5\n' > other.lex
expect 1 "other.lex: no entry whose tokens the model knows" "$S2S" translate -m "$m" --shortlist other.lex -i t.en
expect 1 "nothere.lex: cannot open" "$S2S" translate -m "$m" --shortlist nothere.lex -i t.en
expect 2 "--shortlist FILE \[FIRST \[BEST\]\]: '100' is not a file name" "$S2S" translate -m "$m" --shortlist 100 -i t.en
cp ibm1.lex keep.lex
expect 1 "same file as the input keep.lex" "$S2S" translate -m "$m" --shortlist keep.lex -i t.en -o keep.lex
cmp -s keep.lex ibm1.lex || fail "translate -o over its shortlist changed it"
expect 1 "same file as the input s.en" "$S2S" shortlist learn -m "$m" --src s.en --tgt s.de -o s.en
expect 2 "--method: 'ibm2' is not ibm1 or cooc" "$S2S" shortlist learn -m "$m" --src s.en --tgt s.de --method ibm2
expect 2 "--model, --src and --tgt are required" "$S2S" shortlist learn -m "$m" --src s.en
expect 2 "" "$S2S" shortlist frobnicate
head -5 s.de > short.de
expect 1 "s.en has 3000 lines but short.de has 5" "$S2S" shortlist learn -m "$m" --src s.en --tgt short.de -o x.lex
[ ! -e x.lex ] || fail "a failed learn left x.lex"

# ---- serve ----
if command -v python3 > /dev/null; then
    "$S2S" serve -m "$m" --port 0 --threads 1 --beam 3 --shortlist ibm1.lex 100000000 2> serve.log &
    pid=$!
    trap 'kill -KILL $pid 2> /dev/null; rm -rf "$tmp"' EXIT
    if wait_until 120 grep -q "listening on" serve.log; then
        port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' serve.log)
        $client "$port" translate t.en > served.txt || fail "serve --shortlist: $(cat served.txt)"
        "$S2S" translate -m "$m" -q -b 3 < t.en > want.txt
        cut -f2 served.txt | cmp -s - want.txt || fail "serve over the whole vocabulary as a shortlist differs from translate"
        $client "$port" status GET /models > models.txt
        grep -q '"precision":"fp32","shortlist":{"first":100000000,"best":100}' models.txt ||
            fail "/models does not name the precision and the shortlist: $(cat models.txt)"
    else
        fail "serve --shortlist did not start: $(cat serve.log)"
    fi
    kill -TERM "$pid" 2> /dev/null
    wait "$pid"
fi

[ "$fails" -eq 0 ] && echo "cli_shortlist: all passed" || echo "cli_shortlist: $fails failure(s)"
[ "$fails" -eq 0 ]
