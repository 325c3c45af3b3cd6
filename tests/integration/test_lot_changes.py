"""The lot cache's probe on real PostgreSQL: the head and the lots changed after a revision,
read in one snapshot, or "cannot tell" when events were compacted or there are too many."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, text

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.domain.deadline import Deadline
from availability_service.grpc_api.lot_input import draft_from_proto
from availability_service.storage import events
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
