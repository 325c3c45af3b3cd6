"""A client deadline bounds the database work: past it, Postgres cancels and rolls back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import grpc
import pytest
from google.protobuf import field_mask_pb2
from sqlalchemy import Engine, text

from tests.reliability.conftest import Figures
from tests.support.callers import Caller
from tests.support.lots import cotton_lot
from tradedesk.availability.v1 import availability_service_pb2 as api

LOCK_WAITERS = """
SELECT count(*) FROM pg_stat_activity
WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND datname = current_database()
  AND query ILIKE '%FROM availabilities%FOR UPDATE%'
"""


def _lock_waiters_after(conn: object, settle_seconds: float = 5.0) -> int:
    """Lock waiters other than us, polled until none remain or the settle time passes."""
    deadline = time.monotonic() + settle_seconds
    while True:
        waiting = int(conn.execute(text(LOCK_WAITERS)).scalar_one())  # type: ignore[attr-defined]
        if waiting == 0 or time.monotonic() > deadline:
            return waiting
        time.sleep(0.1)


@pytest.fixture
def trader(caller: Callable[..., Caller]) -> Caller:
    return caller("TRADER", company=f"co-{uuid.uuid4().hex[:6]}")


def test_a_call_blocked_on_a_locked_lot_ends_at_its_deadline_and_changes_nothing(
    trader: Caller, engine: Engine, figures: Figures
) -> None:
    lot = trader.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(), request_id=uuid.uuid4().hex)
    ).availability
    lot_id = lot.name.removeprefix("availabilities/")
    update = api.UpdateAvailabilityRequest(
        availability=cotton_lot(name=lot.name, description="changed under a lock"),
        update_mask=field_mask_pb2.FieldMask(paths=["description"]),
        request_id=uuid.uuid4().hex,
    )
    with engine.connect() as blocker:
        blocker.execute(
            text("SELECT 1 FROM availabilities WHERE id = :id FOR UPDATE"), {"id": lot_id}
        )
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as caught:
            trader.UpdateAvailability(update, timeout=1.0)
        elapsed = time.monotonic() - started
        # Still holding the lock: the server's statement must have been cancelled, not left
        # queued behind us (a leaked waiter would apply the update once we let go).
        waiting = _lock_waiters_after(blocker)
        blocker.rollback()

    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert waiting == 0
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT revision, description FROM availabilities WHERE id = :id"), {"id": lot_id}
        ).one()
        events: int = conn.execute(
            text("SELECT count(*) FROM events WHERE availability_id = :id"), {"id": lot_id}
        ).scalar_one()
        key: int = conn.execute(
            text("SELECT count(*) FROM idempotency_keys WHERE request_id = :r"),
            {"r": update.request_id},
        ).scalar_one()
    assert (row.revision, row.description, events, key) == (lot.revision, lot.description, 1, 0)

    # The same request_id was never claimed, so the retry applies now, exactly once.
    retried = trader.UpdateAvailability(update).availability
    assert retried.description == "changed under a lock"
    assert retried.revision > lot.revision
    figures.record(
        "deadlines",
        blocked_call_seconds=round(elapsed, 2),
        server_waiters_left=waiting,
        half_done_writes=0,
    )
