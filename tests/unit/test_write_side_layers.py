"""The write side of the service layer speaks only the persistence port: no SQLAlchemy, no
storage/ module, no Connection (issue 13). Read from the source, so a new import fails here
before it spreads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import availability_service.service_layer as service_layer

SERVICE_LAYER = Path(service_layer.__file__).parent
# The use cases that write (and what they call); the read side is converted alongside.
WRITE_SIDE = (
    "lots",
    "holds",
    "hold_list",
    "changes",
    "idempotent",
    "hold_ends",
    "enrichment",
    "price_check",
    "market",
    "sweeper",
    "price_review",
    "retention",
)
FORBIDDEN = (
    "sqlalchemy",
    "availability_service.storage",
    "availability_service.service_layer.unit_of_work",
)


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("module", WRITE_SIDE)
def test_a_write_use_case_imports_neither_sqlalchemy_nor_storage(module: str) -> None:
    imports = imported_modules(SERVICE_LAYER / f"{module}.py")
    assert not {i for i in imports if i.startswith(FORBIDDEN)}


def test_placing_a_lot_reads_the_registry_through_the_port() -> None:
    source = (SERVICE_LAYER / "locations.py").read_text()
    place_lot = source[source.index("def place_lot(") :]
    assert "tx.locations.get(" in place_lot and "store." not in place_lot
