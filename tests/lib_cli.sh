# lib_cli.sh: what the command-line tests share (not a test itself). Source it first:
#   . "$(dirname "$0")/lib_cli.sh"
# It makes $S2S an absolute path, $tmp a scratch folder removed on exit,
# and defines fail (counts into $fails) and expect.
S2S=${S2S:-./s2s}
S2S=$(cd "$(dirname "$S2S")" && pwd)/$(basename "$S2S")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect CODE PATTERN CMD...: exit code CODE and PATTERN (grep -E) on stderr.
expect() {
    local code=$1 pattern=$2; shift 2
    "$@" > "${expect_out:-out.txt}" 2> err.txt
    local got=$?
    [ "$got" -eq "$code" ] || fail "$* exited $got, wanted $code: $(head -3 err.txt)"
    [ -z "$pattern" ] || grep -Eq -- "$pattern" err.txt || fail "$*: stderr lacks /$pattern/: $(head -3 err.txt)"
}

# wait_until SECONDS CMD...: polls CMD until it succeeds; returns 1 after SECONDS. The bound
# only guards against a hang (far above any expected time), never an assumption about speed.
wait_until() {
    local end=$((SECONDS + $1)); shift
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.02
    done
}
# logged_step FILE: the last "step" of a --log file's progress lines (0 when none yet).
logged_step() { grep -o '"step":[0-9]*' "$1" 2>/dev/null | tail -1 | grep -o '[0-9]*$' || echo 0; }
# expect_full CODE PATTERN CMD...: expect with stdout on /dev/full (a full
# disk: every write fails with ENOSPC). Does nothing where there is no /dev/full.
expect_full() {
    [ -w /dev/full ] || return 0
    expect_out=/dev/full expect "$@"
}
# merge_opts DEFAULTS... -- ARGS...: defaults the arguments may replace (scripts/lib-opts.sh)
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib-opts.sh"
