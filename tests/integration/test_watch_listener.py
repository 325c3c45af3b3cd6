"""The LISTEN connection never outlives its listener, even when cancelled mid-connect.

A leaked LISTEN connection that nobody reads fills its socket with notifications; its
backend then blocks, and anything waiting on every backend (DROP DATABASE) waits forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import pytest
from sqlalchemy import Engine, text

from availability_service.app import Application
from availability_service.storage import listener as listener_module
from availability_service.storage.listener import Listener, listen_dsn


def connections_named(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": name},
            ).scalar_one()
        )


def test_a_listener_cancelled_while_connecting_leaves_no_connection(
    app: Application, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"listen-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(listener_module, "APPLICATION_NAME", name)
    connect = Listener._connect
    started = asyncio.Event()

    def slow_connect(self: Listener) -> object:
        loop.call_soon_threadsafe(started.set)
        time.sleep(0.5)  # the cancel lands while this thread is still connecting
        return connect(self)

    monkeypatch.setattr(Listener, "_connect", slow_connect)

    async def cancel_mid_connect() -> None:
        task = asyncio.create_task(Listener(listen_dsn(app.engine), lambda: None).run())
        await asyncio.wait_for(started.wait(), 10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    # The loop stops after the cancel and is closed only at the end, as a server's loop that
    # has stopped serving: whatever the connecting thread hands back to it waits there.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(cancel_mid_connect())
        time.sleep(1.5)  # the connecting thread has finished by now
        give_up = time.monotonic() + 10
        while connections_named(engine, name) and time.monotonic() < give_up:
            time.sleep(0.1)
        assert connections_named(engine, name) == 0
    finally:
        loop.close()
