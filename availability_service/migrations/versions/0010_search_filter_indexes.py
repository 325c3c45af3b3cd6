"""A covering index that lets a search with a point find its page from the index alone.

A matching search (a radius, quality targets, a max price) used to read every searchable
lot of its commodity in the radius's box from the table and drop most of them row by row
(at 200,000 lots: 27,000 table rows read, 2,000 kept, 0.5 to 1 s; the table is larger than
PostgreSQL's buffers, so each row cost a page read). Neither a combination of per-filter
indexes helped: PostgreSQL estimates an `earth_box` condition at a fixed 0.1 % of the rows
and the parameters' ranges from statistics of the whole table, so it never combined them.

This index holds, per searchable lot with a position, everything its score needs but the
embedding: commodity, latitude and longitude (the keys: the radius becomes a range of
latitudes, storage.search_geo), the id, the price and its unit, the confidence, the anomaly
flag and the normalised quality. storage.search_bounds reads it alone (an index-only scan)
to filter the lots by radius, price and quality and to bound each one's score (its vector
factor taken as 1), and reads the table only for the few lots whose bound can still reach
the page (service_layer.search_bounded).

Revision ID: 0010_search_filter_indexes
Revises: 0009_similar_per_commodity
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0010_search_filter_indexes"
down_revision = "0009_similar_per_commodity"
branch_labels = None
depends_on = None

SEARCHABLE = "state = 'ACTIVE' AND delete_time IS NULL AND available_quantity > 0"

UPGRADE = f"""
CREATE INDEX IF NOT EXISTS availabilities_search_nearby
    ON availabilities (commodity, latitude, longitude)
    INCLUDE (id, price_per_base_unit, base_price_unit, ai_confidence_score, ai_price_anomaly,
             normalized_quality_params)
    WHERE {SEARCHABLE} AND latitude IS NOT NULL AND longitude IS NOT NULL;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS availabilities_search_nearby")
