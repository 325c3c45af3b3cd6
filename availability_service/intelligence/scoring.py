"""Scoring a lot against a search request: the one place where ranking is decided.

score = sum over active factors of w_f x v_f, each v_f in [0, 1], the weights of the active
factors renormalised to sum 1. Default weights: vector 0.4, quality 0.3, price 0.2,
confidence 0.1, distance 0.1. A factor is active only when its inputs exist: vector when a
cosine similarity is given, quality when the request has quality targets, price when both a
max price and a lot price exist, confidence when the lot has one, distance when the request
gave a point (so without a point the seed's 0.4 / 0.3 / 0.2 / 0.1 apply unchanged).

Filters are decided here too (`passes`), with inclusive edges compared as decimals, so a
lot exactly at a tolerance edge passes whatever float noise the inputs carry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal

from availability_service.intelligence.catalog import Commodity, QualityParameter
from availability_service.intelligence.factors import (
    Factor,
    clamp01,
    combine,
    normalised,
    weighted,
)
from availability_service.intelligence.readiness import ReadinessScore, readiness_score

__all__ = [
    "Factor",
    "LotCandidate",
    "QualityTarget",
    "ReadinessScore",
    "ScoreWeights",
    "ScoredLot",
    "Scorer",
    "SearchCriteria",
    "distance_score",
    "price_score",
    "quality_score",
    "readiness_score",
    "score_lot",
    "vector_score",
]

# Without a radius, distance still decays: half the score at this many km.
DEFAULT_DISTANCE_SCALE_KM = 500.0


@dataclass(frozen=True)
class ScoreWeights:
    """Factor weights; any non-negative numbers, renormalised over the active factors."""

    vector: float = 0.4
    quality: float = 0.3
    price: float = 0.2
    confidence: float = 0.1
    distance: float = 0.1

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"weight {item.name} must be a finite number >= 0")

    def as_dict(self) -> dict[str, float]:
        # Spelled out (in field order): it runs once per scored lot, fields() is slow.
        return {
            "vector": float(self.vector),
            "quality": float(self.quality),
            "price": float(self.price),
            "confidence": float(self.confidence),
            "distance": float(self.distance),
        }


@dataclass(frozen=True)
class QualityTarget:
    """What the buyer wants of one parameter, in its canonical unit.

    `tolerance` (absolute) wins over `tolerance_percent` (of `value`) when both are given.
    """

    value: float | None = None
    tolerance: float | None = None
    tolerance_percent: float | None = None
    min: float | None = None
    max: float | None = None

    def allowed_deviation(self) -> Decimal | None:
        if self.tolerance is not None:
            return abs(_dec(self.tolerance))
        if self.tolerance_percent is not None and self.value is not None:
            return abs(_dec(self.value)) * abs(_dec(self.tolerance_percent)) / 100
        return None


@dataclass(frozen=True)
class SearchCriteria:
    """The scoring-relevant part of a search request."""

    quality_targets: Mapping[str, QualityTarget] = field(default_factory=dict)
    max_price: Decimal | None = None
    price_tolerance_percent: float = 0.0
    radius_km: float | None = None
    weights: ScoreWeights = field(default_factory=ScoreWeights)


@dataclass(frozen=True)
class LotCandidate:
    """The scoring-relevant part of a lot; distance_km only when the request gave a point."""

    normalized_quality: Mapping[str, float] = field(default_factory=dict)
    price: Decimal | None = None
    cosine_similarity: float | None = None
    distance_km: float | None = None
    ai_confidence_score: float | None = None


@dataclass(frozen=True)
class ScoredLot:
    """Final score in [0, 1], the per-factor breakdown, and whether every filter passed."""

    score: float
    breakdown: list[Factor]
    passes: bool


def _dec(value: float | Decimal) -> Decimal:
    # repr() gives the shortest decimal that round-trips: 29.4 stays 29.4, not 29.39999...
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def vector_score(cosine_similarity: float) -> float:
    """Cosine in [-1, 1] mapped linearly to [0, 1]."""
    return clamp01((cosine_similarity + 1.0) / 2.0)


def price_score(
    price: Decimal, max_price: Decimal, tolerance_percent: float = 0.0
) -> tuple[float, bool]:
    """Lower is better: 1 at price 0, 0.5 at max_price, 0 at max_price x (1 + tol%).

    Above max_price x (1 + tol%) the lot fails the filter; the limit itself passes.
    """
    return _price_within(price, max_price, _price_limit(max_price, tolerance_percent))


def _price_limit(max_price: Decimal, tolerance_percent: float) -> Decimal:
    return max_price * (1 + _dec(tolerance_percent) / 100)


def _price_within(price: Decimal, max_price: Decimal, limit: Decimal) -> tuple[float, bool]:
    if price > limit:
        return 0.0, False
    if max_price <= 0:
        return 1.0, True
    if price <= max_price:
        return clamp01(1.0 - 0.5 * float(price / max_price)), True
    return clamp01(0.5 * float((limit - price) / (limit - max_price))), True


def distance_score(
    distance_km: float, radius_km: float | None, midpoint: float = 0.5
) -> tuple[float, bool]:
    """Exponential decay as in Qdrant's exp_decay: exp(ln(midpoint) x d / scale).

    scale is the radius, so a lot at the radius scores `midpoint` (0.5) and a lot beyond it
    fails; without a radius nothing fails and the scale is DEFAULT_DISTANCE_SCALE_KM.
    """
    distance = abs(distance_km)
    if radius_km is not None and _dec(distance) > _dec(radius_km):
        return 0.0, False
    scale = radius_km if radius_km is not None and radius_km > 0 else DEFAULT_DISTANCE_SCALE_KM
    if radius_km == 0:
        return 1.0, True  # radius 0 and distance 0: the very point asked for
    return clamp01(math.exp(math.log(midpoint) * distance / scale)), True


def quality_score(
    targets: Mapping[str, QualityTarget],
    lot_normalized_quality: Mapping[str, float],
    commodity: Commodity | None = None,
) -> tuple[float, bool]:
    """Mean per-target score in [0, 1], and whether the lot passes every target.

    Per target (edges inclusive): outside min/max or outside value +/- tolerance fails
    and scores 0. Within a tolerance the score is 1 - |x - value| / tolerance. A value
    without tolerance scores 1 - |x - value| / (catalog range width). Bounds only: 1, or the
    position in the catalog range when the catalog says higher (or lower) is better.
    A parameter the lot does not report scores 0 but does not fail: unknown is not bad.
    """
    if not targets:
        return 1.0, True
    quality = _by_canonical_name(lot_normalized_quality, commodity)
    scores: list[float] = []
    passes = True
    for name, target in targets.items():
        parameter = commodity.parameter(name) if commodity is not None else None
        key = parameter.name if parameter is not None else name
        value = quality.get(key)
        if value is None or not math.isfinite(value):
            scores.append(0.0)
            continue
        score, ok = _target_score(target, value, parameter)
        passes = passes and ok
        scores.append(score if ok else 0.0)
    return clamp01(sum(scores) / len(scores)), passes


def _by_canonical_name(
    quality: Mapping[str, float], commodity: Commodity | None
) -> dict[str, float]:
    if commodity is None:
        return dict(quality)
    result: dict[str, float] = {}
    for name, value in quality.items():
        parameter = commodity.parameter(name)
        result[parameter.name if parameter is not None else name] = value
    return result


def _target_score(
    target: QualityTarget, value: float, parameter: QualityParameter | None
) -> tuple[float, bool]:
    x = _dec(value)
    if (target.min is not None and x < _dec(target.min)) or (
        target.max is not None and x > _dec(target.max)
    ):
        return 0.0, False
    if target.value is not None:
        difference = abs(x - _dec(target.value))
        allowed = target.allowed_deviation()
        if allowed is not None:
            if difference > allowed:
                return 0.0, False
            return (1.0 - float(difference / allowed) if allowed > 0 else 1.0), True
        width = parameter.width if parameter is not None else None
        span = width if width else max(abs(target.value), 1.0)
        return clamp01(1.0 - float(difference) / span), True
    if parameter is None or parameter.width is None or parameter.minimum is None:
        return 1.0, True
    position = clamp01((value - parameter.minimum) / parameter.width)
    if parameter.higher_is_better is True:
        return position, True
    if parameter.higher_is_better is False:
        return 1.0 - position, True
    return 1.0, True


def score_lot(
    criteria: SearchCriteria, lot: LotCandidate, commodity: Commodity | None = None
) -> ScoredLot:
    """Score one lot: see the module docstring for the formula and active factors."""
    limit = None
    if criteria.max_price is not None:
        limit = _price_limit(criteria.max_price, criteria.price_tolerance_percent)
    values, passes = _values(criteria, lot, commodity, limit)
    score, breakdown = combine(criteria.weights.as_dict(), values)
    return ScoredLot(score=score, breakdown=breakdown, passes=passes)


class Scorer:
    """score_lot for one criteria and commodity, scoring many lots: what does not depend on
    the lot is computed once (the price limit with its tolerance, the renormalised weights of
    each set of active factors), by the same functions, so every result is score_lot's."""

    def __init__(self, criteria: SearchCriteria, commodity: Commodity | None = None) -> None:
        self.criteria = criteria
        self.commodity = commodity
        self._limit = None
        if criteria.max_price is not None:
            self._limit = _price_limit(criteria.max_price, criteria.price_tolerance_percent)
        self._weights = criteria.weights.as_dict()
        self._normalised: dict[tuple[str, ...], list[float]] = {}  # by the active factors

    def score(self, lot: LotCandidate) -> ScoredLot:
        values, passes = _values(self.criteria, lot, self.commodity, self._limit)
        names = tuple(values)
        weights = self._normalised.get(names)
        if weights is None:
            weights = self._normalised[names] = normalised(self._weights, names)
        score, breakdown = weighted(names, weights, values.values())
        return ScoredLot(score=score, breakdown=breakdown, passes=passes)


def _values(
    criteria: SearchCriteria,
    lot: LotCandidate,
    commodity: Commodity | None,
    price_limit: Decimal | None,
) -> tuple[dict[str, float], bool]:
    """Each active factor's value, in the breakdown's order, and whether the lot passes."""
    values: dict[str, float] = {}
    passes = True
    if lot.cosine_similarity is not None:
        values["vector"] = vector_score(lot.cosine_similarity)
    if criteria.quality_targets:
        values["quality"], ok = quality_score(
            criteria.quality_targets, lot.normalized_quality, commodity
        )
        passes = passes and ok
    if criteria.max_price is not None and price_limit is not None and lot.price is not None:
        values["price"], ok = _price_within(lot.price, criteria.max_price, price_limit)
        passes = passes and ok
    if lot.ai_confidence_score is not None:
        values["confidence"] = clamp01(lot.ai_confidence_score)
    if lot.distance_km is not None:
        values["distance"], ok = distance_score(lot.distance_km, criteria.radius_km)
        passes = passes and ok
    return values, passes
