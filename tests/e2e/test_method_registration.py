"""How the server registers its methods: every one served as a generic method, so grpc.aio's
serving loop waits on one pending request per accepted call, not one per method."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.callers import Caller
from tests.support.lots import cotton_lot
from tradedesk.availability.v1 import availability_service_pb2 as api


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The number of futures of each asyncio.wait started while the test runs (grpc's serving
    loop calls it, by the module's attribute, once per call it accepts)."""
    sizes: list[int] = []
    original = asyncio.wait

    async def counted(fs: Any, *args: Any, **kwargs: Any) -> Any:
        fs = list(fs)
        sizes.append(len(fs))
        return await original(fs, *args, **kwargs)

    monkeypatch.setattr(asyncio, "wait", counted)
    yield sizes


def test_each_accepted_call_waits_on_one_pending_request_not_one_per_method(
    waits: list[int], seller: Caller, channel: grpc.Channel
) -> None:
    lot = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot())
    ).availability
    # The serving loop was already waiting when the patch went in: the calls after the first
    # are accepted through the patched wait.
    for _ in range(3):
        got = seller.GetAvailability(api.GetAvailabilityRequest(name=lot.name))
        assert got.availability.name == lot.name
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert waits, "the serving loop never waited through asyncio.wait"
    # 28 with the methods registered (23 of ours, health's and reflection's, plus the generic
    # request): each accepted call wired and unwired a callback on every one of them.
    assert max(waits) == 1, waits
