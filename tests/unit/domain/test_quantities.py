"""Quantity arithmetic and the state the quantities imply."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from availability_service.domain.errors import FailedPrecondition
from availability_service.domain.lifecycle import derive_state
from availability_service.domain.model import Availability, LotState
from availability_service.domain.quantities import (
    InvariantViolation,
    change_total,
    check_invariant,
    settle,
)


def lot(
    total: str = "100",
    available: str = "100",
    reserved: str = "0",
    sold: str = "0",
    state: LotState = LotState.ACTIVE,
) -> Availability:
    now = datetime.now(UTC)
    return Availability(
        id=uuid.uuid4(),
        seller_id="s",
        commodity="cotton",
        quantity_unit="t",
        total_quantity=Decimal(total),
        available_quantity=Decimal(available),
        reserved_quantity=Decimal(reserved),
        sold_quantity=Decimal(sold),
        state=state,
        create_time=now,
        update_time=now,
    )


def test_the_invariant_accepts_parts_that_add_up() -> None:
    check_invariant(lot("100", "50", "30", "20"))


@pytest.mark.parametrize(
    ("available", "reserved", "sold"),
    [("50", "30", "30"), ("-1", "51", "50"), ("100", "0", "0.000001")],
)
def test_the_invariant_rejects_parts_that_do_not_add_up_or_go_negative(
    available: str, reserved: str, sold: str
) -> None:
    with pytest.raises(InvariantViolation):
        check_invariant(lot("100", available, reserved, sold))


@pytest.mark.parametrize(
    ("available", "reserved", "sold", "expected"),
    [
        ("10", "0", "90", LotState.ACTIVE),
        ("0", "10", "90", LotState.RESERVED),
        ("0", "0", "100", LotState.SOLD),
    ],
)
def test_active_lots_follow_their_quantities(
    available: str, reserved: str, sold: str, expected: LotState
) -> None:
    assert derive_state(lot("100", available, reserved, sold)) is expected


@pytest.mark.parametrize(
    "state", [LotState.DRAFT, LotState.CANCELLED, LotState.REJECTED, LotState.EXPIRED]
)
def test_explicit_states_are_not_moved_by_quantities(state: LotState) -> None:
    assert derive_state(lot("100", "0", "0", "100", state=state)) is state


def test_raising_the_total_adds_to_available() -> None:
    item = lot("100", "60", "40", "0")
    change_total(item, Decimal("150"))
    assert (item.total_quantity, item.available_quantity) == (Decimal("150"), Decimal("110"))


def test_the_total_cannot_drop_below_what_is_reserved_and_sold() -> None:
    item = lot("100", "10", "60", "30")
    with pytest.raises(FailedPrecondition) as err:
        change_total(item, Decimal("80"))
    assert err.value.reason == "INSUFFICIENT_QUANTITY"
    assert item.total_quantity == Decimal("100")


def test_settle_moves_a_fully_reserved_lot_to_reserved() -> None:
    item = lot("100", "0", "100", "0")
    settle(item)
    assert item.state is LotState.RESERVED
