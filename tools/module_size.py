"""Fails when a hand-written module of availability_service is over MAX_LINES lines.

A module should hold one concept (docs/operations.md, "How the process is put together");
past about 350 lines it usually holds two. Generated code and migration scripts are not
counted. `make lint` runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

MAX_LINES = 350
ROOT = Path(__file__).resolve().parent.parent / "availability_service"
SKIPPED = ("migrations/versions",)


def line_counts() -> dict[str, int]:
    counts = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if not name.startswith(SKIPPED):
            counts[name] = len(path.read_text(encoding="utf-8").splitlines())
    return counts


def main() -> int:
    over = {name: lines for name, lines in line_counts().items() if lines > MAX_LINES}
    for name, lines in sorted(over.items()):
        print(f"availability_service/{name}: {lines} lines, over {MAX_LINES}: split it")
    if over:
        return 1
    print(f"every hand-written module is within {MAX_LINES} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
