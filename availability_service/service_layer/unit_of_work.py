"""A transaction on one pooled connection, with the caller's deadline as a statement timeout.

Writes (`transaction`) always run on the primary. Reads (`read`, `statement_read`,
`snapshot`) run where the read router sends them (service_layer.read_routing): a hot standby
when one is fresh enough, else the primary; without standbys configured, on the primary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text

from availability_service.domain.deadline import Deadline
from availability_service.service_layer.read_routing import ReadRouter, ReplicaUnavailable
from availability_service.storage.replication import is_standby_trouble

# A caller's deadline bounds each statement, up to this: PostgreSQL refuses a statement_timeout
# past 2^31-1 ms (about 24.8 days), and no statement of this service should run for minutes,
# however long the caller is willing to wait.
MAX_STATEMENT_TIMEOUT_SECONDS = 600.0


def statement_timeout_ms(timeout_seconds: float | Deadline) -> int:
    """The SET LOCAL statement_timeout value for a remaining deadline: 1 ms up to the cap."""
    if isinstance(timeout_seconds, Deadline):
        timeout_seconds = timeout_seconds.remaining()
    return max(1, int(min(timeout_seconds, MAX_STATEMENT_TIMEOUT_SECONDS) * 1000))


_AFTER_COMMIT = "availability_after_commit"


def after_commit(conn: Connection, action: Callable[[], None]) -> None:
    """Runs `action` once the transaction of `conn` has committed (never on rollback).

    Only transactions opened by UnitOfWork.transaction run it; on any other connection
    nothing is queued, so nothing is ever run for work that may not commit.
    """
    queued = conn.info.get(_AFTER_COMMIT)
    if queued is not None:
        queued.append(action)


class UnitOfWork:
    """Hands out transactions; commit on success, rollback on any exception."""

    def __init__(self, engine: Engine, reads: ReadRouter | None = None) -> None:
        self.engine = engine
        self.reads = reads

    @contextmanager
    def transaction(self, timeout_seconds: float | Deadline | None = None) -> Iterator[Connection]:
        """Commits on success; then runs what after_commit() queued on the connection."""
        committed: list[Callable[[], None]] = []
        with self.engine.begin() as conn:
            _bound_by_deadline(conn, timeout_seconds)
            # conn.info outlives the checkout (it belongs to the pooled DBAPI connection),
            # so the queue is removed whatever happens; a rollback drops what was queued.
            # The dict is held here: after a lost connection, conn.info would try to
            # reconnect inside the failed transaction and raise instead of the real error.
            info = conn.info
            info[_AFTER_COMMIT] = committed
            try:
                yield conn
            finally:
                info.pop(_AFTER_COMMIT, None)
        for action in committed:
            action()

    @contextmanager
    def statement_read(
        self, timeout_seconds: float | Deadline | None = None
    ) -> Iterator[tuple[Connection, str]]:
        """A connection outside any transaction for reads of ONE statement each, and the prefix
        every such statement must be sent with.

        No BEGIN and no COMMIT round trips: each statement is its own implicit transaction
        (under READ COMMITTED, what a one-statement transaction would see anyway). The
        deadline still bounds the work: the prefix sets a statement timeout local to the
        implicit transaction of the message it is sent in, so it never outlives the statement.
        """
        prefix = ""
        if timeout_seconds is not None:
            prefix = f"SET LOCAL statement_timeout = {statement_timeout_ms(timeout_seconds)}; "
        with self._routed() as engine, engine.connect() as conn:
            # The driver's own switch, not execution_options(isolation_level=...): that one
            # sends a SET to the server on the way in and again on the way out.
            driver: Any = conn.connection.driver_connection
            driver.autocommit = True
            try:
                yield conn, prefix
            finally:
                if not conn.invalidated:
                    driver.autocommit = False

    @contextmanager
    def read(self, timeout_seconds: float | Deadline | None = None) -> Iterator[Connection]:
        """A read transaction (READ COMMITTED); writes and after_commit() need transaction()."""
        with self._routed() as engine, engine.begin() as conn:
            _bound_by_deadline(conn, timeout_seconds)
            yield conn

    @contextmanager
    def snapshot(self, timeout_seconds: float | Deadline | None = None) -> Iterator[Connection]:
        """A read-only transaction whose statements all see ONE snapshot (REPEATABLE READ).

        For reads of several statements that must agree, such as the revision a page reports
        and the lots on it: revisions commit in order, so the snapshot holds every change up
        to the counter it reads and none above it.
        """
        with self._routed() as engine, engine.begin() as conn:
            # Must be the transaction's first statement (the driver's BEGIN is implicit).
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            _bound_by_deadline(conn, timeout_seconds)
            yield conn

    @contextmanager
    def _routed(self) -> Iterator[Engine]:
        """The engine of this request's reads; a standby's failure becomes ReplicaUnavailable
        (run_read then repeats the read on the primary) and sets that standby aside."""
        if self.reads is None:
            yield self.engine
            return
        engine, standby = self.reads.engine_for_read()
        if standby is None:
            yield engine
            return
        try:
            yield engine
        except Exception as exc:
            if not is_standby_trouble(exc):
                raise
            standby.mark_down(exc)
            raise ReplicaUnavailable(standby.name) from exc


def _bound_by_deadline(conn: Connection, timeout_seconds: float | Deadline | None) -> None:
    """The client's remaining deadline bounds the database work: past it, nobody is waiting
    for the answer, so Postgres cancels the statement and the transaction rolls back."""
    if timeout_seconds is not None:
        ms = statement_timeout_ms(timeout_seconds)
        conn.execute(text(f"SET LOCAL statement_timeout = {ms}"))
