"""The TypeScript client, built and ready to run with `node` (installed on first use)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TYPESCRIPT = Path(__file__).resolve().parents[2] / "clients" / "typescript"


def _newest(paths: list[Path]) -> float:
    return max((p.stat().st_mtime for p in paths), default=0.0)


@pytest.fixture(scope="session")
def typescript_client() -> Path:
    """clients/typescript with node_modules installed (npm ci) and dist/ built (tsc).

    `make test` prepares both through `make clients`; this covers a bare `pytest` run.
    """
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed for the interop tests (Node 20 or newer)")
    if not (TYPESCRIPT / "node_modules" / ".package-lock.json").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=TYPESCRIPT,
            check=True,
            capture_output=True,
            timeout=300,
        )
    script = TYPESCRIPT / "dist" / "interop.js"
    if (
        not script.exists()
        or _newest(list((TYPESCRIPT / "src").rglob("*.ts"))) > script.stat().st_mtime
    ):
        subprocess.run(
            ["npm", "run", "build"], cwd=TYPESCRIPT, check=True, capture_output=True, timeout=300
        )
    return script
