#!/usr/bin/env bash
# The test command: installs missing dependencies, builds, runs every test.
# The last line printed is the summary "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh gnuplot-nox || { echo "0 passed, 1 failed"; exit 1; }
if ! make -j2 all > build.log 2>&1; then
    tail -30 build.log
    echo "0 passed, 1 failed"
    exit 1
fi
S2S=./s2s TEST_BIN_DIR=build/tests bash tests/run.sh
