"""The location registry as the use cases store and find it."""

from __future__ import annotations

from typing import Protocol

from availability_service.domain.locations import Location


class LocationRepository(Protocol):
    def upsert(self, location: Location) -> Location:
        """Inserts or replaces by location_id; returns the stored location."""
        ...

    def get(self, location_id: str) -> Location | None: ...

    def page(
        self, *, owner_id: str = "", after: str | None = None, limit: int = 100
    ) -> list[Location]:
        """By location_id (every owner's when owner_id is empty), keyset-paged after `after`."""
        ...
