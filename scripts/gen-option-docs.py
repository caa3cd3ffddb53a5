#!/usr/bin/env python3
"""The option tables of docs/, from the option tables in the code.

A docs page holds a command's options between the lines
    <!-- options: CMD -->
    <!-- /options: CMD -->
For train, translate, score and serve, whose options are tables in the code,
the block is what `s2s help --markdown CMD` prints: this script writes it;
likewise the block "habits" (other tools' option names, docs/coming-from.md).
Every block, generated or written by hand (bleu's), must name exactly the
long options `s2s CMD --help` lists.

    python3 scripts/gen-option-docs.py [--check] [--s2s PATH] [FILE.md ...]

Without --check, rewrites the generated blocks in place. With --check,
changes nothing and exits 1 when a generated block is stale or a block and
--help disagree (each problem on a line: FILE:LINE: what). Files: docs/*.md
by default.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

BLOCK = re.compile(r"^<!-- options: ([a-z]+) -->\n(.*?)^<!-- /options: \1 -->$", re.M | re.S)
LONG = re.compile(r"--[a-z0-9][a-z0-9_-]*")


def run(s2s, *args):
    p = subprocess.run([s2s, *args], capture_output=True, text=True)
    return p.returncode, p.stdout


def help_options(s2s, cmd):
    """The long options in the left column of `s2s CMD --help`."""
    code, out = run(s2s, cmd, "--help")
    if code != 0:
        return None
    names = set()
    for line in out.splitlines():
        m = re.match(r"^\s+(-\S.*?)(?:\s{2,}|$)", line)
        if m:
            names.update(LONG.findall(m.group(1)))
    return names


def table_options(block):
    """The long options in the first cell of each table row."""
    names = set()
    for line in block.splitlines():
        cells = re.split(r"(?<!\\)\|", line)
        if len(cells) > 2 and not set(cells[1].strip()) <= set("-: "):
            names.update(LONG.findall(cells[1]))
    return names


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def process(path, s2s, check):
    text = open(path, encoding="utf-8").read()
    problems, out, last = [], [], 0
    for m in BLOCK.finditer(text):
        cmd, body = m.group(1), m.group(2)
        where = f"{path}:{line_of(text, m.start())}"
        code, table = run(s2s, "help", "--markdown", cmd)
        if code == 0 and body != table:
            if check:
                problems.append(f"{where}: the {cmd} table is not what `s2s help --markdown {cmd}` "
                                f"prints: run scripts/gen-option-docs.py")
            body = table
        out.append(text[last:m.start(2)] + body)
        last = m.end(2)
        if cmd == "habits":  # other tools' names: no command's --help to match
            continue
        wanted = help_options(s2s, cmd)
        if wanted is None:
            problems.append(f"{where}: `s2s {cmd} --help` failed")
            continue
        have = table_options(body)
        for name in sorted(wanted - have):
            problems.append(f"{where}: {name} is in `s2s {cmd} --help` but not in the table")
        for name in sorted(have - wanted):
            problems.append(f"{where}: {name} is in the table but not in `s2s {cmd} --help`")
    new = "".join(out) + text[last:]
    if not check and new != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
        print(f"gen-option-docs: rewrote {path}", file=sys.stderr)
    return problems, len(BLOCK.findall(text))


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 on a problem")
    ap.add_argument("--s2s", default=os.path.join(root, "s2s"), help="the binary (default ./s2s)")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    files = a.files or sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    problems, blocks = [], 0
    for path in files:
        p, n = process(path, a.s2s, a.check)
        problems += p
        blocks += n
    for p in problems:
        print(f"gen-option-docs: {p}")
    print(f"gen-option-docs: {blocks} option tables, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
