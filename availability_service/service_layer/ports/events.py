"""The event log: one event per revision, in revision order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from availability_service.domain.stored_event import StoredEvent


class LotChanges(NamedTuple):
    """Which lots changed after a revision, up to the newest committed one (`head`), read in
    one snapshot; `lots` is None when the log cannot tell (more than the limit asked for, or
    events after that revision already compacted)."""

    head: int
    lots: frozenset[uuid.UUID] | None


class ChangeProbe(Protocol):
    """EventLog.changes_since sent from the caller's event loop, one call at a time: what
    GetAvailability's lot cache asks before every answer (service_layer.lot_cache)."""

    async def changes_since(self, after_revision: int, limit: int) -> LotChanges:
        """As EventLog.changes_since, read on the primary; raises when it did not answer."""
        ...

    def close(self) -> None:
        """Lets go of what the probe holds (its connection)."""
        ...


class EventLog(Protocol):
    """Events are written with their lot (LotRepository.add and save), never alone."""

    def current_revision(self) -> int:
        """The newest committed revision this transaction can see."""
        ...

    def compact_before(self, moment: datetime, limit: int) -> int:
        """Deletes up to `limit` of the oldest events recorded before `moment`; how many."""
        ...

    # --- reads (the watch stream, the event history) -----------------------------------

    def read_after(self, after_revision: int, limit: int) -> list[StoredEvent]:
        """Committed events after `after_revision`, oldest first."""
        ...

    def read_until(self, after_revision: int, until_revision: int, limit: int) -> list[StoredEvent]:
        """Events with after_revision < revision <= until_revision, oldest first."""
        ...

    def oldest_revision(self) -> int | None:
        """The oldest event still kept (older ones were compacted); None when there is none."""
        ...

    def changes_since(self, after_revision: int, limit: int) -> LotChanges:
        """The newest committed revision and the lots changed after `after_revision` (at most
        `limit`), in one snapshot: what a cache of lots read at `after_revision` must drop."""
        ...

    def lot_events(self, lot_id: uuid.UUID, after_revision: int, limit: int) -> list[StoredEvent]:
        """One lot's events after `after_revision`, oldest first."""
        ...

    def states_at(
        self, revision: int, lot_ids: Sequence[uuid.UUID] | None = None
    ) -> dict[uuid.UUID, dict[str, Any] | None]:
        """The snapshot as of `revision` of each lot changed after it (of `lot_ids` when
        given, else of every lot): the `before` of its first later event, None when that
        event created it. Lots absent from the answer have not changed since."""
        ...
