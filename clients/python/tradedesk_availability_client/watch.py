"""A watch that survives disconnects: the caller's loop sees every event exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from tradedesk.availability.v1 import watch_pb2
from tradedesk_availability_client.errors import from_rpc_error
from tradedesk_availability_client.retry import RetryPolicy

_STREAM_END = watch_pb2.Bookmark.REASON_STREAM_END
_INITIAL_STATE_END = watch_pb2.Bookmark.REASON_INITIAL_STATE_END


class Watch:
    """Iterate for AvailabilityEvents. `revision` is the last revision delivered (or covered
    by a bookmark); after a disconnect (UNAVAILABLE, the stream ending, or a STREAM_END
    bookmark) the watch reconnects with start_revision=revision, so nothing is delivered
    twice and nothing is lost. Other errors (OUT_OF_RANGE when the revision was compacted,
    PERMISSION_DENIED, ...) are raised as typed exceptions, and UNAVAILABLE too once the
    server has been unreachable for give_up_after seconds. cancel() ends it from any thread."""

    def __init__(
        self,
        open_stream: Callable[[Any], Any],
        request: Any,
        retry: RetryPolicy,
        give_up_after: float | None,
        on_bookmark: Callable[[int, int], None] | None = None,
    ) -> None:
        self._open = open_stream
        self._request = request
        self._retry = retry
        self._give_up_after = give_up_after
        self._on_bookmark = on_bookmark
        self.revision = request.start_revision
        self.reconnects = 0
        self._initial_pending = request.send_initial_state
        self._initial_names: set[str] = set()
        self._cancelled = threading.Event()
        self._call: Any = None

    def cancel(self) -> None:
        self._cancelled.set()
        if self._call is not None:
            self._call.cancel()

    def __iter__(self) -> Iterator[watch_pb2.AvailabilityEvent]:
        failures = 0
        failing_since: float | None = None
        while not self._cancelled.is_set():
            request = type(self._request)()
            request.CopyFrom(self._request)
            request.start_revision = self.revision
            request.send_initial_state = self._initial_pending
            try:
                self._call = self._open(request)
                for message in self._call:
                    failures, failing_since = 0, None
                    yield from self._fresh_events(message)
                    if message.HasField("bookmark") and message.bookmark.reason == _STREAM_END:
                        break
            except grpc.RpcError as rpc_error:
                if self._cancelled.is_set():
                    return
                error = from_rpc_error(rpc_error)
                failing_since = failing_since or time.monotonic()
                if error.code is not grpc.StatusCode.UNAVAILABLE or self._given_up(failing_since):
                    raise error from rpc_error
            # A clean end is a disconnect too: back off before resuming.
            failures += 1
            if self._cancelled.wait(self._retry.backoff(failures)):
                return
            self.reconnects += 1

    @staticmethod
    def _items(message: Any) -> Any:
        return message.events

    @staticmethod
    def _name(item: Any) -> str:
        return str(item.availability.name)

    def _given_up(self, failing_since: float) -> bool:
        limit = self._give_up_after
        return limit is not None and time.monotonic() - failing_since > limit

    def _fresh_events(self, message: Any) -> Iterator[watch_pb2.AvailabilityEvent]:
        """Events not delivered before; advances `revision` before each yield, so an event
        the caller has seen is never replayed, even if the stream breaks right after."""
        for event in self._items(message):
            if self._initial_pending:
                # Initial-state ADDED events carry each lot's own (older) revision: dedupe a
                # restarted initial state by lot name instead.
                if self._name(event) in self._initial_names:
                    continue
                self._initial_names.add(self._name(event))
                yield event
                continue
            if event.revision <= self.revision:
                continue
            self.revision = event.revision
            yield event
        if message.HasField("bookmark") and self._on_bookmark is not None:
            self._on_bookmark(message.revision, message.bookmark.reason)
        if message.HasField("bookmark") and message.bookmark.reason == _INITIAL_STATE_END:
            self._initial_pending = False
            self._initial_names.clear()
        if not self._initial_pending and message.revision > self.revision:
            self.revision = message.revision


class SearchWatch(Watch):
    """A standing search (WatchSearch) with the same guarantees: iterate for SearchChanges
    (ENTERED, UPDATED, LEFT), each exactly once, resuming after disconnects from `revision`.
    Every change has a revision of its own (one event makes at most one change)."""

    @staticmethod
    def _items(message: Any) -> Any:
        return message.changes

    @staticmethod
    def _name(item: Any) -> str:
        return str(item.name)
