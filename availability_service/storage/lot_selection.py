"""Lot reads of the watch streams: a watch's selection as of a revision, a commodity's lots."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.model import Availability
from availability_service.service_layer.ports.lots import LotSelection
from availability_service.storage.lots import row_to_lot
from availability_service.storage.tables import availabilities


def _conditions(
    selection: LotSelection, visible: ColumnElement[bool] | None
) -> list[ColumnElement[bool]]:
    t = availabilities
    out: list[ColumnElement[bool]] = [t.c.delete_time.is_(None)]
    if visible is not None:
        out.append(visible)
    if selection.commodities:
        out.append(func.lower(t.c.commodity).in_(sorted(selection.commodities)))
    if selection.seller_ids:
        out.append(t.c.seller_id.in_(sorted(selection.seller_ids)))
    if selection.delivery_regions:
        out.append(func.lower(t.c.delivery_region).in_(sorted(selection.delivery_regions)))
    if selection.lot_ids:
        out.append(t.c.id.in_(sorted(selection.lot_ids)))
    return out


def selection_page(
    conn: Connection,
    visible: ColumnElement[bool] | None,
    selection: LotSelection,
    *,
    unchanged_since: int,
    after: uuid.UUID | None,
    limit: int,
) -> list[Availability]:
    """See LotRepository.selection_page."""
    t = availabilities
    as_it_was = and_(t.c.revision <= unchanged_since, *_conditions(selection, visible))
    query = select(t).where(or_(as_it_was, t.c.revision > unchanged_since)).order_by(t.c.id)
    if after is not None:
        query = query.where(t.c.id > after)
    return [row_to_lot(row) for row in conn.execute(query.limit(limit))]


def commodity_lots(
    conn: Connection, commodity: str, visible: ColumnElement[bool] | None
) -> list[Availability]:
    """Every undeleted lot of the commodity (that the predicate admits)."""
    t = availabilities
    conditions: list[Any] = [t.c.commodity == commodity, t.c.delete_time.is_(None)]
    if visible is not None:
        conditions.append(visible)
    return [row_to_lot(row) for row in conn.execute(select(t).where(*conditions))]
