#!/usr/bin/env bash
# German->English (or English->German) on Multi30k: learns joint BPE, trains
# within a time budget keeping the model with the best validation BLEU,
# picks the length penalty on the validation set, translates test2016 with
# beam search and prints BLEU and chrF as sacreBLEU would. Works on any
# folder holding train.{de,en}, val.{de,en}, test2016.{de,en} (raw text, as
# the Multi30k repository ships them).
#
#   bash scripts/multi30k.sh [DATA_DIR] [--dir de-en|en-de] [--time-limit MIN] [--threads N]
#        [--arch attention|seq2seq|encdec] (default attention) [--cell lstm|gru|rnn] [--out DIR] [--smoke]
#        [--ensemble N]
#        [-- extra s2s train options, e.g. --overwrite to replace an earlier run in --out]
# --smoke: the whole recipe on a 1,000-pair slice (100 valid, 100 test) with
# a tiny model and 500 BPE merges, in about a minute: checks the plumbing.
# --ensemble N: trains N models (seeds 1..N, each for the time limit, one after
# another, in DIR/member1 ...) and translates with all of them (s2s translate
# -m A -m B ...); each member's own test BLEU goes to DIR/members.bleu.
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/multi30k dir=de-en minutes=60 threads=$(nproc) arch=attention cell=lstm out=""
smoke=0 ensemble=1
[ $# -gt 0 ] && [ "${1#-}" = "$1" ] && { data=$1; shift; }
while [ $# -gt 0 ]; do
    case $1 in
        --dir) dir=$2; shift 2 ;;
        --time-limit) minutes=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --arch) arch=$2; shift 2 ;;
        --cell) cell=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --smoke) smoke=1; shift ;;
        --ensemble) ensemble=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "multi30k.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
src=${dir%-*} tgt=${dir#*-}
out=${out:-runs/multi30k-$dir-$arch-$cell}
for f in train val test2016; do
    for l in $src $tgt; do
        [ -f "$data/$f.$l" ] || { echo "multi30k.sh: $data/$f.$l not found" >&2; exit 1; }
    done
done
bash scripts/install-deps.sh
make -j2 s2s > /dev/null
mkdir -p "$out"
size=(--bpe-merges 10000 --embed 256 --hidden 512 --layers 2 --batch 64)
# attention: batch 32, label smoothing 0.1, a bidirectional encoder and exponential
# smoothing of the weights, chosen by the short runs of scripts/multi30k-sweep.sh (12
# minutes each on validation BLEU; see docs/multi30k.md); the last 4 validated
# checkpoints are kept for averaging (below)
[ "$arch" = attention ] && size=(--bpe-merges 10000 --embed 256 --hidden 512 --layers 2 --batch 32
                                 --label-smoothing 0.1 --bidirectional --exponential-smoothing
                                 --keep-checkpoints 4)
if [ $smoke = 1 ]; then # a slice of the data and a tiny model
    mkdir -p "$out/data"
    for l in $src $tgt; do
        head -1000 "$data/train.$l" > "$out/data/train.$l"
        head -100 "$data/val.$l" > "$out/data/val.$l"
        head -100 "$data/test2016.$l" > "$out/data/test2016.$l"
    done
    data=$out/data
    size=(--bpe-merges 500 --embed 32 --hidden 64 --layers 1 --batch 32 --epochs 3 --keep-checkpoints 2)
    minutes=2
fi
. scripts/lib-opts.sh # merge_opts: the recipe's defaults, replaceable (cwd: the repository)
# A corpus whose epoch is longer than 2,000 steps (Multi30k's is about 900) is also
# validated every 1,000 steps (valid_every in lib-opts.sh).
batch=32
for ((i = 0; i + 1 < ${#size[@]}; i++)); do [ "${size[$i]}" = --batch ] && batch=${size[$((i + 1))]}; done
every=$(valid_every "$(wc -l < "$data/train.$src")" "$batch") every_opt=()
[ "$every" -gt 0 ] && every_opt=(--valid-every "$every")
# train DIR SEED [options]: one model into DIR/last.s2s, its best copy to DIR/best.model.
train() {
    local dir=$1 seed=$2; shift 2
    # An hour of training is not replaced by accident: a second run into the same folder
    # needs `-- --overwrite` (start afresh) or another --out.
    if [ -f "$dir/last.s2s" ] && ! printf '%s\n' "$@" | grep -qx -- --overwrite; then
        echo "multi30k.sh: $dir/last.s2s exists: add -- --overwrite to train afresh, or choose another --out" >&2
        exit 1
    fi
    mkdir -p "$dir"
    rm -f "$dir/train.jsonl"
    # the recipe's settings, then the size's and the caller's, each replacing the recipe's
    # (s2s refuses an option given twice)
    local -a args
    mapfile -d '' args < <(merge_opts --valid-bleu --keep-best \
        --model "$dir/last.s2s" --log "$dir/train.jsonl" --arch "$arch" --cell "$cell" \
        --dropout 0.3 --optim adam --lr 0.002 --clip 5 --decay-on-plateau --decay-start 1000 \
        --patience 6 --epochs 100 --max-len 60 --time-limit $((minutes * 60)) \
        --threads "$threads" --seed "$seed" "${every_opt[@]}" -- "${size[@]}" "$@")
    ./s2s train --src "$data/train.$src" --tgt "$data/train.$tgt" \
        --valid-src "$data/val.$src" --valid-tgt "$data/val.$tgt" "${args[@]}"
    local best="$dir/last.best.s2s"
    [ -f "$best" ] || best="$dir/last.s2s"
    cp "$best" "$dir/best.model"
}
# valid_bleu MODEL: validation BLEU with beam 5 (translate's default length penalty)
valid_bleu() {
    ./s2s translate -m "$1" --beam 5 --threads "$threads" -q < "$data/val.$src" |
        ./s2s bleu "$data/val.$tgt" -b -w 4
}
# The checkpoints kept at the last validations (--keep-checkpoints), averaged
# (s2s average); the average replaces best.model when its validation BLEU is higher
# (the best single model stays in best-single.model).
try_average() { # DIR
    local dir=$1 b a
    local -a kept
    mapfile -t kept < <(ls -v "$dir"/last.step*.s2s 2>/dev/null)
    [ ${#kept[@]} -ge 2 ] || return 0
    ./s2s average -q --overwrite -o "$dir/average.model" "${kept[@]}"
    b=$(valid_bleu "$dir/best.model") a=$(valid_bleu "$dir/average.model")
    echo "multi30k.sh: validation BLEU, beam 5: best checkpoint $b, average of the last ${#kept[@]} $a" |
        tee "$dir/average.bleu"
    if awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > b) }'; then
        cp "$dir/best.model" "$dir/best-single.model"
        cp "$dir/average.model" "$dir/best.model"
        echo "multi30k.sh: the average replaces the best checkpoint" | tee -a "$dir/average.bleu"
    fi
}
models=()
if [ "$ensemble" -gt 1 ]; then
    for ((k = 1; k <= ensemble; k++)); do
        train "$out/member$k" "$k" "$@"
        models+=(-m "$out/member$k/best.model")
    done
else
    train "$out" 1 "$@"
    try_average "$out"
    models=(-m "$out/best.model")
fi
# The length penalty is chosen on the validation set (beam 5), never on the test set.
lp_best=0.6 bleu_best=-1
for lp in 0.6 1.0 1.5 2.0; do
    b=$(./s2s translate "${models[@]}" --beam 5 --length-penalty $lp --threads "$threads" -q \
        < "$data/val.$src" | ./s2s bleu "$data/val.$tgt" -b -w 4)
    echo "multi30k.sh: validation BLEU with beam 5, length penalty $lp: $b"
    if awk -v a="$b" -v c="$bleu_best" 'BEGIN { exit !(a > c) }'; then lp_best=$lp bleu_best=$b; fi
done
echo "$lp_best" > "$out/length-penalty"
./s2s translate "${models[@]}" --beam 5 --length-penalty "$lp_best" --threads "$threads" -q \
    < "$data/test2016.$src" > "$out/test2016.hyp"
echo "multi30k.sh: test2016, beam 5, length penalty $lp_best:"
./s2s bleu "$data/test2016.$tgt" -i "$out/test2016.hyp" -m bleu,chrf | tee "$out/test2016.bleu"
if [ "$ensemble" -gt 1 ]; then # each member alone, for comparison
    for ((k = 1; k <= ensemble; k++)); do
        ./s2s translate -m "$out/member$k/best.model" --beam 5 --length-penalty "$lp_best" \
            --threads "$threads" -q < "$data/test2016.$src" |
            ./s2s bleu "$data/test2016.$tgt" -m bleu,chrf | sed "s/^/member$k: /"
    done | tee "$out/members.bleu"
elif command -v gnuplot > /dev/null || bash scripts/install-deps.sh gnuplot-nox; then
    bash scripts/plot-log.sh "$out/train.jsonl" "$out/curve.png" || true
fi
echo "multi30k.sh: results in $out (best.model, train.jsonl, test2016.hyp, test2016.bleu, curve.png)"
