#!/usr/bin/env python3
"""reseal.py IN OUT FROM TO: copies the model file IN to OUT with the first
FROM in its JSON metadata replaced by TO, and the header's json_len, the
padding and the FNV-1a checksum recomputed, so that only the loader's
content checks (and what uses the content) can tell. For tests.
reseal.py IN OUT --fill V: the same with every parameter set to V (the
optimiser's moments, if any, unchanged)."""
import struct
import sys


def fnv1a(data, h=0xcbf29ce484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    src, dst, old, new = sys.argv[1:5]
    blob = open(src, "rb").read()
    head = bytearray(blob[:32])
    json_len = struct.unpack_from("<Q", head, 16)[0]
    pad = (64 - (32 + json_len) % 64) % 64
    meta = blob[32:32 + json_len]
    body = blob[32 + json_len + pad:-8]
    if old == "--fill":
        nparams = struct.unpack_from("<Q", head, 24)[0]
        body = struct.pack("<f", float(new)) * nparams + body[4 * nparams:]
        old = new = ""
    at = meta.find(old.encode())
    if at < 0:
        sys.exit("reseal.py: %r not in the metadata of %s" % (old, src))
    meta = meta[:at] + new.encode() + meta[at + len(old.encode()):]
    struct.pack_into("<Q", head, 16, len(meta))
    pad = (64 - (32 + len(meta)) % 64) % 64
    out = bytes(head) + meta + b"\0" * pad + body
    # FNV-1a in pure Python is slow: fine for the small models tests use.
    open(dst, "wb").write(out + struct.pack("<Q", fnv1a(out)))


if __name__ == "__main__":
    main()
