"""Reservation rows: read, insert, update, and the sweeper's work lists.

Hold rows are only written by a transaction that has already locked their lot row
(SELECT ... FOR UPDATE), so the lot lock serialises every change to a lot's holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, or_, select, tuple_, union
from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.lifecycle import HOLDABLE_STATE_VALUES
from availability_service.domain.model import RESERVATION_FIELDS, HoldState, Reservation
from availability_service.storage.tables import availabilities, reservations

t = reservations


def row_to_hold(row: Any, quantity_unit: str = "") -> Reservation:
    data = {k: v for k, v in row._mapping.items() if k in RESERVATION_FIELDS}
    data["state"] = HoldState(data["state"])
    return Reservation(**data, quantity_unit=quantity_unit)


def _values(hold: Reservation) -> dict[str, Any]:
    values = {name: getattr(hold, name) for name in RESERVATION_FIELDS}
    values["state"] = hold.state.value
    return values


# Built once and executed with parameters (as the lot writes in storage.lots): these run
# while the lot's row lock is held, where building a statement per call was measurable.
_INSERT_HOLD = t.insert()
_UPDATE_HOLD = t.update().where(t.c.id == bindparam("hold_key"))


def insert_hold(conn: Connection, hold: Reservation) -> None:
    conn.execute(_INSERT_HOLD, _values(hold))


def update_hold(conn: Connection, hold: Reservation) -> None:
    values = _values(hold)
    values["hold_key"] = values.pop("id")
    conn.execute(_UPDATE_HOLD, values)


def get_hold(
    conn: Connection, lot_id: uuid.UUID, hold_id: uuid.UUID, quantity_unit: str = ""
) -> Reservation | None:
    """The hold, only if it belongs to that lot: a name pairing it with another lot finds none."""
    row = conn.execute(select(t).where(t.c.id == hold_id, t.c.availability_id == lot_id)).first()
    return None if row is None else row_to_hold(row, quantity_unit)


def active_holds(
    conn: Connection, lot_id: uuid.UUID, quantity_unit: str = "", *, due_by: datetime | None = None
) -> list[Reservation]:
    """ACTIVE holds of a lot, oldest first; with due_by, only those expiring by then."""
    if due_by is None:
        rows = conn.execute(_ACTIVE_HOLDS, {"lot_key": lot_id})
    else:
        rows = conn.execute(_DUE_HOLDS, {"lot_key": lot_id, "due_by": due_by})
    return [row_to_hold(r, quantity_unit) for r in rows]


_ACTIVE_HOLDS = (
    select(t)
    .where(t.c.availability_id == bindparam("lot_key"), t.c.state == HoldState.ACTIVE.value)
    .order_by(t.c.create_time, t.c.id)
)
# Served by the reservations_active_by_lot index (migration 0003).
_DUE_HOLDS = _ACTIVE_HOLDS.where(t.c.expire_time <= bindparam("due_by"))


def lots_due_for_sweep(conn: Connection, now: datetime, limit: int) -> list[uuid.UUID]:
    """Lots with an overdue ACTIVE hold, or live lots whose valid_until has passed.

    Both halves use partial indexes (reservations_expiring, availabilities_valid_until).
    """
    a = availabilities
    overdue = (
        select(t.c.availability_id.label("lot_id"))
        .where(t.c.state == HoldState.ACTIVE.value, t.c.expire_time <= now)
        .limit(limit)
    )
    lapsed = (
        select(a.c.id.label("lot_id"))
        .where(
            a.c.state.in_(HOLDABLE_STATE_VALUES),
            a.c.valid_until.is_not(None),
            a.c.valid_until <= now,
            a.c.delete_time.is_(None),
        )
        .limit(limit)
    )
    both = union(overdue, lapsed).subquery()
    rows = conn.execute(select(both.c.lot_id).order_by(both.c.lot_id).limit(limit))
    return [r[0] for r in rows]


def page_holds(
    conn: Connection,
    *,
    now: datetime,
    lot_id: uuid.UUID | None,
    seller_id: str | None,
    buyer_id: str,
    negotiation_id: str,
    states: Collection[HoldState],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Reservation]:
    """Holds oldest first by (create_time, id), after a keyset position; with their lot's unit.

    seller_id keeps only holds on that seller's lots. An ACTIVE hold past its expire_time
    counts as EXPIRED, as every read presents it.
    """
    a = availabilities
    query = select(t, a.c.quantity_unit.label("lot_quantity_unit")).join(
        a, a.c.id == t.c.availability_id
    )
    if lot_id is not None:
        query = query.where(t.c.availability_id == lot_id)
    if seller_id is not None:
        query = query.where(a.c.seller_id == seller_id)
    if buyer_id:
        query = query.where(t.c.buyer_id == buyer_id)
    if negotiation_id:
        query = query.where(t.c.negotiation_id == negotiation_id)
    if states:
        query = query.where(or_(*(_in_state(state, now) for state in states)))
    if after is not None:
        query = query.where(tuple_(t.c.create_time, t.c.id) > tuple_(*after))
    query = query.order_by(t.c.create_time, t.c.id).limit(limit)
    return [row_to_hold(row, row.lot_quantity_unit) for row in conn.execute(query)]


def _in_state(state: HoldState, now: datetime) -> ColumnElement[bool]:
    """The state a read presents: an overdue ACTIVE hold is EXPIRED until the sweeper writes it."""
    overdue = and_(t.c.state == HoldState.ACTIVE.value, t.c.expire_time <= now)
    if state is HoldState.ACTIVE:
        return and_(t.c.state == HoldState.ACTIVE.value, t.c.expire_time > now)
    if state is HoldState.EXPIRED:
        return or_(t.c.state == HoldState.EXPIRED.value, overdue)
    return t.c.state == state.value


def has_holds(conn: Connection, lot_id: uuid.UUID) -> bool:
    """Whether any hold, in any state, was ever placed on the lot (index reservations_lot)."""
    # A direct sale's record was never a hold.
    query = select(t.c.id).where(t.c.availability_id == lot_id, t.c.direct_sale.is_(False)).limit(1)
    return conn.execute(query).first() is not None
