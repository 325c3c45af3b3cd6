"""Rate limits set from the environment reach a real `serve` process, and bad ones stop it."""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import pytest

from tests.support.callers import Caller, make_token
from tests.support.lots import error_details
from tests.support.processes import ServerProcess
from tradedesk.availability.v1 import availability_service_pb2 as api


def test_a_configured_read_limit_refuses_the_call_past_its_burst(
    database_url: str, data_dir: Path
) -> None:
    env = {"AVAILABILITY_RATE_LIMITS": "read=0.01/2"}
    with (
        ServerProcess(database_url, data_dir, env=env) as proc,
        grpc.insecure_channel(proc.address) as channel,
    ):
        buyer = Caller(channel, make_token("buyer-limited", ["BUYER"]), "buyer-limited")
        missing = api.GetAvailabilityRequest(name=f"availabilities/{uuid.uuid4()}")
        for _ in range(2):
            with pytest.raises(grpc.RpcError) as err:
                buyer.GetAvailability(missing)
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as err:
            buyer.GetAvailability(missing)
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        details = error_details(err.value)
        assert details["reason"] == "RATE_LIMITED"
        assert details["retry_delay"] > 0


def test_a_malformed_limit_setting_stops_the_server_at_start(
    database_url: str, data_dir: Path
) -> None:
    proc = ServerProcess(database_url, data_dir, env={"AVAILABILITY_RATE_LIMITS": "reads=1/2"})
    with pytest.raises(RuntimeError, match="rate limit"):
        proc.start(timeout=60)
    proc.stop()
