#!/usr/bin/env bash
# s2s convert --precision bf16|int8: on the s2s 0.1 fixture and on small
# models with every kind of stored matrix (attention with the mlp score,
# tied embeddings with a bidirectional encoder, encdec with a GRU), the
# converted file is smaller, `s2s info` names its quantized tensors, and
# translate (n-best) and score read it without --precision and give
# byte for byte what the fp32 file gives with --precision P; converting back
# to fp32 and again gives the same. train --resume and average refuse it. A
# truncated file, a flipped byte, an int8 weight of -128, a scale that is
# NaN, 0 or negative, a quantized flag with training state and a wrong tensor list (each
# resealed with a valid checksum where that matters) are refused naming
# the problem.
set -u
. "$(dirname "$0")/lib_cli.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$tmp" || exit 1
d=$root/data/demo
head -2000 "$d/train.en" > s.en; head -2000 "$d/train.de" > s.de
head -40 "$d/test.en" > t.en; head -40 "$d/test.de" > t.de

size() { stat -c %s "$1"; }

# check NAME MODEL: every round trip above for one model
check() {
    local n=$1 m=$2 p
    for p in bf16 int8; do
        "$S2S" convert --precision $p -o "$n.$p.s2s" "$m" 2> conv.err || { fail "$n: convert $p: $(cat conv.err)"; continue; }
        grep -q "fp32) -> $n.$p.s2s (.* MB, $p)" conv.err || fail "$n: convert says: $(cat conv.err)"
        [ "$(size "$n.$p.s2s")" -lt "$(size "$m")" ] || fail "$n $p: the file is not smaller"
        "$S2S" info --json "$n.$p.s2s" | grep -q "\"precision\":[[:space:]]*\"$p\"" || fail "$n $p: info lacks the precision"
        "$S2S" translate -m "$m" -q --precision $p --nbest 3 < t.en > "want.$n.$p"
        "$S2S" translate -m "$n.$p.s2s" --nbest 3 < t.en > "got.$n.$p" 2> tr.err || fail "$n $p: translate: $(cat tr.err)"
        cmp -s "want.$n.$p" "got.$n.$p" || fail "$n $p: the converted file translates otherwise"
        grep -q "decoding in $p .*read from the file" tr.err || fail "$n $p: banner: $(head -1 tr.err)"
        "$S2S" score -m "$m" -q --precision $p --src t.en --tgt t.de > "swant.$n.$p"
        "$S2S" score -m "$n.$p.s2s" -q --src t.en --tgt t.de > "sgot.$n.$p"
        cmp -s "swant.$n.$p" "sgot.$n.$p" || fail "$n $p: the converted file scores otherwise"
        "$S2S" convert --precision fp32 -o "$n.$p.back.s2s" "$n.$p.s2s" -q || fail "$n $p: convert back"
        "$S2S" convert --precision $p -o "$n.$p.again.s2s" "$n.$p.back.s2s" -q || fail "$n $p: convert again"
        cmp -s "$n.$p.s2s" "$n.$p.again.s2s" || fail "$n $p: fp32 and back again gives another file"
        echo "cli_convert: $n $p: $(size "$m") -> $(size "$n.$p.s2s") bytes, the same translations and scores"
    done
}

check fixture "$root/tests/fixtures/model-v0.1-word.s2s"
train() {
    local name=$1; shift
    "$S2S" train --src s.en --tgt s.de "$@" --embed 32 --hidden 32 --layers 2 --batch 32 --max-steps 150 \
        --tokenizer word --model "$name.s2s" -q --seed 3 --threads 2 || fail "training $name failed"
}
train att --arch attention --cell lstm --attention mlp
train tied --arch attention --cell lstm --bidirectional --tied-embeddings
train encdec --arch encdec --cell gru
for n in att tied encdec; do check "$n" "$n.s2s"; done
"$S2S" info --json tied.int8.s2s | tr -d ' \t\n' | grep -q '"tensors":\["dec.0.Wx","dec.0.Wh","dec.1.Wx","dec.1.Wh","attn.Wa","attn.Wc"\]' ||
    fail "tied, bidirectional: the stored tensors are not the decoder's alone: $("$S2S" info --json tied.int8.s2s | grep -A2 quantized)"

# ---- refused ----
expect 2 "is a model in int8 for decoding \(s2s convert\): training needs the fp32 model" \
    "$S2S" train --resume att.int8.s2s --src s.en --tgt s.de --max-steps 1
expect 1 "att.int8.s2s is a model in int8 for decoding \(s2s convert\): averaging needs" \
    "$S2S" average -o avg.s2s att.s2s att.int8.s2s
expect 1 "att.bf16.s2s is a model in bf16" "$S2S" average -o avg.s2s att.bf16.s2s att.s2s
cp att.s2s keep.s2s
expect 1 "same file as the input keep.s2s" "$S2S" convert --precision int8 -o keep.s2s keep.s2s
cmp -s keep.s2s att.s2s || fail "convert -o over its input changed it"
expect 2 "--precision, -o OUT and MODEL are required" "$S2S" convert -o x.s2s att.s2s
expect 2 "--precision: 'int4' is not fp32, bf16 or int8" "$S2S" convert --precision int4 -o x.s2s att.s2s
[ ! -e x.s2s ] || fail "a refused convert wrote x.s2s"

# patch IN OUT FROM_END HEX: byte(s) at FROM_END bytes before the checksum set, checksum resealed
patch() {
    python3 - "$@" << 'EOF'
import struct, sys
src, dst, back, hexs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
b = bytearray(open(src, "rb").read())
at = len(b) - 8 - back
new = bytes.fromhex(hexs)
b[at:at + len(new)] = new
h = 0xcbf29ce484222325
for x in b[:-8]:
    h = ((h ^ x) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
b[-8:] = struct.pack("<Q", h)
open(dst, "wb").write(b)
EOF
}
m8=att.int8.s2s
head -c $(($(size $m8) - 100)) $m8 > cut.s2s
expect 1 "cut.s2s: file is [0-9]+ bytes .*truncated or corrupt" "$S2S" translate -m cut.s2s -i t.en
cp $m8 flip.s2s
printf '\x55' | dd of=flip.s2s bs=1 seek=$(($(size $m8) - 2000)) conv=notrunc 2> /dev/null
expect 1 "flip.s2s: checksum mismatch" "$S2S" translate -m flip.s2s -i t.en
if command -v python3 > /dev/null; then
    vt=$("$S2S" info --json $m8 | tr -d ' \t\n' | grep -o '"tgt_vocab":[0-9]*' | head -1 | cut -d: -f2)
    patch $m8 nan.s2s 4 0000c07f # the output layer's last row's scale
    expect 1 "nan.s2s: tensor out.W: row $((vt - 1))'s scale is not a finite number > 0" "$S2S" translate -m nan.s2s -i t.en
    patch $m8 zero.s2s 4 00000000
    expect 1 "zero.s2s: tensor out.W: row $((vt - 1))'s scale is not a finite number > 0" "$S2S" translate -m zero.s2s -i t.en
    patch $m8 negs.s2s 4 000080bf # -1
    expect 1 "negs.s2s: tensor out.W: row $((vt - 1))'s scale is not a finite number > 0" "$S2S" score -m negs.s2s --src t.en --tgt t.de
    patch $m8 neg.s2s $((4 * vt + 1)) 80 # its last weight
    expect 1 "neg.s2s: tensor out.W: row $((vt - 1)), column [0-9]+ holds -128" "$S2S" translate -m neg.s2s -i t.en
    patch $m8 huge.s2s 4 ffff7f7f # a scale of FLT_MAX: weights over the bound
    expect 1 "huge.s2s: tensor out.W .* is -?Inf" "$S2S" translate -m huge.s2s -i t.en
    python3 "$root/tests/reseal.py" $m8 list.s2s '"attn.Wc","out.W"]' '"out.W"]' || fail "reseal the list"
    expect 1 "list.s2s: metadata: the quantized tensors are not the ones this config's decoder has" \
        "$S2S" translate -m list.s2s -i t.en
    python3 "$root/tests/reseal.py" $m8 noq.s2s '"quantized"' '"quantizedX"' || fail "reseal the key"
    expect 1 "noq.s2s: metadata: \"quantized\" is missing" "$S2S" translate -m noq.s2s -i t.en
    python3 - $m8 flags.s2s << 'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", b, 12, 5)  # quantized with Adam's moments
open(sys.argv[2], "wb").write(b)
EOF
    expect 1 "flags.s2s: a quantized model with training state" "$S2S" translate -m flags.s2s -i t.en
fi

[ "$fails" -eq 0 ] && echo "cli_convert: all passed" || echo "cli_convert: $fails failure(s)"
[ "$fails" -eq 0 ]
