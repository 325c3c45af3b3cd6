"""UnitOfWork.after_commit: queued work runs once the transaction commits, never otherwise."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from availability_service.service_layer.unit_of_work import UnitOfWork, after_commit


def test_queued_work_runs_after_the_commit_and_not_after_a_rollback(engine: Engine) -> None:
    uow = UnitOfWork(engine)
    ran: list[str] = []
    with uow.transaction() as conn:
        conn.execute(text("SELECT 1"))
        after_commit(conn, lambda: ran.append("committed"))
        assert ran == []  # not before the commit
    assert ran == ["committed"]
    with pytest.raises(RuntimeError), uow.transaction() as conn:
        after_commit(conn, lambda: ran.append("rolled back"))
        raise RuntimeError("refused")
    with uow.transaction() as conn:
        pass  # the same pooled connection carries nothing over from the rolled-back one
    assert ran == ["committed"]


def test_a_lost_connection_surfaces_its_own_error(engine: Engine) -> None:
    """The queue is cleared without touching the dead connection (which would raise a
    PendingRollbackError, an INTERNAL, in place of the database error)."""
    uow = UnitOfWork(engine)
    with pytest.raises(ConnectionError), uow.transaction() as conn:
        conn.invalidate()
        raise ConnectionError("database went away")


def test_work_outside_a_unit_of_work_is_never_queued(engine: Engine) -> None:
    ran: list[str] = []
    with engine.begin() as conn:
        after_commit(conn, lambda: ran.append("x"))
    assert ran == []
