"""Visibility: the reference semantics the SQL filter must match."""

from __future__ import annotations

import pytest

from availability_service.auth.principal import Principal, Role
from availability_service.auth.visibility import can_see

SELLER = "seller-1"


def caller(
    subject: str = "buyer-1",
    company_id: str | None = "buyco",
    region: str | None = "EU",
    role: Role = Role.BUYER,
) -> Principal:
    return Principal(subject=subject, company_id=company_id, roles=frozenset({role}), region=region)


def sees(
    principal: Principal, visibility: str, company: str | None = "sellco", state: str = "ACTIVE"
) -> bool:
    return can_see(
        principal,
        lot_seller_id=SELLER,
        lot_company_id=company,
        visibility=visibility,
        restricted_buyer_ids=["buyer-1"],
        allowed_regions={"EU", "UK"},
        state=state,
    )


def test_public_lots_are_seen_by_every_authenticated_caller() -> None:
    assert sees(caller(subject="anyone", company_id=None, region=None), "PUBLIC")


def test_private_lots_are_seen_only_by_listed_buyers() -> None:
    assert sees(caller(subject="buyer-1"), "PRIVATE")
    assert not sees(caller(subject="buyer-2"), "PRIVATE")


def test_restricted_lots_are_seen_only_from_allowed_regions() -> None:
    assert sees(caller(region="UK"), "RESTRICTED")
    assert not sees(caller(region="APAC"), "RESTRICTED")
    assert not sees(caller(region=None), "RESTRICTED")


def test_internal_lots_are_seen_only_within_the_company() -> None:
    assert sees(caller(subject="colleague", company_id="sellco"), "INTERNAL")
    assert not sees(caller(company_id="buyco"), "INTERNAL")
    # Two callers without a company do not share one.
    assert not sees(caller(company_id=None), "INTERNAL", company=None)


@pytest.mark.parametrize("visibility", ["PUBLIC", "PRIVATE", "RESTRICTED", "INTERNAL", "BOGUS"])
def test_owner_admin_and_service_see_everything(visibility: str) -> None:
    for subject, role in [(SELLER, Role.SELLER), ("ops", Role.ADMIN), ("matching", Role.SERVICE)]:
        outsider = caller(subject=subject, company_id="elsewhere", region="MARS", role=role)
        assert sees(outsider, visibility, state="DRAFT")


def test_unknown_visibility_is_hidden_from_ordinary_callers() -> None:
    assert not sees(caller(subject="buyer-1", company_id="sellco", region="EU"), "BOGUS")


@pytest.mark.parametrize("state", ["ACTIVE", "RESERVED", "SOLD", "EXPIRED"])
def test_lots_that_passed_review_are_seen_by_the_market(state: str) -> None:
    assert sees(caller(), "PUBLIC", state=state)
    assert sees(caller(subject="buyer-1"), "PRIVATE", state=state)


@pytest.mark.parametrize("state", ["DRAFT", "REJECTED", "CANCELLED", "BOGUS"])
def test_lots_outside_the_market_are_hidden_from_every_other_caller(state: str) -> None:
    for visibility in ["PUBLIC", "PRIVATE", "RESTRICTED", "INTERNAL"]:
        # Even a caller every visibility admits: invited, in region, same company.
        insider = caller(subject="buyer-1", company_id="sellco", region="EU")
        assert not sees(insider, visibility, state=state)


@pytest.mark.parametrize("state", ["DRAFT", "REJECTED", "CANCELLED"])
def test_owner_admin_and_service_see_lots_outside_the_market(state: str) -> None:
    for subject, role in [(SELLER, Role.SELLER), ("ops", Role.ADMIN), ("matching", Role.SERVICE)]:
        assert sees(caller(subject=subject, role=role), "PRIVATE", state=state)
