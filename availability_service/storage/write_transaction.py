"""A write transaction whose BEGIN and COMMIT each ride in a message with other statements.

The revision counter's row lock (next_revision(), migration 0004) is held from a lot write
to its commit, and every writer waits for it, so whatever happens between the two is the
service's serial section. With the driver running the transaction (its implicit BEGIN, a
COMMIT sent after the lot write returned), that section held a round trip and a Python
thread's turn: the lot write's reply had to reach Python, the thread had to get a core and
the GIL among sixteen others, and only then could it send COMMIT, all while every other
create waited. So the transaction is driven here instead (the driver in autocommit mode):

- BEGIN goes in one message with the statement timeout that bounds the transaction;
- the statements that must come last (a new lot's revision stamp with its event, and the
  idempotency key's response, which carries that revision) are kept until the commit and
  sent in ONE message with the COMMIT; PostgreSQL stamps, writes the event, commits and
  releases the counter without waiting for the client. The revision comes back in the same
  reply (the stamp records it in a session setting, read after the COMMIT).

Both messages go on the driver's cursor (storage.driver_read: the same errors and spans),
not through SQLAlchemy's execution path, which cost more CPU than sending them.

A new lot's row and its index entries are written before, outside the counter's lock
(lot_writes); nothing after the stamp in the transaction can depend on it, since only the
commit follows. Any failure in the message aborts the rest of it, the COMMIT included, and
the transaction is rolled back as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from availability_service.domain.deadline import Deadline
from availability_service.domain.errors import DeadlinePassed
from availability_service.storage import driver_read

# A caller's deadline bounds each statement, up to this: PostgreSQL refuses a statement_timeout
# past 2^31-1 ms (about 24.8 days), and no statement of this service should run for minutes,
# however long the caller is willing to wait.
MAX_STATEMENT_TIMEOUT_SECONDS = 600.0


def statement_timeout_ms(deadline: Deadline) -> int:
    """The SET LOCAL statement_timeout value for what is left of a deadline: 1 ms up to the cap."""
    return max(1, int(min(deadline.remaining(), MAX_STATEMENT_TIMEOUT_SECONDS) * 1000))


# The session setting the stamp writes its revision to (set_config(..., is_local=false), so
# it survives the COMMIT and the last statement of the message can read it back).
REVISION_SETTING = "availability.revision"
_PLAIN = {"no_parameters": True}  # no parameters: the driver sends the SQL as it is
# The idempotency key's response with the availability's revision taken from the stamp.
_COMPLETE_KEY = (
    "UPDATE idempotency_keys SET response = jsonb_set(%(key_response)s::jsonb, "
    f"'{{availability,revision}}', to_jsonb(current_setting('{REVISION_SETTING}')::bigint)) "
    "WHERE principal = %(key_principal)s AND request_id = %(key_request_id)s"
)


class FinalWrites:
    """The statements one transaction sends with its COMMIT, and who wants the revision."""

    def __init__(self) -> None:
        self._statements: list[str] = []
        self._params: dict[str, Any] = {}
        self._revision_for: list[Callable[[int], None]] = []
        self.lot_id: Any = None  # the new lot whose stamp waits for the commit, if any

    def stamp(
        self,
        lot_id: Any,
        statements: list[tuple[str, dict[str, Any]]],
        on_revision: Callable[[int], None],
    ) -> None:
        """A new lot's statements (DriverStatement.render), its revision stamp last."""
        if self.lot_id is not None:
            raise RuntimeError("one new lot per transaction waits for its commit")
        self.lot_id = lot_id
        for sql, params in statements:
            if self._params.keys() & params.keys():
                raise RuntimeError(f"parameter names shared by two statements: {sql[:60]}")
            self._statements.append(sql)
            self._params.update(params)
        self._revision_for.append(on_revision)

    def complete_key(self, principal: str, request_id: str, response: dict[str, Any]) -> None:
        """The idempotency key's response, with the waiting lot's revision set in it."""
        self._statements.append(_COMPLETE_KEY)
        self._params.update(
            key_response=json.dumps(response),
            key_principal=principal,
            key_request_id=request_id,
        )

    def send_with_commit(self, conn: Connection, deadline: Deadline | None) -> None:
        if not self._statements:
            driver_read.send(conn, "COMMIT")
            return
        # The lock wait inside is bounded by what is left of the deadline NOW: a stamp that
        # got the counter late must not commit a write its caller was told had failed.
        timeout = "" if deadline is None else f"{_timeout(deadline)}; "
        message = (
            f"{timeout}SELECT set_config('{REVISION_SETTING}', '', false); "
            + "; ".join(self._statements)
            + f"; COMMIT; SELECT NULLIF(current_setting('{REVISION_SETTING}'), '')::bigint"
        )
        row = driver_read.send(conn, message, self._params)
        revision: int | None = None if row is None else row[0]
        if revision is None:  # pragma: no cover - the stamp always finds its own new row
            raise RuntimeError("the lot's revision stamp wrote no row")
        for give in self._revision_for:
            give(int(revision))


class DriverStatement:
    """A Core statement compiled once per dialect to the driver's SQL (named parameters),
    with each parameter's bind processor: what SQLAlchemy's own execution would apply (JSON
    encoding, UUID to text, vectors), so the SQL can go out inside a larger message."""

    def __init__(self, statement: Any) -> None:
        self._statement = statement
        self._compiled: dict[Dialect, tuple[SQLCompiler, dict[str, Any]]] = {}

    def render(self, dialect: Dialect, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        found = self._compiled.get(dialect)
        if found is None:
            compiled = self._statement.compile(dialect=dialect)
            processors = {
                name: param.type.dialect_impl(dialect).bind_processor(dialect)
                for name, param in compiled.binds.items()
            }
            found = self._compiled[dialect] = (compiled, processors)
        compiled, processors = found
        params = dict(compiled.construct_params(values) or {})
        for name, process in processors.items():
            if process is not None and params.get(name) is not None:
                params[name] = process(params[name])
        return compiled.string, params


@contextmanager
def write_transaction(conn: Connection, deadline: Deadline | None) -> Iterator[FinalWrites]:
    """BEGIN (with the deadline's statement timeout, one message) ... COMMIT with the final
    writes (one message); ROLLBACK on any exception. The connection goes back to the pool
    in the driver's own mode, or is invalidated when its transaction state is unknown."""
    driver: Any = conn.connection.driver_connection
    driver.autocommit = True
    try:
        begin = "BEGIN" if deadline is None else f"BEGIN; {_timeout(deadline)}"
        driver_read.send(conn, begin)
        final = FinalWrites()
        try:
            yield final
            # statement_timeout bounds each statement by what was left when it was set, so
            # a late statement could still commit a write its caller was told had failed.
            if deadline is not None and deadline.passed():
                raise DeadlinePassed(
                    "the deadline passed before the change could commit; nothing was changed"
                )
            final.send_with_commit(conn, deadline)
        except BaseException:
            _roll_back(conn)
            raise
    finally:
        if not conn.invalidated:
            if driver.info.transaction_status != _IDLE:
                conn.invalidate()  # never hand an open transaction to the pool's next user
            else:
                driver.autocommit = False


_IDLE = 0  # psycopg2.extensions.TRANSACTION_STATUS_IDLE


def _timeout(deadline: Deadline) -> str:
    return f"SET LOCAL statement_timeout = {statement_timeout_ms(deadline)}"


def _roll_back(conn: Connection) -> None:
    if conn.invalidated or conn.closed:
        return
    try:
        conn.exec_driver_sql("ROLLBACK", execution_options=_PLAIN)
    except Exception:
        if not conn.invalidated:
            conn.invalidate()
