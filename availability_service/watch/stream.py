"""One WatchAvailabilities stream: validate, resume or list, then follow the hub.

Every message covers whole revisions, in order; `pos` is the highest revision this stream has
fully dealt with (sent, or filtered out), and is what every bookmark and error carries, so a
client that resumes from it gets exactly the rest.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.domain.errors import OutOfRange, ResourceExhausted
from availability_service.domain.model import Availability
from availability_service.grpc_api.lot_output import availability_to_pb, to_timestamp
from availability_service.telemetry import metrics
from availability_service.watch import reads
from availability_service.watch.emit import event_to_pb
from availability_service.watch.feed import End, Subscription, WatchEvent
from availability_service.watch.filters import (
    WatchRequest,
    change_kind,
    parse_request,
)
from availability_service.watch.hub import PAGE_SIZE, WatchHub, WatchSlot
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2

# Well under the transport limit (the server refuses to start below about 3.9 MiB, see
# grpc_api.lot_size), and small enough to keep per-watcher memory low. One event of a lot
# under the size cap is a few kilobytes, so a revision always fits a message of its own.
BATCH_MAX_BYTES = 1024 * 1024
BATCH_MAX_EVENTS = 500
# Lots per read of the initial state: only one page is in memory at a time.
INITIAL_PAGE_SIZE = 500
READY_TIMEOUT_SECONDS = 10.0
# A write still pending when the stream reaches its maximum age gets this much longer (the
# final bookmark of a reading client goes out well within it); then the stream is cut off.
AGE_GRACE_SECONDS = 1.0
Reason = watch_pb2.Bookmark.Reason


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


def _bookmark(revision: int, reason: int) -> api.WatchAvailabilitiesResponse:
    return api.WatchAvailabilitiesResponse(
        revision=revision, bookmark=watch_pb2.Bookmark(reason=reason)
    )


async def open_stream(
    request: Any, principal: Principal, hub: WatchHub
) -> tuple[WatchSlot, _Stream]:
    """Validates the request and takes a slot; the caller sends the messages of `run()` and
    releases the slot."""
    parsed = parse_request(request)
    if not await hub.wait_ready(READY_TIMEOUT_SECONDS):
        raise StreamUnavailable("the change feed is not ready yet; retry")
    return hub.admit(principal), _Stream(parsed, principal, hub)


class _Stream:
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

    async def run(self) -> AsyncIterator[api.WatchAvailabilitiesResponse]:
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
        # Catch up from the table first, so a long replay never fills the live queue...
        async for response in self._catch_up(None):
            yield response
        sub, joined_at = self.hub.subscribe()
        try:
            # ...then close the gap between where the replay ended and where the queue starts.
            async for response in self._catch_up(joined_at):
                yield response
            async for response in self._live(sub):
                yield response
        finally:
            self.hub.unsubscribe(sub)

    # --- phases ----------------------------------------------------------------------------

    async def _initial_state(self) -> AsyncIterator[api.WatchAvailabilitiesResponse]:
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
            for batch in _split(self._initial_event(lot) for lot in page.lots):
                yield api.WatchAvailabilitiesResponse(revision=revision, events=batch)
            after = page.next_after
            if after is None:
                break
        self.pos = revision
        yield self._sent(_bookmark(revision, Reason.REASON_INITIAL_STATE_END))

    async def _catch_up(self, until: int | None) -> AsyncIterator[api.WatchAvailabilitiesResponse]:
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

    async def _live(self, sub: Subscription) -> AsyncIterator[api.WatchAvailabilitiesResponse]:
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
                yield _bookmark(self.pos, Reason.REASON_STREAM_END)
                return
            batch = [e for e in sub.take(BATCH_MAX_EVENTS) if e.revision > self.pos]
            if batch:
                for response in self._messages(batch):
                    yield self._sent(response)
                continue
            if progress is not None and now >= self.last_sent + progress:
                yield self._sent(_bookmark(self.pos, Reason.REASON_PROGRESS))
                continue
            wait = self.deadline - now
            if progress is not None:
                wait = min(wait, self.last_sent + progress - now)
            await sub.wait(max(wait, 0.0))

    # --- helpers ---------------------------------------------------------------------------

    def _sent(self, response: api.WatchAvailabilitiesResponse) -> Any:
        # Called as the message is handed to gRPC; the position moves once it is yielded, and
        # a failure before that leaves pos at what the client already has.
        self.last_sent = time.monotonic()
        return response

    def _messages(self, events: list[WatchEvent]) -> Iterator[api.WatchAvailabilitiesResponse]:
        """Messages for these consecutive events; advances pos past all of them."""
        batch: list[watch_pb2.AvailabilityEvent] = []
        size = 0
        last = self.pos
        for event in events:
            kind = change_kind(self.flt, self.principal, event.types, event.before, event.after)
            if kind is not None:
                out = _fitted(event_to_pb(self.principal, event, kind))
                out_size = out.ByteSize()
                if batch and (len(batch) >= BATCH_MAX_EVENTS or size + out_size > BATCH_MAX_BYTES):
                    yield api.WatchAvailabilitiesResponse(revision=last, events=batch)
                    self.pos = last
                    batch, size = [], 0
                batch.append(out)
                size += out_size
            last = event.revision
        if batch:
            yield api.WatchAvailabilitiesResponse(revision=last, events=batch)
        self.pos = max(self.pos, last)

    def _initial_event(self, lot: Availability) -> watch_pb2.AvailabilityEvent:
        return watch_pb2.AvailabilityEvent(
            revision=lot.revision,
            type=watch_pb2.EVENT_TYPE_CREATED,
            types=[watch_pb2.EVENT_TYPE_CREATED],
            change=watch_pb2.CHANGE_KIND_ADDED,
            availability=availability_to_pb(lot, self.principal),
            actor=lot.seller_id,
            event_time=to_timestamp(lot.update_time),
        )

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


def _split(
    events: Iterable[watch_pb2.AvailabilityEvent],
) -> Iterator[list[watch_pb2.AvailabilityEvent]]:
    """Groups initial-state events into messages under the size cap."""
    batch: list[watch_pb2.AvailabilityEvent] = []
    size = 0
    for event in map(_fitted, events):
        event_size = event.ByteSize()
        if batch and size + event_size > BATCH_MAX_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += event_size
    if batch:
        yield batch


def _fitted(event: watch_pb2.AvailabilityEvent) -> watch_pb2.AvailabilityEvent:
    """The event, or (never for a lot written under the size cap) its lot cut to its identity.

    A revision is never split and never skipped: a lot stored before the cap existed that no
    longer fits a message is still announced, with only what says which lot changed, how and
    at which revision (GetAvailability has the rest), rather than ending every stream (and
    every resume) at that revision.
    """
    if event.ByteSize() <= BATCH_MAX_BYTES:
        return event
    metrics.WATCH_OVERSIZED_EVENTS.inc()
    slim = watch_pb2.AvailabilityEvent()
    slim.CopyFrom(event)
    slim.availability.CopyFrom(_identity(event.availability))
    if event.HasField("previous"):
        slim.previous.CopyFrom(_identity(event.previous))
    return slim


def _identity(lot: pb.Availability) -> pb.Availability:
    return pb.Availability(
        name=lot.name,
        seller_id=lot.seller_id,
        commodity=lot.commodity,
        state=lot.state,
        revision=lot.revision,
        etag=lot.etag,
        update_time=lot.update_time,
    )
