"""The Get ladder's `base` rung runs the base checkout's code, not this checkout's.

`python -m` puts the working directory first on sys.path, ahead of PYTHONPATH: until
2 December the base rung set only PYTHONPATH and, started from this checkout, ran this
checkout's package (every `--base` comparison before then measured the code against itself).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.benchmarks import get_ladder


def _base_checkout(root: Path) -> Path:
    (root / "availability_service").mkdir(parents=True)
    (root / "availability_service" / "__init__.py").write_text("")
    (root / "availability_service" / "which.py").write_text("print(__file__)\n")
    (root / "tests" / "benchmarks").mkdir(parents=True)
    (root / "tests" / "benchmarks" / "get_ladder.py").write_text("")
    return root


def test_the_base_rung_imports_the_base_checkouts_package(tmp_path: Path) -> None:
    base = _base_checkout(tmp_path / "base")
    db = SimpleNamespace(url="postgresql+psycopg2://unused")
    proc = get_ladder._process("base", db, tmp_path, tmp_path / "reply.bin", str(base), False)  # type: ignore[arg-type]
    assert proc.argv[1:3] == ["-m", "availability_service.cli"]
    # Started as the rung's process is started (its directory and environment), `-m` finds
    # the base's package.
    which = subprocess.run(
        [sys.executable, "-m", "availability_service.which"],
        cwd=proc.cwd,
        env=proc.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(which.stdout.strip()).resolve() == (base / "availability_service" / "which.py")


def test_a_base_without_the_package_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"no availability_service/__init__\.py"):
        get_ladder._checkout(str(tmp_path))
