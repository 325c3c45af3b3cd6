"""The `serve` command as a real process: health, reflection, graceful SIGTERM."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.support.processes import ServerProcess, server_environment


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


# Runs the real serve sequence, signalling itself once the port is bound: the moment a worker of
# `serve --workers` is stopped because its sibling died, or a supervisor stops a slow start.
_SIGNALLED_WHILE_STARTING = """
import asyncio, os, signal
from availability_service import serving
from availability_service.config import Settings
from availability_service.logs import configure_logging

real = serving.start_metrics_endpoint
def bound_then_signalled(settings):
    os.kill(os.getpid(), signal.SIGTERM)
    real(settings)

serving.start_metrics_endpoint = bound_then_signalled
configure_logging("info", True)
asyncio.run(serving.serve_until_signalled(Settings.from_env(address="127.0.0.1:0")))
"""


def test_a_sigterm_while_the_server_is_starting_stops_it_cleanly(
    database_url: str, data_dir: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SIGNALLED_WHILE_STARTING],
        env=server_environment(database_url, data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Killed by the signal's default action this would be -15, with nothing logged.
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert '"shutting_down"' in done.stdout + done.stderr
    assert '"stopped"' in done.stdout + done.stderr
