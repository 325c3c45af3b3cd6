"""The price-anomaly baseline reads only approved, live lots: its index says so too.

The baseline (storage/comparables.py) counts ACTIVE, RESERVED, SOLD and EXPIRED lots that are
not deleted, with each seller's lots capped, so it reads seller_id as well. The old index kept
drafts and deleted lots and lacked seller_id, which would cost a heap visit per row.

Points are now kept to 1e-9 degree (domain/validation.check_point): a subnormal coordinate
stored before underflows in ll_to_earth and fails every search near it, so such values (all
below half of 1e-9, which the rounding makes 0) become 0 here. The move is sub-millimetre, so
no event is written for it.

Revision ID: 0007_market_baseline
Revises: 0006_idempotency_retention
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0007_market_baseline"
down_revision = "0006_idempotency_retention"
branch_labels = None
depends_on = None

UPGRADE = """
UPDATE availabilities SET latitude = 0 WHERE latitude <> 0 AND abs(latitude) < 5e-10;
UPDATE availabilities SET longitude = 0 WHERE longitude <> 0 AND abs(longitude) < 5e-10;
UPDATE locations SET latitude = 0 WHERE latitude <> 0 AND abs(latitude) < 5e-10;
UPDATE locations SET longitude = 0 WHERE longitude <> 0 AND abs(longitude) < 5e-10;
DROP INDEX IF EXISTS availabilities_price_comparables;
CREATE INDEX IF NOT EXISTS availabilities_market_prices
    ON availabilities (commodity, base_price_unit, create_time DESC)
    INCLUDE (price_per_base_unit, grade, delivery_region, seller_id, id)
    WHERE NOT ai_price_anomaly AND price_per_base_unit IS NOT NULL AND delete_time IS NULL
      AND state IN ('ACTIVE', 'RESERVED', 'SOLD', 'EXPIRED');
-- The price review (service_layer/price_review.py) walks the flagged lots by id.
CREATE INDEX IF NOT EXISTS availabilities_price_flagged
    ON availabilities (id) WHERE ai_price_anomaly AND delete_time IS NULL;
"""

DOWNGRADE = """
DROP INDEX IF EXISTS availabilities_price_flagged;
DROP INDEX IF EXISTS availabilities_market_prices;
CREATE INDEX IF NOT EXISTS availabilities_price_comparables
    ON availabilities (commodity, base_price_unit, create_time DESC)
    INCLUDE (price_per_base_unit, grade, delivery_region)
    WHERE NOT ai_price_anomaly AND price_per_base_unit IS NOT NULL
      AND state NOT IN ('CANCELLED', 'REJECTED');
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
