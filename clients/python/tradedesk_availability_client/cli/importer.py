"""Bulk import of lots from CSV, in chunks through BatchCreateAvailabilities.

Each row's request_id is derived from the import scope, the row's content and how many
identical rows came before it, so re-running the same file after a failure creates only the
lots that are still missing: rows that succeeded are replayed by the server, not duplicated.
Batch items share CreateAvailability's idempotency scope, so a chunk that is retried after a
lost answer, or a row later sent alone, is replayed the same way.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from google.protobuf import json_format

from tradedesk.availability.v1 import availability_service_pb2 as api
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


CHUNK_ROWS = 100  # one round trip per 100 rows; the server takes up to 500 per batch


def import_rows(
    client: AvailabilityClient,
    rows: list[dict[str, str]],
    scope: str,
    on_row: Callable[[int], None] = lambda _: None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportSummary:
    """Rows that do not parse fail here; the rest go to the server chunk by chunk.

    Each row's outcome is the server's verdict on that row alone: one bad row never fails its
    chunk. A call that fails as a whole (no permission, server unreachable after the
    client's retries) fails every row of its chunk with that error, and the import goes on.
    """
    summary = ImportSummary()
    pending: list[tuple[int, api.CreateAvailabilityRequest]] = []
    for number, (row, request_id) in enumerate(
        zip(rows, request_ids(rows, scope), strict=True), start=1
    ):
        try:
            lot = _parse(row)
        except (ValueError, json_format.ParseError) as error:
            summary.failed.append(RowFailure(number, "PARSE_ERROR", "BAD_ROW", str(error)))
            on_row(number)
            continue
        pending.append(
            (number, api.CreateAvailabilityRequest(availability=lot, request_id=request_id))
        )
        if len(pending) >= chunk_rows:
            _send(client, pending, summary, on_row)
            pending = []
    if pending:
        _send(client, pending, summary, on_row)
    summary.created.sort()
    summary.failed.sort(key=lambda failure: failure.row)
    return summary


def _send(
    client: AvailabilityClient,
    chunk: list[tuple[int, api.CreateAvailabilityRequest]],
    summary: ImportSummary,
    on_row: Callable[[int], None],
) -> None:
    try:
        results = client.batch_create_availabilities([request for _, request in chunk])
    except AvailabilityError as error:
        for number, _ in chunk:
            summary.failed.append(
                RowFailure(
                    number,
                    error.code.name,
                    error.reason,
                    error.message,
                    [f"{v.field}: {v.description}" for v in error.field_violations],
                )
            )
            on_row(number)
        return
    for (number, _), result in zip(chunk, results, strict=True):
        if result.code == 0:
            summary.created.append((number, result.availability.name))
        else:
            summary.failed.append(
                RowFailure(
                    number,
                    _code_name(result.code),
                    result.reason,
                    result.message,
                    list(result.field_violations),
                )
            )
        on_row(number)


def _code_name(number: int) -> str:
    for status in grpc.StatusCode:
        if status.value[0] == number:
            return status.name
    return str(number)


def _parse(row: dict[str, str]) -> pb.Availability:
    return to_availability(row_to_document(row))
