#!/usr/bin/env bash
# The test command: installs missing dependencies, builds, runs every test.
# The last line printed is the summary "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --mpi gnuplot-nox || { echo "0 passed, 1 failed"; exit 1; }
# the default build, and the MPI build beside it (build-mpi/s2s) for tests/cli_mpi.sh
# (and, where the CPU has FMA, build-mpi-odd/s2s: its optimizer update rounds differently)
odd=()
grep -qw fma /proc/cpuinfo && odd=(make -j2 MPI=1 BUILD=build-mpi-odd BIN=build-mpi-odd/s2s
                                   "OPTIM_FLAGS=-mfma -ffp-contract=fast" build-mpi-odd/s2s)
if ! { make -j2 all && make -j2 MPI=1 BIN=build-mpi/s2s build-mpi/s2s && "${odd[@]:-true}"; } \
        > build.log 2>&1; then
    tail -30 build.log
    echo "0 passed, 1 failed"
    exit 1
fi
S2S=./s2s TEST_BIN_DIR=build/tests S2S_MPI=build-mpi/s2s S2S_REQUIRE_MPI=1 bash tests/run.sh
