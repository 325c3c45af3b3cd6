"""An embedded primary with a hot standby, and a server whose reads may go to the standby.

`replicated` (module-scoped fixture): the pair and a ServerThread on it; the standby can be
paused (`pause_replay`), stopped and started. Read evidence comes from the standby's own
statistics (`standby_scans`), never from timing.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from sqlalchemy import Engine, create_engine, text

from availability_service.app import Application, build_application
from availability_service.storage.embedded import start_embedded_postgres
from availability_service.storage.embedded_standby import EmbeddedStandby, start_embedded_standby
from tests.support.callers import TEST_SECRET, Caller, make_token
from tests.support.lots import cotton_lot, register_location
from tests.support.server import ServerThread
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

# Large enough that a paused standby stays "fresh" for the whole of a staleness test on a
# busy machine; tests that need it skipped lower the router's bound themselves.
TEST_MAX_LAG_SECONDS = 120.0


@dataclass
class Replicated:
    app: Application
    server: ServerThread
    channel: grpc.Channel
    standby: EmbeddedStandby
    standby_sql: Engine  # the test's own autocommit connection pool to the standby
    registrar: Caller

    def draft(self, seller: Caller) -> pb.Availability:
        """A lot the seller just created (a DRAFT only the seller and the privileged see)."""
        request = api.CreateAvailabilityRequest(availability=cotton_lot())
        return seller.CreateAvailability(request).availability

    def caller(self, *roles: str, region: str | None = None) -> Caller:
        subject = f"{roles[0].lower()}-{uuid.uuid4().hex[:8]}"
        made = Caller(self.channel, make_token(subject, roles, f"co-{subject}", region), subject)
        if "SELLER" in roles:
            made.location_id = register_location(self.registrar, subject).location_id
        return made

    @property
    def standby_name(self) -> str:
        assert self.app.reads is not None
        return self.app.reads.standbys[0].name

    def sql(self, statement: str) -> object:
        with self.standby_sql.connect() as conn:
            return conn.execute(text(statement)).scalar()

    def pause_replay(self) -> None:
        self.sql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.sql("SELECT pg_wal_replay_resume()")

    def standby_scans(self) -> int:
        """Scans of the lots table on the standby, after its readers' statistics are flushed
        (a backend flushes them when it exits: closing the service's standby pool does it)."""
        assert self.app.reads is not None
        self.app.reads.standbys[0].engine.dispose()
        return int(
            self.sql(
                "SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) "
                "FROM pg_stat_user_tables WHERE relname = 'availabilities'"
            )  # type: ignore[arg-type]  # a bigint
        )

    def wait_until(self, condition: Callable[[], bool], what: str, bound: float = 60.0) -> None:
        deadline = time.monotonic() + bound
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting until {what}")
            time.sleep(0.05)

    def wait_for_fresh_standby(self, revision: int = 0) -> None:
        """Until the router's last probe found the standby up, caught up, and showing at
        least `revision` (a probe from before that write may say "caught up" too)."""
        router = self.app.reads
        assert router is not None

        def fresh() -> bool:
            db = router.standbys[0]
            position = db.position
            return (
                db.staleness(time.monotonic()) <= router.max_lag_seconds
                and position is not None
                and position.lag_seconds == 0
                and position.replayed_revision >= revision
            )

        self.wait_until(fresh, f"the standby is up, caught up and shows revision {revision}")


@pytest.fixture
def paused(replicated: Replicated) -> Iterator[Replicated]:
    """The standby caught up, then its replay paused for the test; resumed after it."""
    replicated.wait_for_fresh_standby()
    replicated.pause_replay()
    try:
        yield replicated
    finally:
        replicated.resume_replay()


@pytest.fixture(scope="module")
def replicated() -> Iterator[Replicated]:
    root = Path(tempfile.mkdtemp(prefix="avail-rep-"))
    primary_url = start_embedded_postgres(root, delete_on_exit=True)
    standby = start_embedded_standby(root / "pgdata", root / "standby", delete_on_exit=True)
    settings_values: dict[str, object] = {
        "database_url": primary_url,
        "data_dir": root,
        "jwt_secret": TEST_SECRET.decode(),
        "address": "127.0.0.1:0",
        "sweep_interval_seconds": 0.2,
        "read_database_urls": (standby.url,),
        "read_max_lag_seconds": TEST_MAX_LAG_SECONDS,
        "read_wait_seconds": 0.2,
    }
    from availability_service.config import Settings

    app = build_application(Settings(**settings_values))  # type: ignore[arg-type]
    server = ServerThread(app).start()
    standby_sql = create_engine(standby.url, isolation_level="AUTOCOMMIT", pool_size=1)
    with grpc.insecure_channel(server.address) as channel:
        registrar = Caller(channel, make_token("admin-registrar", ["ADMIN"]), "admin-registrar")
        yield Replicated(app, server, channel, standby, standby_sql, registrar)
    standby_sql.dispose()
    server.stop()
    app.close()
    standby.stop()
