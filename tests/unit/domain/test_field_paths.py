"""Storage columns become contract field paths, and each change gets every type that applies."""

from __future__ import annotations

from availability_service.domain.field_paths import field_paths
from availability_service.domain.model import AVAILABILITY_FIELDS, EventType
from availability_service.service_layer.changes import event_types
from tradedesk.availability.v1 import resources_pb2 as pb

PROTO_FIELDS = set(pb.Availability.DESCRIPTOR.fields_by_name)


def test_every_stored_column_maps_to_a_field_of_the_contract() -> None:
    for column in AVAILABILITY_FIELDS:
        [path] = field_paths([column])
        assert path.split(".")[0] in PROTO_FIELDS, f"{column} -> {path}"


def test_columns_stored_apart_map_to_their_one_field() -> None:
    assert field_paths(["base_price_amount", "base_price_currency"]) == ["base_price"]
    assert field_paths(["latitude", "longitude"]) == ["delivery_location"]


def test_a_quality_map_names_each_changed_key() -> None:
    before = {"quality_params": {"staple_length": {"number": 29.0}, "micronaire": {"number": 4}}}
    after = {"quality_params": {"staple_length": {"number": 30.0}, "micronaire": {"number": 4}}}
    assert field_paths(["quality_params"], before, after) == ["quality_params.staple_length"]
    added = {"quality_params": {**after["quality_params"], "trash": {"number": 2}}}
    assert field_paths(["quality_params"], after, added) == ["quality_params.trash"]


def test_hold_changes_are_also_quantity_changes() -> None:
    moved = ["available_quantity", "reserved_quantity", "state"]
    for primary in (EventType.RESERVED, EventType.RELEASED, EventType.SOLD, EventType.EXPIRED):
        assert event_types(primary, moved) == [primary, EventType.QUANTITY_CHANGED]
    # A hold extension moves no quantity.
    assert event_types(EventType.UPDATED, []) == [EventType.UPDATED]


def test_an_update_carries_every_kind_it_changed_primary_first() -> None:
    fields = ["base_price_amount", "market_visibility", "description"]
    assert event_types(EventType.VISIBILITY_CHANGED, fields) == [
        EventType.VISIBILITY_CHANGED,
        EventType.PRICE_CHANGED,
        EventType.UPDATED,
    ]
    # Derived columns (scores, state) alone do not make a price update UPDATED as well.
    derived = ["base_price_amount", "ai_price_anomaly", "price_per_base_unit"]
    assert event_types(EventType.PRICE_CHANGED, derived) == [EventType.PRICE_CHANGED]


def test_lifecycle_events_add_only_what_their_fields_show() -> None:
    assert event_types(EventType.APPROVED, ["state", "approved_by"]) == [EventType.APPROVED]
    assert event_types(EventType.CREATED, []) == [EventType.CREATED]
