"""A WatchAvailabilities stream read on a thread, so each test step waits with a timeout.

A broken stream fails the test in seconds instead of hanging it.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import grpc
from sqlalchemy import Engine, text

from tests.support.callers import Caller
from tradedesk.availability.v1 import availability_service_pb2 as api

END = object()


class Watch:
    """One open WatchAvailabilities call whose messages are read with per-step timeouts."""

    def __init__(
        self,
        caller: Caller,
        request: Any,
        deadline: float = 30.0,
        read: bool = True,
        rpc: str = "WatchAvailabilities",
    ) -> None:
        # rpc: WatchAvailabilities, or WatchSearch (same stream shape, `changes` for `events`).
        self.call = getattr(caller.stub, rpc)(request, metadata=caller.metadata, timeout=deadline)
        self.items: queue.Queue[Any] = queue.Queue()
        if read:
            self.start_reading()

    def start_reading(self) -> None:
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        try:
            for message in self.call:
                self.items.put(message)
        except grpc.RpcError as error:
            self.items.put(error)
        self.items.put(END)

    def next(self, timeout: float = 10.0) -> Any:
        """The next message, or the RpcError / END that closed the stream."""
        return self.items.get(timeout=timeout)

    def message(self, timeout: float = 10.0) -> api.WatchAvailabilitiesResponse:
        item = self.next(timeout)
        if isinstance(item, grpc.RpcError):
            raise item
        assert item is not END, "stream ended"
        return item  # type: ignore[no-any-return]

    def events_until(
        self, revision: int, timeout: float = 10.0, items: str = "events"
    ) -> list[Any]:
        """Events (or WatchSearch `changes`) of every message up to one covering `revision`
        (bookmarks skipped)."""
        out: list[Any] = []
        deadline = time.monotonic() + timeout
        while True:
            message = self.message(max(deadline - time.monotonic(), 0.01))
            out.extend(getattr(message, items))
            if message.revision >= revision:
                return out

    def close(self) -> None:
        self.call.cancel()


def revision_now(engine: Engine) -> int:
    """The global revision right now: start a watch from it to see only what follows."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT value FROM revision_counter")).scalar_one())
