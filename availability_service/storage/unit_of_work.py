"""The PostgreSQL unit of work: the persistence port's adapter (service_layer/ports).

Each transaction runs on one pooled connection with the caller's remaining deadline as its
statement timeout. Writes (`transaction`) always run on the primary. Reads (`read`,
`statement_read`, `snapshot`) run where the read router sends them
(storage.read_routing): a hot standby when one is fresh enough, else the primary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, text

from availability_service.domain.deadline import Deadline
from availability_service.service_layer import ports
from availability_service.storage.loop_probe import LoopChangeProbe
from availability_service.storage.read_routing import ReadRouter, ReplicaUnavailable
from availability_service.storage.replication import is_standby_trouble
from availability_service.storage.repositories import (
    SqlEvents,
    SqlHolds,
    SqlIdempotency,
    SqlLocations,
    SqlLots,
    SqlMarket,
)
from availability_service.storage.repositories_search import SqlSearch
from availability_service.storage.search_memory import SearchMemory
from availability_service.storage.write_transaction import (
    FinalWrites,
    statement_timeout_ms,
    write_transaction,
)


class SqlTransaction:
    """The repositories of one transaction, all on its connection (built when first used)."""

    def __init__(
        self,
        conn: Connection,
        *,
        statement_timeout_ms: int | None = None,
        writes: bool = False,
        search_memory: SearchMemory | None = None,
        final: FinalWrites | None = None,
    ):
        self.connection = conn
        # What a write transaction sends with its COMMIT (None: reads, or a caller's own).
        self._final = final
        self._statement_timeout_ms = statement_timeout_ms
        self._search_memory = search_memory
        self._committed: list[Callable[[], None]] | None = [] if writes else None

    @cached_property
    def lots(self) -> SqlLots:
        return SqlLots(self.connection, self._statement_timeout_ms, self._final)

    @cached_property
    def holds(self) -> SqlHolds:
        return SqlHolds(self.connection)

    @cached_property
    def events(self) -> SqlEvents:
        return SqlEvents(self.connection, self._statement_timeout_ms)

    @cached_property
    def idempotency(self) -> SqlIdempotency:
        return SqlIdempotency(self.connection, self._final)

    @cached_property
    def market(self) -> SqlMarket:
        return SqlMarket(self.connection)

    @cached_property
    def search(self) -> SqlSearch:
        return SqlSearch(self.connection, self._statement_timeout_ms, self._search_memory)

    @cached_property
    def locations(self) -> SqlLocations:
        return SqlLocations(self.connection)

    def takes_turn(self, key: int) -> bool:
        """A transaction-level advisory lock: released at commit or rollback, so a process
        that dies mid-pass never keeps the turn."""
        acquired: bool = self.connection.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}
        ).scalar_one()
        return acquired

    def after_commit(self, action: Callable[[], None]) -> None:
        if self._committed is not None:
            self._committed.append(action)


class SqlUnitOfWork:
    """Hands out transactions; commit on success, rollback on any exception."""

    def __init__(
        self,
        engine: Engine,
        reads: ReadRouter | None = None,
        search_memory: SearchMemory | None = None,
    ) -> None:
        self.engine = engine
        self.reads = reads
        # Search bounds from memory in snapshot reads (storage.search_memory); None: SQL.
        self.search_memory = search_memory

    @contextmanager
    def transaction(self, deadline: Deadline | None = None) -> Iterator[SqlTransaction]:
        """Commits on success (storage.write_transaction: the final writes ride with the
        COMMIT); then runs what after_commit() queued."""
        with self.engine.connect() as conn, write_transaction(conn, deadline) as final:
            tx = SqlTransaction(conn, writes=True, final=final)
            yield tx
        for action in tx._committed or ():
            action()

    @contextmanager
    def statement_read(self, deadline: Deadline | None = None) -> Iterator[SqlTransaction]:
        """Reads of ONE statement each on a connection outside any transaction.

        No BEGIN and no COMMIT round trips: each statement is its own implicit transaction
        (under READ COMMITTED, what a one-statement transaction would see anyway). The
        deadline still bounds the work: the repositories send each statement with a
        statement timeout local to the implicit transaction of that message.
        """
        timeout_ms = None if deadline is None else statement_timeout_ms(deadline)
        with self._routed() as engine, engine.connect() as conn:
            # The driver's own switch, not execution_options(isolation_level=...): that one
            # sends a SET to the server on the way in and again on the way out.
            driver: Any = conn.connection.driver_connection
            driver.autocommit = True
            try:
                yield SqlTransaction(conn, statement_timeout_ms=timeout_ms)
            finally:
                if not conn.invalidated:
                    driver.autocommit = False

    def change_probe(self, seconds: float) -> LoopChangeProbe:
        """GetAvailability's probe on the caller's event loop (storage.loop_probe): always
        the primary's, whatever the read router would choose."""
        return LoopChangeProbe(self.engine, seconds)

    @contextmanager
    def read(self, deadline: Deadline | None = None) -> Iterator[SqlTransaction]:
        """A read transaction (READ COMMITTED)."""
        with self._routed() as engine, engine.begin() as conn:
            _bound_by_deadline(conn, deadline)
            yield SqlTransaction(conn)

    @contextmanager
    def snapshot(self, deadline: Deadline | None = None) -> Iterator[SqlTransaction]:
        """A read-only transaction whose statements all see ONE snapshot (REPEATABLE READ).

        For reads of several statements that must agree, such as the revision a page reports
        and the lots on it: revisions commit in order, so the snapshot holds every change up
        to the counter it reads and none above it.
        """
        with self._routed() as engine, engine.begin() as conn:
            # Must be the transaction's first statement (the driver's BEGIN is implicit).
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            _bound_by_deadline(conn, deadline)
            yield SqlTransaction(conn, search_memory=self.search_memory)

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


def _bound_by_deadline(conn: Connection, deadline: Deadline | None) -> None:
    """The client's remaining deadline bounds the database work: past it, nobody is waiting
    for the answer, so Postgres cancels the statement and the transaction rolls back."""
    if deadline is not None:
        # Driver SQL: a text() per timeout value would be compiled anew on every call.
        conn.exec_driver_sql(
            f"SET LOCAL statement_timeout = {statement_timeout_ms(deadline)}",
            execution_options={"no_parameters": True},
        )


if TYPE_CHECKING:

    def _conforms(uow: SqlUnitOfWork) -> ports.UnitOfWork:
        """mypy proves here that the adapter provides the whole port."""
        return uow
