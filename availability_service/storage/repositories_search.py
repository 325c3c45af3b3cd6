"""The PostgreSQL repository of the search reads (service_layer/ports/search.py), bound to
one transaction's connection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, text

from availability_service.domain.model import Availability
from availability_service.domain.viewer import Viewer
from availability_service.service_layer.ports.search import (
    BoundedRows,
    BoundRead,
    CandidateFilter,
    CandidateRow,
    FactorList,
    ListRead,
    ListRow,
)
from availability_service.storage import search, search_bounds, search_lists, similar
from availability_service.storage.search_memory import (
    Pinned,
    SearchMemory,
    bounded_from_memory,
)
from availability_service.storage.viewing import visibility_params

_COSINE_DISTANCE = text("SELECT CAST(:a AS vector) <=> CAST(:b AS vector)")


class SqlSearch:
    def __init__(
        self,
        conn: Connection,
        statement_timeout_ms: int | None = None,
        memory: SearchMemory | None = None,
    ) -> None:
        self._conn = conn
        # Set with each one-statement read (UnitOfWork.statement_read), else None.
        self._statement_timeout_ms = statement_timeout_ms
        # Only in snapshot transactions (UnitOfWork.snapshot): see storage.search_memory.
        self._memory = memory
        # Per commodity, what this transaction reads bounds from (None: the SQL), so every
        # read of one search orders a lot by the same bound.
        self._pins: dict[str, Pinned | None] = {}

    def candidates(self, flt: CandidateFilter) -> list[CandidateRow]:
        return search.search_candidates(self._conn, flt)

    def factor_lists(
        self, flt: CandidateFilter, reads: Sequence[ListRead]
    ) -> dict[FactorList, list[ListRow]]:
        return search_lists.read_lists(self._conn, flt, reads)

    def bounded(self, flt: CandidateFilter, read: BoundRead) -> BoundedRows:
        if self._memory is not None and flt.ranking is not None:
            code = flt.ranking.commodity.code
            if code not in self._pins:
                self._pins[code] = self._memory.pin(self._conn, flt.ranking.commodity)
            pinned = self._pins[code]
            found = None if pinned is None else bounded_from_memory(self._conn, pinned, flt, read)
            if found is not None:
                return found
        return search_bounds.bounded_candidates(self._conn, flt, read)

    def nearest(
        self,
        *,
        vector: list[float],
        commodities: Sequence[str],
        exclude_id: uuid.UUID,
        viewer: Viewer,
        limit: int,
    ) -> list[tuple[Availability, float]]:
        return similar.nearest_lots(
            self._conn,
            vector=vector,
            commodities=commodities,
            exclude_id=exclude_id,
            visibility=visibility_params(viewer),
            limit=limit,
            statement_timeout_ms=self._statement_timeout_ms,
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
