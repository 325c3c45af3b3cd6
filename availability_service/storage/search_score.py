"""The search score as a SQL expression: an ordering key close to the exact score, never the
score itself.

intelligence.scoring.score_lot decides every score and every filter edge. This expression
follows the same formula in float8 (no Decimal, no pass/fail gates) so the database can hand
out candidates best first; it differs from the exact score by float rounding only, far below
SCORE_SLACK (service_layer.ports.search). The search therefore only ever needs:
|approximate - exact| <= SCORE_SLACK for every lot that passes the exact checks. Lots the
exact checks drop may score anything here.

The expression is built in two layers so no input is computed twice: `score_inputs` are the
columns read from the lot (the cosine distance, the distance in km, each targeted quality
number), `approximate_score` combines them, read from the subquery that selected them.
NaN can only come from the inputs (a zero embedding, a NaN confidence), so it is turned into
0 there, as intelligence.factors.clamp01 does.

Active factors are decided per row exactly as score_lot does (vector when the lot has an
embedding, price when a max price is asked and the lot has a price, distance when the request
gave a point and the lot has a position, confidence always since the column is NOT NULL), so
the renormalisation of the weights is the same.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Float,
    Numeric,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from availability_service.intelligence.catalog import Commodity
from availability_service.intelligence.scoring import (
    DEFAULT_DISTANCE_SCALE_KM,
    QualityTarget,
    SearchCriteria,
)
from availability_service.service_layer.ports.search import ScoreOrder
from availability_service.storage.tables import availabilities as t

_NAN = literal(float("nan"), Float)


def _f(value: float) -> ColumnElement[Any]:
    return literal(float(value), Float)


def _clamp01(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.least(1.0, func.greatest(0.0, value))


def not_nan(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """0 for NaN, as intelligence.factors.clamp01 counts it."""
    return case((value == _NAN, _f(0.0)), else_=value)


def score_inputs(
    criteria: SearchCriteria, cosine_distance: ColumnElement[Any], distance_km: ColumnElement[Any]
) -> list[ColumnElement[Any]]:
    """The lot's columns `approximate_score` reads, labelled, for the inner select."""
    inputs: list[ColumnElement[Any]] = [
        (t.c.ai_score_vector.is_not(None)).label("s_has_vector"),
        not_nan(cosine_distance).label("s_cosine"),
        not_nan(t.c.ai_confidence_score).label("s_confidence"),
        t.c.price_per_base_unit.label("s_price"),
        distance_km.label("s_km"),
    ]
    for i, name in enumerate(criteria.quality_targets):
        inputs.append(quality_number(name).label(f"s_q{i}"))
    return inputs


def score_bound(
    criteria: SearchCriteria, commodity: Commodity, row: Mapping[str, Any], with_distance: bool
) -> ColumnElement[Any]:
    """`approximate_score` with the vector factor at its best (1, and active) over `row`
    (the other inputs, named as `score_inputs` names them): at least the approximate score
    of the same lot, with or without an embedding, since a weighted mean only grows when a
    factor of value 1 joins it or a factor's value grows."""
    best = {"s_has_vector": true(), "s_cosine": _f(0.0)}
    return approximate_score(criteria, commodity, {**row, **best}, with_distance)


def quality_number(name: str) -> ColumnElement[Any]:
    """The lot's canonical number for quality parameter `name` (float8): a JSON number only,
    as numeric_quality reads it, NULL for anything else ("not reported").

    Written with `->` (not the JSON subscript) and as a CASE, so it is exactly the
    expression migration 0010 indexes per commodity and parameter: PostgreSQL uses an
    expression index only for the same expression, and the CASE keeps a stored value that
    is not a number from making the index (and so a write) fail on the cast.
    """
    return number_of(quality_entry(name))


def quality_entry(name: str) -> ColumnElement[Any]:
    """The lot's normalised entry of parameter `name` (jsonb: {"number": x, "unit": u})."""
    return t.c.normalized_quality_params.op("->", return_type=JSONB)(literal(name, Text))


def number_of(entry: ColumnElement[Any]) -> ColumnElement[Any]:
    """An entry's "number" as float8 when it is a JSON number, else NULL."""
    number = literal("number", Text)
    reported = func.jsonb_typeof(entry.op("->", return_type=JSONB)(number)) == "number"
    return case((reported, cast(entry.op("->>", return_type=Text)(number), Float)))


def _target_score(
    target: QualityTarget, x: ColumnElement[Any], commodity: Commodity, name: str
) -> ColumnElement[Any]:
    parameter = commodity.parameter(name)
    if target.value is not None:
        difference = func.abs(x - _f(target.value))
        allowed = target.allowed_deviation()
        if allowed is not None:
            if allowed <= 0:
                return _f(1.0)
            step = float(allowed)
            if step < sys.float_info.min:
                # Below the smallest normal float8 (a subnormal tolerance): only an exact
                # match can pass, and float8 division would overflow or divide by zero.
                return case((difference == 0, _f(1.0)), else_=_f(0.0))
            # least() keeps the quotient within 1, so a tiny tolerance never overflows float8.
            return _clamp01(1.0 - func.least(difference, _f(step)) / _f(step))
        width = parameter.width if parameter is not None else None
        span = width if width else max(abs(target.value), 1.0)
        return _clamp01(1.0 - difference / _f(span))
    if parameter is None or parameter.width is None or parameter.minimum is None:
        return _f(1.0)
    position = _clamp01((x - _f(parameter.minimum)) / _f(parameter.width))
    if parameter.higher_is_better is True:
        return position
    if parameter.higher_is_better is False:
        return 1.0 - position
    return _f(1.0)


def _quality(criteria: SearchCriteria, commodity: Commodity, row: Any) -> ColumnElement[Any]:
    total: ColumnElement[Any] = _f(0.0)
    for i, (name, target) in enumerate(criteria.quality_targets.items()):
        x = row[f"s_q{i}"]
        # A parameter the lot does not report scores 0 (and fails nothing).
        score = _target_score(target, x, commodity, name)
        total = total + case((x.is_(None), _f(0.0)), else_=score)
    return _clamp01(total / _f(len(criteria.quality_targets)))


def _price(criteria: SearchCriteria, price: ColumnElement[Any]) -> ColumnElement[Any]:
    max_price = criteria.max_price
    assert max_price is not None
    if max_price <= 0:
        return _f(1.0)
    limit = max_price * (1 + _decimal(criteria.price_tolerance_percent) / 100)
    above = _f(0.0)
    if limit > max_price:
        over = cast((literal(limit, Numeric) - price) / (limit - max_price), Float)
        above = _clamp01(0.5 * over)
    below = _clamp01(1.0 - 0.5 * cast(price / literal(max_price, Numeric), Float))
    return case((price <= max_price, below), else_=above)


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))  # as scoring._dec reads the tolerance


def approximate_score(
    criteria: SearchCriteria, commodity: Commodity, row: Any, with_distance: bool
) -> ColumnElement[Any]:
    """score_lot's formula over `row`, the columns of a select of `score_inputs` (float8;
    see the module docstring)."""
    weights = criteria.weights.as_dict()
    # (active when, weight, value): None means always active.
    vector = _clamp01((1.0 - row["s_cosine"] + 1.0) / 2.0)
    terms: list[tuple[ColumnElement[bool] | None, float, ColumnElement[Any]]] = [
        (row["s_has_vector"], weights["vector"], vector)
    ]
    if criteria.quality_targets:
        terms.append((None, weights["quality"], _quality(criteria, commodity, row)))
    if criteria.max_price is not None:
        price = row["s_price"]
        terms.append((price.is_not(None), weights["price"], _price(criteria, price)))
    terms.append((None, weights["confidence"], _clamp01(row["s_confidence"])))
    if with_distance:
        radius = criteria.radius_km
        scale = radius if radius is not None and radius > 0 else DEFAULT_DISTANCE_SCALE_KM
        km = row["s_km"]
        decay = (
            _f(1.0)
            if radius == 0
            else _clamp01(func.exp(_f(math.log(0.5)) * func.abs(km) / _f(scale)))
        )
        terms.append((km.is_not(None), weights["distance"], decay))
    numerator: ColumnElement[Any] = _f(0.0)
    denominator: ColumnElement[Any] = _f(0.0)
    # The score is a weighted mean, so scaling every weight by one factor changes nothing;
    # scaled to at most 1 their sum stays finite (float8 arithmetic raises on overflow, and
    # a weight may be as large as the largest double).
    top = max((max(0.0, weight) for _, weight, _ in terms), default=0.0)
    for active, weight, value in terms:
        w = max(0.0, weight) / top if top > 0 else 0.0
        if active is None:
            numerator, denominator = numerator + _f(w) * value, denominator + _f(w)
        else:
            numerator = numerator + case((active, _f(w) * value), else_=_f(0.0))
            denominator = denominator + case((active, _f(w)), else_=_f(0.0))
    return case((denominator > 0, _clamp01(numerator / denominator)), else_=_f(0.0))


def by_score(
    ranking: ScoreOrder,
    limit: int,
    columns: list[ColumnElement[Any]],
    conditions: ColumnElement[bool],
    cosine: ColumnElement[Any],
    distance: ColumnElement[Any],
    near: object | None,
) -> Any:
    """Three layers, each kept apart by OFFSET 0 so PostgreSQL computes every input and the
    score once per row: filtered rows with the score's inputs, the score, then the keyset."""
    criteria = ranking.criteria
    inputs = (
        select(*columns, *score_inputs(criteria, cosine, distance))
        .where(conditions)
        .offset(0)
        .subquery("inputs")
    )
    score = approximate_score(criteria, ranking.commodity, inputs.c, near is not None)
    output = [inputs.c[c.key] for c in columns if c.key is not None]
    scored = select(*output, score.label("approximate_score")).offset(0).subquery("scored")
    keep = keyset(
        scored.c.approximate_score, scored.c.id, ranking.floor, ranking.ceiling, ranking.after
    )
    return (
        select(scored)
        .where(and_(true(), *keep))
        .order_by(scored.c.approximate_score.desc(), scored.c.id)
        .limit(limit)
    )


def keyset(
    key: ColumnElement[Any],
    lot_id: ColumnElement[Any],
    floor: float | None,
    ceiling: float | None,
    after: tuple[float, Any] | None,
) -> list[ColumnElement[bool]]:
    """Rows read by (key descending, id) after `after` (the last row's key and id), with
    their key within [floor, ceiling]."""
    keep: list[ColumnElement[bool]] = []
    if floor is not None:
        keep.append(key >= floor)
    if ceiling is not None:
        keep.append(key <= ceiling)
    if after is not None:
        last_key, last_id = after
        keep.append(or_(key < last_key, and_(key == last_key, lot_id > last_id)))
    return keep
