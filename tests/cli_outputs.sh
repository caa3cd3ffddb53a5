#!/usr/bin/env bash
# Files written only where asked, and never over an input: train's
# --valid-translation-output and --log are checked against every input and
# against each other before any work (and refused when not regular files);
# a checkpoint never chooses the files a resumed run writes; every command
# that writes stdout refuses a stdout that is one of its inputs; a failed
# --log write is a failure (exit 1, the model still saved).
set -u
. "$(dirname "$0")/lib_cli.sh"
demo=$(cd "$(dirname "$0")/../data/demo" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
cd "$tmp" || exit 1

head -200 "$demo/train.de" > tr.de; head -200 "$demo/train.en" > tr.en
head -20 "$demo/valid.de" > va.de; head -20 "$demo/valid.en" > va.en
for f in tr.de tr.en va.de va.en; do cp "$f" "$f.orig"; done
small="--embed 16 --hidden 16 --layers 1 --batch 16 --threads 1 -q --bpe-merges 200"
data="--src tr.de --tgt tr.en --valid-src va.de --valid-tgt va.en"
# refuse: expect, with no model left behind by an earlier case
refuse() { rm -f x.s2s; expect "$@"; }
untouched() { # every input as it was
    for f in tr.de tr.en va.de va.en; do
        cmp -s "$f" "$f.orig" || { fail "$1: $f was changed"; cp "$f.orig" "$f"; }
    done
}

# ---- 1. --valid-translation-output onto an input: refused before any work ----
for victim in tr.de tr.en va.de va.en ./tr.de; do
    refuse 1 "valid-translation-output.*(same file as the input|is the)" \
        "$S2S" train $data $small --valid-every 10 --max-steps 20 --model x.s2s \
        --valid-translation-output "$victim"
    untouched "--valid-translation-output $victim"
    [ ! -e x.s2s ] || fail "--valid-translation-output $victim: a model was trained"
done
ln -s tr.en link.en
refuse 1 "same file as the input" "$S2S" train $data $small --max-steps 20 --model x.s2s \
    --valid-every 10 --valid-translation-output link.en
untouched "--valid-translation-output through a link"
# nor onto the model or the log, nor the log onto the model
refuse 1 "valid-translation-output x.s2s is the --model" "$S2S" train $data $small \
    --max-steps 20 --model x.s2s --valid-every 10 --valid-translation-output x.s2s
refuse 1 "valid-translation-output l.log is the --log" "$S2S" train $data $small \
    --max-steps 20 --model x.s2s --log l.log --valid-every 10 --valid-translation-output l.log

# ---- 2. never renamed over something that is not a regular file ----
mkfifo fifo
refuse 1 "fifo: not a regular file" "$S2S" train $data $small --max-steps 20 --model x.s2s \
    --valid-every 10 --valid-translation-output fifo
[ -p fifo ] || fail "the FIFO was replaced"
# a character device of our own (as root; the test must never risk the real /dev/null)
if mknod dev c 1 3 2> /dev/null; then
    refuse 1 "dev: not a regular file" "$S2S" train $data $small --max-steps 20 \
        --model x.s2s --valid-every 10 --valid-translation-output dev
    [ -c dev ] || fail "the character device was replaced"
fi

# ---- 5. an output folder that cannot take the file: found before training ----
refuse 1 "/nonexistent/x: cannot create files in /nonexistent" "$S2S" train $data $small \
    --max-steps 20 --model x.s2s --valid-every 10 --valid-translation-output /nonexistent/x
[ ! -e x.s2s ] || fail "training ran before --valid-translation-output was checked"
refuse 1 "/nonexistent/l.log" "$S2S" train $data $small --max-steps 20 --model x.s2s \
    --log /nonexistent/l.log
[ ! -e x.s2s ] || fail "training ran before --log was checked"

# ---- 3. a checkpoint never chooses the files a resumed run writes ----
"$S2S" train $data $small --max-steps 10 --valid-every 10 --model m.s2s --log m.log \
    --valid-translation-output m.out || fail "train m.s2s"
[ "$(wc -l < m.out)" -eq 20 ] || fail "m.out has $(wc -l < m.out) lines, wanted 20"
echo precious > victim1; echo precious > victim2
python3 "$here/reseal.py" m.s2s h0.s2s '"valid-translation-output":"m.out"' \
    "\"valid-translation-output\":\"$tmp/victim1\"" &&
    python3 "$here/reseal.py" h0.s2s h.s2s '"log":"m.log"' "\"log\":\"$tmp/victim2\"" || fail "reseal"
"$S2S" train --resume h.s2s --max-steps 20 -q --threads 1 || fail "resume the hostile checkpoint"
[ "$(cat victim1)" = precious ] || fail "a checkpoint's valid-translation-output was written"
[ "$(cat victim2)" = precious ] || fail "a checkpoint's log was written"
ls "$tmp"/victim1.tmp* > /dev/null 2>&1 && fail "a checkpoint's valid-translation-output left a .tmp"
# the honest checkpoint: the resumed run writes no log nor translations unless asked again
cp m.log m.log.orig; cp m.out m.out.orig
"$S2S" train --resume m.s2s --max-steps 20 -q --threads 1 || fail "resume m.s2s"
cmp -s m.log m.log.orig || fail "resume without --log appended to the first run's log"
cmp -s m.out m.out.orig || fail "resume without --valid-translation-output rewrote it"
"$S2S" train --resume m.s2s --max-steps 30 -q --threads 1 --log m.log \
    --valid-translation-output m2.out || fail "resume with --log and --valid-translation-output"
[ "$(logged_step m.log)" -eq 30 ] || fail "resume --log m.log: last logged step $(logged_step m.log)"
[ "$(wc -l < m2.out)" -eq 20 ] || fail "resume --valid-translation-output: $(wc -l < m2.out 2>&1) lines"
# --dump-config of a resumed run names no output of the earlier run either
"$S2S" train --resume h.s2s --dump-config > dump.json || fail "dump-config of a resume"
grep -q 'victim' dump.json && fail "--dump-config carries the checkpoint's output paths"

# ---- 4. stdout that is an input: refused by every command, nothing appended ----
cp m.s2s i.s2s; cp i.s2s i.orig
expect 1 "stdout is the same file as the input i.s2s" sh -c "\"$S2S\" info i.s2s >> i.s2s"
cmp -s i.s2s i.orig || fail "info >> MODEL changed the model"
"$S2S" info --json i.s2s > /dev/null || fail "the model no longer loads after info >> it"
"$S2S" train $data $small --dump-config > c.json || fail "dump-config"
cp c.json c.orig
expect 1 "stdout is the same file as the input c.json" \
    sh -c "\"$S2S\" train --config c.json --dump-config >> c.json"
cmp -s c.json c.orig || fail "--dump-config >> CONFIG changed the config"
cp m.s2s r.s2s; cp r.s2s r.orig
expect 1 "stdout is the same file as the input r.s2s" \
    sh -c "\"$S2S\" train --resume r.s2s --dump-config >> r.s2s"
cmp -s r.s2s r.orig || fail "--dump-config >> the --resume checkpoint changed it"
expect 1 "same file as the input" sh -c "\"$S2S\" score -m m.s2s --src va.de --tgt va.en >> va.en"
untouched "score >> its target"

# ---- 6. a --log that cannot be written is a failure, and the model is still saved ----
if [ -w /dev/full ]; then
    expect 1 "/dev/full: (cannot write|write failed).*No space left" "$S2S" train $data $small \
        --max-steps 10 --model full.s2s --log /dev/full
    "$S2S" info --json full.s2s > /dev/null 2>&1 || fail "--log /dev/full: the model was not saved"
    [ "$(grep -c 'No space left' err.txt)" -le 2 ] || fail "--log /dev/full: the message repeats: $(wc -l < err.txt) lines"
fi

exit $((fails > 0))
