"""The lots of one commodity as they were at a revision: where a WatchSearch stream starts.

A lot's state at revision r is the `before` snapshot of its first event after r (every event
records the whole lot before it), or its current row when it has no event after r; a lot
whose first event after r is its creation did not exist at r. This needs only the events
after r, which is exactly what "r is not compacted" guarantees, so a stream can resume from
any revision a watch can. Everything is read in one REPEATABLE READ snapshot, so the head
revision returned and the rows agree.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from availability_service.domain.model import Availability, availability_from_snapshot
from availability_service.storage import events as event_store
from availability_service.storage.lots import row_to_lot
from availability_service.storage.tables import availabilities, events


@dataclass(frozen=True)
class LotsAt:
    revision: int  # the head the snapshot saw (>= the revision asked for)
    lots: list[Availability]  # the commodity's lots as of the revision asked for
    oldest: int | None  # the oldest event kept, in the same snapshot (for the compaction check)


def lots_at(engine: Engine, commodity: str, revision: int | None) -> LotsAt:
    """The commodity's undeleted lots as of `revision` (None: now) and the head revision."""
    with (
        engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
        conn.begin(),
    ):
        head = event_store.current_revision(conn)
        oldest = event_store.oldest_revision(conn)
        at = head if revision is None else min(revision, head)
        earlier: dict[uuid.UUID, Availability | None] = {}
        if at < head:
            first_after = (
                select(func.min(events.c.revision))
                .where(events.c.revision > at, events.c.revision <= head)
                .group_by(events.c.availability_id)
            )
            firsts = select(events.c.availability_id, events.c.before).where(
                events.c.revision.in_(first_after)
            )
            for row in conn.execute(firsts):
                lot_id, before = row.availability_id, row.before
                earlier[lot_id] = None if before is None else availability_from_snapshot(before)
        t = availabilities
        current = conn.execute(
            select(t).where(t.c.commodity == commodity, t.c.delete_time.is_(None))
        )
        lots = [lot for lot in map(row_to_lot, current) if lot.id not in earlier]
    lots += [
        lot
        for lot in earlier.values()
        if lot is not None and lot.commodity == commodity and lot.delete_time is None
    ]
    return LotsAt(head, lots, oldest)
