"""Every RPC is counted in the Prometheus metrics, by method and status code."""

from __future__ import annotations

import time
import uuid

import grpc
import pytest
from prometheus_client import REGISTRY

from tests.support.callers import Caller
from tradedesk.availability.v1 import availability_service_pb2 as api


def counted(method: str, code: str) -> float:
    value = REGISTRY.get_sample_value("availability_rpc_total", {"method": method, "code": code})
    return value or 0.0


def counted_once_settled(method: str, code: str, expected: float, within: float = 10.0) -> float:
    """The count once the server thread has finished its bookkeeping for the call.

    grpc.aio sends an aborted call's status before the handler's finally block runs,
    so the client can hold the error a moment before the server has counted it.
    """
    give_up = time.monotonic() + within
    value = counted(method, code)
    while value < expected and time.monotonic() < give_up:
        time.sleep(0.01)
        value = counted(method, code)
    return value


def test_rpcs_are_counted_by_method_and_code(buyer: Caller) -> None:
    before = counted("GetAvailability", "NOT_FOUND")
    with pytest.raises(grpc.RpcError):
        buyer.GetAvailability(api.GetAvailabilityRequest(name=f"availabilities/{uuid.uuid4()}"))
    assert counted_once_settled("GetAvailability", "NOT_FOUND", before + 1) == before + 1
    time.sleep(0.05)  # a second count for the same call would have landed by now
    assert counted("GetAvailability", "NOT_FOUND") == before + 1
