"""ListSimilarAvailabilities' read: the lots of given commodities nearest to an embedding.

One statement per call, built once as typed text (as GetAvailability's read in
storage.lots): its settings and the query travel in one message, with no BEGIN or COMMIT
round trips around it, and SQLAlchemy compiles it once per shape, not per call.

Migration 0009 gives every catalog commodity an HNSW graph of its own over exactly the lots
this read may return (ACTIVE or RESERVED, not deleted). Each commodity is therefore walked
in a branch of its own, `commodity = '<code>'` spelled as a constant (psycopg2 binds on the
client) so that PostgreSQL matches the branch to that commodity's partial index; the walk
then filters on visibility only.

Beside the walks, the lots of the query's group (migration 0014: the lots
whose embeddings have the same shape, sparse slots set alike) are compared one by one when
the group is small: a small group can be linked so sparsely into the graph that no walk
reaches it, and a lot of that group then got none of its true neighbours. That only adds
candidates: the page is still the nearest of everything found, so it is never farther than
the walk's alone. Branches are merged by (distance, id), a lot found twice kept once.
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

# Lots of the query's group (below) compared exactly, at most: all of a group this size or
# smaller; of a larger one, as many as the index hands out first, which only adds candidates
# (a large group is well linked into the graph). About 1 ms per 500 lots read.
GROUP_CAP = 1000

_STATES_SQL = "(" + ", ".join(f"'{s}'" for s in HOLDABLE_STATE_VALUES) + ")"
_COLUMNS = ", ".join(f"availabilities.{name}" for name in _LOT_NAMES)
_DISTANCE = "availabilities.ai_score_vector <=> CAST(:vector AS vector)"
_SETTINGS = "SET LOCAL hnsw.iterative_scan = strict_order; SET LOCAL hnsw.ef_search = :ef_search; "
_STATEMENT_TIMEOUT = "SET LOCAL statement_timeout = :statement_timeout_ms; "
# The lots ListSimilar may return (migrations 0009 and 0014 index exactly these).
_SIMILAR_LOTS = (
    f"availabilities.state IN {_STATES_SQL}"
    " AND availabilities.delete_time IS NULL"
    " AND availabilities.ai_score_vector IS NOT NULL"
)


def _visible(visible: bool) -> str:
    return f" AND {_VISIBLE.text}" if visible else ""


def _walk(branch: int, visible: bool) -> str:
    """The nearest lots of one commodity: a walk of that commodity's own graph."""
    return (
        f"(SELECT {_COLUMNS}, {_DISTANCE} AS cosine_distance FROM availabilities"
        f" WHERE availabilities.commodity = :commodity_{branch} AND {_SIMILAR_LOTS}"
        " AND availabilities.id <> :exclude_id"
        + _visible(visible)
        + f" ORDER BY {_DISTANCE} LIMIT :walk_limit)"
    )


def _group(commodities: int, visible: bool) -> str:
    """The nearest lots among those of the query's group, compared one by one (migration
    0014's index; at most GROUP_CAP of them): the walk of a graph may never reach a small
    group. One branch for all the statement's commodities: a group holds one commodity's
    lots (its slots are part of the shape), so for the others the index finds nothing. The
    members are ranked by distance with only their ids, and only the nearest are read whole.
    The inner LIMIT, with no order, keeps the graphs out of this branch (PostgreSQL would
    otherwise walk one with the group as a filter, the walk this corrects)."""
    codes = ", ".join(f":commodity_{i}" for i in range(commodities))
    members = (
        f"SELECT availabilities.id AS member, {_DISTANCE} AS member_distance"
        f" FROM availabilities WHERE availabilities.commodity IN ({codes}) AND {_SIMILAR_LOTS}"
        " AND similar_group(availabilities.ai_score_vector)"
        " = similar_group(CAST(:vector AS vector))"
        " AND availabilities.id <> :exclude_id" + _visible(visible) + " LIMIT :group_cap"
    )
    nearest = (
        f"SELECT member, member_distance FROM ({members}) AS members"
        " ORDER BY member_distance LIMIT :walk_limit"
    )
    return (
        f"(SELECT {_COLUMNS}, nearest.member_distance AS cosine_distance"
        f" FROM ({nearest}) AS nearest JOIN availabilities ON availabilities.id = nearest.member)"
    )


@functools.cache
def _statement(commodities: int, visible: bool, timed: bool) -> TextualSelect:
    walks = " UNION ALL ".join(_walk(i, visible) for i in range(commodities))
    sql = (
        (_STATEMENT_TIMEOUT if timed else "")
        + _SETTINGS
        + "SELECT DISTINCT ON (cosine_distance, id) *"
        + f" FROM ({walks} UNION ALL {_group(commodities, visible)}) AS walked"
        + " ORDER BY cosine_distance, id LIMIT :limit"
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
        "group_cap": GROUP_CAP,
        **{f"commodity_{i}": code for i, code in enumerate(commodities)},
        **(visibility or {}),
    }
    if statement_timeout_ms is not None:
        params["statement_timeout_ms"] = statement_timeout_ms
    query = _statement(len(commodities), visibility is not None, statement_timeout_ms is not None)
    return [(row_to_lot(r), float(r.cosine_distance)) for r in conn.execute(query, params)]
