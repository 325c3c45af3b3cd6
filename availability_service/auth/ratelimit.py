"""Per-caller token buckets, one per (principal subject, method group).

Defaults are generous on purpose: the other engines call us in bursts and must never be slowed
by normal traffic; the limiter exists to stop a runaway client, not to shape load.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

MethodGroup = Literal["read", "write", "hold", "watch"]
METHOD_GROUP_NAMES: tuple[MethodGroup, ...] = ("read", "write", "hold", "watch")

METHOD_GROUPS: dict[str, MethodGroup] = {
    "GetAvailability": "read",
    "ListAvailabilities": "read",
    "SearchAvailabilities": "read",
    "ListSimilarAvailabilities": "read",
    "GetNegotiationReadiness": "read",
    "GetReservation": "read",
    "ListReservations": "read",
    "ListLocations": "read",
    "ListAvailabilityEvents": "read",
    "ListCommodities": "read",
    "CreateAvailability": "write",
    "BatchCreateAvailabilities": "write",
    "UpdateAvailability": "write",
    "DeleteAvailability": "write",
    "ApproveAvailability": "write",
    "RejectAvailability": "write",
    "UpsertLocation": "write",
    "ReserveAvailability": "hold",
    "ExtendReservation": "hold",
    "ReleaseReservation": "hold",
    "MarkSold": "hold",
    "WatchAvailabilities": "watch",
    "WatchSearch": "watch",
}


# RPCs that do the work of many calls are charged per item: the repeated field that counts.
# A batch of 500 lots costs what 500 CreateAvailability calls cost, not what one does.
PER_ITEM_FIELDS: dict[str, str] = {"BatchCreateAvailabilities": "requests"}


def request_cost(method_short_name: str, request: object) -> int:
    """Tokens one call takes: 1, or one per item for the RPCs in PER_ITEM_FIELDS."""
    field = PER_ITEM_FIELDS.get(method_short_name)
    if field is None:
        return 1
    return max(1, len(getattr(request, field, ())))


def method_group(method_short_name: str) -> MethodGroup:
    """The bucket family of an RPC; unknown methods count as writes (the stricter default)."""
    return METHOD_GROUPS.get(method_short_name, "write")


@dataclass(frozen=True)
class RateLimitConfig:
    """Sustained rate (tokens per second) and burst (bucket size) for each method group."""

    enabled: bool = True
    read_per_second: float = 2000.0
    read_burst: float = 4000.0
    write_per_second: float = 500.0
    write_burst: float = 1000.0
    hold_per_second: float = 1000.0
    hold_burst: float = 2000.0
    watch_per_second: float = 20.0
    watch_burst: float = 50.0
    # Bounded memory: least recently used buckets are dropped beyond this many.
    max_buckets: int = 100_000

    def __post_init__(self) -> None:
        for group in METHOD_GROUP_NAMES:
            rate, burst = self.limit_for(group)
            if rate <= 0 or burst < 1:
                raise ValueError(f"{group}: rate must be > 0 and burst >= 1")
        if self.max_buckets < 1:
            raise ValueError("max_buckets must be at least 1")

    def limit_for(self, group: MethodGroup) -> tuple[float, float]:
        """(rate per second, burst) for the group."""
        rate: float = getattr(self, f"{group}_per_second")
        burst: float = getattr(self, f"{group}_burst")
        return rate, burst


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


class RateLimiter:
    """Token buckets keyed by (subject, group), refilled lazily from a monotonic clock."""

    def __init__(
        self,
        config: RateLimitConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config or RateLimitConfig()
        self._clock = clock
        self._buckets: OrderedDict[tuple[str, MethodGroup], _Bucket] = OrderedDict()
        # The aio server runs on one loop, but sync servers and tests may share a limiter
        # across threads; the critical section is a few float operations.
        self._lock = threading.Lock()

    @property
    def config(self) -> RateLimitConfig:
        return self._config

    def __len__(self) -> int:
        return len(self._buckets)

    def try_acquire(self, subject: str, group: MethodGroup, cost: float = 1.0) -> float | None:
        """None when allowed (and the tokens are taken); else seconds until it would be."""
        if not self._config.enabled:
            return None
        rate, burst = self._config.limit_for(group)
        if cost > burst:
            # Could never succeed; report the time to fill a whole bucket rather than loop.
            return burst / rate
        now = self._clock()
        key = (subject, group)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                # A new or evicted caller starts with a full bucket: eviction only forgets
                # callers idle long enough that their bucket would be full anyway (LRU).
                bucket = _Bucket(burst, now)
                self._buckets[key] = bucket
                if len(self._buckets) > self._config.max_buckets:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(burst, bucket.tokens + elapsed * rate)
                bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return None
            return (cost - bucket.tokens) / rate


def parse_rate_limits(spec: str, enabled: bool = True) -> RateLimitConfig:
    """Reads "read=2000/4000,hold=1000/2000" (group=rate per second/burst) over the defaults.

    Groups not named keep their defaults; a malformed spec is a ValueError naming the part,
    so a bad setting stops the server at start instead of silently limiting nothing.
    """
    values: dict[str, float | bool] = {"enabled": enabled}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        group, _, numbers = part.partition("=")
        rate, _, burst = numbers.partition("/")
        if group not in METHOD_GROUP_NAMES:
            raise ValueError(f"rate limit {part!r}: group must be one of {METHOD_GROUP_NAMES}")
        try:
            values[f"{group}_per_second"] = float(rate)
            values[f"{group}_burst"] = float(burst or rate)
        except ValueError as exc:
            raise ValueError(f"rate limit {part!r}: expected group=rate/burst") from exc
    return RateLimitConfig(**values)  # type: ignore[arg-type]  # keys are field names
