"""The process's standing searches, indexed by commodity, behind one hub subscription.

The hub offers each event once to the index, which hands it on only to the standing searches
of the lot's commodity (before and after the change, should it have changed), so a change
costs one dictionary look-up plus the searches it can concern, not a pass over every search.
Each standing search keeps its own bounded queue: one that falls behind is cut off exactly
as a slow WatchAvailabilities watcher is (End.OVERFLOW), and the others carry on.

A busy standing search gets at most one message per MESSAGE_TICKS ticks of
MESSAGE_INTERVAL_SECONDS (its interval): the events that arrive after it took some wait for
the end of its interval and then go out together (whole revisions, in order). A gRPC write
costs far more than a change in it, on the server and on the client alike, so under a steady
flow of changes this is what lets one process serve a thousand searches; a search that took
nothing in its last interval still gets its next change at once. The ticks come from one
Pacer per index, which also wakes the searches waiting for their progress bookmarks or their
maximum age (at the first tick due, so bookmarks keep the finer tick).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import heapq
import math
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from availability_service.watch.feed import End, Subscription, WatchEvent
from availability_service.watch.hub import WatchHub
from availability_service.watch.per_hub import PerHub

log = structlog.get_logger(__name__)

# The pacer's tick: progress bookmarks and maximum ages are woken at the first tick due.
MESSAGE_INTERVAL_SECONDS = 0.1
# At most one message per this many ticks per busy standing search (see above): 0.2 s. A
# write costs about as much CPU as judging a change for a dozen searches, so at 100 changes
# a second the writes of a thousand searches, not the judging, decided whether one process
# kept up; two ticks halve them for at most one tick more of delay.
MESSAGE_TICKS = 2


@functools.lru_cache(maxsize=8)
def position_mark(revision: int) -> WatchEvent:
    """An event about no lot: handed to a standing search to say "everything up to here that
    concerns you is queued", so its position (and its bookmarks) keep up with the hub's.
    One object per revision, shared by the searches (most marks are at the hub's position)."""
    return WatchEvent(
        revision=revision,
        availability_id=uuid.UUID(int=0),
        event_type="",
        types=(),
        actor="",
        event_time=datetime.fromtimestamp(0, UTC),
        changed_fields=(),
        before=None,
        after={},
        reservation=None,
    )


class Pacer:
    """One timer for every standing search of a hub, ticking every MESSAGE_INTERVAL_SECONDS
    while any waits for a tick.

    A search that waits for its progress bookmark, its maximum age, or the next interval of
    a busy stream asks to be woken at a tick; the pacer wakes every search due at a tick in
    one go. A thousand searches then cost one timer, not a thousand (with a task cancelled
    at each timeout), and their bookmarks and paced messages go out in bursts, which grpc.aio
    completes more cheaply than the same writes spread over the interval.
    """

    def __init__(self) -> None:
        self.due: dict[int, set[SearchFeed]] = {}  # tick number -> searches to wake then
        self._ticks: list[int] = []  # the keys of `due`, as a heap
        self.done = self.now()  # every tick up to here has woken its searches
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def now() -> int:
        """The current tick number (ticks count intervals of the monotonic clock)."""
        return int(time.monotonic() / MESSAGE_INTERVAL_SECONDS)

    def wake_at(self, feed: SearchFeed, tick: int) -> None:
        """Wakes `feed` at `tick` (at the next tick at the earliest), unless it leaves first."""
        tick = max(tick, self.done + 1)
        self.forget(feed)
        feed.wake_tick = tick
        if tick not in self.due:
            self.due[tick] = set()
            heapq.heappush(self._ticks, tick)
        self.due[tick].add(feed)
        if self._task is None:
            # In a context of its own rather than the first waiting stream's (its caller, its
            # call's metadata: grpc_api.call_metadata), which it may outlive.
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="search-pacer", context=contextvars.Context()
            )

    def forget(self, feed: SearchFeed) -> None:
        """`feed` no longer waits for a tick (woken otherwise, or gone)."""
        tick, feed.wake_tick = feed.wake_tick, None
        feeds = self.due.get(tick) if tick is not None else None
        if feeds is not None:
            feeds.discard(feed)
            if not feeds:
                del self.due[tick]  # type: ignore[arg-type]  # not None when found

    async def _run(self) -> None:
        try:
            while self.due:
                pause = (self.done + 1) * MESSAGE_INTERVAL_SECONDS - time.monotonic()
                await asyncio.sleep(max(pause, 0.0))
                self.done = self.now()
                while self._ticks and self._ticks[0] <= self.done:
                    for feed in self.due.pop(heapq.heappop(self._ticks), ()):
                        feed.wake_tick = None
                        feed.wake()
                while self._ticks and self._ticks[0] not in self.due:
                    heapq.heappop(self._ticks)  # every search of that tick left before it
        finally:
            self._task = None


class SearchFeed(Subscription):
    """One standing search's queue: the events of its commodity that can change its match
    set, and, once they are all taken, a position mark at the hub's position (the events
    skipped, of other commodities or that cannot concern it, move its position that way).

    `concerns` is the search's own test (set by its stream: the lot is in its set, or the
    lot state passes its criteria). It holds for a lot only when the search has applied
    every event of that lot it was given, so it is asked only then, and only once the search
    follows live (its first take: the events its catch-up applies come before it); until
    then every event is queued. An event it turns away would have changed nothing."""

    def __init__(
        self,
        capacity: int,
        hub: WatchHub,
        pacer: Pacer,
        concerns: Callable[[WatchEvent], bool] | None = None,
    ) -> None:
        super().__init__(capacity)
        self.hub = hub
        self.pacer = pacer
        self.concerns = concerns
        self.live = False  # taken from at least once: its catch-up is over
        self.marked = 0
        self.taken_tick = -1  # the tick in which events were last taken, for the pace
        self.wake_tick: int | None = None  # the tick the pacer wakes this search at
        self.waiting = False  # in wait(): an offered event may wake it
        self._unapplied: Counter[int] = Counter()  # lot id -> events queued or being applied
        self._taken: list[WatchEvent] = []  # applied once the search takes or waits again

    def offer(self, event: WatchEvent) -> bool:
        """As Subscription.offer, but a search that took events in its current interval is
        woken at the interval's end (by the pacer), and takes what arrived meanwhile then;
        an event that cannot change the search is not queued (see the class)."""
        if self.ended is not None or len(self.items) >= self.capacity:
            return False
        lot = event.availability_id.int
        if (
            self.live
            and self.concerns is not None
            and lot not in self._unapplied
            and not self.concerns(event)
        ):
            return True
        self._unapplied[lot] += 1
        self.items.append(event)
        if self.waiting:
            due = self.taken_tick + MESSAGE_TICKS
            if self.pacer.now() >= due or self.half_full():
                self.wake()
            elif self.wake_tick is None or self.wake_tick > due:
                self.pacer.wake_at(self, due)
        return True

    def wake(self) -> None:
        self._wake.set()

    def half_full(self) -> bool:
        """Pacing saves writes, and must never be why a search overflows: a queue half full
        is taken at once, whatever its interval."""
        return 2 * len(self.items) >= self.capacity

    def _applied(self) -> None:
        """The events taken last are applied: the search takes or waits only after that."""
        for event in self._taken:
            lot = event.availability_id.int
            self._unapplied[lot] -= 1
            if not self._unapplied[lot]:
                del self._unapplied[lot]
        self._taken = []

    def take(self, limit: int) -> list[WatchEvent]:
        self._applied()
        self.live = True
        taken = super().take(limit)
        if taken:
            self._taken = taken
            self.marked = max(self.marked, taken[-1].revision)
            self.taken_tick = self.pacer.now()
        elif self.ended is None and self.hub.position > self.marked:
            self.marked = self.hub.position
            taken = [position_mark(self.marked)]
        return taken

    async def wait(self, timeout: float | None) -> None:
        """Returns when events may be taken, the subscription ended, or after `timeout` (at
        the tick after it). Events take one message per interval: those arriving after the
        search took some wait for the end of its interval; a search that took none in its
        last interval gets them at once."""
        self._applied()
        if self.ended is not None:
            return
        due = self.taken_tick + MESSAGE_TICKS
        if self.items and (self.pacer.now() >= due or self.half_full()):
            return
        tick = None
        if timeout is not None:
            tick = math.ceil((time.monotonic() + timeout) / MESSAGE_INTERVAL_SECONDS)
        if self.items:  # paced: at the next interval at the latest
            tick = due if tick is None else min(tick, due)
        self.waiting = True
        self._wake.clear()
        if tick is not None:
            self.pacer.wake_at(self, tick)
        try:
            await self._wake.wait()
        finally:
            self.waiting = False
            self.pacer.forget(self)


class SearchIndex(Subscription):
    """Subscribed to the hub while any standing search runs; never overflows itself."""

    def __init__(self, hub: WatchHub) -> None:
        super().__init__(capacity=0)
        self.hub = hub
        self.by_commodity: defaultdict[str, set[Subscription]] = defaultdict(set)
        self.attached = False
        self.pacer = Pacer()

    def offer(self, event: WatchEvent) -> bool:
        codes = {str(event.after.get("commodity", ""))}
        if event.before is not None:
            codes.add(str(event.before.get("commodity", "")))
        for code in codes:
            for feed in list(self.by_commodity.get(code, ())):
                if not feed.offer(event):
                    feed.end(End.OVERFLOW)
                    self.leave(code, feed)
                    log.warning("watch_search_slow_watcher_cut_off", revision=event.revision)
        return True

    def end(self, why: End) -> None:
        for feeds in self.by_commodity.values():
            for feed in feeds:
                feed.end(why)
        self.by_commodity.clear()
        self.attached = False

    def join(
        self, commodity: str, concerns: Callable[[WatchEvent], bool] | None = None
    ) -> tuple[SearchFeed, int]:
        """A new standing search's queue (`concerns`: SearchFeed's), and the revision after
        which it gets every event that can change it."""
        position = self.hub.attach(self) if not self.attached else self.hub.position
        self.attached = True
        feed = SearchFeed(self.hub.limits.queue_size, self.hub, self.pacer, concerns)
        feed.marked = position
        self.by_commodity[commodity].add(feed)
        return feed, position

    def leave(self, commodity: str, feed: Subscription) -> None:
        if isinstance(feed, SearchFeed):
            self.pacer.forget(feed)
        feeds = self.by_commodity.get(commodity)
        if feeds is not None:
            feeds.discard(feed)
            if not feeds:
                del self.by_commodity[commodity]
        if not self.by_commodity and self.attached:
            self.hub.unsubscribe(self)
            self.attached = False

    @property
    def searches(self) -> int:
        return sum(len(feeds) for feeds in self.by_commodity.values())


# The hub's standing-search index (one per hub, made on first use).
index_for: PerHub[SearchIndex] = PerHub(SearchIndex)
