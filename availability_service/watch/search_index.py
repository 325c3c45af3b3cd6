"""The process's standing searches, indexed by commodity, behind one hub subscription.

The hub offers each event once to the index, which hands it on only to the standing searches
of the lot's commodity (before and after the change, should it have changed), so a change
costs one dictionary look-up plus the searches it can concern, not a pass over every search.
Each standing search keeps its own bounded queue: one that falls behind is cut off exactly
as a slow WatchAvailabilities watcher is (End.OVERFLOW), and the others carry on.
"""

from __future__ import annotations

import weakref
from collections import defaultdict

import structlog

from availability_service.watch.feed import End, Subscription, WatchEvent
from availability_service.watch.hub import WatchHub

log = structlog.get_logger(__name__)


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

    def join(self, commodity: str) -> tuple[Subscription, int]:
        """A new standing search's queue, and the revision after which it gets every event."""
        position = self.hub.attach(self) if not self.attached else self.hub.position
        self.attached = True
        feed = Subscription(self.hub.limits.queue_size)
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
