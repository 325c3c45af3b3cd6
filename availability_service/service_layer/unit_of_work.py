"""A transaction on one pooled connection, with the caller's deadline as a statement timeout.

Writes (`transaction`) always run on the primary. Reads (`read`, `statement_read`) run where
the read router sends them (service_layer.read_routing): a hot standby when one is fresh
enough, else the primary; without standbys configured, on the primary as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text

from availability_service.service_layer.read_routing import ReadRouter, ReplicaUnavailable
from availability_service.storage.replication import is_standby_trouble


class UnitOfWork:
    """Hands out transactions; commit on success, rollback on any exception."""

    def __init__(self, engine: Engine, reads: ReadRouter | None = None) -> None:
        self.engine = engine
        self.reads = reads

    @contextmanager
    def transaction(self, timeout_seconds: float | None = None) -> Iterator[Connection]:
        with self._begin(self.engine, timeout_seconds) as conn:
            yield conn

    @contextmanager
    def _begin(self, engine: Engine, timeout_seconds: float | None) -> Iterator[Connection]:
        with engine.begin() as conn:
            if timeout_seconds is not None:
                # The client's remaining deadline bounds the database work: past it, nobody is
                # waiting for the answer, so Postgres cancels the statement and we roll back.
                ms = max(1, int(timeout_seconds * 1000))
                conn.execute(text(f"SET LOCAL statement_timeout = {ms}"))
            yield conn

    @contextmanager
    def statement_read(
        self, timeout_seconds: float | None = None
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
            prefix = f"SET LOCAL statement_timeout = {max(1, int(timeout_seconds * 1000))}; "
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
    def read(self, timeout_seconds: float | None = None) -> Iterator[Connection]:
        with self._routed() as engine, self._begin(engine, timeout_seconds) as conn:
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
