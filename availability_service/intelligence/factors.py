"""One named factor of a weighted score, shared by lot scoring and negotiation readiness."""

from __future__ import annotations

import math
from collections.abc import Mapping
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
    if math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, value))


def combine(
    weights: Mapping[str, float], values: Mapping[str, float]
) -> tuple[float, list[Factor]]:
    """Weighted sum over the factors present in `values`, weights renormalised to sum 1.

    A factor missing from `values` (the request did not ask about it) takes no weight, so
    the remaining factors still span [0, 1].
    """
    active = {name: max(0.0, weights.get(name, 0.0)) for name in values}
    total = sum(active.values())
    if not math.isfinite(total):
        # Weights near the largest double overflow their sum: scale them first (a weighted
        # mean does not change when every weight is scaled by one factor).
        top = max(active.values())
        active = {name: weight / top for name, weight in active.items()}
        total = sum(active.values())
    factors: list[Factor] = []
    for name, value in values.items():
        weight = active[name] / total if total > 0 else 0.0
        bounded = clamp01(value)
        factors.append(Factor(name, weight, bounded, weight * bounded))
    return clamp01(sum(f.contribution for f in factors)), factors
