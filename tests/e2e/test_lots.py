"""Lots end to end: a real channel to a real server on real PostgreSQL."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import Engine, func, select, text

from availability_service.storage.tables import events, idempotency_keys
from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

State = pb.Availability


def create(caller: Caller, **overrides: object) -> pb.Availability:
    return caller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(**overrides))
    ).availability


def event_count(engine: Engine, name: str) -> int:
    lot_id = uuid.UUID(name.split("/")[1])
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(events).where(events.c.availability_id == lot_id)
            ).scalar_one()
        )


def event_types(engine: Engine, name: str) -> list[str]:
    lot_id = uuid.UUID(name.split("/")[1])
    with engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                select(events.c.event_type)
                .where(events.c.availability_id == lot_id)
                .order_by(events.c.revision)
            )
        ]


def test_create_stores_a_draft_with_everything_available(seller: Caller, engine: Engine) -> None:
    lot = create(seller)
    assert lot.name.startswith("availabilities/")
    assert lot.state == State.STATE_DRAFT
    assert lot.seller_id == seller.subject
    assert (lot.total_quantity, lot.available_quantity) == ("100", "100")
    assert (lot.reserved_quantity, lot.sold_quantity) == ("0", "0")
    assert lot.revision > 0 and lot.etag
    assert lot.create_time.seconds > 0
    assert event_types(engine, lot.name) == ["CREATED"]


def test_get_returns_the_created_lot(seller: Caller) -> None:
    lot = create(seller)
    got = seller.GetAvailability(api.GetAvailabilityRequest(name=lot.name)).availability
    assert got == lot


def test_unknown_and_malformed_names(seller: Caller) -> None:
    with pytest.raises(grpc.RpcError) as err:
        seller.GetAvailability(api.GetAvailabilityRequest(name=f"availabilities/{uuid.uuid4()}"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        seller.GetAvailability(api.GetAvailabilityRequest(name="lots/1"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(err.value)["fields"] == ["name"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"total_quantity": "-5"}, "availability.total_quantity"),
        ({"total_quantity": "0"}, "availability.total_quantity"),
        ({"total_quantity": "abc"}, "availability.total_quantity"),
        ({"total_quantity": "1e5"}, "availability.total_quantity"),
        ({"total_quantity": "1.1234567"}, "availability.total_quantity"),
        ({"min_order_quantity": "500"}, "availability.min_order_quantity"),
        (
            {"delivery_location": pb.LatLng(latitude=91, longitude=0)},
            "availability.delivery_location.latitude",
        ),
        (
            {"delivery_location": pb.LatLng(latitude=0, longitude=-181)},
            "availability.delivery_location.longitude",
        ),
        (
            {"market_visibility": State.MARKET_VISIBILITY_PRIVATE},
            "availability.restricted_buyer_ids",
        ),
        ({"market_visibility": State.MARKET_VISIBILITY_RESTRICTED}, "availability.allowed_regions"),
        ({"market_visibility": 99}, "availability.market_visibility"),
        ({"price_type": 42}, "availability.price_type"),
        ({"commodity": ""}, "availability.commodity"),
        ({"description": "x" * 5000}, "availability.description"),
        ({"variety": "v" * 500}, "availability.variety"),
        ({"country_of_origin": "XX"}, "availability.country_of_origin"),
        ({"incoterm": "FOBB"}, "availability.incoterm"),
        ({"supported_incoterms": ["CIF", "NOPE"]}, "availability.supported_incoterms[1]"),
        ({"export_port": "mundra"}, "availability.export_port"),
        ({"eod_cutoff": "25:00"}, "availability.eod_cutoff"),
        ({"media_urls": ["ftp://x/y.png"]}, "availability.media_urls[0]"),
        ({"test_report_url": "not a url"}, "availability.test_report_url"),
        ({"price_type": State.PRICE_TYPE_MATRIX}, "availability.price_options"),
        (
            {"base_price": pb.Money(currency_code="USD", amount="12,5")},
            "availability.base_price.amount",
        ),
    ],
)
def test_bad_input_is_invalid_argument_naming_the_field_and_writes_nothing(
    seller: Caller, engine: Engine, overrides: dict[str, object], field: str
) -> None:
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(events)).scalar_one()
    with pytest.raises(grpc.RpcError) as err:
        create(seller, **overrides)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error_details(err.value)["fields"]
    listed = seller.ListAvailabilities(api.ListAvailabilitiesRequest(seller_id=seller.subject))
    assert list(listed.availabilities) == []
    with engine.connect() as conn:
        # Other tests run in this session too, but none of them under this seller.
        assert (
            conn.execute(
                text("SELECT count(*) FROM availabilities WHERE seller_id = :s"),
                {"s": seller.subject},
            ).scalar_one()
            == 0
        )
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() >= before


def test_available_until_must_follow_available_from(seller: Caller) -> None:
    lot = cotton_lot()
    lot.available_from.FromSeconds(2_000_000_000)
    lot.available_until.FromSeconds(1_900_000_000)
    with pytest.raises(grpc.RpcError) as err:
        seller.CreateAvailability(api.CreateAvailabilityRequest(availability=lot))
    assert error_details(err.value)["fields"] == ["availability.available_until"]


def test_request_id_replay_returns_the_first_result_and_writes_nothing(
    seller: Caller, engine: Engine
) -> None:
    rid = str(uuid.uuid4())
    request = api.CreateAvailabilityRequest(availability=cotton_lot(), request_id=rid)
    first = seller.CreateAvailability(request).availability
    second = seller.CreateAvailability(request).availability
    assert second == first
    listed = seller.ListAvailabilities(api.ListAvailabilitiesRequest(seller_id=seller.subject))
    assert [a.name for a in listed.availabilities] == [first.name]
    assert event_count(engine, first.name) == 1
    with engine.connect() as conn:
        assert (
            conn.execute(
                select(func.count())
                .select_from(idempotency_keys)
                .where(idempotency_keys.c.request_id == rid)
            ).scalar_one()
            == 1
        )


def test_request_id_reused_with_a_different_payload_is_rejected(seller: Caller) -> None:
    rid = str(uuid.uuid4())
    seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(), request_id=rid)
    )
    with pytest.raises(grpc.RpcError) as err:
        seller.CreateAvailability(
            api.CreateAvailabilityRequest(
                availability=cotton_lot(total_quantity="7"), request_id=rid
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(err.value)["reason"] == "REQUEST_ID_REUSED"
    listed = seller.ListAvailabilities(api.ListAvailabilitiesRequest(seller_id=seller.subject))
    assert len(listed.availabilities) == 1


def test_update_applies_only_masked_fields_and_keeps_the_invariant(
    seller: Caller, engine: Engine
) -> None:
    lot = create(seller)
    change = pb.Availability(name=lot.name, total_quantity="150", variety="ignored", etag=lot.etag)
    updated = seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=change,
            update_mask=field_mask_pb2.FieldMask(paths=["total_quantity"]),
        )
    ).availability
    assert (updated.total_quantity, updated.available_quantity) == ("150", "150")
    assert updated.variety == "Shankar-6"
    assert updated.revision > lot.revision and updated.etag != lot.etag
    assert event_types(engine, lot.name) == ["CREATED", "QUANTITY_CHANGED"]


def test_update_event_types_follow_what_changed(seller: Caller, engine: Engine) -> None:
    lot = create(seller)
    mask = field_mask_pb2.FieldMask
    seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(
                name=lot.name, base_price=pb.Money(currency_code="USD", amount="1700")
            ),
            update_mask=mask(paths=["base_price"]),
        )
    )
    seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(
                name=lot.name, market_visibility=(State.MARKET_VISIBILITY_INTERNAL)
            ),
            update_mask=mask(paths=["market_visibility"]),
        )
    )
    seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(name=lot.name, description="washed"),
            update_mask=mask(paths=["description"]),
        )
    )
    assert event_types(engine, lot.name) == [
        "CREATED",
        "PRICE_CHANGED",
        "VISIBILITY_CHANGED",
        "UPDATED",
    ]


@pytest.mark.parametrize(
    "path",
    [
        "state",
        "available_quantity",
        "name",
        "etag",
        "revision",
        "seller_id",
        "commodity",
        "no_such_field",
    ],
)
def test_update_mask_rejects_output_only_immutable_and_unknown_fields(
    seller: Caller, path: str
) -> None:
    lot = create(seller)
    with pytest.raises(grpc.RpcError) as err:
        seller.UpdateAvailability(
            api.UpdateAvailabilityRequest(
                availability=lot, update_mask=field_mask_pb2.FieldMask(paths=[path])
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(err.value)["fields"] == ["update_mask"]


def test_stale_etag_is_aborted(seller: Caller) -> None:
    lot = create(seller)
    mask = field_mask_pb2.FieldMask(paths=["description"])
    seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(name=lot.name, description="a", etag=lot.etag),
            update_mask=mask,
        )
    )
    with pytest.raises(grpc.RpcError) as err:
        seller.UpdateAvailability(
            api.UpdateAvailabilityRequest(
                availability=pb.Availability(name=lot.name, description="b", etag=lot.etag),
                update_mask=mask,
            )
        )
    assert err.value.code() == grpc.StatusCode.ABORTED


def test_another_seller_cannot_change_a_lot(seller: Caller, admin: Caller, caller) -> None:  # type: ignore[no-untyped-def]
    lot = create(seller)
    other = caller("SELLER")

    def change() -> grpc.StatusCode:
        with pytest.raises(grpc.RpcError) as err:
            other.UpdateAvailability(
                api.UpdateAvailabilityRequest(
                    availability=pb.Availability(name=lot.name, description="mine now"),
                    update_mask=field_mask_pb2.FieldMask(paths=["description"]),
                )
            )
        return err.value.code()

    # A draft is not the other seller's to see at all; an approved lot is, but not to change.
    assert change() == grpc.StatusCode.NOT_FOUND
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name))
    assert change() == grpc.StatusCode.PERMISSION_DENIED


def test_approve_moves_draft_to_active_and_twice_is_failed_precondition(
    seller: Caller, admin: Caller, engine: Engine
) -> None:
    lot = create(seller)
    approved = admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name))
    assert approved.availability.state == State.STATE_ACTIVE
    assert approved.availability.approved_by == admin.subject
    with pytest.raises(grpc.RpcError) as err:
        admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_details(err.value)["reason"] == "INVALID_STATE"
    assert event_types(engine, lot.name) == ["CREATED", "APPROVED"]


def test_reject_needs_a_reason_and_records_it(seller: Caller, admin: Caller) -> None:
    lot = create(seller)
    with pytest.raises(grpc.RpcError) as err:
        admin.RejectAvailability(api.RejectAvailabilityRequest(name=lot.name))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    rejected = admin.RejectAvailability(
        api.RejectAvailabilityRequest(
            name=lot.name, reason="staple length not supported by the test report"
        )
    ).availability
    assert rejected.state == State.STATE_REJECTED
    assert rejected.rejection_reason.startswith("staple")
    assert rejected.rejected_by == admin.subject


def test_seller_cannot_approve(seller: Caller) -> None:
    lot = create(seller)
    with pytest.raises(grpc.RpcError) as err:
        seller.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_delete_is_soft_and_hidden_unless_show_deleted(seller: Caller, engine: Engine) -> None:
    lot = create(seller)
    deleted = seller.DeleteAvailability(
        api.DeleteAvailabilityRequest(name=lot.name, etag=lot.etag)
    ).availability
    assert deleted.state == State.STATE_CANCELLED and deleted.delete_time.seconds > 0
    listed = seller.ListAvailabilities(api.ListAvailabilitiesRequest(seller_id=seller.subject))
    assert list(listed.availabilities) == []
    shown = seller.ListAvailabilities(
        api.ListAvailabilitiesRequest(seller_id=seller.subject, show_deleted=True)
    )
    assert [a.name for a in shown.availabilities] == [lot.name]
    assert event_types(engine, lot.name) == ["CREATED", "CANCELLED"]


def test_list_pages_every_lot_exactly_once_with_filters(seller: Caller) -> None:
    names = {create(seller).name for _ in range(7)}
    create(seller, commodity="wheat", quantity_unit="t")
    seen: list[str] = []
    token = ""
    while True:
        page = seller.ListAvailabilities(
            api.ListAvailabilitiesRequest(
                seller_id=seller.subject, commodity="cotton", page_size=3, page_token=token
            )
        )
        assert len(page.availabilities) <= 3
        seen.extend(a.name for a in page.availabilities)
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(names) and len(seen) == len(names)
    drafts = seller.ListAvailabilities(
        api.ListAvailabilitiesRequest(seller_id=seller.subject, states=[State.STATE_ACTIVE])
    )
    assert list(drafts.availabilities) == []


@pytest.mark.parametrize("token", ["garbage", "!!!", "eyJwIjpbXX0", "a" * 2000])
def test_malformed_page_tokens_are_invalid_argument(seller: Caller, token: str) -> None:
    with pytest.raises(grpc.RpcError) as err:
        seller.ListAvailabilities(api.ListAvailabilitiesRequest(page_token=token))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(err.value)["fields"] == ["page_token"]


def test_a_page_token_is_bound_to_its_filters(seller: Caller) -> None:
    for _ in range(3):
        create(seller)
    page = seller.ListAvailabilities(
        api.ListAvailabilitiesRequest(seller_id=seller.subject, page_size=1)
    )
    with pytest.raises(grpc.RpcError) as err:
        seller.ListAvailabilities(
            api.ListAvailabilitiesRequest(
                seller_id=seller.subject, commodity="wheat", page_token=page.next_page_token
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
