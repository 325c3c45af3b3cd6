"""An index for the ACTIVE holds of one lot, by expiry.

Every hold mutation locks its lot and then asks for that lot's ACTIVE holds that are due.
With only (availability_id, state) to go on, that query read every ACTIVE hold of the lot,
under the lot's row lock, so a lot with thousands of open negotiations slowed every write
on it. This index answers it from the few due entries (usually none).

Revision ID: 0003_hold_expiry
Revises: 0002_search
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0003_hold_expiry"
down_revision = "0002_search"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE INDEX IF NOT EXISTS reservations_active_by_lot
    ON reservations (availability_id, expire_time)
    WHERE state = 'ACTIVE';
"""

DOWNGRADE = """
DROP INDEX IF EXISTS reservations_active_by_lot;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
