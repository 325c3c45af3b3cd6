"""The factor lists' vector list by band, then confidence, and by the default mix.

A search without quality targets and without a point, with both a vector and a
confidence weight (the default weights), reads its vector list by band of the cosine
distance to the commodity's centre (floor(distance x 10000)), then highest confidence
first (storage.search_lists, FactorList.VECTOR_BAND). A commodity's lots that report no
quality share one distance to its centre; by distance alone they came by id and the
search read the whole tie (1,198 gold lots at 1,000,000) before its page was proven; by
band their best confidences come first. The index spells the band as the query does
(VECTOR_BANDS_PER_UNIT is 10000), over the same centres as 0011; if they drift apart
PostgreSQL sorts instead: slower, never different results.

With the default weights and no price factor the score is 0.8 x vector factor + 0.2 x
confidence (FactorList.MIX): a second index per commodity holds that mix, highest first,
so the page is its first rows however distances and confidences spread (the copper lots'
distances are all different, and the band list read 320 rows of each of two lists).

Revision ID: 0012_search_vector_bands
Revises: 0011_search_centre_exact
Create Date: 2026-12-02
"""

from __future__ import annotations

import re

from alembic import op

revision = "0012_search_vector_bands"
down_revision = "0011_search_centre_exact"
branch_labels = None
depends_on = None

SEARCHABLE = "state = 'ACTIVE' AND delete_time IS NULL AND available_quantity > 0"
BANDS_PER_UNIT = 10000  # service_layer.ports.search.VECTOR_BANDS_PER_UNIT when written
# storage.search_lists.mix: MIX_VECTOR and MIX_CONFIDENCE of service_layer.ports.search.
MIX = (
    "0.8::float8 * ((2::float8 - cosine_distance(ai_score_vector, '{centre}'::vector)) "
    "/ 2::float8) + 0.2::float8 * GREATEST(ai_confidence_score, 0::float8)"
)


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


def _index(kind: str, code: str) -> str:
    return f"availabilities_search_{kind}_" + re.sub(r"[^a-z0-9_]", "_", code.lower())


def upgrade() -> None:
    for code, centre in _centres().items():
        quoted_code = code.replace("'", "''")
        where = f"WHERE commodity = '{quoted_code}' AND {SEARCHABLE}"
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {_index('band', code)} ON availabilities "
            f"((floor(cosine_distance(ai_score_vector, '{centre}'::vector) "
            f"* {BANDS_PER_UNIT}::float8)), ai_confidence_score DESC, id) {where}"
        )
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {_index('mix', code)} ON availabilities "
            f"(({MIX.format(centre=centre)}) DESC, id) {where}"
        )


def downgrade() -> None:
    for code in _centres():
        op.execute(f"DROP INDEX IF EXISTS {_index('band', code)}")
        op.execute(f"DROP INDEX IF EXISTS {_index('mix', code)}")
