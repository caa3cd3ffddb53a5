#!/usr/bin/env bash
# s2s average and train --keep-checkpoints: the average of a model with
# itself is that model bit for bit (the same parameter checksum, the same
# translations); averaging refuses models of another configuration or
# vocabulary, an existing output (without --overwrite) and an output that
# is an input; the average is a translation model that lists its sources
# and cannot be resumed. --keep-checkpoints N keeps the last N validated
# checkpoints as MODEL.stepS.s2s, deleting older ones, also across a resume.
# --exponential-smoothing: the model written holds the smoothed weights,
# the raw ones ride along so that a resume is exact (with or without
# smoothing afterwards).
set -u
. "$(dirname "$0")/lib_cli.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$tmp" || exit 1

head -400 "$root/data/demo/train.en" > s.en; head -400 "$root/data/demo/train.de" > s.de
head -20 "$root/data/demo/valid.en" > v.en; head -20 "$root/data/demo/valid.de" > v.de
head -20 "$root/data/demo/test.de" > t.de
params() { "$S2S" info --json "$1" | sed -n 's/.*"params_fnv1a64":[[:space:]]*"\([0-9a-f]*\)".*/\1/p'; }
common=(--src s.de --tgt s.en --valid-src v.de --valid-tgt v.en --bpe-merges 100 --embed 16
        --hidden 16 --batch 4 --threads 2 -q) # 100 batches an epoch: validations at the multiples of 10 only

# --keep-checkpoints 3, validating every 10 steps: after 60 steps, steps 40, 50, 60 remain
"$S2S" train "${common[@]}" --valid-every 10 --keep-checkpoints 3 --max-steps 60 --model m.s2s ||
    fail "train --keep-checkpoints"
kept() { (ls m.step*.s2s 2>/dev/null || true) | sed 's/^m\.step\([0-9]*\)\.s2s$/\1/' | sort -n | tr '\n' ' '; }
[ "$(kept)" = "40 50 60 " ] || fail "kept after 60 steps: '$(kept)', wanted '40 50 60 '"
"$S2S" info --json m.step50.s2s | grep -q '"step":[[:space:]]*50' || fail "m.step50.s2s is not step 50"
"$S2S" translate -m m.step50.s2s -q < t.de > k.out || fail "translate a kept checkpoint"
[ "$(wc -l < k.out)" -eq 20 ] || fail "kept checkpoint: $(wc -l < k.out) lines for 20"
# the rotation goes on after a resume: 70, 80 then delete 40, 50
"$S2S" train --resume m.s2s --max-steps 80 -q || fail "resume --keep-checkpoints"
[ "$(kept)" = "60 70 80 " ] || fail "kept after resuming to 80: '$(kept)', wanted '60 70 80 '"
# a smaller N on resume deletes down to it
"$S2S" train --resume m.s2s --max-steps 90 --keep-checkpoints 1 -q || fail "resume --keep-checkpoints 1"
[ "$(kept)" = "90 " ] || fail "kept with --keep-checkpoints 1: '$(kept)', wanted '90 '"
expect 2 "keep-checkpoints" "$S2S" train "${common[@]}" --keep-checkpoints 101 --model x.s2s

# the average of a model with itself is the model
"$S2S" average -o self.s2s m.s2s m.s2s -q || fail "average m m"
[ -n "$(params m.s2s)" ] && [ "$(params self.s2s)" = "$(params m.s2s)" ] ||
    fail "average of m with itself: parameters $(params self.s2s), m has $(params m.s2s)"
"$S2S" average -o self3.s2s m.s2s m.s2s m.s2s -q || fail "average m m m"
[ "$(params self3.s2s)" = "$(params m.s2s)" ] || fail "average of 3 copies of m differs from m"
"$S2S" translate -m m.s2s -q < t.de > m.out && "$S2S" translate -m self.s2s -q < t.de > self.out ||
    fail "translate m, self"
cmp -s m.out self.out || fail "the average of m with itself translates otherwise"
"$S2S" info --json self.s2s | grep -q '"averaged_from"' || fail "the average does not list its sources"
"$S2S" info --json self.s2s | grep -q '"file":[[:space:]]*"m.s2s"' || fail "the sources are not named"
expect 1 "no training options to resume from" "$S2S" train --resume self.s2s --max-steps 100
# the kept checkpoints average to a model that differs from each of them
"$S2S" average -o avg.s2s m.step90.s2s m.s2s -q || fail "average two checkpoints"
"$S2S" train --resume m.s2s --max-steps 100 --keep-checkpoints 2 -q || fail "resume to 100"
"$S2S" average -o avg2.s2s m.step90.s2s m.step100.s2s -q || fail "average steps 90 and 100"
for f in m.step90.s2s m.step100.s2s; do
    [ "$(params avg2.s2s)" != "$(params $f)" ] || fail "the average of 90 and 100 equals $f"
done
"$S2S" translate -m avg2.s2s -q < t.de > avg.out || fail "translate the average"
[ "$(wc -l < avg.out)" -eq 20 ] || fail "average: $(wc -l < avg.out) lines for 20"

# refusals
mapfile -d '' big < <(merge_opts "${common[@]}" -- --hidden 24 --max-steps 5 --model big.s2s)
"$S2S" train "${big[@]}" || fail "train big"
expect 1 "m.s2s and big.s2s: the configurations differ \(hidden 16 vs 24\)" "$S2S" average -o x.s2s m.s2s big.s2s
"$S2S" train --src v.de --tgt v.en --bpe-merges 100 --embed 16 --hidden 16 --max-steps 5 -q \
    --model other.s2s || fail "train other"
expect 1 "m.s2s and other.s2s: the configurations differ \(src_vocab" "$S2S" average -o x.s2s m.s2s other.s2s
expect 2 "self.s2s exists: add --overwrite" "$S2S" average -o self.s2s m.s2s
"$S2S" average -o self.s2s --overwrite m.s2s -q || fail "average --overwrite"
expect 1 "same file|is also" "$S2S" average -o m.s2s --overwrite m.s2s avg.s2s
[ "$(params m.s2s)" = "$(params m.step100.s2s)" ] || fail "m.s2s changed by a refused average"
expect 2 "at least one model" "$S2S" average -o y.s2s
expect 2 "at least one model" "$S2S" average m.s2s
expect 1 "missing.s2s" "$S2S" average -o y.s2s m.s2s missing.s2s
[ ! -e y.s2s ] || fail "a failed average left y.s2s"

# ---- --exponential-smoothing ----
sm=(--exponential-smoothing --valid-every 10)
"$S2S" train "${common[@]}" "${sm[@]}" --max-steps 40 --model e40.s2s || fail "train smoothed 40"
"$S2S" train "${common[@]}" "${sm[@]}" --max-steps 20 --model e20.s2s || fail "train smoothed 20"
"$S2S" train --resume e20.s2s --max-steps 40 -q || fail "resume smoothed 20 -> 40"
[ -n "$(params e40.s2s)" ] && [ "$(params e20.s2s)" = "$(params e40.s2s)" ] ||
    fail "smoothed: 20 + 20 steps differ from 40 straight"
"$S2S" train "${common[@]}" --valid-every 10 --max-steps 40 --model r40.s2s || fail "train raw 40"
[ "$(params r40.s2s)" != "$(params e40.s2s)" ] || fail "--exponential-smoothing wrote the raw weights"
# the raw weights were kept: resuming without smoothing continues them exactly
"$S2S" train "${common[@]}" "${sm[@]}" --max-steps 20 --model x20.s2s || fail "train smoothed 20 (x)"
"$S2S" train --resume x20.s2s --max-steps 40 --exponential-smoothing=0 -q || fail "resume without smoothing"
[ "$(params x20.s2s)" = "$(params r40.s2s)" ] || fail "resumed without smoothing: not the raw run's weights"
# the smoothed model translates, averages and validates as a model
"$S2S" translate -m e40.s2s -q < t.de > e.out || fail "translate a smoothed model"
[ "$(wc -l < e.out)" -eq 20 ] || fail "smoothed model: $(wc -l < e.out) lines for 20"
expect 2 "exponential-smoothing" "$S2S" train "${common[@]}" --exponential-smoothing=0.9 --model y.s2s
expect 2 "unexpected argument '0.001'" "$S2S" train "${common[@]}" --exponential-smoothing 0.001 --model y.s2s
exit $((fails > 0))
