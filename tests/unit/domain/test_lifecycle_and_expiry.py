"""The lot lifecycle (domain/lifecycle.py) and hold expiry (domain/expiry.py), without a
database: each allowed transition, each refusal with the reason the contract names, and
what time has ended on a lot at a given moment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from availability_service.domain import expiry, lifecycle
from availability_service.domain import holds as rules
from availability_service.domain.errors import FailedPrecondition
from availability_service.domain.model import Availability, HoldState, LotState
from availability_service.domain.quantities import settle
from tests.unit.domain.test_holds import NOW, hold
from tests.unit.domain.test_holds import lot as a_lot

LATER = NOW + timedelta(hours=2)


def lot(state: LotState = LotState.ACTIVE, **overrides: object) -> Availability:
    return a_lot(state=state, **overrides)


def refusal(act: object) -> tuple[str, dict[str, str]]:
    assert callable(act)
    with pytest.raises(FailedPrecondition) as refused:
        act()
    return refused.value.reason, refused.value.metadata


def test_only_a_draft_is_approved_or_rejected() -> None:
    draft = lot(LotState.DRAFT)
    lifecycle.approve(draft, "admin-1", NOW)
    assert (draft.state, draft.approved_by, draft.approve_time) == (LotState.ACTIVE, "admin-1", NOW)
    for other in (LotState.ACTIVE, LotState.REJECTED, LotState.CANCELLED, LotState.SOLD):
        assert refusal(lambda s=other: lifecycle.approve(lot(s), "admin-1", NOW)) == (
            "INVALID_STATE",
            {"state": other.value},
        )
        assert refusal(lambda s=other: lifecycle.reject(lot(s), "a", "why", NOW))[0] == (
            "INVALID_STATE"
        )
    rejected = lot(LotState.DRAFT)
    lifecycle.reject(rejected, "admin-1", "price is a typo", NOW)
    assert (rejected.state, rejected.rejection_reason) == (LotState.REJECTED, "price is a typo")


def test_a_lot_is_editable_until_it_is_sold_expired_cancelled_or_rejected() -> None:
    for state in (LotState.DRAFT, LotState.ACTIVE, LotState.RESERVED):
        lifecycle.require_editable(lot(state))
    for state in (LotState.SOLD, LotState.EXPIRED, LotState.CANCELLED, LotState.REJECTED):
        assert refusal(lambda s=state: lifecycle.require_editable(lot(s))) == (
            "INVALID_STATE",
            {"state": state.value},
        )


def test_the_quantities_move_a_live_lot_between_active_reserved_and_sold() -> None:
    target = lot()
    first = hold(target, "60")
    assert target.state is LotState.ACTIVE
    second = hold(target, "40")
    assert target.state is LotState.RESERVED
    rules.sell_hold(target, first, None, "t-1", NOW)
    rules.release(target, second, "", NOW)
    assert target.state is LotState.ACTIVE
    rules.sell_direct(target, Decimal("40"), buyer_id="b", trade_id="t-2", now=NOW)
    assert target.state is LotState.SOLD


def test_a_lot_with_open_holds_is_not_cancelled() -> None:
    target = lot()
    held = hold(target, "10")
    assert refusal(lambda: lifecycle.cancel(target, NOW))[0] == "ACTIVE_HOLDS"
    rules.release(target, held, "", NOW)
    lifecycle.cancel(target, NOW)
    assert (target.state, target.delete_time) == (LotState.CANCELLED, NOW)


def test_only_live_lots_past_valid_until_have_lapsed() -> None:
    assert lifecycle.has_lapsed(lot(valid_until=NOW), NOW)
    assert not lifecycle.has_lapsed(lot(valid_until=LATER), NOW)
    assert not lifecycle.has_lapsed(lot(LotState.DRAFT, valid_until=NOW), NOW)
    assert not lifecycle.has_lapsed(lot(valid_until=NOW, delete_time=NOW), NOW)


def test_what_has_ended_is_the_overdue_holds_only_until_the_lot_lapses() -> None:
    target = lot(valid_until=NOW + timedelta(hours=3))
    short = hold(target, "10", timedelta(hours=1))
    long = hold(target, "20", timedelta(hours=5))
    assert expiry.due_endings(target, [short, long], NOW) == []
    assert expiry.due_endings(target, [short, long], LATER) == [short]
    lapsed = NOW + timedelta(hours=4)
    assert expiry.due_endings(target, [short, long], lapsed) == [short, long, None]
    assert expiry.due_endings(target, [short, long], lapsed, lapse_lot=False) == [short]


def test_applying_every_ending_leaves_an_expired_lot_with_nothing_reserved() -> None:
    target = lot(valid_until=NOW + timedelta(hours=3))
    holds = [hold(target, "10"), hold(target, "20", timedelta(hours=5))]
    moment = NOW + timedelta(hours=4)
    for ending in expiry.due_endings(target, holds, moment):
        expiry.end(target, ending, moment)
    assert target.state is LotState.EXPIRED
    assert (target.available_quantity, target.reserved_quantity) == (100, 0)
    assert [h.state for h in holds] == [HoldState.EXPIRED, HoldState.EXPIRED]


def test_a_read_as_of_a_moment_gives_back_overdue_holds_but_leaves_the_lapse_to_a_write() -> None:
    target = lot(valid_until=NOW + timedelta(hours=3))
    held = hold(target, "100")
    assert target.state is LotState.RESERVED
    expiry.as_of(target, [held], NOW + timedelta(hours=4))
    assert (target.state, target.available_quantity) == (LotState.ACTIVE, 100)
    assert held.state is HoldState.EXPIRED


def test_nothing_can_have_ended_on_a_lot_with_nothing_held_that_has_not_lapsed() -> None:
    assert not expiry.may_have_endings(lot(valid_until=LATER), NOW)
    assert expiry.may_have_endings(lot(valid_until=NOW), NOW)
    assert not expiry.may_have_endings(lot(valid_until=NOW), NOW, lapse_lot=False)
    target = lot()
    hold(target, "1")
    assert expiry.may_have_endings(target, NOW, lapse_lot=False)
    assert expiry.holds_due_by(target, NOW) == NOW
    assert expiry.holds_due_by(lot(valid_until=NOW), NOW) is None


def test_settling_never_moves_a_lot_out_of_a_state_the_quantities_do_not_drive() -> None:
    for state in (LotState.DRAFT, LotState.EXPIRED, LotState.CANCELLED, LotState.REJECTED):
        target = lot(state)
        settle(target)
        assert target.state is state
