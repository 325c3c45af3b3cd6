"""One event as the event log keeps it: the audit trail and the watch stream's source."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One revision: what happened to which lot, who did it, and the lot before and after
    (whole-lot snapshots, as domain.model.availability_from_snapshot reads them)."""

    revision: int
    availability_id: uuid.UUID
    event_type: str
    # Every type that applies, the primary first (events before migration 0005: just the one).
    types: tuple[str, ...]
    actor: str
    event_time: datetime
    changed_fields: tuple[str, ...]
    before: dict[str, Any] | None
    after: dict[str, Any]
    reservation: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class NewEvent:
    """The event a lot write records, as the use case knows it before the write: the event
    log stores it at the revision of that write and sets that revision in `after` (and in
    `reservation`, the hold's snapshot, for hold events)."""

    event_type: str
    event_types: list[str]
    actor: str
    changed_fields: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any]
    reservation_id: uuid.UUID | None = None
    reservation: dict[str, Any] | None = None
