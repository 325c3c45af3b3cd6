"""Rate limiting with a fake clock, and the concurrency caps."""

from __future__ import annotations

import pytest

from availability_service.auth.concurrency import ConcurrencyLimiter, KeyedConcurrencyLimiter
from availability_service.auth.ratelimit import RateLimitConfig, RateLimiter, method_group


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: FakeClock, **config: float) -> RateLimiter:
    return RateLimiter(RateLimitConfig(**config), clock=clock)  # type: ignore[arg-type]


def test_a_caller_is_limited_after_the_burst_and_recovers_with_time() -> None:
    clock = FakeClock()
    limits = limiter(clock, write_per_second=2.0, write_burst=3.0)
    assert [limits.try_acquire("alice", "write") for _ in range(3)] == [None, None, None]
    wait = limits.try_acquire("alice", "write")
    assert wait == pytest.approx(0.5)
    clock.now += 0.25
    assert limits.try_acquire("alice", "write") == pytest.approx(0.25)
    clock.now += 0.25
    assert limits.try_acquire("alice", "write") is None
    # Refill is capped at the burst, however long the caller was idle.
    clock.now += 3600
    assert [limits.try_acquire("alice", "write") for _ in range(4)][-1] is not None


def test_buckets_are_per_subject_and_per_group() -> None:
    clock = FakeClock()
    limits = limiter(clock, write_per_second=1.0, write_burst=1.0)
    assert limits.try_acquire("alice", "write") is None
    assert limits.try_acquire("alice", "write") is not None
    assert limits.try_acquire("bob", "write") is None
    assert limits.try_acquire("alice", "read") is None


def test_the_defaults_never_limit_normal_engine_traffic() -> None:
    clock = FakeClock()
    limits = RateLimiter(clock=clock)
    assert all(limits.try_acquire("matching", "read") is None for _ in range(4000))
    assert limits.try_acquire("matching", "read") is not None
    assert limits.config.limit_for("watch") == (20.0, 50.0)


def test_a_disabled_limiter_allows_everything() -> None:
    limits = limiter(FakeClock(), enabled=False, hold_per_second=1.0, hold_burst=1.0)
    assert all(limits.try_acquire("x", "hold") is None for _ in range(100))


def test_idle_buckets_are_evicted_beyond_the_cap() -> None:
    clock = FakeClock()
    limits = limiter(clock, max_buckets=2, write_per_second=1.0, write_burst=1.0)
    assert limits.try_acquire("a", "write") is None
    limits.try_acquire("b", "write")
    limits.try_acquire("a", "write")  # touches a: b is now the least recently used
    limits.try_acquire("c", "write")
    assert len(limits) == 2
    assert limits.try_acquire("b", "write") is None  # forgotten, so it starts full again
    assert limits.try_acquire("c", "write") is not None


def test_methods_map_to_groups() -> None:
    assert method_group("GetReservation") == "read"
    assert method_group("UpsertLocation") == "write"
    assert method_group("MarkSold") == "hold"
    assert method_group("WatchAvailabilities") == "watch"
    assert method_group("Unknown") == "write"


def test_invalid_rate_config_is_rejected() -> None:
    with pytest.raises(ValueError):
        RateLimitConfig(read_per_second=0)


def test_the_concurrency_limiter_refuses_beyond_its_cap_and_frees_slots() -> None:
    gate = ConcurrencyLimiter(max_concurrent=2)
    assert gate.try_enter() and gate.try_enter()
    assert not gate.try_enter()
    gate.exit()
    assert gate.in_flight == 1
    assert gate.try_enter()
    gate.exit()
    gate.exit()
    with pytest.raises(RuntimeError):
        gate.exit()
    assert ConcurrencyLimiter().max_concurrent == 512


def test_the_keyed_limiter_counts_each_key_apart_and_forgets_idle_keys() -> None:
    watches = KeyedConcurrencyLimiter(max_per_key=1)
    assert watches.try_enter("alice")
    assert not watches.try_enter("alice")
    assert watches.try_enter("bob")
    watches.exit("alice")
    assert watches.in_flight("alice") == 0
    assert watches.try_enter("alice")
