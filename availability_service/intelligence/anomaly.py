"""Price anomaly detection: robust z-score over comparable lots, catalog band as fallback.

A flagged lot is not rejected: it goes to approval with the score and the reason stored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from availability_service.domain.market import PriceSpread, is_usable, spread_of

# Iglewicz and Hoaglin: |M| above 3.5 is a likely outlier.
Z_THRESHOLD = 3.5
MAD_CONSTANT = 0.6745
MEAN_AD_CONSTANT = 1.253314
# When every comparable has the same price there is no spread to measure: flag a price
# that differs from it by more than this share.
FLAT_RELATIVE_TOLERANCE = 0.02
# Smallest spread (as a share of the median) the z-score divides by: about 5 % from the
# median before |M| passes 3.5. Below that, a price is market noise, not an anomaly.
MIN_RELATIVE_SPREAD = 0.015
BAND_CONFIDENCE = 0.2
# A ratio within 10 % of a unit factor is reported as a likely unit slip.
SLIP_TOLERANCE = 0.10

# factor, explanation when the price is too high, explanation when too low.
_UNIT_SLIPS: tuple[tuple[float, str, str], ...] = (
    (100.0, "cents entered as dollars", "dollars entered as cents"),
    (1000.0, "a per-t price entered against kg", "a per-kg price entered against t"),
    (2.20462, "a per-kg price entered against lb", "a per-lb price entered against kg"),
    (22.0462, "a USD/t price entered as USc/lb", "a USc/lb price entered as USD/t"),
)


@dataclass(frozen=True)
class AnomalyResult:
    """Verdict on one price. `score` is the robust z-score M when one was computed."""

    is_anomaly: bool
    reason: str
    suggested_price: Decimal | None
    confidence: float
    score: float | None
    method: str = "robust_z"


def likely_unit_slip(price: float, reference: float) -> str | None:
    """Name the unit slip a price-to-reference ratio near 100, 1000, 2.2046 or 22.05 suggests."""
    if price <= 0 or reference <= 0:
        return None
    log_ratio = math.log(price / reference)
    for factor, too_high, too_low in _UNIT_SLIPS:
        if abs(abs(log_ratio) - math.log(factor)) <= math.log1p(SLIP_TOLERANCE):
            direction = "above" if log_ratio > 0 else "below"
            slip = too_high if log_ratio > 0 else too_low
            return f"about {factor:g}x {direction} the reference: likely {slip}"
    return None


def comparables_confidence(count: int, min_comparables: int) -> float:
    """n / (n + min_comparables): 0.5 at the minimum, approaching 1 as lots accumulate."""
    if count <= 0:
        return 0.0
    return count / (count + max(min_comparables, 1))


def detect_price_anomaly(
    price_per_canonical_unit: Decimal,
    comparables: Sequence[Decimal],
    band: tuple[Decimal, Decimal] | None,
    min_comparables: int = 20,
) -> AnomalyResult:
    """Is this price (per the commodity's canonical price unit) out of line?

    `comparables` are prices of like lots in the same currency and canonical unit (same
    commodity and, where data allows, grade band, region and delivery term, recent lots).
    Callers must leave lots already flagged as anomalous out of `comparables`, or one slip
    drags the baseline towards the next.

    With at least `min_comparables` prices: M = 0.6745 (x - median) / MAD, flagged when
    |M| > 3.5. If MAD is 0, M = (x - median) / (1.253314 x mean absolute deviation from the
    median); if that is 0 too (all comparables equal), flag a price more than 2 % away.
    The spread divided by is never below 1.5 % of the median (MIN_RELATIVE_SPREAD), so a
    market where most lots share one price does not flag a 1 % difference.
    With fewer: flag a price outside the catalog `band`, suggest its midpoint, and report
    a low confidence (0.2); with no band either, nothing can be said (confidence 0).
    """
    usable = [p for p in comparables if is_usable(p)]
    spread = spread_of(usable) if usable else None
    return judge_price(price_per_canonical_unit, spread, band, min_comparables)


def judge_price(
    price_per_canonical_unit: Decimal,
    usable: PriceSpread | None,
    band: tuple[Decimal, Decimal] | None,
    min_comparables: int = 20,
) -> AnomalyResult:
    """detect_price_anomaly from the spread of the usable comparables (finite, positive)
    rather than the prices themselves: the database sums a baseline up where it is
    (storage.comparables), so its prices never travel to be judged."""
    if not price_per_canonical_unit.is_finite() or price_per_canonical_unit <= 0:
        return AnomalyResult(
            True, "price must be a positive finite number", None, 1.0, None, "invalid"
        )
    count = 0 if usable is None else usable.count
    if usable is None or count < min_comparables:
        return _band_verdict(price_per_canonical_unit, band, count)
    return _robust_verdict(price_per_canonical_unit, usable, min_comparables)


def _robust_verdict(price: Decimal, spread: PriceSpread, minimum: int) -> AnomalyResult:
    median, mad, mean_ad = spread.median, spread.mad, spread.mean_ad
    confidence = comparables_confidence(spread.count, minimum)
    distance = float(price - median)
    # Real markets cluster: when most lots share a price, MAD is near zero and a 1 % move
    # would look like an outlier. The spread is floored at MIN_RELATIVE_SPREAD of the median.
    floor = MIN_RELATIVE_SPREAD * float(median)
    if mad > 0:
        sigma, method = float(mad) / MAD_CONSTANT, "robust_z"
    elif mean_ad > 0:
        sigma, method = MEAN_AD_CONSTANT * float(mean_ad), "mean_absolute_deviation"
    else:
        sigma, method = 0.0, "flat_median"
    if sigma > 0 or floor <= 0:
        score = distance / max(sigma, floor) if max(sigma, floor) > 0 else 0.0
    else:
        relative = abs(distance) / float(median)
        flagged = relative > FLAT_RELATIVE_TOLERANCE
        reason = (
            f"all {spread.count} comparable lots are priced {median}; this price is "
            f"{relative:.1%} away"
        )
        return _with_slip(flagged, reason, price, median, confidence, None, "flat_median")
    flagged = abs(score) > Z_THRESHOLD
    reason = (
        f"robust z-score {score:.2f} against the median {median} of {spread.count} "
        f"comparable lots (threshold {Z_THRESHOLD})"
    )
    return _with_slip(flagged, reason, price, median, confidence, score, method)


def _band_verdict(
    price: Decimal, band: tuple[Decimal, Decimal] | None, count: int
) -> AnomalyResult:
    if band is None:
        return AnomalyResult(
            False,
            f"only {count} comparable lots and no catalog price band: not checked",
            None,
            0.0,
            None,
            "insufficient_data",
        )
    low, high = band
    midpoint = (low + high) / 2
    flagged = not (low <= price <= high)
    where = "outside" if flagged else "inside"
    reason = f"only {count} comparable lots; price is {where} the catalog band [{low}, {high}]"
    slip = _slip_into_band(price, low, high) if flagged else None
    if slip is not None:
        return AnomalyResult(
            True, f"{reason}; {slip}", midpoint, BAND_CONFIDENCE, None, "price_band"
        )
    return _with_slip(flagged, reason, price, midpoint, BAND_CONFIDENCE, None, "price_band")


def _slip_into_band(price: Decimal, low: Decimal, high: Decimal) -> str | None:
    """A unit factor that would bring the price into the band is the likeliest slip.

    Bands are wide, so the ratio to the midpoint alone misses e.g. 75 (USc/lb) typed
    against USD/t; 75 x 22.0462 = 1653 lands inside a cotton band of [1000, 3500].
    """
    for factor, too_high, too_low in _UNIT_SLIPS:
        exact = Decimal(repr(factor))
        if price > high and low <= price / exact <= high:
            return f"{price / exact:.2f} after dividing by {factor:g}: likely {too_high}"
        if price < low and low <= price * exact <= high:
            return f"{price * exact:.2f} after multiplying by {factor:g}: likely {too_low}"
    return None


def _with_slip(
    flagged: bool,
    reason: str,
    price: Decimal,
    reference: Decimal,
    confidence: float,
    score: float | None,
    method: str,
) -> AnomalyResult:
    if flagged:
        slip = likely_unit_slip(float(price), float(reference))
        if slip is not None:
            reason = f"{reason}; {slip}"
    return AnomalyResult(flagged, reason, reference if flagged else None, confidence, score, method)
