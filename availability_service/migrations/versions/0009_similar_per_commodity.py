"""One HNSW graph per commodity for ListSimilarAvailabilities, in place of one for all lots.

ListSimilar always asks for the nearest lots OF ONE COMMODITY (then of each other commodity
of its family) that are ACTIVE or RESERVED and not deleted. Over the single graph of every
lot, that is a filtered walk: at 200,000 lots a walk under the commodity filter could
settle among other commodities' lots and return none of the ten true neighbours, and it
needed hnsw.ef_search 100 to get recall 0.97. A partial index per commodity over exactly
the lots the query may return takes the filter out of the walk (only visibility is left),
and each graph holds a third of the lots or fewer, so it is smaller to build and to walk.

The commodities are those of the packaged catalog at migration time (as migration 0008's
centre indexes): a commodity added to the catalog later has no graph of its own until a
migration adds one, and ListSimilar then reads its lots exactly, without an index: slower,
never different results.

Revision ID: 0009_similar_per_commodity
Revises: 0008_search_factor_lists
Create Date: 2026-12-02
"""

from __future__ import annotations

import re

from alembic import op

revision = "0009_similar_per_commodity"
down_revision = "0008_search_factor_lists"
branch_labels = None
depends_on = None

# Kept in step with storage.similar.SIMILAR_STATES (ACTIVE, RESERVED): a migration keeps its
# own copy, as it must build the same indexes whatever the code says later.
SIMILAR = "state IN ('ACTIVE', 'RESERVED') AND delete_time IS NULL"
# The market's embeddings sit in tight clusters (one per grade and region of a commodity).
# Built with pgvector's default candidate list (64), a graph linked its clusters too
# sparsely: a walk could settle in a neighbouring cluster and return none of a lot's ten
# true neighbours whatever hnsw.ef_search (recall 0.96, lowest 0.0, at 200,000 and at
# 1,000,000 lots); at 200 the lowest was 0.9 at ef_search 40. Costs about twice the build.
EF_CONSTRUCTION = 200


def _codes() -> list[str]:
    from availability_service.intelligence import load_catalog

    return sorted(c.code for c in load_catalog())


def _index(code: str) -> str:
    return "availabilities_similar_" + re.sub(r"[^a-z0-9_]", "_", code.lower())


def upgrade() -> None:
    # Each graph is built in memory when it fits (pgvector spills to a much slower build
    # otherwise); 512 MB holds the largest commodity's graph at 1,000,000 lots.
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for code in _codes():
        quoted = code.replace("'", "''")
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {_index(code)} ON availabilities "
            "USING hnsw (ai_score_vector vector_cosine_ops) "
            f"WITH (ef_construction = {EF_CONSTRUCTION}) "
            f"WHERE commodity = '{quoted}' AND {SIMILAR}"
        )
    op.execute("DROP INDEX IF EXISTS availabilities_vector")


def downgrade() -> None:
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute(
        "CREATE INDEX IF NOT EXISTS availabilities_vector ON availabilities "
        "USING hnsw (ai_score_vector vector_cosine_ops)"
    )
    for code in _codes():
        op.execute(f"DROP INDEX IF EXISTS {_index(code)}")
