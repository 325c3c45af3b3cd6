"""Property: search's `order_quantity` keeps a lot exactly when ReserveAvailability would
grant a hold of that quantity on it now.

Random lots (unit, total, minimum order, partial orders, what is already held, the daily
cut-off, the availability window) go in through the real RPCs; for each random order, the set
search returns is compared with the outcome of reserving that order on every lot, each
granted hold released again before the next order. Orders are drawn in kg (the canonical
unit) and lots are in t or kg, so each order is an exact quantity in the lot's unit.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from tests.support.callers import Caller
from tests.support.lots import cotton_lot
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

LOTS = 14
ORDERS = 6
KG_PER = {"t": Decimal(1000), "kg": Decimal(1)}


def stamp(moment: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(moment)
    return out


def random_lot(rng: random.Random, region: str) -> tuple[pb.Availability, Decimal]:
    """A lot to post, and how much of it to hold before the orders come."""
    moment = datetime.now(UTC)
    unit = rng.choice(["t", "kg"])
    total = Decimal(rng.randint(1, 60)) * (1000 if unit == "kg" else 1)
    lot = cotton_lot(
        quantity_unit=unit,
        total_quantity=str(total),
        delivery_region=region,
        allow_partial_order=rng.random() > 0.25,
    )
    if rng.random() < 0.5:
        lot.min_order_quantity = str(Decimal(rng.randint(1, int(total))))
    roll = rng.random()
    if roll < 0.1:
        lot.eod_cutoff = "00:00"  # closed for the rest of the day, whenever this runs
    elif roll < 0.2:
        lot.available_from.CopyFrom(stamp(moment + timedelta(days=1)))
    elif roll < 0.3:
        lot.available_until.CopyFrom(stamp(moment - timedelta(hours=1)))
    held = Decimal(rng.randint(0, int(total))) if rng.random() < 0.4 else Decimal(0)
    return lot, held


def an_order(rng: random.Random, lots: list[pb.Availability]) -> Decimal:
    """Mostly quantities on the edges that matter: a lot's minimum, its rest, one more."""
    lot = rng.choice(lots)
    per = KG_PER[lot.quantity_unit]
    edges = [Decimal(lot.total_quantity), Decimal(lot.min_order_quantity or 1)]
    pick = rng.choice(edges) * per + rng.choice([-per, 0, 0, per, Decimal(rng.randint(1, 999))])
    return max(pick, Decimal(1))


def grants(service: Caller, name: str, quantity: Decimal, keep: bool = False) -> bool:
    """Whether the hold is granted; a granted hold is released again unless `keep`."""
    try:
        hold = service.ReserveAvailability(
            api.ReserveAvailabilityRequest(name=name, quantity=str(quantity), buyer_id="prop")
        ).reservation
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.details()
        return False
    if not keep:
        service.ReleaseReservation(api.ReleaseReservationRequest(name=hold.name))
    return True


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_order_quantity_agrees_with_reserve_on_random_lots(
    seed: int, caller: Callable[..., Caller], admin: Caller, service: Caller
) -> None:
    rng = random.Random(seed)
    trader = caller("TRADER")
    region = f"ZP-{uuid.uuid4().hex[:6].upper()}"
    posted: list[tuple[str, pb.Availability]] = []
    for _ in range(LOTS):
        lot, held = random_lot(rng, region)
        name = trader.CreateAvailability(api.CreateAvailabilityRequest(availability=lot))
        name = name.availability.name
        admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
        if held:
            grants(service, name, held, keep=True)  # when the rules allow it, held all along
        posted.append((name, lot))
    lots = [lot for _, lot in posted]
    agreed = 0
    for _ in range(ORDERS):
        order = an_order(rng, lots)
        request = api.SearchAvailabilitiesRequest(
            commodity="cotton",
            delivery_regions=[region],
            order_quantity=str(order),
            include_anomalies=True,
            page_size=200,
        )
        found = {r.availability.name for r in service.SearchAvailabilities(request).results}
        expected = {
            name for name, lot in posted if grants(service, name, order / KG_PER[lot.quantity_unit])
        }
        assert found == expected, f"order of {order} kg"
        agreed += len(expected)
    assert agreed > 0  # the orders really found lots to hold on
