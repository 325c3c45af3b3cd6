"""Indexes that hand out searchable lots one score factor at a time, best first.

storage.search_lists reads, for a search without quality targets and without a point, the
lots of one commodity in the order of their confidence, their price, and their cosine
distance to the request's embedding; service_layer.search_threshold stops as soon as the
last values read prove the page final. These indexes make each of those reads a range scan:

- confidence (descending, then id), over the searchable lots, and over those without an
  embedding (normally none: their score has its own bound);
- price per base unit in one price unit (then id);
- per catalog commodity, the cosine distance to the commodity's "centre": the embedding of
  a request without quality targets, which is what such a search compares every lot with.
  The centre comes from the packaged catalog and FeatureEmbedder at migration time; if the
  embedder or a commodity's catalog entry changes, the index no longer matches the query's
  expression and PostgreSQL sorts instead: slower, never different results. A commodity
  added later has no such index until a migration adds it.

Revision ID: 0008_search_factor_lists
Revises: 0007_market_baseline
Create Date: 2026-12-01
"""

from __future__ import annotations

import re

from alembic import op

revision = "0008_search_factor_lists"
down_revision = "0007_market_baseline"
branch_labels = None
depends_on = None

SEARCHABLE = "state = 'ACTIVE' AND delete_time IS NULL AND available_quantity > 0"

UPGRADE = f"""
CREATE INDEX IF NOT EXISTS availabilities_search_confidence
    ON availabilities (commodity, ai_confidence_score DESC, id) WHERE {SEARCHABLE};
CREATE INDEX IF NOT EXISTS availabilities_search_no_vector
    ON availabilities (commodity, ai_confidence_score DESC, id)
    WHERE {SEARCHABLE} AND ai_score_vector IS NULL;
CREATE INDEX IF NOT EXISTS availabilities_search_price
    ON availabilities (commodity, base_price_unit, price_per_base_unit, id)
    WHERE {SEARCHABLE} AND price_per_base_unit IS NOT NULL;
"""


def _centres() -> dict[str, str]:
    """Each packaged commodity's centre, as the text pgvector binds it with."""
    from pgvector import Vector

    from availability_service.intelligence import FeatureEmbedder, LotFeatures, load_catalog

    catalog = load_catalog()
    embedder = FeatureEmbedder(catalog)
    return {
        c.code: str(Vector._to_db(embedder.embed(LotFeatures(c.code, c.family, {}))))
        for c in catalog
    }


def _centre_index(code: str) -> str:
    return "availabilities_search_centre_" + re.sub(r"[^a-z0-9_]", "_", code.lower())


def upgrade() -> None:
    op.execute(UPGRADE)
    for code, centre in _centres().items():
        quoted_code = code.replace("'", "''")
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {_centre_index(code)} ON availabilities "
            f"((ai_score_vector <=> '{centre}'::vector), id) "
            f"WHERE commodity = '{quoted_code}' AND {SEARCHABLE}"
        )


def downgrade() -> None:
    for code in _centres():
        op.execute(f"DROP INDEX IF EXISTS {_centre_index(code)}")
    op.execute(
        "DROP INDEX IF EXISTS availabilities_search_price;"
        "DROP INDEX IF EXISTS availabilities_search_no_vector;"
        "DROP INDEX IF EXISTS availabilities_search_confidence;"
    )
