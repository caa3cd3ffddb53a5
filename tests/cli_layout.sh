#!/usr/bin/env bash
# The layers' include rules (src/README.md): scripts/check-includes.py
# passes on the tree, and fails on a copy of it with a header that includes
# a layer above it, and on one with two headers that include each other.
set -u
. "$(dirname "$0")/lib_cli.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
check="python3 $root/scripts/check-includes.py"
cd "$tmp" || exit 1
command -v python3 > /dev/null || { echo "cli_layout: no python3: skipped"; exit 77; }
$check "$root" > ok.txt || fail "the tree breaks the include rules: $(grep -v ' 0 violations' ok.txt | head -5)"

copy() { rm -rf "$1"; mkdir -p "$1"; cp -r "$root/src" "$root/include" "$1/"; }
copy up
sed -i '0,/#include/s|#include|#include "s2s/train/train.h"\n#include|' up/include/s2s/base/common.h
$check up > up.txt && fail "base including train was not refused"
grep -q 'include/s2s/base/common.h: base may not include train (s2s/train/train.h)' up.txt ||
    fail "no message for base including train: $(head -3 up.txt)"
copy circle
sed -i '0,/#include/s|#include|#include "s2s/text/corpus.h"\n#include|' circle/include/s2s/text/vocab.h
$check circle > circle.txt && fail "a header circle was not refused"
grep -q 'include circle: .*vocab.h' circle.txt || fail "no message for the circle: $(head -3 circle.txt)"
copy stray
touch stray/src/stray.c
$check stray > stray.txt && fail "a file outside the layers' folders was not refused"
grep -q 'src/stray.c: not in a layer' stray.txt || fail "no message for src/stray.c: $(head -3 stray.txt)"
[ "$fails" -eq 0 ] && echo "cli_layout: all passed" || echo "cli_layout: $fails failure(s)"
[ "$fails" -eq 0 ]
