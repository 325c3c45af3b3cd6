"""When and how long to wait before trying a call again."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import grpc

from tradedesk_availability_client.errors import AvailabilityError
from tradedesk_availability_client.service_config import published_service_config

# A stale etag fails the same way on every retry; only a lost race is worth another try.
_HOPELESS_ABORTS = frozenset({"ETAG_MISMATCH"})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits uniformly in [d/2, d], d = initial*2^n.
    The defaults are the published service config's retryPolicy. All attempts of a call share
    the call's one deadline (see Transport.call)."""

    max_attempts: int = field(default_factory=lambda: published_service_config().max_attempts)
    initial_backoff: float = field(
        default_factory=lambda: published_service_config().initial_backoff
    )
    max_backoff: float = field(default_factory=lambda: published_service_config().max_backoff)
    multiplier: float = field(default_factory=lambda: published_service_config().multiplier)
    retryable_codes: frozenset[str] = field(
        default_factory=lambda: published_service_config().retryable_codes
    )

    def backoff(self, attempt: int, server_hint: float | None = None) -> float:
        """Seconds to sleep after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        delay = random.uniform(ceiling / 2, ceiling)
        # RetryInfo from the server (rate limits, database down) is a floor, not a suggestion.
        return max(delay, server_hint or 0.0)

    def should_retry(self, error: AvailabilityError, attempt: int, retryable: bool) -> bool:
        """Only methods the service config names as safe to retry (reads, and writes made
        idempotent by request_id): on its retryable codes (UNAVAILABLE), and on ABORTED for
        a lost race, never for a stale etag."""
        if attempt >= self.max_attempts or not retryable:
            return False
        if error.code.name in self.retryable_codes:
            return True
        return error.code is grpc.StatusCode.ABORTED and error.reason not in _HOPELESS_ABORTS


NO_RETRY = RetryPolicy(max_attempts=1)
