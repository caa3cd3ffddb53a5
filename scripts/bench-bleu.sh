#!/usr/bin/env bash
# s2s bleu's statistics tests on a realistic size: 3,000 segments of
# Multi30k's training English as the reference, 5 systems made from it by
# dropping, swapping and replacing words (fixed, awk-seeded), paired
# bootstrap with 1,000 resamples and approximate randomization with 10,000
# trials, per metric and all three together, best of 3 runs on one core.
# Runs sacreBLEU on the same files when `python3 -m sacrebleu` works (it is
# not packaged in Debian 12; PyPI is not reachable here).
#   bash scripts/bench-bleu.sh [MULTI30K_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/multi30k}
make -j2 s2s > /dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
head -3000 "$data/train.en" > "$out/ref.txt"
for k in 1 2 3 4 5; do
    awk -v k="$k" 'BEGIN { srand(k) } {
        n = split($0, w, " "); line = ""
        for (i = 1; i <= n; i++) {
            r = rand()
            if (r < 0.04 * k) continue                        # drop
            if (r < 0.06 * k && i < n) { t = w[i]; w[i] = w[i + 1]; w[i + 1] = t } # swap
            if (r > 1 - 0.03 * k) w[i] = "the"               # replace
            line = line (line == "" ? "" : " ") w[i]
        }
        print line }' "$out/ref.txt" > "$out/sys$k.txt"
done
best() { # command...: best wall time of 3, in seconds
    local b=999999 s e t
    for _ in 1 2 3; do
        s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
        t=$(awk -v a="$s" -v b="$e" 'BEGIN { print b - a }')
        b=$(awk -v a="$b" -v t="$t" 'BEGIN { print (t < a ? t : a) }')
    done
    printf '%.2f' "$b"
}
cd "$out"
sys=(sys1.txt sys2.txt sys3.txt sys4.txt sys5.txt)
echo "# s2s bleu statistics tests, $(date -u +%Y-%m-%d), $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo
echo "3,000 segments, 5 systems (the first the baseline), one core (s2s bleu is single-threaded), best of 3:"
echo
echo "| metrics | --paired-bs (1,000 resamples) | --paired-ar (10,000 trials) | no test |"
echo "|---|---|---|---|"
for m in bleu chrf ter "bleu chrf ter"; do
    # shellcheck disable=SC2086
    echo "| $m | $(best "$OLDPWD/s2s" bleu ref.txt -i "${sys[@]}" -m $m --paired-bs) s | $(best "$OLDPWD/s2s" bleu ref.txt -i "${sys[@]}" -m $m --paired-ar) s | $(best "$OLDPWD/s2s" bleu ref.txt -i "${sys[@]}" -m $m) s |"
done
echo
if python3 -m sacrebleu --version > /dev/null 2>&1; then
    echo "sacreBLEU $(python3 -m sacrebleu --version) on the same files, -m bleu chrf ter --paired-bs: $(best python3 -m sacrebleu ref.txt -i "${sys[@]}" -m bleu chrf ter --paired-bs) s"
else
    echo "(sacreBLEU is not installed here: not packaged in Debian 12, PyPI not reachable; not compared in this run)"
fi
