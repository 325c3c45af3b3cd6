"""Hold arithmetic on one lot, without a database: rules, reasons and the invariant."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from availability_service.domain import expiry, lifecycle
from availability_service.domain import holds as rules
from availability_service.domain.errors import FailedPrecondition
from availability_service.domain.model import Availability, HoldState, LotState, Reservation
from availability_service.domain.quantities import check_invariant

NOW = datetime(2026, 1, 1, tzinfo=UTC)
D = Decimal


def lot(total: str = "100", **overrides: object) -> Availability:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "seller_id": "seller-1",
        "commodity": "cotton",
        "quantity_unit": "t",
        "total_quantity": D(total),
        "available_quantity": D(total),
        "state": LotState.ACTIVE,
        "create_time": NOW,
        "update_time": NOW,
    }
    values.update(overrides)
    return Availability(**values)  # type: ignore[arg-type]


def hold(target: Availability, quantity: str, ttl: timedelta = timedelta(hours=1)) -> Reservation:
    return rules.place_hold(
        target,
        quantity=D(quantity),
        buyer_id="buyer-1",
        negotiation_id="neg-1",
        expire_time=NOW + ttl,
        now=NOW,
    )


def reason_of(error: pytest.ExceptionInfo[FailedPrecondition]) -> str:
    return error.value.reason


def quantities(target: Availability) -> tuple[Decimal, Decimal, Decimal]:
    return target.available_quantity, target.reserved_quantity, target.sold_quantity


def test_a_hold_moves_quantity_from_available_to_reserved() -> None:
    target = lot()
    placed = hold(target, "30")
    assert quantities(target) == (D(70), D(30), D(0))
    assert placed.state is HoldState.ACTIVE and placed.availability_id == target.id
    assert placed.quantity_unit == "t"


def test_holding_everything_makes_the_lot_reserved_and_releasing_makes_it_active() -> None:
    target = lot()
    placed = hold(target, "100")
    assert target.state is LotState.RESERVED
    assert rules.release(target, placed, "deal off", NOW) is True
    assert target.state is LotState.ACTIVE
    assert quantities(target) == (D(100), D(0), D(0))
    assert placed.state is HoldState.RELEASED and placed.release_reason == "deal off"


def test_more_than_available_is_insufficient_quantity() -> None:
    target = lot()
    hold(target, "90")
    with pytest.raises(FailedPrecondition) as err:
        hold(target, "11")
    assert reason_of(err) == "INSUFFICIENT_QUANTITY"
    assert err.value.metadata["available_quantity"] == "10"
    assert quantities(target) == (D(10), D(90), D(0))


def test_below_the_minimum_order_is_refused_unless_it_is_the_whole_remainder() -> None:
    target = lot(min_order_quantity=D(30))
    with pytest.raises(FailedPrecondition) as err:
        hold(target, "29")
    assert reason_of(err) == "BELOW_MINIMUM_ORDER"
    hold(target, "80")  # leaving a 20 t remainder, smaller than the minimum, is allowed
    with pytest.raises(FailedPrecondition) as err:
        hold(target, "10")
    assert reason_of(err) == "BELOW_MINIMUM_ORDER"
    hold(target, "20")  # ... and that remainder may be taken whole
    assert target.available_quantity == 0


def test_a_lot_without_partial_orders_must_be_taken_whole() -> None:
    target = lot(allow_partial_order=False)
    with pytest.raises(FailedPrecondition) as err:
        hold(target, "50")
    assert reason_of(err) == "PARTIAL_NOT_ALLOWED"
    hold(target, "100")
    assert target.state is LotState.RESERVED


@pytest.mark.parametrize("state", [LotState.DRAFT, LotState.SOLD, LotState.EXPIRED])
def test_only_active_or_partly_reserved_lots_can_be_held(state: LotState) -> None:
    with pytest.raises(FailedPrecondition) as err:
        hold(lot(state=state), "1")
    assert reason_of(err) == "INVALID_STATE"


def test_a_deleted_lot_cannot_be_held() -> None:
    with pytest.raises(FailedPrecondition) as err:
        hold(lot(delete_time=NOW), "1")
    assert reason_of(err) == "INVALID_STATE"


def test_selling_part_of_a_hold_returns_the_rest_to_available() -> None:
    target = lot()
    placed = hold(target, "40")
    rules.sell_hold(target, placed, D(25), "trade-1", NOW)
    assert quantities(target) == (D(75), D(0), D(25))
    assert placed.state is HoldState.SOLD
    assert (placed.sold_quantity, placed.trade_id) == (D(25), "trade-1")


def test_selling_a_whole_hold_of_everything_makes_the_lot_sold() -> None:
    target = lot()
    placed = hold(target, "100")
    rules.sell_hold(target, placed, None, "trade-1", NOW)
    assert target.state is LotState.SOLD
    assert quantities(target) == (D(0), D(0), D(100))


def test_a_partial_sale_of_a_hold_follows_the_lot_rules() -> None:
    strict = lot(allow_partial_order=False)
    whole = hold(strict, "100")
    with pytest.raises(FailedPrecondition) as err:
        rules.sell_hold(strict, whole, D(50), "t", NOW)
    assert reason_of(err) == "PARTIAL_NOT_ALLOWED"
    minimum = lot(min_order_quantity=D(30))
    placed = hold(minimum, "40")
    with pytest.raises(FailedPrecondition) as err:
        rules.sell_hold(minimum, placed, D(10), "t", NOW)
    assert reason_of(err) == "BELOW_MINIMUM_ORDER"
    with pytest.raises(FailedPrecondition) as err:
        rules.sell_hold(minimum, placed, D(41), "t", NOW)
    assert reason_of(err) == "INSUFFICIENT_QUANTITY"


def test_released_or_expired_holds_cannot_be_sold_or_extended() -> None:
    target = lot()
    released = hold(target, "10")
    rules.release(target, released, "", NOW)
    with pytest.raises(FailedPrecondition) as err:
        rules.sell_hold(target, released, None, "t", NOW)
    assert reason_of(err) == "INVALID_STATE"
    expired = hold(target, "10")
    expiry.expire(target, expired, NOW)
    with pytest.raises(FailedPrecondition) as err:
        rules.sell_hold(target, expired, None, "t", NOW)
    assert reason_of(err) == "HOLD_EXPIRED"
    with pytest.raises(FailedPrecondition) as err:
        rules.extend(expired, NOW + timedelta(hours=1), NOW)
    assert reason_of(err) == "HOLD_EXPIRED"


def test_an_overdue_hold_is_expired_for_sale_and_extension_even_before_it_is_swept() -> None:
    target = lot()
    placed = hold(target, "10", ttl=timedelta(seconds=1))
    later = NOW + timedelta(seconds=2)
    assert expiry.is_overdue(placed, later)
    with pytest.raises(FailedPrecondition) as err:
        rules.sell_hold(target, placed, None, "t", later)
    assert reason_of(err) == "HOLD_EXPIRED"
    with pytest.raises(FailedPrecondition) as err:
        rules.extend(placed, later + timedelta(hours=1), later)
    assert reason_of(err) == "HOLD_EXPIRED"


def test_releasing_twice_is_a_no_op_and_releasing_a_sale_is_refused() -> None:
    target = lot()
    placed = hold(target, "10")
    assert rules.release(target, placed, "", NOW) is True
    assert rules.release(target, placed, "", NOW) is False
    assert quantities(target) == (D(100), D(0), D(0))
    sold = hold(target, "10")
    rules.sell_hold(target, sold, None, "t", NOW)
    with pytest.raises(FailedPrecondition) as err:
        rules.release(target, sold, "", NOW)
    assert reason_of(err) == "INVALID_STATE"


def test_a_lapsed_lot_expires_after_its_holds_are_given_back() -> None:
    target = lot(valid_until=NOW)
    placed = hold(target, "10")
    assert lifecycle.has_lapsed(target, NOW)
    with pytest.raises(ValueError):
        lifecycle.lapse(target)
    expiry.expire(target, placed, NOW)
    lifecycle.lapse(target)
    assert target.state is LotState.EXPIRED
    assert quantities(target) == (D(100), D(0), D(0))
    with pytest.raises(FailedPrecondition) as err:
        hold(target, "1")
    assert reason_of(err) == "INVALID_STATE"


def test_a_direct_sale_follows_the_same_rules_as_a_hold() -> None:
    target = lot(min_order_quantity=D(30))
    with pytest.raises(FailedPrecondition) as err:
        rules.sell_direct(target, D(5), buyer_id="b", trade_id="t", now=NOW)
    assert reason_of(err) == "BELOW_MINIMUM_ORDER"
    rules.sell_direct(target, D(100), buyer_id="b", trade_id="t", now=NOW)
    assert target.state is LotState.SOLD


# A random walk of operations: whatever succeeds or is refused, the invariant holds, and
# reserved always equals the unsold quantity of the ACTIVE holds.
operation = st.tuples(
    st.sampled_from(
        ["reserve", "release", "release_part", "sell", "sell_part", "expire", "direct", "extend"]
    ),
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=0, max_value=20),
)


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(min_value=1, max_value=200),
    minimum=st.one_of(st.none(), st.integers(min_value=1, max_value=50)),
    partial=st.booleans(),
    steps=st.lists(operation, max_size=40),
)
def test_random_operations_never_break_the_invariant(
    total: int, minimum: int | None, partial: bool, steps: list[tuple[str, int, int]]
) -> None:
    target = lot(
        str(total),
        min_order_quantity=None if minimum is None or minimum > total else D(minimum),
        allow_partial_order=partial,
    )
    placed: list[Reservation] = []
    for index, (kind, amount, pick) in enumerate(steps):
        moment = NOW + timedelta(seconds=index)
        chosen = placed[pick % len(placed)] if placed else None
        try:
            if kind == "reserve":
                placed.append(hold(target, str(amount), ttl=timedelta(seconds=amount)))
            elif kind == "direct":
                placed.append(
                    rules.sell_direct(target, D(amount), buyer_id="b", trade_id="t", now=moment)
                )
            elif chosen is None:
                continue
            elif kind == "release":
                rules.release(target, chosen, "", moment)
            elif kind == "release_part":
                rules.release_part(target, chosen, D(amount) / 4, "", moment)
            elif kind == "sell":
                rules.sell_hold(target, chosen, None, "t", moment)
            elif kind == "sell_part":
                rules.sell_hold(target, chosen, D(amount) / 4, "t", moment)
            elif kind == "expire" and expiry.is_overdue(chosen, moment):
                expiry.expire(target, chosen, moment)
            elif kind == "extend":
                rules.extend(chosen, moment + timedelta(seconds=amount), moment)
        except FailedPrecondition:
            pass
        check_invariant(target)
        active = sum(
            (h.quantity - h.sold_quantity for h in placed if h.state is HoldState.ACTIVE), D(0)
        )
        assert target.reserved_quantity == active
        # Direct sales are SOLD records too, so every sold unit has its record.
        sold = sum((h.sold_quantity for h in placed), D(0))
        assert target.sold_quantity == sold
        assert target.state in (LotState.ACTIVE, LotState.RESERVED, LotState.SOLD)
