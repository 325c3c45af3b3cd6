"""next_revision(): the revision bump as a function, so a write can take it in its own statement.

Every change bumps the one revision counter row and writes its lot at that revision. Done as
two statements, that was one more round trip from Python while the lot's row lock (and from
the bump on, the counter's) was held; as `revision = next_revision()` inside the lot's INSERT
or UPDATE it costs nothing extra. The counter row is still locked from the bump to commit, so
revisions still become visible strictly in order.

Revision ID: 0004_revision_function
Revises: 0003_hold_expiry
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0004_revision_function"
down_revision = "0003_hold_expiry"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE OR REPLACE FUNCTION next_revision() RETURNS bigint
    LANGUAGE sql VOLATILE
    AS $$ UPDATE revision_counter SET value = value + 1 WHERE id = 1 RETURNING value $$;
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS next_revision();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
