#!/usr/bin/env bash
# s2s train / s2s info from the command line: bad inputs give the right exit
# code and a message naming the problem; same seed => identical model;
# resume => identical to an uninterrupted run; config files; the log.
set -u
. "$(dirname "$0")/lib_cli.sh"
demo=$(cd "$(dirname "$0")/../data/demo" && pwd)
cd "$tmp"

params() { "$S2S" info --json "$1" | grep -o '"params_fnv1a64":[[:space:]]*"[0-9a-f]*"' | grep -o '[0-9a-f]\{16\}'; }

head -200 "$demo/train.en" > s.en; head -200 "$demo/train.de" > s.de
head -40 "$demo/valid.en" > v.en; head -40 "$demo/valid.de" > v.de
small="--embed 16 --hidden 16 --layers 2 --batch 16 --threads 2 -q"

# ---- bad inputs ----
head -199 "$demo/train.de" > short.de
expect 1 "s.en has 200 lines but short.de has 199" "$S2S" train --src s.en --tgt short.de $small --max-steps 1
printf 'ein\nzwei \xff drei\n' > bad.de; printf 'one\ntwo\n' > two.en
expect 1 "bad.de:2: invalid UTF-8 at byte 5" "$S2S" train --src two.en --tgt bad.de $small --max-steps 1
: > empty.en; : > empty.de
expect 1 "empty.en: empty file" "$S2S" train --src empty.en --tgt empty.de $small --max-steps 1
expect 1 "missing.en: cannot open" "$S2S" train --src missing.en --tgt s.de $small --max-steps 1
expect 2 "unknown option '--bogus'" "$S2S" train --src s.en --tgt s.de --bogus
expect 2 "--src and --tgt are required" "$S2S" train --max-steps 1
expect 2 "--dropout: 1.5 is out of range" "$S2S" train --src s.en --tgt s.de --dropout 1.5
expect 2 "--layers: 'two' is not an integer" "$S2S" train --src s.en --tgt s.de --layers two
expect 2 "unknown command" "$S2S" frobnicate
expect 2 "usage" "$S2S" info
printf '{"hidden": 16, "bogus": 1}' > bad.json
expect 2 "bad.json: unknown option \"bogus\"" "$S2S" train --config bad.json --src s.en --tgt s.de
printf '{"hidden": 16,' > broken.json
expect 1 "broken.json: not valid JSON \(error at byte" "$S2S" train --config broken.json --src s.en --tgt s.de
expect 2 "--tokenizer: 'foo' is not bpe, word or none" "$S2S" train --src s.en --tgt s.de $small --max-steps 1 --tokenizer foo
printf '{"tokenizer": "foo"}' > tok.json
expect 2 "--tokenizer: 'foo' is not bpe, word or none" "$S2S" train --config tok.json --src s.en --tgt s.de $small --max-steps 1
expect 1 "s.en: no source word occurs 1000000 times or more \(the most frequent occurs [0-9]+ times\): lower --min-freq" \
    "$S2S" train --src s.en --tgt s.de $small --min-freq 1000000
for i in 1 2 3 4 5; do echo "x x x"; done > x.en; printf 'a\nb\nc\nd\ne\n' > x.de
expect 1 "x.de: no target word occurs 10 times or more \(the most frequent occurs once\): lower --min-freq" \
    "$S2S" train --src x.en --tgt x.de $small --min-freq 10
expect 1 "x.en: no source word occurs 16 times or more \(the most frequent occurs 15 times\): lower --min-freq" \
    "$S2S" train --src x.en --tgt x.en $small --min-freq 16
"$S2S" bpe learn --merges 20 -i s.en -o codes.bpe -q || fail "bpe learn"
expect 2 "--bpe-codes is for --tokenizer bpe \(--tokenizer word makes no subwords\)" \
    "$S2S" train --src s.en --tgt s.de $small --tokenizer word --bpe-codes codes.bpe --model bw.s2s
printf '<unk>\n<s> <unk>\n' > sp.en; printf 'a\nb\n' > sp.de
expect 1 "sp.en: no source word to learn: its words are special tokens \(such as <unk>\)" \
    "$S2S" train --src sp.en --tgt sp.de $small --tokenizer none --model sp.s2s

# ---- a config file is one JSON object, not the config key, at most 1 MiB ----
printf '{"batch": 4} trailing' > trail.json
expect 1 "trail.json: 8 bytes after the JSON value at byte 13" "$S2S" train --config trail.json --src s.en --tgt s.de $small --max-steps 1
printf '{"batch": 4} {"batch": 5}' > two.json
expect 1 "two.json: 12 bytes after the JSON value at byte 13" "$S2S" train --config two.json --src s.en --tgt s.de $small --max-steps 1
# cJSON would read "s.en\u0000x" as the file s.en, and keep the first of two keys
printf '{"src": "s.en\\u0000x"}' > nul.json
expect 1 'nul.json: a string holds \\u0000 \(NUL\) at byte 13' "$S2S" train --config nul.json --tgt s.de $small --max-steps 1
printf '{"batch": 4}\0' > raw.json
expect 1 "raw.json: a NUL byte at byte 12" "$S2S" train --config raw.json --src s.en --tgt s.de $small --max-steps 1
printf '{"batch": 4, "batch": 5}' > dup.json
expect 1 'dup.json: the key "batch" appears twice in one object' "$S2S" train --config dup.json --src s.en --tgt s.de $small --max-steps 1
printf '[1]' > array.json
expect 2 "array.json: must be a JSON object of options" "$S2S" train --config array.json --src s.en --tgt s.de $small --max-steps 1
printf '{"config": "c.json"}' > self.json
expect 2 'self.json: "config" cannot be set in a config file' "$S2S" train --config self.json --src s.en --tgt s.de $small --max-steps 1
{ printf '{"batch": 16}'; head -c $((1048576 - 13)) /dev/zero | tr '\0' ' '; } > max.json   # exactly 1 MiB
expect 0 "" "$S2S" train --config max.json --src s.en --tgt s.de $small --max-steps 1 --model max.s2s
printf ' ' >> max.json
expect 1 "max.json: larger than 1048576 bytes \(not a config file\?\)" "$S2S" train --config max.json --src s.en --tgt s.de $small --max-steps 1
# /dev/zero never ends: an unbounded read would hang or eat memory (ulimit -v
# caps it where it can: not under AddressSanitizer, which reserves terabytes)
cap=""; (ulimit -v 2000000 && "$S2S" --version) > /dev/null 2>&1 && cap="ulimit -v 2000000;"
expect 1 "/dev/zero: larger than 1048576 bytes" bash -c "$cap exec timeout 60 \"\$0\" train --config /dev/zero --src s.en --tgt s.de $small --max-steps 1" "$S2S"

# ---- an empty first line is skipped, not "out of memory" (found by fuzz_corpus) ----
printf '\nzwei\ndrei\n' > e.de; printf 'x\ntwo\nthree\n' > e.en
expect 0 "skipped 0 pairs longer than --max-len 50 and 1 pairs with an empty side" \
    "$S2S" train --src e.en --tgt e.de $small --max-steps 1 --model e.s2s

# ---- over-long pairs are skipped and counted ----
expect 0 "skipped [0-9]+ pairs longer than --max-len 4" "$S2S" train --src s.en --tgt s.de $small --max-len 4 --max-steps 2 --model long.s2s

# ---- a model, info, a truncated model ----
expect 0 "" "$S2S" train --src s.en --tgt s.de --valid-src v.en --valid-tgt v.de $small \
    --max-steps 30 --log run.jsonl --model a.s2s
"$S2S" info --json a.s2s > info.json || fail "info a.s2s failed"
grep -q '"format":[[:space:]]*"s2s-model"' info.json || fail "info lacks the format"
grep -q '"batch_in_epoch"' info.json || fail "info lacks the training state"
grep -q '"step":30,' run.jsonl || grep -q '"step":[[:space:]]*30' run.jsonl || fail "log lacks step 30: $(tail -2 run.jsonl)"
grep -q '"valid_ppl"' run.jsonl || fail "log lacks valid_ppl"
grep -q '"tgt_tokens_per_s"' run.jsonl || fail "log lacks tgt_tokens_per_s"
size=$(stat -c %s a.s2s)
head -c $((size / 2)) a.s2s > cut.s2s
expect 1 "cut.s2s: .*truncated" "$S2S" info --json cut.s2s
expect 1 "cut.s2s: .*truncated" "$S2S" train --resume cut.s2s --max-steps 40
printf 'hello, not a model at all, but long enough to have a header' > foreign.s2s
expect 1 "foreign.s2s: not an s2s model file" "$S2S" info --json foreign.s2s
expect_full 1 "s2s info: stdout: write failed: No space left on device" "$S2S" info --json a.s2s
expect_full 1 "s2s: stdout: write failed: No space left on device" "$S2S" --help
expect_full 1 "s2s: stdout: write failed: No space left on device" "$S2S" --version
expect_full 1 "s2s train: stdout: write failed: No space left on device" "$S2S" train --help

# ---- same seed, same threads => identical parameters ----
run() { # the defaults below, each unless the call gives it
    local -a args
    # shellcheck disable=SC2086
    mapfile -d '' args < <(merge_opts --src s.en --tgt s.de --valid-src v.en --valid-tgt v.de $small \
        --dropout 0.3 --decay-start 1 --seed 7 --optim sgd -- "$@")
    "$S2S" train "${args[@]}"
}
run --max-steps 40 --model d1.s2s || fail "train d1"
run --max-steps 40 --model d2.s2s || fail "train d2"
[ -n "$(params d1.s2s)" ] && [ "$(params d1.s2s)" = "$(params d2.s2s)" ] || fail "same seed gave different models"
run --max-steps 40 --model d3.s2s --seed 8 || fail "train d3"
[ "$(params d1.s2s)" != "$(params d3.s2s)" ] || fail "a different seed gave the same model"

# ---- resume after K steps (mid-epoch, after an lr decay) == uninterrupted ----
run --max-steps 20 --model r.s2s || fail "train r to 20"
"$S2S" train --resume r.s2s --max-steps 40 -q || fail "resume r to 40"
[ "$(params r.s2s)" = "$(params d1.s2s)" ] || fail "resumed model differs from the uninterrupted one"
"$S2S" info --json r.s2s | grep -q '"step":[[:space:]]*40' || fail "resumed model is not at step 40"
expect 2 "--hidden 32: cannot change when resuming \(the model has 16\)" \
    "$S2S" train --resume r.s2s --hidden 32 --max-steps 50

# ---- Adam: its moments are saved, so resuming is exact too ----
run --optim adam --max-steps 40 --model ad1.s2s || fail "train adam"
run --optim adam --max-steps 20 --model ad.s2s || fail "train adam to 20"
"$S2S" train --resume ad.s2s --max-steps 40 -q || fail "resume adam to 40"
[ "$(params ad.s2s)" = "$(params ad1.s2s)" ] || fail "resumed Adam model differs from the uninterrupted one"
[ "$(params ad1.s2s)" != "$(params d1.s2s)" ] || fail "--optim adam trained the same model as sgd"
"$S2S" info --json ad.s2s | grep -q '"optim":[[:space:]]*"adam"' || fail "info does not name the optimizer"
"$S2S" info --json ad.s2s | grep -q '"lr":[[:space:]]*0.002' || fail "adam's default lr is not 0.002"
expect 2 "--optim sgd: cannot change when resuming" "$S2S" train --resume ad.s2s --optim sgd --max-steps 50
expect 2 "--optim: 'adamw' is not sgd or adam" run --optim adamw --max-steps 1
run --optim adam --max-steps 20 --model adb.s2s --keep-best >/dev/null || fail "adam keep-best"
expect 1 "adb.best.s2s: has no Adam moments" "$S2S" train --resume adb.best.s2s --max-steps 30

# ---- label smoothing: another training target, the same reported loss (plain NLL) ----
run --max-steps 5 --model ls0.s2s --log ls0.jsonl --report-every 0 --label-smoothing 0 || fail "train without smoothing"
run --max-steps 5 --model ls1.s2s --log ls1.jsonl --report-every 0 --label-smoothing 0.1 || fail "train with smoothing"
l0=$(grep '"step":1,' ls0.jsonl | grep -o '"loss":[0-9.e+-]*'); l1=$(grep '"step":1,' ls1.jsonl | grep -o '"loss":[0-9.e+-]*')
[ -n "$l0" ] && [ "$l0" = "$l1" ] || fail "step 1's reported loss changed with --label-smoothing ($l0 vs $l1)"
[ "$(params ls0.s2s)" != "$(params ls1.s2s)" ] || fail "--label-smoothing 0.1 trained the same model"
expect 2 "--label-smoothing: 1.5 is out of range" run --max-steps 1 --model ls2.s2s --label-smoothing 1.5

# ---- config file: keys are the long options; the command line wins ----
printf '{"src": "s.en", "tgt": "s.de", "hidden": 12, "embed": 8, "max-steps": 3, "quiet": true, "no-reverse": true}' > c.json
"$S2S" train --config c.json --hidden 10 --model c.s2s || fail "train with --config"
"$S2S" info --json c.s2s > cinfo.json
grep -q '"hidden":[[:space:]]*10' cinfo.json || fail "command line did not win over the config file"
grep -q '"embed":[[:space:]]*8' cinfo.json || fail "config file value not used"
grep -q '"reverse":[[:space:]]*false' cinfo.json || fail "no-reverse from the config file not used"

# ---- SIGINT: finish the step, save, exit 130 (as a shell's Ctrl-C) with one "saved" line, so
# that `train && translate` stops; resuming gives the uninterrupted result ----
# The run has no step or epoch limit in reach, so it cannot end before the signal on any
# machine: the signal is sent once the log shows 5 steps done; the uninterrupted reference
# is computed afterwards to the step where the interrupted run stopped, plus 20.
far="--epochs 0 --max-steps 100000000"
# (s2s itself in the background, not the run function: $! must be its pid)
"$S2S" train --src s.en --tgt s.de --valid-src v.en --valid-tgt v.de $small --dropout 0.3 \
    --decay-start 1 --seed 7 --optim sgd $far --model i.s2s --report-every 0 --log i.jsonl 2> i.err &
pid=$!
steps5() { [ "$(logged_step i.jsonl)" -ge 5 ]; }
wait_until 600 steps5 || fail "SIGINT: the run logged no 5 steps in 600 s"
kill -INT $pid
wait $pid; code=$?
[ $code = 130 ] || fail "SIGINT: exit code $code (want 130)"
grep -q "interrupted by signal 2: saved i.s2s after [0-9]* steps" i.err || fail "SIGINT message: $(cat i.err)"
[ "$(grep -c "saved i.s2s" i.err)" = 1 ] || fail "SIGINT: not one 'saved' line: $(grep saved i.err)"
at=$("$S2S" info --json i.s2s | grep -o '"step":[[:space:]]*[0-9]*' | head -1 | grep -o '[0-9]*$')
[ -n "$at" ] && [ "$at" -ge 5 ] || fail "SIGINT: saved at step ${at:-?}, wanted >= 5"
to=$((${at:-5} + 20))
run --max-steps $to --model u.s2s || fail "uninterrupted $to steps"
"$S2S" train --resume i.s2s --max-steps $to -q || fail "resume after SIGINT"
[ "$(params i.s2s)" = "$(params u.s2s)" ] || fail "interrupted at step $at and resumed to $to: differs from the uninterrupted run"

# ---- kill -9 at any moment: the last complete checkpoint stays loadable ----
# Each round waits for the first checkpoint to exist, then kills after 0 to 0.2 s more, so a
# checkpoint is on disk whatever the machine's speed and the kill lands somewhere in the run.
for delay in 0 0.05 0.2; do
    rm -f k.s2s
    "$S2S" train --src s.en --tgt s.de $small $far --save-every 1 --model k.s2s 2> /dev/null &
    pid=$!
    wait_until 600 test -f k.s2s || fail "kill -9: no checkpoint written in 600 s"
    sleep $delay
    kill -9 $pid; wait $pid 2> /dev/null
    "$S2S" info --json k.s2s > /dev/null || fail "kill -9 ${delay}s after the first save left an unloadable k.s2s"
done
rm -f k.s2s.tmp.* # a kill -9 in the middle of a save leaves its temporary file (documented)

# ---- an unwritable destination: a clear error, the previous model untouched ----
mkdir ro && cp a.s2s ro/a.s2s && chmod 555 ro
if [ "$(id -u)" -ne 0 ]; then   # root writes anyway
    expect 1 "ro/a.s2s.tmp.[0-9]+: cannot create" "$S2S" train --resume ro/a.s2s --max-steps 31
    cmp -s a.s2s ro/a.s2s || fail "the previous checkpoint changed"
fi
chmod 755 ro
touch notadir; cp a.s2s before.s2s
expect 1 "notadir/x.s2s: cannot create files in notadir/" "$S2S" train --resume a.s2s --max-steps 31 --model notadir/x.s2s
cmp -s a.s2s before.s2s || fail "the checkpoint resumed from changed"
expect 1 "/dev/null: not a regular file" "$S2S" train --src s.en --tgt s.de $small --max-steps 1 --model /dev/null
[ -c /dev/null ] || fail "/dev/null is no longer a device"

# ---- validation BLEU, the best model, patience ----
"$S2S" train --src s.en --tgt s.de --valid-src v.en --valid-tgt v.de $small --epochs 50 \
    --valid-bleu --keep-best --patience 2 --lr 1e-12 --model p.s2s --log p.jsonl || fail "train with --patience"
[ "$(grep -c valid_bleu p.jsonl)" -eq 3 ] || fail "patience 2 with no progress: $(grep -c valid_bleu p.jsonl) validations, wanted 3"
[ -f p.best.s2s ] || fail "--keep-best wrote no p.best.s2s"
"$S2S" info --json p.best.s2s | grep -q '"step":[[:space:]]*13' || fail "best model is not the first validation's (step 13)"
"$S2S" info --json p.s2s | grep -q '"bad_valids":[[:space:]]*2' || fail "patience count not saved"

# ---- a learning run: the best model is the validation with the best BLEU, and
# ---- that BLEU is what s2s translate (greedy) + s2s bleu give for it ----
"$S2S" train --src s.en --tgt s.de --valid-src v.en --valid-tgt v.de $small --max-steps 60 \
    --valid-every 6 --valid-bleu --keep-best --optim sgd --lr 8 --clip 1 --model lb.s2s --log lb.jsonl ||
    fail "train with --valid-every"
read -r bstep bbleu nval < <(grep valid_bleu lb.jsonl | sed 's/.*"step":\([0-9]*\).*"valid_bleu":\([0-9.eE+-]*\).*/\1 \2/' |
    awk '$2 > b || n == 0 { b = $2; s = $1 } { n++ } END { print s, b, n }')
[ "${nval:-0}" -ge 10 ] || fail "--valid-every 6 over 60 steps gave ${nval:-0} validations"
"$S2S" info --json lb.best.s2s | grep -q "\"step\":[[:space:]]*$bstep," || fail "lb.best.s2s is not from step $bstep (best logged BLEU $bbleu)"
"$S2S" translate -m lb.best.s2s --beam 1 -q < v.en > lb.hyp || fail "translate with the best model"
got=$("$S2S" bleu v.de -i lb.hyp -b -w 6)
awk -v a="$got" -v b="$bbleu" 'BEGIN { exit !((a - b) ^ 2 < 1e-10) }' ||
    fail "logged valid BLEU $bbleu at step $bstep, but s2s bleu of its greedy translations is $got"

# ---- the saved file is complete: no temporary files left behind ----
ls ./*.tmp.* > /dev/null 2>&1 && fail "temporary files left: $(ls ./*.tmp.*)"

echo "cli_train: $fails failures"
[ "$fails" -eq 0 ]
