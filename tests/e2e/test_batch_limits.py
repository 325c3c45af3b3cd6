"""A batch create is charged to the rate limit per lot and ends with its caller.

Each lot is its own transaction: lots created before the deadline or cancel stay whole (row,
event, idempotency key), no lot is started after it, and re-sending the batch completes it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import grpc
import pytest
from sqlalchemy import Engine, text

from availability_service.app import Application, build_application
from tests.conftest import settings_for
from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details
from tests.support.server import ServerThread
from tradedesk.availability.v1 import availability_service_pb2 as api

WRITE_BURST = 10
FULL_BATCH = 500

SELLER_WRITES = """
SELECT (SELECT count(*) FROM availabilities WHERE seller_id = :s),
       (SELECT count(*) FROM events e JOIN availabilities a ON a.id = e.availability_id
         WHERE a.seller_id = :s AND e.event_type = 'CREATED'),
       (SELECT count(*) FROM idempotency_keys WHERE principal = :s)
"""


@pytest.fixture(scope="module")
def limited_channel(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[grpc.Channel]:
    """A server whose write bucket holds ten tokens and refills one per hundred seconds."""
    data_dir: Path = tmp_path_factory.mktemp("limited")
    settings = settings_for(database_url, data_dir, rate_limits=f"write=0.01/{WRITE_BURST}")
    application: Application = build_application(settings)
    thread = ServerThread(application).start()
    with grpc.insecure_channel(thread.address) as channel:
        yield channel
    thread.stop()
    application.close()


def batch(size: int) -> api.BatchCreateAvailabilitiesRequest:
    return api.BatchCreateAvailabilitiesRequest(
        requests=[
            api.CreateAvailabilityRequest(availability=cotton_lot(), request_id=uuid.uuid4().hex)
            for _ in range(size)
        ]
    )


def writes_of(engine: Engine, seller: str) -> tuple[int, int, int]:
    with engine.connect() as conn:
        lots, created, keys = conn.execute(text(SELLER_WRITES), {"s": seller}).one()
    return int(lots), int(created), int(keys)


def settled_writes(engine: Engine, seller: str) -> tuple[int, int, int]:
    """The seller's writes once they stop changing (the server's worker may still be busy)."""
    last = writes_of(engine, seller)
    while True:
        time.sleep(1.0)
        now = writes_of(engine, seller)
        if now == last:
            return now
        last = now


def test_a_batch_is_charged_to_the_write_rate_limit_per_lot(
    limited_channel: grpc.Channel, caller: Callable[..., Caller], engine: Engine
) -> None:
    trader = caller("TRADER")
    limited = Caller(limited_channel, trader.token, trader.subject)
    first = limited.BatchCreateAvailabilities(batch(6)).results
    assert [r.code for r in first] == [0] * 6
    with pytest.raises(grpc.RpcError) as err:
        limited.BatchCreateAvailabilities(batch(6))  # 6 more lots: only 4 tokens are left
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_details(err.value)["reason"] == "RATE_LIMITED"
    assert writes_of(engine, trader.subject) == (6, 6, 6)


def test_a_batch_larger_than_the_burst_is_refused_without_a_retry_hint(
    limited_channel: grpc.Channel, caller: Callable[..., Caller], engine: Engine
) -> None:
    trader = caller("TRADER")
    limited = Caller(limited_channel, trader.token, trader.subject)
    with pytest.raises(grpc.RpcError) as err:
        limited.BatchCreateAvailabilities(batch(WRITE_BURST + 1))
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    details = error_details(err.value)
    assert details["reason"] == "BATCH_OVER_BURST"
    assert "retry_delay" not in details
    assert f"at most {WRITE_BURST} per call" in (err.value.details() or "")
    assert writes_of(engine, trader.subject) == (0, 0, 0)


def test_a_batch_stops_at_the_callers_deadline_and_each_lot_is_whole(
    caller: Callable[..., Caller], engine: Engine
) -> None:
    trader = caller("TRADER")
    request = batch(FULL_BATCH)
    with pytest.raises(grpc.RpcError) as err:
        trader.BatchCreateAvailabilities(request, timeout=0.5)
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    lots, created, keys = settled_writes(engine, trader.subject)
    assert lots < FULL_BATCH  # the rest were never started
    assert created == keys == lots  # every lot that exists is whole
    # Re-sending the same batch returns the lots made and creates the rest, once each.
    results = trader.BatchCreateAvailabilities(request, timeout=600).results
    assert [r.code for r in results] == [0] * FULL_BATCH
    assert len({r.availability.name for r in results}) == FULL_BATCH
    assert writes_of(engine, trader.subject) == (FULL_BATCH,) * 3


def test_a_cancelled_batch_starts_no_further_lot(
    caller: Callable[..., Caller], engine: Engine
) -> None:
    trader = caller("TRADER")
    call = trader.stub.BatchCreateAvailabilities.future(
        batch(FULL_BATCH), metadata=trader.metadata, timeout=600
    )
    while writes_of(engine, trader.subject)[0] == 0:
        time.sleep(0.05)
    call.cancel()
    lots, created, keys = settled_writes(engine, trader.subject)
    assert lots < FULL_BATCH
    assert created == keys == lots


class ServerSideDeadline:
    """The servicer's view of a call whose deadline the server reaches before the caller does
    (the clocks differ by the network): what the RPC must do when its own clock runs out."""

    def __init__(self, seconds: float) -> None:
        self.expires_at = time.monotonic() + seconds
        self.status: grpc.Status | None = None

    def time_remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())

    def invocation_metadata(self) -> tuple[()]:
        return ()

    async def abort_with_status(self, status: grpc.Status) -> None:
        self.status = status
        raise grpc.aio.AbortError()


def test_a_batch_cut_by_the_servers_deadline_is_never_answered_ok(
    app: Application, engine: Engine
) -> None:
    """Answering OK with part of the lots would reach a caller whose own timer has not fired
    yet: the call must end DEADLINE_EXCEEDED whichever clock runs out first."""
    from availability_service.auth.principal import Principal, Role, current_principal
    from availability_service.grpc_api.batch_rpc import BatchRpcs
    from availability_service.watch.hub import WatchHub

    seller = f"trader-{uuid.uuid4().hex[:8]}"
    servicer = BatchRpcs(app.services, app.executor, cast(WatchHub, None))
    context = ServerSideDeadline(0.5)
    token = current_principal.set(Principal(seller, roles=frozenset({Role.TRADER})))
    try:
        with pytest.raises(grpc.aio.AbortError):
            asyncio.run(servicer.BatchCreateAvailabilities(batch(FULL_BATCH), context))  # type: ignore[arg-type]
    finally:
        current_principal.reset(token)
    assert context.status is not None
    assert context.status.code == grpc.StatusCode.DEADLINE_EXCEEDED
    lots, created, keys = writes_of(engine, seller)
    assert 0 < lots < FULL_BATCH
    assert created == keys == lots
