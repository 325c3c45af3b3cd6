"""A watch client that survives server restarts by resuming from the last revision it saw."""

from __future__ import annotations

import threading
import time

import grpc

from tests.reliability.load import FORBIDDEN, Identity
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc


class ResumingWatcher:
    """Follows every event from `start_revision`; reconnects after any stream error."""

    def __init__(self, address: str, who: Identity, start_revision: int) -> None:
        self.address = address
        self.who = who
        self.last_revision = start_revision
        self.seen: list[int] = []  # every event revision delivered, duplicates included
        self.reconnects = 0
        self.errors: list[str] = []  # forbidden codes and compaction: each one a failure
        self._stop = threading.Event()
        self._call: grpc.Future | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> ResumingWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._call is not None:
            self._call.cancel()
        self._thread.join(10)

    def wait_until(self, revision: int, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.last_revision >= revision:
                return True
            time.sleep(0.1)
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            with grpc.insecure_channel(self.address) as channel:
                stub = api_grpc.AvailabilityServiceStub(channel)
                request = api.WatchAvailabilitiesRequest(start_revision=self.last_revision)
                try:
                    self._call = stub.WatchAvailabilities(request, metadata=self.who.metadata)
                    for message in self._call:
                        for event in message.events:
                            self.seen.append(event.revision)
                        self.last_revision = max(self.last_revision, message.revision)
                except grpc.RpcError as err:
                    code = err.code()
                    if code in FORBIDDEN or code == grpc.StatusCode.OUT_OF_RANGE:
                        self.errors.append(f"{code.name}: {err.details()}")
                    if self._stop.is_set():
                        return
                    self.reconnects += 1
                    time.sleep(0.3)

    def duplicates(self) -> int:
        return len(self.seen) - len(set(self.seen))

    def missing(self, expected: list[int]) -> list[int]:
        got = set(self.seen)
        return [r for r in expected if r not in got]
