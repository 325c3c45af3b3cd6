"""SQLAlchemy Core tables mirroring migrations/versions (the migrations are the source of truth)."""

from __future__ import annotations

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from availability_service.intelligence.embedding import EMBEDDING_DIM

metadata = MetaData()


def _ts(name: str, nullable: bool = True) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


def _num(name: str, nullable: bool = True) -> Column:
    return Column(name, Numeric(30, 6, asdecimal=True), nullable=nullable)


revision_counter = Table(
    "revision_counter",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

commodities = Table(
    "commodities",
    metadata,
    Column("code", Text, primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("family", Text, nullable=False),
    Column("catalog_version", Integer, nullable=False),
    Column("spec", JSONB, nullable=False),
    _ts("update_time"),
)

locations = Table(
    "locations",
    metadata,
    Column("location_id", Text, primary_key=True),
    Column("owner_id", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("region", Text, nullable=False),
    _ts("update_time"),
)

availabilities = Table(
    "availabilities",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    *(
        Column(n, Text, nullable=False)
        for n in (
            "seller_id",
            "company_id",
            "commodity",
            "variety",
            "grade",
            "description",
            "quantity_unit",
            "price_type",
            "base_price_currency",
            "price_unit",
            "base_quantity_unit",
            "base_price_unit",
            "delivery_region",
            "location_id",
            "incoterm",
            "market_visibility",
            "state",
            "approved_by",
            "rejected_by",
            "rejection_reason",
            "ai_anomaly_reason",
            "country_of_origin",
            "export_port",
            "eod_cutoff",
            "internal_reference",
            "test_report_url",
        )
    ),
    *(
        _num(n, nullable=False)
        for n in (
            "total_quantity",
            "available_quantity",
            "reserved_quantity",
            "sold_quantity",
        )
    ),
    *(
        _num(n)
        for n in (
            "min_order_quantity",
            "base_price_amount",
            "quantity_in_base_unit",
            "price_per_base_unit",
            "ai_suggested_price",
        )
    ),
    *(
        Column(n, Boolean, nullable=False)
        for n in (
            "allow_partial_order",
            "ai_price_anomaly",
            "test_report_verified",
        )
    ),
    *(
        Column(n, JSONB, nullable=False)
        for n in (
            "quality_params",
            "normalized_quality_params",
            "price_options",
        )
    ),
    *(Column(n, Float) for n in ("latitude", "longitude")),
    *(Column(n, Float, nullable=False) for n in ("ai_confidence_score", "ai_anomaly_score")),
    *(
        Column(n, ARRAY(Text), nullable=False)
        for n in (
            "restricted_buyer_ids",
            "allowed_regions",
            "supported_incoterms",
            "tags",
            "media_urls",
        )
    ),
    *(
        _ts(n)
        for n in (
            "delivery_window_start",
            "delivery_window_end",
            "valid_until",
            "approve_time",
            "reject_time",
            "delete_time",
            "available_from",
            "available_until",
        )
    ),
    _ts("create_time", nullable=False),
    _ts("update_time", nullable=False),
    Column("ai_score_vector", Vector(EMBEDDING_DIM)),
    Column("revision", BigInteger, nullable=False),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("availability_id", UUID(as_uuid=True), nullable=False),
    _num("quantity", nullable=False),
    _num("sold_quantity", nullable=False),
    *(
        Column(n, Text, nullable=False)
        for n in (
            "buyer_id",
            "negotiation_id",
            "state",
            "trade_id",
            "release_reason",
            "request_id",
            "price_currency",
            "price_unit",
            "price_option_label",
            "sold_price_currency",
        )
    ),
    _num("price_amount"),
    _num("sold_price_amount"),
    Column("direct_sale", Boolean, nullable=False, server_default="false"),
    _ts("expire_time", nullable=False),
    _ts("create_time", nullable=False),
    _ts("update_time", nullable=False),
    Column("revision", BigInteger, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("revision", BigInteger, primary_key=True),
    Column("availability_id", UUID(as_uuid=True), nullable=False),
    Column("reservation_id", UUID(as_uuid=True)),
    Column("event_type", Text, nullable=False),
    Column("actor", Text, nullable=False),
    _ts("event_time", nullable=False),
    Column("changed_fields", ARRAY(Text), nullable=False),
    Column("before", JSONB),
    Column("after", JSONB, nullable=False),
    Column("reservation", JSONB),
    # Every type that applies (migration 0005); '{}' on older rows means just event_type.
    Column("event_types", ARRAY(Text), nullable=False, server_default="{}"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", Text, primary_key=True),
    Column("request_id", Text, primary_key=True),
    Column("method", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("response", JSONB),
    _ts("create_time", nullable=False),
)
