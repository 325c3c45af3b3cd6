"""The market as the price check sees it: recent comparable prices."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


class ComparablePrice(NamedTuple):
    """One recent lot's price per canonical unit, with what narrows the comparison.

    A NamedTuple, not a frozen dataclass: a baseline reads up to 500 of them on every create.
    """

    price: Decimal
    grade: str
    delivery_region: str
