"""A standing search's queue takes, once its search follows live, only the events that can
change its match set: an event its search turns away is neither queued nor wakes it, but an
event of a lot whose earlier event the search has not applied yet is always queued, and so is
every event before the search's first take (its catch-up from the table comes first)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from availability_service.watch.feed import WatchEvent
from availability_service.watch.search_index import Pacer, SearchFeed

LOT_A, LOT_B = uuid.uuid4(), uuid.uuid4()


@dataclass
class Hub:
    """What a search feed reads of its hub: the position it has dispatched up to."""

    position: int = 0


def event(revision: int, lot: uuid.UUID) -> WatchEvent:
    return WatchEvent(
        revision, lot, "UPDATED", ("UPDATED",), "", datetime.now(UTC), (), None, {}, None
    )


class Search:
    """The search's own test, answered by the test (False: the event changes nothing)."""

    def __init__(self) -> None:
        self.answer = False
        self.asked: list[int] = []

    def concerns(self, offered: WatchEvent) -> bool:
        self.asked.append(offered.revision)
        return self.answer


def feed(search: Search, hub: Hub | None = None) -> SearchFeed:
    return SearchFeed(100, hub or Hub(), Pacer(), search.concerns)  # type: ignore[arg-type]


async def test_a_live_search_neither_queues_nor_wakes_for_an_event_it_turns_away() -> None:
    search = Search()
    queue = feed(search, Hub(position=3))
    assert [e.revision for e in queue.take(10)] == [3]  # live: a mark, nothing queued
    waiting = asyncio.create_task(queue.wait(30.0))
    await asyncio.sleep(0)
    queue.offer(event(4, LOT_A))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not waiting.done()
    assert search.asked == [4]
    assert list(queue.items) == []
    queue.hub.position = 4  # type: ignore[attr-defined]  # the test's hub
    waiting.cancel()
    assert [e.revision for e in queue.take(10)] == [4]  # the position moves past it


async def test_every_event_is_queued_before_the_searchs_first_take() -> None:
    search = Search()
    queue = feed(search)
    queue.offer(event(1, LOT_A))
    queue.offer(event(2, LOT_B))
    assert search.asked == []
    assert [e.revision for e in queue.take(10)] == [1, 2]


async def test_an_event_of_a_lot_with_an_event_not_yet_applied_is_queued_unasked() -> None:
    search = Search()
    queue = feed(search)
    queue.take(10)  # live
    search.answer = True
    queue.offer(event(1, LOT_A))
    assert [e.revision for e in queue.take(10)] == [1]  # taken: being applied
    search.answer = False
    queue.offer(event(2, LOT_A))  # lot A's event 1 is not applied yet: queued, unasked
    queue.offer(event(3, LOT_B))  # lot B has nothing pending: asked, and turned away
    assert search.asked == [1, 3]
    assert [e.revision for e in queue.take(10)] == [2]  # event 1 applied, 2 being applied
    queue.offer(event(4, LOT_A))  # 2 is not applied yet: queued, unasked
    assert search.asked == [1, 3]
    assert [e.revision for e in queue.take(10)] == [4]
    await queue.wait(0.0)  # the search waits: everything it took is applied
    queue.offer(event(5, LOT_A))  # nothing of lot A pending: asked, and turned away
    assert search.asked == [1, 3, 5]
    assert list(queue.items) == []
