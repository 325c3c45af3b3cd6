"""Redaction: which fields of a lot each caller reads (auth.visibility.redact)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from availability_service.auth.principal import Principal, Role
from availability_service.auth.visibility import OWNER_ONLY_FIELDS, redact
from availability_service.domain.model import Availability, LotState, Visibility

SELLER = "seller-1"
MOMENT = datetime(2026, 1, 2, tzinfo=UTC)


def private_lot() -> Availability:
    return Availability(
        id=uuid.uuid4(),
        seller_id=SELLER,
        company_id="sellco",
        commodity="cotton",
        quantity_unit="t",
        total_quantity=Decimal(100),
        available_quantity=Decimal(100),
        state=LotState.ACTIVE,
        create_time=MOMENT,
        update_time=MOMENT,
        market_visibility=Visibility.PRIVATE,
        restricted_buyer_ids=["buyer-1", "buyer-2"],
        allowed_regions=["EU"],
        internal_reference="PO-4711",
        approved_by="ops-1",
        approve_time=MOMENT,
        rejected_by="ops-0",
        reject_time=MOMENT,
        rejection_reason="first draft was wrong",
        description="long staple",
        tags=["organic"],
        incoterm="FOB",
    )


def who(subject: str, role: Role, company: str | None = None) -> Principal:
    return Principal(subject=subject, company_id=company, roles=frozenset({role}), region="EU")


@pytest.mark.parametrize(
    "viewer",
    [who(SELLER, Role.SELLER), who("ops-2", Role.ADMIN), who("matching", Role.SERVICE)],
    ids=["owner", "admin", "service"],
)
def test_owner_admin_and_service_read_every_field(viewer: Principal) -> None:
    lot = private_lot()
    assert redact(viewer, lot) is lot


@pytest.mark.parametrize(
    "viewer",
    [
        who("buyer-1", Role.BUYER),  # invited
        who("buyer-9", Role.BUYER),
        who("seller-2", Role.SELLER),
        who("trader-1", Role.TRADER),
        who("colleague", Role.SELLER, company="sellco"),  # same company, not the owner
    ],
    ids=["invited-buyer", "buyer", "other-seller", "trader", "colleague"],
)
def test_other_callers_read_no_owner_only_field(viewer: Principal) -> None:
    lot = private_lot()
    shown = redact(viewer, lot)
    assert shown.restricted_buyer_ids == []
    assert shown.allowed_regions == []
    assert shown.internal_reference == ""
    assert (shown.approved_by, shown.approve_time) == ("", None)
    assert (shown.rejected_by, shown.reject_time, shown.rejection_reason) == ("", None, "")
    # What a buyer needs to trade stays.
    assert (shown.seller_id, shown.description, shown.tags, shown.incoterm) == (
        SELLER,
        "long staple",
        ["organic"],
        "FOB",
    )
    assert shown.market_visibility is Visibility.PRIVATE


def test_redaction_leaves_the_stored_lot_alone_and_shares_no_list() -> None:
    lot = private_lot()
    first = redact(who("buyer-1", Role.BUYER), lot)
    second = redact(who("buyer-2", Role.BUYER), lot)
    first.restricted_buyer_ids.append("x")
    assert second.restricted_buyer_ids == []
    assert lot.restricted_buyer_ids == ["buyer-1", "buyer-2"]
    assert lot.internal_reference == "PO-4711"


def test_every_owner_only_field_is_a_field_of_the_lot() -> None:
    # A renamed column must not silently fall out of the redaction.
    lot = private_lot()
    shown = redact(who("buyer-9", Role.BUYER), lot)
    for name in OWNER_ONLY_FIELDS:
        assert getattr(lot, name), name  # the fixture sets every one...
        assert not getattr(shown, name), name  # ...and redaction clears every one
