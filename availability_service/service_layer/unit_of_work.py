"""A transaction on one pooled connection, with the caller's deadline as a statement timeout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text


class UnitOfWork:
    """Hands out transactions; commit on success, rollback on any exception."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self, timeout_seconds: float | None = None) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            if timeout_seconds is not None:
                # The client's remaining deadline bounds the database work: past it, nobody is
                # waiting for the answer, so Postgres cancels the statement and we roll back.
                ms = max(1, int(timeout_seconds * 1000))
                conn.execute(text(f"SET LOCAL statement_timeout = {ms}"))
            yield conn

    @contextmanager
    def read(self, timeout_seconds: float | None = None) -> Iterator[Connection]:
        with self.transaction(timeout_seconds) as conn:
            yield conn
