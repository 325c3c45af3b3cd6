"""Holds (reservations) and direct-sale records as the use cases store and find them."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from availability_service.domain.model import HoldState, Reservation
from availability_service.domain.viewer import Viewer


class HoldRepository(Protocol):
    def add(self, hold: Reservation) -> None: ...

    def save(self, hold: Reservation) -> None: ...

    def get(
        self, lot_id: uuid.UUID, hold_id: uuid.UUID, quantity_unit: str = ""
    ) -> Reservation | None:
        """The hold, only if it belongs to that lot."""
        ...

    def active(
        self, lot_id: uuid.UUID, quantity_unit: str = "", *, due_by: datetime | None = None
    ) -> list[Reservation]:
        """ACTIVE holds of a lot, oldest first; with due_by, only those expiring by then."""
        ...

    def lots_due(self, moment: datetime, limit: int) -> list[uuid.UUID]:
        """Lots with an overdue ACTIVE hold, or live lots whose valid_until has passed."""
        ...

    def any_on(self, lot_id: uuid.UUID) -> bool:
        """Whether any hold, in any state, was ever placed on the lot."""
        ...

    def page(
        self,
        *,
        now: datetime,
        lot_id: uuid.UUID | None,
        seller_id: str | None,
        buyer_id: str,
        negotiation_id: str,
        states: Collection[HoldState],
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Reservation]:
        """Holds oldest first by (create_time, id) after a keyset position; seller_id keeps
        those on that seller's lots. A state filter treats an overdue ACTIVE hold as EXPIRED
        (domain.expiry.is_overdue at `now`)."""
        ...

    # --- reads (readiness) -------------------------------------------------------------

    def seller_open_ratio(
        self, seller_id: str, since: datetime, moment: datetime, viewer: Viewer
    ) -> float:
        """Quantity in the seller's open holds over all their holds since `since`, on the
        seller's lots `viewer` may see, in canonical units; 0 when there are none."""
        ...
