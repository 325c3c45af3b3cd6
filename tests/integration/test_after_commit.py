"""Transaction.after_commit: queued work runs once the transaction commits, never otherwise."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from availability_service.storage.unit_of_work import SqlUnitOfWork


def test_queued_work_runs_after_the_commit_and_not_after_a_rollback(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    ran: list[str] = []
    with uow.transaction() as tx:
        tx.events.current_revision()
        tx.after_commit(lambda: ran.append("committed"))
        assert ran == []  # not before the commit
    assert ran == ["committed"]
    with pytest.raises(RuntimeError), uow.transaction() as tx:
        tx.after_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("refused")
    with uow.transaction() as tx:
        pass  # the same pooled connection carries nothing over from the rolled-back one
    assert ran == ["committed"]


def test_a_lost_connection_surfaces_its_own_error(engine: Engine) -> None:
    """A dead connection's own error comes out (not a PendingRollbackError, an INTERNAL, in
    its place), and nothing queued on it runs."""
    uow = SqlUnitOfWork(engine)
    ran: list[str] = []
    with pytest.raises(ConnectionError), uow.transaction() as tx:
        tx.after_commit(lambda: ran.append("x"))
        tx.connection.invalidate()
        raise ConnectionError("database went away")
    assert ran == []


def test_work_queued_in_a_read_is_never_run(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    ran: list[str] = []
    with uow.read() as tx:
        tx.after_commit(lambda: ran.append("x"))
    with uow.snapshot() as tx:
        tx.after_commit(lambda: ran.append("x"))
    assert ran == []
