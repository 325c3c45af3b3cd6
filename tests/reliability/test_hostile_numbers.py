"""Hostile numbers in every float field, and deadlines of any length: never INTERNAL.

Subnormal coordinates used to underflow in PostgreSQL's ll_to_earth, and a client deadline
past about 24.8 days overflowed statement_timeout; both ended in INTERNAL. Each case here
sends one hostile value through a real channel: the answer is INVALID_ARGUMENT naming the
field, or a normal answer; a refused write leaves nothing behind.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from sqlalchemy import Engine, text

from tests.reliability.conftest import Figures
from tests.reliability.hostile import HOSTILE_FLOATS
from tests.support.callers import Caller, make_token
from tests.support.lots import cotton_lot, error_details
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import search_pb2

FORBIDDEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
WRITES = """
SELECT (SELECT count(*) FROM availabilities), (SELECT count(*) FROM locations),
       (SELECT count(*) FROM events WHERE event_type <> 'EXPIRED')
"""
THIRTY_DAYS = 30 * 24 * 3600.0
TRIED: dict[str, int] = {}


def lot_at(latitude: float, longitude: float) -> pb.Availability:
    lot = cotton_lot()
    lot.delivery_location.latitude = latitude
    lot.delivery_location.longitude = longitude
    return lot


def lot_with_quality(name: str, value: float) -> pb.Availability:
    lot = cotton_lot()
    lot.quality_params[name].number = value
    return lot


def near(latitude: float, longitude: float, radius_km: float = 500.0) -> dict[str, Any]:
    return {"near": pb.LatLng(latitude=latitude, longitude=longitude), "radius_km": radius_km}


def search(**fields: Any) -> api.SearchAvailabilitiesRequest:
    """A cotton search near the origin's market (which every case then scores)."""
    request = api.SearchAvailabilitiesRequest(commodity="cotton", **{**near(0, 0), **fields})
    request.include_anomalies = True
    return request


def target(**numbers: float) -> dict[str, search_pb2.QualityTarget]:
    given = {"value": pb.QualityValue(number=29.0), **numbers}
    if "number" in numbers:
        given["value"] = pb.QualityValue(number=numbers["number"])
        del given["number"]
    return {"staple_length": search_pb2.QualityTarget(**given)}


# (case, RPC, request for a hostile value x)
CASES: list[tuple[str, str, Callable[[float], Any]]] = [
    ("lot latitude", "CreateAvailability", lambda x: lot_at(x, 70.8)),
    ("lot longitude", "CreateAvailability", lambda x: lot_at(22.3, x)),
    ("lot quality number", "CreateAvailability", lambda x: lot_with_quality("micronaire", x)),
    ("search near latitude", "SearchAvailabilities", lambda x: search(**near(x, 70.8))),
    ("search near longitude", "SearchAvailabilities", lambda x: search(**near(22.3, x))),
    ("search radius", "SearchAvailabilities", lambda x: search(**near(0, 0, x))),
    (
        "search weights",
        "SearchAvailabilities",
        lambda x: search(
            weights=search_pb2.ScoreWeights(vector=x, quality=x, price=x, confidence=x, distance=x)
        ),
    ),
    ("search score threshold", "SearchAvailabilities", lambda x: search(score_threshold=x)),
    (
        "search price tolerance",
        "SearchAvailabilities",
        lambda x: search(
            max_price=pb.Money(currency_code="USD", amount="1700"), price_tolerance_percent=x
        ),
    ),
    ("quality target", "SearchAvailabilities", lambda x: search(quality_targets=target(number=x))),
    (
        "quality tolerance",
        "SearchAvailabilities",
        lambda x: search(quality_targets=target(tolerance=x)),
    ),
    (
        "quality tolerance percent",
        "SearchAvailabilities",
        lambda x: search(quality_targets=target(tolerance_percent=x)),
    ),
    (
        "quality min and max",
        "SearchAvailabilities",
        lambda x: search(quality_targets=target(min=x, max=x)),
    ),
    (
        "location point",
        "UpsertLocation",
        lambda x: api.UpsertLocationRequest(
            location=pb.Location(
                location_id=f"loc-{uuid.uuid4().hex[:8]}",
                owner_id="seller-hostile",
                display_name="edge",
                point=pb.LatLng(latitude=x, longitude=x),
                region="IN-GJ",
            )
        ),
    ),
]


@pytest.fixture(scope="module")
def everyone(channel: grpc.Channel) -> Iterator[Caller]:
    """Every role, so requests reach validation; a TRADER posts from any point."""
    subject = f"hostile-{uuid.uuid4().hex[:6]}"
    roles = ["ADMIN", "SERVICE", "TRADER", "BUYER"]
    yield Caller(channel, make_token(subject, roles, region="IN-GJ"), subject)


@pytest.fixture(scope="module")
def market_at_the_origin(everyone: Caller) -> None:
    """Lots on and around (0, 0), so searches near it have results to score."""
    for latitude, longitude in ((0.0, 0.0), (1e-6, -1e-6), (0.5, 0.5)):
        everyone.CreateAvailability(
            api.CreateAvailabilityRequest(
                availability=lot_at(latitude, longitude), request_id=uuid.uuid4().hex
            )
        )


def writes(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(text(WRITES)).one())


@pytest.mark.parametrize("value", HOSTILE_FLOATS, ids=repr)
@pytest.mark.parametrize(("case", "method", "build"), CASES, ids=[c[0] for c in CASES])
def test_a_hostile_float_is_refused_naming_its_field_or_handled_never_internal(
    case: str,
    method: str,
    build: Callable[[float], Any],
    value: float,
    everyone: Caller,
    market_at_the_origin: None,
    engine: Engine,
) -> None:
    before = writes(engine)
    try:
        reply = getattr(everyone, method)(build(value))
    except grpc.RpcError as err:
        assert err.code() not in FORBIDDEN, f"{case} = {value!r}: {err.code().name} {err.details()}"
        if err.code() == grpc.StatusCode.INVALID_ARGUMENT:
            assert error_details(err)["fields"], f"{case} = {value!r}: no field named"
        assert writes(engine) == before, f"{case} = {value!r} was refused but wrote"
        TRIED[case] = TRIED.get(case, 0) + 1
        return
    TRIED[case] = TRIED.get(case, 0) + 1
    if method == "CreateAvailability":
        location = reply.availability.delivery_location
        assert math.isfinite(location.latitude) and math.isfinite(location.longitude)


@pytest.mark.parametrize("seconds", [THIRTY_DAYS, 10 * 365 * 24 * 3600.0], ids=["30d", "10y"])
def test_a_deadline_of_any_length_is_clamped_not_internal(
    seconds: float, everyone: Caller, figures: Figures
) -> None:
    missing = api.GetAvailabilityRequest(name=f"availabilities/{uuid.uuid4()}")
    with pytest.raises(grpc.RpcError) as err:
        everyone.GetAvailability(missing, timeout=seconds)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    created = everyone.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(), request_id=uuid.uuid4().hex),
        timeout=seconds,
    )
    assert created.availability.name.startswith("availabilities/")
    page = everyone.SearchAvailabilities(search(), timeout=seconds)
    assert page.revision >= 0
    figures.record(
        "hostile_numbers",
        float_cases=sum(TRIED.values()),
        fields=len(TRIED),
        internal_or_unknown=0,
        longest_deadline_days=round(seconds / 86400),
    )


def test_a_lot_posted_at_a_subnormal_latitude_is_stored_on_the_equator_and_found_near_it(
    everyone: Caller,
) -> None:
    lot = lot_at(5e-324, 1e-310)
    lot.grade = f"G-{uuid.uuid4().hex[:8]}"
    created = everyone.CreateAvailability(
        api.CreateAvailabilityRequest(availability=lot, request_id=uuid.uuid4().hex)
    ).availability
    assert (created.delivery_location.latitude, created.delivery_location.longitude) == (0, 0)
    everyone.ApproveAvailability(api.ApproveAvailabilityRequest(name=created.name))
    page = everyone.SearchAvailabilities(search(page_size=200, **near(0, 0, 1.0)))
    assert created.name in [r.availability.name for r in page.results]
