"""The covering index's filters and score bound (storage.search_bounds) over numpy arrays.

storage.search_memory keeps, per commodity, the columns the bound reads as typed arrays; this
module is the same arithmetic as `search_score.score_bound` with the distance floor of
`search_bounds.distance_floor_m`, in float64: the filters keep a superset of the lots the SQL
filters keep (each comparison is the same, on the same float8 values, or on a float rounding
of a numeric one, which rounding never reverses), and the bound differs from the SQL one by
float rounding only (about 1e-16), far below SCORE_SLACK, which the search adds to every bound
it stops on. tests/integration/test_search_memory.py checks both against the SQL on random
lots; the brute-force test pages through this path.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from availability_service.intelligence.catalog import Commodity
from availability_service.intelligence.scoring import (
    DEFAULT_DISTANCE_SCALE_KM,
    QualityTarget,
    SearchCriteria,
)
from availability_service.service_layer.ports.search import CandidateFilter
from availability_service.service_layer.ports.search import widen as _widen
from availability_service.storage.search_bounds import DISTANCE_MARGIN_M, DISTANCE_SHRINK
from availability_service.storage.search_geo import EARTH_RADIUS_M

Array = Any  # numpy arrays (float64 unless named otherwise)


@dataclass(frozen=True)
class Columns:
    """One commodity's searchable lots with a position (storage.search_memory builds it)."""

    latitude: Array
    longitude: Array
    price: Array  # price per base unit, NaN without one
    unit: Array  # int32 code of base_price_unit in `units` (-1: none)
    units: Mapping[str, int]
    confidence: Array  # NaN counted 0, as search_score.not_nan does
    anomaly: Array  # bool
    quality: Mapping[str, Array]  # per numeric catalog parameter, NaN: not reported


def _clamp01(value: Array) -> Array:
    return np.minimum(1.0, np.maximum(0.0, value))


def passing(c: Columns, f: CandidateFilter, radius_m: float | None) -> tuple[Array, Array]:
    """(indexes of the lots passing the covering index's filters, their distance floors in
    km), as storage.search_bounds filters them: anomaly, price, quality ranges, radius."""
    keep = np.ones(len(c.latitude), dtype=bool)
    if not f.include_anomalies:
        keep &= ~c.anomaly
    for limit, above in ((f.price_limit, False), (f.price_floor, True)):
        if limit is not None:
            code = c.units.get(f.price_unit, -2)
            keep &= c.unit == code
            keep &= (c.price >= float(limit)) if above else (c.price <= float(limit))
    for q in f.quality:
        x = c.quality[q.name]
        inside = np.ones(len(x), dtype=bool)
        if q.low is not None:
            inside &= x >= _widen(q.low, -1)
        if q.high is not None:
            inside &= x <= _widen(q.high, 1)
        keep &= np.isnan(x) | inside
    index = np.flatnonzero(keep)
    assert f.near is not None
    km = distance_floor_m(c.latitude[index], c.longitude[index], f.near) / 1000.0
    if radius_m is not None:
        within = km * 1000.0 <= radius_m
        index, km = index[within], km[within]
    return index, km


def distance_floor_m(latitude: Array, longitude: Array, near: tuple[float, float]) -> Array:
    """search_bounds.distance_floor_m's haversine, shrunk by the same margins."""
    phi = math.radians(near[0])
    half_dlat = np.radians(latitude - near[0]) / 2.0
    half_dlng = np.radians(longitude - near[1]) / 2.0
    a = np.sin(half_dlat) ** 2 + math.cos(phi) * np.cos(np.radians(latitude)) * (
        np.sin(half_dlng) ** 2
    )
    arc = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(_clamp01(a)))
    return np.maximum(0.0, arc * (1.0 - DISTANCE_SHRINK) - DISTANCE_MARGIN_M)


def supports(c: Columns, f: CandidateFilter, criteria: SearchCriteria) -> bool:
    """Whether every parameter the search names has a column here (else: the SQL path)."""
    names = [*criteria.quality_targets, *(q.name for q in f.quality)]
    return all(name in c.quality for name in names)


def score_bound(
    c: Columns,
    index: Array,
    km: Array,
    criteria: SearchCriteria,
    commodity: Commodity,
) -> Array:
    """search_score.score_bound(..., with_distance=True) for the lots at `index`."""
    weights = criteria.weights.as_dict()
    # (active, weight, value); active None: always (vector: at its best, 1, and active).
    terms: list[tuple[Array | None, float, Array]] = [(None, weights["vector"], 1.0)]
    if criteria.quality_targets:
        total: Array = 0.0
        for name, target in criteria.quality_targets.items():
            x = c.quality[name][index]
            score = _target_score(target, x, commodity, name)
            total = total + np.where(np.isnan(x), 0.0, score)
        terms.append((None, weights["quality"], _clamp01(total / len(criteria.quality_targets))))
    if criteria.max_price is not None:
        price = c.price[index]
        terms.append((~np.isnan(price), weights["price"], _price(criteria, price)))
    terms.append((None, weights["confidence"], _clamp01(c.confidence[index])))
    radius = criteria.radius_km
    scale = radius if radius is not None and radius > 0 else DEFAULT_DISTANCE_SCALE_KM
    decay = 1.0 if radius == 0 else _clamp01(np.exp(math.log(0.5) * np.abs(km) / scale))
    terms.append((None, weights["distance"], decay))
    top = max((max(0.0, weight) for _, weight, _ in terms), default=0.0)
    numerator: Array = np.zeros(len(index))
    denominator: Array = np.zeros(len(index))
    for active, weight, value in terms:
        w = max(0.0, weight) / top if top > 0 else 0.0
        if active is None:
            numerator, denominator = numerator + w * value, denominator + w
        else:
            numerator = numerator + np.where(active, w * value, 0.0)
            denominator = denominator + np.where(active, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = numerator / denominator
    return np.where(denominator > 0, _clamp01(ratio), 0.0)


def _target_score(target: QualityTarget, x: Array, commodity: Commodity, name: str) -> Array:
    """search_score._target_score (NaN x: any value, replaced by 0 by the caller)."""
    parameter = commodity.parameter(name)
    with np.errstate(invalid="ignore"):
        if target.value is not None:
            difference = np.abs(x - float(target.value))
            allowed = target.allowed_deviation()
            if allowed is not None:
                if allowed <= 0:
                    return np.ones(len(x))
                step = float(allowed)
                if step < sys.float_info.min:
                    return np.where(difference == 0, 1.0, 0.0)
                return _clamp01(1.0 - np.minimum(difference, step) / step)
            width = parameter.width if parameter is not None else None
            span = width if width else max(abs(target.value), 1.0)
            return _clamp01(1.0 - difference / float(span))
        if parameter is None or parameter.width is None or parameter.minimum is None:
            return np.ones(len(x))
        position = _clamp01((x - float(parameter.minimum)) / float(parameter.width))
        if parameter.higher_is_better is True:
            return position
        if parameter.higher_is_better is False:
            return 1.0 - position
        return np.ones(len(x))


def _price(criteria: SearchCriteria, price: Array) -> Array:
    """search_score._price over float prices (NaN: no price, inactive)."""
    max_price = criteria.max_price
    assert max_price is not None
    if max_price <= 0:
        return np.ones(len(price))
    limit = max_price * (1 + Decimal(repr(float(criteria.price_tolerance_percent))) / 100)
    above: Array = np.zeros(len(price))
    with np.errstate(invalid="ignore"):
        if limit > max_price:
            above = _clamp01(0.5 * ((float(limit) - price) / float(limit - max_price)))
        below = _clamp01(1.0 - 0.5 * (price / float(max_price)))
        return np.where(price <= float(max_price), below, above)
