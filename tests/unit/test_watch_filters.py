"""The watch filter and per-watcher change kinds, on plain lot snapshots."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from google.protobuf import duration_pb2

from availability_service.auth.principal import Principal, Role
from availability_service.domain.errors import InvalidArgument
from availability_service.domain.model import EventType
from availability_service.grpc_api.watch_input import parse_request
from availability_service.watch.filters import (
    ChangeKind,
    WatchFilter,
    change_kind,
)
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import watch_pb2

LOT_ID = uuid.uuid4()
BUYER = Principal("buyer-1", roles=frozenset({Role.BUYER}), region="IN-GJ")
ADMIN = Principal("admin-1", roles=frozenset({Role.ADMIN}))


def snap(**overrides: Any) -> dict[str, Any]:
    lot: dict[str, Any] = {
        "id": str(LOT_ID),
        "seller_id": "seller-1",
        "company_id": "co-1",
        "commodity": "cotton",
        "delivery_region": "IN-GJ",
        "market_visibility": "PUBLIC",
        "state": "ACTIVE",
        "restricted_buyer_ids": [],
        "allowed_regions": [],
        "delete_time": None,
    }
    lot.update(overrides)
    return lot


def kind(
    flt: WatchFilter,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    who: Principal = BUYER,
    event_type: str = "UPDATED",
) -> ChangeKind | None:
    return change_kind(flt, who, (event_type,), before, after)


def test_a_new_matching_lot_is_added() -> None:
    assert kind(WatchFilter(), None, snap(), event_type="CREATED") is ChangeKind.ADDED


def test_a_new_draft_is_not_sent_to_a_buyer_but_is_to_an_admin() -> None:
    draft = snap(state="DRAFT")
    assert kind(WatchFilter(), None, draft, event_type="CREATED") is None
    assert kind(WatchFilter(), None, draft, ADMIN, event_type="CREATED") is ChangeKind.ADDED


def test_an_approved_draft_is_added_for_a_buyer_and_a_cancelled_lot_deleted() -> None:
    draft, active = snap(state="DRAFT"), snap(state="ACTIVE")
    assert kind(WatchFilter(), draft, active, event_type="APPROVED") is ChangeKind.ADDED
    cancelled = snap(state="CANCELLED", delete_time="2026-01-01T00:00:00+00:00")
    assert kind(WatchFilter(), active, cancelled, event_type="CANCELLED") is ChangeKind.DELETED
    # A rejected draft was never the buyer's business: no event at all.
    assert kind(WatchFilter(), draft, snap(state="REJECTED"), event_type="REJECTED") is None


def test_a_lot_matching_before_and_after_is_modified() -> None:
    assert kind(WatchFilter(), snap(), snap(grade="x")) is ChangeKind.MODIFIED


def test_a_lot_made_private_is_deleted_for_a_buyer_but_modified_for_an_admin() -> None:
    private = snap(market_visibility="PRIVATE", restricted_buyer_ids=["other"])
    assert kind(WatchFilter(), snap(), private) is ChangeKind.DELETED
    assert kind(WatchFilter(), private, snap()) is ChangeKind.ADDED
    assert kind(WatchFilter(), snap(), private, who=ADMIN) is ChangeKind.MODIFIED


def test_a_cancelled_lot_is_deleted_even_for_an_admin() -> None:
    gone = snap(delete_time="2026-01-01T00:00:00+00:00")
    assert kind(WatchFilter(), snap(), gone, who=ADMIN) is ChangeKind.DELETED


def test_an_event_of_a_lot_that_never_matched_is_not_sent() -> None:
    flt = WatchFilter(commodities=frozenset({"wheat"}))
    assert kind(flt, snap(), snap(grade="y")) is None


def test_filters_combine_with_and_and_values_within_a_filter_with_or() -> None:
    flt = WatchFilter(
        commodities=frozenset({"cotton", "wheat"}), delivery_regions=frozenset({"in-mh"})
    )
    assert not flt.matches_lot(snap())
    assert flt.matches_lot(snap(delivery_region="IN-MH"))
    assert flt.matches_lot(snap(commodity="Wheat", delivery_region="IN-MH"))
    assert not flt.matches_lot(snap(commodity="gold", delivery_region="IN-MH"))


def test_a_lot_moving_out_of_the_region_filter_is_deleted() -> None:
    flt = WatchFilter(delivery_regions=frozenset({"in-gj"}))
    assert kind(flt, snap(), snap(delivery_region="IN-MH")) is ChangeKind.DELETED


def test_the_event_type_filter_drops_other_types() -> None:
    flt = WatchFilter(event_types=frozenset({EventType.PRICE_CHANGED}))
    assert kind(flt, snap(), snap(), event_type="PRICE_CHANGED") is ChangeKind.MODIFIED
    assert kind(flt, snap(), snap(), event_type="UPDATED") is None


def test_the_name_filter_follows_only_the_named_lots() -> None:
    flt = WatchFilter(lot_ids=frozenset({LOT_ID}))
    assert flt.matches_lot(snap())
    assert not flt.matches_lot(snap(id=str(uuid.uuid4())))


def test_a_valid_request_is_parsed_into_a_filter() -> None:
    parsed = parse_request(
        api.WatchAvailabilitiesRequest(
            commodities=["Cotton"],
            seller_ids=["s-1"],
            names=[f"availabilities/{LOT_ID}"],
            event_types=[watch_pb2.EVENT_TYPE_SOLD],
            start_revision=7,
            progress_notify_interval=duration_pb2.Duration(seconds=2),
        )
    )
    assert parsed.filter.commodities == {"cotton"}
    assert parsed.filter.lot_ids == {LOT_ID}
    assert parsed.filter.event_types == {EventType.SOLD}
    assert (parsed.start_revision, parsed.progress_seconds) == (7, 2.0)


def test_every_event_type_of_the_contract_maps_to_a_domain_event_type() -> None:
    numbers = [v.number for v in watch_pb2.EventType.DESCRIPTOR.values if v.number]
    parsed = parse_request(api.WatchAvailabilitiesRequest(event_types=numbers))
    assert parsed.filter.event_types == set(EventType)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"start_revision": -3}, "start_revision"),
        ({"event_types": [42]}, "event_types[0]"),
        ({"names": ["availabilities/nope"]}, "names[0]"),
        ({"seller_ids": ["ok", " "]}, "seller_ids[1]"),
        ({"delivery_regions": ["r" * 300]}, "delivery_regions[0]"),
        (
            {"progress_notify_interval": duration_pb2.Duration(seconds=7200)},
            "progress_notify_interval",
        ),
    ],
)
def test_bad_requests_name_every_bad_field(fields: dict[str, Any], bad: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_request(api.WatchAvailabilitiesRequest(**fields))
    assert bad in [v.field for v in err.value.violations]
