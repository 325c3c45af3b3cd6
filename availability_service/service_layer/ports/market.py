"""The market's recent prices and flagged lots, as the price check and price review read them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from availability_service.domain.market import ComparablePrice


class MarketPrices(Protocol):
    def recent_prices(
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
    ) -> list[ComparablePrice]:
        """Prices of recent reviewed, unflagged, live lots, newest first: never the lot's own
        or its seller's, at most `per_seller` per other seller, drawn from the newest `scan`."""
        ...

    def flagged(self, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        """Live lots whose price is flagged as an anomaly, by id from `after` on."""
        ...
