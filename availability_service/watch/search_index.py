"""The process's standing searches, indexed by commodity, behind one hub subscription.

The hub offers each event once to the index, which hands it on only to the standing searches
of the lot's commodity (before and after the change, should it have changed), so a change
costs one dictionary look-up plus the searches it can concern, not a pass over every search.
Each standing search keeps its own bounded queue: one that falls behind is cut off exactly
as a slow WatchAvailabilities watcher is (End.OVERFLOW), and the others carry on.

A busy standing search gets at most one message per MESSAGE_INTERVAL_SECONDS: the events
that arrive within that interval of its last message wait for the rest of it and then go out
together (whole revisions, in order). A gRPC write costs far more than a change in it, on the
server and on the client alike, so under a steady flow of changes this is what lets one
process serve a thousand searches; a stream that was quiet for the interval still gets its
next change at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
import weakref
from collections import defaultdict
from datetime import UTC, datetime

import structlog

from availability_service.watch.feed import End, Subscription, WatchEvent
from availability_service.watch.hub import WatchHub

log = structlog.get_logger(__name__)

# At most one message per this many seconds per busy standing search (see above).
MESSAGE_INTERVAL_SECONDS = 0.1


def position_mark(revision: int) -> WatchEvent:
    """An event about no lot: handed to a standing search to say "everything up to here that
    concerns you is queued", so its position (and its bookmarks) keep up with the hub's."""
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


class SearchFeed(Subscription):
    """One standing search's queue: the events of its commodity, and, once they are all
    taken, a position mark at the hub's position (the index skips the other commodities'
    events, so without it the stream's position would lag behind the hub)."""

    def __init__(self, capacity: int, hub: WatchHub) -> None:
        super().__init__(capacity)
        self.hub = hub
        self.marked = 0
        self.taken_at = 0.0  # when events were last taken (monotonic), for the interval

    def take(self, limit: int) -> list[WatchEvent]:
        taken = super().take(limit)
        if taken:
            self.marked = max(self.marked, taken[-1].revision)
            self.taken_at = time.monotonic()
        elif self.ended is None and self.hub.position > self.marked:
            self.marked = self.hub.position
            taken = [position_mark(self.marked)]
        return taken

    async def wait(self, timeout: float | None) -> None:
        """As Subscription.wait (more cheaply), then, for events arriving within the message
        interval of the last ones taken, the rest of the interval (never past `timeout`), so
        that those arriving meanwhile go out in the same message."""
        start = time.monotonic()
        if not self.items and self.ended is None:
            self._wake.clear()
            # asyncio.timeout cancels this task at the deadline; wait_for (Subscription.wait)
            # would make a task per wait, and a thousand streams wait many times a second.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
        now = time.monotonic()
        pause = self.taken_at + MESSAGE_INTERVAL_SECONDS - now
        if timeout is not None:
            pause = min(pause, start + timeout - now)
        if pause > 0 and self.items and self.ended is None:
            await asyncio.sleep(pause)


class SearchIndex(Subscription):
    """Subscribed to the hub while any standing search runs; never overflows itself."""

    def __init__(self, hub: WatchHub) -> None:
        super().__init__(capacity=0)
        self.hub = hub
        self.by_commodity: defaultdict[str, set[Subscription]] = defaultdict(set)
        self.attached = False

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

    def join(self, commodity: str) -> tuple[SearchFeed, int]:
        """A new standing search's queue, and the revision after which it gets every event."""
        position = self.hub.attach(self) if not self.attached else self.hub.position
        self.attached = True
        feed = SearchFeed(self.hub.limits.queue_size, self.hub)
        feed.marked = position
        self.by_commodity[commodity].add(feed)
        return feed, position

    def leave(self, commodity: str, feed: Subscription) -> None:
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


_INDEXES: weakref.WeakKeyDictionary[WatchHub, SearchIndex] = weakref.WeakKeyDictionary()


def index_for(hub: WatchHub) -> SearchIndex:
    """The hub's standing-search index (one per hub, made on first use)."""
    index = _INDEXES.get(hub)
    if index is None:
        index = _INDEXES[hub] = SearchIndex(hub)
    return index
