"""Bulk import of lots from CSV, one CreateAvailability per row.

Each row's request_id is derived from the import scope, the row's content and how many
identical rows came before it, so re-running the same file after a failure creates only the
lots that are still missing: rows that succeeded are replayed by the server, not duplicated.
(Future work: chunks through BatchCreateAvailabilities, same request_ids, fewer round trips.)
"""

from __future__ import annotations

import csv
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import json_format

from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk_availability_client.cli.lotfile import row_to_document, to_availability
from tradedesk_availability_client.client import AvailabilityClient
from tradedesk_availability_client.errors import AvailabilityError

_NAMESPACE = uuid.UUID("6f1d8a52-3c0e-4b8e-9a57-2f4a7f0c9d11")


@dataclass
class RowFailure:
    row: int  # 1-based data row number (the header is row 0)
    code: str
    reason: str
    message: str
    fields: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    created: list[tuple[int, str]] = field(default_factory=list)  # (row, lot name)
    failed: list[RowFailure] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.failed)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def request_ids(rows: list[dict[str, str]], scope: str) -> Iterator[str]:
    """Stable ids: same scope + same row content + same occurrence -> same id."""
    seen: Counter[str] = Counter()
    for row in rows:
        content = json.dumps(row, sort_keys=True)
        seen[content] += 1
        yield str(uuid.uuid5(_NAMESPACE, f"{scope}\n{content}\n{seen[content]}"))


def import_rows(
    client: AvailabilityClient,
    rows: list[dict[str, str]],
    scope: str,
    on_row: Callable[[int], None] = lambda _: None,
) -> ImportSummary:
    summary = ImportSummary()
    for number, (row, request_id) in enumerate(
        zip(rows, request_ids(rows, scope), strict=True), start=1
    ):
        try:
            lot = _parse(row)
            created = client.create_availability(lot, request_id=request_id)
            summary.created.append((number, created.name))
        except AvailabilityError as error:
            summary.failed.append(
                RowFailure(
                    number,
                    error.code.name,
                    error.reason,
                    error.message,
                    [f"{v.field}: {v.description}" for v in error.field_violations],
                )
            )
        except (ValueError, json_format.ParseError) as error:
            summary.failed.append(RowFailure(number, "PARSE_ERROR", "BAD_ROW", str(error)))
        on_row(number)
    return summary


def _parse(row: dict[str, str]) -> pb.Availability:
    return to_availability(row_to_document(row))
