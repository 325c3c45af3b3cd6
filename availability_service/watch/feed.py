"""One event as the hub hands it out, and one subscriber's bounded queue.

Events are decoded once per process and shared by every subscriber; their protobuf forms are
built lazily, once, on first use, so a thousand watchers cost one conversion, not a thousand.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
from collections import deque
from dataclasses import dataclass, field, fields
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.auth.visibility import OWNER_ONLY_FIELDS, sees_everything
from availability_service.domain.model import availability_from_snapshot, reservation_from_snapshot
from availability_service.domain.stored_event import StoredEvent
from availability_service.grpc_api.lot_output import (
    availability_to_pb,
    reservation_to_pb,
    to_timestamp,
)
from tradedesk.availability.v1 import resources_pb2 as pb


@dataclass(frozen=True, eq=False)
class WatchEvent(StoredEvent):
    """One stored event (one revision), with its protobuf forms built once."""

    # The lot's protobuf forms by (snapshot, viewer sees everything): redaction depends only on
    # that, so each form is built once and shared by every watcher it applies to.
    _lots_pb: dict[tuple[str, bool], pb.Availability] = field(
        default_factory=dict, repr=False, compare=False
    )
    # One object per revision in the process: compared and hashed by identity.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @classmethod
    def from_stored(cls, event: StoredEvent) -> WatchEvent:
        return cls(*(getattr(event, name) for name in _STORED_FIELDS))

    def sees_everything(self, viewer: Principal) -> bool:
        """The viewer owns the lot or is privileged: every field, the actor, every change."""
        return sees_everything(viewer, str(self.after.get("seller_id", "")))

    def after_for(self, viewer: Principal) -> pb.Availability:
        """The lot after the event, as `viewer` may read it (visibility.redact)."""
        return self._lot_pb("after", self.after, viewer)

    def before_for(self, viewer: Principal) -> pb.Availability | None:
        """The lot before the event (None for a creation), as `viewer` may read it."""
        if self.before is None:
            return None
        return self._lot_pb("before", self.before, viewer)

    def changed_fields_for(self, viewer: Principal) -> tuple[str, ...]:
        """The changed field names, without owner-only ones for a viewer who may not read them."""
        if self.sees_everything(viewer):
            return self.changed_fields
        return tuple(f for f in self.changed_fields if f not in OWNER_ONLY_FIELDS)

    def actor_for(self, viewer: Principal) -> str:
        """Who acted: shown to others only when it is the lot's seller (an operator's or an
        engine's identity, such as who approved the lot, is a review detail)."""
        if self.sees_everything(viewer) or self.actor == self.after.get("seller_id"):
            return self.actor
        return ""

    def _lot_pb(self, which: str, snapshot: dict[str, Any], viewer: Principal) -> pb.Availability:
        key = (which, self.sees_everything(viewer))
        found = self._lots_pb.get(key)
        if found is None:
            found = availability_to_pb(availability_from_snapshot(snapshot), viewer)
            self._lots_pb[key] = found
        return found

    @functools.cached_property
    def reservation_pb(self) -> pb.Reservation | None:
        if self.reservation is None:
            return None
        return reservation_to_pb(reservation_from_snapshot(self.reservation))

    @functools.cached_property
    def event_time_pb(self) -> Any:
        return to_timestamp(self.event_time)


_STORED_FIELDS = tuple(f.name for f in fields(StoredEvent))


class End(enum.Enum):
    """Why the hub stopped feeding a subscription."""

    OVERFLOW = "OVERFLOW"  # the subscriber fell more than its queue behind
    SHUTDOWN = "SHUTDOWN"  # the server is stopping


@dataclass(eq=False)
class Subscription:
    """A bounded queue the hub offers events to without ever waiting."""

    capacity: int
    items: deque[WatchEvent] = field(default_factory=deque)
    ended: End | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, event: WatchEvent) -> bool:
        """Queues the event; False (and nothing queued) when the queue is full."""
        if self.ended is not None or len(self.items) >= self.capacity:
            return False
        self.items.append(event)
        self._wake.set()
        return True

    def end(self, why: End) -> None:
        if self.ended is None:
            self.ended = why
        if why is End.OVERFLOW:
            self.items.clear()  # the stream is cut off anyway: free the memory now
        self._wake.set()

    def take(self, limit: int) -> list[WatchEvent]:
        """Up to `limit` queued events, oldest first, without waiting."""
        out: list[WatchEvent] = []
        while self.items and len(out) < limit:
            out.append(self.items.popleft())
        return out

    async def wait(self, timeout: float | None) -> None:
        """Returns when events are queued, the subscription ended, or after `timeout`."""
        if self.items or self.ended is not None:
            return
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
