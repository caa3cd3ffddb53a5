#!/usr/bin/env bash
# scripts/multi30k.sh --smoke: the Multi30k recipe end to end on a 1,000-pair
# slice (under two minutes): a best model, the training log with validation
# BLEU, 100 test translations, a BLEU and a chrF line as s2s bleu prints
# them, and a PNG learning curve; with --ensemble 2, two members and their
# ensemble. Also: a missing data folder is a clear error. Skipped when S2S_SKIP_SLOW=1 (the sanitizer run).
set -u
if [ "${S2S_SKIP_SLOW:-0}" = 1 ]; then echo "cli_recipe: skipped (S2S_SKIP_SLOW=1)"; exit 0; fi
. "$(dirname "$0")/lib_cli.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
m30k=${S2S_SHARED_DATA:-$root/../shared/data}/multi30k
cd "$tmp"

expect 1 "nowhere/train.de not found" bash "$root/scripts/multi30k.sh" "$tmp/nowhere" --smoke
expect 2 "unknown option --bogus" bash "$root/scripts/multi30k.sh" --bogus

# the validation interval: each epoch's end for Multi30k (29,000 pairs, batch 32: about
# 900 steps), also every 1,000 steps once an epoch passes 2,000 steps (Tatoeba's 140,787)
. "$root/scripts/lib-opts.sh"
for c in "29000 32 0" "64000 32 0" "64032 32 1000" "140787 32 1000" "140787 64 1000" "100 1 0"; do
    set -- $c
    [ "$(valid_every "$1" "$2")" = "$3" ] || fail "valid_every $1 $2: $(valid_every "$1" "$2"), wanted $3"
done

start=$(date +%s)
bash "$root/scripts/multi30k.sh" "$m30k" --smoke --threads 2 --out "$tmp/run" > recipe.out 2> recipe.err ||
    fail "multi30k.sh --smoke failed: $(tail -5 recipe.err)"
echo "cli_recipe: --smoke took $(($(date +%s) - start)) s"
cat recipe.out
for f in best.model train.jsonl test2016.hyp test2016.bleu curve.png; do
    [ -s "run/$f" ] || fail "--smoke left no run/$f"
done
grep -Eq '^ *BLEU\|nrefs:1\|case:mixed\|.*tok:13a.* = [0-9]+\.[0-9]{2} ' recipe.out || fail "no BLEU line in the output"
grep -Eq '^chrF2\|.* = [0-9]+\.[0-9]{2}$' recipe.out || fail "no chrF line in the output"
[ "$(wc -l < run/test2016.hyp)" -eq 100 ] || fail "test2016.hyp has $(wc -l < run/test2016.hyp) lines, wanted 100"
grep -q '"valid_bleu"' run/train.jsonl || fail "the log has no validation BLEU"
[ "$(head -c 8 run/curve.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "curve.png is not a PNG"
"$S2S" info --json run/best.model > /dev/null || fail "best.model does not load"
# the kept checkpoints were averaged and compared with the best one on the validation set
grep -Eq "validation BLEU, beam 5: best checkpoint [0-9.]+, average of the last 2 [0-9.]+" run/average.bleu ||
    fail "no averaging: $(cat run/average.bleu 2>&1 | head -2)"
"$S2S" info --json run/average.model > /dev/null || fail "average.model does not load"
cp run/last.s2s last.before
expect 1 "run/last.s2s exists: add -- --overwrite" bash "$root/scripts/multi30k.sh" "$m30k" --smoke --out "$tmp/run"
cmp -s last.before run/last.s2s || fail "a second recipe run into the same folder replaced its model"

# --ensemble 2: two members (seeds 1 and 2), the ensemble's translations, each member's BLEU
bash "$root/scripts/multi30k.sh" "$m30k" --smoke --threads 2 --ensemble 2 --out "$tmp/ens" > ens.out 2> ens.err ||
    fail "multi30k.sh --smoke --ensemble 2 failed: $(tail -5 ens.err)"
for f in member1/best.model member2/best.model test2016.hyp test2016.bleu members.bleu; do
    [ -s "ens/$f" ] || fail "--ensemble 2 left no ens/$f"
done
[ "$(grep -c '^member[12]: *BLEU' ens/members.bleu)" -eq 2 ] || fail "members.bleu: $(cat ens/members.bleu)"
"$S2S" info --json ens/member2/best.model | grep -q '"seed":[[:space:]]*2' || fail "member 2 was not trained with seed 2"
[ "$(wc -l < ens/test2016.hyp)" -eq 100 ] || fail "ensemble test2016.hyp: $(wc -l < ens/test2016.hyp) lines"

echo "cli_recipe: $fails failures"
[ "$fails" -eq 0 ]
