"""ListSimilarAvailabilities' read: the lots of given commodities nearest to an embedding.

One statement per call, built once as typed text (as GetAvailability's read in
storage.lots): its settings and the query travel in one message, with no BEGIN or COMMIT
round trips around it, and SQLAlchemy compiles it once per shape, not per call.

Migration 0009 gives every catalog commodity an HNSW graph of its own over exactly the lots
this read may return (ACTIVE or RESERVED, not deleted). Each commodity is therefore walked
in a branch of its own, `commodity = '<code>'` spelled as a constant (psycopg2 binds on the
client) so that PostgreSQL matches the branch to that commodity's partial index; the walk
then filters on visibility only. Branches are merged by (distance, id).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

from sqlalchemy import Connection, Float, bindparam, column
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.expression import TextualSelect, text

from availability_service.domain.lifecycle import HOLDABLE_STATE_VALUES
from availability_service.domain.model import Availability
from availability_service.storage.lots import _LOT_COLUMNS, _LOT_NAMES, _VISIBLE, row_to_lot
from availability_service.storage.tables import availabilities

# Candidate list of the walk. With one graph per commodity, the walk no longer wanders
# through other commodities' lots; see docs/performance.md "Search at scale" for recall
# against exact at each value measured.
EF_SEARCH = 100
# Rows the walk may hand out per row asked. Strict order hands them out nearest first, so
# PostgreSQL stops reading once the page and the lots tied with its last are in (an
# incremental sort on (distance, id)): lots tied on distance come by name, not in the order
# the walk met them. The cap only bounds a walk through a long tie.
OVERFETCH = 4

_STATES_SQL = "(" + ", ".join(f"'{s}'" for s in HOLDABLE_STATE_VALUES) + ")"
_COLUMNS = ", ".join(f"availabilities.{name}" for name in _LOT_NAMES)
_DISTANCE = "availabilities.ai_score_vector <=> CAST(:vector AS vector)"
_SETTINGS = "SET LOCAL hnsw.iterative_scan = strict_order; SET LOCAL hnsw.ef_search = :ef_search; "
_STATEMENT_TIMEOUT = "SET LOCAL statement_timeout = :statement_timeout_ms; "


def _walk(branch: int, visible: bool) -> str:
    """The nearest lots of one commodity: a walk of that commodity's own graph."""
    return (
        f"(SELECT {_COLUMNS}, {_DISTANCE} AS cosine_distance FROM availabilities"
        f" WHERE availabilities.commodity = :commodity_{branch}"
        f" AND availabilities.state IN {_STATES_SQL}"
        " AND availabilities.delete_time IS NULL"
        " AND availabilities.ai_score_vector IS NOT NULL"
        " AND availabilities.id <> :exclude_id"
        + (f" AND {_VISIBLE.text}" if visible else "")
        + f" ORDER BY {_DISTANCE} LIMIT :walk_limit)"
    )


@functools.cache
def _statement(commodities: int, visible: bool, timed: bool) -> TextualSelect:
    walks = " UNION ALL ".join(_walk(i, visible) for i in range(commodities))
    sql = (
        (_STATEMENT_TIMEOUT if timed else "")
        + _SETTINGS
        + f"SELECT * FROM ({walks}) AS walked ORDER BY cosine_distance, id LIMIT :limit"
    )
    clause: TextClause = text(sql).bindparams(
        bindparam("vector", type_=availabilities.c.ai_score_vector.type),
        bindparam("exclude_id", type_=availabilities.c.id.type),
    )
    return clause.columns(*_LOT_COLUMNS, column("cosine_distance", Float))


def nearest_lots(
    conn: Connection,
    *,
    vector: Sequence[float],
    commodities: Sequence[str],
    exclude_id: uuid.UUID,
    visibility: dict[str, str] | None,
    limit: int,
    statement_timeout_ms: int | None = None,
    ef_search: int = EF_SEARCH,
) -> list[tuple[Availability, float]]:
    """The `limit` ACTIVE or RESERVED, not deleted lots of `commodities` nearest to
    `vector` that the caller may see (visibility from storage.lots.visibility_params),
    never `exclude_id`, with their cosine distances, nearest first (then by id)."""
    if not commodities or limit <= 0:
        return []
    params: dict[str, object] = {
        "vector": list(vector),
        "exclude_id": exclude_id,
        "walk_limit": limit * OVERFETCH,
        "limit": limit,
        "ef_search": ef_search,
        **{f"commodity_{i}": code for i, code in enumerate(commodities)},
        **(visibility or {}),
    }
    if statement_timeout_ms is not None:
        params["statement_timeout_ms"] = statement_timeout_ms
    query = _statement(len(commodities), visibility is not None, statement_timeout_ms is not None)
    return [(row_to_lot(r), float(r.cosine_distance)) for r in conn.execute(query, params)]
