"""Negotiation readiness: how ready a lot is for a buyer to start negotiating on it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from availability_service.intelligence.catalog import Commodity
from availability_service.intelligence.factors import Factor, clamp01, combine

READINESS_WEIGHTS = {
    "approved": 0.25,
    "quantity_available": 0.20,
    "price_in_band": 0.15,
    "quality_completeness": 0.15,
    "time_left": 0.15,
    "seller_hold_load": 0.10,
}
# A lot valid for this long or more is fully "in time"; less scales down linearly.
TIME_HORIZON = timedelta(hours=72)


@dataclass(frozen=True)
class ReadinessScore:
    """Readiness in [0, 1] and the named factors that make it up."""

    score: float
    breakdown: list[Factor]


def readiness_score(
    *,
    commodity: Commodity,
    approved: bool,
    available_quantity: Decimal,
    total_quantity: Decimal,
    price: Decimal | None,
    market_band: tuple[Decimal, Decimal] | None,
    quality_params_present: Collection[str],
    valid_until: datetime | None,
    now: datetime,
    seller_open_holds_ratio: float,
) -> ReadinessScore:
    """Weighted sum of six factors, each in [0, 1] (weights in READINESS_WEIGHTS):

    - approved (0.25): 1 if the lot is approved, else 0.
    - quantity_available (0.20): available / total quantity (0 for an empty lot).
    - price_in_band (0.15): 1 inside the market band (the catalog band when the caller has
      nothing better), falling linearly to 0 one band-width outside it; 0.5 with no band,
      0 with no price.
    - quality_completeness (0.15): share of the catalog's parameters present (aliases count).
    - time_left (0.15): 1 with no valid_until or at least 72 h left, 0 once expired,
      linear in between.
    - seller_hold_load (0.10): 1 - the seller's open holds ratio (open holds over the
      seller's recent holds): a seller sitting on many open holds is slow to close.
    """
    band = market_band if market_band is not None else commodity.price_band
    values = {
        "approved": 1.0 if approved else 0.0,
        "quantity_available": float(available_quantity / total_quantity)
        if total_quantity > 0
        else 0.0,
        "price_in_band": _price_in_band(price, band),
        "quality_completeness": _completeness(commodity, quality_params_present),
        "time_left": _time_left(valid_until, now),
        "seller_hold_load": 1.0 - clamp01(seller_open_holds_ratio),
    }
    score, breakdown = combine(READINESS_WEIGHTS, values)
    return ReadinessScore(score=score, breakdown=breakdown)


def _price_in_band(price: Decimal | None, band: tuple[Decimal, Decimal] | None) -> float:
    if price is None:
        return 0.0
    if band is None:
        return 0.5
    low, high = band
    if low <= price <= high:
        return 1.0
    width = high - low
    if width <= 0:
        return 0.0
    outside = low - price if price < low else price - high
    return clamp01(1.0 - float(outside / width))


def _completeness(commodity: Commodity, present: Collection[str]) -> float:
    if not commodity.quality:
        return 1.0
    found = {p.name for name in present if (p := commodity.parameter(name)) is not None}
    return len(found) / len(commodity.quality)


def _time_left(valid_until: datetime | None, now: datetime) -> float:
    if valid_until is None:
        return 1.0
    left = valid_until - now
    if left <= timedelta(0):
        return 0.0
    return clamp01(left / TIME_HORIZON)
