#!/usr/bin/env bash
# Runs every unit-test program in $TEST_BIN_DIR and every tests/cli_*.sh script.
# Each is one test: exit 0 = passed, 77 = skipped (not counted). The last line is "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin_dir=${TEST_BIN_DIR:-build/tests}
export S2S=${S2S:-./s2s}
export S2S_SHARED_DATA=${S2S_SHARED_DATA:-$here/../../shared/data}
passed=0 failed=0 failed_names=()
log_dir=$(mktemp -d)
# A test works in its own scratch folder: whatever it leaves in the source
# tree (new, changed or deleted files git does not ignore) fails the run.
tree_state() { git -C "$here/.." status --porcelain --untracked-files=all 2> /dev/null; }
tree_before=$(tree_state)
run_one() {
    local name=$1; shift
    local start=$SECONDS
    "$@" > "$log_dir/$name.log" 2>&1
    local rc=$?
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1)); echo "PASS $name ($((SECONDS - start))s)"
    elif [ $rc -eq 77 ]; then # skipped: what it needs is missing (it says what)
        echo "SKIP $name: $(tail -1 "$log_dir/$name.log")"
    else
        failed=$((failed + 1)); failed_names+=("$name")
        echo "FAIL $name ($((SECONDS - start))s)"; sed 's/^/    /' "$log_dir/$name.log" | tail -40
    fi
}
for t in "$bin_dir"/test_*; do
    [ -x "$t" ] || continue
    run_one "$(basename "$t")" "$t"
done
for t in "$here"/cli_*.sh; do
    [ -f "$t" ] || continue
    run_one "$(basename "$t" .sh)" bash "$t"
done
rm -rf "$log_dir"
left=$(diff <(echo "$tree_before") <(tree_state) | grep '^>' | head -5)
if [ -n "$left" ]; then
    failed=$((failed + 1)); failed_names+=("tree_unchanged")
    echo "FAIL tree_unchanged: the tests changed the source tree:"; echo "$left" | sed 's/^>/   /'
else
    passed=$((passed + 1)); echo "PASS tree_unchanged"
fi
[ "$failed" -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
