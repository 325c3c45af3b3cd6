"""`serve --workers 2`: two processes listen on one port (SO_REUSEPORT) and stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.processes import (
    ServerProcess,
    child_pids,
    free_port,
    listening_sockets,
    server_environment,
)

pytestmark = pytest.mark.slow


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def test_two_workers_each_listen_on_the_shared_port_and_all_stop_on_sigterm(
    database_url: str, data_dir: Path
) -> None:
    port = free_port()
    env = server_environment(database_url, data_dir)
    log_path = data_dir / f"workers-{port}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "availability_service.cli",
                "serve",
                "--address",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    waiter = ServerProcess(database_url, data_dir, port=port)
    waiter.proc = proc
    try:
        waiter.wait_serving(timeout=90)
        # Both children must be up, not just the first one to bind.
        for _ in range(300):
            workers = child_pids(proc.pid)
            listening = listening_sockets(port)
            sharing = [pid for pid in workers if _socket_inodes(pid) & listening]
            if len(sharing) == 2:
                break
            waiter.wait_serving(timeout=1)
        # (The parent has a third child, multiprocessing's resource tracker, which listens on
        # nothing.)
        assert len(sharing) == 2, log_path.read_text()[-2000:]
        # Fresh channels are new connections, which the kernel spreads across both listeners.
        for _ in range(20):
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=5
                )
                assert reply.status == health_pb2.HealthCheckResponse.SERVING
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log_path.read_text()[-2000:]
        assert not [pid for pid in sharing if Path(f"/proc/{pid}").exists()]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
