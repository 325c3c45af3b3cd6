"""Fails when a layer of availability_service imports what lies above it (docs/architecture.md).

Dependencies point inward: grpc_api -> service_layer -> domain, storage -> domain, and the
watch beside the service layer. Each rule names a package and what its modules may not
import directly (counting imports inside functions and under TYPE_CHECKING, as grimp sees
them all); `except` lists the modules of a forbidden package that are allowed (the ports are
the one part of service_layer that storage implements). Generated code (the protobuf
modules) belongs to grpc_api and the composition root only. `make lint` runs it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

import grimp

from tools import import_cycles

PACKAGE = "availability_service"
GENERATED = "tradedesk"
# The outermost modules: they build the application and may import everything.
COMPOSITION_ROOT = ("app", "serving", "background", "workers", "cli", "demo")


@dataclass(frozen=True)
class Rule:
    """Modules under `layer` import none of `forbidden` (with their submodules), but `except_`."""

    layer: str
    forbidden: tuple[str, ...]
    except_: tuple[str, ...] = ()

    def breaks(self, imported: str) -> bool:
        return _under(imported, self.forbidden) and not _under(imported, self.except_)


def _package(name: str) -> str:
    return f"{PACKAGE}.{name}"


def _under(module: str, packages: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


_ROOT = tuple(_package(m) for m in COMPOSITION_ROOT)
RULES = (
    Rule(
        _package("domain"),
        (
            *(_package(m) for m in ("service_layer", "storage", "watch", "grpc_api")),
            *_ROOT,
            GENERATED,
            "grpc",
            "sqlalchemy",
        ),
    ),
    Rule(
        _package("service_layer"),
        (_package("grpc_api"), _package("storage"), *_ROOT, GENERATED, "grpc", "sqlalchemy"),
    ),
    Rule(_package("watch"), (_package("grpc_api"), *_ROOT, GENERATED, "sqlalchemy")),
    Rule(
        _package("storage"),
        (_package("grpc_api"), _package("service_layer"), *_ROOT, GENERATED),
        except_=(_package("service_layer.ports"),),
    ),
)


def violations(graph: grimp.ImportGraph, rules: Iterable[Rule] = RULES) -> list[str]:
    """Each forbidden direct import as `importer -> imported (line n)`, sorted."""
    found = []
    for rule in rules:
        for importer in sorted(m for m in graph.modules if _under(m, (rule.layer,))):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if rule.breaks(imported):
                    found.append(_describe(graph, importer, imported))
    found += _generated_outside_grpc_api(graph)
    return sorted(set(found))


def _generated_outside_grpc_api(graph: grimp.ImportGraph) -> list[str]:
    allowed = (_package("grpc_api"), *_ROOT)
    return [
        _describe(graph, importer, imported)
        for importer in sorted(graph.modules)
        if _under(importer, (PACKAGE,)) and not _under(importer, allowed)
        for imported in sorted(graph.find_modules_directly_imported_by(importer))
        if _under(imported, (GENERATED,))
    ]


def _describe(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    return import_cycles.describe(graph, [importer, imported])[0]


def main() -> int:
    graph = grimp.build_graph(PACKAGE, include_external_packages=True, cache_dir=None)
    found = violations(graph)
    if found:
        print("imports that point outward (docs/architecture.md, Layers):")
        print("\n".join(found))
        print(f"{len(found)} layer violation(s) in {PACKAGE}", file=sys.stderr)
        return 1
    print(f"every layer of {PACKAGE} imports only inward")
    return 0


if __name__ == "__main__":
    sys.exit(main())
