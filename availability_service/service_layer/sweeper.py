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
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING

import structlog

from availability_service.domain.deadline import Deadline
from availability_service.service_layer.changes import now
from availability_service.service_layer.holds import HoldService
from availability_service.service_layer.ports import UnitOfWork
from availability_service.service_layer.retention import Retention, RetentionPolicy
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
            if not guard.takes_turn(SWEEPER_LOCK_KEY):
                SWEEPER_PASSES.labels("follower").inc()
                return None
            with SWEEPER_PASS_SECONDS.time():
                written = 0
                for lot_id in guard.holds.lots_due(now(), self.batch_size):
                    written += self.holds.expire_due_on(lot_id, Deadline.after(LOT_TIMEOUT_SECONDS))
                SWEEPER_EXPIRED_EVENTS.inc(written)
                if self.retention is not None:
                    # Still under the guard's lock: one process deletes at a time.
                    removed = self.retention.run_if_due()
                    if any(removed.values()):
                        log.info("retention_deleted", **removed)
            SWEEPER_PASSES.labels("leader").inc()
            return written


async def run_passes(
    one_pass: Callable[[], int | None],
    executor: Executor,
    interval_seconds: float,
    *,
    done: tuple[str, str],
    failed: str,
    on_failure: Callable[[], None] | None = None,
) -> None:
    """Runs `one_pass` forever on the database thread pool, `interval_seconds` apart.

    A pass that did something is logged as done = (event, key of its result); a failed pass
    is logged as `failed` (and `on_failure` called, for a metric) and retried at the next
    interval.
    """
    loop = asyncio.get_running_loop()
    while True:
        try:
            result = await loop.run_in_executor(executor, one_pass)
            if result:
                log.info(done[0], **{done[1]: result})
        except asyncio.CancelledError:
            raise
        except RuntimeError as exc:
            if "after shutdown" in str(exc):
                return  # the process is closing its pool: nothing left to do it with
            if on_failure is not None:
                on_failure()
            log.exception(failed)
        except Exception:
            if on_failure is not None:
                on_failure()
            log.exception(failed)
        await asyncio.sleep(interval_seconds)


async def run_sweeper(sweeper: Sweeper, executor: Executor, interval_seconds: float) -> None:
    """Sweeps forever; a failed pass is logged (sweeper_failed) and retried."""
    await run_passes(
        sweeper.sweep_once,
        executor,
        interval_seconds,
        done=("sweeper_expired", "events"),
        failed="sweeper_failed",
        on_failure=SWEEPER_PASSES.labels("failed").inc,
    )


def start_sweeper(app: Application) -> list[object]:
    """Background starter (see background.py): one sweeper task per server process."""
    uow = app.storage
    retention = Retention(uow, RetentionPolicy.from_settings(app.settings))
    sweeper = Sweeper(uow, app.services.holds, retention=retention)
    task = asyncio.get_running_loop().create_task(
        run_sweeper(sweeper, app.executor, app.settings.sweep_interval_seconds),
        name="hold-sweeper",
    )
    return [task]
