"""Reads behind price-anomaly baselines and negotiation readiness."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, select, text
from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.market import MarketBaseline, PriceSpread
from availability_service.domain.model import HoldState
from availability_service.storage import driver_read
from availability_service.storage.tables import availabilities, reservations
from availability_service.storage.write_transaction import DriverStatement


def price_baseline(
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
    grade: str,
    region: str,
    minimum: int,
) -> MarketBaseline:
    """The market's recent comparable prices, narrowed and summed up in the database.

    Only lots that passed review and are not deleted count, never the lot's own seller's,
    and each other seller contributes at most its `per_seller` newest lots, so no one seller
    can set the baseline for everyone; the newest `limit` of those, drawn from the newest
    `scan` lots (index in 0007), which bounds the work per check however large the market is.
    Of those, the narrowest scope with at least `minimum` prices (same grade and region, same
    grade, same region, all), and of its prices (all, and the usable: finite, positive) the
    middle values and the deviations the robust z-score needs. The up to 500 prices never
    leave the database: the statement returns two rows.
    """
    statement, params = _BASELINE.render(
        conn.dialect,
        {
            "commodity": commodity,
            "unit": base_price_unit,
            "since": since,
            "exclude": exclude_id,
            "seller": exclude_seller,
            "limit": limit,
            "per_seller": per_seller,
            "scan": scan,
            "grade": grade,
            "region": region,
            "minimum": minimum,
        },
    )
    # On the driver's cursor: every priced create runs this (storage.driver_read).
    found, description = driver_read.fetch_all(conn, statement, params)
    names = [column[0] for column in description]
    rows = [SimpleNamespace(**dict(zip(names, row, strict=True))) for row in found]
    spreads = {row.usable: _spread(row) for row in rows}
    return MarketBaseline(int(rows[0].scope), spreads[False], spreads[True])


def _spread(row: Any) -> PriceSpread | None:
    """The spread from the middle values, with statistics.median's arithmetic in Decimal (so
    every figure is the very Decimal the prices themselves would give)."""
    n = int(row.n)
    if n == 0:
        return None
    median = row.lo if n % 2 else (row.lo + row.hi) / 2
    low, high = abs(row.dev_lo - median), abs(row.dev_hi - median)
    mad = low if n % 2 else (low + high) / 2
    # The deviations were summed doubled, |2p - (lo + hi)|, so no division ran in SQL.
    return PriceSpread(n, median, mad, row.doubled_deviations / 2 / n)


# The query is the function market_price_baseline (migration 0013: PL/pgSQL keeps its plan per
# connection; planning it against the lot table's many indexes cost more than running it).
# Lots that passed review (MARKET_STATES); drafts, rejected and cancelled lots are no market.
# `scope` indexes price_check.SCOPES; `usable` prices are finite and positive (in PostgreSQL
# 'NaN' sorts above every number, and numeric(36, 6) holds no infinity). The median's middle
# values are the array's ((n + 1) / 2)-th and (n / 2 + 1)-th; the MAD's, the prices at those
# places in order of their distance from the median.
_BASELINE = DriverStatement(
    text(
        "SELECT scope, usable, n, lo, hi, dev_lo, dev_hi, doubled_deviations"
        " FROM market_price_baseline(:commodity, :unit, :since, :exclude, :seller, :limit,"
        " :per_seller, :scan, :grade, :region, :minimum)"
    ).bindparams(bindparam("exclude", type_=availabilities.c.id.type))
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
    open_quantity = case(
        (and_(r.c.state == HoldState.ACTIVE.value, r.c.expire_time > now), canonical), else_=0
    )
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
