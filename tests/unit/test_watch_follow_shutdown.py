"""A stream whose server starts to stop while it replays the table ends as a live stream
ends at shutdown: a REASON_STREAM_END bookmark at the revision it got to, not an error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.watch.feed import Subscription, WatchEvent
from availability_service.watch.filters import WatchFilter, WatchRequest
from availability_service.watch.follow import Follow, Mark
from availability_service.watch.hub import HubClosing, HubLimits


@dataclass
class ClosingHub:
    """What Follow reads of a hub that began to stop: closing, at some position."""

    position: int = 40
    closing: bool = True
    limits: HubLimits = field(default_factory=HubLimits)


class Replayed(Follow):
    """A stream at revision 12 that follows the hub (the table replay is cut by closing)."""

    async def run(self) -> AsyncIterator[Any]:
        self.pos = 12
        async for message in self._follow(self._join, lambda sub: None):
            yield message

    def _join(self) -> tuple[Subscription, int]:
        raise HubClosing("server is shutting down")  # what the hub answers once closing

    def _messages(self, events: list[WatchEvent]) -> Iterator[Any]:
        return iter(())

    def _bookmark(self, revision: int, mark: Mark) -> Any:
        return (revision, mark)


async def test_a_stream_replaying_when_the_server_stops_ends_with_a_resumable_bookmark() -> None:
    request = WatchRequest(
        WatchFilter(), start_revision=12, send_initial_state=False, progress_seconds=None
    )
    stream = Replayed(request, Principal("buyer-1"), ClosingHub())  # type: ignore[arg-type]
    assert [m async for m in stream.run()] == [(12, Mark.STREAM_END)]
