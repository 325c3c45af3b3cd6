"""Retention: the sweeper's leader compacts old events and expires old idempotency keys.

Each test runs on a database of its own: retention deletes shared history.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, text

from availability_service.service_layer.retention import Retention, RetentionPolicy
from availability_service.service_layer.sweeper import SWEEPER_LOCK_KEY, Sweeper
from availability_service.storage.unit_of_work import SqlUnitOfWork
from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details
from tests.support.server import SmallServer
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb


def _deleted(table: str) -> float:
    value = REGISTRY.get_sample_value("availability_retention_deleted_rows_total", {"table": table})
    return value or 0.0


def _oldest_revision(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT min(revision) FROM events")).scalar_one())


def _eventually(check: Callable[[], bool], within: float = 20.0) -> None:
    give_up = time.monotonic() + within
    while not check():
        assert time.monotonic() < give_up, "condition not reached in time"
        time.sleep(0.1)


def _create(seller: Caller, request_id: str = "") -> pb.Availability:
    request = api.CreateAvailabilityRequest(availability=cotton_lot(), request_id=request_id)
    return seller.CreateAvailability(request).availability


@pytest.fixture
def node(
    request: pytest.FixtureRequest, private_database: str, data_dir: Path
) -> Iterator[SmallServer]:
    """A server on its own database, with the retention settings the test parametrises."""
    made = SmallServer(private_database, data_dir, run_migrations=True, **request.param)
    yield made
    made.close()


@pytest.mark.parametrize(
    "node",
    [
        {
            "event_retention_seconds": 2.0,
            "retention_interval_seconds": 0.2,
            "retention_batch_size": 2,
        }
    ],
    indirect=True,
)
def test_events_older_than_the_window_are_compacted_and_a_watch_from_before_is_out_of_range(
    node: SmallServer,
) -> None:
    seller, admin = node.caller("SELLER"), node.caller("ADMIN")
    before = _deleted("events")
    lots = [_create(seller) for _ in range(5)]
    newest = lots[-1].revision
    # Past the window every event goes, in batches of two, except the newest one, which
    # keeps the oldest retained revision known.
    _eventually(lambda: _oldest_revision(node.app.engine) == newest)
    assert _deleted("events") - before >= len(lots) - 1
    call = admin.stub.WatchAvailabilities(
        api.WatchAvailabilitiesRequest(start_revision=lots[0].revision),
        metadata=admin.metadata,
        timeout=10,
    )
    with pytest.raises(grpc.RpcError) as error:
        next(iter(call))
    assert error.value.code() == grpc.StatusCode.OUT_OF_RANGE
    details = error_details(error.value)
    assert details["reason"] == "REVISION_COMPACTED"
    assert details["metadata"]["oldest_revision"] == str(newest)


@pytest.mark.parametrize("node", [{}], indirect=True)
def test_only_the_sweeper_holding_the_lock_compacts_and_each_pass_is_bounded(
    node: SmallServer,
) -> None:
    seller = node.caller("SELLER")
    lots = [_create(seller) for _ in range(6)]
    engine = node.app.engine
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET event_time = event_time - interval '2 days'"))
    policy = RetentionPolicy(
        events=timedelta(days=1),
        idempotency_keys=None,
        batch_size=2,
        max_batches=2,
        interval_seconds=0,
    )
    uow = SqlUnitOfWork(engine)
    sweeper = Sweeper(uow, node.app.services.holds, retention=Retention(uow, policy))
    oldest = _oldest_revision(engine)
    with engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SWEEPER_LOCK_KEY})
        assert sweeper.sweep_once() is None  # another process leads: nothing deleted
        assert _oldest_revision(engine) == oldest
        holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SWEEPER_LOCK_KEY})
        holder.commit()

    def one_pass() -> int:
        with engine.connect() as conn:
            count_before = int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())
        while sweeper.sweep_once() is None:  # the node's own sweeper may lead this instant
            time.sleep(0.05)
        with engine.connect() as conn:
            return count_before - int(
                conn.execute(text("SELECT count(*) FROM events")).scalar_one()
            )

    assert one_pass() == 4  # two batches of two
    while one_pass():
        pass
    assert _oldest_revision(engine) == lots[-1].revision


@pytest.mark.parametrize(
    "node",
    [{"idempotency_retention_seconds": 86400.0, "retention_interval_seconds": 0.2}],
    indirect=True,
)
def test_an_idempotency_key_is_replayed_within_its_window_and_forgotten_after_it(
    node: SmallServer,
) -> None:
    seller = node.caller("SELLER")
    expiring, kept = uuid.uuid4().hex, uuid.uuid4().hex
    first = _create(seller, expiring)
    assert _create(seller, expiring) == first  # within the window: the first result
    kept_first = _create(seller, kept)
    before = _deleted("idempotency_keys")
    with node.app.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE idempotency_keys SET create_time = now() - interval '25 hours'"
                " WHERE request_id = :rid"
            ),
            {"rid": expiring},
        )

    def remaining() -> set[str]:
        with node.app.engine.connect() as conn:
            rows = conn.execute(text("SELECT request_id FROM idempotency_keys"))
            return {row.request_id for row in rows}

    _eventually(lambda: expiring not in remaining())
    assert kept in remaining()
    assert _deleted("idempotency_keys") - before >= 1
    # Past the window the request_id is new again: a second lot; the fresh key still replays.
    assert _create(seller, expiring).name != first.name
    assert _create(seller, kept) == kept_first
