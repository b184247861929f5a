#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Lines of a patch that a later patch of the same series removes again: each patch of a
series a maintainer takes states its final design once. Prints, per pair of patches, how
many lines the later one takes back (a line counts when its exact text, added to a file by
the earlier patch, is removed from that file by the later one; blank lines and lone braces
are too common to say anything and are not counted).

  series-rewrites.py PATCHES_DIR [--max N]

Exits 1 if more than N lines (default: no limit) are rewritten.
"""
import collections
import os
import re
import sys

TRIVIAL = {"", "{", "}", "};", "*/", "/*", "*", "else", "break;", "return;", "return 0;"}


def parse(path):
    """{file: (added lines, removed lines)} of one patch, as multisets of stripped text."""
    out = collections.defaultdict(lambda: (collections.Counter(), collections.Counter()))
    f = None
    for line in open(path, errors="replace"):
        if line.startswith("+++ "):
            f = line[4:].strip()
            f = f[2:] if f.startswith("b/") else f
            continue
        if line.startswith("--- ") or f is None:
            continue
        if line.startswith("+") or line.startswith("-"):
            text = line[1:].strip()
            if text in TRIVIAL:
                continue
            out[f][0 if line[0] == "+" else 1][text] += 1
    return out


def main():
    args = sys.argv[1:]
    limit = None
    if "--max" in args:
        i = args.index("--max")
        if i + 1 >= len(args) or not args[i + 1].isdigit():
            sys.exit(__doc__)
        limit = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    top = args[0]
    series = [l.split("#")[0].strip() for l in open(os.path.join(top, "series"))]
    series = [s for s in series if s]
    parsed = [(s, parse(os.path.join(top, s))) for s in series]
    total = 0
    for i, (a, pa) in enumerate(parsed):
        for b, pb in parsed[i + 1:]:
            n = 0
            for f, (added, _) in pa.items():
                if f in pb:
                    removed = pb[f][1]
                    n += sum(min(c, removed[t]) for t, c in added.items() if t in removed)
            if n:
                print(f"  {n:4} lines of {a[:4] if not a.startswith('block') else a[:10]} rewritten by "
                      f"{b[:4] if not b.startswith('block') else b[:10]}")
                total += n
    added = sum(sum(c for c in x[0].values()) for _, p in parsed for x in p.values())
    print(f"series-rewrites: {total} of {added} added lines are taken back by a later patch")
    if limit is not None and total > limit:
        sys.exit(1)


if __name__ == "__main__":
    main()
