"""Database reads of the watch stream: initial state at one revision, catch-up pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from availability_service.auth.principal import Principal
from availability_service.domain.model import Availability
from availability_service.storage import events as event_store
from availability_service.storage.lots import row_to_lot, visible_to_sql
from availability_service.storage.tables import availabilities
from availability_service.watch.feed import WatchEvent
from availability_service.watch.filters import WatchFilter


@dataclass(frozen=True)
class InitialState:
    revision: int
    lots: list[Availability]


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


def read_initial_state(engine: Engine, flt: WatchFilter, principal: Principal) -> InitialState:
    """The matching lots and the revision they are exactly at, from one snapshot.

    REPEATABLE READ pins both reads to one snapshot; since revisions commit in order, that
    snapshot holds every event up to the counter's value and none above it, so live events
    from that revision on join the initial state without a gap or a duplicate.
    """
    with (
        engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
        conn.begin(),
    ):
        revision = event_store.current_revision(conn)
        query = (
            select(availabilities)
            .where(and_(*_conditions(flt, principal)))
            .order_by(availabilities.c.revision)
        )
        lots = [row_to_lot(row) for row in conn.execute(query)]
    return InitialState(revision, lots)


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
