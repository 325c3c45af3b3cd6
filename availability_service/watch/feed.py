"""One event as the hub hands it out, and one subscriber's bounded queue.

Events are decoded once per process and shared by every subscriber (the wire side keeps its
forms of an event per event and view, so a thousand watchers cost one conversion, not a
thousand: grpc_api.watch_events).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field, fields
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.auth.visibility import OWNER_ONLY_FIELDS, sees_everything
from availability_service.domain.stored_event import StoredEvent


@dataclass(frozen=True, eq=False)
class WatchEvent(StoredEvent):
    """One stored event (one revision), one object per process whoever receives it."""

    # What consumers derive from the event once for every stream (its decoded lot, its
    # serialised forms, changes built from it), kept as long as the event is: a plain dict
    # on the event, since a weak-keyed cache costs a weak reference per look-up, and a
    # thousand streams look an event up many times.
    memo: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    # One object per revision in the process: compared and hashed by identity.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @classmethod
    def from_stored(cls, event: StoredEvent) -> WatchEvent:
        return cls(*(getattr(event, name) for name in _STORED_FIELDS))

    def sees_everything(self, viewer: Principal) -> bool:
        """The viewer owns the lot or is privileged: every field, the actor, every change."""
        return sees_everything(viewer, str(self.after.get("seller_id", "")))

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
