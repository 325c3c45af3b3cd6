"""Lot rows: read, lock, insert, update, list."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, and_, select, text, tuple_
from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.model import (
    AVAILABILITY_FIELDS,
    Availability,
    LotState,
    PriceType,
    Visibility,
)
from availability_service.storage.tables import availabilities


def row_to_lot(row: Any) -> Availability:
    data = dict(row._mapping)
    data["state"] = LotState(data["state"])
    data["market_visibility"] = Visibility(data["market_visibility"])
    data["price_type"] = PriceType(data["price_type"])
    vector = data.get("ai_score_vector")
    data["ai_score_vector"] = None if vector is None else [float(x) for x in vector]
    return Availability(**{k: v for k, v in data.items() if k in AVAILABILITY_FIELDS})


def _values(lot: Availability) -> dict[str, Any]:
    values = {name: getattr(lot, name) for name in AVAILABILITY_FIELDS}
    for key in ("state", "market_visibility", "price_type"):
        values[key] = values[key].value
    return values


def insert_lot(conn: Connection, lot: Availability) -> None:
    conn.execute(availabilities.insert().values(**_values(lot)))


def update_lot(conn: Connection, lot: Availability) -> None:
    values = _values(lot)
    values.pop("id")
    conn.execute(availabilities.update().where(availabilities.c.id == lot.id).values(**values))


def get_lot(
    conn: Connection,
    lot_id: uuid.UUID,
    *,
    for_update: bool = False,
    visible: ColumnElement[bool] | None = None,
) -> Availability | None:
    query = select(availabilities).where(availabilities.c.id == lot_id)
    if visible is not None:
        query = query.where(visible)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else row_to_lot(row)


def list_lots(
    conn: Connection,
    *,
    visible: ColumnElement[bool] | None,
    seller_id: str = "",
    commodity: str = "",
    states: Sequence[LotState] = (),
    show_deleted: bool = False,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 50,
) -> list[Availability]:
    """Newest first, keyset-paged on (create_time, id) so inserts never shift a page."""
    t = availabilities
    conditions: list[ColumnElement[bool]] = []
    if visible is not None:
        conditions.append(visible)
    if seller_id:
        conditions.append(t.c.seller_id == seller_id)
    if commodity:
        conditions.append(t.c.commodity == commodity)
    if states:
        conditions.append(t.c.state.in_([s.value for s in states]))
    if not show_deleted:
        conditions.append(t.c.delete_time.is_(None))
    if after is not None:
        conditions.append(tuple_(t.c.create_time, t.c.id) < tuple_(*after))
    query = (
        select(t)
        .where(and_(*conditions))
        .order_by(t.c.create_time.desc(), t.c.id.desc())
        .limit(limit)
    )
    return [row_to_lot(r) for r in conn.execute(query)]


# Built once: constructing the expression per call cost more than the query itself. Empty
# region or company never match (validation forbids empty list entries and the guards below
# keep a caller without a company from seeing INTERNAL lots of sellers without one).
_VISIBLE = text(
    "(availabilities.market_visibility = 'PUBLIC'"
    " OR availabilities.seller_id = :vis_subject"
    " OR (availabilities.market_visibility = 'PRIVATE'"
    "     AND :vis_subject = ANY(availabilities.restricted_buyer_ids))"
    " OR (availabilities.market_visibility = 'RESTRICTED' AND :vis_region <> ''"
    "     AND :vis_region = ANY(availabilities.allowed_regions))"
    " OR (availabilities.market_visibility = 'INTERNAL' AND :vis_company <> ''"
    "     AND availabilities.company_id = :vis_company))"
)


def visible_to_sql(
    subject: str, company_id: str | None, region: str | None, privileged: bool
) -> ColumnElement[bool] | None:
    """The one visibility predicate in SQL (twin of auth.visibility.can_see).

    PUBLIC to everyone; PRIVATE to the owner and listed buyers; RESTRICTED to callers whose
    region is listed; INTERNAL to the owner's company. Owner, ADMIN and SERVICE see all.
    None means "no restriction".
    """
    if privileged:
        return None
    clause = _VISIBLE.bindparams(
        vis_subject=subject, vis_region=region or "", vis_company=company_id or ""
    )
    # A TextClause is accepted wherever a boolean column expression is.
    return cast("ColumnElement[bool]", clause)
