"""The size arithmetic: a lot at its write-time cap, grown by every later server-side change,
still fits MAX_EMITTED_LOT_BYTES, and a full page of such lots fits the transport limit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from availability_service.auth.principal import Principal
from availability_service.config import Settings
from availability_service.domain.errors import MAX_VIOLATIONS, FieldViolation, InvalidArgument
from availability_service.domain.model import Availability, LotState
from availability_service.domain.validation import (
    MAX_EMITTED_LOT_BYTES,
    MAX_LOT_BYTES,
    MAX_REJECTION_REASON,
    SHORT_TEXT,
)
from availability_service.grpc_api import watch_stream
from availability_service.grpc_api.batch_rpc import MAX_BATCH
from availability_service.grpc_api.lot_output import availability_to_pb
from availability_service.grpc_api.lot_size import (
    MIN_MESSAGE_BYTES,
    check_message_limit,
    lot_size,
)
from availability_service.intelligence.embedding import EMBEDDING_DIM
from availability_service.service_layer import insight, lots, search
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2, watch_pb2

BIGGEST = Decimal("999999999999999999.999999")  # 18 integer and 6 fraction digits
MOMENT = datetime(2030, 1, 1, tzinfo=UTC)


def lot_at_the_write_cap() -> Availability:
    """A lot whose owner view encodes to exactly MAX_LOT_BYTES when it is written."""
    lot = Availability(
        id=uuid.uuid4(),
        seller_id="s" * SHORT_TEXT,
        commodity="cotton",
        quantity_unit="t",
        total_quantity=Decimal(1),
        available_quantity=Decimal(1),
        state=LotState.DRAFT,
        create_time=MOMENT,
        update_time=MOMENT,
        company_id="c" * SHORT_TEXT,
        quality_params={"staple_length": {"number": 29.0, "unit": "mm"}},
        normalized_quality_params={"staple_length": {"number": 29.0, "unit": "mm"}},
        ai_score_vector=[0.123] * EMBEDDING_DIM,
        ai_anomaly_reason="r" * 256,
    )
    lot.description = "x" * (MAX_LOT_BYTES - lot_size(lot)[0] - 3)
    assert lot_size(lot)[0] == MAX_LOT_BYTES
    return lot


def grown_by_the_server(lot: Availability) -> Availability:
    """Everything the server may still change after the write, at its largest."""
    for name in ("total_quantity", "available_quantity", "reserved_quantity", "sold_quantity"):
        setattr(lot, name, BIGGEST)
    lot.min_order_quantity = lot.quantity_in_base_unit = lot.price_per_base_unit = BIGGEST
    lot.ai_suggested_price = BIGGEST
    lot.state = LotState.REJECTED
    lot.approved_by = lot.rejected_by = "a" * SHORT_TEXT
    lot.approve_time = lot.reject_time = lot.delete_time = MOMENT
    lot.rejection_reason = "é" * (MAX_REJECTION_REASON // 2)
    lot.ai_confidence_score = lot.ai_anomaly_score = 0.123456789
    lot.ai_price_anomaly = lot.test_report_verified = True
    lot.revision = 2**62
    return lot


def worst_lot() -> pb.Availability:
    lot = grown_by_the_server(lot_at_the_write_cap())
    return availability_to_pb(lot, Principal(lot.seller_id), full=True)


def test_later_server_changes_keep_a_capped_lot_under_the_emitted_bound() -> None:
    assert worst_lot().ByteSize() <= MAX_EMITTED_LOT_BYTES


def test_a_full_list_page_of_the_largest_lots_fits_the_message_limit() -> None:
    page = api.ListAvailabilitiesResponse(
        availabilities=[worst_lot()] * lots.MAX_PAGE_SIZE,
        next_page_token="t" * 1024,
        revision=2**62,
    )
    assert page.ByteSize() <= MIN_MESSAGE_BYTES <= Settings().max_message_bytes


def test_a_full_search_page_of_the_largest_lots_fits_the_message_limit() -> None:
    factors = [
        search_pb2.ScoreFactor(
            name="quality_completeness", weight=0.1, value=0.2, contribution=0.3, detail="d" * 128
        )
    ] * 8
    result = search_pb2.SearchResult(
        availability=worst_lot(), score=0.5, breakdown=factors, distance_km=1.5
    )
    page = api.SearchAvailabilitiesResponse(
        results=[result] * search.MAX_PAGE_SIZE, next_page_token="t" * 1024, revision=2**62
    )
    similar = api.ListSimilarAvailabilitiesResponse(
        results=[search_pb2.SimilarAvailability(availability=worst_lot(), similarity=0.5)]
        * insight.MAX_SIMILAR
    )
    assert max(page.ByteSize(), similar.ByteSize()) <= MIN_MESSAGE_BYTES


def test_a_full_batch_reply_fits_whether_its_lots_were_created_or_refused() -> None:
    created = api.BatchCreateResult(availability=worst_lot())
    refusal = InvalidArgument([FieldViolation("availability." + "f" * 64, "d" * 200)] * 50)
    refused = api.BatchCreateResult(
        code=3,
        message=refusal.message,
        reason=refusal.reason,
        field_violations=[f"{v.field}: {v.description}" for v in refusal.violations],
    )
    assert len(refusal.violations) == MAX_VIOLATIONS
    for result in (created, refused):
        reply = api.BatchCreateAvailabilitiesResponse(results=[result] * MAX_BATCH)
        assert reply.ByteSize() <= MIN_MESSAGE_BYTES


def test_one_watch_event_of_the_largest_lot_is_far_below_a_watch_batch() -> None:
    event = watch_pb2.AvailabilityEvent(
        revision=2**62,
        availability=worst_lot(),
        previous=worst_lot(),
        changed_fields=["f" * 32] * 70,
        actor="a" * SHORT_TEXT,
    )
    event.reservation.name = "n" * 200
    assert event.ByteSize() < 3 * MAX_EMITTED_LOT_BYTES


def test_a_server_configured_below_a_full_page_refuses_to_start() -> None:
    check_message_limit(Settings().max_message_bytes)
    with pytest.raises(ValueError, match="max_message_bytes"):
        check_message_limit(1024 * 1024)


def test_a_legacy_lot_too_large_for_a_message_is_announced_by_its_identity() -> None:
    lot = worst_lot()
    lot.description = "x" * (watch_stream.BATCH_MAX_BYTES + 1)
    event = watch_pb2.AvailabilityEvent(
        revision=7, availability=lot, previous=lot, actor="seller-1"
    )
    fitted = watch_stream._fitted(event)
    assert fitted.ByteSize() < MAX_EMITTED_LOT_BYTES
    assert (fitted.revision, fitted.actor) == (7, "seller-1")
    assert fitted.availability.name == lot.name
    assert fitted.availability.etag == lot.etag
    assert fitted.availability.description == fitted.previous.description == ""
    assert fitted.previous.name == lot.name
    small = watch_pb2.AvailabilityEvent(revision=8, availability=worst_lot())
    assert watch_stream._fitted(small) is small
