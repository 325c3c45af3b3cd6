"""The background sweeper: overdue holds and lapsed lots become EXPIRED, with their events;
its leader also applies retention (retention.py) to old events and idempotency keys.

Every server process runs one, and only one of them acts at a time: a pass first takes
pg_try_advisory_xact_lock on a guard transaction and skips when another process holds it.
Each lot is then expired in its own short transaction (lot row lock first, as every writer
does), never several lots in one: the revision counter is locked until commit, so a
transaction holding it while waiting for a second lot could deadlock with a writer of that lot.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import text

from availability_service.service_layer.changes import now
from availability_service.service_layer.holds import HoldService
from availability_service.service_layer.retention import Retention, RetentionPolicy
from availability_service.service_layer.unit_of_work import UnitOfWork
from availability_service.storage.holds import lots_due_for_sweep
from availability_service.telemetry.metrics import (
    SWEEPER_EXPIRED_EVENTS,
    SWEEPER_PASS_SECONDS,
    SWEEPER_PASSES,
)

if TYPE_CHECKING:
    from availability_service.app import Application

log = structlog.get_logger(__name__)

# Arbitrary but fixed: every process must use the same key ("hold" in ASCII, as an integer).
SWEEPER_LOCK_KEY = 0x686F6C64
BATCH_SIZE = 200
LOT_TIMEOUT_SECONDS = 10.0


class Sweeper:
    def __init__(
        self,
        uow: UnitOfWork,
        holds: HoldService,
        batch_size: int = BATCH_SIZE,
        retention: Retention | None = None,
    ) -> None:
        self.uow = uow
        self.holds = holds
        self.batch_size = batch_size
        self.retention = retention

    def sweep_once(self) -> int | None:
        """One pass; returns the number of events written, or None when another sweeper acts."""
        with self.uow.transaction() as guard:
            acquired: bool = guard.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEPER_LOCK_KEY}
            ).scalar_one()
            if not acquired:
                SWEEPER_PASSES.labels("follower").inc()
                return None
            with SWEEPER_PASS_SECONDS.time():
                written = 0
                for lot_id in lots_due_for_sweep(guard, now(), self.batch_size):
                    written += self.holds.expire_due_on(lot_id, LOT_TIMEOUT_SECONDS)
                SWEEPER_EXPIRED_EVENTS.inc(written)
                if self.retention is not None:
                    # Still under the guard's lock: one process deletes at a time.
                    removed = self.retention.run_if_due()
                    if any(removed.values()):
                        log.info("retention_deleted", **removed)
            SWEEPER_PASSES.labels("leader").inc()
            return written


async def run_sweeper(sweeper: Sweeper, executor: Executor, interval_seconds: float) -> None:
    """Sweeps forever on the database thread pool; a failed pass is logged and retried."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            written = await loop.run_in_executor(executor, sweeper.sweep_once)
            if written:
                log.info("sweeper_expired", events=written)
        except asyncio.CancelledError:
            raise
        except RuntimeError as exc:
            if "after shutdown" in str(exc):
                return  # the process is closing its pool: nothing left to sweep with
            SWEEPER_PASSES.labels("failed").inc()
            log.exception("sweeper_failed")
        except Exception:
            SWEEPER_PASSES.labels("failed").inc()
            log.exception("sweeper_failed")
        await asyncio.sleep(interval_seconds)


def start_sweeper(app: Application) -> list[object]:
    """Background starter (see background.py): one sweeper task per server process."""
    uow = UnitOfWork(app.engine)
    retention = Retention(uow, RetentionPolicy.from_settings(app.settings))
    sweeper = Sweeper(uow, app.services.holds, retention=retention)
    task = asyncio.get_running_loop().create_task(
        run_sweeper(sweeper, app.executor, app.settings.sweep_interval_seconds),
        name="hold-sweeper",
    )
    return [task]
