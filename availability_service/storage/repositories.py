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
from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.model import Availability, LotState, Reservation
from availability_service.domain.viewer import Viewer
from availability_service.storage import events, holds, idempotency, lots


def visible_to(viewer: Viewer) -> ColumnElement[bool] | None:
    """The viewer's visibility as the SQL predicate of storage.lots (None: sees every lot)."""
    return lots.visible_to_sql(viewer.subject, viewer.company_id, viewer.region, viewer.sees_all)


def visibility_params(viewer: Viewer) -> dict[str, str] | None:
    """The bound values of that predicate, for the driver-SQL reads."""
    return lots.visibility_params(viewer.subject, viewer.company_id, viewer.region, viewer.sees_all)


class SqlLots:
    def __init__(self, conn: Connection, statement_prefix: str = "") -> None:
        self._conn = conn
        # Set for reads outside a transaction (UnitOfWork.statement_read): the statement
        # timeout travels in the same message as the one statement it bounds.
        self._prefix = statement_prefix

    def add(self, lot: Availability) -> int:
        return lots.insert_lot(self._conn, lot)

    def save(self, lot: Availability) -> int:
        return lots.update_lot(self._conn, lot)

    def get(self, lot_id: uuid.UUID, viewer: Viewer) -> Availability | None:
        return lots.read_lot(
            self._conn, lot_id, visibility_params(viewer), statement_prefix=self._prefix
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


class SqlEvents:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def current_revision(self) -> int:
        return events.current_revision(self._conn)

    def append(self, **event: Any) -> None:
        events.append_event(self._conn, **event)


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
