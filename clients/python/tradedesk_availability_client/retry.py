"""When and how long to wait before trying a call again."""

from __future__ import annotations

import random
from dataclasses import dataclass

import grpc

from tradedesk_availability_client.errors import AvailabilityError

# A stale etag fails the same way on every retry; only a lost race is worth another try.
_HOPELESS_ABORTS = frozenset({"ETAG_MISMATCH"})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits uniformly in [d/2, d], d = initial*2^n."""

    max_attempts: int = 5
    initial_backoff: float = 0.1
    max_backoff: float = 5.0
    multiplier: float = 2.0

    def backoff(self, attempt: int, server_hint: float | None = None) -> float:
        """Seconds to sleep after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        delay = random.uniform(ceiling / 2, ceiling)
        # RetryInfo from the server (rate limits, database down) is a floor, not a suggestion.
        return max(delay, server_hint or 0.0)

    def should_retry(self, error: AvailabilityError, attempt: int, idempotent: bool) -> bool:
        """UNAVAILABLE always (nothing ran, or request_id makes the replay safe); ABORTED only
        for calls made idempotent by request_id, and never for a stale etag."""
        if attempt >= self.max_attempts:
            return False
        if error.code is grpc.StatusCode.UNAVAILABLE:
            return True
        return (
            error.code is grpc.StatusCode.ABORTED
            and idempotent
            and error.reason not in _HOPELESS_ABORTS
        )


NO_RETRY = RetryPolicy(max_attempts=1)
