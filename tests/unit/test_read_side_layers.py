"""Nothing under service_layer/ or watch/ speaks SQL: no SQLAlchemy, no storage/ module
(issue 13). The reads go through the persistence port; the read router and the LISTEN
connection live in storage/, and the composition root hands them in."""

from __future__ import annotations

from pathlib import Path

import pytest

import availability_service.service_layer as service_layer
import availability_service.watch as watch
from tests.unit.test_write_side_layers import FORBIDDEN, imported_modules

MODULES = sorted(
    [*Path(service_layer.__file__).parent.rglob("*.py"), *Path(watch.__file__).parent.glob("*.py")]
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_service_or_watch_module_imports_neither_sqlalchemy_nor_storage(path: Path) -> None:
    imports = imported_modules(path)
    assert not {i for i in imports if i.startswith(FORBIDDEN)}
