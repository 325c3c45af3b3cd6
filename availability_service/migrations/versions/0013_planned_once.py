"""A create's two planned statements as PL/pgSQL functions, so each connection plans them once.

The price baseline:

Every create (and every price change) reads the market's baseline (storage.comparables). Sent
as SQL, the query was planned on every call, and planning it means weighing each of the lot
table's 51 indexes, most of them partial, against its filters: 0.7 ms on a quiet machine,
2.6 ms per create under the create benchmark's load, against 0.16 ms to run it on an
empty market. PL/pgSQL keeps the plan of the function's query per connection (a generic plan
once it costs no more than a planned one), so only the first calls on a connection plan it.
The query is the one comparables.py sent (its docstring says what it computes); the results
do not depend on the plan.

The new lot's revision stamp and event (storage.lot_writes, sent with the COMMIT): the UPDATE
that finds the new row by id weighed the same 51 indexes, 0.7 ms of planning per create under
load. The function writes what the data-modifying CTE wrote: the stamp, then the event at that
revision with the revision set in its `after` snapshot, the wake-up, and the revision in the
session setting that the commit message reads back.

Revision ID: 0013_planned_once
Revises: 0012_search_vector_bands
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0013_planned_once"
down_revision = "0012_search_vector_bands"
branch_labels = None
depends_on = None

# domain.model.MARKET_STATES when written (storage.lots.MARKET_STATES_SQL); the channel and the
# session setting are storage.lot_writes.NOTIFY_CHANNEL and write_transaction.REVISION_SETTING.
NOTIFY_CHANNEL = "availability_events"
REVISION_SETTING = "availability.revision"
MARKET_STATES = "('ACTIVE', 'EXPIRED', 'RESERVED', 'SOLD')"

BASELINE = f"""
CREATE OR REPLACE FUNCTION market_price_baseline(
    p_commodity text, p_unit text, p_since timestamptz, p_exclude uuid, p_seller text,
    p_limit integer, p_per_seller integer, p_scan integer, p_grade text, p_region text,
    p_minimum integer)
RETURNS TABLE (scope integer, usable boolean, n integer, lo numeric, hi numeric,
               dev_lo numeric, dev_hi numeric, doubled_deviations numeric)
LANGUAGE plpgsql STABLE AS $function$
#variable_conflict use_column
BEGIN
RETURN QUERY
WITH newest AS (
  SELECT price_per_base_unit AS price, grade, delivery_region FROM (
    SELECT price_per_base_unit, grade, delivery_region, create_time, row_number()
      OVER (PARTITION BY seller_id ORDER BY create_time DESC) AS nth FROM (
      SELECT price_per_base_unit, grade, delivery_region, seller_id, create_time
      FROM availabilities
      WHERE commodity = p_commodity AND base_price_unit = p_unit
        AND NOT ai_price_anomaly AND price_per_base_unit IS NOT NULL AND delete_time IS NULL
        AND state IN {MARKET_STATES} AND create_time >= p_since
        AND id <> p_exclude AND seller_id <> p_seller
      ORDER BY create_time DESC LIMIT p_scan) AS recent) AS capped
  WHERE nth <= p_per_seller ORDER BY create_time DESC LIMIT p_limit),
pick AS (SELECT CASE
    WHEN p_grade <> '' AND p_region <> '' AND count(*) FILTER
      (WHERE grade = p_grade AND delivery_region = p_region) >= p_minimum THEN 0
    WHEN p_grade <> '' AND count(*) FILTER (WHERE grade = p_grade) >= p_minimum THEN 1
    WHEN p_region <> '' AND count(*) FILTER (WHERE delivery_region = p_region) >= p_minimum
      THEN 2 ELSE 3 END AS scope FROM newest),
chosen AS (SELECT price FROM newest, pick WHERE pick.scope = 3
    OR (pick.scope = 0 AND grade = p_grade AND delivery_region = p_region)
    OR (pick.scope = 1 AND grade = p_grade) OR (pick.scope = 2 AND delivery_region = p_region)),
sets AS (SELECT false AS usable, array_agg(price ORDER BY price) AS prices FROM chosen
    UNION ALL SELECT true, array_agg(price ORDER BY price) FROM chosen
    WHERE price > 0 AND price <> 'NaN'),
middles AS (SELECT usable, prices, coalesce(cardinality(prices), 0) AS n,
    prices[(cardinality(prices) + 1) / 2] AS lo, prices[cardinality(prices) / 2 + 1] AS hi
    FROM sets)
SELECT pick.scope, m.usable, m.n, m.lo, m.hi,
    d.by_distance[(m.n + 1) / 2] AS dev_lo, d.by_distance[m.n / 2 + 1] AS dev_hi,
    d.doubled_deviations
FROM pick, middles AS m, LATERAL (SELECT
    array_agg(p ORDER BY abs(2 * p - (m.lo + m.hi))) AS by_distance,
    sum(abs(2 * p - (m.lo + m.hi))) AS doubled_deviations
    FROM unnest(m.prices) AS p) AS d;
END
$function$
"""

STAMP = f"""
CREATE OR REPLACE FUNCTION stamp_new_lot(
    p_lot uuid, p_event_type text, p_event_types text[], p_actor text,
    p_changed_fields text[], p_before jsonb, p_after jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $function$
DECLARE
    stamped bigint;
BEGIN
    UPDATE availabilities SET revision = next_revision() WHERE id = p_lot
        RETURNING revision INTO STRICT stamped;
    INSERT INTO events (revision, availability_id, event_type, event_types, actor, event_time,
                        changed_fields, before, after, reservation_id, reservation)
    VALUES (stamped, p_lot, p_event_type, p_event_types, p_actor, clock_timestamp(),
            p_changed_fields, p_before, p_after || jsonb_build_object('revision', stamped),
            NULL, NULL);
    PERFORM pg_notify('{NOTIFY_CHANNEL}', stamped::text);
    PERFORM set_config('{REVISION_SETTING}', stamped::text, false);
    RETURN stamped;
END
$function$
"""


def upgrade() -> None:
    op.execute(BASELINE)
    op.execute(STAMP)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS stamp_new_lot")
    op.execute("DROP FUNCTION IF EXISTS market_price_baseline")
