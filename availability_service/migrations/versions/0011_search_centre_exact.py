"""The factor lists' cosine-distance indexes on pgvector's function, not its operator.

Migration 0008 indexed, per catalog commodity, `ai_score_vector <=> centre`: the order in
which a search without quality targets reads the lots by their cosine distance. Migration
0009 then gave every commodity a partial HNSW graph over its ACTIVE and RESERVED lots, for
ListSimilarAvailabilities; a search's filters imply that predicate, and an HNSW graph serves
`ORDER BY ai_score_vector <=> ...`, so PostgreSQL could read a factor list from a graph's
approximate order and the threshold algorithm, which needs the exact order, returned
different pages than brute force. The search now writes the distance as the function
`cosine_distance(ai_score_vector, ...)` (the operator's own implementation: the same value),
which no graph serves, and these indexes are rebuilt on that form.

Revision ID: 0011_search_centre_exact
Revises: 0010_search_filter_indexes
Create Date: 2026-12-02
"""

from __future__ import annotations

import re

from alembic import op

revision = "0011_search_centre_exact"
down_revision = "0010_search_filter_indexes"
branch_labels = None
depends_on = None

SEARCHABLE = "state = 'ACTIVE' AND delete_time IS NULL AND available_quantity > 0"


def _centres() -> dict[str, str]:
    """Each packaged commodity's centre, as the text pgvector binds it with (as in 0008)."""
    from pgvector import Vector

    from availability_service.intelligence import FeatureEmbedder, LotFeatures, load_catalog

    catalog = load_catalog()
    embedder = FeatureEmbedder(catalog)
    return {
        c.code: str(Vector._to_db(embedder.embed(LotFeatures(c.code, c.family, {}))))
        for c in catalog
    }


def _index(code: str) -> str:
    return "availabilities_search_centre_" + re.sub(r"[^a-z0-9_]", "_", code.lower())


def _rebuild(distance: str) -> None:
    for code, centre in _centres().items():
        quoted_code = code.replace("'", "''")
        op.execute(f"DROP INDEX IF EXISTS {_index(code)}")
        op.execute(
            f"CREATE INDEX {_index(code)} ON availabilities "
            f"(({distance.format(centre=centre)}), id) "
            f"WHERE commodity = '{quoted_code}' AND {SEARCHABLE}"
        )


def upgrade() -> None:
    _rebuild("cosine_distance(ai_score_vector, '{centre}'::vector)")


def downgrade() -> None:
    _rebuild("ai_score_vector <=> '{centre}'::vector")
