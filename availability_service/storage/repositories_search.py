"""The PostgreSQL repositories of the search reads and the location registry
(service_layer/ports/search.py and locations.py), each bound to one transaction's connection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, text

from availability_service.domain.locations import Location
from availability_service.domain.model import Availability
from availability_service.domain.viewer import Viewer
from availability_service.service_layer.ports.search import CandidateFilter, CandidateRow
from availability_service.storage import locations, search
from availability_service.storage.repositories import visible_to

_COSINE_DISTANCE = text("SELECT CAST(:a AS vector) <=> CAST(:b AS vector)")


class SqlSearch:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def candidates(self, flt: CandidateFilter) -> list[CandidateRow]:
        return search.search_candidates(self._conn, flt)

    def nearest(
        self,
        *,
        vector: list[float],
        commodities: Sequence[str],
        exclude_id: uuid.UUID,
        viewer: Viewer,
        limit: int,
    ) -> list[tuple[Availability, float]]:
        return search.nearest_lots(
            self._conn,
            vector=vector,
            commodities=commodities,
            exclude_id=exclude_id,
            visible=visible_to(viewer),
            limit=limit,
        )

    def cosine_distances(
        self, pairs: Sequence[tuple[Sequence[float], Sequence[float]]]
    ) -> list[float]:
        return [
            float(
                self._conn.execute(
                    _COSINE_DISTANCE, {"a": str(list(a)), "b": str(list(b))}
                ).scalar_one()
            )
            for a, b in pairs
        ]


class SqlLocations:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def upsert(self, location: Location) -> Location:
        return locations.upsert_location(self._conn, location)

    def get(self, location_id: str) -> Location | None:
        return locations.get_location(self._conn, location_id)

    def page(
        self, *, owner_id: str = "", after: str | None = None, limit: int = 100
    ) -> list[Location]:
        return locations.list_locations(self._conn, owner_id=owner_id, after=after, limit=limit)
