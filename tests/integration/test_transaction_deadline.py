"""A write transaction never commits after its caller's deadline has passed."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import Engine, text

from availability_service.domain.deadline import Deadline
from availability_service.domain.errors import DeadlinePassed
from availability_service.storage.unit_of_work import SqlUnitOfWork


def _keys(engine: Engine, request_id: str) -> int:
    with engine.connect() as conn:
        found: int = conn.execute(
            text("SELECT count(*) FROM idempotency_keys WHERE request_id = :r"), {"r": request_id}
        ).scalar_one()
    return found


@pytest.mark.usefixtures("app")  # a migrated database
def test_work_that_runs_past_the_deadline_is_rolled_back_not_committed(engine: Engine) -> None:
    """statement_timeout bounds each statement by what was left when the transaction began;
    a statement that started late (a lock granted after the deadline) finished in time for
    PostgreSQL, so the commit itself must refuse."""
    uow = SqlUnitOfWork(engine)
    request_id = uuid.uuid4().hex
    with pytest.raises(DeadlinePassed), uow.transaction(Deadline.after(0.3)) as tx:
        tx.idempotency.claim(principal="late", request_id=request_id, method="m", request_hash="h")
        time.sleep(0.4)  # the caller has given up by now
    assert _keys(engine, request_id) == 0


@pytest.mark.usefixtures("app")
def test_work_done_within_the_deadline_commits(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    request_id = uuid.uuid4().hex
    with uow.transaction(Deadline.after(30)) as tx:
        tx.idempotency.claim(
            principal="prompt", request_id=request_id, method="m", request_hash="h"
        )
    assert _keys(engine, request_id) == 1
