"""Search filters of issue 14 through the real server: delivery regions, a minimum price, an
order quantity that must be grantable now, and the availability window.

Each test posts its lots (as a TRADER) into a delivery region of its own, so a search that
names only that region sees only this test's lots, with or without a point to search around.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

HERE = pb.LatLng(latitude=-33.0, longitude=-100.0)  # open Pacific, nobody else's lots


@pytest.fixture
def trader(caller: Callable[..., Caller]) -> Caller:
    return caller("TRADER", company=f"co-{uuid.uuid4().hex[:6]}")


def region() -> str:
    return f"ZQ-{uuid.uuid4().hex[:6].upper()}"


def post(trader: Caller, admin: Caller, where: str, **overrides: Any) -> str:
    lot = cotton_lot(delivery_location=HERE, delivery_region=where, **overrides)
    name: str = trader.CreateAvailability(
        api.CreateAvailabilityRequest(availability=lot)
    ).availability.name
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
    return name


def found(caller: Caller, regions: list[str], near: bool, **fields: Any) -> set[str]:
    request = api.SearchAvailabilitiesRequest(
        commodity="cotton",
        delivery_regions=regions,
        include_anomalies=True,
        page_size=200,
        **fields,
    )
    if near:
        request.near.CopyFrom(HERE)
        request.radius_km = 50
    return {r.availability.name for r in caller.SearchAvailabilities(request).results}


def stamp(moment: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(moment)
    return out


@pytest.mark.parametrize("near", [True, False], ids=["near", "without near"])
def test_delivery_regions_keep_only_lots_delivered_from_those_regions(
    near: bool, trader: Caller, admin: Caller, buyer: Caller
) -> None:
    first, second, third = region(), region(), region()
    a = post(trader, admin, first)
    b = post(trader, admin, second)
    post(trader, admin, third)
    assert found(buyer, [first], near) == {a}
    assert found(buyer, [first.lower(), second], near) == {a, b}  # codes match in any case


@pytest.mark.parametrize("near", [True, False], ids=["near", "without near"])
def test_min_price_keeps_lots_priced_at_or_above_it_in_any_price_unit(
    near: bool, trader: Caller, admin: Caller, buyer: Caller
) -> None:
    where = region()
    cheap = post(trader, admin, where, base_price=pb.Money(currency_code="USD", amount="1500"))
    mid = post(trader, admin, where, base_price=pb.Money(currency_code="USD", amount="1700"))
    dear = post(trader, admin, where, base_price=pb.Money(currency_code="USD", amount="1900"))
    usd = "USD"
    assert found(buyer, [where], near) == {cheap, mid, dear}
    assert found(buyer, [where], near, min_price=pb.Money(currency_code=usd, amount="1700")) == {
        mid,
        dear,
    }
    band = found(
        buyer,
        [where],
        near,
        min_price=pb.Money(currency_code=usd, amount="1600"),
        max_price=pb.Money(currency_code=usd, amount="1800"),
    )
    assert band == {mid}
    # 1700 USD/t is 77.11 USc/lb: a floor in cents per pound under the same unit rules.
    per_lb = found(
        buyer,
        [where],
        near,
        min_price=pb.Money(currency_code="USc", amount="77"),
        price_unit="USc/lb",
    )
    assert per_lb == {mid, dear}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"min_price": pb.Money(currency_code="USD", amount="abc")}, "min_price.amount"),
        (
            {
                "min_price": pb.Money(currency_code="USD", amount="1900"),
                "max_price": pb.Money(currency_code="USD", amount="1800"),
            },
            "min_price",
        ),
        (
            {
                "min_price": pb.Money(currency_code="INR", amount="100"),
                "max_price": pb.Money(currency_code="USD", amount="1800"),
            },
            "min_price.currency_code",
        ),
        ({"order_quantity": "-5"}, "order_quantity"),
        ({"order_quantity": "ten"}, "order_quantity"),
        ({"delivery_regions": [" "]}, "delivery_regions[0]"),
    ],
)
def test_malformed_new_filters_are_invalid_argument_naming_the_field(
    fields: dict[str, Any], field: str, buyer: Caller
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        buyer.SearchAvailabilities(api.SearchAvailabilitiesRequest(commodity="cotton", **fields))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error_details(err.value)["fields"]


@pytest.mark.parametrize("near", [True, False], ids=["near", "without near"])
def test_order_quantity_keeps_lots_that_would_grant_that_hold_now(
    near: bool, trader: Caller, admin: Caller, buyer: Caller, service: Caller
) -> None:
    where = region()
    # 100 t, orders of at least 20 t; 50 t to be taken whole; 100 t of which 90 t are held.
    minimum = post(trader, admin, where, min_order_quantity="20")
    whole = post(trader, admin, where, total_quantity="50", allow_partial_order=False)
    mostly_held = post(trader, admin, where)
    service.ReserveAvailability(
        api.ReserveAvailabilityRequest(name=mostly_held, quantity="90", buyer_id="someone")
    )
    assert found(buyer, [where], near, order_quantity="30000") == {minimum}  # 30 t, in kg
    assert found(buyer, [where], near, order_quantity="50000") == {minimum, whole}
    # 10 t: below the 20 t minimum, not the whole 50 t, and exactly what is left of the third.
    assert found(buyer, [where], near, order_quantity="10000") == {mostly_held}
    assert found(buyer, [where], near, order_quantity="100001") == set()
    assert found(buyer, [where], near) == {minimum, whole, mostly_held}


@pytest.mark.parametrize("near", [True, False], ids=["near", "without near"])
def test_lots_outside_their_availability_window_are_never_returned(
    near: bool, trader: Caller, admin: Caller, buyer: Caller
) -> None:
    where = region()
    moment = datetime.now(UTC)
    inside = post(
        trader,
        admin,
        where,
        available_from=stamp(moment - timedelta(days=1)),
        available_until=stamp(moment + timedelta(days=1)),
    )
    post(trader, admin, where, available_from=stamp(moment + timedelta(days=1)))
    post(trader, admin, where, available_until=stamp(moment - timedelta(hours=1)))
    assert found(buyer, [where], near) == {inside}


def test_reserve_outside_the_availability_window_is_refused_with_its_reason(
    trader: Caller, admin: Caller, service: Caller
) -> None:
    moment = datetime.now(UTC)
    early = post(trader, admin, region(), available_from=stamp(moment + timedelta(days=1)))
    late = post(trader, admin, region(), available_until=stamp(moment - timedelta(hours=1)))
    for name in (early, late):
        with pytest.raises(grpc.RpcError) as err:
            service.ReserveAvailability(
                api.ReserveAvailabilityRequest(name=name, quantity="1", buyer_id="b")
            )
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_details(err.value)["reason"] == "OUTSIDE_AVAILABILITY_WINDOW"
        lot = service.GetAvailability(api.GetAvailabilityRequest(name=name)).availability
        assert lot.available_quantity == "100"  # nothing held


def test_reserve_after_the_daily_cutoff_is_refused_until_midnight_utc(
    trader: Caller, admin: Caller, service: Caller
) -> None:
    # "00:00" UTC: every moment of the day is at or after it, so the day is always closed.
    closed = post(trader, admin, region(), eod_cutoff="00:00")
    with pytest.raises(grpc.RpcError) as err:
        service.ReserveAvailability(
            api.ReserveAvailabilityRequest(name=closed, quantity="1", buyer_id="b")
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    details = error_details(err.value)
    assert details["reason"] == "PAST_DAILY_CUTOFF"
    assert details["metadata"]["eod_cutoff"] == "00:00"
