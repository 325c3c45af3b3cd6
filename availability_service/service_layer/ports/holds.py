"""Holds (reservations) and direct-sale records as the use cases store and find them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from availability_service.domain.model import Reservation


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
