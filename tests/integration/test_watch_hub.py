"""The watch hub against real PostgreSQL: with no subscriber it skips reading events, and a
subscriber that arrives while it is skipping still gets every event after its position."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from availability_service.app import Application
from availability_service.service_layer.ports import UnitOfWork
from availability_service.watch import reads
from availability_service.watch.feed import Subscription
from availability_service.watch.hub import HubLimits, WatchHub
from tests.support.callers import Caller
from tests.support.lots import cotton_lot
from tradedesk.availability.v1 import availability_service_pb2 as api

LIMITS = HubLimits(poll_interval_seconds=0.05)


def post_lot(trader: Caller) -> str:
    """Creates a lot through the test server; returns its id (one CREATED event)."""
    reply = trader.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(), request_id=str(uuid.uuid4()))
    )
    return reply.availability.name.removeprefix("availabilities/")


async def until(condition: Callable[[], bool], within: float = 20.0) -> bool:
    give_up = time.monotonic() + within
    while not condition() and time.monotonic() < give_up:
        await asyncio.sleep(0.02)
    return condition()


def run_hub(app: Application, scenario: Callable[[WatchHub], Awaitable[None]]) -> None:
    async def main() -> None:
        hub = WatchHub(app.watch_database, app.executor, LIMITS)
        hub.start()
        try:
            assert await hub.wait_ready(20)
            await scenario(hub)
        finally:
            await hub.shutdown()

    asyncio.run(main())


def received(sub: Subscription, lot_id: str) -> bool:
    return any(str(event.availability_id) == lot_id for event in sub.items)


def head(app: Application) -> int:
    return reads.current_revision(app.watch_database.uow)


def test_without_subscribers_the_hub_follows_the_head_without_reading_events(
    app: Application, caller: Callable[..., Caller], monkeypatch: pytest.MonkeyPatch
) -> None:
    trader = caller("TRADER")
    pages: list[int] = []

    async def scenario(hub: WatchHub) -> None:
        # Counted on this hub's own loop, as it hands each page read to its reader thread:
        # the session's test server runs a hub of its own on the same database, whose
        # subscribers (other tests' streams) make it read pages meanwhile.
        loop = asyncio.get_running_loop()
        send = loop.run_in_executor

        def sent(executor: Any, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
            if fn is reads.read_page:
                pages.append(args[1])
            return send(executor, fn, *args)

        monkeypatch.setattr(loop, "run_in_executor", sent)
        await asyncio.to_thread(post_lot, trader)
        target = head(app)
        assert await until(lambda: hub.position >= target)
        assert pages == []  # followed by the counter alone
        sub, _ = hub.subscribe()
        lot_id = await asyncio.to_thread(post_lot, trader)
        assert await until(lambda: received(sub, lot_id))
        assert pages  # with a subscriber, events are read and offered

    run_hub(app, scenario)


def test_a_subscriber_arriving_during_the_head_read_misses_nothing(
    app: Application, caller: Callable[..., Caller], monkeypatch: pytest.MonkeyPatch
) -> None:
    trader = caller("TRADER")
    joined: list[tuple[Subscription, int]] = []
    joins_in_head_read: list[bool] = []

    async def scenario(hub: WatchHub) -> None:
        loop = asyncio.get_running_loop()
        start = hub.position

        async def join() -> None:
            joined.append(hub.subscribe())

        def subscribing_current_revision(uow: UnitOfWork) -> int:
            value = reads.current_revision(uow)
            if value > start and not joined:
                # On this hub's reader thread, in the middle of its head read.
                asyncio.run_coroutine_threadsafe(join(), loop).result(timeout=10)
                joins_in_head_read.append(True)
            return value

        # Only this hub's head reads, as its loop hands them to the reader thread: patched
        # module-wide, the session's test server's hub (another loop, the same database)
        # could make the join happen outside this hub's read, and the test would pass
        # without the race it is about.
        send = loop.run_in_executor

        def sent(executor: Any, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
            if fn is reads.current_revision:
                fn = subscribing_current_revision
            return send(executor, fn, *args)

        monkeypatch.setattr(loop, "run_in_executor", sent)
        lot_id = await asyncio.to_thread(post_lot, trader)
        assert await until(lambda: bool(joined))
        assert joins_in_head_read == [True]
        sub, position = joined[0]
        assert position == start  # it joined before the hub moved on
        assert await until(lambda: received(sub, lot_id)), "the event was skipped"

    run_hub(app, scenario)
