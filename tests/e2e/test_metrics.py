"""Every RPC is counted in the Prometheus metrics, by method and status code."""

from __future__ import annotations

import uuid

import grpc
import pytest
from prometheus_client import REGISTRY

from tests.support.callers import Caller
from tradedesk.availability.v1 import availability_service_pb2 as api


def counted(method: str, code: str) -> float:
    value = REGISTRY.get_sample_value("availability_rpc_total", {"method": method, "code": code})
    return value or 0.0


def test_rpcs_are_counted_by_method_and_code(buyer: Caller) -> None:
    before = counted("GetAvailability", "NOT_FOUND")
    with pytest.raises(grpc.RpcError):
        buyer.GetAvailability(api.GetAvailabilityRequest(name=f"availabilities/{uuid.uuid4()}"))
    assert counted("GetAvailability", "NOT_FOUND") == before + 1
