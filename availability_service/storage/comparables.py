"""Reads behind price-anomaly baselines and negotiation readiness."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Connection, and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from availability_service.storage import driver
from availability_service.storage.tables import availabilities, reservations


class ComparablePrice(NamedTuple):
    """One recent lot's price per canonical unit, with what narrows the comparison."""

    price: Decimal
    grade: str
    delivery_region: str


def recent_prices(
    conn: Connection,
    *,
    commodity: str,
    base_price_unit: str,
    exclude_id: uuid.UUID,
    since: datetime,
    limit: int,
) -> list[ComparablePrice]:
    """Newest first: unflagged, priced, not cancelled or rejected lots (index in 0002)."""
    # Runs on every create: plain driver SQL, because building and mapping 500 rows through
    # the expression layer cost several times the query itself.
    _, rows = driver.fetch(
        conn,
        _RECENT_PRICES,
        {
            "commodity": commodity,
            "unit": base_price_unit,
            "since": since,
            "exclude": str(exclude_id),
            "limit": limit,
        },
    )
    # The driver already returns Decimal (numeric) and str (text NOT NULL) here; converting
    # only what is not, and a NamedTuple instead of a frozen dataclass, keeps 500 rows cheap.
    return [
        ComparablePrice(
            p if type(p) is Decimal else Decimal(str(p)),
            g if type(g) is str else str(g),
            r if type(r) is str else str(r),
        )
        for p, g, r in rows
    ]


_RECENT_PRICES = (
    "SELECT price_per_base_unit, grade, delivery_region FROM availabilities"
    " WHERE commodity = %(commodity)s AND base_price_unit = %(unit)s"
    " AND ai_price_anomaly IS FALSE AND price_per_base_unit IS NOT NULL"
    " AND state NOT IN ('CANCELLED', 'REJECTED') AND create_time >= %(since)s"
    " AND id <> %(exclude)s::uuid"
    " ORDER BY create_time DESC LIMIT %(limit)s"
)


def seller_open_holds_ratio(
    conn: Connection,
    seller_id: str,
    since: datetime,
    now: datetime,
    visible: ColumnElement[bool] | None,
) -> float:
    """Quantity in the seller's open (ACTIVE, unexpired) holds over all their recent holds.

    Holds (direct sales were never holds) since `since` on those of the seller's lots the
    caller may see (`visible`, from visible_to_sql), so a readiness score says nothing about
    lots hidden from its caller.
    Quantities are in canonical units (a hold's share of its lot times the lot's canonical
    quantity), so a 10 t hold weighs as 10 000 kg, not as 10; lots without a canonical
    quantity (unknown unit) are left out. 0 when there are no such holds.
    """
    r, t = reservations, availabilities
    canonical = r.c.quantity * t.c.quantity_in_base_unit / t.c.total_quantity
    open_quantity = case((and_(r.c.state == "ACTIVE", r.c.expire_time > now), canonical), else_=0)
    conditions = [
        t.c.seller_id == seller_id,
        r.c.create_time >= since,
        r.c.direct_sale.is_(False),
        t.c.quantity_in_base_unit.is_not(None),
        t.c.total_quantity > 0,
    ]
    if visible is not None:
        conditions.append(visible)
    query = (
        select(func.coalesce(func.sum(open_quantity), 0), func.coalesce(func.sum(canonical), 0))
        .select_from(r.join(t, t.c.id == r.c.availability_id))
        .where(*conditions)
    )
    opened, total = conn.execute(query).one()
    return float(Decimal(str(opened)) / Decimal(str(total))) if total else 0.0
