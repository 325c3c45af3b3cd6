"""ListAvailabilityEvents: a lot's life, oldest first, page after page, as its watchers saw it.

History serves the audit trail a watch would have delivered: visible lots only (NOT_FOUND
otherwise), each event judged for the caller like a watch of that lot (an event of a moment
the caller could not see the lot is left out), and a hold only for its seller, its buyer
and the privileged roles.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import grpc
import pytest
from google.protobuf import field_mask_pb2

from availability_service.grpc_api import history_rpc
from availability_service.service_layer import paging
from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import history_pb2, watch_pb2
from tradedesk.availability.v1 import resources_pb2 as pb

Visibility = pb.Availability.MarketVisibility


def update(caller: Caller, name: str, paths: list[str], **fields: object) -> None:
    caller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(name=name, **fields),  # type: ignore[arg-type]
            update_mask=field_mask_pb2.FieldMask(paths=paths),
        )
    )


def history(
    caller: Caller, name: str, page_size: int = 0
) -> list[list[watch_pb2.AvailabilityEvent]]:
    """Every page of the lot's history, following the tokens."""
    pages = []
    request = history_pb2.ListAvailabilityEventsRequest(parent=name, page_size=page_size)
    while True:
        response = caller.ListAvailabilityEvents(request)
        pages.append(list(response.events))
        if not response.next_page_token:
            return pages
        request.page_token = response.next_page_token


def types(events: list[watch_pb2.AvailabilityEvent]) -> list[str]:
    return [watch_pb2.EventType.Name(e.type).removeprefix("EVENT_TYPE_") for e in events]


def live_a_life(
    seller: Caller, admin: Caller, service: Caller, buyer_id: str, *, withdraw: bool = True
) -> str:
    """Post, approve, reprice, hold, release, hold again, sell part of it, withdraw the rest."""
    name: str = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot())
    ).availability.name
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
    update(seller, name, ["base_price"], base_price=pb.Money(currency_code="USD", amount="1700"))
    first = service.ReserveAvailability(
        api.ReserveAvailabilityRequest(name=name, quantity="10", buyer_id=buyer_id)
    ).reservation
    service.ReleaseReservation(api.ReleaseReservationRequest(name=first.name, reason="no deal"))
    second = service.ReserveAvailability(
        api.ReserveAvailabilityRequest(name=name, quantity="30", buyer_id=buyer_id)
    ).reservation
    service.MarkSold(api.MarkSoldRequest(name=second.name, quantity="30", trade_id="t-1"))
    if withdraw:
        seller.DeleteAvailability(api.DeleteAvailabilityRequest(name=name))
    return name


LIFE = [
    "CREATED",
    "APPROVED",
    "PRICE_CHANGED",
    "RESERVED",
    "RELEASED",
    "RESERVED",
    "SOLD",
    "CANCELLED",
]


def test_history_pages_through_a_lots_life_oldest_first(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    name = live_a_life(seller, admin, service, "buyer-h")
    pages = history(seller, name, page_size=3)
    assert [len(page) for page in pages] == [3, 3, 2]
    events = [event for page in pages for event in page]
    assert types(events) == LIFE
    revisions = [event.revision for event in events]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    assert all(event.availability.name == name for event in events)
    assert events[0].actor == seller.subject and events[1].actor == admin.subject
    assert events[3].reservation.quantity == "10"  # the owner sees the holds on its lot
    assert events[6].availability.sold_quantity == "30"
    assert events[-1].change == watch_pb2.CHANGE_KIND_DELETED


def test_a_page_is_cut_short_to_stay_under_the_message_size_and_the_rest_follows(
    seller: Caller, admin: Caller, service: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = live_a_life(seller, admin, service, "buyer-h")
    (whole,) = history(seller, name)
    # Room for about three events per message (the server runs in this process).
    monkeypatch.setattr(history_rpc, "MAX_PAGE_BYTES", 3 * whole[0].ByteSize() + 10)
    pages = history(seller, name, page_size=100)
    assert len(pages) >= 3 and all(0 < len(page) <= 3 for page in pages)
    assert [e.revision for page in pages for e in page] == [e.revision for e in whole]


def test_history_without_page_size_comes_in_one_page(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    name = live_a_life(seller, admin, service, "buyer-h")
    (page,) = history(seller, name)
    assert types(page) == LIFE


def test_a_buyer_sees_the_history_without_other_buyers_holds(
    seller: Caller, admin: Caller, service: Caller, caller: Callable[..., Caller]
) -> None:
    # Not withdrawn: a CANCELLED lot is the owner's alone, history included.
    name = live_a_life(seller, admin, service, "buyer-with-the-hold", withdraw=False)
    onlooker = caller("BUYER")
    holder = caller("BUYER", sub="buyer-with-the-hold")
    seen = [e for page in history(onlooker, name, page_size=2) for e in page]
    # The market sees the lot from its approval on (its DRAFT creation was the owner's).
    assert types(seen) == LIFE[1:-1]
    assert not any(e.HasField("reservation") for e in seen)
    mine = [e for page in history(holder, name) for e in page]
    assert [e.reservation.buyer_id for e in mine if e.HasField("reservation")] == [
        "buyer-with-the-hold"
    ] * 4
    seller.DeleteAvailability(api.DeleteAvailabilityRequest(name=name))
    with pytest.raises(grpc.RpcError) as err:
        onlooker.ListAvailabilityEvents(history_pb2.ListAvailabilityEventsRequest(parent=name))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND  # withdrawn: no longer the market's


def test_events_from_before_a_caller_could_see_the_lot_are_left_out(
    seller: Caller, admin: Caller, caller: Callable[..., Caller]
) -> None:
    invited = caller("BUYER")
    lot = cotton_lot(
        market_visibility=Visibility.MARKET_VISIBILITY_PRIVATE, restricted_buyer_ids=["nobody"]
    )
    name = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=lot)
    ).availability.name
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
    with pytest.raises(grpc.RpcError) as err:
        invited.ListAvailabilityEvents(history_pb2.ListAvailabilityEventsRequest(parent=name))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND  # not visible: never revealed
    update(seller, name, ["restricted_buyer_ids"], restricted_buyer_ids=["nobody", invited.subject])
    update(seller, name, ["description"], description="now with a description")
    seen = [e for page in history(invited, name) for e in page]
    assert types(seen) == ["VISIBILITY_CHANGED", "UPDATED"]
    assert [e.change for e in seen] == [watch_pb2.CHANGE_KIND_ADDED, watch_pb2.CHANGE_KIND_MODIFIED]
    assert types([e for page in history(seller, name) for e in page]) == [
        "CREATED",
        "APPROVED",
        "VISIBILITY_CHANGED",
        "UPDATED",
    ]


def test_history_of_an_absent_lot_is_not_found(buyer: Caller) -> None:
    with pytest.raises(grpc.RpcError) as err:
        buyer.ListAvailabilityEvents(
            history_pb2.ListAvailabilityEventsRequest(parent=f"availabilities/{uuid.uuid4()}")
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("parent", "page_size", "page_token", "field"),
    [
        ("lots/1", 0, "", "parent"),
        ("", 0, "", "parent"),
        (None, -1, "", "page_size"),
        (None, 0, "not-a-token", "page_token"),
    ],
)
def test_malformed_history_requests_are_invalid_argument_naming_the_field(
    parent: str | None, page_size: int, page_token: str, field: str, seller: Caller
) -> None:
    if parent is None:
        parent = seller.CreateAvailability(
            api.CreateAvailabilityRequest(availability=cotton_lot())
        ).availability.name
    with pytest.raises(grpc.RpcError) as err:
        seller.ListAvailabilityEvents(
            history_pb2.ListAvailabilityEventsRequest(
                parent=parent, page_size=page_size, page_token=page_token
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error_details(err.value)["fields"]


def test_a_page_token_of_one_lot_is_refused_for_another(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    first = live_a_life(seller, admin, service, "b")
    other = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot())
    ).availability.name
    token = seller.ListAvailabilityEvents(
        history_pb2.ListAvailabilityEventsRequest(parent=first, page_size=1)
    ).next_page_token
    assert token
    with pytest.raises(grpc.RpcError) as err:
        seller.ListAvailabilityEvents(
            history_pb2.ListAvailabilityEventsRequest(parent=other, page_token=token)
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_forged_token_with_an_infinite_revision_is_invalid_argument_not_internal(
    seller: Caller,
) -> None:
    # Tokens are opaque, not secret: anyone can build one with the right fingerprint. Every
    # list RPC reads positions through one codec, so no position can make a listing fail.
    name = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot())
    ).availability.name
    fingerprint = paging.fingerprint("history", name.split("/")[1])
    forged = paging.encode_token([float("inf")], fingerprint)
    with pytest.raises(grpc.RpcError) as err:
        seller.ListAvailabilityEvents(
            history_pb2.ListAvailabilityEventsRequest(parent=name, page_token=forged)
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(err.value)["fields"] == ["page_token"]
