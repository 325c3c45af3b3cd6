"""The factor lists' vector list by band, then confidence: one index per commodity.

A search without quality targets and without a point, with both a vector and a
confidence weight (the default weights), reads its vector list by band of the cosine
distance to the commodity's centre (floor(distance x 10000)), then highest confidence
first (storage.search_lists, FactorList.VECTOR_BAND). A commodity's lots that report no
quality share one distance to its centre; by distance alone they came by id and the
search read the whole tie (1,198 gold lots at 1,000,000) before its page was proven; by
band their best confidences come first. The index spells the band as the query does
(VECTOR_BANDS_PER_UNIT is 10000), over the same centres as 0011; if they drift apart
PostgreSQL sorts instead: slower, never different results.

Revision ID: 0013_search_vector_bands
Revises: 0011_search_centre_exact
Create Date: 2026-12-02
"""

from __future__ import annotations

import re

from alembic import op

revision = "0013_search_vector_bands"
down_revision = "0011_search_centre_exact"
branch_labels = None
depends_on = None

SEARCHABLE = "state = 'ACTIVE' AND delete_time IS NULL AND available_quantity > 0"
BANDS_PER_UNIT = 10000  # service_layer.ports.search.VECTOR_BANDS_PER_UNIT when written


def _centres() -> dict[str, str]:
    """Each packaged commodity's centre, as the text pgvector binds it with (as in 0011)."""
    from pgvector import Vector

    from availability_service.intelligence import FeatureEmbedder, LotFeatures, load_catalog

    catalog = load_catalog()
    embedder = FeatureEmbedder(catalog)
    return {
        c.code: str(Vector._to_db(embedder.embed(LotFeatures(c.code, c.family, {}))))
        for c in catalog
    }


def _index(code: str) -> str:
    return "availabilities_search_band_" + re.sub(r"[^a-z0-9_]", "_", code.lower())


def upgrade() -> None:
    for code, centre in _centres().items():
        quoted_code = code.replace("'", "''")
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {_index(code)} ON availabilities "
            f"((floor(cosine_distance(ai_score_vector, '{centre}'::vector) "
            f"* {BANDS_PER_UNIT}::float8)), ai_confidence_score DESC, id) "
            f"WHERE commodity = '{quoted_code}' AND {SEARCHABLE}"
        )


def downgrade() -> None:
    for code in _centres():
        op.execute(f"DROP INDEX IF EXISTS {_index(code)}")
