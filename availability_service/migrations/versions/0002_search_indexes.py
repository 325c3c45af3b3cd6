"""Search and price-anomaly indexes.

Revision ID: 0002_search
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0002_search"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = """
-- Price-anomaly baseline: recent unflagged prices of one commodity in one price unit.
CREATE INDEX IF NOT EXISTS availabilities_price_comparables
    ON availabilities (commodity, base_price_unit, create_time DESC)
    INCLUDE (price_per_base_unit, grade, delivery_region)
    WHERE NOT ai_price_anomaly AND price_per_base_unit IS NOT NULL
      AND state NOT IN ('CANCELLED', 'REJECTED');
-- Search candidates: the ACTIVE lots of one commodity with something left to sell.
CREATE INDEX IF NOT EXISTS availabilities_searchable
    ON availabilities (commodity, id)
    WHERE state = 'ACTIVE' AND delete_time IS NULL AND available_quantity > 0;
"""

DOWNGRADE = """
DROP INDEX IF EXISTS availabilities_price_comparables;
DROP INDEX IF EXISTS availabilities_searchable;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
