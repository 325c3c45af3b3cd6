"""The price review: flags whose baseline no longer holds are re-checked and cleared.

A price is checked against the market when it is set (price_check.py). The market moves on:
the lots that made a price look out of line may be deleted, cancelled or re-priced, and
a flag left standing keeps an honest lot out of default search. Every
`price_recheck_interval_seconds` one server process (advisory lock, as for the sweeper)
re-checks the next BATCH_SIZE flagged lots, walking them by id and starting over at the end,
so each flagged lot is re-checked within interval x ceil(flagged lots / BATCH_SIZE). When the
verdict no longer holds, the flag is cleared in the lot's own transaction with one UPDATED
event (actor REVIEW_ACTOR). A flag that still holds is left as it is: nothing is written.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from availability_service.domain.deadline import Deadline
from availability_service.domain.model import EventType
from availability_service.domain.viewer import SYSTEM
from availability_service.intelligence import Catalog, UnknownCommodity, load_catalog
from availability_service.service_layer.changes import lot_snapshot, record
from availability_service.service_layer.ports import UnitOfWork
from availability_service.service_layer.price_check import check_price
from availability_service.service_layer.sweeper import run_passes

if TYPE_CHECKING:
    from availability_service.app import Application

# Fixed across processes ("pric" in ASCII, as an integer), like the sweeper's key.
PRICE_REVIEW_LOCK_KEY = 0x70726963
REVIEW_ACTOR = "system:price-review"
BATCH_SIZE = 200
LOT_TIMEOUT_SECONDS = 10.0


class PriceReview:
    def __init__(self, uow: UnitOfWork, catalog: Catalog, batch_size: int = BATCH_SIZE) -> None:
        self.uow = uow
        self.catalog = catalog
        self.batch_size = batch_size
        # Where the next pass goes on: the last id reviewed, None to start from the first.
        self.after: uuid.UUID | None = None

    def review_once(self) -> int | None:
        """One pass; returns how many flags were cleared, or None when another process acts."""
        with self.uow.transaction() as guard:
            if not guard.takes_turn(PRICE_REVIEW_LOCK_KEY):
                return None
            batch = guard.market.flagged(self.after, self.batch_size)
            self.after = batch[-1] if len(batch) == self.batch_size else None
            return sum(self.review(lot_id) for lot_id in batch)

    def review(self, lot_id: uuid.UUID) -> int:
        """Re-checks one flagged lot under its row lock; 1 when its flag was cleared."""
        with self.uow.transaction(Deadline.after(LOT_TIMEOUT_SECONDS)) as tx:
            lot = tx.lots.lock(lot_id, SYSTEM)
            if lot is None or not lot.ai_price_anomaly or lot.price_per_base_unit is None:
                return 0
            try:
                commodity = self.catalog.get(lot.commodity)
            except UnknownCommodity:
                return 0  # a commodity dropped from the catalog: nothing to compare with
            before = lot_snapshot(lot)
            check_price(tx.market, lot, commodity)
            if lot.ai_price_anomaly:
                return 0
            record(tx, lot, EventType.UPDATED, REVIEW_ACTOR, before)
            return 1


def start_price_review(app: Application) -> list[object]:
    """Background starter (see background.py): one price review task per server process."""
    review = PriceReview(app.storage, load_catalog())
    interval = app.settings.price_recheck_interval_seconds
    task = asyncio.get_running_loop().create_task(
        run_passes(
            review.review_once,
            app.executor,
            interval,
            done=("price_flags_cleared", "lots"),
            failed="price_review_failed",
        ),
        name="price-review",
    )
    return [task]
