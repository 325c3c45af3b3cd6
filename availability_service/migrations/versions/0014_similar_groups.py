"""ListSimilar's small groups: lots whose embeddings share one shape, found by an index.

The default embedding (intelligence/embedding.py) is sparse: a lot's vector is non-zero only
in its family's slot, its commodity's two slots, one slot pair per quality parameter it
reports, its grade's slot and its delivery region's slot. Lots that share those (a group:
the same commodity, grade and region, reporting the same parameters) sit close together,
and apart from every other group; within a group they differ only by their quality values.
A group of a few hundred lots among a commodity's hundreds of thousands can be linked so
sparsely into the commodity's HNSW graph (migration 0009) that a walk from the graph's entry
never reaches it: at 1,000,000 lots one lot in 60 got none of its ten true neighbours, which
sat in its own group of 587 lots (docs/performance.md, "Search at scale").

`similar_group(vector)` names a vector's group: one bit per block slot that is non-zero
(the quality block's slots taken in pairs, so a value at the end of its range, whose sine
or cosine is 0, stays in its parameter's group). The index below finds a group's lots, and
ListSimilar compares a small group's lots one by one beside the walk (storage.similar).

The bits follow the embedding's layout when this migration was written (64 dimensions:
family and commodity 0-15, quality pairs 16-55, grade and region 56-63); a migration keeps its
own copy, as it must build the same index whatever the code says later. An embedding with
another layout would still be served: its groups would only be coarser or finer.

Revision ID: 0014_similar_groups
Revises: 0013_planned_once
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0014_similar_groups"
down_revision = "0013_planned_once"
branch_labels = None
depends_on = None

# Kept in step with storage.similar's _SIMILAR_LOTS (migration 0009's SIMILAR, plus the
# vector the group is read from).
SIMILAR = "state IN ('ACTIVE', 'RESERVED') AND delete_time IS NULL AND ai_score_vector IS NOT NULL"

SIMILAR_GROUP = """
CREATE OR REPLACE FUNCTION similar_group(v vector) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $function$
  SELECT coalesce(sum(DISTINCT CASE
      WHEN i <= 16 THEN 1::bigint << (i - 1)::integer
      WHEN i <= 56 THEN 1::bigint << (16 + (i - 17) / 2)::integer
      WHEN i <= 64 THEN 1::bigint << (36 + i - 57)::integer
      ELSE 0 END), 0)::bigint
  FROM unnest(v::real[]) WITH ORDINALITY AS coordinate(x, i)
  WHERE x <> 0
$function$
"""


def upgrade() -> None:
    op.execute(SIMILAR_GROUP)
    op.execute(
        "CREATE INDEX IF NOT EXISTS availabilities_vector_group ON availabilities "
        f"(commodity, similar_group(ai_score_vector)) WHERE {SIMILAR}"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS availabilities_vector_group")
    op.execute("DROP FUNCTION IF EXISTS similar_group(vector)")
