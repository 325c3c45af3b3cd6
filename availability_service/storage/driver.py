"""Plain driver reads for the hottest queries, with SQLAlchemy's error handling kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection


def fetch(
    conn: Connection, sql: str, params: Mapping[str, Any], *, one: bool = False
) -> tuple[Any, Sequence[Any]]:
    """Runs driver SQL (pyformat) on the connection's own cursor: (description, rows).

    For reads whose SQLAlchemy result handling (metadata for every column, a Row per row)
    cost more than the query. _cursor_execute is what SQLAlchemy itself uses for direct
    executions: errors come out wrapped exactly as from conn.execute (a cancelled statement
    is still a DBAPIError, a lost connection still invalidates the pool). Rows come back as
    the driver made them: no type processing.
    """
    cursor = conn.connection.cursor()
    try:
        conn._cursor_execute(cursor, sql, params)
        if one:
            row = cursor.fetchone()
            return cursor.description, [] if row is None else [row]
        return cursor.description, cursor.fetchall()
    finally:
        cursor.close()
