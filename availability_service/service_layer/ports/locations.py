"""The registry of delivery locations, as the use cases read it."""

from __future__ import annotations

from typing import Protocol

from availability_service.domain.locations import Location


class LocationRepository(Protocol):
    def get(self, location_id: str) -> Location | None: ...

    # --- the registry use cases (LocationService) --------------------------------------

    def upsert(self, location: Location) -> Location:
        """Inserts or replaces by location_id; returns the stored location."""
        ...

    def page(
        self, *, owner_id: str = "", after: str | None = None, limit: int = 100
    ) -> list[Location]:
        """By location_id (every owner's when owner_id is empty), keyset-paged after `after`."""
        ...
