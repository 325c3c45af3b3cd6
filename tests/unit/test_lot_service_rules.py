"""The lot use cases on the in-memory unit of work: lifecycle, etags, owners, replays.

No PostgreSQL: LotService runs on tests/support/fake_uow.py through the persistence port,
as it runs on the database in tests/e2e/test_lots.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from availability_service.auth.principal import Principal
from availability_service.domain.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RequestIdReused,
    StaleEtag,
)
from availability_service.domain.model import Availability, HoldState, LotState, Visibility
from tests.support.fake_services import (
    ADMIN,
    BUYER,
    OTHER_SELLER,
    SELLER,
    SERVICE,
    Market,
    draft,
    key,
    market,
)


@pytest.fixture
def m() -> Market:
    return market()


def test_a_created_lot_is_a_draft_of_its_seller_with_all_of_it_available(m: Market) -> None:
    lot = m.draft()
    assert (lot.state, lot.seller_id, lot.company_id) == (LotState.DRAFT, "seller-1", "acme")
    assert (lot.available_quantity, lot.reserved_quantity, lot.sold_quantity) == (100, 0, 0)
    assert lot.quantity_in_base_unit == Decimal("100000")  # enriched: canonical kg
    assert m.stored(lot).revision == lot.revision == 1
    assert m.events() == ["CREATED"]


def test_a_lot_that_breaks_a_field_rule_is_refused_and_nothing_is_written(m: Market) -> None:
    with pytest.raises(InvalidArgument) as refused:
        m.lots.create(SELLER, draft(quantity_unit="parsec"), None)
    assert "availability.quantity_unit" in str(refused.value.violations)
    assert m.uow.store.lots == {} and m.events() == []


def test_a_draft_is_hidden_from_buyers_and_other_sellers_but_not_from_its_owner(
    m: Market,
) -> None:
    lot = m.draft()
    assert m.lots.get(SELLER, lot.name).id == lot.id
    assert m.lots.get(ADMIN, lot.name).id == lot.id
    for outsider in (BUYER, OTHER_SELLER):
        with pytest.raises(NotFound):
            m.lots.get(outsider, lot.name)
    assert _all(m, BUYER) == []
    assert [x.id for x in _all(m, SELLER)] == [lot.id]


def test_approval_makes_a_draft_active_once(m: Market) -> None:
    lot = m.draft()
    approved = m.lots.approve(ADMIN, lot.name, lot.etag, None).availability
    assert approved is not None
    assert (approved.state, approved.approved_by) == (LotState.ACTIVE, "admin-1")
    assert m.lots.get(BUYER, lot.name).state is LotState.ACTIVE
    with pytest.raises(FailedPrecondition) as again:
        m.lots.approve(ADMIN, lot.name, "", None)
    assert (again.value.reason, again.value.metadata["state"]) == ("INVALID_STATE", "ACTIVE")
    assert m.events() == ["CREATED", "APPROVED"]


def test_a_stale_etag_is_refused_and_the_lot_stays_as_it_was(m: Market) -> None:
    lot = m.draft()
    m.lots.update(SELLER, lot.name, lot.etag, {"grade": "A"}, None)
    with pytest.raises(StaleEtag):
        m.lots.approve(ADMIN, lot.name, lot.etag, None)
    assert m.stored(lot).state is LotState.DRAFT
    assert m.events() == ["CREATED", "UPDATED"]


def test_rejection_needs_a_reason_and_a_rejected_lot_can_no_longer_change(m: Market) -> None:
    lot = m.draft()
    with pytest.raises(InvalidArgument):
        m.lots.reject(ADMIN, lot.name, "  ", lot.etag, None)
    rejected = m.lots.reject(ADMIN, lot.name, "price is a typo", lot.etag, None).availability
    assert rejected is not None
    assert (rejected.state, rejected.rejection_reason) == (LotState.REJECTED, "price is a typo")
    with pytest.raises(FailedPrecondition) as refused:
        m.lots.update(SELLER, lot.name, "", {"grade": "B"}, None)
    assert refused.value.reason == "INVALID_STATE"
    with pytest.raises(FailedPrecondition):
        m.lots.approve(ADMIN, lot.name, "", None)


def test_only_the_owner_or_an_admin_changes_a_lot(m: Market) -> None:
    lot = m.live()
    with pytest.raises(PermissionDenied):
        m.lots.update(OTHER_SELLER, lot.name, "", {"grade": "B"}, None)
    changed = m.lots.update(ADMIN, lot.name, "", {"grade": "B"}, None).availability
    assert changed is not None and changed.grade == "B"


def test_an_update_that_changes_nothing_writes_no_revision_and_no_event(m: Market) -> None:
    lot = m.live(grade="A")
    same = m.lots.update(SELLER, lot.name, lot.etag, {"grade": "A"}, None).availability
    assert same is not None and same.revision == lot.revision
    assert m.events() == ["CREATED", "APPROVED"]


def test_a_price_change_is_recorded_as_one_price_changed_event(m: Market) -> None:
    lot = m.live()
    m.lots.update(SELLER, lot.name, "", {"base_price_amount": Decimal("2100")}, None)
    assert m.events()[-1] == "PRICE_CHANGED"
    assert m.stored(lot).price_per_base_unit == Decimal("2100")


def test_the_total_cannot_drop_below_what_is_held_and_sold(m: Market) -> None:
    lot = m.live()
    m.reserve(lot, "60")
    with pytest.raises(FailedPrecondition) as refused:
        m.lots.update(SELLER, lot.name, "", {"total_quantity": Decimal("50")}, None)
    assert refused.value.reason == "INSUFFICIENT_QUANTITY"
    grown = m.lots.update(SELLER, lot.name, "", {"total_quantity": Decimal("150")}, None)
    assert grown.availability is not None
    assert (grown.availability.available_quantity, grown.availability.state) == (
        Decimal("90"),
        LotState.ACTIVE,
    )


def test_switching_a_private_lot_to_public_forgets_who_was_invited(m: Market) -> None:
    lot = m.draft(market_visibility=Visibility.PRIVATE, restricted_buyer_ids=["buyer-9"])
    changes = {"market_visibility": Visibility.PUBLIC}
    public = m.lots.update(SELLER, lot.name, "", changes, None).availability
    assert public is not None and public.restricted_buyer_ids == []


def test_a_lot_with_open_holds_is_deleted_only_by_force_which_withdraws_them(
    m: Market,
) -> None:
    lot = m.live()
    hold = m.reserve(lot, "30")
    with pytest.raises(FailedPrecondition) as refused:
        m.lots.delete(SELLER, lot.name, "", None)
    assert refused.value.reason == "ACTIVE_HOLDS"
    deleted = m.lots.delete(SELLER, lot.name, "", None, force=True).availability
    assert deleted is not None
    assert (deleted.state, deleted.available_quantity) == (LotState.CANCELLED, Decimal("100"))
    assert deleted.delete_time is not None
    withdrawn = m.stored_hold(hold)
    assert (withdrawn.state, withdrawn.release_reason) == (HoldState.RELEASED, "LOT_WITHDRAWN")
    assert m.events()[-2:] == ["RELEASED", "CANCELLED"]
    with pytest.raises(NotFound):
        m.lots.delete(SELLER, lot.name, "", None)


def test_a_replayed_create_returns_the_first_lot_and_writes_nothing(m: Market) -> None:
    first = m.lots.create(SELLER, draft(), key(SELLER, "r-1"))
    again = m.lots.create(SELLER, draft(), key(SELLER, "r-1"))
    assert first.availability is not None and again.availability is not None
    assert (again.replayed, again.availability.id) == (True, first.availability.id)
    assert len(m.uow.store.lots) == 1 and m.events() == ["CREATED"]
    with pytest.raises(RequestIdReused):
        m.lots.create(SELLER, draft(), key(SELLER, "r-1", payload="other"))


def test_a_refused_request_leaves_no_request_key_behind(m: Market) -> None:
    lot = m.live()
    with pytest.raises(FailedPrecondition):
        m.lots.reject(ADMIN, lot.name, "no", "", key(ADMIN, "k-1"))
    assert m.uow.store.keys == {}
    m.lots.update(SELLER, lot.name, "", {"grade": "B"}, key(SELLER, "k-2"))
    assert ("seller-1", "k-2") in m.uow.store.keys


def test_a_read_shows_an_overdue_hold_as_given_back_without_writing(m: Market) -> None:
    lot = m.live()
    hold = m.reserve(lot, "100", SERVICE)
    m.make_overdue(hold)
    seen = m.lots.get(BUYER, lot.name)
    assert (seen.state, seen.available_quantity, seen.reserved_quantity) == (
        LotState.ACTIVE,
        Decimal("100"),
        Decimal("0"),
    )
    assert seen.revision == m.stored(lot).revision
    assert m.stored(lot).state is LotState.RESERVED  # nothing written by the read
    assert m.stored_hold(hold).state is HoldState.ACTIVE


def _all(m: Market, who: Principal) -> list[Availability]:
    return m.lots.list(
        who, page_size=0, page_token="", seller_id="", commodity="", states=(), show_deleted=False
    ).availabilities
