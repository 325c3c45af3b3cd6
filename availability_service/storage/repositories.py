"""The PostgreSQL repositories behind the persistence port (service_layer/ports), one per
concept, each bound to the connection of one transaction.

They translate domain values to the queries of the storage modules beside them (lots.py,
holds.py, events.py, idempotency.py) and back; nothing above storage/ sees a Connection.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from availability_service.domain.locations import Location
from availability_service.domain.market import MarketBaseline
from availability_service.domain.model import Availability, LotState, Reservation
from availability_service.domain.stored_event import NewEvent, StoredEvent
from availability_service.domain.viewer import Viewer
from availability_service.service_layer.ports.events import LotChanges
from availability_service.service_layer.ports.lots import LotSelection
from availability_service.storage import (
    comparables,
    events,
    holds,
    idempotency,
    locations,
    lot_selection,
    lot_writes,
    lots,
    search,
)
from availability_service.storage.viewing import visibility_params, visible_to


class SqlLots:
    def __init__(self, conn: Connection, statement_timeout_ms: int | None = None) -> None:
        self._conn = conn
        # Set for reads outside a transaction (UnitOfWork.statement_read): the statement
        # timeout travels in the same message as the one statement it bounds.
        self._statement_timeout_ms = statement_timeout_ms

    def add(self, lot: Availability, event: NewEvent) -> int:
        return lot_writes.write_lot(self._conn, lot, event, is_new=True)

    def save(self, lot: Availability, event: NewEvent) -> int:
        return lot_writes.write_lot(self._conn, lot, event, is_new=False)

    def get(self, lot_id: uuid.UUID, viewer: Viewer) -> Availability | None:
        return lots.read_lot(
            self._conn,
            lot_id,
            visibility_params(viewer),
            statement_timeout_ms=self._statement_timeout_ms,
        )

    def lock(self, lot_id: uuid.UUID, viewer: Viewer) -> Availability | None:
        return lots.get_lot(self._conn, lot_id, for_update=True, visible=visible_to(viewer))

    def page(
        self,
        viewer: Viewer,
        *,
        seller_id: str = "",
        commodity: str = "",
        states: Sequence[LotState] = (),
        show_deleted: bool = False,
        after: tuple[datetime, uuid.UUID] | None = None,
        limit: int = 50,
    ) -> list[Availability]:
        return lots.list_lots(
            self._conn,
            visible=visible_to(viewer),
            seller_id=seller_id,
            commodity=commodity,
            states=states,
            show_deleted=show_deleted,
            after=after,
            limit=limit,
        )

    # --- reads (search, the watch stream) ----------------------------------------------

    def by_ids(self, lot_ids: Sequence[uuid.UUID], viewer: Viewer) -> dict[uuid.UUID, Availability]:
        return search.lots_by_id(self._conn, lot_ids, visible_to(viewer))

    def searchable_of_commodity(self, commodity: str) -> list[Availability]:
        return lot_selection.searchable_lots(self._conn, commodity)

    def selection_page(
        self,
        viewer: Viewer,
        selection: LotSelection,
        *,
        unchanged_since: int,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Availability]:
        return lot_selection.selection_page(
            self._conn,
            visible_to(viewer),
            selection,
            unchanged_since=unchanged_since,
            after=after,
            limit=limit,
        )


class SqlHolds:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, hold: Reservation) -> None:
        holds.insert_hold(self._conn, hold)

    def save(self, hold: Reservation) -> None:
        holds.update_hold(self._conn, hold)

    def get(
        self, lot_id: uuid.UUID, hold_id: uuid.UUID, quantity_unit: str = ""
    ) -> Reservation | None:
        return holds.get_hold(self._conn, lot_id, hold_id, quantity_unit)

    def active(
        self, lot_id: uuid.UUID, quantity_unit: str = "", *, due_by: datetime | None = None
    ) -> list[Reservation]:
        return holds.active_holds(self._conn, lot_id, quantity_unit, due_by=due_by)

    def lots_due(self, moment: datetime, limit: int) -> list[uuid.UUID]:
        return holds.lots_due_for_sweep(self._conn, moment, limit)

    def any_on(self, lot_id: uuid.UUID) -> bool:
        return holds.has_holds(self._conn, lot_id)

    def page(self, **query: Any) -> list[Reservation]:
        return holds.page_holds(self._conn, **query)

    # --- reads (readiness) -------------------------------------------------------------

    def seller_open_ratio(
        self, seller_id: str, since: datetime, moment: datetime, viewer: Viewer
    ) -> float:
        return comparables.seller_open_holds_ratio(
            self._conn, seller_id, since, moment, visible_to(viewer)
        )


class SqlEvents:
    def __init__(self, conn: Connection, statement_timeout_ms: int | None = None) -> None:
        self._conn = conn
        # As SqlLots: set for reads outside a transaction (the probe of changes_since).
        self._statement_timeout_ms = statement_timeout_ms

    def current_revision(self) -> int:
        return events.current_revision(self._conn)

    def compact_before(self, moment: datetime, limit: int) -> int:
        return events.compact_events_before(self._conn, moment, limit)

    # --- reads (the watch stream, the event history) -----------------------------------

    def read_after(self, after_revision: int, limit: int) -> list[StoredEvent]:
        return [stored_event(r) for r in events.read_events(self._conn, after_revision, limit)]

    def read_until(self, after_revision: int, until_revision: int, limit: int) -> list[StoredEvent]:
        rows = events.read_events_until(self._conn, after_revision, until_revision, limit)
        return [stored_event(r) for r in rows]

    def oldest_revision(self) -> int | None:
        return events.oldest_revision(self._conn)

    def changes_since(self, after_revision: int, limit: int) -> LotChanges:
        head, lots = events.changes_since(
            self._conn, after_revision, limit, self._statement_timeout_ms
        )
        return LotChanges(head, lots)

    def lot_events(self, lot_id: uuid.UUID, after_revision: int, limit: int) -> list[StoredEvent]:
        rows = events.lot_events(self._conn, lot_id, after_revision, limit)
        return [stored_event(r) for r in rows]

    def states_at(
        self, revision: int, lot_ids: Sequence[uuid.UUID] | None = None
    ) -> dict[uuid.UUID, dict[str, Any] | None]:
        return events.states_at(self._conn, lot_ids, revision)


def stored_event(row: Any) -> StoredEvent:
    """A row of the events table as the event log hands it out."""
    m = row._mapping
    return StoredEvent(
        revision=int(m["revision"]),
        availability_id=m["availability_id"],
        event_type=m["event_type"],
        types=tuple(m["event_types"] or (m["event_type"],)),
        actor=m["actor"],
        event_time=m["event_time"],
        changed_fields=tuple(m["changed_fields"] or ()),
        before=m["before"],
        after=m["after"],
        reservation=m["reservation"],
    )


class SqlIdempotency:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def claim(
        self, *, principal: str, request_id: str, method: str, request_hash: str
    ) -> dict[str, Any] | None:
        return idempotency.claim(
            self._conn,
            principal=principal,
            request_id=request_id,
            method=method,
            request_hash=request_hash,
        )

    def complete(self, *, principal: str, request_id: str, response: dict[str, Any]) -> None:
        idempotency.complete(
            self._conn, principal=principal, request_id=request_id, response=response
        )

    def expire_before(self, moment: datetime, limit: int) -> int:
        return idempotency.expire_keys(self._conn, moment, limit)


class SqlMarket:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def baseline(self, **query: Any) -> MarketBaseline:
        return comparables.price_baseline(self._conn, **query)

    def flagged(self, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        return comparables.flagged_lot_ids(self._conn, after, limit)


class SqlLocations:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, location_id: str) -> Location | None:
        return locations.get_location(self._conn, location_id)

    # --- the registry use cases (LocationService) --------------------------------------

    def upsert(self, location: Location) -> Location:
        return locations.upsert_location(self._conn, location)

    def page(
        self, *, owner_id: str = "", after: str | None = None, limit: int = 100
    ) -> list[Location]:
        return locations.list_locations(self._conn, owner_id=owner_id, after=after, limit=limit)
