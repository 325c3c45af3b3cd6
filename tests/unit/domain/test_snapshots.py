"""Compact snapshots (idempotent replays): only non-default fields stored, the same object back."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from availability_service.domain.model import (
    Availability,
    HoldState,
    LotState,
    Reservation,
    availability_from_snapshot,
    reservation_from_snapshot,
    to_compact_snapshot,
    to_snapshot,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _lot() -> Availability:
    return Availability(
        id=uuid.uuid4(),
        seller_id="seller-1",
        commodity="cotton",
        quantity_unit="t",
        total_quantity=Decimal("100.500"),
        available_quantity=Decimal("100.500"),
        state=LotState.ACTIVE,
        create_time=NOW,
        update_time=NOW,
        sold_quantity=Decimal("0.000"),  # equal to the default 0, written differently
        quality_params={"staple_length": {"number": 29.0, "unit": "mm"}},
        ai_score_vector=[0.25] * 64,
        tags=["organic"],
    )


def test_a_compact_lot_snapshot_restores_to_an_equal_lot_and_keeps_what_differs() -> None:
    lot = _lot()
    compact = to_compact_snapshot(lot)
    assert availability_from_snapshot(json.loads(json.dumps(compact))) == lot
    assert compact["sold_quantity"] == "0.000"  # kept: the replay shows it as first written
    assert "reserved_quantity" not in compact and "description" not in compact
    assert len(json.dumps(compact)) < len(json.dumps(to_snapshot(lot)))


def test_a_compact_hold_snapshot_restores_to_an_equal_hold() -> None:
    hold = Reservation(
        id=uuid.uuid4(),
        availability_id=uuid.uuid4(),
        buyer_id="buyer-1",
        quantity=Decimal("5"),
        quantity_unit="t",
        state=HoldState.ACTIVE,
        expire_time=NOW + timedelta(hours=1),
        create_time=NOW,
        update_time=NOW,
    )
    assert reservation_from_snapshot(json.loads(json.dumps(to_compact_snapshot(hold)))) == hold
