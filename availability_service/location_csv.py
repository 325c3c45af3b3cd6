"""`availability-service locations import FILE.csv`: bulk registration of seller locations.

Each row is its own transaction through LocationService, so one bad row never blocks the
good ones; the operator gets every bad row with its line number and a summary at the end.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from availability_service.domain.errors import InvalidArgument
from availability_service.domain.locations import Location
from availability_service.service_layer.locations import LocationService

COLUMNS = ("location_id", "owner_id", "display_name", "latitude", "longitude", "region")
# Service field paths follow the proto; the operator thinks in CSV columns.
_COLUMN_OF = {"location.point.latitude": "latitude", "location.point.longitude": "longitude"}


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)


def _column(field_path: str) -> str:
    return _COLUMN_OF.get(field_path, field_path.removeprefix("location."))


def _number(row: dict[str, str], name: str) -> float:
    raw = (row.get(name) or "").strip()
    try:
        return float(raw)
    except ValueError:
        raise InvalidArgument.one(name, f"must be a number, got {raw[:40]!r}") from None


def _location(row: dict[str, str]) -> Location:
    return Location(
        location_id=row.get("location_id") or "",
        owner_id=row.get("owner_id") or "",
        display_name=(row.get("display_name") or "").strip(),
        latitude=_number(row, "latitude"),
        longitude=_number(row, "longitude"),
        region=row.get("region") or "",
    )


def import_rows(service: LocationService, lines: Iterable[str]) -> ImportReport:
    """Upsert every row; a missing column is one error for the whole file."""
    report = ImportReport()
    reader = csv.DictReader(lines)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        report.errors.append(
            f"header: missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"
        )
        return report
    for row in reader:
        line = reader.line_num
        try:
            service.upsert(_location(row))
        except InvalidArgument as error:
            details = "; ".join(f"{_column(v.field)}: {v.description}" for v in error.violations)
            report.errors.append(f"line {line}: {details}")
        else:
            report.imported += 1
    return report


def import_file(service: LocationService, path: Path, out: TextIO) -> int:
    """Run the import and print per-row errors and a summary; exit status 1 on any error."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        report = import_rows(service, handle)
    for message in report.errors:
        print(message, file=out)
    print(f"imported {report.imported} location(s), {report.failed} error(s)", file=out)
    return 1 if report.errors else 0
