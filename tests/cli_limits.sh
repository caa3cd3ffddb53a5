#!/usr/bin/env bash
# Bounded on any input and under any limit: an address-space limit (ulimit
# -v) too small for the matrix library's threads is an error within
# seconds, never a hang (translate, score, serve, train); a line of a
# million NULs costs one pass; a very long line is scored alone, not in a
# batch of its length, and --max-len reserves nothing until a line needs it.
# The timeouts and CPU limits below only guard against a hang or a
# quadratic blow-up (each far above the expected time), never an
# assumption about speed.
set -u
. "$(dirname "$0")/lib_cli.sh"
demo=$(cd "$(dirname "$0")/../data/demo" && pwd)
cd "$tmp" || exit 1
case $S2S in *asan*) echo "skipped: address-space limits do not apply under AddressSanitizer"; exit 77 ;; esac

head -200 "$demo/train.de" > tr.de; head -200 "$demo/train.en" > tr.en
head -5 "$demo/valid.de" > v.de; head -5 "$demo/valid.en" > v.en
# (seq2seq: an attention model's cost on one 400,000-token line is quadratic in its length)
"$S2S" train --src tr.de --tgt tr.en --arch seq2seq --embed 16 --hidden 16 --layers 1 --batch 16 --threads 1 \
    -q --max-steps 10 --bpe-merges 200 --model m.s2s || fail "train m.s2s"

# ---- an address-space limit too small for the library's threads ----
# 400 MB: less than 2 threads' buffers on any machine. Exit 1 with the
# message, whatever the cores (the library's own threads may be stuck).
# (OpenBLAS: 128 MB buffers, mapped in a loop that never gives up; oneDNN
# maps less and fails instead of looping: only the no-hang sweep applies.)
limited() { (ulimit -v 400000; timeout -s KILL 120 "$@"); }
lim_msg="address-space limit \(ulimit -v 400000 KB\).*--threads"
if "$S2S" --version | grep -q "BLAS OpenBLAS"; then
    expect 1 "$lim_msg" limited "$S2S" translate -m m.s2s -q -i v.de --threads 2
    expect 1 "$lim_msg" limited "$S2S" score -m m.s2s --src v.de --tgt v.en -q --threads 2
    expect 1 "$lim_msg" limited "$S2S" serve -m m.s2s --port 0 --threads 2 -q
    expect 1 "$lim_msg" limited "$S2S" train --src tr.de --tgt tr.en --embed 16 --hidden 16 \
        --layers 1 -q --max-steps 3 --bpe-merges 200 --model x.s2s --threads 2
    # any limit: done or refused, never killed by the guard
    for v in 100000 200000 300000 600000 1000000; do
        (ulimit -v $v; timeout -s KILL 120 "$S2S" translate -m m.s2s -q -i v.de --threads 2 \
            > /dev/null 2> err.txt)
        rc=$?
        [ $rc -eq 0 ] || [ $rc -eq 1 ] || fail "translate under ulimit -v $v: exit $rc: $(head -2 err.txt)"
    done
fi

# ---- a line of a million NULs: linear time ----
# (one pass: well under a second; the old rescanning took minutes. ulimit -t
# counts CPU seconds, which another busy core does not change)
{ head -c 1048000 /dev/zero; echo; echo "ein Mann"; } > nul.de
(ulimit -t 60; "$S2S" translate -m m.s2s -q -i nul.de > nul.out 2> err.txt)
rc=$?
[ $rc -eq 0 ] || fail "translate of a 1 MB NUL line: exit $rc (CPU limit hit?): $(head -2 err.txt)"
[ "$(wc -l < nul.out)" -eq 2 ] || fail "a 1 MB NUL line: $(wc -l < nul.out) output lines, wanted 2"
grep -q "1048000 invalid UTF-8 or NUL bytes replaced" err.txt || fail "the NULs were not reported: $(head -2 err.txt)"

# ---- a long line: scored alone, memory by the batch at hand ----
# 400,000 tokens, with short pairs around it in one batch: a batch of 32 of
# its length took gigabytes; alone it takes a few hundred MB.
python3 -c "print(' '.join(['a'] * 400000))" > long.de
{ head -3 v.de; cat long.de; tail -2 v.de; } > mix.de
{ head -3 v.en; cat long.de; tail -2 v.en; } > mix.en
(ulimit -v 1500000; timeout -s KILL 300 "$S2S" score -m m.s2s --src mix.de --tgt mix.en -q \
    --threads 1 > mix.scores 2> err.txt) || fail "score of a 400,000-token line within 1.5 GB: $(head -2 err.txt)"
[ "$(wc -l < mix.scores)" -eq 6 ] || fail "score: $(wc -l < mix.scores) lines, wanted 6"
"$S2S" score -m m.s2s --src v.de --tgt v.en -q --threads 1 > short.scores
# (equal but for the last bits, which depend on how many rows a product has)
{ head -3 mix.scores; tail -2 mix.scores; } | paste - short.scores |
    awk -F'\t' '{ d = $2 - $4; if ($1 != $3 || d > 1e-4 || d < -1e-4) bad = 1 } END { exit bad }' ||
    fail "the short pairs scored differently beside a long one"
# --max-len 1000000 (accepted) reserves for the lines there are, not for a million tokens
(ulimit -v 1500000; timeout -s KILL 120 "$S2S" translate -m m.s2s -q --max-len 1000000 --threads 1 \
    -i v.de > big.out 2> err.txt) || fail "translate --max-len 1000000 on short lines: $(head -2 err.txt)"
"$S2S" translate -m m.s2s -q --threads 1 -i v.de | cmp -s - big.out ||
    fail "--max-len 1000000 changed the translations of short lines"

exit $((fails > 0))
