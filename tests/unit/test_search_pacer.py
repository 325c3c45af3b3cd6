"""The standing searches of a process wait on one pacer: one timer wakes every search due at
a tick (progress bookmarks, the next interval of a busy search), a quiet search still gets an
event at once, and a busy one takes at most one batch per interval."""

from __future__ import annotations

import asyncio
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from availability_service.watch.feed import End, WatchEvent
from availability_service.watch.search_index import MESSAGE_TICKS, Pacer, SearchFeed


@dataclass
class Hub:
    """What a search feed reads of its hub: the position it has dispatched up to."""

    position: int = 0


def event(revision: int) -> WatchEvent:
    return WatchEvent(
        revision, uuid.uuid4(), "UPDATED", ("UPDATED",), "", datetime.now(UTC), (), None, {}, None
    )


def feed(pacer: Pacer, hub: Hub | None = None) -> SearchFeed:
    return SearchFeed(100, hub or Hub(), pacer)  # type: ignore[arg-type]  # a hub's position


def timers() -> int:
    """Timers pending in the running loop (not cancelled)."""
    scheduled: list[asyncio.TimerHandle] = asyncio.get_running_loop()._scheduled  # type: ignore[attr-defined]
    return sum(1 for timer in scheduled if not timer.cancelled())


async def test_a_thousand_waiting_searches_share_one_timer_and_wake_at_the_same_tick() -> None:
    pacer = Pacer()
    feeds = [feed(pacer) for _ in range(1000)]
    due = time.monotonic() + 0.15  # as for progress bookmarks all due then
    woken: list[float] = []

    async def wait(search: SearchFeed) -> None:
        await search.wait(due - time.monotonic())
        woken.append(time.monotonic())

    before = timers()
    waiting = [asyncio.create_task(wait(f)) for f in feeds]
    await asyncio.sleep(0)
    assert timers() - before <= 1  # the pacer's sleep, not one per search
    assert [len(searches) for searches in pacer.due.values()] == [1000]  # one tick for all
    await asyncio.gather(*waiting)
    assert len(woken) == 1000
    assert min(woken) >= due  # never before their timeout
    assert pacer.due == {}


async def test_a_quiet_search_gets_an_offered_event_at_once() -> None:
    search = feed(Pacer())
    waiting = asyncio.create_task(search.wait(30.0))
    await asyncio.sleep(0)
    search.offer(event(1))
    await asyncio.sleep(0)  # the wake-up...
    await asyncio.sleep(0)  # ...and the waiting task's step: no tick in between
    assert waiting.done()
    assert [e.revision for e in search.take(10)] == [1]


async def test_a_busy_search_takes_what_arrives_within_its_interval_at_the_interval_end() -> None:
    pacer = Pacer()
    search = feed(pacer)
    search.offer(event(1))
    await search.wait(30.0)  # quiet: at once
    assert [e.revision for e in search.take(10)] == [1]
    took_in = search.taken_tick
    waiting = asyncio.create_task(search.wait(30.0))
    for revision in (2, 3, 4):
        search.offer(event(revision))
        await asyncio.sleep(0)
        assert not waiting.done() or Pacer.now() >= took_in + MESSAGE_TICKS
    await asyncio.wait_for(waiting, 1.0)
    assert Pacer.now() >= took_in + MESSAGE_TICKS  # at the end of its interval, not before
    assert [e.revision for e in search.take(10)] == [2, 3, 4]  # in one batch


async def test_an_ended_search_is_woken_at_once_and_leaves_the_pacer() -> None:
    pacer = Pacer()
    search = feed(pacer)
    waiting = asyncio.create_task(search.wait(30.0))
    await asyncio.sleep(0)
    assert pacer.due
    search.end(End.SHUTDOWN)
    await asyncio.wait_for(waiting, 1.0)
    assert pacer.due == {}


async def test_with_nothing_queued_a_search_takes_a_mark_at_the_hubs_position() -> None:
    hub = Hub(position=7)
    search = feed(Pacer(), hub)
    [mark] = search.take(10)
    assert mark.revision == 7
    assert search.take(10) == []
    hub.position = 9
    assert [m.revision for m in search.take(10)] == [9]


async def test_a_busy_search_whose_queue_is_half_full_is_woken_before_its_interval_ends() -> None:
    # Pacing must never be why a search overflows its queue and is cut off as slow.
    pacer = Pacer()
    search = SearchFeed(10, Hub(), pacer)  # type: ignore[arg-type]  # a hub's position
    search.offer(event(1))
    await search.wait(30.0)
    assert [e.revision for e in search.take(10)] == [1]
    waiting = asyncio.create_task(search.wait(30.0))
    await asyncio.sleep(0)
    for revision in range(2, 7):  # 5 of 10: half full
        search.offer(event(revision))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert waiting.done()
    assert [e.revision for e in search.take(10)] == [2, 3, 4, 5, 6]


CALLER: ContextVar[str | None] = ContextVar("caller", default=None)


class ContextProbe:
    """Stands for a search feed: records what the pacer's task sees when it wakes it."""

    wake_tick: int | None = None

    def __init__(self) -> None:
        self.seen: list[str | None] = []

    def wake(self) -> None:
        self.seen.append(CALLER.get())


async def test_the_pacer_runs_in_a_context_of_its_own_not_the_first_waiting_streams() -> None:
    # The pacer outlives the stream that started it: it must not keep that call's context
    # (its caller, its kept metadata: grpc_api.call_metadata).
    pacer = Pacer()
    probe = ContextProbe()
    CALLER.set("buyer-1")  # as the first stream's call context holds its caller
    pacer.wake_at(probe, pacer.now())  # type: ignore[arg-type]  # only wake_tick and wake
    async with asyncio.timeout(5):
        while not probe.seen:
            await asyncio.sleep(0.01)
    assert probe.seen == [None]
