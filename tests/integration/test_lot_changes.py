"""The lot cache's probe on real PostgreSQL: the head and the lots changed after a revision,
read in one snapshot, or "cannot tell" when events were compacted or there are too many."""

from __future__ import annotations

import asyncio
import uuid

import psycopg2
import pytest
from sqlalchemy import Engine, text

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.domain.deadline import Deadline
from availability_service.grpc_api.lot_input import draft_from_proto
from availability_service.storage import events, loop_probe
from availability_service.storage.unit_of_work import SqlUnitOfWork
from tests.support.lots import cotton_lot

SELLER = Principal("seller-changes", "co-changes", frozenset({Role.TRADER}), "IN-GJ")


def _post(app: Application) -> uuid.UUID:
    outcome = app.services.lots.create(SELLER, draft_from_proto(cotton_lot()), None)
    assert outcome.availability is not None
    return outcome.availability.id


def _probe(engine: Engine, after: int, limit: int = 100) -> tuple[int, object]:
    with SqlUnitOfWork(engine).statement_read(Deadline.within(5.0)) as tx:
        return tx.events.changes_since(after, limit)


def test_the_probe_names_every_lot_written_after_the_revision_and_the_head(
    app: Application, engine: Engine
) -> None:
    with engine.connect() as conn:
        start = events.current_revision(conn)
    first, second = _post(app), _post(app)
    app.services.lots.update(SELLER, f"availabilities/{first}", "", {"grade": "A"}, None)
    with engine.connect() as conn:
        head = events.current_revision(conn)
    assert _probe(engine, start) == (head, frozenset({first, second}))
    assert _probe(engine, head) == (head, frozenset())


def test_more_changes_than_the_limit_cannot_be_told(app: Application, engine: Engine) -> None:
    with engine.connect() as conn:
        start = events.current_revision(conn)
    for _ in range(3):
        _post(app)
    head, lots = _probe(engine, start, limit=2)  # type: ignore[misc]
    assert head == start + 3 and lots is None


def test_changes_whose_events_were_compacted_cannot_be_told(
    app: Application, engine: Engine
) -> None:
    with engine.connect() as conn:
        start = events.current_revision(conn)
    _post(app)
    _post(app)
    with engine.connect() as conn:  # compacted in a transaction that is then rolled back
        conn.execute(text("DELETE FROM events WHERE revision <= :r"), {"r": start + 1})
        assert events.changes_since(conn, start, 100)[1] is None
        assert events.changes_since(conn, start + 1, 100)[1] is not None
        conn.rollback()


def _kill_probe_connections(engine: Engine) -> int:
    with engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))"
                " FROM pg_stat_activity WHERE application_name = :name"
            ),
            {"name": loop_probe.APPLICATION_NAME},
        ).scalar_one()
    return int(killed)


async def test_the_probe_on_the_event_loop_sees_a_write_acknowledged_before_it_was_sent(
    app: Application, engine: Engine
) -> None:
    probe = SqlUnitOfWork(engine).change_probe(5.0)
    try:
        start = (await probe.changes_since(0, 100_000)).head
        written = await asyncio.to_thread(_post, app)  # acknowledged: committed and returned
        head, lots = await probe.changes_since(start, 100)
        assert lots == frozenset({written}) and head > start
        assert await probe.changes_since(head, 100) == (head, frozenset())
    finally:
        probe.close()


async def test_a_probe_connection_the_database_dropped_fails_once_then_is_replaced(
    app: Application, engine: Engine
) -> None:
    probe = SqlUnitOfWork(engine).change_probe(5.0)
    try:
        start = (await probe.changes_since(0, 100_000)).head
        assert _kill_probe_connections(engine) >= 1  # this one, and any server's
        with pytest.raises(psycopg2.Error):
            await probe.changes_since(start, 100)  # never an answer from a dead connection
        written = await asyncio.to_thread(_post, app)
        head, lots = await probe.changes_since(start, 100)  # a new connection
        assert lots == frozenset({written}) and head > start
    finally:
        probe.close()
