"""Following the change feed for one stream: resume or start, catch up, then follow the hub.

Every message covers whole revisions, in order; `pos` is the highest revision this stream has
fully dealt with (sent, or filtered out), and is what every bookmark and error carries, so a
client that resumes from it gets exactly the rest. How events become messages is the wire's
business (grpc_api.watch_stream, grpc_api.watch_search_stream: subclasses of Follow).
"""

from __future__ import annotations

import abc
import enum
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.domain.errors import OutOfRange, ResourceExhausted
from availability_service.domain.model import Availability
from availability_service.telemetry import metrics
from availability_service.watch import reads
from availability_service.watch.feed import End, Subscription, WatchEvent
from availability_service.watch.filters import WatchRequest
from availability_service.watch.hub import PAGE_SIZE, WatchHub

# Events taken from the queue at once, and at most this many in one message.
BATCH_MAX_EVENTS = 500
# Lots per read of the initial state: only one page is in memory at a time.
INITIAL_PAGE_SIZE = 500
READY_TIMEOUT_SECONDS = 10.0
# A write still pending when the stream reaches its maximum age gets this much longer (the
# final bookmark of a reading client goes out well within it); then the stream is cut off.
AGE_GRACE_SECONDS = 1.0


class Mark(enum.Enum):
    """Why a bookmark (a message with only a revision) is sent."""

    INITIAL_STATE_END = "INITIAL_STATE_END"  # the initial state is complete up to it
    PROGRESS = "PROGRESS"  # nothing for this stream, but it has dealt with all up to it
    STREAM_END = "STREAM_END"  # the stream ends (maximum age, shutdown): resume from it


class StreamUnavailable(Exception):
    """The stream cannot go on now (database down, server stopping); resume from last_revision."""

    def __init__(self, message: str, last_revision: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.last_revision = last_revision


def cut_off(reason: str, why: str, last_revision: int) -> ResourceExhausted:
    """The error that ends a stream the server gave up on: resume from `last_revision`."""
    return ResourceExhausted(
        f"{why}; resume from revision {last_revision}",
        reason=reason,
        retry_after_seconds=1.0,
        metadata={"last_revision": str(last_revision)},
    )


class Follow(abc.ABC):
    """One stream's phases, limits and errors; subclasses turn events into messages."""

    def __init__(self, request: WatchRequest, principal: Principal, hub: WatchHub) -> None:
        self.request = request
        self.flt = request.filter
        self.principal = principal
        self.hub = hub
        self.pos = 0
        now = time.monotonic()
        self.deadline = now + hub.limits.max_stream_age_seconds
        self.last_sent = now

    def send_timeout(self, now: float) -> float:
        """How long the next write may wait for the client: the send timeout, and never much
        past the stream's maximum age, so the age holds even for a stream stuck in flow
        control."""
        return min(
            self.hub.limits.send_timeout_seconds, max(self.deadline - now, AGE_GRACE_SECONDS)
        )

    @abc.abstractmethod
    def run(self) -> AsyncIterator[Any]:
        """The stream's messages: its start (initial state or resume), then _follow."""

    # --- what subclasses say on the wire (grpc_api builds the messages) ----------------------

    @abc.abstractmethod
    def _messages(self, events: list[WatchEvent]) -> Iterator[Any]:
        """Messages for these consecutive events; advances pos past all of them."""

    @abc.abstractmethod
    def _bookmark(self, revision: int, mark: Mark) -> Any:
        """The bookmark message at `revision` for `mark`."""

    # --- phases ----------------------------------------------------------------------------

    async def _follow(
        self,
        join: Callable[[], tuple[Subscription, int]],
        leave: Callable[[Subscription], None],
    ) -> AsyncIterator[Any]:
        """From pos on: the events in the table, then those of a queue (`join`ed, and left
        however the stream ends)."""
        # Catch up from the table first, so a long replay never fills the live queue...
        async for response in self._catch_up(None):
            yield response
        if self.hub.closing:
            # The server began to stop during the replay, and refuses new subscriptions now:
            # end where the replay got to, resumable, as a live stream ends.
            metrics.WATCH_CUTOFFS.labels("shutdown").inc()
            yield self._bookmark(self.pos, Mark.STREAM_END)
            return
        sub, joined_at = join()
        try:
            # ...then close the gap between where the replay ended and where the queue starts.
            async for response in self._catch_up(joined_at):
                yield response
            async for response in self._live(sub):
                yield response
        finally:
            leave(sub)

    async def _initial_pages(self) -> AsyncIterator[tuple[int, list[Availability]]]:
        """The lots that match now, a page at a time, with the revision they are as of; pos
        is that revision once they are all out."""
        # Revisions commit in counter order: every revision up to this value is committed.
        revision = await self._read(reads.current_revision, self.hub.uow)
        after = None
        while True:
            if self.hub.closing:
                # Without the end-of-state bookmark there is no revision to resume from.
                raise StreamUnavailable("server is shutting down; watch again elsewhere")
            page = await self._read(
                reads.read_initial_page,
                self.hub.uow,
                self.flt,
                self.principal,
                revision,
                after,
                INITIAL_PAGE_SIZE,
            )
            yield revision, page.lots
            after = page.next_after
            if after is None:
                break
        self.pos = revision

    async def _catch_up(self, until: int | None) -> AsyncIterator[Any]:
        while self.hub.closing is False and time.monotonic() < self.deadline:
            if until is None and self.pos >= self.hub.position:
                return
            if until is not None and self.pos >= until:
                return
            page = await self._read(reads.read_page, self.hub.uow, self.pos, PAGE_SIZE, until)
            if page and page[0].revision > self.pos + 1:
                self._check_retained(await self._read(reads.oldest_revision, self.hub.uow))
            for response in self._messages(page):
                yield self._sent(response)
            if len(page) < PAGE_SIZE:
                return

    async def _live(self, sub: Subscription) -> AsyncIterator[Any]:
        progress = self.request.progress_seconds
        while True:
            if sub.ended is End.OVERFLOW:
                raise cut_off(
                    "SLOW_WATCHER", f"watcher fell more than {sub.capacity} events behind", self.pos
                )
            now = time.monotonic()
            if sub.ended is End.SHUTDOWN or self.hub.closing or now >= self.deadline:
                ended = "max_age" if now >= self.deadline else "shutdown"
                metrics.WATCH_CUTOFFS.labels(ended).inc()
                yield self._bookmark(self.pos, Mark.STREAM_END)
                return
            batch = [e for e in sub.take(BATCH_MAX_EVENTS) if e.revision > self.pos]
            if batch:
                for response in self._messages(batch):
                    yield self._sent(response)
                continue
            if progress is not None and now >= self.last_sent + progress:
                yield self._sent(self._bookmark(self.pos, Mark.PROGRESS))
                continue
            wait = self.deadline - now
            if progress is not None:
                wait = min(wait, self.last_sent + progress - now)
            await sub.wait(max(wait, 0.0))

    # --- helpers ---------------------------------------------------------------------------

    def _sent(self, response: Any) -> Any:
        # Called as the message is handed to gRPC; the position moves once it is yielded, and
        # a failure before that leaves pos at what the client already has.
        self.last_sent = time.monotonic()
        return response

    def _check_not_future(self, head: int) -> None:
        """A start beyond the head names changes that do not exist yet: resuming there would
        silently skip whatever comes next up to it."""
        if self.request.start_revision > head:
            raise OutOfRange(
                f"start_revision {self.request.start_revision} is beyond the current revision "
                f"{head}; resume from a revision this service returned",
                reason="REVISION_NOT_YET_WRITTEN",
                metadata={"current_revision": str(head)},
            )

    def _check_retained(self, oldest: int | None) -> None:
        if oldest is not None and self.pos < oldest - 1:
            raise OutOfRange(
                f"revision {self.pos} is compacted; the oldest kept is {oldest}: resume from "
                f"{oldest - 1} or watch again with send_initial_state",
                reason="REVISION_COMPACTED",
                metadata={"oldest_revision": str(oldest)},
            )

    async def _read(self, fn: Any, *args: Any) -> Any:
        try:
            return await self.hub.read(fn, *args)
        except self.hub.database.unavailable as exc:
            raise StreamUnavailable(
                "database unavailable; resume from last_revision", self.pos or None
            ) from exc


class FollowFilter(Follow):
    """A watch by filter: starts from its initial state, a revision to resume from, or now."""

    async def run(self) -> AsyncIterator[Any]:
        if self.request.send_initial_state:
            async for response in self._initial_state():
                yield response
        elif self.request.start_revision > 0:
            self._check_not_future(await self._read(reads.current_revision, self.hub.uow))
            self.pos = self.request.start_revision
            oldest = await self._read(reads.oldest_revision, self.hub.uow)
            self._check_retained(oldest)
        else:
            self.pos = self.hub.position  # "now", as far as this process has read
        async for response in self._follow(self.hub.subscribe, self.hub.unsubscribe):
            yield response

    @abc.abstractmethod
    def _initial_state(self) -> AsyncIterator[Any]:
        """The messages of the initial state (lots from _initial_pages), its bookmark last."""
