"""A create's revision stamp and event ride in one message with its COMMIT, BEGIN in one with the
statement timeout (storage/write_transaction.py); a failure in that last message leaves nothing
written and the pooled connection clean."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2.extensions
import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.domain.deadline import Deadline
from availability_service.grpc_api.lot_input import draft_from_proto
from availability_service.service_layer.idempotent import RequestKey
from availability_service.service_layer.lots import LotService
from availability_service.storage.tables import availabilities, events, idempotency_keys
from availability_service.storage.unit_of_work import SqlUnitOfWork
from tests.support.lots import cotton_lot


def a_seller() -> Principal:
    return Principal(f"write-tx-{uuid.uuid4().hex[:8]}", "co", frozenset({Role.TRADER}), "IN-GJ")


class RecordingCursor(psycopg2.extensions.cursor):  # type: ignore[misc]
    """A driver cursor that notes every statement sent on it: SQLAlchemy's executions and
    the ones sent on the driver's cursor directly (storage.driver_read) alike."""

    sent: list[str] = []

    def execute(self, query: Any, vars: Any = None) -> Any:
        RecordingCursor.sent.append(query if isinstance(query, str) else query.decode())
        return super().execute(query, vars)


@contextmanager
def statements_sent(app: Application) -> Iterator[tuple[LotService, list[str]]]:
    """A LotService on an engine of its own whose connections note what they send (the
    session's server runs background work on the app's engine: the sweeper, the watch hub)."""
    engine = create_engine(app.engine.url, connect_args={"cursor_factory": RecordingCursor})
    with engine.connect():
        pass  # the dialect's first-connect queries are not the create's
    RecordingCursor.sent = []
    try:
        yield LotService(SqlUnitOfWork(engine), app.services.lots.enrich), RecordingCursor.sent
    finally:
        engine.dispose()


@pytest.fixture
def one_connection(app: Application) -> Iterator[Engine]:
    """An engine of ONE pooled connection: every transaction reuses the one before's."""
    engine = create_engine(app.engine.url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_a_create_sends_begin_with_its_timeout_and_its_stamp_and_event_with_the_commit(
    app: Application, engine: Engine
) -> None:
    seller = a_seller()
    with statements_sent(app) as (lots, sent):
        outcome = lots.create(seller, draft_from_proto(cotton_lot()), None, Deadline.within(30))
    lot = outcome.availability
    assert lot is not None
    assert sent[0].startswith("BEGIN; SET LOCAL statement_timeout = ")
    last = sent[-1]  # the lot's row, its stamp and event, the COMMIT: in this order
    row, stamp, commit = (
        last.index("INSERT INTO availabilities"),
        last.index("stamp_new_lot("),
        last.index("; COMMIT;"),
    )
    assert row < stamp < commit
    assert not any("INSERT" in s or "stamp_new_lot" in s for s in sent[1:-1])
    with engine.connect() as conn:
        stored = conn.execute(
            select(availabilities.c.revision).where(availabilities.c.id == lot.id)
        ).scalar_one()
        logged = conn.execute(
            select(events.c.revision, events.c.after["revision"].as_integer()).where(
                events.c.availability_id == lot.id
            )
        ).one()
    assert lot.revision == stored == logged[0] == logged[1] > 0


def test_a_create_with_a_request_id_stores_its_reply_with_the_revision_it_committed_at(
    app: Application, engine: Engine
) -> None:
    seller, rid = a_seller(), str(uuid.uuid4())
    key = RequestKey(seller.subject, rid, "CreateAvailability", "hash")
    lots = app.services.lots
    first = lots.create(seller, draft_from_proto(cotton_lot()), key, Deadline.within(30))
    again = lots.create(seller, draft_from_proto(cotton_lot()), key, Deadline.within(30))
    assert first.availability is not None and again.availability is not None
    assert again.replayed and again.availability.revision == first.availability.revision > 0
    with engine.connect() as conn:
        response = conn.execute(
            select(idempotency_keys.c.response).where(idempotency_keys.c.request_id == rid)
        ).scalar_one()
    assert response["availability"]["revision"] == first.availability.revision


def test_a_create_whose_commit_message_times_out_leaves_nothing_and_a_clean_connection(
    app: Application, engine: Engine, one_connection: Engine
) -> None:
    lots = LotService(SqlUnitOfWork(one_connection), app.services.lots.enrich)
    seller = a_seller()
    # Another transaction holds the revision counter: the stamp waits past the deadline.
    with engine.connect() as blocker, blocker.begin():
        blocker.execute(text("UPDATE revision_counter SET value = value WHERE id = 1"))
        with pytest.raises(DBAPIError, match="statement timeout"):
            lots.create(seller, draft_from_proto(cotton_lot()), None, Deadline.within(0.5))
    with engine.connect() as conn:
        written = conn.execute(
            select(func.count())
            .select_from(availabilities)
            .where(availabilities.c.seller_id == seller.subject)
        ).scalar_one()
    assert written == 0  # the row inserted before the stamp was rolled back with it
    with one_connection.connect() as conn:
        driver: Any = conn.connection.driver_connection
        assert (driver.autocommit, driver.info.transaction_status) == (False, 0)
    later = lots.create(seller, draft_from_proto(cotton_lot()), None, Deadline.within(30))
    assert later.availability is not None and later.availability.revision > 0
