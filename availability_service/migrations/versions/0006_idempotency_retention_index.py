"""An index for idempotency keys by age, so the sweeper's retention pass deletes in bounded batches.

Without it each batch would scan the whole table to find its few expired keys, and a table of
millions of fresh keys would be read end to end every pass only to find none.

Revision ID: 0006_idempotency_retention
Revises: 0005_hold_terms
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0006_idempotency_retention"
down_revision = "0005_hold_terms"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE INDEX IF NOT EXISTS idempotency_keys_by_create_time
    ON idempotency_keys (create_time);
"""

DOWNGRADE = """
DROP INDEX IF EXISTS idempotency_keys_by_create_time;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
