"""The market as the price check sees it: recent comparable prices and their spread."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple


class ComparablePrice(NamedTuple):
    """One recent lot's price per canonical unit, with what narrows the comparison.

    A NamedTuple, not a frozen dataclass: a baseline reads up to 500 of them on every create.
    """

    price: Decimal
    grade: str
    delivery_region: str


@dataclass(frozen=True, slots=True)
class PriceSpread:
    """Prices summed up as the robust z-score reads them: how many, their median, the median
    absolute deviation from it (MAD) and the mean absolute deviation. Exact decimals."""

    count: int
    median: Decimal
    mad: Decimal
    mean_ad: Decimal


def spread_of(prices: Sequence[Decimal]) -> PriceSpread:
    """The spread of one or more prices (statistics.median's medians: the mean of the two
    middle values of an even count)."""
    median = statistics.median(prices)
    deviations = [abs(p - median) for p in prices]
    mean_ad = sum(deviations, Decimal(0)) / len(deviations)
    return PriceSpread(len(prices), median, statistics.median(deviations), mean_ad)


def is_usable(price: Decimal) -> bool:
    """Whether a comparable price can count: finite and positive."""
    return price.is_finite() and price > 0


@dataclass(frozen=True, slots=True)
class MarketBaseline:
    """The comparable prices of the narrowest scope that has enough of them, summed up.

    `scope` indexes the narrowing order (same grade and region, same grade, same region,
    all); `every` covers every price of that scope, `usable` only the finite positive ones
    (None when there is none)."""

    scope: int
    every: PriceSpread | None
    usable: PriceSpread | None

    @property
    def count(self) -> int:
        return 0 if self.every is None else self.every.count

    @property
    def usable_count(self) -> int:
        return 0 if self.usable is None else self.usable.count
