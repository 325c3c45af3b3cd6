"""A search request in domain terms -> scoring criteria, SQL filters and the target vector.

Targets are normalised with the lot rules (a target of "2.9 cm" means 29 mm, micronaire
42 means 4.2); tolerance, min and max are already in the canonical unit. Each bad input is
one field violation naming it (quality_targets[<name>], max_price, ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from availability_service.domain.errors import Violations
from availability_service.intelligence import (
    Commodity,
    Embedder,
    IntelligenceError,
    LotFeatures,
    QualityInput,
    QualityTarget,
    ScoreWeights,
    SearchCriteria,
    to_canonical_price,
)
from availability_service.intelligence.normalize import normalize_one
from availability_service.service_layer.ports.search import QualityRange


@dataclass(frozen=True)
class TargetInput:
    """One quality target as the caller sent it."""

    value: QualityInput | None = None
    tolerance: float | None = None
    tolerance_percent: float | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class SearchQuery:
    """SearchAvailabilities in domain terms (the proto fields, parsed)."""

    commodity: str
    targets: Mapping[str, TargetInput] = field(default_factory=dict)
    max_price: Decimal | None = None
    currency: str = ""
    price_unit: str = ""
    price_tolerance_percent: float = 0.0
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    min_quantity: Decimal | None = None
    include_anomalies: bool = False
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    score_threshold: float = 0.0
    page_size: int = 0
    page_token: str = ""
    delivery_window_start: datetime | None = None
    delivery_window_end: datetime | None = None
    incoterm: str = ""
    delivery_regions: tuple[str, ...] = ()
    min_price: Decimal | None = None
    min_price_currency: str = ""
    order_quantity: Decimal | None = None


@dataclass(frozen=True)
class Plan:
    """What one search runs: scoring criteria, SQL ranges, price filter, target vector."""

    criteria: SearchCriteria
    ranges: list[QualityRange]
    price_unit: str
    price_limit: Decimal | None
    target_vector: list[float]
    price_floor: Decimal | None = None


def _target(
    commodity: Commodity, name: str, given: TargetInput, v: Violations
) -> tuple[str, QualityTarget] | None:
    where = f"quality_targets[{name[:40]}]"
    parameter = commodity.parameter(name)
    key = parameter.name if parameter is not None else name
    numbers = [given.tolerance, given.tolerance_percent, given.min, given.max]
    if any(x is not None and not math.isfinite(x) for x in numbers):
        v.add(where, "tolerance, tolerance_percent, min and max must be finite numbers")
        return None
    if (given.tolerance or 0) < 0 or (given.tolerance_percent or 0) < 0:
        v.add(where, "tolerance must not be negative")
        return None
    if given.min is not None and given.max is not None and given.min > given.max:
        v.add(where, "min must not exceed max")
        return None
    value: float | None = None
    if given.value is not None:
        try:
            if parameter is None:
                value = given.value.number
            else:
                value = normalize_one(parameter, given.value).number
        except IntelligenceError as exc:
            v.add(where, str(exc))
            return None
        if value is None:
            v.add(where, "only numeric parameters can be targeted")
            return None
    elif given.min is None and given.max is None:
        v.add(where, "needs a value, a min or a max")
        return None
    return key, QualityTarget(value, given.tolerance, given.tolerance_percent, given.min, given.max)


def _range(name: str, target: QualityTarget) -> QualityRange | None:
    """The SQL bounds of a target: min/max and value +/- the allowed deviation."""
    lows = [] if target.min is None else [target.min]
    highs = [] if target.max is None else [target.max]
    deviation = target.allowed_deviation()
    if target.value is not None and deviation is not None:
        lows.append(target.value - float(deviation))
        highs.append(target.value + float(deviation))
    if not lows and not highs:
        return None
    return QualityRange(name, max(lows) if lows else None, min(highs) if highs else None)


def target_point(target: QualityTarget) -> float | None:
    """The value a target is centred on, for the request's embedding."""
    if target.value is not None:
        return target.value
    if target.min is not None and target.max is not None:
        return (target.min + target.max) / 2
    return target.min if target.min is not None else target.max


def plan_search(
    query: SearchQuery, commodity: Commodity, embedder: Embedder, v: Violations
) -> Plan:
    targets: dict[str, QualityTarget] = {}
    for name, given in query.targets.items():
        parsed = _target(commodity, name, given, v)
        if parsed is not None:
            if parsed[0] in targets:
                v.add(f"quality_targets[{name[:40]}]", f"{parsed[0]} is targeted twice")
            targets[parsed[0]] = parsed[1]
    max_price, price_unit = _canonical_price(
        "max_price", query.max_price, query.currency, query, commodity, v
    )
    floor, floor_unit = _canonical_price(
        "min_price", query.min_price, query.min_price_currency, query, commodity, v
    )
    if floor is not None and max_price is not None:
        if floor_unit != price_unit:
            v.add("min_price.currency_code", "must be the currency of max_price")
        elif floor > max_price:
            v.add("min_price", "must not exceed max_price")
    price_unit = price_unit or floor_unit
    criteria = SearchCriteria(
        quality_targets=targets,
        max_price=max_price,
        price_tolerance_percent=query.price_tolerance_percent,
        radius_km=query.radius_km,
        weights=query.weights,
    )
    limit = None
    if max_price is not None:
        limit = max_price * (1 + Decimal(repr(query.price_tolerance_percent)) / 100)
    points = {name: p for name, t in targets.items() if (p := target_point(t)) is not None}
    vector = embedder.embed(LotFeatures(commodity.code, commodity.family, points))
    ranges = [r for name, t in targets.items() if (r := _range(name, t)) is not None]
    return Plan(criteria, ranges, price_unit, limit, vector, floor)


def _canonical_price(
    field: str,
    amount: Decimal | None,
    currency: str,
    query: SearchQuery,
    commodity: Commodity,
    v: Violations,
) -> tuple[Decimal | None, str]:
    """A price bound per the commodity's canonical unit, and that unit ("USD/t"); the
    request's price_unit applies to max_price and min_price alike."""
    if amount is None:
        return None, ""
    try:
        return to_canonical_price(
            amount,
            currency,
            query.price_unit or commodity.price_quantity_unit,
            commodity,
            field="price_unit",
        )
    except IntelligenceError as exc:
        v.add(f"{field}.currency_code" if exc.field == "currency" else "price_unit", str(exc))
        return None, ""
