#!/usr/bin/env bash
# Training on several processes (make MPI=1) on this machine, as one
# Markdown report: the measured fp32 FMA peak; training throughput of
# configurations S and M (bench.sh's: Multi30k, 8k word vocabularies, batch
# 64) in one process with 1 and 2 threads and on 2 ranks of 1 thread
# (mpirun on loopback), with the fraction of the FMA peak; and the time of
# one gradient exchange of the S, M and L parameter blocks on 2 ranks
# (s2s's fixed-order sum against Open MPI's MPI_Allreduce). Run it on an
# otherwise idle machine. Takes about 6 minutes.
#   bash scripts/bench-mpi.sh [MULTI30K_DIR] [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/multi30k secs=40
[ $# -gt 0 ] && [ "${1#-}" = "$1" ] && { data=$1; shift; }
[ "${1:-}" = --seconds ] && secs=$2
bash scripts/install-deps.sh --mpi
make -j2 bench > /dev/null
make -j2 MPI=1 BIN=build-mpi/s2s build-mpi/s2s bench-mpi > /dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
s2s=build-mpi/s2s

echo "# s2s on several processes, $(date -u +%Y-%m-%d)"
echo
read -r _ peak1 < <(build/bench/fma_peak 2 | sed -n '2p')
read -r _ peak2 < <(build/bench/fma_peak 2 | sed -n '3p')
echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) threads; $(mpirun --version | head -1)"
echo "- fp32 FMA peak (register-only FMA loop): $peak1 GFLOP/s on 1 thread, $peak2 on 2"
echo
# Useful FLOPs per target token of an LSTM seq2seq, as bench.sh counts them.
flops_per_token() { # E H L V ratio
    awk -v E="$1" -v H="$2" -v L="$3" -v V="$4" -v r="$5" 'BEGIN {
        s = 8 * H * (E + H); for (l = 1; l < L; l++) s += 8 * H * (H + H);
        printf "%.0f", 3 * (r * s + s + 2 * H * V) }'
}
opts() { # E H L: bench.sh's training options
    echo --src "$data/train.de" --tgt "$data/train.en" --tokenizer none --src-vocab 8000 \
        --tgt-vocab 8000 --embed "$1" --hidden "$2" --layers "$3" --batch 64 --report-every 5 \
        --dropout 0 --optim adam --lr 0.002 --overwrite -q
}
train_run() { # name E H L mode: one1 | one2 | ranks2
    local log="$out/$1-$5.jsonl" peak=$peak2 cmd=()
    case $5 in
        one1) cmd=("$s2s" train --threads 1); peak=$peak1 ;;
        one2) cmd=("$s2s" train --threads 2) ;;
        ranks2) cmd=(mpirun --oversubscribe -np 2 "$s2s" train --threads 1) ;;
    esac
    # shellcheck disable=SC2046
    "${cmd[@]}" $(opts "$2" "$3" "$4") --time-limit "$secs" --model "$out/$1.s2s" --log "$log"
    # steady state: the reports after the first (warm-up)
    awk -F'[:,}]' 'NR > 1 { for (i = 1; i < NF; i++) { if ($i ~ /"tgt_tokens_per_s"/) t += $(i+1);
        if ($i ~ /"src_tokens_per_s"/) s += $(i+1) } n++ }
        END { if (n) printf "%.0f %.0f\n", t / n, s / n; else print "0 0" }' \
        <(grep -v valid "$log") > "$out/tp"
    read -r tgt src < "$out/tp"
    local ratio fpt gflops
    ratio=$(awk -v s="$src" -v t="$tgt" 'BEGIN { printf "%.3f", t ? s / t : 0 }')
    fpt=$(flops_per_token "$2" "$3" "$4" 8000 "$ratio")
    gflops=$(awk -v t="$tgt" -v f="$fpt" 'BEGIN { printf "%.1f", t * f / 1e9 }')
    local label
    case $5 in one1) label="1 process, 1 thread" ;; one2) label="1 process, 2 threads" ;;
        ranks2) label="2 ranks x 1 thread" ;; esac
    echo "| $1 (E=H=$3, L=$4, B=64) | $label | $tgt | $gflops | $(awk -v g="$gflops" -v p="$peak" 'BEGIN { printf "%.0f%%", 100 * g / p }') |"
}
echo "## Training on Multi30k de-en (8k word vocabularies, steady state of ${secs} s runs)"
echo
echo "| config | processes | target tok/s | useful GFLOP/s | of FMA peak |"
echo "|---|---|---|---|---|"
for run in "S 256 256 2:one1 one2 ranks2" "M 512 512 2:one1 one2 ranks2" "L 1000 1000 4:one2 ranks2"; do
    for mode in ${run#*:}; do
        # shellcheck disable=SC2086
        train_run ${run%%:*} $mode | tee -a "$out/rows"
    done
done
echo
# The parameter counts of S, M and L (a run of no steps prints them).
nparams() { # E H L
    # shellcheck disable=SC2046
    "$s2s" train $(opts "$1" "$2" "$3") --time-limit 0.000001 --model "$out/n.s2s" > /dev/null 2>&1
    "$s2s" info --json "$out/n.s2s" | grep -o '"nparams":[[:space:]]*[0-9]*' | grep -o '[0-9]*$'
}
sizes=()
for cfg in "256 256 2" "512 512 2" "1000 1000 4"; do
    # shellcheck disable=SC2086
    sizes+=("$(nparams $cfg)")
done
echo "## One gradient exchange on 2 ranks, loopback (median of 15)"
echo
echo "| config | parameters | MB | s2s fixed-order sum (ms) | MPI_Allreduce (ms) |"
echo "|---|---|---|---|---|"
names=(S M L)
i=0
mpirun --oversubscribe -np 2 build-mpi/bench/allreduce_bench "${sizes[@]}" > "$out/ex"
while read -r n mb td ta; do
    echo "| ${names[$i]} | $n | $mb | $td | $ta |"
    i=$((i + 1))
done < "$out/ex"
echo
# The scaling model: a ring allreduce sends and receives 2 (N - 1) / N of the
# 4P-byte gradient per rank per step, at the link's rate, plus 2 (N - 1)
# latencies (50 us assumed); compute per step is one machine like this one
# (2 threads) on a 64-pair batch, from the rows above; no overlap.
tpp=$(awk '{ n += NF + 1 } END { printf "%.2f", n / NR }' "$data/train.en")
echo "## Scaling model: N machines like this one, ring allreduce, batch 64 pairs per machine ($tpp target tokens per pair)"
echo
echo "| config | gradient MB | compute per step | allreduce per step at 10 / 25 / 100 GbE (N = 8; 64) | efficiency at N = 64 (10 / 25 / 100 GbE) | global batch 512: N where the allreduce outlasts the compute (10 / 25 / 100 GbE) |"
echo "|---|---|---|---|---|---|"
for c in S M L; do
    tok=$(grep "^| $c " "$out/rows" | grep "1 process, 2 threads" | awk -F'|' '{ gsub(/ /, "", $4); print $4 }')
    n=$(awk -v i=$c 'BEGIN { split("S M L", k, " "); for (j = 1; j <= 3; j++) if (k[j] == i) print j }')
    p=$(sed -n "${n}p" "$out/ex" | awk '{ print $1 }')
    awk -v c=$c -v P="$p" -v tok="$tok" -v tpp="$tpp" 'BEGIN {
        B = 4 * P; tc = 64 * tpp / tok; split("1.25e9 3.125e9 12.5e9", bw, " ")
        comm = ""; eff = ""; cross = ""
        for (k = 1; k <= 3; k++) {
            t8 = 2 * 7 / 8 * B / bw[k] + 14 * 50e-6; t64 = 2 * 63 / 64 * B / bw[k] + 126 * 50e-6
            comm = comm (k > 1 ? " / " : "") sprintf("%.0f; %.0f ms", 1e3 * t8, 1e3 * t64)
            eff = eff (k > 1 ? " / " : "") sprintf("%.0f%%", 100 * tc / (tc + t64))
            # global batch 512: compute 8 tc / N against 2 (N - 1) / N B / bw + 2 (N - 1) 50 us
            for (N = 2; N <= 512; N++)
                if (8 * tc / N < 2 * (N - 1) / N * B / bw[k] + 2 * (N - 1) * 50e-6) break
            cross = cross (k > 1 ? " / " : "") (N > 512 ? "never (<= 512)" : N)
        }
        printf "| %s | %.0f | %.0f ms | %s | %s | %s |\n", c, B / 1e6, 1e3 * tc, comm, eff, cross }'
done
