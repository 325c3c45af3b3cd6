"""Lots as the use cases store and find them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from availability_service.domain.model import Availability, LotState
from availability_service.domain.stored_event import NewEvent
from availability_service.domain.viewer import Viewer


class LotRepository(Protocol):
    def add(self, lot: Availability, event: NewEvent) -> int:
        """Stores a new lot and its event at the next revision and returns that revision.

        Takes the revision counter's lock until commit: call it after every other lock the
        transaction needs on lots (lock order is always lots, then the counter), and as late
        as possible: every other writer waits for that lock until this transaction ends.
        """
        ...

    def save(self, lot: Availability, event: NewEvent) -> int:
        """Writes a locked lot and its event at the next revision; that revision (see add)."""
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

    # --- reads (search, the watch stream) ----------------------------------------------

    def by_ids(self, lot_ids: Sequence[uuid.UUID], viewer: Viewer) -> dict[uuid.UUID, Availability]:
        """The lots with these ids that `viewer` may see, by id."""
        ...

    def searchable_of_commodity(self, commodity: str) -> list[Availability]:
        """The commodity's lots a search could match (ACTIVE, undeleted, some quantity
        available: search's filters that no criteria change), whoever may see them."""
        ...

    def selection_page(
        self,
        viewer: Viewer,
        selection: LotSelection,
        *,
        unchanged_since: int,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[Availability]:
        """One page, in id order after `after`, of the lots `viewer` may see that match
        `selection` and have not changed since revision `unchanged_since`, together with
        every lot (undeleted or not, visible or not) changed after it: what such a lot was
        at that revision is for the caller to judge from its events."""
        ...


@dataclass(frozen=True)
class LotSelection:
    """Which lots a watch follows; an empty set leaves that dimension open. Commodities and
    regions are compared lower-cased (give them lower-cased)."""

    commodities: frozenset[str] = frozenset()
    seller_ids: frozenset[str] = frozenset()
    delivery_regions: frozenset[str] = frozenset()
    lot_ids: frozenset[uuid.UUID] = frozenset()
