"""The hub serves the notifications of a busy market a batch per read: a notification that
arrives right after a read is served by the next read, which starts no sooner than
READ_SPACING_SECONDS after the last one (so every notification received meanwhile joins it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from availability_service.watch import reads
from availability_service.watch.feed import Subscription
from availability_service.watch.hub import READ_SPACING_SECONDS, HubLimits, WatchHub


class Database:
    """What the hub takes of a WatchDatabase: a unit of work (unused: reads are faked) and
    the LISTEN wake-up, called here by the test."""

    uow = None
    unavailable = (ConnectionError,)

    def __init__(self) -> None:
        self.notify: Callable[[], None] = lambda: None

    async def listen(self, wake: Callable[[], None]) -> None:
        self.notify = wake
        await asyncio.Event().wait()


async def test_notifications_right_after_a_read_wait_for_the_read_spacing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[float] = []  # when the hub sent each read to its thread, on the loop

    def read_page(uow: Any, after: int, limit: int, until: int | None = None) -> list[Any]:
        return []

    monkeypatch.setattr(reads, "current_revision", lambda uow: 0)
    monkeypatch.setattr(reads, "read_page", read_page)
    # The spacing is the loop's: when a read is handed to the reader thread. Timed inside the
    # thread, each read would also carry its own thread hop, a few ms on a busy machine.
    loop = asyncio.get_running_loop()
    send = loop.run_in_executor

    def sent(executor: Any, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        if fn is read_page:
            started.append(loop.time())
        return send(executor, fn, *args)

    monkeypatch.setattr(loop, "run_in_executor", sent)
    database = Database()
    with ThreadPoolExecutor(1) as pool:
        # No poll during the test: only the notifications make the hub read.
        hub = WatchHub(database, pool, HubLimits(poll_interval_seconds=60))  # type: ignore[arg-type]
        hub.start()
        assert await hub.wait_ready(5)
        hub.attach(Subscription(10))  # someone follows: the hub reads the events
        await asyncio.sleep(0)  # the listener is set up
        database.notify()
        while not started:
            await asyncio.sleep(0.001)
        for _ in range(5):  # a burst right after the first read
            database.notify()
            await asyncio.sleep(0.001)
        while len(started) < 2:
            await asyncio.sleep(0.001)
        await hub.shutdown()
    assert started[1] - started[0] >= READ_SPACING_SECONDS
