"""The lots of one commodity a search could match as they were at a revision: where a
WatchSearch stream starts.

A lot's state at revision r is the `before` snapshot of its first event after r (every event
records the whole lot before it), or its current row when it has no event after r; a lot
whose first event after r is its creation did not exist at r. This needs only the events
after r, which is exactly what "r is not compacted" guarantees, so a stream can resume from
any revision a watch can. Everything is read in one REPEATABLE READ snapshot, so the head
revision returned and the rows agree.

Only rows a search could match are read (search's criteria-free filters, in SQL: ACTIVE,
undeleted, some quantity available; a lot changed since r is judged on its snapshot
instead), and the read is shared by every stream starting together (watch.search_start).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from availability_service.domain.model import Availability, availability_from_snapshot
from availability_service.service_layer.ports import UnitOfWork
from availability_service.watch.database import read_deadline


@dataclass(frozen=True)
class LotsAt:
    revision: int  # the head the snapshot saw (>= the revision asked for)
    lots: list[Availability]  # the commodity's lots a search could match, as of the revision
    oldest: int | None  # the oldest event kept, in the same snapshot (for the compaction check)


def lots_at(uow: UnitOfWork, commodity: str, revision: int | None) -> LotsAt:
    """The commodity's lots a search could match as of `revision` (None: now) and the head
    revision. Whoever may see them: the standing search judges visibility on each lot state.
    """
    with uow.snapshot(read_deadline()) as tx:
        head = tx.events.current_revision()
        oldest = tx.events.oldest_revision()
        at = head if revision is None else min(revision, head)
        earlier: dict[uuid.UUID, Availability | None] = {}
        if at < head:
            for lot_id, before in tx.events.states_at(at).items():
                earlier[lot_id] = None if before is None else availability_from_snapshot(before)
        # A lot changed after `at` is judged on its snapshot (`earlier`), not on its row.
        current = tx.lots.searchable_of_commodity(commodity)
    lots = [lot for lot in current if lot.id not in earlier]
    lots += [
        lot
        for lot in earlier.values()
        if lot is not None and lot.commodity == commodity and lot.delete_time is None
    ]
    return LotsAt(head, lots, oldest)
