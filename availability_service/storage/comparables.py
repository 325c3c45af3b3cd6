"""Reads behind price-anomaly baselines and negotiation readiness."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.market import ComparablePrice
from availability_service.domain.model import MARKET_STATES
from availability_service.storage import driver
from availability_service.storage.tables import availabilities, reservations


def recent_prices(
    conn: Connection,
    *,
    commodity: str,
    base_price_unit: str,
    exclude_id: uuid.UUID,
    exclude_seller: str,
    since: datetime,
    limit: int,
    per_seller: int,
    scan: int,
) -> list[ComparablePrice]:
    """The market's recent prices, newest first (index in 0007).

    Only lots that passed review and are not deleted count, never the lot's own seller's,
    and each other seller contributes at most its `per_seller` newest lots, so no one
    seller can set the baseline for everyone. The cap is applied over the newest `scan`
    lots, which bounds the work per check however large the market is.
    """
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
            "seller": exclude_seller,
            "limit": limit,
            "per_seller": per_seller,
            "scan": scan,
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


# Lots that passed review (MARKET_STATES); drafts, rejected and cancelled lots are no market.
_MARKET_STATES_SQL = ", ".join(f"'{s.value}'" for s in sorted(MARKET_STATES))
_RECENT_PRICES = (
    "SELECT price_per_base_unit, grade, delivery_region FROM ("
    " SELECT price_per_base_unit, grade, delivery_region, create_time, row_number()"
    "  OVER (PARTITION BY seller_id ORDER BY create_time DESC) AS nth FROM ("
    "  SELECT price_per_base_unit, grade, delivery_region, seller_id, create_time"
    "  FROM availabilities"
    "  WHERE commodity = %(commodity)s AND base_price_unit = %(unit)s"
    "  AND NOT ai_price_anomaly AND price_per_base_unit IS NOT NULL AND delete_time IS NULL"
    f"  AND state IN ({_MARKET_STATES_SQL}) AND create_time >= %(since)s"
    "  AND id <> %(exclude)s::uuid AND seller_id <> %(seller)s"
    "  ORDER BY create_time DESC LIMIT %(scan)s) AS recent) AS capped"
    " WHERE nth <= %(per_seller)s ORDER BY create_time DESC LIMIT %(limit)s"
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


def flagged_lot_ids(conn: Connection, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
    """Live lots whose price is flagged, by id from `after` on (index in 0007)."""
    t = availabilities
    # The bare column (not IS TRUE) so the planner matches the partial index's predicate.
    query = select(t.c.id).where(t.c.ai_price_anomaly, t.c.delete_time.is_(None))
    if after is not None:
        query = query.where(t.c.id > after)
    return list(conn.execute(query.order_by(t.c.id).limit(limit)).scalars())
