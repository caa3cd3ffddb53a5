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
"$S2S" info --json b25.s2s | grep -Eq '"step":[[:space:]]*6,' || fail "--time-limit 20 after 25 s of earlier runs: not trained to step 6"

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

# ---- OpenNMT-py's single-dash options ----
"$S2S" train "${small[@]}" --max-steps 3 --model m.s2s -q || fail "train m.s2s"
head -20 "$demo/test.en" > t.en
"$S2S" translate -m m.s2s --beam 3 --nbest 2 --batch 4 -i t.en -o ours.txt -q || fail "translate, our names"
"$S2S" translate -model m.s2s -src t.en -output onmt.txt -beam_size 3 -n_best 2 -batch_size 4 -q ||
    fail "translate with OpenNMT-py's options"
cmp -s ours.txt onmt.txt && [ -s ours.txt ] || fail "OpenNMT-py's option names translate differently"
expect 2 "-replace_unk is OpenNMT-py's: no unknown-word replacement" "$S2S" translate -model m.s2s -replace_unk
expect 2 "-verbose is OpenNMT-py's: use --scores" "$S2S" translate -model m.s2s -verbose
expect 2 "-gpu is OpenNMT-py's: s2s runs on the CPU" "$S2S" translate -model m.s2s -gpu 0
"$S2S" train --src s.en --tgt s.de --tokenizer word --embed 32 --hidden 32 --batch 16 --max-steps 200 --threads 2 \
    --model long.s2s -q || fail "train long.s2s"
"$S2S" translate -m long.s2s -i t.en -q | awk 'NF > 2 { n++ } END { exit !(n > 0) }' || fail "long.s2s: no output over 2 words"
"$S2S" translate -model long.s2s -src t.en -max_length 2 -q > ml.txt && "$S2S" translate -m long.s2s -i t.en --max-out-len 2 -q |
    cmp -s - ml.txt && [ "$(wc -l < ml.txt)" = 20 ] && awk 'NF != 2 { exit 1 }' ml.txt || fail "-max_length 2 / --max-out-len 2: $(head -3 ml.txt)"
expect 2 "unknown option '-min_length' \(did you mean" "$S2S" translate -model m.s2s -min_length 3
expect 2 "unknown option '-xyz_abc'$" "$S2S" translate -model m.s2s -xyz_abc 3
"$S2S" train -src s.en -tgt s.de -save_model onmt.s2s -train_steps 2 -rnn_size 8 -word_vec_size 8 -batch_size 16 \
    -learning_rate 0.01 -threads 1 -q && "$S2S" train --src s.en --tgt s.de --model ours.s2s --max-steps 2 --hidden 8 \
    --embed 8 --batch 16 --lr 0.01 --threads 1 -q || fail "train with OpenNMT-py's options"
params() { "$S2S" info --json "$1" | grep params_fnv; }
[ -n "$(params ours.s2s)" ] && [ "$(params ours.s2s)" = "$(params onmt.s2s)" ] || fail "OpenNMT-py's train options train another model"
expect 2 "-gpu_ranks is OpenNMT-py's: s2s runs on the CPU" "$S2S" train -src s.en -tgt s.de -gpu_ranks 0

# ---- Marian's names: accepted with our meaning, or refused saying what to type ----
"$S2S" train --train-sets s.en s.de --model marian.s2s --after-batches 2 --dim-rnn 8 --dim-emb 8 --mini-batch 16 \
    --learn-rate 0.01 --optimizer adam --cpu-threads 1 -q || fail "train with Marian's options"
[ "$(params marian.s2s)" = "$(params ours.s2s)" ] || fail "Marian's train options train another model"
"$S2S" train --train-sets s.en s.de --valid-sets v.en v.de --valid-freq 2u --save-freq 2 --early-stopping 3 \
    --after-epochs 1 --max-steps 4 --mini-batch-words 200 --embed 8 --hidden 8 --model mv.s2s --log mv.jsonl -q ||
    fail "train with Marian's validation options"
[ "$(grep -c valid_ppl mv.jsonl)" = 2 ] || fail "--valid-freq 2u: $(grep -c valid_ppl mv.jsonl) validations in 4 steps"
expect 2 "--valid-freq 1e: s2s counts --valid-every in steps" "$S2S" train "${small[@]}" --valid-freq 1e
expect 2 "--train-sets takes two files" "$S2S" train --train-sets s.en --model x.s2s
expect 2 "option '--lr' given twice \(or with its other name\)" "$S2S" train "${small[@]}" --learn-rate 1 --lr 2
for o in "--enc-depth 2:use --layers N" "--dec-depth 2:use --layers N" "--vocabs a b:--src-vocab N" \
    "--log-level info:no log levels" "--devices 0:s2s runs on the CPU" "--type s2s:use --arch"; do
    o1=${o%%:*}
    expect 2 "${o1%% *} is Marian's: .*${o#*:}" "$S2S" train "${small[@]}" $o1
done
"$S2S" translate -m m.s2s --beam-size 3 --mini-batch 4 --cpu-threads 1 --max-length 200 -i t.en -q > mt.txt &&
    "$S2S" translate -m m.s2s --beam 3 --batch 4 --threads 1 -i t.en -q | cmp -s - mt.txt || fail "Marian's translate names"
for o in "--max-length-factor 3:use --max-len-ratio" "--output-sampling full:use --sample" \
    "--word-scores:no scores per word" "--models m.s2s:-m FILE once"; do
    o1=${o%%:*}
    expect 2 "${o1%% *} is Marian's: .*${o#*:}" "$S2S" translate -m m.s2s $o1
done
"$S2S" score -m m.s2s --src t.en --tgt t.en --cpu-threads 1 -q > sc.txt && [ "$(wc -l < sc.txt)" = 20 ] ||
    fail "score --cpu-threads"
"$S2S" help --markdown habits > habits.md && grep -q '^| `--train-sets` | Marian | train | accepted' habits.md ||
    fail "s2s help --markdown habits"

# ---- averaging refuses models of two training runs; the run id survives resume and copies ----
runid() { "$S2S" info --json "$1" | grep -o '"run_id":[[:space:]]*"[0-9a-f]*"' | grep -o '[0-9a-f]\{16\}'; }
"$S2S" train "${small[@]}" --max-steps 4 --seed 1 --model r1.s2s -q && "$S2S" train "${small[@]}" --max-steps 4 \
    --seed 2 --model r2.s2s -q || fail "train two runs"
[ -n "$(runid r1.s2s)" ] && [ "$(runid r1.s2s)" != "$(runid r2.s2s)" ] || fail "run ids: '$(runid r1.s2s)' '$(runid r2.s2s)'"
expect 1 "r1.s2s and r2.s2s come from two training runs \(run ids [0-9a-f]+ and [0-9a-f]+: other initial weights\).*--force" \
    "$S2S" average -o avg.s2s r1.s2s r2.s2s
[ ! -e avg.s2s ] || fail "a refused average was written"
"$S2S" average -o avg.s2s r1.s2s r2.s2s --force -q || fail "average --force"
cp r1.s2s r1b.s2s && "$S2S" train --resume r1b.s2s --max-steps 6 -q || fail "resume r1b"
[ "$(runid r1b.s2s)" = "$(runid r1.s2s)" ] || fail "resume changed the run id"
"$S2S" average -o same.s2s r1.s2s r1b.s2s -q && [ "$(runid same.s2s)" = "$(runid r1.s2s)" ] ||
    fail "averaging one run's checkpoints: refused, or the run id lost"
"$S2S" convert --precision int8 -o r1.int8.s2s r1.s2s -q && [ "$(runid r1.int8.s2s)" = "$(runid r1.s2s)" ] ||
    fail "convert lost the run id"

# ---- the language pair is recorded, and a wrong-direction input is named ----
"$S2S" info --json r1.s2s | tr -d ' \t\n' | grep -q '"languages":{"src":"en","tgt":"de"}' || fail "languages from the suffixes: $("$S2S" info --json r1.s2s | grep -A2 languages)"
"$S2S" translate -m r1.s2s -i "$demo/test.de" -o /dev/null -q 2> wrong.err || fail "translate the wrong language"
grep -q "warning: [0-9.]*% of the source tokens are unknown to r1.s2s, which translates en to de: is the input en?" wrong.err ||
    fail "no wrong-direction warning: $(cat wrong.err)"
"$S2S" translate -m r1.s2s -i t.en -o /dev/null -q 2> right.err && ! grep -q "warning" right.err || fail "warned on the right language: $(cat right.err)"
cp s.en corpus.txt; cp s.de corpus2.txt
"$S2S" train --src corpus.txt --tgt corpus2.txt --tokenizer word --embed 8 --hidden 8 --max-steps 1 --src-lang en \
    --tgt-lang de --model lp.s2s -q && "$S2S" info --json lp.s2s | tr -d ' \t\n' | grep -q '"languages":{"src":"en","tgt":"de"}' ||
    fail "--src-lang/--tgt-lang not recorded"
expect 2 "--src-lang: 'e n' is not a language code" "$S2S" train "${small[@]}" --src-lang "e n"

# ---- s2s info: a summary by default, the whole metadata with --json ----
"$S2S" info r1.s2s > sum.txt || fail "info r1.s2s"
for k in "file:.*format version 2, [0-9]+ bytes: checked" "architecture: +attention \(general score\), lstm, 2 layers, embeddings 16, hidden 16" \
    "parameters: +[0-9]+" "vocabularies: +[0-9]+ source, [0-9]+ target" "tokenizer: +word" "languages: +en -> de" \
    "training: +step 4, epoch 1" "run id: +[0-9a-f]{16}" "checksums: +file [0-9a-f]{16}, parameters [0-9a-f]{16}"; do
    grep -Eq "^$k" sum.txt || fail "info summary lacks /$k/: $(cat sum.txt)"
done
[ "$(wc -c < sum.txt)" -lt 2000 ] || fail "info summary is $(wc -c < sum.txt) bytes"
"$S2S" info --json r1.s2s | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["src_vocab"] and d["file"]["params_fnv1a64"]' ||
    fail "info --json is not the whole metadata"
"$S2S" info r1.int8.s2s | grep -q "^precision: *int8" || fail "info summary of an int8 file"

# ---- every input checked before any work (BPE, vocabularies) ----
head -299 s.de > short.de
expect 1 "s.en has 300 lines but short.de has 299: the files must be aligned line by line" \
    "$S2S" train --src s.en --tgt short.de --embed 8 --hidden 8 --max-steps 1 --model x.s2s
! grep -q "BPE\|learn" err.txt || fail "misaligned corpus reported after work began: $(cat err.txt)"
expect 1 "missing.de: cannot open" "$S2S" train --src s.en --tgt missing.de --embed 8 --hidden 8 --max-steps 1 --model x.s2s
! grep -q "BPE\|learn" err.txt || fail "missing corpus reported after work began: $(cat err.txt)"
expect 1 "v.en has 30 lines but short.de has 299" "$S2S" train --src s.en --tgt s.de --valid-src v.en --valid-tgt short.de \
    --embed 8 --hidden 8 --max-steps 1 --model x.s2s
! grep -q "BPE\|learn" err.txt || fail "misaligned validation set reported after work began: $(cat err.txt)"
expect 1 "nocodes.txt: cannot open" "$S2S" train --src s.en --tgt s.de --bpe-codes nocodes.txt --max-steps 1 --model x.s2s
[ ! -e x.s2s ] || fail "a model was written"

# ---- --dump-config: every resolved option, without data options, threads "auto" ----
"$S2S" train --dump-config > dc.json || fail "--dump-config without --src/--tgt"
python3 - dc.json <<'PY' || fail "--dump-config: $(tr -d '\n\t' < dc.json | head -c 600)"
import json, sys
d = json.load(open(sys.argv[1]))
want = {"arch": str, "cell": "lstm", "tokenizer": "bpe", "optim": "adam", "valid-metrics": "ppl",
        "threads": "auto", "early-stopping-on": "any", "lr": 0.002, "src": None}
for k, v in want.items():
    assert k in d, k
    assert (isinstance(d[k], v) if isinstance(v, type) else d[k] == v), (k, d[k])
assert "attention" in d
PY
"$S2S" train --dump-config --threads 3 | grep -q '"threads":[[:space:]]*3,' || fail "--dump-config --threads 3"
"$S2S" train --dump-config --valid-bleu --valid-src v.en --valid-tgt v.de | grep -q '"valid-metrics":[[:space:]]*"bleu,ppl"' || fail "--dump-config: valid-metrics with --valid-bleu"
"$S2S" train --help | grep -q -- "--dump-config" || fail "--dump-config not in train --help"
"$S2S" train --dump-config "${small[@]}" --max-steps 2 --model dc1.s2s > dc1.json &&
    "$S2S" train --config dc1.json -q && "$S2S" train "${small[@]}" --max-steps 2 --model dc2.s2s -q || fail "train from a dumped config"
[ "$(params dc1.s2s)" = "$(params dc2.s2s)" ] || fail "the dumped config (threads auto, nulls) trains another model"

# ---- s2s serve speaks OpenNMT-py's REST routes: /translator/*, the model id, alignments ----
client="python3 $root/tests/serve_client.py"
"$S2S" train --src s.en --tgt s.de --tokenizer word --embed 32 --hidden 32 --batch 16 --max-steps 200 --threads 2 \
    --model att.s2s -q || fail "train att.s2s"
"$S2S" serve -m att.s2s --port 0 --model-id 7 --beam 3 2> serve.log &
spid=$!
trap 'kill -KILL $spid 2> /dev/null; rm -rf "$tmp"' EXIT
if wait_until 120 grep -q "listening on" serve.log; then
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' serve.log)
    $client "$port" status GET /translator/health > h.txt && [ "$(head -1 h.txt)" = 200 ] && grep -q '"status":"ok"' h.txt ||
        fail "/translator/health: $(cat h.txt)"
    $client "$port" status GET /translator/models > mo.txt && [ "$(head -1 mo.txt)" = 200 ] || fail "/translator/models"
    tail -1 mo.txt | python3 -c 'import json,sys; m=json.load(sys.stdin)[0]; assert m["id"]==7 and m["tokenizer"]=={"kind":"word","merges":0} and m["languages"]=={"src":"en","tgt":"de"} and m["config"]["arch"]=="attention" and len(m["run_id"])==16, m' ||
        fail "/translator/models is not the summary: $(tail -1 mo.txt | head -c 400)"
    $client "$port" status GET /models | tail -1 | cmp -s - <(tail -1 mo.txt) || fail "/models differs from /translator/models"
    sent="three hundred forty two"
    printf '[{"src": "%s", "id": 7, "align": true}]' "$sent" > ok.json
    $client "$port" status POST /translator/translate ok.json > ok.txt && [ "$(head -1 ok.txt)" = 200 ] || fail "id 7: $(cat ok.txt)"
    want=$(echo "$sent" | "$S2S" translate -m att.s2s --beam 3 --alignment hard -q | sed 's/.* ||| //')
    got=$(tail -1 ok.txt | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][0]["align"])')
    [ -n "$want" ] && [ "$got" = "$want" ] || fail "\"align\": '$got', translate --alignment hard: '$want'"
    printf '[{"src": "%s", "id": 100}]' "$sent" > bad.json
    $client "$port" status POST /translator/translate bad.json > bad.txt
    [ "$(head -1 bad.txt)" = 404 ] && grep -q 'no model with \\"id\\" 100: this server has model 7' bad.txt ||
        fail "an unknown model id: $(cat bad.txt)"
    kill -TERM $spid; wait $spid || fail "serve exited $?"
else
    fail "serve did not start: $(cat serve.log)"
fi
"$S2S" train "${small[@]}" --arch seq2seq --max-steps 2 --model s2s.s2s -q || fail "train s2s.s2s"
"$S2S" serve -m s2s.s2s --port 0 2> serve2.log &
spid=$!
if wait_until 120 grep -q "listening on" serve2.log; then
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' serve2.log)
    printf '[{"src": "one", "align": true, "id": 100}]' > al.json
    $client "$port" status POST /translator/translate al.json > al.txt
    [ "$(head -1 al.txt)" = 400 ] && grep -q 'needs an attention model' al.txt || fail "align with seq2seq: $(cat al.txt)"
    kill -TERM $spid; wait $spid || fail "serve exited $?"
else
    fail "serve did not start: $(cat serve2.log)"
fi

# ---- s2s bleu with sacreBLEU's flags; a tokenized hypothesis is not scored silently ----
m30k=${S2S_SHARED_DATA:-$root/../shared/data}/multi30k
if [ -f "$m30k/test2016.en" ]; then
    head -300 "$m30k/test2016.en" > ref.txt; head -300 "$m30k/val.en" > hyp.txt
else # the demo's German stands in: a reference and a hypothesis with sentence punctuation
    sed 's/$/./' "$demo/test.de" | head -300 > ref.txt; sed 's/$/./' "$demo/valid.de" | head -300 > hyp.txt
fi
"$S2S" bleu ref.txt -i hyp.txt 2> b.err > b.txt && [ ! -s b.err ] || fail "bleu on plain text warned: $(cat b.err)"
"$S2S" tokenize -i hyp.txt | "$S2S" bleu ref.txt 2> tb.err > /dev/null || fail "bleu of tokenized text"
grep -q "s2s bleu: stdin: this looks like tokenized text: forgot to detokenize?" tb.err || fail "no tokenized-text warning: $(cat tb.err)"
"$S2S" tokenize -i hyp.txt | "$S2S" bleu ref.txt --force 2> tf.err > /dev/null && [ ! -s tf.err ] || fail "--force: $(cat tf.err)"
"$S2S" tokenize -i hyp.txt | "$S2S" bleu ref.txt -q 2> tq.err > /dev/null && [ ! -s tq.err ] || fail "-q: $(cat tq.err)"
sed 's/\([.!?]\)$/ \1/' hyp.txt | "$S2S" bleu ref.txt 2> tp.err > /dev/null
grep -q "this looks like tokenized text" tp.err || fail "no warning for punctuation split off: $(cat tp.err)"
sed 's/\([.!?]\)$/ \1/' ref.txt > reft.txt
sed 's/\([.!?]\)$/ \1/' hyp.txt | "$S2S" bleu reft.txt 2> tr.err > /dev/null && [ ! -s tr.err ] ||
    fail "warned though the reference is tokenized alike: $(cat tr.err)"
"$S2S" bleu ref.txt -i hyp.txt -l de-en -sh -m bleu chrf ter > sh.txt || fail "bleu -l de-en -sh"
grep -Eq '^ *BLEU\|#:1\|l:de-en\|c:mixed\|e:no\|tok:13a\|s:exp\|v:[^ ]+ = ' sh.txt &&
    grep -Eq 'chrF2\|#:1\|l:de-en\|c:mixed\|e:yes\|nc:6\|nw:0\|s:no\|v:' sh.txt &&
    grep -Eq 'TER\|#:1\|l:de-en\|c:lc\|t:tercom\|nr:no\|pn:yes\|as:no\|v:' sh.txt || fail "short signatures: $(cat sh.txt)"
"$S2S" bleu ref.txt -i hyp.txt --language-pair de-en --short -b > shb.txt && "$S2S" bleu ref.txt -i hyp.txt -b | cmp -s - shb.txt ||
    fail "-l and -sh changed the score"
"$S2S" bleu ref.txt -i hyp.txt -l de-en | grep -q '^BLEU|nrefs:1|lang:de-en|case:mixed|' || fail "-l: lang not in the signature"
expect 2 "s2s downloads no test sets" "$S2S" bleu -t wmt14 -l de-en -i hyp.txt
expect 2 "s2s downloads no test sets" "$S2S" bleu ref.txt -i hyp.txt --test-set wmt14
expect 2 "-d/--detail .*s2s downloads no test sets" "$S2S" bleu ref.txt -i hyp.txt --detail
expect 2 "-l en-zh: sacreBLEU scores a zh target with its own tokenizer" "$S2S" bleu ref.txt -i hyp.txt -l en-zh
expect 2 "-l: 'german' is not a language pair" "$S2S" bleu ref.txt -i hyp.txt -l german

[ "$fails" -eq 0 ] && echo "cli_newcomer: all passed" || echo "$fails failure(s)"
[ "$fails" -eq 0 ]
