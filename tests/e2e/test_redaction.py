"""Fields follow ownership: per role, what each path that emits a lot shows of it.

Invitees, allowed regions, the internal reference and the review details go only to the
owner, ADMIN and SERVICE, whether the lot comes from Get, List, Search, ListSimilar, the watch
(initial state and live events) or a hold reply (docs/access.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
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


def owner_only(lot: pb.Availability) -> dict[str, Any]:
    """The owner-only fields of an emitted lot (empty values when redacted)."""
    return {
        "restricted_buyer_ids": list(lot.restricted_buyer_ids),
        "allowed_regions": list(lot.allowed_regions),
        "internal_reference": lot.internal_reference,
        "approved_by": lot.approved_by,
        "approve_time": lot.HasField("approve_time"),
        "rejected_by": lot.rejected_by,
        "reject_time": lot.HasField("reject_time"),
        "rejection_reason": lot.rejection_reason,
    }


REDACTED = owner_only(pb.Availability())


@dataclass
class Market:
    callers: dict[str, Caller]
    point: pb.LatLng
    private: str  # PRIVATE, inviting "invited buyer"
    restricted: str  # RESTRICTED to the region every caller here has
    start: int  # the revision before both were approved

    def check(self, role: str, lot: pb.Availability) -> None:
        """`lot` as emitted to `role` shows the owner-only fields exactly when it should."""
        fields = owner_only(lot)
        if role not in SEES_EVERYTHING:
            assert fields == REDACTED, (role, lot.name)
            return
        assert fields["internal_reference"].startswith("PO-")
        assert fields["approved_by"] == self.callers["admin"].subject
        assert fields["approve_time"]
        if lot.name == self.private:
            assert fields["restricted_buyer_ids"] == [self.callers["invited buyer"].subject]
        else:
            assert fields["allowed_regions"] == ["IN-GJ", "AE-DU"]


@pytest.fixture(scope="module")
def market(channel: grpc.Channel, engine: Engine) -> Iterator[Market]:
    callers = callers_per_role(channel)
    owner, admin = callers["owner"], callers["admin"]
    point = owner_posts_from_a_point_of_its_own(callers, "ZZ-REDACT")
    shapes = [
        {
            "market_visibility": A.MARKET_VISIBILITY_PRIVATE,
            "restricted_buyer_ids": [callers["invited buyer"].subject],
        },
        {
            "market_visibility": A.MARKET_VISIBILITY_RESTRICTED,
            "allowed_regions": ["IN-GJ", "AE-DU"],
        },
    ]
    names = []
    for shape in shapes:
        lot = cotton_lot(
            delivery_location=point,
            delivery_region="ZZ-REDACT",
            internal_reference="PO-4711",
            **shape,
        )
        names.append(
            owner.CreateAvailability(
                api.CreateAvailabilityRequest(availability=lot)
            ).availability.name
        )
    with engine.connect() as conn:
        start = int(conn.execute(text("SELECT value FROM revision_counter")).scalar_one())
    for name in names:
        admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
    yield Market(callers, point, names[0], names[1], start)


def visible(market: Market, role: str) -> set[str]:
    names = {market.restricted}
    if role in SEES_EVERYTHING or role == "invited buyer":
        names.add(market.private)
    return names


@pytest.mark.parametrize("role", ROLES)
def test_get_list_search_and_similar_show_owner_only_fields_only_to_the_owner_and_privileged(
    market: Market, role: str
) -> None:
    viewer = market.callers[role]
    emitted: list[pb.Availability] = []
    for name in visible(market, role):
        emitted.append(viewer.GetAvailability(api.GetAvailabilityRequest(name=name)).availability)
    listed = viewer.ListAvailabilities(
        api.ListAvailabilitiesRequest(seller_id=market.callers["owner"].subject)
    ).availabilities
    assert {lot.name for lot in listed} == visible(market, role)
    emitted += listed
    found = viewer.SearchAvailabilities(
        api.SearchAvailabilitiesRequest(
            commodity="cotton", near=market.point, radius_km=5, include_anomalies=True
        )
    ).results
    assert {r.availability.name for r in found} == visible(market, role)
    emitted += [r.availability for r in found]
    similar = viewer.ListSimilarAvailabilities(
        api.ListSimilarAvailabilitiesRequest(name=market.restricted, page_size=100)
    ).results
    emitted += [r.availability for r in similar if r.availability.name == market.private]
    for lot in emitted:
        market.check(role, lot)


def _watch(viewer: Caller, **request: Any) -> Iterator[api.WatchAvailabilitiesResponse]:
    call = viewer.stub.WatchAvailabilities(
        api.WatchAvailabilitiesRequest(**request), metadata=viewer.metadata, timeout=30
    )
    try:
        yield from call
    finally:
        call.cancel()


@pytest.mark.parametrize("role", ROLES)
def test_watch_events_show_owner_only_fields_actor_and_changes_only_to_the_owner_and_privileged(
    market: Market, role: str
) -> None:
    viewer, owner = market.callers[role], market.callers["owner"]
    initial = []
    for message in _watch(viewer, send_initial_state=True, seller_ids=[owner.subject]):
        initial += list(message.events)
        if message.bookmark.reason == watch_pb2.Bookmark.REASON_INITIAL_STATE_END:
            break
    assert {e.availability.name for e in initial} == visible(market, role)
    for event in initial:
        market.check(role, event.availability)
    # Live: the approvals since `start`, then an edit of the internal reference.
    edited = owner.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(
                name=market.restricted, internal_reference=f"PO-{uuid.uuid4().hex[:6]}"
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["internal_reference"]),
        )
    ).availability
    live = []
    for message in _watch(viewer, start_revision=market.start, seller_ids=[owner.subject]):
        live += list(message.events)
        if message.revision >= edited.revision:
            break
    approvals = [e for e in live if e.type == watch_pb2.EVENT_TYPE_APPROVED]
    assert {e.availability.name for e in approvals} == visible(market, role)
    for event in live:
        market.check(role, event.availability)
    admin = market.callers["admin"].subject
    expected_actor = admin if role in SEES_EVERYTHING else ""
    assert {e.actor for e in approvals} == {expected_actor}
    last = live[-1]
    assert last.revision == edited.revision
    # Only the owner-only field changed: others learn that the lot changed, not what.
    assert ("internal_reference" in last.changed_fields) is (role in SEES_EVERYTHING)
    assert last.actor == owner.subject  # the seller's own edits name the seller to all


def test_a_private_lot_made_public_drops_its_invitees_and_a_restricted_one_its_regions(
    seller: Caller, admin: Caller, buyer: Caller
) -> None:
    private = seller.CreateAvailability(
        api.CreateAvailabilityRequest(
            availability=cotton_lot(
                market_visibility=A.MARKET_VISIBILITY_PRIVATE,
                restricted_buyer_ids=[buyer.subject, "buyer-elsewhere"],
            )
        )
    ).availability
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=private.name))
    made_public = seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(
                name=private.name,
                market_visibility=A.MARKET_VISIBILITY_RESTRICTED,
                allowed_regions=["IN-GJ"],
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["market_visibility", "allowed_regions"]),
        )
    ).availability
    # Even the owner's copy no longer carries the old invitee list: it is gone, not hidden.
    assert list(made_public.restricted_buyer_ids) == []
    assert list(made_public.allowed_regions) == ["IN-GJ"]
    public = seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(
                name=private.name, market_visibility=A.MARKET_VISIBILITY_PUBLIC
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["market_visibility"]),
        )
    ).availability
    assert (list(public.restricted_buyer_ids), list(public.allowed_regions)) == ([], [])
    stored = admin.GetAvailability(api.GetAvailabilityRequest(name=private.name)).availability
    assert (list(stored.restricted_buyer_ids), list(stored.allowed_regions)) == ([], [])
