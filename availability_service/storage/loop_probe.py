"""GetAvailability's probe (EventLog.changes_since) sent from the event loop itself.

Under load the probe runs back to back, once per two to four Gets. From the thread pool each
one cost a thread hop both ways, the GIL handed over twice, and SQLAlchemy's pool checkout
and return: about as much CPU as the Gets it served. Here it runs on a psycopg2
*asynchronous* connection of its own (`async_=1`): the query is sent, the loop waits on the
socket (`add_reader`) with every other call, and the row is read when it is there; no
thread, no pool.

The connection is the primary's (the head must be the newest committed revision, never a
standby's) and is used by one probe at a time (grpc_api.lot_reads.SharedProbe sends one at
a time, on one loop). Any failure, or no answer within the probe's time, closes it: the probe
raises (its calls then read the lot themselves and meet the trouble with their own deadline:
UNAVAILABLE when the database is gone, never a stale answer), and the next probe connects
afresh. The statement carries its own statement timeout, as the pooled probe's did.
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg2
import psycopg2.extensions
from sqlalchemy import Engine

from availability_service.service_layer.ports.events import LotChanges
from availability_service.storage import events

APPLICATION_NAME = "availability-service-probe"


class LoopChangeProbe:
    """changes_since on one asynchronous connection, on the running event loop."""

    def __init__(self, engine: Engine, seconds: float) -> None:
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        self._connect_args: tuple[Any, ...] = tuple(cargs)
        self._connect_params = {**cparams, "application_name": APPLICATION_NAME}
        self._seconds = seconds
        self._conn: Any = None

    async def changes_since(self, after_revision: int, limit: int) -> LotChanges:
        """The head and the lots changed after `after_revision` (at most `limit`), in one
        snapshot, read on the primary; raises when the database did not answer in time."""
        statement, params = events.changes_statement(
            after_revision, limit, int(self._seconds * 1000)
        )
        try:
            async with asyncio.timeout(self._seconds + 1.0):
                conn = self._conn if self._conn is not None else await self._connect()
                cursor = conn.cursor()
                try:
                    cursor.execute(statement, params)
                    await _answered(conn)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
        except BaseException:
            # Timed out, cancelled, or the connection broke: its state is unknown.
            self.close()
            raise
        head, lots = events.changes_from_row(row, after_revision, limit)
        return LotChanges(head, lots)

    async def _connect(self) -> Any:
        conn = psycopg2.connect(*self._connect_args, async_=1, **self._connect_params)
        self._conn = conn  # closed by close() if the handshake fails or times out
        await _answered(conn)
        return conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            conn.close()


async def _answered(conn: Any) -> None:
    """Waits on the loop until the connection's pending operation is complete (psycopg2's
    asynchronous protocol: poll, and wait for the socket to be ready as it asks)."""
    loop = asyncio.get_running_loop()
    while True:
        state = conn.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        if state == psycopg2.extensions.POLL_READ:
            watch, unwatch = loop.add_reader, loop.remove_reader
        elif state == psycopg2.extensions.POLL_WRITE:
            watch, unwatch = loop.add_writer, loop.remove_writer
        else:  # pragma: no cover  # psycopg2 documents no other state
            raise psycopg2.OperationalError(f"unexpected poll state {state}")
        ready: asyncio.Future[None] = loop.create_future()
        fd = conn.fileno()
        watch(fd, _set_done, ready)
        try:
            await ready
        finally:
            unwatch(fd)


def _set_done(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)
