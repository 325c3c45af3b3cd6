"""The hold use cases on the in-memory unit of work: reserve, extend, release, sell, expiry.

No PostgreSQL: HoldService (and the sweeper over it) run on tests/support/fake_uow.py
through the persistence port, as they run on the database in tests/e2e/test_holds.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from availability_service.domain.errors import FailedPrecondition, NotFound
from availability_service.domain.model import HoldState, LotState
from availability_service.service_layer.sweeper import SWEEPER_LOCK_KEY, Sweeper
from tests.support.fake_services import ADMIN, BUYER, SERVICE, Market, key, market


@pytest.fixture
def m() -> Market:
    return market()


def counts(m: Market, lot_name: str) -> tuple[Decimal, Decimal, Decimal]:
    lot = m.lots.get(ADMIN, lot_name)
    return lot.available_quantity, lot.reserved_quantity, lot.sold_quantity


def test_a_hold_moves_quantity_from_available_to_reserved(m: Market) -> None:
    lot = m.live()
    hold = m.reserve(lot, "40")
    assert (hold.state, hold.quantity, hold.buyer_id) == (HoldState.ACTIVE, 40, "buyer-1")
    assert counts(m, lot.name) == (60, 40, 0)
    m.reserve(lot, "60")
    assert m.stored(lot).state is LotState.RESERVED
    assert m.events(lot)[-2:] == ["RESERVED", "RESERVED"]


def test_a_hold_larger_than_what_is_available_is_refused_and_nothing_is_written(
    m: Market,
) -> None:
    lot = m.live()
    with pytest.raises(FailedPrecondition) as refused:
        m.reserve(lot, "101")
    assert refused.value.reason == "INSUFFICIENT_QUANTITY"
    assert m.uow.store.holds == {} and counts(m, lot.name) == (100, 0, 0)


def test_a_draft_cannot_be_held_and_is_not_found_by_those_who_may_not_see_it(
    m: Market,
) -> None:
    lot = m.draft()
    with pytest.raises(NotFound):
        m.reserve(lot, "1", BUYER)
    with pytest.raises(FailedPrecondition) as refused:
        m.reserve(lot, "1", SERVICE)
    assert (refused.value.reason, refused.value.metadata["state"]) == ("INVALID_STATE", "DRAFT")


def test_extending_a_hold_sets_a_new_expiry_with_one_updated_event(m: Market) -> None:
    lot = m.live()
    hold = m.reserve(lot, "10")
    extended = m.holds.extend(SERVICE, hold.name, timedelta(hours=2), None).reservation
    assert extended is not None and extended.expire_time > hold.expire_time
    assert m.events(lot)[-1] == "UPDATED"


def test_a_released_hold_gives_its_quantity_back_and_a_second_release_changes_nothing(
    m: Market,
) -> None:
    lot = m.live()
    hold = m.reserve(lot, "40")
    released = m.holds.release(SERVICE, hold.name, "deal off", None).reservation
    assert released is not None and released.state is HoldState.RELEASED
    assert counts(m, lot.name) == (100, 0, 0)
    before = len(m.events())
    m.holds.release(SERVICE, hold.name, "again", None)
    assert len(m.events()) == before


def test_a_partial_release_keeps_the_rest_held(m: Market) -> None:
    lot = m.live()
    hold = m.reserve(lot, "40")
    smaller = m.holds.release(SERVICE, hold.name, "", None, quantity="15").reservation
    assert smaller is not None
    assert (smaller.state, smaller.quantity) == (HoldState.ACTIVE, 25)
    assert counts(m, lot.name) == (75, 25, 0)


def test_selling_a_whole_hold_sells_the_lot_out_when_nothing_else_is_left(m: Market) -> None:
    lot = m.live()
    hold = m.reserve(lot, "100")
    sold = m.holds.mark_sold(SERVICE, hold.name, "", "trade-1", "", None).reservation
    assert sold is not None and (sold.state, sold.trade_id) == (HoldState.SOLD, "trade-1")
    assert m.stored(lot).state is LotState.SOLD
    assert counts(m, lot.name) == (0, 0, 100)


def test_selling_part_of_a_hold_gives_the_unsold_rest_back(m: Market) -> None:
    lot = m.live()
    hold = m.reserve(lot, "40")
    m.holds.mark_sold(SERVICE, hold.name, "30", "trade-1", "buyer-1", None)
    assert counts(m, lot.name) == (70, 0, 30)


def test_one_buyer_never_consumes_another_buyers_hold(m: Market) -> None:
    lot = m.live()
    hold = m.reserve(lot, "40", buyer_id="buyer-1")
    with pytest.raises(FailedPrecondition) as refused:
        m.holds.mark_sold(SERVICE, hold.name, "", "trade-1", "buyer-2", None)
    assert refused.value.reason == "BUYER_MISMATCH"
    assert m.stored_hold(hold).state is HoldState.ACTIVE


def test_a_direct_sale_sells_available_quantity_with_a_record_of_its_own(m: Market) -> None:
    lot = m.live()
    sale = m.holds.mark_sold(SERVICE, lot.name, "25", "trade-9", "buyer-3", None).reservation
    assert sale is not None and sale.direct_sale and sale.state is HoldState.SOLD
    assert counts(m, lot.name) == (75, 0, 25)
    assert m.events(lot)[-1] == "SOLD"


def test_an_overdue_hold_is_expired_by_the_next_write_with_its_own_event_first(
    m: Market,
) -> None:
    lot = m.live()
    hold = m.reserve(lot, "100")
    m.make_overdue(hold)
    m.reserve(lot, "10")
    assert m.stored_hold(hold).state is HoldState.EXPIRED
    assert m.events(lot)[-2:] == ["EXPIRED", "RESERVED"]
    assert counts(m, lot.name) == (90, 10, 0)


def test_an_expired_hold_cannot_be_sold_or_extended_and_its_release_is_a_no_op(
    m: Market,
) -> None:
    lot = m.live()
    hold = m.reserve(lot, "40")
    m.make_overdue(hold)
    for act in (
        lambda: m.holds.mark_sold(SERVICE, hold.name, "", "t", "", None),
        lambda: m.holds.extend(SERVICE, hold.name, None, None),
    ):
        with pytest.raises(FailedPrecondition) as refused:
            act()
        assert refused.value.reason == "HOLD_EXPIRED"
    assert m.stored_hold(hold).state is HoldState.ACTIVE  # refusals roll the expiry back
    m.holds.release(SERVICE, hold.name, "late", None)
    assert m.stored_hold(hold).state is HoldState.EXPIRED
    assert m.events(lot)[-1] == "EXPIRED"


def test_the_sweeper_expires_overdue_holds_and_lapsed_lots_one_lot_at_a_time(
    m: Market,
) -> None:
    held = m.live()
    hold = m.reserve(held, "40")
    m.make_overdue(hold)
    lapsing = m.live(valid_until=datetime.now(UTC) + timedelta(hours=1))
    still_held = m.reserve(lapsing, "5")
    m.uow.store.lots[lapsing.id].valid_until = datetime.now(UTC) - timedelta(seconds=1)
    sweeper = Sweeper(m.uow, m.holds)
    assert sweeper.sweep_once() == 3
    assert m.stored_hold(hold).state is HoldState.EXPIRED
    assert m.stored_hold(still_held).state is HoldState.EXPIRED  # not due, but its lot lapsed
    assert m.stored(lapsing).state is LotState.EXPIRED
    assert m.events(lapsing)[-2:] == ["EXPIRED", "EXPIRED"]
    assert sweeper.sweep_once() == 0


def test_the_sweeper_stands_aside_while_another_process_has_the_turn(m: Market) -> None:
    lot = m.live()
    hold = m.reserve(lot, "40")
    m.make_overdue(hold)
    m.uow.store.turns_elsewhere.add(SWEEPER_LOCK_KEY)
    assert Sweeper(m.uow, m.holds).sweep_once() is None
    assert m.stored_hold(hold).state is HoldState.ACTIVE


def test_a_replayed_reserve_returns_the_first_hold_and_holds_nothing_more(m: Market) -> None:
    lot = m.live()
    first = m.reserve(lot, "10", key=key(SERVICE, "r-1"))
    again = m.reserve(lot, "10", key=key(SERVICE, "r-1"))
    assert again.id == first.id
    assert len(m.uow.store.holds) == 1 and counts(m, lot.name) == (90, 10, 0)


def test_a_hold_read_shows_an_overdue_hold_as_expired(m: Market) -> None:
    lot = m.live()
    hold = m.reserve(lot, "40")
    m.make_overdue(hold)
    assert m.holds.get(SERVICE, hold.name).state is HoldState.EXPIRED
    with pytest.raises(NotFound):
        m.holds.get(SERVICE, hold.name.replace(str(lot.id), str(m.draft().id)))
