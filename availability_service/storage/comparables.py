"""Reads behind price-anomaly baselines and negotiation readiness."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, and_, case, func, select

from availability_service.storage.tables import availabilities, reservations


@dataclass(frozen=True)
class ComparablePrice:
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
    t = availabilities
    query = (
        select(t.c.price_per_base_unit, t.c.grade, t.c.delivery_region)
        .where(
            t.c.commodity == commodity,
            t.c.base_price_unit == base_price_unit,
            t.c.ai_price_anomaly.is_(False),
            t.c.price_per_base_unit.is_not(None),
            t.c.state.not_in(("CANCELLED", "REJECTED")),
            t.c.create_time >= since,
            t.c.id != exclude_id,
        )
        .order_by(t.c.create_time.desc())
        .limit(limit)
    )
    return [ComparablePrice(Decimal(r[0]), r[1], r[2]) for r in conn.execute(query)]


def seller_open_holds_ratio(
    conn: Connection, seller_id: str, since: datetime, now: datetime
) -> float:
    """Quantity in the seller's open (ACTIVE, unexpired) holds over all their recent holds.

    Holds since `since` on any of the seller's lots; 0 when the seller has none.
    """
    r, t = reservations, availabilities
    open_quantity = case(
        (and_(r.c.state == "ACTIVE", r.c.expire_time > now), r.c.quantity), else_=0
    )
    query = (
        select(func.coalesce(func.sum(open_quantity), 0), func.coalesce(func.sum(r.c.quantity), 0))
        .select_from(r.join(t, t.c.id == r.c.availability_id))
        .where(t.c.seller_id == seller_id, r.c.create_time >= since)
    )
    opened, total = conn.execute(query).one()
    return float(Decimal(str(opened)) / Decimal(str(total))) if total else 0.0
