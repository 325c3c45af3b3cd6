"""Lots as the use cases store and find them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from availability_service.domain.model import Availability, LotState
from availability_service.domain.viewer import Viewer


class LotRepository(Protocol):
    def add(self, lot: Availability) -> int:
        """Stores a new lot at the next revision and returns that revision.

        Takes the revision counter's lock until commit: call it after every other lock the
        transaction needs on lots (lock order is always lots, then the counter).
        """
        ...

    def save(self, lot: Availability) -> int:
        """Writes a locked lot at the next revision and returns that revision (see add)."""
        ...

    def get(self, lot_id: uuid.UUID, viewer: Viewer) -> Availability | None:
        """The lot as stored, if it exists and `viewer` may see it."""
        ...

    def lock(self, lot_id: uuid.UUID, viewer: Viewer) -> Availability | None:
        """The lot locked for change until commit, if it exists and `viewer` may see it."""
        ...

    def page(
        self,
        viewer: Viewer,
        *,
        seller_id: str = "",
        commodity: str = "",
        states: Sequence[LotState] = (),
        show_deleted: bool = False,
        after: tuple[datetime, uuid.UUID] | None = None,
        limit: int = 50,
    ) -> list[Availability]:
        """Lots `viewer` may see, newest first, keyset-paged on (create_time, id)."""
        ...
