"""WatchSearch messages spliced from shared bytes (grpc_api.watch_search_wire) are byte for
byte what protobuf writes for the same messages built as objects, for every caller's view of
the lot."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from availability_service.auth.principal import Principal, Role
from availability_service.domain.model import Availability, to_snapshot
from availability_service.grpc_api import watch_search_wire as search_wire
from availability_service.grpc_api.pre_serialized import pass_through
from availability_service.grpc_api.search_rpc import search_result_pb
from availability_service.intelligence import Factor
from availability_service.service_layer.search import SearchHit
from availability_service.watch.feed import WatchEvent
from tests.unit.auth.test_auth_redaction import MOMENT, SELLER, private_lot
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import watch_pb2

OWNER = Principal(subject=SELLER, company_id="sellco", roles=frozenset({Role.SELLER}))
BUYER = Principal(subject="buyer-1", company_id="buyco", roles=frozenset({Role.BUYER}))
FACTORS = [
    Factor("vector", 0.4, 0.93, 0.372),
    Factor("price", 0.2, 0.0, 0.0),
    Factor("confidence", 0.1, 1.0, 0.1),
    Factor("distance", 0.1, 0.5, 0.05),
]


def lot() -> Availability:
    """A private lot with owner-only fields (internal reference, invited buyers)."""
    return replace(private_lot(), revision=812, description="long staple, é")


def event(state: Availability) -> WatchEvent:
    return WatchEvent(
        revision=state.revision,
        availability_id=state.id,
        event_type="UPDATED",
        types=("UPDATED", "PRICE_CHANGED"),
        actor=SELLER,
        event_time=MOMENT,
        changed_fields=("base_price",),
        before=None,
        after=to_snapshot(state),
        reservation=None,
    )


def expected(
    kind: int, hit: SearchHit | None, name: str, revision: int, types: list[int], who: Principal
) -> bytes:
    change = watch_pb2.SearchChange(kind=kind, name=name, revision=revision, event_types=types)
    if hit is not None:
        change.result.CopyFrom(search_result_pb(hit, who))
    return api.WatchSearchResponse(revision=revision, changes=[change]).SerializeToString()


@pytest.mark.parametrize("who", [OWNER, BUYER], ids=["owner view", "buyer view"])
@pytest.mark.parametrize(
    ("score", "breakdown", "distance_km"),
    [
        (0.8125, FACTORS, 12.5),
        (0.0, FACTORS[:2], None),
        (-0.0, [], 0.0),
        (1.0, FACTORS[1:], None),
    ],
)
def test_a_spliced_change_is_the_message_protobuf_writes(
    who: Principal, score: float, breakdown: list[Factor], distance_km: float | None
) -> None:
    state = lot()
    hit = SearchHit(state, score, breakdown, distance_km)
    types = [watch_pb2.EVENT_TYPE_UPDATED, watch_pb2.EVENT_TYPE_PRICE_CHANGED]
    for kind in (watch_pb2.MATCH_KIND_ENTERED, watch_pb2.MATCH_KIND_LEFT):
        found = search_wire.result(search_wire.event_lot(event(state), who), hit)
        change = search_wire.change(kind, state.name, 812, search_wire.event_types(types), found)
        sent = search_wire.response(812, [change])
        assert sent.data == expected(kind, hit, state.name, 812, types, who)
        assert sent.revision == 812


def test_a_change_without_result_or_types_is_the_message_protobuf_writes() -> None:
    name = f"availabilities/{uuid.uuid4()}"
    change = search_wire.change(watch_pb2.MATCH_KIND_LEFT, name, 9, b"", None)
    assert search_wire.response(9, [change]).data == expected(
        watch_pb2.MATCH_KIND_LEFT, None, name, 9, [], BUYER
    )


def test_the_lot_is_serialised_once_per_view_and_redacted_for_others() -> None:
    happened = event(lot())
    owners = search_wire.event_lot(happened, OWNER)
    buyers = search_wire.event_lot(happened, BUYER)
    assert search_wire.event_lot(happened, OWNER) is owners
    assert search_wire.event_lot(happened, BUYER) is buyers
    assert b"PO-4711" in owners
    assert b"PO-4711" not in buyers  # the seller's internal reference is the owner's


def test_several_changes_and_large_numbers_encode_as_protobuf_does() -> None:
    state = replace(lot(), revision=2**40 + 3)
    hit = SearchHit(state, 0.5, FACTORS, 7.25)
    found = search_wire.result(search_wire.event_lot(event(state), BUYER), hit)
    changes = [
        search_wire.change(k, state.name, 2**40 + 3, b"", found)
        for k in (watch_pb2.MATCH_KIND_ENTERED, watch_pb2.MATCH_KIND_UPDATED)
    ]
    want = api.WatchSearchResponse(revision=2**40 + 3)
    for k in (watch_pb2.MATCH_KIND_ENTERED, watch_pb2.MATCH_KIND_UPDATED):
        change = want.changes.add(kind=k, name=state.name, revision=2**40 + 3)
        change.result.CopyFrom(search_result_pb(hit, BUYER))
    assert search_wire.response(2**40 + 3, changes).data == want.SerializeToString()
    assert pass_through(want) == want.SerializeToString()
    # The registered serialiser sends encoded parts and pre-encoded bytes as they are.
    assert pass_through(search_wire.response(2**40 + 3, changes)) == want.SerializeToString()
    assert pass_through(want.SerializeToString()) == want.SerializeToString()


@pytest.mark.parametrize("who", [OWNER, BUYER], ids=["owner view", "buyer view"])
def test_changes_of_one_event_for_many_criteria_are_the_messages_protobuf_writes(
    who: Principal,
) -> None:
    # The parts every criteria shares are built once per event and view, then each
    # criteria's score and breakdown are spliced in: every change must still be exact.
    state = lot()
    happened = event(state)
    types = [watch_pb2.EVENT_TYPE_UPDATED, watch_pb2.EVENT_TYPE_PRICE_CHANGED]
    encoded_types = search_wire.event_types(types)
    hits = [
        SearchHit(state, 0.8125, FACTORS, 12.5),
        SearchHit(state, 0.25, FACTORS[:2], None),
        SearchHit(state, -0.0, [], 0.0),
    ]
    for kind in (watch_pb2.MATCH_KIND_ENTERED, watch_pb2.MATCH_KIND_UPDATED, 0):
        for hit in hits:
            change = search_wire.event_change(kind, happened, who, encoded_types, hit)
            sent = search_wire.response(812, [change])
            assert sent.data == expected(kind, hit, state.name, 812, types, who)
