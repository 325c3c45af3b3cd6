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

from availability_service.domain.model import Availability, availability_from_snapshot
from availability_service.domain.viewer import SYSTEM
from availability_service.service_layer.ports import UnitOfWork
from availability_service.watch.database import read_deadline


@dataclass(frozen=True)
class LotsAt:
    revision: int  # the head the snapshot saw (>= the revision asked for)
    lots: list[Availability]  # the commodity's lots as of the revision asked for
    oldest: int | None  # the oldest event kept, in the same snapshot (for the compaction check)


def lots_at(uow: UnitOfWork, commodity: str, revision: int | None) -> LotsAt:
    """The commodity's undeleted lots as of `revision` (None: now) and the head revision.

    Every lot, whoever may see it: the standing search judges visibility on each lot state.
    """
    with uow.snapshot(read_deadline()) as tx:
        head = tx.events.current_revision()
        oldest = tx.events.oldest_revision()
        at = head if revision is None else min(revision, head)
        earlier: dict[uuid.UUID, Availability | None] = {}
        if at < head:
            for lot_id, before in tx.events.states_at(at).items():
                earlier[lot_id] = None if before is None else availability_from_snapshot(before)
        current = tx.lots.of_commodity(commodity, SYSTEM)
    lots = [lot for lot in current if lot.id not in earlier]
    lots += [
        lot
        for lot in earlier.values()
        if lot is not None and lot.commodity == commodity and lot.delete_time is None
    ]
    return LotsAt(head, lots, oldest)
