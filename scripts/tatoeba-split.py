#!/usr/bin/env python3
"""A French-English split of Tatoeba for scripts/multi30k.sh (--dir fr-en).

    python3 scripts/tatoeba-split.py [DATA_DIR] [OUT_DIR]
    (defaults ../shared/data/tatoeba-en-fr and data/tatoeba-fr-en)

Holds out 2,000 pairs, 1,000 as val.{fr,en} and 1,000 as test2016.{fr,en}
(the recipe's file names), chosen among the pairs whose English sentence and
whose French sentence each occur once in the corpus, so that no held-out
sentence occurs in train.{fr,en} (the other pairs). The choice is the 2,000
such pairs whose SHA-1 of "en<TAB>fr" is smallest: the same split on every
machine."""
import hashlib
import os
import sys
from collections import Counter


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/tatoeba-en-fr"
    out = sys.argv[2] if len(sys.argv) > 2 else "data/tatoeba-fr-en"
    with open(os.path.join(src, "all.en"), encoding="utf-8") as f:
        en = f.read().split("\n")
    with open(os.path.join(src, "all.fr"), encoding="utf-8") as f:
        fr = f.read().split("\n")
    if en and en[-1] == "" and fr and fr[-1] == "":
        en.pop(), fr.pop()
    if len(en) != len(fr):
        sys.exit(f"tatoeba-split: all.en has {len(en)} lines but all.fr has {len(fr)}")
    ce, cf = Counter(en), Counter(fr)
    once = [i for i in range(len(en)) if ce[en[i]] == 1 and cf[fr[i]] == 1 and en[i] and fr[i]]
    once.sort(key=lambda i: hashlib.sha1(f"{en[i]}\t{fr[i]}".encode()).hexdigest())
    held = once[:2000]
    if len(held) < 2000:
        sys.exit(f"tatoeba-split: only {len(held)} pairs with sentences that occur once")
    parts = {"val": sorted(held[:1000]), "test2016": sorted(held[1000:])}
    taken = set(held)
    parts["train"] = [i for i in range(len(en)) if i not in taken]
    os.makedirs(out, exist_ok=True)
    for name, idx in parts.items():
        for lang, lines in (("en", en), ("fr", fr)):
            with open(os.path.join(out, f"{name}.{lang}"), "w", encoding="utf-8") as f:
                f.write("".join(lines[i] + "\n" for i in idx))
    held_sents = {en[i] for i in held} | {fr[i] for i in held}
    leak = sum(1 for i in parts["train"] if en[i] in held_sents or fr[i] in held_sents)
    print(f"tatoeba-split: {len(parts['train'])} training pairs, 1000 val, 1000 test2016 "
          f"in {out}; held-out sentences found in training: {leak}")


main()
