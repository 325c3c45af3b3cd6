"""The LISTEN connection: a wake-up for the hub, never a source of events.

Notifications may be lost (a dropped connection, a restart); the hub also polls, and always
reads the events table from its last revision, so a lost wake-up only costs latency.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import psycopg2
import psycopg2.extensions
import structlog
from sqlalchemy import Engine, make_url

from availability_service.storage.lot_writes import NOTIFY_CHANNEL

log = structlog.get_logger(__name__)
APPLICATION_NAME = "availability-watch-listen"
MAX_BACKOFF_SECONDS = 5.0
# Connecting blocks; these threads serve every listener of the process (one per server).
_CONNECTING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="watch-listen-connect")


def _close_made_connection(attempt: Future[psycopg2.extensions.connection]) -> None:
    if attempt.cancelled() or attempt.exception() is not None:
        return
    with contextlib.suppress(Exception):
        attempt.result().close()


def listen_dsn(engine: Engine, override: str | None = None) -> str:
    """A libpq DSN for LISTEN: the engine's database, or `override` (any SQLAlchemy URL)."""
    url = make_url(override) if override else engine.url
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def wake_ups(
    engine: Engine, override: str | None = None
) -> Callable[[Callable[[], None]], Coroutine[Any, Any, None]]:
    """The watch hub's wake-up source: a Listener on the engine's database (or `override`)."""
    dsn = listen_dsn(engine, override)
    return lambda wake: Listener(dsn, wake).run()


class Listener:
    """Keeps one LISTEN connection up (reconnecting with backoff) and calls `wake` on NOTIFY."""

    def __init__(self, dsn: str, wake: Callable[[], None]) -> None:
        self._dsn = dsn
        self._wake = wake
        self._conn: psycopg2.extensions.connection | None = None
        self._lost = asyncio.Event()

    async def run(self) -> None:
        """Connects, waits for the connection to drop, reconnects; until cancelled."""
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            try:
                conn = await self._connect_in_thread()
            except psycopg2.Error as exc:
                attempt += 1
                delay = min(0.2 * 2**attempt, MAX_BACKOFF_SECONDS)
                log.warning("watch_listen_connect_failed", error=str(exc).strip(), retry_in=delay)
                await asyncio.sleep(delay)
                continue
            if attempt:
                log.info("watch_listen_reconnected", attempts=attempt)
            attempt = 0
            self._conn = conn
            self._lost.clear()
            loop.add_reader(conn.fileno(), self._on_readable)
            # Notifications sent while we were away are gone: the hub catches up by reading.
            self._wake()
            try:
                await self._lost.wait()
            finally:
                self._close(loop)

    async def _connect_in_thread(self) -> psycopg2.extensions.connection:
        """Connects on a thread; cancelled meanwhile, the connection is closed once made.

        A LISTEN connection nobody reads is worse than none: PostgreSQL blocks sending it
        notifications once its socket buffer is full, and a backend stuck there holds up
        anything that waits for every backend (DROP DATABASE, for one).
        """
        attempt = _CONNECTING.submit(self._connect)
        try:
            return await asyncio.wrap_future(attempt)
        except asyncio.CancelledError:
            attempt.add_done_callback(_close_made_connection)
            raise

    def _connect(self) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(
            self._dsn,
            application_name=APPLICATION_NAME,
            connect_timeout=5,
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
        conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        with conn.cursor() as cur:
            cur.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    def _on_readable(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            conn.poll()
        except psycopg2.Error as exc:
            log.warning("watch_listen_lost", error=str(exc).strip())
            self._lost.set()
            return
        if conn.notifies:
            conn.notifies.clear()
            self._wake()

    def _close(self, loop: asyncio.AbstractEventLoop) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            loop.remove_reader(conn.fileno())
        with contextlib.suppress(Exception):
            conn.close()
