"""Database reads of the watch stream: initial state at one revision (in pages), catch-up
pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from availability_service.auth.principal import Principal
from availability_service.domain.model import Availability, availability_from_snapshot
from availability_service.storage import events as event_store
from availability_service.storage.lots import row_to_lot, visible_to_sql
from availability_service.storage.tables import availabilities
from availability_service.watch.feed import WatchEvent
from availability_service.watch.filters import WatchFilter, matches


@dataclass(frozen=True)
class InitialPage:
    lots: list[Availability]
    # Where the next page starts (the last lot id read), or None after the last page.
    next_after: uuid.UUID | None


def _conditions(flt: WatchFilter, principal: Principal) -> list[ColumnElement[bool]]:
    t = availabilities
    out: list[ColumnElement[bool]] = [t.c.delete_time.is_(None)]
    visible = visible_to_sql(
        principal.subject, principal.company_id, principal.region, principal.is_privileged
    )
    if visible is not None:
        out.append(visible)
    if flt.commodities:
        out.append(func.lower(t.c.commodity).in_(sorted(flt.commodities)))
    if flt.seller_ids:
        out.append(t.c.seller_id.in_(sorted(flt.seller_ids)))
    if flt.delivery_regions:
        out.append(func.lower(t.c.delivery_region).in_(sorted(flt.delivery_regions)))
    if flt.lot_ids:
        out.append(t.c.id.in_(sorted(flt.lot_ids)))
    return out


def read_initial_page(
    engine: Engine,
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
    t = availabilities
    as_it_was = and_(t.c.revision <= at_revision, *_conditions(flt, principal))
    query = select(t).where(or_(as_it_was, t.c.revision > at_revision)).order_by(t.c.id)
    if after is not None:
        query = query.where(t.c.id > after)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(limit)).all()
        changed = [row.id for row in rows if row.revision > at_revision]
        earlier = event_store.states_at(conn, changed, at_revision)
    lots = []
    for row in rows:
        if row.revision <= at_revision:
            lots.append(row_to_lot(row))
            continue
        snapshot = earlier.get(row.id)
        if snapshot is not None and matches(flt, principal, snapshot):
            lots.append(availability_from_snapshot(snapshot))
    return InitialPage(lots, rows[-1].id if len(rows) == limit else None)


def read_page(
    engine: Engine, after_revision: int, limit: int, until_revision: int | None = None
) -> list[WatchEvent]:
    """Committed events after `after_revision` (and up to `until_revision`), in order."""
    with engine.connect() as conn:
        if until_revision is None:
            rows = event_store.read_events(conn, after_revision, limit)
        else:
            rows = event_store.read_events_until(conn, after_revision, until_revision, limit)
    return [WatchEvent.from_row(row) for row in rows]


def current_revision(engine: Engine) -> int:
    with engine.connect() as conn:
        return event_store.current_revision(conn)


def oldest_revision(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return event_store.oldest_revision(conn)
