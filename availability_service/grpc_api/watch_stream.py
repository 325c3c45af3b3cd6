"""One WatchAvailabilities stream on the wire: the follow phases (watch.follow) with each
event, initial lot and bookmark as the messages of the RPC, under the message size cap."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.domain.model import Availability
from availability_service.grpc_api.lot_output import availability_to_pb, to_timestamp
from availability_service.grpc_api.watch_events import event_to_pb
from availability_service.grpc_api.watch_input import parse_request
from availability_service.telemetry import metrics
from availability_service.watch.feed import WatchEvent
from availability_service.watch.filters import change_kind
from availability_service.watch.follow import (
    BATCH_MAX_EVENTS,
    READY_TIMEOUT_SECONDS,
    FollowFilter,
    Mark,
    StreamUnavailable,
)
from availability_service.watch.hub import WatchHub, WatchSlot
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2

# Well under the transport limit (the server refuses to start below about 3.9 MiB, see
# grpc_api.lot_size), and small enough to keep per-watcher memory low. One event of a lot
# under the size cap is a few kilobytes, so a revision always fits a message of its own.
BATCH_MAX_BYTES = 1024 * 1024
Reason = watch_pb2.Bookmark.Reason
REASONS = {
    Mark.INITIAL_STATE_END: Reason.REASON_INITIAL_STATE_END,
    Mark.PROGRESS: Reason.REASON_PROGRESS,
    Mark.STREAM_END: Reason.REASON_STREAM_END,
}


async def open_stream(
    request: Any, principal: Principal, hub: WatchHub
) -> tuple[WatchSlot, _Stream]:
    """Validates the request and takes a slot; the caller sends the messages of `run()` and
    releases the slot."""
    parsed = parse_request(request)
    if not await hub.wait_ready(READY_TIMEOUT_SECONDS):
        raise StreamUnavailable("the change feed is not ready yet; retry")
    return hub.admit(principal), _Stream(parsed, principal, hub)


class _Stream(FollowFilter):
    def _bookmark(self, revision: int, mark: Mark) -> api.WatchAvailabilitiesResponse:
        return api.WatchAvailabilitiesResponse(
            revision=revision, bookmark=watch_pb2.Bookmark(reason=REASONS[mark])
        )

    async def _initial_state(self) -> AsyncIterator[api.WatchAvailabilitiesResponse]:
        async for revision, lots in self._initial_pages():
            for batch in _split(self._initial_event(lot) for lot in lots):
                yield api.WatchAvailabilitiesResponse(revision=revision, events=batch)
        yield self._sent(self._bookmark(self.pos, Mark.INITIAL_STATE_END))

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
