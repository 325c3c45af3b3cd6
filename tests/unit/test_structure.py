"""The structure checks of `make lint` (tools/): no import cycles, layers that import only
inward, no oversized module."""

from __future__ import annotations

import grimp
import pytest

from tools import import_cycles, import_layers, module_size


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


def test_every_layer_of_the_service_imports_only_inward(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = import_layers.main()
    assert code == 0, capsys.readouterr().out


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("availability_service.domain.model", "availability_service.service_layer.lots"),
        ("availability_service.domain.model", "availability_service.watch.hub"),
        ("availability_service.domain.model", "sqlalchemy"),
        ("availability_service.service_layer.lots", "availability_service.grpc_api.lot_output"),
        ("availability_service.service_layer.lots", "availability_service.storage.repositories"),
        ("availability_service.service_layer.sweeper", "availability_service.app"),
        ("availability_service.service_layer.lots", "sqlalchemy"),
        ("availability_service.service_layer.lots", "grpc"),
        ("availability_service.service_layer.lots", "tradedesk"),
        ("availability_service.watch.feed", "availability_service.grpc_api.lot_output"),
        ("availability_service.watch.feed", "sqlalchemy"),
        ("availability_service.watch.feed", "tradedesk"),
        ("availability_service.storage.lots", "availability_service.grpc_api.errors"),
        ("availability_service.storage.lots", "availability_service.service_layer.search"),
        ("availability_service.auth.visibility", "tradedesk"),
    ],
)
def test_an_import_that_points_outward_is_named_with_its_line(importer: str, imported: str) -> None:
    graph = graph_of((importer, imported))
    assert import_layers.violations(graph) == [f"    {importer} -> {imported} (line 7)"]


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("availability_service.grpc_api.lots_rpc", "availability_service.service_layer.lots"),
        ("availability_service.grpc_api.lots_rpc", "tradedesk"),
        ("availability_service.serving", "tradedesk"),
        ("availability_service.service_layer.lots", "availability_service.domain.model"),
        ("availability_service.storage.repositories", "availability_service.service_layer.ports"),
        ("availability_service.storage.lots", "availability_service.service_layer.ports.lots"),
        ("availability_service.watch.hub", "availability_service.service_layer.ports"),
        ("availability_service.watch.hub", "grpc"),
    ],
)
def test_an_import_that_points_inward_or_sideways_is_allowed(importer: str, imported: str) -> None:
    assert import_layers.violations(graph_of((importer, imported))) == []
