"""The registry of delivery locations, as the use cases read it."""

from __future__ import annotations

from typing import Protocol

from availability_service.domain.locations import Location


class LocationRepository(Protocol):
    def get(self, location_id: str) -> Location | None: ...
