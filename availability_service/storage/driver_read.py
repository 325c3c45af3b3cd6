"""One statement on the pooled connection's own driver cursor, for the hottest reads.

SQLAlchemy's execution path (statement cache lookup, execution context, result object) costs
more than GetAvailability's one-row query itself, and than a create's location and price
baseline reads (storage.locations, storage.comparables: about 220 and 100 us of CPU each
through it, 40 us on the cursor). This module skips it through public API
only, and gives back what that path would have given, so nothing above it can tell:

- errors: the driver's exception becomes the same `sqlalchemy.exc.DBAPIError` subclass
  (`DBAPIError.instance`), marked `connection_invalidated` when the dialect calls it a
  disconnect; a disconnected connection is invalidated (`Connection.invalidate`) and so is
  the rest of its pool (`Engine.dispose`: after a restart or a failover every idle
  connection is dead too, and one failed call is enough to learn it);
- tracing: the statement's span, which the engine events open for SQLAlchemy's own
  executions, is opened here by hand (telemetry.tracing).

The caller owns the connection's transaction state (UnitOfWork.statement_read: autocommit;
the write transaction's BEGIN for a create's reads, storage.write_transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, StatementError

from availability_service.telemetry.tracing import end_statement_span, start_statement_span

T = TypeVar("T")


def fetch_one(
    conn: Connection, statement: str, params: Mapping[str, Any]
) -> tuple[Sequence[Any] | None, Sequence[Any]]:
    """(the first row or None, the cursor description) of driver SQL in the driver's
    paramstyle; errors come out as SQLAlchemy's, see the module docstring."""
    return _run(conn, statement, params, lambda cursor: cursor.fetchone())


def fetch_all(
    conn: Connection, statement: str, params: Mapping[str, Any]
) -> tuple[list[Sequence[Any]], Sequence[Any]]:
    """(every row, the cursor description) of driver SQL, as fetch_one."""
    return _run(conn, statement, params, lambda cursor: cursor.fetchall())


def send(
    conn: Connection, statement: str, params: Mapping[str, Any] | None = None
) -> Sequence[Any] | None:
    """The first row of the last result of driver SQL (several statements may go in one
    message), or None when it returns none; without `params` the SQL goes as it is."""

    def first_row(cursor: Any) -> Sequence[Any] | None:
        return None if cursor.description is None else cursor.fetchone()

    return _run(conn, statement, params, first_row)[0]


def _run(
    conn: Connection,
    statement: str,
    params: Mapping[str, Any] | None,
    fetch: Callable[[Any], T],
) -> tuple[T, Sequence[Any]]:
    span = start_statement_span(statement)
    driver: Any = conn.connection.driver_connection
    cursor: Any = None
    try:
        cursor = driver.cursor()
        try:
            cursor.execute(statement, params)
            found = fetch(cursor), cursor.description
        finally:
            cursor.close()
    except Exception as error:
        end_statement_span(span, error)
        raise _as_sqlalchemy_raises(conn, driver, cursor, error, statement, params) from error
    except BaseException as error:
        # KeyboardInterrupt, a cancelled thread, ...: the statement may still be running on
        # the server, so the connection is in an unknown state and must not be reused.
        end_statement_span(span, error)
        if not conn.invalidated:
            conn.invalidate()
        raise
    end_statement_span(span)
    return found


def _as_sqlalchemy_raises(
    conn: Connection,
    driver: Any,
    cursor: Any,
    error: Exception,
    statement: str,
    params: Mapping[str, Any] | None,
) -> StatementError:
    """What Connection.execute would raise for `error`, with the same effect on the pool."""
    dialect = conn.dialect
    driver_error = dialect.loaded_dbapi.Error
    disconnected = (
        isinstance(error, driver_error)
        and not conn.closed
        and dialect.is_disconnect(error, driver, cursor)
    )
    wrapped = DBAPIError.instance(
        statement,
        None if params is None else dict(params),
        error,
        driver_error,
        hide_parameters=conn.engine.hide_parameters,
        connection_invalidated=disconnected,
        dialect=dialect,
    )
    if disconnected and not conn.invalidated:
        conn.invalidate(error)
        conn.engine.dispose()
    return wrapped
