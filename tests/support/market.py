"""A cotton market of approved lots from several sellers, as the price-anomaly baseline reads it."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from tests.support.callers import Caller
from tests.support.lots import cotton_lot
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

# A baseline counts at most five lots of one seller (price_check.MAX_LOTS_PER_SELLER) and
# needs twenty prices: four sellers of five lots each make the smallest full baseline.
SELLERS = 4
LOTS_PER_SELLER = 5
# Far from the point other tests search around (Rajkot): these approved lots are many, and
# would fill the first page of every search near it.
MARKET_POINT = pb.LatLng(latitude=-47.5, longitude=-20.5)


def fresh_grade_and_region() -> tuple[str, str]:
    """A grade and region no other lot of the session uses: a market of this test's own."""
    return f"G-{uuid.uuid4().hex[:8]}", f"ZZ-{uuid.uuid4().hex[:6].upper()}"


def priced(amount: str, currency: str) -> pb.Money:
    return pb.Money(currency_code=currency, amount=amount)


def post(caller: Caller, lot: pb.Availability) -> pb.Availability:
    reply = caller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=lot, request_id=uuid.uuid4().hex)
    )
    return reply.availability


def post_approved(caller: Caller, admin: Caller, lot: pb.Availability) -> pb.Availability:
    """Posted by `caller` and approved by `admin`: a lot of the market."""
    created = post(caller, lot)
    return admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=created.name)).availability


def approved_market(
    make_caller: Callable[..., Caller],
    admin: Caller,
    *,
    grade: str,
    region: str,
    price: str = "1650",
    currency: str = "USD",
    sellers: int = SELLERS,
    lots_per_seller: int = LOTS_PER_SELLER,
) -> list[tuple[Caller, pb.Availability]]:
    """Approved cotton lots at one price, from `sellers` traders of their own.

    A currency no other test prices cotton in makes a market of the test's own: baselines
    are per canonical price unit, and the catalog band (USD only) does not apply to it.
    """
    lots = []
    for _ in range(sellers):
        trader = make_caller("TRADER", company=f"co-{uuid.uuid4().hex[:6]}")
        for _ in range(lots_per_seller):
            lot = cotton_lot(
                grade=grade,
                delivery_region=region,
                base_price=priced(price, currency),
                delivery_location=MARKET_POINT,
            )
            lots.append((trader, post_approved(trader, admin, lot)))
    return lots
