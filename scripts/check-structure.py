#!/usr/bin/env python3
"""Structure checks run by `make lint`:

1. The module graph of `core` (top-level modules; an edge A -> B for every
   `crate::B` path in A's files) has no cycle. Prints the graph with -v.
2. No front crate can reach a `rusqlite::Connection`: core's public items
   never hand one out, and the CLI and desktop crates do not depend on
   rusqlite (the desktop's tests may, to tamper with a test vault).
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORE = ROOT / "core" / "src"


def top_module(path: pathlib.Path) -> str:
    rel = path.relative_to(CORE)
    return rel.parts[0].removesuffix(".rs") if len(rel.parts) == 1 else rel.parts[0]


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def graph() -> dict:
    modules = {top_module(p) for p in CORE.rglob("*.rs")} - {"lib"}
    edges = {m: set() for m in modules}
    for p in CORE.rglob("*.rs"):
        m = top_module(p)
        if m == "lib":
            continue
        text = strip_comments(p.read_text())
        # Test modules may use anything; they are not part of the graph.
        text = text.split("#[cfg(test)]", 1)[0]
        for target in re.findall(r"\bcrate::(\w+)", text):
            if target in modules and target != m:
                edges[m].add(target)
        # `use crate::{a, b::c}` groups.
        for group in re.findall(r"\bcrate::\{([^}]*)\}", text):
            for target in re.findall(r"(?:^|,)\s*(\w+)", group):
                if target in modules and target != m:
                    edges[m].add(target)
    return edges


def cycles(edges: dict) -> list:
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def connection_leaks() -> list:
    leaks = []
    for p in CORE.rglob("*.rs"):
        text = strip_comments(p.read_text()).split("#[cfg(test)]", 1)[0]
        for sig in re.findall(r"^\s*pub fn [^{;]*", text, flags=re.M):
            if "Connection" in sig or "Transaction" in sig:
                leaks.append(f"{p.relative_to(ROOT)}: {' '.join(sig.split())}")
        for field in re.findall(r"^\s*pub \w+\s*:\s*[^,\n]*(?:Connection|Transaction)[^,\n]*", text, flags=re.M):
            leaks.append(f"{p.relative_to(ROOT)}: {field.strip()}")
    for front in ["cli", "src-tauri"]:
        manifest = (ROOT / front / "Cargo.toml").read_text()
        deps = manifest.split("[dependencies]", 1)[1].split("\n[", 1)[0]
        if re.search(r"^rusqlite", deps, flags=re.M):
            leaks.append(f"{front}/Cargo.toml depends on rusqlite")
        for src in (ROOT / front / "src").rglob("*.rs"):
            if "rusqlite" in src.read_text():
                leaks.append(f"{src.relative_to(ROOT)} names rusqlite")
    return leaks


def main() -> int:
    edges = graph()
    if "-v" in sys.argv:
        for m in sorted(edges):
            print(f"{m} -> {', '.join(sorted(edges[m])) or '(nothing)'}")
    found = cycles(edges)
    for c in found:
        print("module cycle in core: " + " <-> ".join(c), file=sys.stderr)
    leaks = connection_leaks()
    for l in leaks:
        print("a front can reach a database connection: " + l, file=sys.stderr)
    if not found and not leaks:
        print(f"core: {len(edges)} modules, {sum(len(e) for e in edges.values())} edges, no cycle; "
              "no front can reach a rusqlite::Connection")
    return 1 if found or leaks else 0


if __name__ == "__main__":
    sys.exit(main())
