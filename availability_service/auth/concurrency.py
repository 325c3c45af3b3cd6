"""Non-blocking caps on RPCs in flight: per process, and per key (e.g. watch streams).

Rejecting at once (RESOURCE_EXHAUSTED) instead of queueing keeps latency bounded and lets
clients back off; a queue would only hide overload until memory runs out.
"""

from __future__ import annotations

import threading
from collections import Counter

DEFAULT_MAX_CONCURRENT_RPCS = 512
DEFAULT_MAX_WATCHES_PER_PRINCIPAL = 100


class ConcurrencyLimiter:
    """At most `max_concurrent` callers inside at once; try_enter never blocks."""

    def __init__(self, max_concurrent: int = DEFAULT_MAX_CONCURRENT_RPCS) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self._max = max_concurrent
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def max_concurrent(self) -> int:
        return self._max

    def try_enter(self) -> bool:
        """Take a slot and return True, or return False when all slots are taken."""
        with self._lock:
            if self._in_flight >= self._max:
                return False
            self._in_flight += 1
            return True

    def exit(self) -> None:
        """Give back a slot taken by a successful try_enter."""
        with self._lock:
            if self._in_flight == 0:
                raise RuntimeError("exit() without a matching try_enter()")
            self._in_flight -= 1


class KeyedConcurrencyLimiter:
    """At most `max_per_key` concurrent entries per key; idle keys take no memory."""

    def __init__(self, max_per_key: int = DEFAULT_MAX_WATCHES_PER_PRINCIPAL) -> None:
        if max_per_key < 1:
            raise ValueError("max_per_key must be at least 1")
        self._max = max_per_key
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def in_flight(self, key: str) -> int:
        return self._counts[key]

    def try_enter(self, key: str) -> bool:
        with self._lock:
            if self._counts[key] >= self._max:
                return False
            self._counts[key] += 1
            return True

    def exit(self, key: str) -> None:
        with self._lock:
            count = self._counts[key]
            if count == 0:
                raise RuntimeError(f"exit({key!r}) without a matching try_enter()")
            if count == 1:
                del self._counts[key]  # keep memory proportional to active keys
            else:
                self._counts[key] = count - 1
