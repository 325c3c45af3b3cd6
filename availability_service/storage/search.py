"""Search reads: candidate lots filtered in SQL, nearest lots by embedding, lots by id.

The filters here are a superset of the exact ones: numeric bounds are widened by a hair
(EDGE_SLACK) so float noise in SQL never drops a lot the exact decimal check in
intelligence.scoring would keep; scoring then decides every edge in one place. The same holds
for `order_quantity`: SQL keeps the lots that have the quantity available now (a necessary
condition of every hold), and the hold rules of domain.holds decide each candidate exactly
(service_layer.search.grants_order), from the columns read into OrderTerms.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Float,
    and_,
    cast,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.model import Availability, LotState
from availability_service.service_layer.ports.search import (
    EARTH_RADIUS_SLACK_M,
    CandidateFilter,
    CandidateRow,
    OrderTerms,
)
from availability_service.service_layer.ports.search import widen as _widen
from availability_service.storage.lots import row_to_lot
from availability_service.storage.search_geo import GeoRanges, circle_ranges
from availability_service.storage.search_score import by_score, quality_number
from availability_service.storage.tables import availabilities
from availability_service.storage.viewing import visible_to


def earth_distance_m(latitude: float, longitude: float) -> ColumnElement[Any]:
    t = availabilities
    return func.earth_distance(
        func.ll_to_earth(latitude, longitude), func.ll_to_earth(t.c.latitude, t.c.longitude)
    )


def _conditions(f: CandidateFilter) -> list[ColumnElement[bool]]:
    out = indexed_conditions(f)
    out += quality_conditions(f, {q.name: quality_number(q.name) for q in f.quality})
    radius = radius_m(f)
    if f.near is not None and radius is not None:
        out.append(earth_distance_m(*f.near) <= radius)
    return out + _row_conditions(f)


def radius_m(f: CandidateFilter) -> float | None:
    """The radius filter's edge in metres, widened (EDGE_SLACK, EARTH_RADIUS_SLACK_M)."""
    if f.near is None or f.radius_km is None:
        return None
    return _widen(f.radius_km * 1000.0, 1) + EARTH_RADIUS_SLACK_M


def indexed_conditions(f: CandidateFilter) -> list[ColumnElement[bool]]:
    """The plain column filters the search's covering index (migration 0010) answers:
    commodity, searchable, anomaly, price, and the radius's latitude and longitude ranges
    (the exact distance and the quality ranges are separate: storage.search_bounds
    computes them its own way)."""
    t = availabilities
    out: list[ColumnElement[bool]] = [
        t.c.commodity == f.commodity,
        t.c.state == LotState.ACTIVE.value,
        t.c.delete_time.is_(None),
        t.c.available_quantity > 0,
    ]
    if not f.include_anomalies:
        out.append(t.c.ai_price_anomaly.is_(False))
    radius = radius_m(f)
    if f.near is not None and radius is not None:
        out += [t.c.latitude.is_not(None), t.c.longitude.is_not(None)]
        out += _within_ranges(circle_ranges(*f.near, radius))
    if f.price_limit is not None:
        out += [t.c.base_price_unit == f.price_unit, t.c.price_per_base_unit <= f.price_limit]
    if f.price_floor is not None:
        out += [t.c.base_price_unit == f.price_unit, t.c.price_per_base_unit >= f.price_floor]
    return out


def quality_conditions(
    f: CandidateFilter, numbers: Mapping[str, ColumnElement[Any]]
) -> list[ColumnElement[bool]]:
    """Each quality range over `numbers` (the parameter's number per name, NULL when not
    reported: a lot that does not report a parameter passes its range)."""
    out: list[ColumnElement[bool]] = []
    for q in f.quality:
        number = numbers[q.name]
        bounds = []
        if q.low is not None:
            bounds.append(number >= _widen(q.low, -1))
        if q.high is not None:
            bounds.append(number <= _widen(q.high, 1))
        out.append(or_(number.is_(None), and_(*bounds)))
    return out


def _row_conditions(f: CandidateFilter) -> list[ColumnElement[bool]]:
    """The other filters: visibility, quantities, windows, incoterm, regions, order."""
    t = availabilities
    out: list[ColumnElement[bool]] = []
    visible = visible_to(f.viewer)
    if visible is not None:
        out.append(visible)
    if f.min_quantity is not None:
        # available in the canonical unit = available x quantity_in_base_unit / total,
        # compared without dividing so the edge is exact.
        out.append(
            t.c.available_quantity * t.c.quantity_in_base_unit
            >= f.min_quantity * t.c.total_quantity
        )
    if f.delivery_window_end is not None:
        out.append(
            or_(
                t.c.delivery_window_start.is_(None),
                t.c.delivery_window_start <= f.delivery_window_end,
            )
        )
    if f.delivery_window_start is not None:
        out.append(
            or_(
                t.c.delivery_window_end.is_(None),
                t.c.delivery_window_end >= f.delivery_window_start,
            )
        )
    if f.incoterm:
        out.append(
            or_(
                t.c.incoterm == f.incoterm, literal(f.incoterm) == func.any(t.c.supported_incoterms)
            )
        )
    if f.moment is not None:
        out += _in_window(f.moment)
    if f.delivery_regions:
        out.append(func.lower(t.c.delivery_region).in_(sorted(f.delivery_regions)))
    if f.order is not None:
        # The order fits in what is available (canonical units, compared without dividing);
        # partial orders, the minimum and the cut-off are decided exactly on each candidate.
        out += [
            t.c.quantity_in_base_unit.is_not(None),
            t.c.available_quantity * t.c.quantity_in_base_unit
            >= f.order.quantity * t.c.total_quantity,
            or_(t.c.valid_until.is_(None), t.c.valid_until > f.order.moment),
        ]
    return out


def _within_ranges(ranges: GeoRanges) -> list[ColumnElement[bool]]:
    """The circle's latitude and longitude ranges (storage.search_geo: why not earth_box)."""
    t = availabilities
    out = [t.c.latitude >= ranges.south, t.c.latitude <= ranges.north]
    if ranges.longitudes:
        out.append(
            or_(*(and_(t.c.longitude >= w, t.c.longitude <= e) for w, e in ranges.longitudes))
        )
    return out


def _in_window(moment: datetime) -> list[ColumnElement[bool]]:
    """available_from <= moment < available_until, each bound optional."""
    t = availabilities
    return [
        or_(t.c.available_from.is_(None), t.c.available_from <= moment),
        or_(t.c.available_until.is_(None), t.c.available_until > moment),
    ]


_ORDER_COLUMNS = (
    "available_quantity",
    "total_quantity",
    "quantity_in_base_unit",
    "min_order_quantity",
    "allow_partial_order",
    "valid_until",
    "available_from",
    "available_until",
    "eod_cutoff",
)


def _cosine(f: CandidateFilter) -> ColumnElement[Any]:
    return availabilities.c.ai_score_vector.cosine_distance(f.target_vector)


def _distance_km(f: CandidateFilter) -> ColumnElement[Any]:
    # Without a point the column is a NULL typed as float8: an untyped NULL in the CTE is
    # typed text by PostgreSQL, which the Float result processor refuses.
    if f.near is None:
        return cast(null(), Float)
    return earth_distance_m(*f.near) / 1000.0


def candidate_columns(f: CandidateFilter) -> list[ColumnElement[Any]]:
    """The columns of a CandidateRow (and the order terms when an order is given)."""
    t = availabilities
    order_columns = [t.c[name] for name in _ORDER_COLUMNS] if f.order is not None else []
    return [
        t.c.id,
        t.c.normalized_quality_params,
        t.c.price_per_base_unit,
        t.c.ai_confidence_score,
        _cosine(f).label("cosine_distance"),
        _distance_km(f).label("distance_km"),
        *order_columns,
    ]


def search_candidates(conn: Connection, f: CandidateFilter) -> list[CandidateRow]:
    """At most `limit` lots passing the SQL filters: nearest vectors first, or with
    `f.ranking` best approximate score first.

    The cosine distance is exact (computed over the filtered rows) rather than read through
    the approximate HNSW index, so the rows are exactly the first `limit` in that order.
    """
    columns = candidate_columns(f)
    cosine, distance = _cosine(f), _distance_km(f)
    if f.ranking is None:
        filtered = (
            select(*columns)
            .where(and_(*_conditions(f)))
            .cte("filtered")
            .prefix_with("MATERIALIZED")
        )
        query = (
            select(filtered)
            .order_by(filtered.c.cosine_distance.asc().nulls_last(), filtered.c.id)
            .limit(f.limit)
        )
    else:
        conditions = and_(*_conditions(f))
        query = by_score(f.ranking, f.limit, columns, conditions, cosine, distance, f.near)
    return [_candidate_row(r, f) for r in conn.execute(query)]


def _candidate_row(r: Any, f: CandidateFilter) -> CandidateRow:
    mapping = r._mapping
    return CandidateRow(
        id=r.id,
        normalized_quality_params=r.normalized_quality_params or {},
        price_per_base_unit=r.price_per_base_unit,
        ai_confidence_score=float(r.ai_confidence_score),
        cosine_distance=None if r.cosine_distance is None else float(r.cosine_distance),
        distance_km=None if r.distance_km is None else float(r.distance_km),
        order_terms=None
        if f.order is None
        else OrderTerms(**{name: mapping[name] for name in _ORDER_COLUMNS}),
        approximate_score=mapping.get("approximate_score"),
    )


def lots_by_id(
    conn: Connection, ids: Sequence[uuid.UUID], visible: ColumnElement[bool] | None
) -> dict[uuid.UUID, Availability]:
    """The lots with these ids that the caller may still see (the predicate is re-checked,
    so a lot that became invisible since the candidate read is never returned)."""
    if not ids:
        return {}
    query = select(availabilities).where(availabilities.c.id.in_(list(ids)))
    if visible is not None:
        query = query.where(visible)
    rows = conn.execute(query)
    return {lot.id: lot for lot in map(row_to_lot, rows)}
