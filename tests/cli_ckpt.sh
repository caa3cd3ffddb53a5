#!/usr/bin/env bash
# The model file from the command line: a FIFO (or any non-regular file)
# given as a model is refused at once instead of blocking in open().
# `timeout 60` is a hang guard only: a regression fails instead of hanging.
set -u
. "$(dirname "$0")/lib_cli.sh"
cd "$tmp" || exit 1

mkfifo f
expect 1 "f: not a regular file" timeout 60 "$S2S" info --json f
expect 1 "f: not a regular file" timeout 60 "$S2S" translate -m f
expect 1 "f: not a regular file" timeout 60 "$S2S" score -m f --src f --tgt f
expect 1 "/dev/null: not a regular file" timeout 60 "$S2S" info --json /dev/null

echo "cli_ckpt: $fails failures"
[ "$fails" -eq 0 ]
