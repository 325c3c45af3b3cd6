"""GetAvailability's one-statement read (driver SQL on the pooled connection's cursor) on real
PostgreSQL: its result, and its failures as the caller and the pool see them."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.domain.deadline import Deadline
from availability_service.domain.viewer import SYSTEM, Viewer
from availability_service.grpc_api.errors import status_for
from availability_service.grpc_api.lot_input import draft_from_proto
from availability_service.storage import lots
from availability_service.storage.database import make_engine
from availability_service.storage.unit_of_work import SqlUnitOfWork
from availability_service.telemetry import tracing
from tests.support.lots import cotton_lot

SELLER = Principal("seller-reads", "co-reads", frozenset({Role.TRADER}), "IN-GJ")
OWNER = Viewer(SELLER.subject, SELLER.company_id, SELLER.region)
STRANGER = Viewer("stranger-reads", "co-other", "IN-GJ")


@pytest.fixture
def lot_id(app: Application) -> uuid.UUID:
    """A lot just posted (in review): its owner sees it, a stranger does not."""
    outcome = app.services.lots.create(SELLER, draft_from_proto(cotton_lot()), None)
    assert outcome.availability is not None
    return outcome.availability.id


@pytest.mark.parametrize("deadline", [None, 30.0], ids=["no deadline", "deadline"])
def test_the_one_statement_read_finds_the_lot_for_its_owner_and_not_for_a_stranger(
    engine: Engine, lot_id: uuid.UUID, deadline: float | None
) -> None:
    uow = SqlUnitOfWork(engine)
    with uow.statement_read(Deadline.within(deadline)) as tx:
        assert tx.lots.get(lot_id, STRANGER) is None
        found = tx.lots.get(lot_id, OWNER)
        assert found is not None and found.id == lot_id
        assert tx.lots.get(uuid.uuid4(), SYSTEM) is None


@pytest.mark.parametrize("timeout_ms", [None, 30_000])
def test_the_one_statement_read_types_every_field_as_the_table_read_does(
    engine: Engine, lot_id: uuid.UUID, timeout_ms: int | None
) -> None:
    with engine.connect() as conn:
        expected = lots.get_lot(conn, lot_id)
        read = lots.read_lot(conn, lot_id, None, statement_timeout_ms=timeout_ms)
    assert expected is not None and read == expected
    assert isinstance(read.id, uuid.UUID) and read.ai_score_vector is not None
    assert all(isinstance(x, float) for x in read.ai_score_vector)


# The read runs on the driver's own cursor (storage.driver_read): what a failure looks like
# to the caller and to the pool must be what SQLAlchemy's execution path gives.


@pytest.fixture
def own_pool(database_url: str) -> Iterator[tuple[Engine, str]]:
    """A pool of three connections of its own, named so its backends can be found."""
    name = f"reads-{uuid.uuid4().hex[:8]}"
    pool = make_engine(database_url, pool_size=3, application_name=name)
    yield pool, name
    pool.dispose()


def _backends(engine: Engine, name: str) -> set[int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
            {"name": name},
        )
        return {int(pid) for (pid,) in rows}


def _fill(pool: Engine, count: int = 3) -> None:
    """Opens `count` connections at once and returns them to the pool, idle."""
    with ExitStack() as stack:
        for _ in range(count):
            stack.enter_context(pool.connect()).execute(text("SELECT 1"))


def _read(pool: Engine, lot_id: uuid.UUID, deadline: float | None = 30.0) -> object:
    with SqlUnitOfWork(pool).statement_read(Deadline.within(deadline)) as tx:
        return tx.lots.get(lot_id, SYSTEM)


def _read_fails(
    pool: Engine, lot_id: uuid.UUID, code: grpc.StatusCode, deadline: float = 30.0
) -> DBAPIError:
    """The read fails with SQLAlchemy's exception, which the error table maps to `code`."""
    with pytest.raises(DBAPIError) as caught:
        _read(pool, lot_id, deadline)
    status = status_for(caught.value)
    assert status is not None and status.code == code
    return caught.value


def test_a_read_cancelled_by_its_deadline_is_deadline_exceeded_and_keeps_its_connection(
    engine: Engine, own_pool: tuple[Engine, str], lot_id: uuid.UUID
) -> None:
    pool, name = own_pool
    _fill(pool)
    before = _backends(engine, name)
    with engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE availabilities IN ACCESS EXCLUSIVE MODE"))
        failed = _read_fails(pool, lot_id, grpc.StatusCode.DEADLINE_EXCEEDED, deadline=0.2)
        blocker.rollback()
    assert not failed.connection_invalidated
    # A cancelled statement leaves a healthy connection: it goes back to the pool, in use.
    assert _read(pool, lot_id) is not None
    assert _backends(engine, name) == before and pool.pool.checkedin() == 3


def test_a_killed_backend_fails_one_read_unavailable_and_the_pool_starts_afresh(
    engine: Engine, own_pool: tuple[Engine, str], lot_id: uuid.UUID
) -> None:
    pool, name = own_pool
    _fill(pool)
    killed = _backends(engine, name)
    assert len(killed) == 3
    with engine.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
            {"pids": sorted(killed)},
        )
    assert _wait_until(lambda: not _backends(engine, name) & killed)
    assert _read_fails(pool, lot_id, grpc.StatusCode.UNAVAILABLE).connection_invalidated
    # Every idle connection died with it: the next read must not be handed another corpse.
    assert _read(pool, lot_id) is not None
    assert not _backends(engine, name) & killed


def test_a_dropped_connection_fails_its_read_unavailable_and_is_never_reused(
    engine: Engine, own_pool: tuple[Engine, str], lot_id: uuid.UUID
) -> None:
    pool, name = own_pool
    with pool.connect() as conn:
        driver: Any = conn.connection.driver_connection
        dropped = driver.get_backend_pid()
        # The network goes away under an idle pooled connection.
        socket.socket(fileno=os.dup(driver.fileno())).shutdown(socket.SHUT_RDWR)
    assert _read_fails(pool, lot_id, grpc.StatusCode.UNAVAILABLE).connection_invalidated
    assert _read(pool, lot_id) is not None
    assert dropped not in _backends(engine, name) or _wait_until(
        lambda: dropped not in _backends(engine, name)
    )


def test_the_read_is_a_child_span_of_the_call_and_a_failed_one_says_why(
    engine: Engine, own_pool: tuple[Engine, str], lot_id: uuid.UUID
) -> None:
    pool, _ = own_pool
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_tracer_provider(provider)
    try:
        with provider.get_tracer("test").start_as_current_span("call") as call:
            assert _read(pool, lot_id) is not None
            with engine.connect() as blocker:
                blocker.execute(text("LOCK TABLE availabilities IN ACCESS EXCLUSIVE MODE"))
                with pytest.raises(DBAPIError):
                    _read(pool, lot_id, deadline=0.2)
                blocker.rollback()
    finally:
        tracing.use_tracer_provider(None)
    read, failed = [s for s in exporter.get_finished_spans() if s.name == "SELECT"]
    for span in (read, failed):
        assert span.kind == SpanKind.CLIENT
        assert span.parent is not None and span.parent.span_id == call.get_span_context().span_id
        assert "FROM availabilities" in str((span.attributes or {})["db.statement"])
    assert read.status.status_code == StatusCode.UNSET
    assert failed.status.status_code == StatusCode.ERROR


def _wait_until(predicate: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
