"""Seller locations: the registry RPCs, the CSV import, and where a lot may be posted from."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import Engine, func, select

from availability_service.cli import main
from availability_service.storage.tables import availabilities
from tests.support.callers import Caller
from tests.support.lots import RAJKOT, cotton_lot, error_details, register_location
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

MUMBAI = pb.LatLng(latitude=19.076, longitude=72.8777)


def create(caller: Caller, **overrides: object) -> pb.Availability:
    return caller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(**overrides))
    ).availability


def unplaced_lot(**overrides: object) -> pb.Availability:
    """cotton_lot() without coordinates or region: the location decides them."""
    lot = cotton_lot(**overrides)
    lot.ClearField("delivery_location")
    lot.delivery_region = ""
    return lot


def lots_of(engine: Engine, seller_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(availabilities)
                .where(availabilities.c.seller_id == seller_id)
            ).scalar_one()
        )


def unique_id(prefix: str = "loc") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def all_locations(caller: Caller, owner_id: str, page_size: int) -> list[str]:
    seen: list[str] = []
    token = ""
    while True:
        page = caller.ListLocations(
            api.ListLocationsRequest(owner_id=owner_id, page_size=page_size, page_token=token)
        )
        assert len(page.locations) <= page_size
        seen.extend(loc.location_id for loc in page.locations)
        token = page.next_page_token
        if not token:
            return seen


def test_an_admin_upserts_a_location_and_a_second_upsert_replaces_it(admin: Caller) -> None:
    owner = unique_id("seller")
    first = register_location(
        admin, owner, "yard-" + owner, point=MUMBAI, region="IN-MH", display_name="Mumbai yard"
    )
    assert (first.owner_id, first.region, first.display_name) == (owner, "IN-MH", "Mumbai yard")
    assert first.point == MUMBAI and first.update_time.seconds > 0
    second = register_location(
        admin, owner, "yard-" + owner, point=RAJKOT, region="IN-GJ", display_name="moved"
    )
    assert (second.point, second.region, second.display_name) == (RAJKOT, "IN-GJ", "moved")
    listed = admin.ListLocations(api.ListLocationsRequest(owner_id=owner)).locations
    assert [loc.display_name for loc in listed] == ["moved"]


@pytest.mark.parametrize(
    ("location", "field"),
    [
        (
            pb.Location(location_id="has space", owner_id="s", point=RAJKOT, region="IN-GJ"),
            "location.location_id",
        ),
        (
            pb.Location(location_id="x" * 65, owner_id="s", point=RAJKOT, region="IN-GJ"),
            "location.location_id",
        ),
        (
            pb.Location(location_id="", owner_id="s", point=RAJKOT, region="IN-GJ"),
            "location.location_id",
        ),
        (
            pb.Location(location_id="ok", owner_id=" ", point=RAJKOT, region="IN-GJ"),
            "location.owner_id",
        ),
        (pb.Location(location_id="ok", owner_id="s", region="IN-GJ"), "location.point"),
        (
            pb.Location(
                location_id="ok",
                owner_id="s",
                region="IN-GJ",
                point=pb.LatLng(latitude=90.5, longitude=0),
            ),
            "location.point.latitude",
        ),
        (
            pb.Location(
                location_id="ok",
                owner_id="s",
                region="IN-GJ",
                point=pb.LatLng(latitude=0, longitude=-180.5),
            ),
            "location.point.longitude",
        ),
        (pb.Location(location_id="ok", owner_id="s", point=RAJKOT, region=""), "location.region"),
        (
            pb.Location(location_id="ok", owner_id="s", point=RAJKOT, region="IN GJ"),
            "location.region",
        ),
        (
            pb.Location(
                location_id="ok", owner_id="s", point=RAJKOT, region="IN-GJ", display_name="d" * 201
            ),
            "location.display_name",
        ),
    ],
)
def test_bad_locations_are_invalid_argument_naming_the_field(
    admin: Caller, location: pb.Location, field: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        admin.UpsertLocation(api.UpsertLocationRequest(location=location))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(err.value)["fields"] == [field]


def test_only_an_admin_may_upsert_a_location(caller: Callable[..., Caller]) -> None:
    for role in ("SELLER", "TRADER", "BUYER", "SERVICE"):
        someone = caller(role, location=False)
        with pytest.raises(grpc.RpcError) as err:
            register_location(someone, someone.subject)
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_list_locations_pages_every_location_of_an_owner_exactly_once(admin: Caller) -> None:
    owner = unique_id("seller")
    ids = {register_location(admin, owner, f"{owner}-{i}").location_id for i in range(5)}
    register_location(admin, unique_id("other"))
    seen = all_locations(admin, owner, page_size=2)
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)


def test_a_location_page_token_is_bound_to_its_owner_filter(admin: Caller) -> None:
    owner = unique_id("seller")
    for i in range(3):
        register_location(admin, owner, f"{owner}-{i}")
    page = admin.ListLocations(api.ListLocationsRequest(owner_id=owner, page_size=1))
    with pytest.raises(grpc.RpcError) as err:
        admin.ListLocations(
            api.ListLocationsRequest(
                owner_id="someone-else", page_size=1, page_token=page.next_page_token
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(err.value)["fields"] == ["page_token"]
    with pytest.raises(grpc.RpcError) as err:
        admin.ListLocations(api.ListLocationsRequest(page_token="garbage"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_seller_lists_only_its_own_locations(
    seller: Caller, caller: Callable[..., Caller]
) -> None:
    other = caller("SELLER")
    mine = seller.ListLocations(api.ListLocationsRequest()).locations
    assert [loc.location_id for loc in mine] == [seller.location_id]
    with pytest.raises(grpc.RpcError) as err:
        seller.ListLocations(api.ListLocationsRequest(owner_id=other.subject))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    trader = caller("TRADER")
    theirs = trader.ListLocations(api.ListLocationsRequest(owner_id=other.subject)).locations
    assert [loc.location_id for loc in theirs] == [other.location_id]


def test_a_seller_lot_takes_coordinates_and_region_from_its_location(
    seller: Caller, admin: Caller
) -> None:
    place = register_location(admin, seller.subject, unique_id(), point=MUMBAI, region="IN-MH")
    lot = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=unplaced_lot(location_id=place.location_id))
    ).availability
    assert lot.location_id == place.location_id
    assert lot.delivery_location == MUMBAI and lot.delivery_region == "IN-MH"


def test_a_seller_posting_from_someone_elses_location_is_rejected_and_writes_nothing(
    caller: Callable[..., Caller], engine: Engine
) -> None:
    owner, intruder = caller("SELLER"), caller("SELLER")
    with pytest.raises(grpc.RpcError) as theirs:
        create(intruder, location_id=owner.location_id)
    with pytest.raises(grpc.RpcError) as unknown:
        create(intruder, location_id=unique_id("nowhere"))
    for err in (theirs, unknown):
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_details(err.value)["fields"] == ["availability.location_id"]
    # Someone else's id and an unknown id read the same, so ids cannot be probed.
    assert theirs.value.details() == unknown.value.details()
    assert lots_of(engine, intruder.subject) == 0


def test_a_seller_must_name_a_location(caller: Callable[..., Caller]) -> None:
    homeless = caller("SELLER", location=False)
    with pytest.raises(grpc.RpcError) as err:
        create(homeless)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_details(err.value)["fields"] == ["availability.location_id"]


def test_coordinates_or_region_contradicting_the_location_are_rejected(seller: Caller) -> None:
    with pytest.raises(grpc.RpcError) as err:
        create(seller, delivery_location=MUMBAI)
    assert error_details(err.value)["fields"] == ["availability.delivery_location"]
    with pytest.raises(grpc.RpcError) as err:
        create(seller, delivery_region="IN-MH")
    assert error_details(err.value)["fields"] == ["availability.delivery_region"]


def test_a_trader_posts_from_any_registered_location_or_explicit_coordinates(
    caller: Callable[..., Caller], admin: Caller
) -> None:
    trader = caller("TRADER")
    place = register_location(admin, unique_id("seller"), unique_id(), point=MUMBAI, region="IN-MH")
    from_registry = trader.CreateAvailability(
        api.CreateAvailabilityRequest(availability=unplaced_lot(location_id=place.location_id))
    ).availability
    assert from_registry.delivery_location == MUMBAI
    assert from_registry.delivery_region == "IN-MH"
    explicit = create(trader, delivery_location=MUMBAI, delivery_region="IN-MH")
    assert explicit.location_id == "" and explicit.delivery_location == MUMBAI
    with pytest.raises(grpc.RpcError) as err:
        create(trader, location_id=unique_id("nowhere"))
    assert error_details(err.value)["fields"] == ["availability.location_id"]


def test_updating_the_location_follows_the_same_rules(
    seller: Caller, caller: Callable[..., Caller], admin: Caller
) -> None:
    lot = create(seller)
    other = caller("SELLER")
    mask = field_mask_pb2.FieldMask(paths=["location_id"])
    with pytest.raises(grpc.RpcError) as err:
        seller.UpdateAvailability(
            api.UpdateAvailabilityRequest(
                availability=pb.Availability(name=lot.name, location_id=other.location_id),
                update_mask=mask,
            )
        )
    assert error_details(err.value)["fields"] == ["availability.location_id"]
    with pytest.raises(grpc.RpcError) as err:
        seller.UpdateAvailability(
            api.UpdateAvailabilityRequest(
                availability=pb.Availability(name=lot.name, location_id=""), update_mask=mask
            )
        )
    assert error_details(err.value)["fields"] == ["availability.location_id"]
    second = register_location(admin, seller.subject, unique_id(), point=MUMBAI, region="IN-MH")
    moved = seller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=pb.Availability(name=lot.name, location_id=second.location_id),
            update_mask=mask,
        )
    ).availability
    assert (moved.location_id, moved.delivery_location, moved.delivery_region) == (
        second.location_id,
        MUMBAI,
        "IN-MH",
    )


def test_locations_import_upserts_good_rows_and_reports_each_bad_one(
    tmp_path: Path, database_url: str, admin: Caller, capsys: pytest.CaptureFixture[str]
) -> None:
    owner = unique_id("seller")
    csv_file = tmp_path / "locations.csv"
    csv_file.write_text(
        "location_id,owner_id,display_name,latitude,longitude,region\n"
        f"{owner}-a,{owner},Rajkot yard,22.3,70.8,IN-GJ\n"
        f"{owner}-b,{owner},Mumbai yard,19.076,72.8777,IN-MH\n"
        f"bad id,{owner},Nowhere,1,1,IN-GJ\n"
        f"{owner}-c,{owner},Far north,95,1,IN-GJ\n"
        f"{owner}-d,{owner},Typo,north,1,IN-GJ\n"
    )
    status = main(["locations", "import", str(csv_file), "--database-url", database_url])
    out = capsys.readouterr().out
    assert status == 1
    assert "line 4: location_id:" in out
    assert "line 5: latitude:" in out
    assert "line 6: latitude: must be a number" in out
    assert out.strip().endswith("imported 2 location(s), 3 error(s)")
    listed = admin.ListLocations(api.ListLocationsRequest(owner_id=owner)).locations
    assert [(loc.location_id, loc.region) for loc in listed] == [
        (f"{owner}-a", "IN-GJ"),
        (f"{owner}-b", "IN-MH"),
    ]


def test_locations_import_refuses_a_file_without_the_expected_columns(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "locations.csv"
    csv_file.write_text("id,owner\nx,y\n")
    assert main(["locations", "import", str(csv_file), "--database-url", database_url]) == 1
    assert "missing column(s) location_id" in capsys.readouterr().out
