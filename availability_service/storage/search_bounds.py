"""Search candidates with a point, read by an upper bound of their score from one index.

Every factor of a lot's score but the vector's can be computed from the covering index of
migration 0010 (commodity, latitude, longitude; id, price, price unit, confidence, anomaly
flag, normalised quality): its distance, price, confidence and quality. So the first read
is an index-only scan that filters the lots by radius, price, anomaly and quality and
orders them by `score_bound` (the approximate score with the vector factor at 1), and the
table is read only for the lots of that batch, with every filter (visibility, windows,
quantities, ...) and the exact inputs, as storage.search reads candidates. An unread lot's
approximate score is at most its bound, so at most the last bound read: that is what lets
service_layer.search_bounded stop. The index holds no embedding (half the row), so the
scan reads about an eighth of what the table scan did, and no table page for a lot that
cannot reach the page.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Float, and_, func, literal, select, true
from sqlalchemy.sql.elements import ColumnElement

from availability_service.service_layer.ports.search import (
    BoundedRows,
    BoundRead,
    CandidateFilter,
)
from availability_service.storage.search import (
    _candidate_row,
    _conditions,
    candidate_columns,
    indexed_conditions,
    quality_conditions,
    radius_m,
)
from availability_service.storage.search_geo import EARTH_RADIUS_M
from availability_service.storage.search_score import (
    keyset,
    not_nan,
    number_of,
    quality_entry,
    score_bound,
)
from availability_service.storage.tables import availabilities as t

# The haversine distance below is shrunk by this share and this many metres, so it never
# exceeds earthdistance's own (they differ by float rounding: about 1e-9 m, up to a tenth
# of a metre near antipodes, where asin is ill-conditioned).
DISTANCE_SHRINK = 1e-9
DISTANCE_MARGIN_M = 10.0


def _f(value: float) -> ColumnElement[Any]:
    return literal(float(value), Float)


def distance_floor_m(
    latitude: ColumnElement[Any], longitude: ColumnElement[Any], near: tuple[float, float]
) -> ColumnElement[Any]:
    """At most earthdistance's earth_distance from `near` (same sphere, the haversine
    formula, shrunk by a margin): plain float arithmetic, where ll_to_earth builds and
    checks a cube per call and cost most of the index scan."""
    phi = math.radians(near[0])
    half_dlat = func.radians(latitude - _f(near[0])) / 2.0
    half_dlng = func.radians(longitude - _f(near[1])) / 2.0
    a = func.power(func.sin(half_dlat), 2) + _f(math.cos(phi)) * func.cos(
        func.radians(latitude)
    ) * func.power(func.sin(half_dlng), 2)
    arc = 2.0 * EARTH_RADIUS_M * func.asin(func.sqrt(func.least(1.0, func.greatest(0.0, a))))
    return func.greatest(0.0, arc * (1.0 - DISTANCE_SHRINK) - DISTANCE_MARGIN_M)


def _bounds_query(f: CandidateFilter, read: BoundRead, only: Sequence[uuid.UUID] = ()) -> Any:
    """(id, bound) of the next lots, from the covering index alone, in layers kept apart by
    OFFSET 0 so every input is computed once per lot: the plain filters with the targeted
    quality entries, their numbers, the quality ranges with the distance floor, then the
    radius and the bound. `only`: just these lots (storage.search_memory's changed ones)."""
    ranking = f.ranking
    assert ranking is not None and f.near is not None
    names = list(dict.fromkeys([*ranking.criteria.quality_targets, *(q.name for q in f.quality)]))
    near = (
        select(
            t.c.id,
            not_nan(t.c.ai_confidence_score).label("s_confidence"),
            t.c.price_per_base_unit.label("s_price"),
            t.c.latitude,
            t.c.longitude,
            *(quality_entry(name).label(f"e{i}") for i, name in enumerate(names)),
        )
        .where(and_(*indexed_conditions(f), *([t.c.id.in_(list(only))] if only else [])))
        .offset(0)
        .subquery("near")
    )
    numbers = (
        select(
            near.c.id,
            near.c.s_confidence,
            near.c.s_price,
            near.c.latitude,
            near.c.longitude,
            *(number_of(near.c[f"e{i}"]).label(f"n{i}") for i in range(len(names))),
        )
        .offset(0)
        .subquery("numbers")
    )
    # The quality ranges first: the distance is computed only for the lots passing them.
    numbered = {name: numbers.c[f"n{i}"] for i, name in enumerate(names)}
    passing = (
        select(
            numbers.c.id,
            numbers.c.s_confidence,
            numbers.c.s_price,
            *(numbers.c[f"n{i}"] for i in range(len(names))),
            (distance_floor_m(numbers.c.latitude, numbers.c.longitude, f.near) / 1000.0).label(
                "s_km"
            ),
        )
        .where(and_(true(), *quality_conditions(f, numbered)))
        .offset(0)
        .subquery("passing")
    )
    by_name = {name: passing.c[f"n{i}"] for i, name in enumerate(names)}
    inputs: dict[str, Any] = {
        "s_confidence": passing.c.s_confidence,
        "s_price": passing.c.s_price,
        "s_km": passing.c.s_km,
    }
    for i, name in enumerate(ranking.criteria.quality_targets):
        inputs[f"s_q{i}"] = by_name[name]
    radius = radius_m(f)
    within = [] if radius is None else [passing.c.s_km * 1000.0 <= radius]
    bound = score_bound(ranking.criteria, ranking.commodity, inputs, with_distance=True)
    bounded = (
        select(passing.c.id, bound.label("bound"))
        .where(and_(true(), *within))
        .offset(0)
        .subquery("bounded")
    )
    keep = keyset(bounded.c.bound, bounded.c.id, read.floor, None, read.after)
    return (
        select(bounded.c.id, bounded.c.bound)
        .where(and_(true(), *keep))
        .order_by(bounded.c.bound.desc(), bounded.c.id)
        .limit(read.limit)
    )


def bounded_candidates(conn: Connection, f: CandidateFilter, read: BoundRead) -> BoundedRows:
    """See SearchReads.bounded: one index-only read of (id, bound), then the table rows of
    those ids that pass every filter."""
    ranking = f.ranking
    assert ranking is not None and f.near is not None, "a search with a point and criteria"
    return rows_of_batch(conn, f, bounds_of(conn, f, read))


def bounds_of(
    conn: Connection, f: CandidateFilter, read: BoundRead, only: Sequence[uuid.UUID] = ()
) -> list[tuple[float, uuid.UUID]]:
    """(bound, id) of the next `read.limit` lots (of `only`, when given), best first."""
    return [(float(r.bound), r.id) for r in conn.execute(_bounds_query(f, read, only))]


def rows_of_batch(
    conn: Connection, f: CandidateFilter, batch: Sequence[tuple[float, uuid.UUID]]
) -> BoundedRows:
    """The BoundedRows of a batch read by bound: its lots that pass every filter, with the
    inputs scoring reads (the service scores them exactly; no order key is needed)."""
    if not batch:
        return BoundedRows([], 0, None)
    rows = select(*candidate_columns(f)).where(t.c.id.in_([i for _, i in batch]), *_conditions(f))
    found = [_candidate_row(r, f) for r in conn.execute(rows)]
    return BoundedRows(found, len(batch), batch[-1])
