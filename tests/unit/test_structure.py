"""The structure checks of `make lint` (tools/): no import cycles, no oversized module."""

from __future__ import annotations

import grimp
import pytest

from tools import import_cycles, module_size


def graph_of(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=7, line_contents="")
    return graph


def test_modules_importing_each_other_through_others_are_one_cycle_named_as_a_chain() -> None:
    graph = graph_of(("pkg.a", "pkg.b"), ("pkg.b", "pkg.c"), ("pkg.c", "pkg.a"), ("pkg.c", "pkg.d"))
    groups = list(import_cycles.strongly_connected(graph))
    assert groups == [{"pkg.a", "pkg.b", "pkg.c"}]
    chain = import_cycles.cycle_through(graph, groups[0])
    assert chain == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]
    assert import_cycles.describe(graph, chain) == [
        "    pkg.a -> pkg.b (line 7)",
        "    pkg.b -> pkg.c (line 7)",
        "    pkg.c -> pkg.a (line 7)",
    ]


def test_imports_that_only_point_one_way_are_no_cycle() -> None:
    graph = graph_of(("pkg.a", "pkg.b"), ("pkg.b", "pkg.c"), ("pkg.a", "pkg.c"))
    assert list(import_cycles.strongly_connected(graph)) == []


def test_the_service_package_has_no_import_cycles_counting_type_checking_imports(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = import_cycles.main()
    assert code == 0, capsys.readouterr().out


def test_no_hand_written_module_grows_over_the_line_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = module_size.main()
    assert code == 0, capsys.readouterr().out
