"""Exposure follows the lifecycle: role x lot state x RPC, over a real server and database.

The owner, ADMIN and SERVICE see a lot in every state; everyone else only once it passed
review (ACTIVE, RESERVED, SOLD, EXPIRED), and then as its market visibility allows. Every
read RPC answers by the same rule (docs/access.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import Engine, text

from tests.support.callers import Caller
from tests.support.lots import cotton_lot
from tests.support.roles import (
    ROLES,
    SEES_EVERYTHING,
    callers_per_role,
    owner_posts_from_a_point_of_its_own,
)
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2

A = pb.Availability
STATES = ["DRAFT", "ACTIVE", "RESERVED", "SOLD", "EXPIRED", "REJECTED", "CANCELLED"]
MARKET_STATES = {"ACTIVE", "RESERVED", "SOLD", "EXPIRED"}
VISIBILITIES = ["PUBLIC", "PRIVATE"]


def sees(role: str, state: str, visibility: str) -> bool:
    """The rule under test, stated independently of the code."""
    if role in SEES_EVERYTHING:
        return True
    return state in MARKET_STATES and (visibility == "PUBLIC" or role == "invited buyer")


@dataclass
class Exposure:
    """One seller's lots in every state, public and private (inviting one buyer)."""

    callers: dict[str, Caller]
    point: pb.LatLng
    lots: dict[tuple[str, str], str] = field(default_factory=dict)

    def deleted(self) -> set[str]:
        return {self.lots[("CANCELLED", visibility)] for visibility in VISIBILITIES}

    def expected(self, role: str, states: set[str] | None = None) -> set[str]:
        return {
            name
            for (state, visibility), name in self.lots.items()
            if sees(role, state, visibility) and (states is None or state in states)
        }


def _timestamp(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def _wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def exposure(channel: grpc.Channel) -> Iterator[Exposure]:
    callers = callers_per_role(channel)
    owner, admin, service = callers["owner"], callers["admin"], callers["service"]
    point = owner_posts_from_a_point_of_its_own(callers, "ZZ-EXPOSURE")
    found = Exposure(callers, point)
    soon = _timestamp(datetime.now(UTC) + timedelta(seconds=3))
    for state in STATES:
        for visibility in VISIBILITIES:
            lot = cotton_lot(delivery_location=point, delivery_region="ZZ-EXPOSURE")
            if visibility == "PRIVATE":
                lot.market_visibility = A.MARKET_VISIBILITY_PRIVATE
                lot.restricted_buyer_ids.append(callers["invited buyer"].subject)
            if state == "EXPIRED":
                lot.valid_until.CopyFrom(soon)
            name = owner.CreateAvailability(
                api.CreateAvailabilityRequest(availability=lot)
            ).availability.name
            found.lots[(state, visibility)] = name
            if state == "REJECTED":
                admin.RejectAvailability(api.RejectAvailabilityRequest(name=name, reason="no"))
            elif state != "DRAFT":
                admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
            if state == "RESERVED":
                service.ReserveAvailability(
                    api.ReserveAvailabilityRequest(name=name, quantity="100", buyer_id="b-1")
                )
            elif state == "SOLD":
                service.MarkSold(
                    api.MarkSoldRequest(name=name, quantity="100", trade_id="t-1", buyer_id="b-1")
                )
            elif state == "CANCELLED":
                owner.DeleteAvailability(api.DeleteAvailabilityRequest(name=name))

    def state_of(name: str) -> int:
        return int(owner.GetAvailability(api.GetAvailabilityRequest(name=name)).availability.state)

    for (state, _), name in found.lots.items():
        _wait_for(lambda n=name, s=state: state_of(n) == A.State.Value(f"STATE_{s}"))
    yield found


def visible_by_get(viewer: Caller, name: str) -> bool:
    try:
        viewer.GetAvailability(api.GetAvailabilityRequest(name=name))
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND
        return False
    return True


@pytest.mark.parametrize("role", ROLES)
def test_get_answers_exactly_the_lots_each_role_may_see(exposure: Exposure, role: str) -> None:
    viewer = exposure.callers[role]
    got = {name for name in exposure.lots.values() if visible_by_get(viewer, name)}
    assert got == exposure.expected(role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", [*STATES, None])
def test_list_with_and_without_a_states_filter_lists_only_what_each_role_may_see(
    exposure: Exposure, role: str, state: str | None
) -> None:
    request = api.ListAvailabilitiesRequest(
        seller_id=exposure.callers["owner"].subject, show_deleted=True, page_size=100
    )
    if state is not None:
        request.states.append(A.State.Value(f"STATE_{state}"))
    page = exposure.callers[role].ListAvailabilities(request)
    listed = {lot.name for lot in page.availabilities}
    assert listed == exposure.expected(role, None if state is None else {state})


@pytest.mark.parametrize("role", ROLES)
def test_search_finds_only_active_lots_each_role_may_see(exposure: Exposure, role: str) -> None:
    response = exposure.callers[role].SearchAvailabilities(
        api.SearchAvailabilitiesRequest(
            commodity="cotton",
            near=exposure.point,
            radius_km=5,
            include_anomalies=True,
            page_size=100,
        )
    )
    found = {r.availability.name for r in response.results}
    assert found == exposure.expected(role, {"ACTIVE"})


@pytest.mark.parametrize("role", ROLES)
def test_a_standing_search_holds_only_active_lots_each_role_may_see(
    exposure: Exposure, role: str
) -> None:
    """WatchSearch's initial state is the search's result for the same caller."""
    viewer = exposure.callers[role]
    search = api.SearchAvailabilitiesRequest(
        commodity="cotton", near=exposure.point, radius_km=5, include_anomalies=True
    )
    call = viewer.stub.WatchSearch(
        api.WatchSearchRequest(search=search, send_initial_state=True),
        metadata=viewer.metadata,
        timeout=30,
    )
    names = set()
    try:
        for message in call:
            names |= {change.name for change in message.changes}
            if message.bookmark.reason == watch_pb2.Bookmark.REASON_INITIAL_STATE_END:
                break
    finally:
        call.cancel()
    assert names == exposure.expected(role, {"ACTIVE"})


@pytest.mark.parametrize("role", ROLES)
def test_similar_and_readiness_answer_only_for_sources_each_role_may_see(
    exposure: Exposure, role: str
) -> None:
    viewer = exposure.callers[role]
    # A deleted (CANCELLED) lot is NOT_FOUND to these two for everyone, its owner included.
    visible = exposure.expected(role) - exposure.deleted()
    for name in exposure.lots.values():
        for call in (
            lambda n=name: viewer.ListSimilarAvailabilities(
                api.ListSimilarAvailabilitiesRequest(name=n, page_size=100)
            ),
            lambda n=name: viewer.GetNegotiationReadiness(
                api.GetNegotiationReadinessRequest(name=n)
            ),
        ):
            if name in visible:
                call()
                continue
            with pytest.raises(grpc.RpcError) as hidden:
                call()
            assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    source = exposure.lots[("ACTIVE", "PUBLIC")]
    similar = viewer.ListSimilarAvailabilities(
        api.ListSimilarAvailabilitiesRequest(name=source, page_size=100)
    ).results
    names = {r.availability.name for r in similar}
    assert not names & (set(exposure.lots.values()) - visible)


@pytest.mark.parametrize("role", ROLES)
def test_the_watch_initial_state_holds_only_lots_each_role_may_see(
    exposure: Exposure, role: str
) -> None:
    owner = exposure.callers["owner"].subject
    call = exposure.callers[role].stub.WatchAvailabilities(
        api.WatchAvailabilitiesRequest(send_initial_state=True, seller_ids=[owner]),
        metadata=exposure.callers[role].metadata,
        timeout=30,
    )
    names = set()
    try:
        for message in call:
            names |= {event.availability.name for event in message.events}
            if message.bookmark.reason == watch_pb2.Bookmark.REASON_INITIAL_STATE_END:
                break
    finally:
        call.cancel()
    assert names == exposure.expected(role) - exposure.deleted()


@pytest.mark.parametrize("role", ROLES)
def test_only_privileged_roles_reach_the_hold_rpcs_and_they_see_every_state(
    exposure: Exposure, role: str
) -> None:
    name = exposure.lots[("DRAFT", "PUBLIC")]
    with pytest.raises(grpc.RpcError) as refused:
        exposure.callers[role].ReserveAvailability(
            api.ReserveAvailabilityRequest(name=name, quantity="1", buyer_id="b-1")
        )
    expected = (
        grpc.StatusCode.FAILED_PRECONDITION  # found, but a draft cannot be held
        if role in {"admin", "service"}
        else grpc.StatusCode.PERMISSION_DENIED
    )
    assert refused.value.code() == expected


def test_a_watching_buyer_gets_a_lot_when_it_is_approved_and_loses_it_when_cancelled(
    seller: Caller, admin: Caller, buyer: Caller, engine: Engine
) -> None:
    with engine.connect() as conn:
        start = int(conn.execute(text("SELECT value FROM revision_counter")).scalar_one())
    call = buyer.stub.WatchAvailabilities(
        api.WatchAvailabilitiesRequest(start_revision=start, seller_ids=[seller.subject]),
        metadata=buyer.metadata,
        timeout=30,
    )
    approved = seller.CreateAvailability(api.CreateAvailabilityRequest(availability=cotton_lot()))
    refused = seller.CreateAvailability(api.CreateAvailabilityRequest(availability=cotton_lot()))
    admin.RejectAvailability(
        api.RejectAvailabilityRequest(name=refused.availability.name, reason="wrong grade")
    )
    name = approved.availability.name
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
    seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(name=name, description="now with photos"),
            update_mask=field_mask_pb2.FieldMask(paths=["description"]),
        )
    )
    last = seller.DeleteAvailability(api.DeleteAvailabilityRequest(name=name)).availability
    seen = []
    try:
        for message in call:
            seen += [(e.availability.name, e.type, e.change) for e in message.events]
            if message.revision >= last.revision:
                break
    finally:
        call.cancel()
    # The drafts' creation and the rejection are never the buyer's business.
    assert seen == [
        (name, watch_pb2.EVENT_TYPE_APPROVED, watch_pb2.CHANGE_KIND_ADDED),
        (name, watch_pb2.EVENT_TYPE_UPDATED, watch_pb2.CHANGE_KIND_MODIFIED),
        (name, watch_pb2.EVENT_TYPE_CANCELLED, watch_pb2.CHANGE_KIND_DELETED),
    ]


def test_a_material_edit_of_an_approved_lot_keeps_it_approved_and_in_the_market(
    seller: Caller, admin: Caller, buyer: Caller
) -> None:
    """The chosen rule (docs/access.md): approval is not re-run on edits; the UPDATED and
    PRICE_CHANGED events are the operators' record of what changed after it."""
    name = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot())
    ).availability.name
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
    edit = pb.Availability(
        name=name,
        grade="31-3",
        total_quantity="250",
        base_price=pb.Money(currency_code="USD", amount="1900"),
    )
    edit.quality_params["staple_length"].number = 30.5
    edit.quality_params["staple_length"].unit = "mm"
    seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=edit,
            update_mask=field_mask_pb2.FieldMask(
                paths=["grade", "total_quantity", "base_price", "quality_params"]
            ),
        )
    )
    seen = buyer.GetAvailability(api.GetAvailabilityRequest(name=name)).availability
    assert (seen.state, seen.grade, seen.total_quantity) == (A.STATE_ACTIVE, "31-3", "250")
    owned = seller.GetAvailability(api.GetAvailabilityRequest(name=name)).availability
    assert owned.approved_by == admin.subject
