"""One named factor of a weighted score, shared by lot scoring and negotiation readiness."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Factor:
    """A factor's renormalised weight, its value in [0, 1] and weight x value."""

    name: str
    weight: float
    value: float
    contribution: float


def clamp01(value: float) -> float:
    """Clamp to [0, 1]; NaN counts as 0 so a bad input can never raise a score."""
    # min(1.0, max(0.0, value)) with NaN handled, spelled as comparisons: it runs several
    # times per scored lot. -0.0 gives 0.0, as max(0.0, -0.0) does.
    if not value > 0.0:
        return 0.0
    return 1.0 if value >= 1.0 else value


def normalised(weights: Mapping[str, float], names: Iterable[str]) -> list[float]:
    """The weights of the active factors `names`, each over their sum (in `names` order)."""
    active = {name: max(0.0, weights.get(name, 0.0)) for name in names}
    total = sum(active.values())
    if not math.isfinite(total):
        # Weights near the largest double overflow their sum: scale them first (a weighted
        # mean does not change when every weight is scaled by one factor).
        top = max(active.values())
        active = {name: weight / top for name, weight in active.items()}
        total = sum(active.values())
    return [weight / total if total > 0 else 0.0 for weight in active.values()]


def weighted(
    names: Iterable[str], weights: Iterable[float], values: Iterable[float]
) -> tuple[float, list[Factor]]:
    """The factors of these names, renormalised weights and values, and their summed score."""
    factors: list[Factor] = []
    total = 0.0  # as sum() adds floats: from 0.0, in order
    for name, weight, value in zip(names, weights, values, strict=True):
        bounded = clamp01(value)
        key = (name, weight, bounded)
        factor = _KEPT.get(key)
        if factor is None:
            if len(_KEPT) >= KEPT_FACTORS:
                _KEPT.clear()
            factor = _KEPT[key] = Factor(name, weight, bounded, weight * bounded)
        factors.append(factor)
        total += factor.contribution
    return clamp01(total), factors


# Factors by (name, weight, value): immutable, and mostly equal across the many criteria a
# lot state is scored against (its vector and confidence factors), so they are shared rather
# than made per score. Forgotten all at once past the bound.
_KEPT: dict[tuple[str, float, float], Factor] = {}
KEPT_FACTORS = 20_000


def combine(
    weights: Mapping[str, float], values: Mapping[str, float]
) -> tuple[float, list[Factor]]:
    """Weighted sum over the factors present in `values`, weights renormalised to sum 1.

    A factor missing from `values` (the request did not ask about it) takes no weight, so
    the remaining factors still span [0, 1].
    """
    return weighted(values, normalised(weights, values), values.values())
