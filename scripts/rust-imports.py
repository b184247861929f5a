#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The module's import graph (rust/*.rs): which file uses which, from `use crate::...`,
`crate::X::` paths and, in the crate root, `use X::` of its own modules. Fails if the graph
has a cycle (make check).

  rust-imports.py [--dot] RUST_DIR
"""
import os
import re
import sys


def deps(path, mods, root):
    text = open(path).read()
    # Comments and strings say nothing about imports.
    text = re.sub(r"//[^\n]*", "", text)
    out = set()
    for m in re.finditer(r"\bcrate::(\w+)", text):
        out.add(m.group(1))
    for m in re.finditer(r"use crate::\{(.*?)\};", text, re.S):
        # The first segment of each top-level path: nested lists removed first.
        top = m.group(1)
        while re.search(r"\{[^{}]*\}", top):
            top = re.sub(r"\{[^{}]*\}", "", top)
        for path in top.split(","):
            name = path.strip().split("::")[0]
            # An item of the crate root (`Stats`), not a module.
            out.add(name if name in mods or not name[:1].isupper() else "<root>")
    if root:
        # The root names its modules directly: `use disk::...`, `sys::rcu_barrier()`.
        for m in re.finditer(r"(?<![:\w])(\w+)::", text):
            out.add(m.group(1))
    return {"vswap" if d == "<root>" else d for d in out if d in mods or d == "<root>"}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    d = args[0]
    files = sorted(f[:-3] for f in os.listdir(d) if f.endswith(".rs"))
    root = "vswap"
    mods = set(files) - {root}
    graph = {f: deps(os.path.join(d, f + ".rs"), mods, f == root) - {f} for f in files}
    # The crate root's items are used as `crate::Item`: an edge to the root. But for
    # `THIS_MODULE`, which module! defines there for every file to name the module by.
    for f in files:
        text = re.sub(r"//[^\n]*", "", open(os.path.join(d, f + ".rs")).read())
        if f != root and re.search(r"\bcrate::(?!(?:%s|THIS_MODULE)\b)[A-Z]\w*" % "|".join(mods), text):
            graph[f].add(root)
    if "--dot" in sys.argv:
        print("digraph vswap {")
        for f in files:
            for t in sorted(graph[f]):
                print(f'  "{f}" -> "{t}";')
        print("}")
    # Cycles: depth-first search for a back edge.
    state, stack, cycles = {}, [], []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                cycles.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for f in files:
        if f not in state:
            visit(f)
    for f in files:
        print(f"  {f:8} -> {' '.join(sorted(graph[f])) or '-'}", file=sys.stderr)
    if cycles:
        for c in cycles:
            print("rust-imports: cycle: " + " -> ".join(c), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
