"""Reliability figures: each test records what it survived; the session prints and saves them.

The figures land in <pytest basetemp>/reliability-figures.json and in one summary line per test
at the end of the run; docs/reliability.md quotes them from a real run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

_FIGURES: dict[str, dict[str, Any]] = {}
_PATH: list[Path] = []


class Figures:
    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, name: str, **values: Any) -> None:
        _FIGURES[name] = values
        self.path.write_text(json.dumps(_FIGURES, indent=2, sort_keys=True))
        print(summary_line(name, values))


def summary_line(name: str, values: dict[str, Any]) -> str:
    return f"reliability {name}: " + " ".join(f"{k}={v}" for k, v in values.items())


@pytest.fixture(scope="session")
def figures(tmp_path_factory: pytest.TempPathFactory) -> Figures:
    path = tmp_path_factory.getbasetemp() / "reliability-figures.json"
    _PATH[:] = [path]
    return Figures(path)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, values in sorted(_FIGURES.items()):
        terminalreporter.write_line(summary_line(name, values))
    terminalreporter.write_line(f"saved to {_PATH[0]}")
