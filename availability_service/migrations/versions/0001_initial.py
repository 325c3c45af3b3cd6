"""Initial schema: lots, holds, events, idempotency keys, locations, catalog.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# A migration is a snapshot: it keeps its own copy of intelligence.embedding.EMBEDDING_DIM
# (tests/integration/test_migrations.py checks the two agree).
EMBEDDING_DIM = 64

UPGRADE = f"""
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

-- One row: the global revision. Bumped as the last statement of every writing transaction,
-- so the row lock serialises revision order with commit order (a watcher that has seen
-- revision N has necessarily been able to see every revision below N).
CREATE TABLE revision_counter (
    id smallint PRIMARY KEY CHECK (id = 1),
    value bigint NOT NULL
);
INSERT INTO revision_counter VALUES (1, 0);

CREATE TABLE commodities (
    code text PRIMARY KEY,
    display_name text NOT NULL,
    family text NOT NULL,
    catalog_version integer NOT NULL,
    spec jsonb NOT NULL,
    update_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE locations (
    location_id text PRIMARY KEY,
    owner_id text NOT NULL,
    display_name text NOT NULL DEFAULT '',
    latitude double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    region text NOT NULL DEFAULT '',
    update_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX locations_owner ON locations (owner_id, location_id);

CREATE TABLE availabilities (
    id uuid PRIMARY KEY,
    seller_id text NOT NULL,
    company_id text NOT NULL DEFAULT '',
    commodity text NOT NULL,
    variety text NOT NULL DEFAULT '',
    grade text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    quantity_unit text NOT NULL,
    total_quantity numeric(30, 6) NOT NULL,
    available_quantity numeric(30, 6) NOT NULL,
    reserved_quantity numeric(30, 6) NOT NULL DEFAULT 0,
    sold_quantity numeric(30, 6) NOT NULL DEFAULT 0,
    min_order_quantity numeric(30, 6),
    allow_partial_order boolean NOT NULL DEFAULT true,
    quality_params jsonb NOT NULL DEFAULT '{{}}',
    normalized_quality_params jsonb NOT NULL DEFAULT '{{}}',
    price_type text NOT NULL DEFAULT 'FIXED',
    base_price_amount numeric(30, 6),
    base_price_currency text NOT NULL DEFAULT '',
    price_unit text NOT NULL DEFAULT '',
    price_options jsonb NOT NULL DEFAULT '[]',
    quantity_in_base_unit numeric(36, 6),
    base_quantity_unit text NOT NULL DEFAULT '',
    price_per_base_unit numeric(36, 6),
    base_price_unit text NOT NULL DEFAULT '',
    latitude double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude double precision CHECK (longitude BETWEEN -180 AND 180),
    delivery_region text NOT NULL DEFAULT '',
    location_id text NOT NULL DEFAULT '',
    incoterm text NOT NULL DEFAULT '',
    delivery_window_start timestamptz,
    delivery_window_end timestamptz,
    valid_until timestamptz,
    market_visibility text NOT NULL DEFAULT 'PUBLIC'
        CHECK (market_visibility IN ('PUBLIC', 'PRIVATE', 'RESTRICTED', 'INTERNAL')),
    restricted_buyer_ids text[] NOT NULL DEFAULT '{{}}',
    allowed_regions text[] NOT NULL DEFAULT '{{}}',
    state text NOT NULL CHECK (state IN
        ('DRAFT', 'ACTIVE', 'RESERVED', 'SOLD', 'EXPIRED', 'CANCELLED', 'REJECTED')),
    approved_by text NOT NULL DEFAULT '',
    approve_time timestamptz,
    rejected_by text NOT NULL DEFAULT '',
    reject_time timestamptz,
    rejection_reason text NOT NULL DEFAULT '',
    ai_suggested_price numeric(30, 6),
    ai_confidence_score double precision NOT NULL DEFAULT 0,
    ai_price_anomaly boolean NOT NULL DEFAULT false,
    ai_anomaly_reason text NOT NULL DEFAULT '',
    ai_anomaly_score double precision NOT NULL DEFAULT 0,
    ai_score_vector vector({EMBEDDING_DIM}),
    revision bigint NOT NULL,
    create_time timestamptz NOT NULL,
    update_time timestamptz NOT NULL,
    delete_time timestamptz,
    country_of_origin text NOT NULL DEFAULT '',
    supported_incoterms text[] NOT NULL DEFAULT '{{}}',
    export_port text NOT NULL DEFAULT '',
    available_from timestamptz,
    available_until timestamptz,
    eod_cutoff text NOT NULL DEFAULT '',
    tags text[] NOT NULL DEFAULT '{{}}',
    internal_reference text NOT NULL DEFAULT '',
    test_report_url text NOT NULL DEFAULT '',
    test_report_verified boolean NOT NULL DEFAULT false,
    media_urls text[] NOT NULL DEFAULT '{{}}',
    -- The quantity invariant, enforced here as well as in the domain.
    CONSTRAINT quantity_total_positive CHECK (total_quantity > 0),
    CONSTRAINT quantity_parts_non_negative
        CHECK (available_quantity >= 0 AND reserved_quantity >= 0 AND sold_quantity >= 0),
    CONSTRAINT quantity_invariant
        CHECK (total_quantity = available_quantity + reserved_quantity + sold_quantity),
    CONSTRAINT min_order_within_total
        CHECK (min_order_quantity IS NULL OR (min_order_quantity > 0
               AND min_order_quantity <= total_quantity))
);
CREATE INDEX availabilities_list ON availabilities (create_time DESC, id DESC);
CREATE INDEX availabilities_seller ON availabilities (seller_id, create_time DESC, id DESC);
CREATE INDEX availabilities_commodity ON availabilities (commodity, create_time DESC, id DESC);
CREATE INDEX availabilities_active ON availabilities (commodity, price_per_base_unit)
    WHERE state = 'ACTIVE' AND delete_time IS NULL;
CREATE INDEX availabilities_quality ON availabilities
    USING gin (normalized_quality_params jsonb_path_ops);
CREATE INDEX availabilities_geo ON availabilities
    USING gist (ll_to_earth(latitude, longitude))
    WHERE latitude IS NOT NULL AND longitude IS NOT NULL;
CREATE INDEX availabilities_vector ON availabilities
    USING hnsw (ai_score_vector vector_cosine_ops);
CREATE INDEX availabilities_valid_until ON availabilities (valid_until)
    WHERE state IN ('ACTIVE', 'RESERVED') AND valid_until IS NOT NULL;

CREATE TABLE reservations (
    id uuid PRIMARY KEY,
    availability_id uuid NOT NULL REFERENCES availabilities (id),
    quantity numeric(30, 6) NOT NULL CHECK (quantity > 0),
    sold_quantity numeric(30, 6) NOT NULL DEFAULT 0 CHECK (sold_quantity >= 0),
    buyer_id text NOT NULL,
    negotiation_id text NOT NULL DEFAULT '',
    state text NOT NULL CHECK (state IN ('ACTIVE', 'RELEASED', 'EXPIRED', 'SOLD')),
    expire_time timestamptz NOT NULL,
    trade_id text NOT NULL DEFAULT '',
    release_reason text NOT NULL DEFAULT '',
    request_id text NOT NULL DEFAULT '',
    revision bigint NOT NULL,
    create_time timestamptz NOT NULL,
    update_time timestamptz NOT NULL,
    CONSTRAINT sold_within_hold CHECK (sold_quantity <= quantity)
);
CREATE INDEX reservations_lot ON reservations (availability_id, state);
CREATE INDEX reservations_expiring ON reservations (expire_time) WHERE state = 'ACTIVE';

-- The transactional outbox and audit trail: one row per change, in revision order.
CREATE TABLE events (
    revision bigint PRIMARY KEY,
    availability_id uuid NOT NULL,
    reservation_id uuid,
    event_type text NOT NULL,
    actor text NOT NULL,
    event_time timestamptz NOT NULL DEFAULT clock_timestamp(),
    changed_fields text[] NOT NULL DEFAULT '{{}}',
    before jsonb,
    after jsonb NOT NULL,
    reservation jsonb
);
CREATE INDEX events_lot ON events (availability_id, revision);

CREATE TABLE idempotency_keys (
    principal text NOT NULL,
    request_id text NOT NULL,
    method text NOT NULL,
    request_hash text NOT NULL,
    response jsonb,
    create_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, request_id)
);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS idempotency_keys, events, reservations, availabilities, locations,
    commodities, revision_counter;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
