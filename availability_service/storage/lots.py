"""Lot rows: read, lock, insert, update, list."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, select, text, tuple_
from sqlalchemy.dialects.postgresql import psycopg2
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.model import (
    AVAILABILITY_FIELDS,
    MARKET_STATES,
    Availability,
    LotState,
    PriceType,
    Visibility,
)
from availability_service.storage import driver_read
from availability_service.storage.tables import availabilities

_FIELDS = frozenset(AVAILABILITY_FIELDS)


def row_to_lot(row: Any) -> Availability:
    return _lot_from_columns(dict(row._mapping))


def _lot_from_columns(data: dict[str, Any]) -> Availability:
    data["state"] = LotState(data["state"])
    data["market_visibility"] = Visibility(data["market_visibility"])
    data["price_type"] = PriceType(data["price_type"])
    vector = data.get("ai_score_vector")
    data["ai_score_vector"] = None if vector is None else [float(x) for x in vector]
    return Availability(**{k: v for k, v in data.items() if k in _FIELDS})


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
        select(t).where(*conditions).order_by(t.c.create_time.desc(), t.c.id.desc()).limit(limit)
    )
    return [row_to_lot(r) for r in conn.execute(query)]


# Built once: constructing the expression per call cost more than the query itself. Empty
# region or company never match (validation forbids empty list entries and the guards below
# keep a caller without a company from seeing INTERNAL lots of sellers without one). The
# owner sees every state; everyone else only the market states, then by market visibility.
# MARKET_STATES as an SQL list, for statements written as text.
MARKET_STATES_SQL = "(" + ", ".join(f"'{s.value}'" for s in sorted(MARKET_STATES)) + ")"
_VISIBLE = text(
    "(availabilities.seller_id = :vis_subject"
    f" OR (availabilities.state IN {MARKET_STATES_SQL}"
    f"  AND (availabilities.market_visibility = '{Visibility.PUBLIC}'"
    f"   OR (availabilities.market_visibility = '{Visibility.PRIVATE}'"
    "       AND :vis_subject = ANY(availabilities.restricted_buyer_ids))"
    f"   OR (availabilities.market_visibility = '{Visibility.RESTRICTED}' AND :vis_region <> ''"
    "       AND :vis_region = ANY(availabilities.allowed_regions))"
    f"   OR (availabilities.market_visibility = '{Visibility.INTERNAL}' AND :vis_company <> ''"
    "       AND availabilities.company_id = :vis_company))))"
)


def visibility_params(
    subject: str, company_id: str | None, region: str | None, privileged: bool
) -> dict[str, str] | None:
    """The bound values of the visibility predicate; None means "no restriction"."""
    if privileged:
        return None
    return {"vis_subject": subject, "vis_region": region or "", "vis_company": company_id or ""}


def visible_to_sql(
    subject: str, company_id: str | None, region: str | None, privileged: bool
) -> ColumnElement[bool] | None:
    """The one visibility predicate in SQL (twin of auth.visibility.can_see).

    Owner, ADMIN and SERVICE see all. Everyone else sees only lots in MARKET_STATES, and of
    those: PUBLIC to everyone; PRIVATE to listed buyers; RESTRICTED to callers whose region is
    listed; INTERNAL to the owner's company. None means "no restriction".
    """
    params = visibility_params(subject, company_id, region, privileged)
    if params is None:
        return None
    # A TextClause is accepted wherever a boolean column expression is.
    return cast("ColumnElement[bool]", _VISIBLE.bindparams(**params))


# GetAvailability's read as driver SQL, built once, run on the driver's cursor
# (storage.driver_read): SQLAlchemy's execution path (statement cache, execution context,
# result object for 64 columns) cost more than the round trip. The columns and the visibility
# predicate come from the same table and _VISIBLE as above. The statement timeout travels in
# the same message (UnitOfWork.statement_read), local to that message's implicit transaction
# (psycopg2 binds on the client, so a parameter is allowed in SET).
_LOT_COLUMNS = tuple(c for c in availabilities.c if c.name in _FIELDS)
_LOT_NAMES = tuple(c.name for c in _LOT_COLUMNS)
_DRIVER_DIALECT = psycopg2.dialect()
_SELECT_LOT = (
    "SELECT "
    + ", ".join(_LOT_NAMES)
    + " FROM availabilities WHERE availabilities.id = %(lot_id)s::uuid"
)
_VISIBLE_SQL = str(_VISIBLE.compile(dialect=_DRIVER_DIALECT))
_STATEMENT_TIMEOUT = "SET LOCAL statement_timeout = %(statement_timeout_ms)s; "
# Keyed by (visibility applies, statement timeout applies).
_READ_LOT = {
    (visible, timed): (_STATEMENT_TIMEOUT if timed else "")
    + _SELECT_LOT
    + (" AND " + _VISIBLE_SQL if visible else "")
    for visible in (False, True)
    for timed in (False, True)
}
# The conversions SQLAlchemy applies to these columns (uuid, vector, ...), as (position,
# processor) for the columns that have one; made once per dialect from the column types the
# driver reports, as SQLAlchemy makes them (public TypeEngine API).
_PROCESSORS: dict[int, list[tuple[int, Callable[[Any], Any]]]] = {}


def _processors(
    dialect: Dialect, description: Sequence[Any]
) -> list[tuple[int, Callable[[Any], Any]]]:
    found = _PROCESSORS.get(id(dialect))
    if found is None:
        found = []
        for i, (column, reported) in enumerate(zip(_LOT_COLUMNS, description, strict=True)):
            process = column.type.dialect_impl(dialect).result_processor(dialect, reported[1])
            if process is not None:
                found.append((i, process))
        _PROCESSORS[id(dialect)] = found
    return found


def read_lot(
    conn: Connection,
    lot_id: uuid.UUID,
    visibility: dict[str, str] | None,
    *,
    statement_timeout_ms: int | None = None,
) -> Availability | None:
    """The lot if it exists and the caller may see it (visibility from visibility_params).

    A statement_timeout_ms is set in the same message as the query, local to its implicit
    transaction (UnitOfWork.statement_read).
    """
    params: dict[str, Any] = {"lot_id": str(lot_id)}
    if visibility is not None:
        params.update(visibility)
    if statement_timeout_ms is not None:
        params["statement_timeout_ms"] = statement_timeout_ms
    sql = _READ_LOT[visibility is not None, statement_timeout_ms is not None]
    row, description = driver_read.fetch_one(conn, sql, params)
    if row is None:
        return None
    values = list(row)
    for i, process in _processors(conn.dialect, description):
        if values[i] is not None:
            values[i] = process(values[i])
    return _lot_from_columns(dict(zip(_LOT_NAMES, values, strict=True)))
