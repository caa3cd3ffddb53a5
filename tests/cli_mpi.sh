#!/usr/bin/env bash
# Training on several processes (dist.h) under mpirun, on loopback only:
# -np N --threads 1 gives the parameters of one process with --threads N bit
# for bit (seq2seq and attention; dropout, validation, smoothing, a last
# batch with fewer pairs than shards); -np 2 --threads 2 is --threads 4 to
# float rounding; a checkpoint resumes across rank counts, exactly; a rank
# killed with SIGKILL ends the job (non-zero) and leaves a checkpoint that
# loads and resumes; a rank that reads other data, or cannot start, is
# refused at the start; ranks whose parameters stop agreeing are stopped; SIGUSR1 to mpirun
# saves and exits 0, SIGTERM saves; only rank 0 writes the log. Needs the MPI build ($S2S_MPI, default build-mpi/s2s,
# from `make MPI=1 BIN=build-mpi/s2s build-mpi/s2s`) and mpirun: without
# them it is skipped (exit 77), unless S2S_REQUIRE_MPI=1 (CI).
# Every `timeout` and wait bound is a hang guard only, never an assumption
# about speed: each run either finishes by its step count or is stopped by
# the event the test waits for.
set -u
. "$(dirname "$0")/lib_cli.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
mpi_bin=${S2S_MPI:-$root/build-mpi/s2s}
if [ ! -x "$mpi_bin" ] || ! command -v mpirun > /dev/null; then
    echo "cli_mpi: no MPI build ($mpi_bin) or no mpirun: skipped"
    [ "${S2S_REQUIRE_MPI:-0}" = 1 ] && exit 1
    exit 77
fi
mpi_bin=$(cd "$(dirname "$mpi_bin")" && pwd)/$(basename "$mpi_bin")
TEST_TOOL=$(cd "${TEST_BIN_DIR:-$root/build/tests}" && pwd)/tool_paramdiff
cd "$tmp" || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# loopback only, no oversubscription warnings
export OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
mpi() { local n=$1; shift; timeout 300 mpirun --oversubscribe -np "$n" "$@"; }
d=$root/data/demo
head -600 "$d/train.en" > s.en; head -600 "$d/train.de" > s.de
head -40 "$d/valid.en" > v.en; head -40 "$d/valid.de" > v.de
params() { "$S2S" info --json "$1" 2> /dev/null | grep -o '"params_fnv1a64":[[:space:]]*"[0-9a-f]*"'; }
same() { # same A B WHAT: the two models' parameters bit for bit
    local a b; a=$(params "$1"); b=$(params "$2")
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "$3: $1 ($a) and $2 ($b) differ"
}
base=(--src s.en --tgt s.de --embed 16 --hidden 24 --layers 2 --bpe-merges 200 --seed 3 -q)
s2s_opts=("${base[@]}" --valid-src v.en --valid-tgt v.de --valid-every 5 --dropout 0.2
          --exponential-smoothing --keep-checkpoints 2 --batch 16 --max-steps 30)
att_opts=("${base[@]}" --valid-src v.en --valid-tgt v.de --valid-every 7 --valid-bleu
          --decay-on-plateau --arch attention --cell gru --label-smoothing 0.1 --dropout 0.1
          --batch 16 --max-steps 25)

# -np N --threads 1 == --threads N, bit for bit (the MPI build and the default one)
"$S2S" train "${s2s_opts[@]}" --threads 2 --model t2.s2s || fail "--threads 2 run"
"$mpi_bin" train "${s2s_opts[@]}" --threads 2 --model t2m.s2s || fail "MPI build, no mpirun"
mpi 2 "$mpi_bin" train "${s2s_opts[@]}" --threads 1 --model n2.s2s --log n2.jsonl ||
    fail "mpirun -np 2 run"
same t2.s2s t2m.s2s "the MPI build without mpirun against the default build"
same t2.s2s n2.s2s "-np 2 --threads 1 against --threads 2"
same t2.step30.s2s n2.step30.s2s "-np 2's kept checkpoint against --threads 2's"
steps=$(grep valid_ppl n2.jsonl | grep -o '"step":[0-9]*' | grep -o '[0-9]*$' | tr '\n' ' ')
[ "$steps" = "5 10 15 20 25 30 " ] ||
    fail "the log's validations are at steps $steps (did ranks other than 0 write to it?)"
"$S2S" train "${att_opts[@]}" --threads 2 --model a2.s2s || fail "attention --threads 2"
mpi 2 "$mpi_bin" train "${att_opts[@]}" --threads 1 --model an2.s2s || fail "attention -np 2"
same a2.s2s an2.s2s "attention, -np 2 against --threads 2"
# 600 pairs in batches of 13: the last has 2 pairs for 4 shards
"$S2S" train "${base[@]}" --batch 13 --max-steps 47 --dropout 0.2 --threads 4 --model t4.s2s ||
    fail "--threads 4 run"
mpi 4 "$mpi_bin" train "${base[@]}" --batch 13 --max-steps 47 --dropout 0.2 --threads 1 \
    --model n4.s2s || fail "-np 4 run"
same t4.s2s n4.s2s "-np 4 --threads 1 against --threads 4"

# batches by tokens (--batch-words) with validation: -np 2 --threads 1 == --threads 2
w=("${base[@]}" --valid-src v.en --valid-tgt v.de --valid-every 6 --batch-words 150 --dropout 0.2 --max-steps 20)
"$S2S" train "${w[@]}" --threads 2 --model w2.s2s || fail "--batch-words --threads 2 run"
mpi 2 "$mpi_bin" train "${w[@]}" --threads 1 --model wn2.s2s || fail "--batch-words -np 2 run"
same w2.s2s wn2.s2s "--batch-words: -np 2 --threads 1 against --threads 2"

# -np 2 --threads 2 against --threads 4: the same sums in another order
mpi 2 "$mpi_bin" train "${base[@]}" --batch 13 --max-steps 47 --dropout 0.2 --threads 2 \
    --model n2t2.s2s || fail "-np 2 --threads 2 run"
diff=$("$TEST_TOOL" n2t2.s2s t4.s2s) || fail "tool_paramdiff"
awk -v d="$diff" 'BEGIN { split(d, x, " "); exit !(x[1] <= 1e-5 * x[2] && x[2] > 0) }' ||
    fail "-np 2 --threads 2 against --threads 4: max |difference|, max |parameter|: $diff"

# resume across rank counts (the same shards in all: ranks x --threads): 2 ranks then 1
# process, and 1 process then 2 ranks
r=("${base[@]}" --batch 16 --dropout 0.2)
"$S2S" train "${r[@]}" --threads 2 --max-steps 12 --model full.s2s || fail "12-step run"
mpi 2 "$mpi_bin" train "${r[@]}" --threads 1 --max-steps 6 --model x.s2s || fail "-np 2, 6 steps"
"$S2S" train --resume x.s2s --max-steps 12 --threads 2 -q || fail "resume in one process"
same full.s2s x.s2s "6 steps on 2 ranks, then 6 in one process"
"$S2S" train "${r[@]}" --threads 2 --max-steps 6 --model y.s2s || fail "6 steps, one process"
mpi 2 "$mpi_bin" train --resume y.s2s --max-steps 12 --threads 1 -q || fail "resume on 2 ranks"
same full.s2s y.s2s "6 steps in one process, then 6 on 2 ranks"

# rank 1 killed: the job ends with a non-zero status, the checkpoint loads and resumes
long=("${base[@]}" --batch 16 --threads 1 --epochs 100000 --save-every 3 --time-limit 3000)
mpirun --oversubscribe -np 2 "$mpi_bin" train "${long[@]}" --model k.s2s > k.out 2> k.err &
job=$!
rank1() { # the PID of rank 1 of the k.s2s job
    local p
    for p in $(pgrep -f -- "--model k.s2s"); do
        tr '\0' '\n' < /proc/"$p"/environ 2> /dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 && echo "$p"
    done
}
wait_until 120 test -f k.s2s || fail "no checkpoint from the long run"
victim=$(rank1)
[ -n "$victim" ] && kill -9 "$victim" || fail "rank 1 of the long run not found"
wait_until 120 sh -c "! kill -0 $job 2> /dev/null" || { fail "job still running"; kill -9 $job; }
wait $job
[ $? -ne 0 ] || fail "the job ended with status 0 after rank 1 was killed"
"$S2S" info --json k.s2s > /dev/null || fail "the checkpoint left by the killed job does not load"
step=$("$S2S" info --json k.s2s | grep -o '"step":[[:space:]]*[0-9]*' | head -1 | grep -o '[0-9]*$')
mpi 2 "$mpi_bin" train --resume k.s2s --max-steps $((step + 3)) --time-limit 0 -q ||
    fail "resuming the killed job's checkpoint"

# SIGUSR1 to mpirun: every rank stops after the same step, rank 0 saves, status 0
rm -f k.s2s
mpirun --oversubscribe -np 2 "$mpi_bin" train "${long[@]}" --model k.s2s > u.out 2> u.err &
job=$!
wait_until 120 test -f k.s2s || fail "no checkpoint before SIGUSR1"
kill -USR1 $job
wait $job || fail "SIGUSR1: status $? ($(grep -v 'epoch [0-9]* step' u.err | tail -3))"
grep -q "interrupted by signal 10: saved k.s2s" u.err || fail "SIGUSR1: no save message"
"$S2S" info --json k.s2s > /dev/null || fail "the checkpoint saved on SIGUSR1 does not load"

# SIGTERM to mpirun: after --mca odls_base_sigkill_timeout seconds it sends the ranks SIGTERM
# (and as many seconds later SIGKILL): they stop after the same step and rank 0 saves; mpirun
# itself then exits non-zero whatever the ranks did (its way), so only the save is checked
rm -f k.s2s
mpirun --oversubscribe --mca odls_base_sigkill_timeout 10 -np 2 "$mpi_bin" train "${long[@]}" \
    --model k.s2s > t.out 2> t.err &
job=$!
wait_until 120 test -f k.s2s || fail "no checkpoint before SIGTERM"
kill -TERM $job
wait $job
grep -q "interrupted by signal 15: saved k.s2s" t.err || fail "SIGTERM: no save ($(tail -3 t.err))"
"$S2S" info --json k.s2s > /dev/null || fail "the checkpoint saved on SIGTERM does not load"

# a rank that reads other data, or cannot start: refused before any step, no model written
head -599 s.en > o.en; echo "one other line" >> o.en
one=(--tgt s.de --tokenizer word --arch seq2seq --batch 64 --embed 8 --hidden 8 --max-steps 3 --model m.s2s -q)
# (as many pairs and target tokens: the message says so, not "600 pairs against rank 0's 600")
expect 1 "rank 1 \(host [^)]*\) differs from rank 0 .* in its training data: as many pairs \(600\) and target tokens \([0-9]+\) as rank 0's, but other words" \
    timeout 300 mpirun --oversubscribe -np 1 "$mpi_bin" train --src s.en "${one[@]}" : \
    -np 1 "$mpi_bin" train --src o.en "${one[@]}"
[ ! -e m.s2s ] || fail "a model was written although the ranks' data differ"
expect 1 "in its options" timeout 300 mpirun --oversubscribe -np 1 "$mpi_bin" train --src s.en \
    "${one[@]}" : -np 1 "$mpi_bin" train --src s.en "${one[@]}" --seed 9
expect 1 "rank 1 \(host [^)]*\) could not start" timeout 300 mpirun --oversubscribe -np 1 \
    "$mpi_bin" train --src s.en "${one[@]}" : -np 1 "$mpi_bin" train --src missing.en "${one[@]}"
grep -q "rank 1: missing.en: cannot open" err.txt || fail "rank 1's own reason is missing"
[ ! -e m.s2s ] || fail "a model was written although rank 1 could not start"

# ranks whose parameters stop agreeing (rank 1 runs a build whose update rounds differently:
# the same start, then other weights) are stopped at the check before the first save (the
# epoch's end, step 10), so no file holds weights they did not agree on
odd_bin=${S2S_MPI_ODD:-$root/build-mpi-odd/s2s}
if [ -x "$odd_bin" ]; then
    rm -f m.s2s
    mapfile -d '' one30 < <(merge_opts "${one[@]}" -- --max-steps 30)
    expect 1 "step 10: the parameters of rank 1 \(host [^)]*\) differ from rank 0's" \
        timeout 300 mpirun --oversubscribe -np 1 "$mpi_bin" train --src s.en "${one30[@]}" \
        : -np 1 "$odd_bin" train --src s.en "${one30[@]}"
    [ ! -e m.s2s ] || fail "a model was written although the ranks' parameters differ"
else
    echo "cli_mpi: no $odd_bin: the parameter-agreement check is not tested"
    [ "${S2S_REQUIRE_MPI:-0}" = 1 ] && grep -qw fma /proc/cpuinfo && fail "no $odd_bin"
fi

# the default build links no MPI
! ldd "$S2S" | grep -q libmpi || fail "$S2S links MPI"

echo "cli_mpi: $fails failures"
[ "$fails" -eq 0 ]
