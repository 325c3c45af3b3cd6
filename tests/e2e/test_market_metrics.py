"""Market figures on /metrics: lots posted and approved, holds placed, released, expired and
sold, quantity sold in canonical units, and the time from approval to first hold and sale.

The server runs in this process, so the registry it counts into is the one read here. Each
figure is read before and after the calls that move it; a refused call and an idempotent
replay move nothing, because figures are counted only after their transaction commits.
"""

from __future__ import annotations

import time
import uuid

import grpc
import pytest
from prometheus_client import REGISTRY

from tests.support.callers import Caller
from tests.support.lots import cotton_lot
from tradedesk.availability.v1 import availability_service_pb2 as api

COTTON = {"commodity": "cotton"}
SOLD_KG = {"commodity": "cotton", "unit": "kg"}


def figure(name: str, labels: dict[str, str] = COTTON) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def figures() -> dict[str, float]:
    return {
        "posted": figure("availability_lots_posted_total"),
        "approved": figure("availability_lots_approved_total"),
        "placed": figure("availability_holds_placed_total"),
        "released": figure("availability_holds_released_total"),
        "expired": figure("availability_holds_expired_total"),
        "sold": figure("availability_holds_sold_total"),
        "direct": figure("availability_direct_sales_total"),
        "kg_sold": figure("availability_quantity_sold_total", SOLD_KG),
        "first_holds": figure("availability_approval_to_first_hold_seconds_count"),
        "first_sales": figure("availability_approval_to_sale_seconds_count"),
    }


def moved(before: dict[str, float]) -> dict[str, float]:
    after = figures()
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


def approved_lot(seller: Caller, admin: Caller) -> str:
    name: str = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot())
    ).availability.name
    admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=name))
    return name


def reserve(service: Caller, name: str, quantity: str, **fields: object) -> str:
    request = api.ReserveAvailabilityRequest(
        name=name, quantity=quantity, buyer_id="buyer-m", **fields
    )  # type: ignore[arg-type]
    return str(service.ReserveAvailability(request).reservation.name)


def test_posting_and_approving_are_counted(seller: Caller, admin: Caller) -> None:
    before = figures()
    approved_lot(seller, admin)
    seller.CreateAvailability(api.CreateAvailabilityRequest(availability=cotton_lot()))
    assert moved(before) == {"posted": 2, "approved": 1}


def test_a_lots_holds_and_sales_are_counted_with_the_quantity_in_kg(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    name = approved_lot(seller, admin)  # 100 t
    before = figures()
    first = reserve(service, name, "10")
    assert moved(before) == {"placed": 1, "first_holds": 1}
    second = reserve(service, name, "20")
    service.ReleaseReservation(api.ReleaseReservationRequest(name=first))
    service.MarkSold(api.MarkSoldRequest(name=second, quantity="15", trade_id="t-m"))
    service.MarkSold(api.MarkSoldRequest(name=name, quantity="5", buyer_id="buyer-d"))
    assert moved(before) == {
        "placed": 2,
        "first_holds": 1,  # the second hold is not the first
        "released": 1,
        "sold": 1,
        "direct": 1,
        "kg_sold": 20000,  # 15 t + 5 t in the canonical unit of cotton
        "first_sales": 1,  # the direct sale came after the first one
    }


def test_refusals_and_replays_count_nothing(seller: Caller, admin: Caller, service: Caller) -> None:
    name = approved_lot(seller, admin)
    reserve(service, name, "10", request_id="once")
    before = figures()
    reserve(service, name, "10", request_id="once")  # replay: the first result, no new hold
    with pytest.raises(grpc.RpcError) as err:
        reserve(service, name, "1000")  # more than there is: rolled back
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert moved(before) == {}


def test_an_expired_hold_is_counted_once_swept(
    seller: Caller, admin: Caller, service: Caller
) -> None:
    name = approved_lot(seller, admin)
    before = figures()
    reserve(service, name, "10", ttl={"seconds": 1})
    give_up = time.monotonic() + 30  # the sweeper runs every 0.2 s in tests
    while figure("availability_holds_expired_total") == before["expired"]:
        assert time.monotonic() < give_up, "the sweeper never expired the hold"
        time.sleep(0.1)
    assert moved(before) == {"placed": 1, "first_holds": 1, "expired": 1}


def test_the_figures_are_served_on_the_metrics_endpoint(seller: Caller) -> None:
    from prometheus_client import generate_latest

    seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(), request_id=str(uuid.uuid4()))
    )
    text = generate_latest(REGISTRY).decode()
    assert 'availability_lots_posted_total{commodity="cotton"}' in text
    assert "availability_approval_to_sale_seconds_bucket" in text
