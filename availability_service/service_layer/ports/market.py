"""The market's price baseline and flagged lots, as the price check and price review read them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from availability_service.domain.market import MarketBaseline


class MarketPrices(Protocol):
    def baseline(
        self,
        *,
        commodity: str,
        base_price_unit: str,
        exclude_id: uuid.UUID,
        exclude_seller: str,
        since: datetime,
        limit: int,
        per_seller: int,
        scan: int,
        grade: str,
        region: str,
        minimum: int,
    ) -> MarketBaseline:
        """The spread of recent comparable prices: of reviewed, unflagged, live lots, never
        the lot's own or its seller's, at most `per_seller` per other seller, the newest
        `limit` drawn from the newest `scan`; of those, the narrowest scope (same `grade`
        and `region`, same grade, same region, all) with at least `minimum` prices."""
        ...

    def flagged(self, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        """Live lots whose price is flagged as an anomaly, by id from `after` on."""
        ...
