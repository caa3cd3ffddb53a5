#!/usr/bin/env bash
# s2s bleu against sacreBLEU 2.6.0: every row of the shared
# bleu-vectors/cases.tsv (366 scores), compared character for character
# after " = " (the signature's version field names s2s); then every command
# of the cases' expected.txt, including sacreBLEU's default JSON output.
set -u
S2S=${S2S:-./s2s}
S2S=$(cd "$(dirname "$S2S")" && pwd)/$(basename "$S2S")
data=${S2S_SHARED_DATA:-$(dirname "$0")/../../shared/data}/bleu-vectors
[ -f "$data/cases.tsv" ] || { echo "cli_bleu: $data/cases.tsv not found (set S2S_SHARED_DATA)"; exit 1; }
cd "$data" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 rows=0 runs=0
fail() { fails=$((fails + 1)); [ $fails -le 20 ] && echo "FAIL: $*"; }

# ---- cases.tsv ----
declare -A cache
while IFS= read -r line; do
    # tab is IFS whitespace, which would merge empty fields: split on \x1f instead
    IFS=$'\x1f' read -r case metric options segment hyp refs score score_full expected <<< "${line//$'\t'/$'\x1f'}"
    [ "$case" = case ] && continue
    rows=$((rows + 1))
    key="$case|$metric|$options"
    if [ -z "${cache[$key]+x}" ]; then
        out="$tmp/run$runs"; runs=$((runs + 1))
        # shellcheck disable=SC2086
        "$S2S" bleu ${refs//,/ } -i "$hyp" -m "$metric" $options -w 2 -f text > "$out" 2> "$out.err" \
            || fail "$key: exit $?: $(head -2 "$out.err")"
        cache[$key]=$out
    fi
    out=${cache[$key]}
    if [ "$segment" = all ]; then got=$(head -1 "$out"); else got=$(sed -n "${segment}p" "$out"); fi
    [ "${got#* = }" = "${expected#* = }" ] || fail "$key segment $segment: got '${got#* = }', want '${expected#* = }'"
    [ "${got%% = *}" = "$(printf '%s' "${expected%% = *}" | sed 's/version:2\.6\.0/version:s2s-0.1.0/')" ] \
        || fail "$key: signature '${got%% = *}'"
done < cases.tsv
echo "cli_bleu: $rows rows of cases.tsv checked ($runs runs)"
[ "$rows" -eq 366 ] || fail "cases.tsv has $rows rows, expected 366"

# ---- ter.tsv: TER, corpus and sentence level, every tokenizer option ----
ter_rows=0
while IFS= read -r line; do
    IFS=$'\x1f' read -r case options segment hyp refs expected <<< "${line//$'\t'/$'\x1f'}"
    [ "$case" = case ] && continue
    ter_rows=$((ter_rows + 1))
    # shellcheck disable=SC2086
    got=$("$S2S" bleu ${refs//,/ } -i "$hyp" -m ter $options -w 2 -f text 2>&1)
    want=$(printf '%b' "$expected" | sed 's/version:2\.6\.0/version:s2s-0.1.0/')
    [ "$got" = "$want" ] || fail "ter.tsv $case $options ($segment): got '$(echo "$got" | head -2 | tr '\n' ' ')', want '$(echo "$want" | head -2 | tr '\n' ' ')'"
done < ter.tsv
echo "cli_bleu: $ter_rows rows of ter.tsv checked"
[ "$ter_rows" -eq 67 ] || fail "ter.tsv has $ter_rows rows, expected 67"

# ---- ter-sig: several systems, --paired-bs, --paired-ar, --confidence ----
# Every command of ter-sig/*/commands.txt, output compared byte for byte
# (tables, explanations, signatures, JSON numbers to the last digit). A
# command without -f gets sacreBLEU's defaults (-f json -w 1).
sig_cmds=0
for dir in ter-sig/*/; do
    awk -v tmp="$tmp" -v d="$(basename "$dir")" '
        /^\$ sacrebleu / { n++; f = tmp "/sig." d "." n; print substr($0, 13) > (f ".cmd"); next }
        n { print > (f ".want") }' "$dir/commands.txt"
    for c in "$tmp/sig.$(basename "$dir")".*.cmd; do
        sig_cmds=$((sig_cmds + 1))
        args=$(cat "$c") extra=""
        case " $args " in *" -f "*) ;; *) extra="-f json" ;; esac
        case " $args " in *" -w "*) ;; *) extra="$extra -w 1" ;; esac
        # shellcheck disable=SC2086
        (cd "$dir" && "$S2S" bleu $args $extra) > "${c%.cmd}.got" 2>&1
        sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "${c%.cmd}.want" |
            sed 's/version:2\.6\.0/version:s2s-0.1.0/; s/"version": "2\.6\.0"/"version": "s2s-0.1.0"/' |
            cmp -s - "${c%.cmd}.got" || fail "ter-sig/$dir: sacrebleu $args: $(diff <(sed 's/2\.6\.0/s2s-0.1.0/' "${c%.cmd}.want") "${c%.cmd}.got" | head -4 | tr '\n' ' ')"
    done
done
echo "cli_bleu: $sig_cmds commands of ter-sig checked"
[ "$sig_cmds" -ge 24 ] || fail "ter-sig has $sig_cmds commands, expected 24"

# ---- expected.txt: every command, text and default JSON ----
cmds=0
for dir in */; do
    dir=${dir%/}
    [ -f "$dir/expected.txt" ] || continue
    awk -v dir="$dir" -v tmp="$tmp" '
        /^\$ sacrebleu / { n++; cmd = substr($0, 13); print cmd > (tmp "/" dir "." n ".cmd"); next }
        n && !/^#/ && $0 != "" { print > (tmp "/" dir "." n ".want") }' "$dir/expected.txt"
    for c in "$tmp/$dir".*.cmd; do
        [ -f "$c" ] || continue
        cmds=$((cmds + 1))
        args=$(cat "$c")
        case " $args " in *" -f "*) extra="" ;; *) extra="-w 1 -f json" ;; esac
        # shellcheck disable=SC2086
        (cd "$dir" && "$S2S" bleu $args $extra) > "${c%.cmd}.got" 2>&1
        sed 's/version:2\.6\.0/version:s2s-0.1.0/; s/"version": "2\.6\.0"/"version": "s2s-0.1.0"/' "${c%.cmd}.want" \
            | cmp -s - "${c%.cmd}.got" || fail "$dir: sacrebleu $args: $(diff <(sed 's/2\.6\.0/s2s-0.1.0/' "${c%.cmd}.want") "${c%.cmd}.got" | head -4 | tr '\n' ' ')"
    done
done
echo "cli_bleu: $cmds commands of expected.txt checked"
[ "$cmds" -ge 130 ] || fail "only $cmds commands found in expected.txt"
# ---- errors, stdin, score only ----
cd "$tmp" || exit 1
expect() {
    local code=$1 pattern=$2; shift 2
    "$@" > out.txt 2> err.txt
    local got=$?
    [ "$got" -eq "$code" ] || fail "$* exited $got, wanted $code: $(head -3 err.txt)"
    grep -Eq -- "$pattern" err.txt || fail "$*: stderr lacks /$pattern/: $(head -3 err.txt)"
}
printf 'a b c\nd e f\ng h i\n' > ref3; printf 'a b c\nd e f\n' > hyp2
expect 1 "hyp2\) have 2 lines but the reference ref3 has 3" "$S2S" bleu ref3 -i hyp2
printf 'a b c\nd \xe9 f\ng h i\n' > badref
expect 1 "badref:2: invalid UTF-8 at byte 2" "$S2S" bleu badref -i ref3
expect 2 "give at least one reference" "$S2S" bleu -i hyp2
expect 2 "unknown value 'bogus'" "$S2S" bleu ref3 -tok bogus
expect 2 "unknown metric 'meteor'" "$S2S" bleu ref3 -m meteor
expect 2 "only one system can be evaluated at sentence level" "$S2S" bleu ref3 -i ref3 hyp2 -sl
expect 2 "paired tests need several systems" "$S2S" bleu ref3 -i ref3 --paired-bs
expect 2 "use --paired-bs or --paired-ar for several systems" "$S2S" bleu ref3 -i ref3 ref3 --confidence
expect 2 "choose one" "$S2S" bleu ref3 -i ref3 ref3 --paired-bs --paired-ar
SACREBLEU_SEED=x expect 2 "SACREBLEU_SEED: 'x' is not a seed" "$S2S" bleu ref3 -i ref3 --confidence
expect 1 "the hypotheses \(ref3\) have 3 lines but the hypotheses hyp2 has 2" "$S2S" bleu ref3 -i ref3 hyp2
SACREBLEU_SEED=none "$S2S" bleu ref3 -i ref3 --confidence -f text > out.txt 2>&1 || fail "SACREBLEU_SEED=none failed"
grep -q "bs:1000|seed:none|" out.txt || fail "SACREBLEU_SEED=none: $(cat out.txt)"
expect 1 "s2s bleu: stdin: cannot read: Bad file descriptor" "$S2S" bleu ref3 <&-
if [ -w /dev/full ]; then
    "$S2S" bleu ref3 -i ref3 > /dev/full 2> err.txt; got=$?
    [ $got -eq 1 ] && grep -q "s2s bleu: stdout: write failed: No space left on device" err.txt ||
        fail "bleu > /dev/full: exit $got, $(head -2 err.txt)"
fi
[ "$("$S2S" bleu ref3 -b < ref3)" = "0.00" ] || fail "3 lines of 3 words score 0 (no 4-grams): $("$S2S" bleu ref3 -b < ref3)"
[ "$("$S2S" bleu ref3 -b -sl -w 1 < ref3 | tr '\n' ' ')" = "100.0 100.0 100.0 " ] || fail "sentence level, score only"
printf 'x y z\nd e f\nq\n' > ref3b
[ "$(printf 'a b c\nd e f\ng h i\n' | "$S2S" bleu ref3b ref3 -m chrf -b)" = "100.00" ] || fail "two references, stdin"

echo "cli_bleu: $fails failures"
[ "$fails" -eq 0 ]
