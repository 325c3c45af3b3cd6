"""`availability-service demo`: posts realistic cotton, wheat and gold lots through the API.

It talks to a running server exactly as another engine would: tokens minted with the local
development secret, a TRADER posting lots and an ADMIN approving them.
"""

from __future__ import annotations

import uuid
from typing import Any

import grpc

from availability_service.auth.tokens import mint_token
from availability_service.config import Settings
from availability_service.startup_checks import signing_secret
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc
from tradedesk.availability.v1 import resources_pb2 as pb

# (commodity, variety, grade, unit, total, price, currency, price unit, lat, lng, region,
#  country, quality)
LOTS: list[tuple[Any, ...]] = [
    (
        "cotton",
        "Shankar-6",
        "41-4",
        "bale_in",
        "500",
        "58000",
        "INR",
        "candy",
        22.30,
        70.80,
        "IN-GJ",
        "IN",
        {
            "staple_length": (29.0, "mm"),
            "micronaire": (4.1, ""),
            "strength": (29.5, "g/tex"),
            "trash": (2.1, "%"),
        },
    ),
    (
        "cotton",
        "Upland",
        "31-3",
        "t",
        "250",
        "1720",
        "USD",
        "t",
        31.55,
        -97.15,
        "US-TX",
        "US",
        {"staple_length": (36.0, "32nds"), "micronaire": (43.0, ""), "strength": (30.0, "g/tex")},
    ),
    (
        "cotton",
        "Pima",
        "ELS",
        "t",
        "80",
        "3100",
        "USD",
        "t",
        33.45,
        -112.07,
        "US-AZ",
        "US",
        {"staple_length": (3.8, "cm"), "micronaire": (3.9, ""), "strength": (38.0, "g/tex")},
    ),
    (
        "wheat",
        "Hard Red Winter",
        "US No.1",
        "t",
        "5000",
        "265",
        "USD",
        "t",
        39.10,
        -94.58,
        "US-MO",
        "US",
        {"protein": (12.5, "%"), "moisture": (12.0, "%"), "falling_number": (350.0, "s")},
    ),
    (
        "wheat",
        "Lokwan",
        "FAQ",
        "t",
        "1200",
        "290",
        "USD",
        "t",
        23.02,
        72.57,
        "IN-GJ",
        "IN",
        {"protein": (11.2, "%"), "moisture": (10.5, "%"), "test_weight": (78.0, "kg/hL")},
    ),
    (
        "gold",
        "Good Delivery bar",
        "995",
        "ozt",
        "4000",
        "2650",
        "USD",
        "ozt",
        51.51,
        -0.09,
        "GB-LND",
        "GB",
        {"fineness": (999.5, "per_mille"), "bar_weight": (400.0, "ozt")},
    ),
]


def _lot(row: tuple[Any, ...]) -> pb.Availability:
    (
        commodity,
        variety,
        grade,
        unit,
        total,
        price,
        currency,
        price_unit,
        lat,
        lng,
        region,
        country,
        quality,
    ) = row
    lot = pb.Availability(
        commodity=commodity,
        variety=variety,
        grade=grade,
        quantity_unit=unit,
        total_quantity=total,
        base_price=pb.Money(currency_code=currency, amount=price),
        price_unit=price_unit,
        delivery_region=region,
        country_of_origin=country,
        incoterm="FOB",
        delivery_location=pb.LatLng(latitude=lat, longitude=lng),
        description=f"{variety} {commodity}, demo lot",
    )
    for name, (value, qunit) in quality.items():
        lot.quality_params[name].number = value
        lot.quality_params[name].unit = qunit
    return lot


def run_demo(settings: Settings, target: str) -> int:
    secret = signing_secret(settings)
    trader = mint_token(
        secret,
        "demo-trader",
        ["TRADER"],
        company_id="demo-co",
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    admin = mint_token(
        secret, "demo-admin", ["ADMIN"], issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    with grpc.insecure_channel(target) as channel:
        stub = api_grpc.AvailabilityServiceStub(channel)
        for row in LOTS:
            try:
                created = stub.CreateAvailability(
                    api.CreateAvailabilityRequest(
                        availability=_lot(row), request_id=str(uuid.uuid4())
                    ),
                    metadata=[("authorization", f"Bearer {trader}")],
                    timeout=10,
                ).availability
                approved = stub.ApproveAvailability(
                    api.ApproveAvailabilityRequest(name=created.name),
                    metadata=[("authorization", f"Bearer {admin}")],
                    timeout=10,
                ).availability
            except grpc.RpcError as exc:
                print(f"{row[0]:<8} {row[1]:<20} failed: {exc.code().name}: {exc.details()}")
                return 1
            print(
                f"{approved.commodity:<8} {approved.variety:<20} {approved.total_quantity:>6} "
                f"{approved.quantity_unit:<8} {approved.name}"
            )
    print(f"posted {len(LOTS)} lots; list them with ListAvailabilities")
    return 0
