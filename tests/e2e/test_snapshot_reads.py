"""Reads that take several statements answer from one snapshot, and report its revision.

A change is committed from another connection in the middle of the RPC's reads (the storage
function the service calls is wrapped for the one test), as a concurrent writer would.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import grpc
import pytest
from sqlalchemy import Engine, text

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.storage import lots as lot_storage
from availability_service.storage import search_bounds
from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details, random_point
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

A = pb.Availability


def post(trader: Caller, admin: Caller, point: pb.LatLng, **overrides: Any) -> pb.Availability:
    lot = cotton_lot(delivery_location=point, delivery_region="ZZ-SNAPSHOT", **overrides)
    name = trader.CreateAvailability(api.CreateAvailabilityRequest(availability=lot)).availability
    return admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name.name)).availability


def as_owner(caller: Caller) -> Principal:
    return Principal(caller.subject, None, frozenset({Role.TRADER}), None)


def spot() -> pb.LatLng:
    return random_point()


def search_near(buyer: Caller, point: pb.LatLng) -> api.SearchAvailabilitiesResponse:
    response: api.SearchAvailabilitiesResponse = buyer.SearchAvailabilities(
        api.SearchAvailabilitiesRequest(
            commodity="cotton", near=point, radius_km=5, include_anomalies=True
        )
    )
    return response


@pytest.fixture
def trader(caller: Callable[..., Caller]) -> Caller:
    return caller("TRADER", company=f"co-{uuid.uuid4().hex[:6]}")


def test_a_lot_cancelled_between_searchs_two_reads_is_returned_as_of_the_reported_revision(
    app: Application,
    trader: Caller,
    admin: Caller,
    buyer: Caller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    point = spot()
    lots = [post(trader, admin, point) for _ in range(2)]
    real = search_bounds.bounded_candidates  # the read of a search with a point

    def cancel_one_after_reading(conn: Any, flt: Any, read: Any) -> Any:
        rows = real(conn, flt, read)
        app.services.lots.delete(as_owner(trader), lots[0].name, "", None)
        return rows

    monkeypatch.setattr(search_bounds, "bounded_candidates", cancel_one_after_reading)
    response = search_near(buyer, point)
    monkeypatch.undo()
    # Both were ACTIVE and visible at the snapshot the search read; neither is shown in a
    # state the search would not have matched.
    assert {r.availability.name for r in response.results} == {lot.name for lot in lots}
    for result in response.results:
        assert result.availability.state == A.STATE_ACTIVE
        assert result.availability.revision <= response.revision
    # The next search, after the cancellation, no longer finds it.
    assert [r.availability.name for r in search_near(buyer, point).results] == [lots[1].name]


def _reprice(app: Application, owner: Caller, name: str) -> None:
    app.services.lots.update(as_owner(owner), name, "", {"base_price_amount": Decimal(1700)}, None)


def test_search_reports_the_revision_of_the_snapshot_it_read(
    app: Application,
    trader: Caller,
    admin: Caller,
    buyer: Caller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    point = spot()
    lot = post(trader, admin, point)
    real = search_bounds.bounded_candidates  # the read of a search with a point

    def change_before_reading(conn: Any, flt: Any, read: Any) -> Any:
        _reprice(app, trader, lot.name)  # commits after the revision was read
        return real(conn, flt, read)

    monkeypatch.setattr(search_bounds, "bounded_candidates", change_before_reading)
    response = search_near(buyer, point)
    monkeypatch.undo()
    [found] = response.results
    assert found.availability.revision <= response.revision
    assert found.availability.base_price.amount == "1650"  # as of that revision


def test_list_reports_the_revision_of_the_snapshot_it_read(
    app: Application,
    trader: Caller,
    admin: Caller,
    buyer: Caller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lot = post(trader, admin, spot())
    real = lot_storage.list_lots

    def change_before_reading(conn: Any, **kwargs: Any) -> Any:
        _reprice(app, trader, lot.name)
        return real(conn, **kwargs)

    monkeypatch.setattr(lot_storage, "list_lots", change_before_reading)
    page = buyer.ListAvailabilities(api.ListAvailabilitiesRequest(seller_id=trader.subject))
    monkeypatch.undo()
    [listed] = page.availabilities
    assert listed.revision <= page.revision
    assert page.revision >= lot.revision
    after = buyer.ListAvailabilities(api.ListAvailabilitiesRequest(seller_id=trader.subject))
    assert after.availabilities[0].revision <= after.revision
    assert after.availabilities[0].base_price.amount == "1700"


def test_a_watch_from_a_revision_beyond_the_head_is_out_of_range(
    buyer: Caller, engine: Engine
) -> None:
    with engine.connect() as conn:
        head = int(conn.execute(text("SELECT value FROM revision_counter")).scalar_one())
    call = buyer.stub.WatchAvailabilities(
        api.WatchAvailabilitiesRequest(start_revision=head + 1000),
        metadata=buyer.metadata,
        timeout=30,
    )
    with pytest.raises(grpc.RpcError) as refused:
        next(iter(call))
    assert refused.value.code() == grpc.StatusCode.OUT_OF_RANGE
    details = error_details(refused.value)
    assert details["reason"] == "REVISION_NOT_YET_WRITTEN"
    assert int(details["metadata"]["current_revision"]) >= head


def _readiness_hold_load(viewer: Caller, name: str) -> float:
    factors = viewer.GetNegotiationReadiness(api.GetNegotiationReadinessRequest(name=name)).factors
    return {f.name: f.value for f in factors}["seller_hold_load"]


def test_readiness_hold_load_counts_only_lots_the_caller_sees_in_canonical_units(
    trader: Caller, admin: Caller, buyer: Caller, service: Caller
) -> None:
    point = spot()
    tonnes = post(trader, admin, point)  # 100 t
    kilos = post(trader, admin, point, quantity_unit="kg", total_quantity="100000")
    hidden = post(
        trader,
        admin,
        point,
        market_visibility=A.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=["someone-else"],
    )

    def hold(name: str, quantity: str) -> api.ReserveAvailabilityResponse:
        reply: api.ReserveAvailabilityResponse = service.ReserveAvailability(
            api.ReserveAvailabilityRequest(name=name, quantity=quantity, buyer_id="b-1")
        )
        return reply

    hold(tonnes.name, "10")  # open: 10 000 kg
    released = hold(kilos.name, "10")  # 10 kg, then released
    service.ReleaseReservation(api.ReleaseReservationRequest(name=released.reservation.name))
    hold(hidden.name, "50")  # open: 50 000 kg, on a lot the buyer may not see
    # In canonical units the open share is 10 000 / 10 010 (not 10 / 20 in raw numbers),
    # and the private lot's hold is none of the buyer's business.
    assert _readiness_hold_load(buyer, tonnes.name) == pytest.approx(1 - 10_000 / 10_010)
    assert _readiness_hold_load(admin, tonnes.name) == pytest.approx(1 - 60_000 / 60_010)
