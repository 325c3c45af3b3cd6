"""The database goes away under load and comes back: UNAVAILABLE meanwhile, never INTERNAL;
health says NOT_SERVING; the service recovers on its own; a service started first waits."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from availability_service.grpc_api.errors import status_for
from availability_service.storage.database import make_engine
from tests.reliability import invariants
from tests.reliability.conftest import Figures
from tests.reliability.load import FORBIDDEN, identities
from tests.reliability.pg_control import ControlledPostgres, health_status
from tests.support.lots import cotton_lot
from tests.support.processes import ServerProcess
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[ControlledPostgres]:
    # Not under pytest's basetemp: a concurrent pytest session resets that folder to 0700,
    # which locks out the unprivileged user the embedded server runs as when we are root.
    root = Path(tempfile.mkdtemp(prefix="availability-faultpg-"))
    root.chmod(0o755)
    pg = ControlledPostgres(root)
    yield pg
    pg.close()
    shutil.rmtree(root, ignore_errors=True)


def _wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


class Traffic:
    """One thread of creates and reads, counting every status code it gets back."""

    def __init__(self, address: str) -> None:
        self.who = identities(uuid.uuid4().hex[:8])
        self.address = address
        self.codes: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def call(self, method: str, request: object, role: str = "TRADER") -> str:
        with grpc.insecure_channel(self.address) as channel:
            stub = getattr(api_grpc.AvailabilityServiceStub(channel), method)
            try:
                stub(request, metadata=self.who[role].metadata, timeout=5)
                return "OK"
            except grpc.RpcError as err:
                return str(err.code().name)

    def _run(self) -> None:
        while not self._stop.is_set():
            create = api.CreateAvailabilityRequest(
                availability=cotton_lot(), request_id=uuid.uuid4().hex
            )
            self.codes[self.call("CreateAvailability", create)] += 1
            self.codes[self.call("ListAvailabilities", api.ListAvailabilitiesRequest())] += 1
            time.sleep(0.05)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(15)


def _open_watch(address: str, traffic: Traffic) -> tuple[grpc.Channel, object]:
    channel = grpc.insecure_channel(address)
    stream = api_grpc.AvailabilityServiceStub(channel).WatchAvailabilities(
        api.WatchAvailabilitiesRequest(), metadata=traffic.who["SERVICE"].metadata, timeout=60
    )
    return channel, stream


def _stream_end_code(stream: object) -> str:
    try:
        for _ in stream:  # type: ignore[attr-defined]
            pass
        return "OK"
    except grpc.RpcError as err:
        return str(err.code().name)


def test_a_database_restart_under_load_gives_unavailable_not_serving_then_recovers(
    own_postgres: ControlledPostgres, tmp_path: Path, figures: Figures
) -> None:
    proc = ServerProcess(own_postgres.url, tmp_path).start()
    try:
        with Traffic(proc.address) as traffic:
            channel, stream = _open_watch(proc.address, traffic)
            ended: list[str] = []
            watcher = threading.Thread(
                target=lambda: ended.append(_stream_end_code(stream)), daemon=True
            )
            watcher.start()
            time.sleep(1.0)
            own_postgres.stop()
            assert _wait_for(lambda: health_status(proc.address) == "NOT_SERVING")
            down = [
                traffic.call(
                    "GetAvailability",
                    api.GetAvailabilityRequest(name=f"availabilities/{uuid.uuid4()}"),
                ),
                traffic.call(
                    "CreateAvailability",
                    api.CreateAvailabilityRequest(
                        availability=cotton_lot(), request_id=uuid.uuid4().hex
                    ),
                ),
                traffic.call(
                    "ReserveAvailability",
                    api.ReserveAvailabilityRequest(
                        name=f"availabilities/{uuid.uuid4()}", quantity="1", buyer_id="b"
                    ),
                    role="SERVICE",
                ),
            ]
            time.sleep(1.0)
            own_postgres.start()
            assert _wait_for(lambda: health_status(proc.address) == "SERVING")
            fresh = api.CreateAvailabilityRequest(
                availability=cotton_lot(), request_id=uuid.uuid4().hex
            )
            assert _wait_for(lambda: traffic.call("CreateAvailability", fresh) == "OK", timeout=10)
            time.sleep(0.5)
        stream.cancel()  # type: ignore[attr-defined]
        watcher.join(10)
        channel.close()
    finally:
        proc.stop()

    # UNIMPLEMENTED is allowed for RPCs another feature has not landed yet.
    assert set(down) <= {"UNAVAILABLE", "UNIMPLEMENTED"}, down
    assert "UNAVAILABLE" in down
    assert not set(traffic.codes) & {c.name for c in FORBIDDEN}, traffic.codes
    assert traffic.codes["UNAVAILABLE"] > 0 and traffic.codes["OK"] > 0
    assert not set(ended) & {c.name for c in FORBIDDEN}, ended
    engine = make_engine(own_postgres.url, pool_size=1)
    with engine.connect() as conn:
        violations = invariants.all_violations(conn)
    engine.dispose()
    assert violations == []
    figures.record(
        "database_restart",
        calls=sum(traffic.codes.values()) + len(down),
        unavailable=traffic.codes["UNAVAILABLE"] + down.count("UNAVAILABLE"),
        internal_or_unknown=0,
        watch_stream_end=(ended or ["open"])[0],
        invariant_violations=len(violations),
    )


def test_a_service_started_before_its_database_waits_logs_why_and_then_serves(
    own_postgres: ControlledPostgres, tmp_path: Path
) -> None:
    own_postgres.stop()
    proc = ServerProcess(own_postgres.url, tmp_path)

    def start_database_once_the_service_waits() -> None:
        # The database comes up only after the service has logged that it is waiting for it.
        _wait_for(
            lambda: proc.log_path.exists() and "database_not_ready" in proc.log_path.read_text(),
            timeout=30,
        )
        own_postgres.start()

    later = threading.Thread(target=start_database_once_the_service_waits, daemon=True)
    later.start()
    try:
        proc.start(timeout=60)
        log = proc.log_path.read_text()
        traffic = Traffic(proc.address)
        created = traffic.call(
            "CreateAvailability",
            api.CreateAvailabilityRequest(availability=cotton_lot(), request_id=uuid.uuid4().hex),
        )
    finally:
        later.join(35)
        proc.stop()
    assert "database_not_ready" in log
    assert created == "OK"


def test_a_statement_cancelled_by_the_deadline_maps_to_deadline_exceeded(engine: Engine) -> None:
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 50"))
        conn.execute(text("SELECT pg_sleep(2)"))
    status = status_for(caught.value)
    assert status is not None and status.code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_a_refused_connection_at_checkout_maps_to_unavailable(tmp_path: Path) -> None:
    nowhere = make_engine(f"postgresql://postgres@/postgres?host={tmp_path}", pool_size=1)
    with pytest.raises(DBAPIError) as caught, nowhere.connect():
        pass
    nowhere.dispose()
    status = status_for(caught.value)
    assert status is not None and status.code == grpc.StatusCode.UNAVAILABLE
