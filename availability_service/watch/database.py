"""What the watch needs of the database, handed in by the composition root (app.py).

The watch reads only through the persistence port, always on the primary (a stream must
never go back in time by switching to a lagging standby); LISTEN/NOTIFY is a wake-up the
adapter provides; `unavailable` are the adapter's exceptions that mean the database did not
answer, which end a stream with UNAVAILABLE and the revision to resume from.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from availability_service.domain.deadline import Deadline
from availability_service.service_layer.ports import UnitOfWork

# Runs until cancelled, calling the wake-up it is given whenever events may have committed.
Listen = Callable[[Callable[[], None]], Coroutine[Any, Any, None]]
# A watch read is one short page; past this something is wrong (a lock, a sick database):
# the statement is cancelled and the stream ends resumable, or the hub retries.
READ_SECONDS = 60.0


@dataclass(frozen=True)
class WatchDatabase:
    uow: UnitOfWork
    listen: Listen
    unavailable: tuple[type[BaseException], ...]


def read_deadline() -> Deadline:
    return Deadline.after(READ_SECONDS)
