# lib-opts.sh: sourced by scripts and tests that give s2s train defaults
# the caller may replace. s2s refuses an option given twice, so defaults
# cannot simply be followed by overrides:
#   mapfile -d '' args < <(merge_opts --seed 7 --optim sgd -- "$@")
# merge_opts DEFAULTS... -- ARGS...: the defaults whose options ARGS do not
# give (an option's value is the next word unless that starts with -), then
# ARGS, NUL-separated.
merge_opts() {
    local -a defs=() out=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do defs+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    local i=0 n
    while [ $i -lt ${#defs[@]} ]; do
        n=1
        [ $((i + 1)) -lt ${#defs[@]} ] && [[ ${defs[$((i + 1))]} != -* ]] && n=2
        printf '%s\n' "$@" | grep -qx -- "${defs[$i]}" || out+=("${defs[@]:i:n}")
        i=$((i + n))
    done
    [ ${#out[@]} -gt 0 ] && printf '%s\0' "${out[@]}"
    [ $# -gt 0 ] && printf '%s\0' "$@"
    return 0
}
# valid_every PAIRS BATCH: the recipe's --valid-every for a corpus of PAIRS sentence
# pairs cut into batches of BATCH: 0 (validate at each epoch's end) while an epoch is
# at most 2,000 steps, 1000 beyond, so a large corpus is still validated (keep-best,
# the plateau halving, the kept checkpoints) within a short time budget.
valid_every() {
    if [ $(($1 / $2)) -gt 2000 ]; then echo 1000; else echo 0; fi
}
