"""The hub's fan-out survives a subscriber that leaves while an event is offered (the
standing-search index unsubscribes when its last search is cut off as slow)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from availability_service.watch.feed import Subscription, WatchEvent
from availability_service.watch.hub import HubLimits, WatchHub


class Leaving(Subscription):
    """Takes the event, then leaves the hub from inside the offer."""

    def __init__(self, hub: WatchHub) -> None:
        super().__init__(capacity=10)
        self.hub = hub

    def offer(self, event: WatchEvent) -> bool:
        taken = super().offer(event)
        self.hub.unsubscribe(self)
        return taken


def event(revision: int) -> WatchEvent:
    return WatchEvent(
        revision, uuid.uuid4(), "UPDATED", ("UPDATED",), "", datetime.now(UTC), (), None, {}, None
    )


async def test_a_subscriber_leaving_during_an_offer_does_not_stop_the_fan_out() -> None:
    with ThreadPoolExecutor(1) as pool:
        hub = WatchHub(None, pool, HubLimits())  # type: ignore[arg-type]  # no reads here
        leaving, staying = Leaving(hub), Subscription(10)
        hub.attach(leaving)
        hub.attach(staying)
        await hub._dispatch([event(1), event(2)])
        assert [e.revision for e in leaving.items] == [1]
        assert [e.revision for e in staying.items] == [1, 2]
        assert hub.position == 2
