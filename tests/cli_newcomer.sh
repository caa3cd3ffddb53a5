#!/usr/bin/env bash
# A newcomer's traps that must not be silent: `s2s train` alone points to
# --help; --time-limit is each run's own budget on --resume; a run started
# afresh (--overwrite) starts its --log afresh, the old one moved aside;
# patience counts a validation where any metric improved as progress.
set -u
. "$(dirname "$0")/lib_cli.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
demo=$root/data/demo
cd "$tmp"
head -300 "$demo/train.en" > s.en; head -300 "$demo/train.de" > s.de
head -30 "$demo/valid.en" > v.en; head -30 "$demo/valid.de" > v.de
small=(--src s.en --tgt s.de --embed 16 --hidden 16 --threads 1 --tokenizer word)

# ---- s2s train with nothing: what to type ----
expect 2 "s2s train --help lists every option" "$S2S" train

# ---- --time-limit on --resume: this run's budget, not the total ----
"$S2S" train "${small[@]}" --max-steps 3 --time-limit 20 --model b.s2s -q || fail "train b.s2s"
el=$(python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); i=b.find(b"\"elapsed\":"); print(b[i:b.find(b",",i)].decode())' b.s2s)
python3 "$root/tests/reseal.py" b.s2s b25.s2s "$el" '"elapsed":25' || fail "reseal elapsed ($el)"
"$S2S" train --resume b25.s2s --max-steps 6 --time-limit 20 2> r.err || fail "resume with --time-limit 20 after 25 s: $(tail -2 r.err)"
"$S2S" info b25.s2s | grep -Eq '"step":[[:space:]]*6,' || fail "--time-limit 20 after 25 s of earlier runs: not trained to step 6"

# ---- a run started afresh starts its log afresh; the earlier one is kept aside ----
"$S2S" train "${small[@]}" --max-steps 4 --report-every 0 --model o.s2s --log o.jsonl -q || fail "first run"
"$S2S" train "${small[@]}" --max-steps 2 --report-every 0 --model o.s2s --log o.jsonl --overwrite 2> o.err ||
    fail "--overwrite run"
[ "$(grep -c '"step":1,' o.jsonl)" = 1 ] && [ "$(logged_step o.jsonl)" = 2 ] ||
    fail "--overwrite appended to the old log: $(grep -o '"step":[0-9]*' o.jsonl | tr '\n' ' ')"
[ "$(logged_step o.jsonl.1)" = 4 ] || fail "the earlier run's log was not moved to o.jsonl.1"
grep -q "o.jsonl held an earlier run's log: moved to o.jsonl.1" o.err || fail "no word on the moved log: $(cat o.err)"
"$S2S" train --resume o.s2s --max-steps 3 --report-every 0 --log o.jsonl -q || fail "resume with --log"
[ "$(logged_step o.jsonl)" = 3 ] && [ "$(grep -c '"step":1,' o.jsonl)" = 1 ] && [ ! -e o.jsonl.2 ] ||
    fail "a resumed run does not append to its log"

# ---- patience: a validation where any metric improved is progress ----
# A 16-unit model's greedy BLEU stays at its first value for these steps while perplexity
# falls: patience 1 on BLEU alone stopped after the second validation.
"$S2S" train "${small[@]}" --valid-src v.en --valid-tgt v.de --valid-metrics bleu,ppl --valid-every 4 \
    --max-steps 16 --patience 1 --model p.s2s --log p.jsonl 2> p.err || fail "training with --patience"
grep -q "saved p.s2s after 16 steps" p.err || fail "--patience 1 stopped a run whose perplexity fell: $(grep valid p.err)"
"$S2S" train "${small[@]}" --valid-src v.en --valid-tgt v.de --valid-metrics bleu,ppl --valid-every 4 \
    --max-steps 16 --patience 1 --early-stopping-on first --model p1.s2s 2> p1.err || fail "--early-stopping-on first"
grep -q "out of patience" p1.err || fail "--early-stopping-on first: BLEU alone did not stop the run: $(grep valid p1.err)"
expect 2 "--early-stopping-on: 'all' is not any or first" "$S2S" train "${small[@]}" --early-stopping-on all

[ "$fails" -eq 0 ] && echo "cli_newcomer: all passed" || echo "$fails failure(s)"
[ "$fails" -eq 0 ]
