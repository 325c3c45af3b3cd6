"""Market visibility across Get and List: who sees which lot, and what the others get."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf import field_mask_pb2

from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

A = pb.Availability
MODES = ("PUBLIC", "PRIVATE", "RESTRICTED", "INTERNAL")


@dataclass
class Market:
    """One seller's four lots, one per visibility mode, all approved."""

    seller: Caller
    company: str
    friend: Caller  # the buyer listed on the PRIVATE lot
    lots: dict[str, pb.Availability]

    def names(self, modes: set[str]) -> set[str]:
        return {self.lots[mode].name for mode in modes}


@pytest.fixture
def market(caller: Callable[..., Caller], admin: Caller) -> Market:
    company = f"co-{uuid.uuid4().hex[:6]}"
    seller = caller("SELLER", company=company)
    friend = caller("BUYER", region="IN-GJ", company="co-friend")
    shapes = {
        "PUBLIC": {},
        "PRIVATE": {
            "market_visibility": A.MARKET_VISIBILITY_PRIVATE,
            "restricted_buyer_ids": [friend.subject],
        },
        "RESTRICTED": {
            "market_visibility": A.MARKET_VISIBILITY_RESTRICTED,
            "allowed_regions": ["IN-MH", "AE-DU"],
        },
        "INTERNAL": {"market_visibility": A.MARKET_VISIBILITY_INTERNAL},
    }
    lots = {}
    for mode, overrides in shapes.items():
        lot = seller.CreateAvailability(
            api.CreateAvailabilityRequest(availability=cotton_lot(**overrides))
        ).availability
        admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name))
        lots[mode] = lot
    return Market(seller, company, friend, lots)


# viewer -> (how to make it from the market, the modes it must see)
VIEWERS: dict[str, tuple[Callable[[Callable[..., Caller], Market], Caller], set[str]]] = {
    "owner": (lambda caller, m: m.seller, set(MODES)),
    "admin": (lambda caller, m: caller("ADMIN"), set(MODES)),
    "service": (lambda caller, m: caller("SERVICE"), set(MODES)),
    "listed buyer": (lambda caller, m: m.friend, {"PUBLIC", "PRIVATE"}),
    "buyer in an allowed region": (
        lambda caller, m: caller("BUYER", region="IN-MH", company="co-other"),
        {"PUBLIC", "RESTRICTED"},
    ),
    "buyer of the same company": (
        lambda caller, m: caller("BUYER", region="IN-GJ", company=m.company),
        {"PUBLIC", "INTERNAL"},
    ),
    "seller colleague of the same company": (
        lambda caller, m: caller("SELLER", company=m.company),
        {"PUBLIC", "INTERNAL"},
    ),
    "unlisted buyer elsewhere": (
        lambda caller, m: caller("BUYER", region="IN-GJ", company="co-other"),
        {"PUBLIC"},
    ),
    "buyer without region or company": (lambda caller, m: caller("BUYER"), {"PUBLIC"}),
    "another seller": (lambda caller, m: caller("SELLER", company="co-other"), {"PUBLIC"}),
    "trader elsewhere": (lambda caller, m: caller("TRADER", region="EU-FR"), {"PUBLIC"}),
}


def listed_names(
    viewer: Caller, seller_id: str, page_size: int = 0, page_token: str = ""
) -> tuple[set[str], str]:
    page = viewer.ListAvailabilities(
        api.ListAvailabilitiesRequest(
            seller_id=seller_id, page_size=page_size, page_token=page_token
        )
    )
    return {a.name for a in page.availabilities}, page.next_page_token


def not_found_shape(error: grpc.RpcError, name: str) -> tuple[object, ...]:
    """Everything a caller learns from a NOT_FOUND, with the asked-for name blanked out."""
    details = error_details(error)
    return (
        error.code(),
        error.details().replace(name, "<name>"),
        details["reason"],
        details["metadata"],
        details["fields"],
    )


@pytest.mark.parametrize("viewer_kind", list(VIEWERS))
def test_get_and_list_show_each_viewer_exactly_the_lots_it_may_see(
    market: Market, caller: Callable[..., Caller], viewer_kind: str
) -> None:
    make, modes = VIEWERS[viewer_kind]
    viewer = make(caller, market)
    missing_name = f"availabilities/{uuid.uuid4()}"
    with pytest.raises(grpc.RpcError) as missing:
        viewer.GetAvailability(api.GetAvailabilityRequest(name=missing_name))
    for mode, lot in market.lots.items():
        if mode in modes:
            got = viewer.GetAvailability(api.GetAvailabilityRequest(name=lot.name))
            assert got.availability.name == lot.name
            continue
        with pytest.raises(grpc.RpcError) as hidden:
            viewer.GetAvailability(api.GetAvailabilityRequest(name=lot.name))
        # A hidden lot is indistinguishable from one that never existed.
        assert not_found_shape(hidden.value, lot.name) == not_found_shape(
            missing.value, missing_name
        )
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    listed, _ = listed_names(viewer, market.seller.subject)
    assert listed == market.names(modes)


@pytest.mark.parametrize(
    "viewer_kind", ["unlisted buyer elsewhere", "listed buyer", "buyer in an allowed region"]
)
def test_a_page_token_replayed_by_another_caller_never_widens_what_it_sees(
    market: Market, caller: Callable[..., Caller], viewer_kind: str
) -> None:
    make, modes = VIEWERS[viewer_kind]
    viewer = make(caller, market)
    visible = market.names(modes)
    token = ""
    owner_tokens = []
    while True:  # the owner pages one lot at a time and hands out every token
        _, token = listed_names(market.seller, market.seller.subject, 1, token)
        if not token:
            break
        owner_tokens.append(token)
    assert len(owner_tokens) == len(MODES) - 1
    for replayed in owner_tokens:
        seen: set[str] = set()
        token = replayed
        while True:
            page, token = listed_names(viewer, market.seller.subject, 1, token)
            seen |= page
            if not token:
                break
        assert seen <= visible


def test_changing_visibility_hides_a_lot_from_those_who_lose_sight_of_it(
    market: Market, caller: Callable[..., Caller]
) -> None:
    stranger = caller("BUYER", region="IN-GJ")
    public = market.lots["PUBLIC"]
    assert stranger.GetAvailability(api.GetAvailabilityRequest(name=public.name))
    market.seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(
                name=public.name,
                market_visibility=A.MARKET_VISIBILITY_PRIVATE,
                restricted_buyer_ids=[market.friend.subject],
            ),
            update_mask=field_mask_pb2.FieldMask(
                paths=["market_visibility", "restricted_buyer_ids"]
            ),
        )
    )
    with pytest.raises(grpc.RpcError) as err:
        stranger.GetAvailability(api.GetAvailabilityRequest(name=public.name))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert market.friend.GetAvailability(api.GetAvailabilityRequest(name=public.name))


def test_a_hidden_lot_cannot_be_changed_or_approved_either(
    market: Market, caller: Callable[..., Caller]
) -> None:
    """Writes look the lot up through the same predicate: NOT_FOUND, not PERMISSION_DENIED."""
    other_seller = caller("SELLER", company="co-other")
    private = market.lots["PRIVATE"]
    with pytest.raises(grpc.RpcError) as err:
        other_seller.UpdateAvailability(
            api.UpdateAvailabilityRequest(
                availability=pb.Availability(name=private.name, description="mine"),
                update_mask=field_mask_pb2.FieldMask(paths=["description"]),
            )
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
