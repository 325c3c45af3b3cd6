"""GetAvailability from the process's lot cache, over a real channel on real PostgreSQL.

A write made elsewhere (another worker: here the use case called directly, which the server's
cache never hears of) is seen by the very next Get, every time; who may see a kept lot, and
which of its fields, is decided as for a read; the read-your-writes header is honoured.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, text

from availability_service.app import Application, build_application
from availability_service.auth.principal import Principal, Role
from availability_service.grpc_api import lot_reads
from availability_service.grpc_api.read_consistency import MIN_REVISION_HEADER
from availability_service.service_layer.lots import LotService
from availability_service.service_layer.ports.events import LotChanges
from availability_service.storage.loop_probe import APPLICATION_NAME, LoopChangeProbe
from tests.conftest import settings_for
from tests.support.callers import Caller
from tests.support.lots import approved_lot
from tests.support.server import ServerThread
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb


def _hits() -> float:
    return REGISTRY.get_sample_value("availability_get_cache_total", {"result": "hit"}) or 0.0


def _get(caller: Caller, name: str, *extra: tuple[str, str]) -> pb.Availability:
    reply = caller.stub.GetAvailability(
        api.GetAvailabilityRequest(name=name), metadata=[*caller.metadata, *extra], timeout=30
    )
    return reply.availability


def _elsewhere(seller: Caller) -> Principal:
    """The seller as another worker's use case sees it (no gRPC, no cache of this server)."""
    return Principal(seller.subject, None, frozenset({Role.SELLER}))


def test_a_repeated_get_is_answered_from_the_cache_with_the_same_reply(
    seller: Caller, admin: Caller, buyer: Caller
) -> None:
    lot = approved_lot(seller, admin)
    first = _get(buyer, lot.name)
    before = _hits()
    again = _get(buyer, lot.name)
    assert _hits() == before + 1
    assert again.SerializeToString() == first.SerializeToString()


def test_a_write_made_elsewhere_is_seen_by_the_next_get_every_time(
    app: Application, seller: Caller, admin: Caller, buyer: Caller
) -> None:
    lot = approved_lot(seller, admin)
    _get(buyer, lot.name)  # kept
    for i in range(20):
        grade = f"grade-{i}"
        outcome = app.services.lots.update(_elsewhere(seller), lot.name, "", {"grade": grade}, None)
        assert outcome.availability is not None
        seen = _get(buyer, lot.name)
        assert (seen.grade, seen.revision) == (grade, outcome.availability.revision)
        assert _get(buyer, lot.name).revision == outcome.availability.revision  # kept again


def test_a_kept_lot_is_hidden_from_a_caller_who_may_not_see_it_and_redacted_for_others(
    seller: Caller, admin: Caller, caller: Callable[..., Caller]
) -> None:
    invited = caller("BUYER", region="IN-GJ")
    stranger = caller("BUYER", region="IN-GJ")
    lot = approved_lot(
        seller,
        admin,
        market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=[invited.subject],
    )
    assert list(_get(seller, lot.name).restricted_buyer_ids) == [invited.subject]  # kept
    before = _hits()
    # The owner's reply from the cache (encoded once) is never the one other callers get.
    assert list(_get(seller, lot.name).restricted_buyer_ids) == [invited.subject]
    with pytest.raises(grpc.RpcError) as hidden:
        _get(stranger, lot.name)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    seen = _get(invited, lot.name)
    assert seen.name == lot.name and list(seen.restricted_buyer_ids) == []
    assert not seen.approved_by
    assert _hits() == before + 2  # the owner's second answer and the invited buyer's


def test_each_view_of_a_kept_lot_has_its_own_reply(
    seller: Caller, admin: Caller, buyer: Caller
) -> None:
    lot = approved_lot(seller, admin)
    full = api.GetAvailabilityRequest(name=lot.name, view=api.VIEW_FULL)
    for _ in range(2):  # read, then kept
        assert len(_get(buyer, lot.name).ai_score_vector) == 0
        assert len(buyer.GetAvailability(full).availability.ai_score_vector) > 0


def test_the_read_your_writes_header_is_honoured_and_checked_on_a_kept_lot(
    app: Application, seller: Caller, admin: Caller, buyer: Caller
) -> None:
    lot = approved_lot(seller, admin)
    _get(buyer, lot.name)  # kept
    outcome = app.services.lots.update(_elsewhere(seller), lot.name, "", {"grade": "B"}, None)
    assert outcome.availability is not None
    revision = outcome.availability.revision
    seen = _get(buyer, lot.name, (MIN_REVISION_HEADER, str(revision)))
    assert seen.revision >= revision and seen.grade == "B"
    with pytest.raises(grpc.RpcError) as refused:
        _get(buyer, lot.name, (MIN_REVISION_HEADER, "not-a-revision"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def uncached(database_url: str, data_dir: Path) -> Iterator[grpc.Channel]:
    """A channel to a server of its own with AVAILABILITY_GET_CACHE_LOTS=0."""
    app = build_application(settings_for(database_url, data_dir, get_cache_lots=0))
    thread = ServerThread(app).start()
    with grpc.insecure_channel(thread.address) as channel:
        yield channel
    thread.stop()
    app.close()


def test_with_no_lots_to_keep_every_get_reads_the_database(
    uncached: grpc.Channel, seller: Caller, admin: Caller, buyer: Caller
) -> None:
    lot = approved_lot(seller, admin)
    reader = Caller(uncached, buyer.token, buyer.subject)
    before = _hits()
    assert [_get(reader, lot.name).name for _ in range(3)] == [lot.name] * 3
    assert _hits() == before


def _probes(outcome: str) -> float:
    labels = {"outcome": outcome}
    return REGISTRY.get_sample_value("availability_get_cache_probes_total", labels) or 0.0


def test_a_dropped_probe_connection_never_gives_a_stale_answer_and_is_replaced(
    app: Application, engine: Engine, seller: Caller, admin: Caller, buyer: Caller
) -> None:
    lot = approved_lot(seller, admin)
    _get(buyer, lot.name)  # kept, and the server's probe connection is open
    with engine.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))"
                " FROM pg_stat_activity WHERE application_name = :name"
            ),
            {"name": APPLICATION_NAME},
        ).scalar_one()
    assert dropped >= 1
    outcome = app.services.lots.update(_elsewhere(seller), lot.name, "", {"grade": "C"}, None)
    assert outcome.availability is not None
    failed = _probes("failed")
    seen = _get(buyer, lot.name)  # its probe fails: the lot is read, never the kept one
    assert (seen.grade, seen.revision) == ("C", outcome.availability.revision)
    assert _probes("failed") == failed + 1
    hits = _hits()
    assert _get(buyer, lot.name).revision == outcome.availability.revision
    assert _get(buyer, lot.name).revision == outcome.availability.revision
    assert _hits() >= hits + 1  # a new probe connection: answered from the cache again


def test_a_kept_lot_is_answered_while_every_database_thread_is_busy(
    app: Application, seller: Caller, admin: Caller, buyer: Caller
) -> None:
    lot = approved_lot(seller, admin)
    _get(buyer, lot.name)  # kept
    threads = app.settings.db_pool_size
    busy, release = threading.Semaphore(0), threading.Event()

    def occupy() -> None:
        busy.release()
        release.wait(30)

    try:
        for _ in range(threads):
            app.executor.submit(occupy)
        for _ in range(threads):
            assert busy.acquire(timeout=10)
        hits = _hits()
        # The probe runs on the event loop: it never waits for a pool thread.
        assert _get(buyer, lot.name).name == lot.name
        assert _hits() == hits + 1
    finally:
        release.set()


def _waits(wait: str) -> float:
    labels = {"wait": wait}
    return REGISTRY.get_sample_value("availability_get_cache_waits_total", labels) or 0.0


def test_gets_answered_by_a_probe_sent_before_their_handler_ran_still_see_every_write(
    app: Application, seller: Caller, admin: Caller, buyer: Caller
) -> None:
    """Under concurrent Gets a probe is often sent, or has answered, between a call's arrival
    and its handler; such a call is not made to wait for a later probe, and still sees every
    write acknowledged before it was sent, made by another process of the service."""
    busy, changing = approved_lot(seller, admin), approved_lot(seller, admin)
    _get(buyer, changing.name)  # kept
    done = threading.Event()

    def load() -> None:
        while not done.is_set():
            _get(buyer, busy.name)

    shared = _waits("out") + _waits("none")
    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        for i in range(40):
            grade = f"grade-{i}"
            outcome = app.services.lots.update(
                _elsewhere(seller), changing.name, "", {"grade": grade}, None
            )
            assert outcome.availability is not None
            seen = _get(buyer, changing.name)
            assert (seen.grade, seen.revision) == (grade, outcome.availability.revision)
    finally:
        done.set()
        for worker in workers:
            worker.join(30)
    assert _waits("out") + _waits("none") > shared  # the paths this test is about were taken


@pytest.fixture
def paced(
    app: Application, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[grpc.Channel, list[float]]]:
    """A channel to a server of its own whose Gets' probes are spaced 0.5 s under load, and
    the moments its probes were sent (the real probe, on the real database)."""
    monkeypatch.setattr(lot_reads, "PROBE_SPACING_SECONDS", 0.5)
    sent: list[float] = []
    probe = LoopChangeProbe.changes_since

    async def recorded(self: LoopChangeProbe, after: int, limit: int) -> LotChanges:
        sent.append(time.monotonic())
        return await probe(self, after, limit)

    monkeypatch.setattr(LoopChangeProbe, "changes_since", recorded)
    thread = ServerThread(app).start()
    with grpc.insecure_channel(thread.address) as channel:
        yield channel, sent
    thread.stop()


def test_a_probe_is_paced_while_other_gets_are_in_flight_and_not_for_a_lone_caller(
    paced: tuple[grpc.Channel, list[float]],
    monkeypatch: pytest.MonkeyPatch,
    seller: Caller,
    admin: Caller,
    buyer: Caller,
) -> None:
    channel, sent = paced
    reader = Caller(channel, buyer.token, buyer.subject)
    kept, unkept = approved_lot(seller, admin), approved_lot(seller, admin)
    _get(reader, kept.name)
    _get(reader, kept.name)  # kept: the next Get of it reads nothing but its probe
    # A Get of a lot not kept stays in flight, reading the database, until let go.
    reading, let_go = threading.Event(), threading.Event()
    read = LotService.read

    def held(self: LotService, principal: Principal, name: str, deadline: Any = None) -> Any:
        if name == unkept.name:
            reading.set()
            let_go.wait(30)
        return read(self, principal, name, deadline)

    monkeypatch.setattr(LotService, "read", held)
    in_flight = threading.Thread(target=_get, args=(reader, unkept.name))
    in_flight.start()
    try:
        assert reading.wait(30)
        before = len(sent)
        _get(reader, kept.name)  # starts a run of probes while another Get is in flight
        assert len(sent) == before + 1
        assert sent[-1] - sent[-2] >= 0.5  # paced after the in-flight Get's probe
    finally:
        let_go.set()
        in_flight.join(30)
    started = time.monotonic()
    _get(reader, kept.name)  # a lone caller: its probe goes at once
    if started - sent[-2] < 0.4:  # (else pacing could not be told from a slow machine)
        assert sent[-1] < sent[-2] + 0.5
