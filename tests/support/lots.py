"""Builders of realistic lots for tests."""

from __future__ import annotations

import random
from typing import Any

from google.rpc import error_details_pb2
from grpc_status import rpc_status

from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

# Where cotton_lot() says it is (Rajkot, Gujarat): a seller's default registered location
# sits on the same point, so lots posted from it look exactly like cotton_lot() describes.
RAJKOT = pb.LatLng(latitude=22.3, longitude=70.8)
RAJKOT_REGION = "IN-GJ"


def cotton_lot(**overrides: Any) -> pb.Availability:
    lot = pb.Availability(
        commodity="cotton",
        variety="Shankar-6",
        grade="41-4",
        quantity_unit="t",
        total_quantity="100",
        base_price=pb.Money(currency_code="USD", amount="1650"),
        price_unit="t",
        delivery_region="IN-GJ",
        incoterm="FOB",
        country_of_origin="IN",
    )
    lot.delivery_location.latitude = 22.3
    lot.delivery_location.longitude = 70.8
    lot.quality_params["staple_length"].number = 29.0
    lot.quality_params["staple_length"].unit = "mm"
    lot.quality_params["micronaire"].number = 4.1
    for key, value in overrides.items():
        if isinstance(value, list):
            field = getattr(lot, key)
            del field[:]
            field.extend(value)
        elif hasattr(value, "CopyFrom"):
            getattr(lot, key).CopyFrom(value)
        else:
            setattr(lot, key, value)
    return lot


def register_location(
    admin: Any,
    owner_id: str,
    location_id: str | None = None,
    point: pb.LatLng = RAJKOT,
    region: str = RAJKOT_REGION,
    display_name: str = "Rajkot ginning yard",
) -> pb.Location:
    """Register a delivery location for `owner_id` through the real UpsertLocation RPC."""
    location = pb.Location(
        location_id=location_id or f"loc-{owner_id}"[:64],
        owner_id=owner_id,
        display_name=display_name,
        point=point,
        region=region,
    )
    return admin.UpsertLocation(api.UpsertLocationRequest(location=location)).location


def error_details(error: Any) -> dict[str, Any]:
    """The google.rpc details of a failed call: field violations and ErrorInfo reason."""
    status = rpc_status.from_call(error)
    out: dict[str, Any] = {"fields": [], "reason": None, "metadata": {}}
    if status is None:
        return out
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out["fields"].extend(v.field for v in bad.field_violations)
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            out["reason"] = info.reason
            out["metadata"] = dict(info.metadata)
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            out["retry_delay"] = retry.retry_delay.ToTimedelta().total_seconds()
    return out


def approved_lot(seller: Any, admin: Any, **overrides: Any) -> pb.Availability:
    """A cotton lot created by `seller` and approved by `admin`, through the real RPCs."""
    lot = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(**overrides))
    ).availability
    return admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name)).availability


# Tests that post lots at random points keep them north of this latitude: the ocean south of
# it belongs to the brute-force search market (tests/integration/test_search_bruteforce.py,
# centred near 39.5 S 129.8 W, radii up to 300 km), whose oracle counts only its own lots, so
# a stray lot inside one of its circles would make an exact search look wrong.
RANDOM_POINT_MIN_LATITUDE = -10.0


def random_point() -> pb.LatLng:
    """A random point of a test's own, far from Rajkot where the default lots sit."""
    return pb.LatLng(
        latitude=random.uniform(RANDOM_POINT_MIN_LATITUDE, 45), longitude=random.uniform(-170, 20)
    )
