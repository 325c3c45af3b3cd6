"""Fails when modules of availability_service import each other, directly or through others.

Counts every import grimp sees: at module level, inside functions, and under TYPE_CHECKING
(a cycle for the type checker is a cycle in the design). Prints each cycle as a chain of
imports with their line numbers, so the fix is visible. `make lint` runs it.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable

import grimp

PACKAGE = "availability_service"


def strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Groups of two or more modules that all reach each other (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph.find_modules_directly_imported_by(module)):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = {stack.pop()}
            while module not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def cycle_through(graph: grimp.ImportGraph, group: set[str]) -> list[str]:
    """One shortest cycle through the group's first module: [a, b, ..., a]."""
    start = min(group)
    best: list[str] | None = None
    for imported in sorted(graph.find_modules_directly_imported_by(start) & group):
        back = graph.find_shortest_chain(importer=imported, imported=start)
        if back is not None and (best is None or len(back) + 1 < len(best)):
            best = [start, *back]
    assert best is not None, "a strongly connected group always has a cycle"
    return best


def describe(graph: grimp.ImportGraph, chain: Iterable[str]) -> list[str]:
    links = list(chain)
    lines = []
    for importer, imported in itertools.pairwise(links):
        details = graph.get_import_details(importer=importer, imported=imported)
        where = ", ".join(str(d["line_number"]) for d in details) or "?"
        lines.append(f"    {importer} -> {imported} (line {where})")
    return lines


def main() -> int:
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    groups = sorted((sorted(g) for g in strongly_connected(graph)), key=lambda g: g[0])
    for group in groups:
        print(f"import cycle among {len(group)} modules: {', '.join(group)}")
        print("  for example:")
        print("\n".join(describe(graph, cycle_through(graph, set(group)))))
    if groups:
        print(f"{len(groups)} import cycle(s) in {PACKAGE}", file=sys.stderr)
        return 1
    print(f"no import cycles in {PACKAGE} ({len(graph.modules)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
