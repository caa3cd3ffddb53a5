#!/usr/bin/env python3
"""check-includes.py [ROOT]: the layers' include rules, read from the
#include lines of src/ and include/s2s/. Fails (exit 1, one line per
violation) when a file includes a header of a folder its own folder may not
include, or when headers include each other in a circle. The rules are the
table below (src/README.md explains the folders): cli above everything;
serve, train and decode above model; model above nn and text; metrics
beside, over text; base under all."""
import os
import re
import sys

MAY_INCLUDE = {
    "base": {"base"},
    "nn": {"base", "nn"},
    "text": {"base", "text"},
    "metrics": {"base", "text", "metrics"},
    "model": {"base", "nn", "text", "model"},
    "decode": {"base", "nn", "text", "model", "decode"},
    "train": {"base", "nn", "text", "metrics", "model", "decode", "train"},
    "serve": {"base", "nn", "text", "model", "decode", "serve"},
    "cli": {"base", "nn", "text", "metrics", "model", "decode", "train", "serve", "cli"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"s2s/([a-z]+)/([a-z_0-9]+)\.h"', re.M)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    bad, edges, files = [], {}, 0
    for top, folder_of in (("src", lambda p: p.split(os.sep)[1]),
                           (os.path.join("include", "s2s"), lambda p: p.split(os.sep)[2])):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.relpath(os.path.join(dirpath, name), root)
                parts = path.split(os.sep)
                if len(parts) != (3 if top == "src" else 4):
                    bad.append("%s: not in a layer's folder" % path)
                    continue
                files += 1
                folder = folder_of(path)
                if folder not in MAY_INCLUDE:
                    bad.append("%s: unknown folder '%s'" % (path, folder))
                    continue
                text = open(os.path.join(root, path), encoding="utf-8").read()
                for inc_folder, inc in INCLUDE.findall(text):
                    if not os.path.exists(os.path.join(root, "include", "s2s", inc_folder, inc + ".h")):
                        bad.append("%s: includes s2s/%s/%s.h, which does not exist" % (path, inc_folder, inc))
                    elif inc_folder not in MAY_INCLUDE[folder]:
                        bad.append("%s: %s may not include %s (s2s/%s/%s.h)" % (path, folder, inc_folder, inc_folder, inc))
                    if path.endswith(".h"):
                        edges.setdefault(path, []).append(os.path.join("include", "s2s", inc_folder, inc + ".h"))
    # a circle among headers: depth-first search for a back edge
    state = {}

    def visit(h, stack):
        state[h] = 1
        for g in edges.get(h, []):
            if state.get(g) == 1:
                bad.append("include circle: " + " -> ".join(stack[stack.index(g):] + [g]))
            elif not state.get(g):
                visit(g, stack + [g])
        state[h] = 2

    for h in sorted(edges):
        if not state.get(h):
            visit(h, [h])
    for b in bad:
        print("check-includes: " + b)
    print("check-includes: %d files, %d violations" % (files, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
