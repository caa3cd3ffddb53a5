#!/usr/bin/env bash
# The user docs: the option tables of docs/ are what the code's tables print
# and name the options --help lists (scripts/gen-option-docs.py --check, and
# it fails on a stale or a short table); the README is a guide of at most
# 250 lines; every relative link of README.md and docs/ resolves; no
# development notes (sessions, issue numbers) in them.
set -u
. "$(dirname "$0")/lib_cli.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$tmp" || exit 1
command -v python3 > /dev/null || { echo "cli_docs: no python3: skipped"; exit 77; }
gen="python3 $root/scripts/gen-option-docs.py --s2s $S2S"

$gen --check > check.txt 2>&1 || fail "docs' option tables disagree with the code: $(head -5 check.txt)"
grep -q ' 0 problems' check.txt || fail "gen-option-docs printed no summary: $(tail -2 check.txt)"
for cmd in train translate score serve; do
    n=$(cat "$root"/docs/*.md | grep -c "^<!-- options: $cmd -->$")
    [ "$n" -eq 1 ] || fail "docs hold $n option tables of $cmd, not 1"
done

# the check can fail: a stale row, a row --help does not know, a missing row
cp "$root/docs/translating.md" stale.md
sed -i 's/^| `-b`, `--beam K` | .*/| `-b`, `--beam K` | beam size (default 4) |/' stale.md
$gen --check stale.md > out.txt 2>&1 && fail "a stale translate table passed"
grep -q 'stale.md:[0-9]*: the translate table is not what' out.txt || fail "no message for a stale table: $(head -3 out.txt)"
cp "$root/docs/metrics.md" extra.md
sed -i 's/^| `--max-line-bytes N` |/| `--max-line-bytez N` |/' extra.md
$gen --check extra.md > out.txt 2>&1 && fail "a bleu table with an unknown option passed"
grep -q -- '--max-line-bytez is in the table but not in `s2s bleu --help`' out.txt || fail "no message for an unknown option: $(head -3 out.txt)"
grep -q -- '--max-line-bytes is in `s2s bleu --help` but not in the table' out.txt || fail "no message for a missing option: $(head -3 out.txt)"
# and it writes: regenerating the stale copy restores it
$gen stale.md 2> /dev/null
cmp -s stale.md "$root/docs/translating.md" || fail "gen-option-docs did not regenerate the stale table"

lines=$(wc -l < "$root/README.md")
[ "$lines" -le 250 ] || fail "README.md has $lines lines, more than 250"
# development notes: sessions, issue numbers, targets missed
grep -nE -i '\bsession|\bissue [0-9#]|issue #?[0-9]+|\(issue|\bmissed by\b|\btarget of [0-9]' \
    "$root/README.md" "$root"/docs/*.md > notes.txt && fail "development notes in user docs: $(head -3 notes.txt)"
# relative links resolve
for f in "$root/README.md" "$root"/docs/*.md; do
    grep -oE '\]\([^)#: ]+(#[^)]*)?\)' "$f" | sed -E 's/^\]\(//; s/[)#].*$//' | sort -u | while read -r link; do
        [ -e "$(dirname "$f")/$link" ] || echo "$f: $link"
    done
done > links.txt
[ -s links.txt ] && fail "links that do not resolve: $(head -3 links.txt)"

[ "$fails" -eq 0 ] && echo "cli_docs: all passed" || echo "cli_docs: $fails failure(s)"
[ "$fails" -eq 0 ]
