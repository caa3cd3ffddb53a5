#!/usr/bin/env python3
"""Generate the s2s demo corpus: English number words -> German number words.

    python3 scripts/gen-demo-data.py [--seed N] [OUTDIR]     # default: --seed 1 data/demo
    python3 scripts/gen-demo-data.py --check [--seed N]      # self-test, exit 1 on failure

Writes OUTDIR/{train,valid,test}.{en,de} and OUTDIR/README.md.  Standard
library only; the output depends only on the seed (byte-identical reruns).

The task needs reordering: German says the units before the tens
(42 -> "zwei und vierzig").  German compounds are split into their parts so
that tokens are shared: 201,001 -> "zwei hundert ein tausend eins".
"""

import argparse
import os
import random
import sys

N_TRAIN, N_VALID, N_TEST = 12000, 500, 500
MAX_N = 999_999
# Two-digit compounds (21..99, not multiples of ten) held out of train per
# evaluation set, so valid/test contain some short sentences too.  Everything
# else in 1..99 is in train; the held-out ones still occur inside larger
# training numbers, so the parts are learnable.
N_HELDOUT_SMALL = 4

# ---------------------------------------------------------------- English ---

EN_ONES = ["", "one", "two", "three", "four", "five", "six", "seven",
           "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen",
           "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
           "eighty", "ninety"]


def _en_below_1000(n):
    assert 1 <= n <= 999
    out = []
    h, r = divmod(n, 100)
    if h:
        out += [EN_ONES[h], "hundred"]
    if r >= 20:
        t, u = divmod(r, 10)
        out.append(EN_TENS[t])
        if u:
            out.append(EN_ONES[u])
    elif r:
        out.append(EN_ONES[r])
    return out


def english(n):
    """342 -> 'three hundred forty two' (American, no 'and')."""
    if not 1 <= n <= MAX_N:
        raise ValueError("out of range: %d" % n)
    th, r = divmod(n, 1000)
    out = []
    if th:
        out += _en_below_1000(th) + ["thousand"]
    if r:
        out += _en_below_1000(r)
    return " ".join(out)

# ----------------------------------------------------------------- German ---

DE_ONES = ["", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben",
           "acht", "neun", "zehn", "elf", "zwölf", "dreizehn", "vierzehn",
           "fünfzehn", "sechzehn", "siebzehn", "achtzehn", "neunzehn"]
DE_TENS = ["", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig",
           "siebzig", "achtzig", "neunzig"]


def _de_unit(u, last):
    """A unit digit 1..9; 1 is 'eins' only as the very last word, else 'ein'."""
    if u == 1 and not last:
        return "ein"
    return DE_ONES[u]


def _de_below_1000(n, last):
    """Tokens for 1..999; `last` says whether nothing follows this group."""
    assert 1 <= n <= 999
    out = []
    h, r = divmod(n, 100)
    if h:
        out += [_de_unit(h, False), "hundert"]
    if r >= 20:
        t, u = divmod(r, 10)
        if u:
            out += [_de_unit(u, False), "und"]
        out.append(DE_TENS[t])
    elif r >= 10:
        out.append(DE_ONES[r])
    elif r:
        out.append(_de_unit(r, last))
    return out


def german(n):
    """342 -> 'drei hundert zwei und vierzig'; 201001 -> 'zwei hundert ein tausend eins'."""
    if not 1 <= n <= MAX_N:
        raise ValueError("out of range: %d" % n)
    th, r = divmod(n, 1000)
    out = []
    if th:
        out += _de_below_1000(th, last=False) + ["tausend"]
    if r:
        out += _de_below_1000(r, last=True)
    return " ".join(out)

# --------------------------------------------------------------- sampling ---


def make_splits(seed):
    """Return (train, valid, test) as lists of distinct ints, disjoint sets.

    Numbers are drawn by picking a digit count uniformly in 1..6 and then a
    uniform number with that many digits, rejecting repeats (a digit count
    whose numbers are all taken is redrawn).  1..99 are always included; all
    of them go to train except N_HELDOUT_SMALL two-digit compounds per
    evaluation set.  The remaining held-out numbers are drawn from >= 100.
    """
    rng = random.Random(seed)
    total = N_TRAIN + N_VALID + N_TEST
    chosen = set(range(1, 100))
    # taken[d] = how many d-digit numbers are in `chosen`
    taken = {d: 0 for d in range(1, 7)}
    taken[1], taken[2] = 9, 90
    while len(chosen) < total:
        d = rng.randint(1, 6)
        lo, hi = 10 ** (d - 1), 10 ** d - 1
        if taken[d] == hi - lo + 1:
            continue                    # pool used up: redraw the digit count
        n = rng.randint(lo, hi)
        if n not in chosen:
            chosen.add(n)
            taken[d] += 1

    compounds = [n for n in range(21, 100) if n % 10]
    rng.shuffle(compounds)
    small_valid = compounds[:N_HELDOUT_SMALL]
    small_test = compounds[N_HELDOUT_SMALL:2 * N_HELDOUT_SMALL]

    big = sorted(n for n in chosen if n >= 100)
    rng.shuffle(big)
    k = N_VALID - N_HELDOUT_SMALL
    m = N_TEST - N_HELDOUT_SMALL
    valid = small_valid + big[:k]
    test = small_test + big[k:k + m]
    held = set(valid) | set(test)
    train = [n for n in sorted(chosen) if n not in held]

    for part in (train, valid, test):
        rng.shuffle(part)
    return train, valid, test


# ----------------------------------------------------------------- output ---


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")


def stats(lines):
    vocab = set()
    maxlen = 0
    for line in lines:
        toks = line.split(" ")
        vocab.update(toks)
        maxlen = max(maxlen, len(toks))
    return len(vocab), maxlen


def canonical_command(seed, outdir):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rel = os.path.relpath(os.path.abspath(outdir), repo)
    if rel.startswith(".."):
        rel = outdir
    return "python3 scripts/gen-demo-data.py --seed %d %s" % (seed, rel)


README = """\
# Demo corpus: English number words -> German number words

Generated by the s2s project itself (`scripts/gen-demo-data.py`); it contains
no third-party text and carries no outside licence.  Regenerate it
(byte-identically) from the repository root with:

    {command}

Self-test of the number-word converters:

    python3 scripts/gen-demo-data.py --check

## Task

Translate a number from 1 to 999,999 written in English words into German
words.  German says the units before the tens, so the model has to reorder:

    three hundred forty two      ->  drei hundert zwei und vierzig
    two hundred one thousand one ->  zwei hundert ein tausend eins

English is American style without "and".  German compounds are split into
their parts, separated by single spaces ("zweihunderteintausendeins" ->
`zwei hundert ein tausend eins`), so tokens are shared between numbers; the
unit 1 is `eins` only as the very last word and `ein` before another part.

## Files

One sentence per line, lowercase, tokens separated by single spaces, UTF-8,
LF line ends.  Line i of `X.en` translates to line i of `X.de`.

| split | pairs | en vocab | de vocab | max en tokens | max de tokens |
|-------|------:|---------:|---------:|--------------:|--------------:|
{table}

## Sampling

Seed {seed}.  Numbers are drawn by picking a digit count uniformly in 1..6
and then a uniform number with that many digits, without repeats, so short
and long numbers are both common (the 1-, 2- and 3-digit pools are used up
completely).  The three splits are disjoint: no number appears in two of
them, and none twice in one.  All of 1..99 are in train except
{nheld} two-digit compounds held out for each of valid ({small_valid}) and
test ({small_test}); their parts still occur inside longer training numbers.
"""


def generate(seed, outdir):
    train, valid, test = make_splits(seed)
    os.makedirs(outdir, exist_ok=True)
    rows = []
    for name, nums in (("train", train), ("valid", valid), ("test", test)):
        en = [english(n) for n in nums]
        de = [german(n) for n in nums]
        write_lines(os.path.join(outdir, name + ".en"), en)
        write_lines(os.path.join(outdir, name + ".de"), de)
        ven, len_en = stats(en)
        vde, len_de = stats(de)
        rows.append("| %s | %d | %d | %d | %d | %d |"
                    % (name, len(nums), ven, vde, len_en, len_de))
    small = lambda nums: ", ".join(str(n) for n in sorted(n for n in nums if n < 100))
    text = README.format(command=canonical_command(seed, outdir),
                         table="\n".join(rows), seed=seed,
                         nheld=N_HELDOUT_SMALL,
                         small_valid=small(valid), small_test=small(test))
    with open(os.path.join(outdir, "README.md"), "w", encoding="utf-8",
              newline="\n") as f:
        f.write(text)

# ------------------------------------------------------------- self-test ---

KNOWN = [
    # n, English, German
    (1, "one", "eins"),
    (2, "two", "zwei"),
    (7, "seven", "sieben"),
    (10, "ten", "zehn"),
    (11, "eleven", "elf"),
    (12, "twelve", "zwölf"),
    (13, "thirteen", "dreizehn"),
    (16, "sixteen", "sechzehn"),
    (17, "seventeen", "siebzehn"),
    (19, "nineteen", "neunzehn"),
    (20, "twenty", "zwanzig"),
    (21, "twenty one", "ein und zwanzig"),
    (30, "thirty", "dreißig"),
    (42, "forty two", "zwei und vierzig"),
    (56, "fifty six", "sechs und fünfzig"),
    (77, "seventy seven", "sieben und siebzig"),
    (80, "eighty", "achtzig"),
    (99, "ninety nine", "neun und neunzig"),
    (100, "one hundred", "ein hundert"),
    (101, "one hundred one", "ein hundert eins"),
    (111, "one hundred eleven", "ein hundert elf"),
    (200, "two hundred", "zwei hundert"),
    (231, "two hundred thirty one", "zwei hundert ein und dreißig"),
    (342, "three hundred forty two", "drei hundert zwei und vierzig"),
    (999, "nine hundred ninety nine", "neun hundert neun und neunzig"),
    (1000, "one thousand", "ein tausend"),
    (1001, "one thousand one", "ein tausend eins"),
    (1005, "one thousand five", "ein tausend fünf"),
    (1100, "one thousand one hundred", "ein tausend ein hundert"),
    (2021, "two thousand twenty one", "zwei tausend ein und zwanzig"),
    (11000, "eleven thousand", "elf tausend"),
    (21000, "twenty one thousand", "ein und zwanzig tausend"),
    (31000, "thirty one thousand", "ein und dreißig tausend"),
    (70017, "seventy thousand seventeen", "siebzig tausend siebzehn"),
    (100000, "one hundred thousand", "ein hundert tausend"),
    (101101, "one hundred one thousand one hundred one",
     "ein hundert ein tausend ein hundert eins"),
    (201001, "two hundred one thousand one", "zwei hundert ein tausend eins"),
    (250013, "two hundred fifty thousand thirteen",
     "zwei hundert fünfzig tausend dreizehn"),
    (999999, "nine hundred ninety nine thousand nine hundred ninety nine",
     "neun hundert neun und neunzig tausend neun hundert neun und neunzig"),
]


def self_test(seed):
    failures = 0

    def fail(msg):
        nonlocal failures
        failures += 1
        print("FAIL: " + msg, file=sys.stderr)

    for n, en, de in KNOWN:
        if english(n) != en:
            fail("english(%d) = %r, want %r" % (n, english(n), en))
        if german(n) != de:
            fail("german(%d) = %r, want %r" % (n, german(n), de))

    # Whole range: injective, well-formed, ein/eins rule.
    seen_en, seen_de = set(), set()
    for n in range(1, MAX_N + 1):
        en, de = english(n), german(n)
        for s in (en, de):
            if not s or s != s.strip() or "  " in s or s != s.lower():
                fail("badly formed %r for %d" % (s, n))
        toks = de.split(" ")
        if "eins" in toks[:-1] or toks[-1] == "ein":
            fail("ein/eins rule broken for %d: %r" % (n, de))
        seen_en.add(en)
        seen_de.add(de)
        if failures > 20:
            break
    else:
        if len(seen_en) != MAX_N or len(seen_de) != MAX_N:
            fail("conversion not injective (%d en, %d de distinct)"
                 % (len(seen_en), len(seen_de)))

    # Splits: sizes, no duplicates, disjoint, determinism, small numbers.
    train, valid, test = make_splits(seed)
    for name, nums, want in (("train", train, N_TRAIN),
                             ("valid", valid, N_VALID),
                             ("test", test, N_TEST)):
        if len(nums) != want or len(set(nums)) != want:
            fail("%s: %d numbers, %d distinct, want %d"
                 % (name, len(nums), len(set(nums)), want))
        if not all(1 <= n <= MAX_N for n in nums):
            fail("%s: number out of range" % name)
    st, sv, ss = set(train), set(valid), set(test)
    if st & sv or st & ss or sv & ss:
        fail("splits not disjoint")
    if sum(1 for n in range(1, 100) if n in st) != 99 - 2 * N_HELDOUT_SMALL:
        fail("1..99 not mostly in train")
    if make_splits(seed) != (train, valid, test):
        fail("make_splits not deterministic")

    print("%s: %d known conversions, range 1..%d, splits for seed %d"
          % ("FAILED" if failures else "ok", len(KNOWN), MAX_N, seed))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", nargs="?", default="data/demo",
                    help="output directory (default: data/demo)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    ap.add_argument("--check", action="store_true",
                    help="run the self-test and exit (non-zero on failure)")
    args = ap.parse_args()
    if args.check:
        return self_test(args.seed)
    generate(args.seed, args.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
