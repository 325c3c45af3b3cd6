"""Hold terms, direct-sale records, ListReservations indexes, and every type of an event.

- reservations gain the terms at hold time (price, price unit, the price option held) and the
  sale price, so the basis agreed when the hold was made can be checked at sale (issue 14);
  a direct sale is kept as a SOLD row of its own, marked `direct_sale` (it was never a hold).
- events gain `event_types`: every type that applies to the change (a reserve is also a
  QUANTITY_CHANGED). Rows written before this keep '{}' and are read as their one event_type.
- ListReservations pages by (create_time, id) within a lot, a buyer or a negotiation.

Revision ID: 0005_hold_terms
Revises: 0004_revision_function
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0005_hold_terms"
down_revision = "0004_revision_function"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE reservations
    ADD COLUMN price_amount numeric(30, 6),
    ADD COLUMN price_currency text NOT NULL DEFAULT '',
    ADD COLUMN price_unit text NOT NULL DEFAULT '',
    ADD COLUMN price_option_label text NOT NULL DEFAULT '',
    ADD COLUMN sold_price_amount numeric(30, 6),
    ADD COLUMN sold_price_currency text NOT NULL DEFAULT '',
    ADD COLUMN direct_sale boolean NOT NULL DEFAULT false;
CREATE INDEX reservations_by_lot_page ON reservations (availability_id, create_time, id);
CREATE INDEX reservations_by_buyer_page ON reservations (buyer_id, create_time, id);
CREATE INDEX reservations_by_negotiation_page ON reservations (negotiation_id, create_time, id)
    WHERE negotiation_id <> '';
CREATE INDEX reservations_page ON reservations (create_time, id);
ALTER TABLE events ADD COLUMN event_types text[] NOT NULL DEFAULT '{}';
"""

DOWNGRADE = """
ALTER TABLE events DROP COLUMN IF EXISTS event_types;
DROP INDEX IF EXISTS reservations_page;
DROP INDEX IF EXISTS reservations_by_negotiation_page;
DROP INDEX IF EXISTS reservations_by_buyer_page;
DROP INDEX IF EXISTS reservations_by_lot_page;
ALTER TABLE reservations
    DROP COLUMN IF EXISTS direct_sale,
    DROP COLUMN IF EXISTS sold_price_currency,
    DROP COLUMN IF EXISTS sold_price_amount,
    DROP COLUMN IF EXISTS price_option_label,
    DROP COLUMN IF EXISTS price_unit,
    DROP COLUMN IF EXISTS price_currency,
    DROP COLUMN IF EXISTS price_amount;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
