"""The `serve` command as a real process: health, reflection, graceful SIGTERM."""

from __future__ import annotations

from pathlib import Path

import grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.support.processes import ServerProcess


def test_serve_process_lists_the_service_in_reflection_and_stops_on_sigterm(
    database_url: str, data_dir: Path
) -> None:
    with ServerProcess(database_url, data_dir) as proc:
        with grpc.insecure_channel(proc.address) as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            responses = stub.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10
            )
            names = [s.name for r in responses for s in r.list_services_response.service]
        assert "tradedesk.availability.v1.AvailabilityService" in names
        assert "grpc.health.v1.Health" in names
    assert proc.proc is not None and proc.proc.returncode == 0
