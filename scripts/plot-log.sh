#!/usr/bin/env bash
# Learning curves from a `s2s train --log` file: training and validation
# perplexity and validation BLEU against steps and against wall time, as a
# PNG, with gnuplot (Debian's gnuplot-nox).
#   bash scripts/plot-log.sh LOG.jsonl OUT.png
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: plot-log.sh LOG.jsonl OUT.png" >&2; exit 2; }
log=$1 png=$2
command -v gnuplot > /dev/null || bash "$(dirname "$0")/install-deps.sh" gnuplot-nox
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# field NAME of a JSON line (numbers only)
field() { sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p"; }
grep -v valid_ppl "$log" | grep '"ppl"' > "$tmp/train" || true
grep valid_ppl "$log" > "$tmp/valid" || true
paste <(field step < "$tmp/train") <(field elapsed < "$tmp/train") <(field ppl < "$tmp/train") > "$tmp/train.tsv"
paste <(field step < "$tmp/valid") <(field elapsed < "$tmp/valid") <(field valid_ppl < "$tmp/valid") \
      <(field valid_bleu < "$tmp/valid") > "$tmp/valid.tsv"
if awk -F'\t' 'NF >= 4 && $4 != "" { found = 1 } END { exit !found }' "$tmp/valid.tsv"; then
    bleu_steps="plot \"$tmp/valid.tsv\" using 1:4 with linespoints title \"BLEU\""
    bleu_time="plot \"$tmp/valid.tsv\" using 2:4 with linespoints title \"BLEU\""
else
    bleu_steps='set label 1 "no --valid-bleu in this log" at graph 0.3,0.5; plot 0 notitle'
    bleu_time='plot 0 notitle'
fi
gnuplot <<GP
set terminal pngcairo size 1200,800 noenhanced
set output "$png"
set multiplot layout 2,2 title "$log"
set logscale y
set grid
set key top right
set xlabel "step"; set ylabel "perplexity"
plot "$tmp/train.tsv" using 1:3 with lines title "train", \
     "$tmp/valid.tsv" using 1:3 with linespoints title "valid"
set xlabel "seconds"
plot "$tmp/train.tsv" using 2:3 with lines title "train", \
     "$tmp/valid.tsv" using 2:3 with linespoints title "valid"
unset logscale y
set ylabel "valid BLEU"
set xlabel "step"
$bleu_steps
set xlabel "seconds"
$bleu_time
unset multiplot
GP
echo "plot-log.sh: wrote $png"
