"""Database reads of the watch stream: initial state at one revision (in pages), catch-up
pages. All through the persistence port, on the hub's unit of work (the primary)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from availability_service.auth.principal import Principal
from availability_service.domain.model import Availability, availability_from_snapshot
from availability_service.service_layer.ports import UnitOfWork
from availability_service.service_layer.ports.lots import LotSelection
from availability_service.watch.database import read_deadline
from availability_service.watch.feed import WatchEvent
from availability_service.watch.filters import WatchFilter, matches


@dataclass(frozen=True)
class InitialPage:
    lots: list[Availability]
    # Where the next page starts (the last lot id read), or None after the last page.
    next_after: uuid.UUID | None


def selection_of(flt: WatchFilter) -> LotSelection:
    """The part of a watch's filter the database applies (the rest is judged per event)."""
    return LotSelection(flt.commodities, flt.seller_ids, flt.delivery_regions, flt.lot_ids)


def read_initial_page(
    uow: UnitOfWork,
    flt: WatchFilter,
    principal: Principal,
    at_revision: int,
    after: uuid.UUID | None,
    limit: int,
) -> InitialPage:
    """One page (in id order, after `after`) of the matching lots as they were at `at_revision`.

    Every page is its own short read, yet all of them show the market at one revision: a lot
    unchanged since then is its row; a lot changed since then is the `before` of its first
    later event (events are never rewritten), checked against the filters and visibility by
    the same rule the live stream uses. So no snapshot or connection is held while a slow
    client reads, and only one page is in memory at a time.
    """
    with uow.read(read_deadline()) as tx:
        rows = tx.lots.selection_page(
            principal.viewer,
            selection_of(flt),
            unchanged_since=at_revision,
            after=after,
            limit=limit,
        )
        changed = [lot.id for lot in rows if lot.revision > at_revision]
        earlier = tx.events.states_at(at_revision, changed)
    lots = []
    for lot in rows:
        if lot.revision <= at_revision:
            lots.append(lot)
            continue
        snapshot = earlier.get(lot.id)
        if snapshot is not None and matches(flt, principal, snapshot):
            lots.append(availability_from_snapshot(snapshot))
    return InitialPage(lots, rows[-1].id if len(rows) == limit else None)


def read_page(
    uow: UnitOfWork, after_revision: int, limit: int, until_revision: int | None = None
) -> list[WatchEvent]:
    """Committed events after `after_revision` (and up to `until_revision`), in order."""
    with uow.read(read_deadline()) as tx:
        if until_revision is None:
            stored = tx.events.read_after(after_revision, limit)
        else:
            stored = tx.events.read_until(after_revision, until_revision, limit)
    return [WatchEvent.from_stored(event) for event in stored]


def current_revision(uow: UnitOfWork) -> int:
    with uow.read(read_deadline()) as tx:
        return tx.events.current_revision()


def oldest_revision(uow: UnitOfWork) -> int | None:
    with uow.read(read_deadline()) as tx:
        return tx.events.oldest_revision()
