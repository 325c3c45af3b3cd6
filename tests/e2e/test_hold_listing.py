"""ListReservations: a negotiation engine that restarts recovers its holds; a seller reads the
holds on its own lots; everyone else is refused or sees nothing. Real server, real database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import pytest

from tests.support.callers import Caller
from tests.support.lots import approved_lot, error_details
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

Hold = pb.Reservation


def hold(service: Caller, lot: str, quantity: str, buyer: str, negotiation: str = "") -> Hold:
    return service.ReserveAvailability(
        api.ReserveAvailabilityRequest(
            name=lot, quantity=quantity, buyer_id=buyer, negotiation_id=negotiation
        )
    ).reservation


def listed(caller: Caller, **request: object) -> list[Hold]:
    """Every page of a ListReservations query, following next_page_token."""
    out: list[Hold] = []
    token = ""
    while True:
        page = caller.ListReservations(api.ListReservationsRequest(page_token=token, **request))
        out.extend(page.reservations)
        token = page.next_page_token
        if not token:
            return out


def names(holds: list[Hold]) -> list[str]:
    return [h.name for h in holds]


@dataclass
class Market:
    """Two sellers' lots with holds of two negotiations and two buyers (ids unique per test)."""

    mine: pb.Availability
    theirs: pb.Availability
    rival: Caller
    holds: list[Hold]
    neg1: str
    neg2: str
    buyer_a: str
    buyer_b: str


@pytest.fixture
def market(seller: Caller, admin: Caller, service: Caller, caller: Callable[..., Caller]) -> Market:
    tag = uuid.uuid4().hex[:8]
    neg1, neg2, buyer_a, buyer_b = (f"{kind}-{tag}" for kind in ("n1", "n2", "ba", "bb"))
    rival = caller("SELLER")
    mine = approved_lot(seller, admin)
    theirs = approved_lot(rival, admin)
    holds = [
        hold(service, mine.name, "10", buyer_a, neg1),
        hold(service, mine.name, "20", buyer_b, neg2),
        hold(service, theirs.name, "5", buyer_a, neg1),
        hold(service, mine.name, "7", buyer_a, neg1),
    ]
    return Market(mine, theirs, rival, holds, neg1, neg2, buyer_a, buyer_b)


EVERY = "availabilities/-"


def test_a_restarted_negotiation_engine_recovers_its_holds_by_negotiation_buyer_and_lot(
    service: Caller, market: Market
) -> None:
    held = market.holds
    by_negotiation = listed(service, parent=EVERY, negotiation_id=market.neg1)
    assert names(by_negotiation) == names([held[0], held[2], held[3]])  # oldest first
    assert all(h.state == Hold.STATE_ACTIVE and h.quantity_unit == "t" for h in by_negotiation)
    assert names(listed(service, parent=EVERY, buyer_id=market.buyer_b)) == [held[1].name]
    assert names(listed(service, parent=market.mine.name)) == names([held[0], held[1], held[3]])
    both = listed(
        service, parent=market.mine.name, buyer_id=market.buyer_a, negotiation_id=market.neg1
    )
    assert names(both) == names([held[0], held[3]])
    # What is listed is what the hold RPCs answered.
    assert by_negotiation[0] == held[0]


def test_pages_follow_one_another_without_gaps_or_repeats(service: Caller, market: Market) -> None:
    held = market.holds
    query = {"parent": EVERY, "negotiation_id": market.neg1, "page_size": 2}
    first = service.ListReservations(api.ListReservationsRequest(**query))
    assert names(list(first.reservations)) == names([held[0], held[2]])
    assert first.next_page_token
    rest = service.ListReservations(
        api.ListReservationsRequest(page_token=first.next_page_token, **query)
    )
    assert names(list(rest.reservations)) == [held[3].name]
    assert rest.next_page_token == ""


def test_a_page_token_is_bound_to_its_filters(service: Caller, market: Market) -> None:
    first = service.ListReservations(
        api.ListReservationsRequest(parent=EVERY, buyer_id=market.buyer_a, page_size=1)
    )
    with pytest.raises(grpc.RpcError) as err:
        service.ListReservations(
            api.ListReservationsRequest(
                parent=EVERY, buyer_id=market.buyer_b, page_token=first.next_page_token
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in error_details(err.value)["fields"]


def test_states_filter_sees_released_sold_and_overdue_holds_as_they_are_presented(
    service: Caller, market: Market
) -> None:
    held = market.holds
    service.ReleaseReservation(api.ReleaseReservationRequest(name=held[0].name))
    service.MarkSold(api.MarkSoldRequest(name=held[1].name, trade_id="t-1"))
    lot = market.mine.name
    assert names(listed(service, parent=lot, states=[Hold.STATE_ACTIVE])) == [held[3].name]
    over = listed(service, parent=lot, states=[Hold.STATE_RELEASED, Hold.STATE_SOLD])
    assert [(h.name, h.state) for h in over] == [
        (held[0].name, Hold.STATE_RELEASED),
        (held[1].name, Hold.STATE_SOLD),
    ]
    assert listed(service, parent=lot, states=[Hold.STATE_EXPIRED]) == []


def test_a_seller_lists_the_holds_on_its_own_lots_and_never_another_sellers(
    seller: Caller, market: Market
) -> None:
    held = market.holds
    assert names(listed(seller, parent=EVERY)) == names([held[0], held[1], held[3]])
    assert names(listed(market.rival, parent=EVERY)) == [held[2].name]
    # Another seller's lot is visible (PUBLIC), but its holds are not this seller's business.
    assert listed(seller, parent=market.theirs.name) == []
    assert names(listed(seller, parent=EVERY, negotiation_id=market.neg1)) == names(
        [held[0], held[3]]
    )


def test_a_buyer_is_refused_and_an_invisible_parent_is_not_found(
    buyer: Caller, caller: Callable[..., Caller], admin: Caller, service: Caller
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        buyer.ListReservations(api.ListReservationsRequest(parent="availabilities/-"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    owner, stranger = caller("SELLER"), caller("SELLER")
    private = approved_lot(
        owner,
        admin,
        market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=["buyer-z"],
    )
    hold(service, private.name, "10", "buyer-z")
    with pytest.raises(grpc.RpcError) as err:
        stranger.ListReservations(api.ListReservationsRequest(parent=private.name))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert len(listed(owner, parent=private.name)) == 1


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({}, "parent"),
        ({"parent": "lots/1"}, "parent"),
        ({"parent": "availabilities/-", "page_size": -1}, "page_size"),
        ({"parent": "availabilities/-", "page_size": 501}, "page_size"),
        ({"parent": "availabilities/-", "states": [0]}, "states[0]"),
        ({"parent": "availabilities/-", "buyer_id": "b" * 200}, "buyer_id"),
        ({"parent": "availabilities/-", "page_token": "not-a-token"}, "page_token"),
    ],
)
def test_malformed_list_requests_name_the_field(
    service: Caller, request_fields: dict[str, object], field: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        service.ListReservations(api.ListReservationsRequest(**request_fields))  # type: ignore[arg-type]
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error_details(err.value)["fields"]
