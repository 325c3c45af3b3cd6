"""Lot reads of the watch streams: a watch's selection as of a revision, the lots of a
commodity a standing search could match."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.model import Availability
from availability_service.domain.viewer import SYSTEM
from availability_service.service_layer.ports.lots import LotSelection
from availability_service.service_layer.ports.search import CandidateFilter
from availability_service.storage.lots import row_to_lot
from availability_service.storage.search import indexed_conditions
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


def searchable_lots(conn: Connection, commodity: str) -> list[Availability]:
    """See LotRepository.searchable_of_commodity: search's own criteria-free filters
    (storage.search.indexed_conditions: commodity, ACTIVE, undeleted, some quantity left)."""
    anything = CandidateFilter(commodity, SYSTEM, [], 0, include_anomalies=True)
    query = select(availabilities).where(*indexed_conditions(anything))
    return [row_to_lot(row) for row in conn.execute(query)]
