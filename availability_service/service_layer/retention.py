"""Retention: old events are compacted and old idempotency keys expire, in bounded batches.

The sweeper's leader runs it (sweeper.py), so one process deletes at a time. Each batch is its
own short transaction: a pass never holds row locks or a long transaction open while it works
through a backlog, and a backlog drains over successive passes at up to
`batch_size * max_batches` rows per table per pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from availability_service.config import Settings
from availability_service.service_layer.changes import now
from availability_service.service_layer.ports import Transaction, UnitOfWork
from availability_service.telemetry.metrics import RETENTION_DELETED

# One batch of one table's deletions: rows older than the moment, at most the limit.
Delete = Callable[[Transaction, datetime, int], int]


def _events(tx: Transaction, before: datetime, limit: int) -> int:
    return tx.events.compact_before(before, limit)


def _idempotency_keys(tx: Transaction, before: datetime, limit: int) -> int:
    return tx.idempotency.expire_before(before, limit)


@dataclass(frozen=True)
class RetentionPolicy:
    """How long rows are kept (None: forever) and how much one pass may delete."""

    events: timedelta | None = None
    idempotency_keys: timedelta | None = timedelta(days=7)
    batch_size: int = 1000
    max_batches: int = 10
    # Retention lags by up to this much; running it on every sweeper pass (every second)
    # would mostly query for nothing to delete.
    interval_seconds: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        def window(seconds: float | None) -> timedelta | None:
            return None if seconds is None or seconds <= 0 else timedelta(seconds=seconds)

        return cls(
            events=window(settings.event_retention_seconds),
            idempotency_keys=window(settings.idempotency_retention_seconds),
            batch_size=max(1, settings.retention_batch_size),
            interval_seconds=settings.retention_interval_seconds,
        )


class Retention:
    def __init__(self, uow: UnitOfWork, policy: RetentionPolicy) -> None:
        self.uow = uow
        self.policy = policy
        self._next_due = 0.0

    def run_if_due(self) -> dict[str, int]:
        """A pass when the interval has elapsed since the last one; rows deleted per table."""
        if time.monotonic() < self._next_due:
            return {}
        self._next_due = time.monotonic() + self.policy.interval_seconds
        return self.run_once()

    def run_once(self) -> dict[str, int]:
        tables: list[tuple[str, timedelta | None, Delete]] = [
            ("events", self.policy.events, _events),
            ("idempotency_keys", self.policy.idempotency_keys, _idempotency_keys),
        ]
        removed: dict[str, int] = {}
        for table, window, delete in tables:
            if window is None:
                continue
            removed[table] = self._drain(delete, now() - window)
            RETENTION_DELETED.labels(table).inc(removed[table])
        return removed

    def _drain(self, delete: Delete, before: datetime) -> int:
        total = 0
        for _ in range(self.policy.max_batches):
            with self.uow.transaction() as tx:
                deleted = delete(tx, before, self.policy.batch_size)
            total += deleted
            if deleted < self.policy.batch_size:
                break
        return total
