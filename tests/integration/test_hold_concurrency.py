"""No oversell and no lost event under concurrency: two server processes on one database."""

from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from sqlalchemy import Engine, func, select

from availability_service.storage.consistency import find_violations
from availability_service.storage.tables import availabilities, events, reservations
from tests.support.callers import Caller, make_token
from tests.support.lots import cotton_lot, error_details
from tests.support.processes import ServerProcess
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb

pytestmark = pytest.mark.slow
QUANTITIES = ("total_quantity", "available_quantity", "reserved_quantity", "sold_quantity")


@pytest.fixture(scope="module")
def two_servers(database_url: str, data_dir: Path) -> Iterator[list[grpc.Channel]]:
    """Two `serve` processes on the same database, each with its own sweeper."""
    with ServerProcess(database_url, data_dir) as first, ServerProcess(database_url, data_dir) \
            as second:  # fmt: skip
        channels = [grpc.insecure_channel(p.address) for p in (first, second)]
        yield channels
        for channel in channels:
            channel.close()


def callers(channels: list[grpc.Channel], *roles: str) -> list[Caller]:
    """The same principal on each server process."""
    subject = f"{roles[0].lower()}-{uuid.uuid4().hex[:8]}"
    token = make_token(subject, roles)
    return [Caller(channel, token, subject) for channel in channels]


def live_lot(channels: list[grpc.Channel], total: str = "100") -> pb.Availability:
    seller = callers(channels, "TRADER")[0]  # a TRADER may post without a location
    admin = callers(channels, "ADMIN")[1]
    draft = seller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(total_quantity=total))
    ).availability
    return admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=draft.name)).availability


def lot_id(name: str) -> uuid.UUID:
    return uuid.UUID(name.split("/")[1])


def ttl(value: float) -> Duration:
    duration = Duration()
    duration.FromTimedelta(timedelta(seconds=value))
    return duration


def test_fifty_concurrent_holds_of_three_on_a_hundred_never_oversell(
    two_servers: list[grpc.Channel], engine: Engine
) -> None:
    lot = live_lot(two_servers)
    engines = callers(two_servers, "SERVICE")
    start = threading.Barrier(50)

    def attempt(i: int) -> str:
        request = api.ReserveAvailabilityRequest(name=lot.name, quantity="3", buyer_id=f"b-{i}")
        start.wait()
        try:
            engines[i % 2].ReserveAvailability(request)
            return "OK"
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.FAILED_PRECONDITION, err
            return str(error_details(err)["reason"])

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = Counter(pool.map(attempt, range(50)))
    assert outcomes == {"OK": 33, "INSUFFICIENT_QUANTITY": 17}
    final = engines[0].GetAvailability(api.GetAvailabilityRequest(name=lot.name)).availability
    assert (final.available_quantity, final.reserved_quantity) == ("1", "99")
    with engine.connect() as conn:
        assert find_violations(conn) == []
        held = conn.execute(
            select(func.count()).where(reservations.c.availability_id == lot_id(lot.name))
        ).scalar_one()
        reserved_events = conn.execute(
            select(func.count()).where(
                events.c.availability_id == lot_id(lot.name), events.c.event_type == "RESERVED"
            )
        ).scalar_one()
    assert held == reserved_events == 33


class Worker:
    """One client thread doing random hold work on the hot lots; counts what succeeded."""

    def __init__(self, engine_stub: Caller, lots: list[str], seed: int) -> None:
        self.stub = engine_stub
        self.lots = lots
        self.rng = random.Random(seed)
        self.holds: list[str] = []
        self.done: Counter[str] = Counter()  # successful mutations per lot name
        self.kinds: Counter[str] = Counter()  # successful mutations per kind

    def step(self) -> None:
        rng = self.rng
        choice = rng.random()
        try:
            if choice < 0.45 or not self.holds:
                lot = rng.choice(self.lots)
                reply = self.stub.ReserveAvailability(
                    api.ReserveAvailabilityRequest(
                        name=lot,
                        quantity=str(rng.randint(1, 12)),
                        buyer_id="b",
                        # Short holds only, so all of them expire before the test ends
                        # and no sweeper writes on these lots while later tests run.
                        ttl=ttl(rng.choice((1, 2))),
                    )
                )
                self.holds.append(reply.reservation.name)
                self.done[lot] += 1
                self.kinds["reserve"] += 1
            elif choice < 0.9:
                hold = self.holds.pop(rng.randrange(len(self.holds)))
                self._finish(hold, rng.random() < 0.5)
            else:
                lot = rng.choice(self.lots)
                self.stub.MarkSold(api.MarkSoldRequest(name=lot, quantity="1"))
                self.done[lot] += 1
                self.kinds["direct sale"] += 1
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.FAILED_PRECONDITION, err

    def _finish(self, hold: str, sell: bool) -> None:
        lot = hold.split("/reservations/")[0]
        if sell:
            reply: Any = self.stub.MarkSold(
                api.MarkSoldRequest(name=hold, quantity=self.rng.choice(("", "1")))
            )
            self.done[lot] += 1
            self.kinds["sell"] += 1
            return
        reply = self.stub.ReleaseReservation(api.ReleaseReservationRequest(name=hold))
        # Releasing a hold that expired meanwhile is a no-op: no event to count.
        if reply.reservation.state == pb.Reservation.STATE_RELEASED:
            self.done[lot] += 1
            self.kinds["release"] += 1


def test_mixed_concurrent_hold_work_keeps_the_invariant_and_one_event_per_change(
    two_servers: list[grpc.Channel], engine: Engine
) -> None:
    lots = [live_lot(two_servers, "500").name for _ in range(3)]
    with engine.connect() as conn:
        first_revision = conn.execute(select(func.max(events.c.revision))).scalar_one()
    engines = callers(two_servers, "SERVICE")
    workers = [Worker(engines[i % 2], lots, seed=i) for i in range(6)]
    stop_at = time.monotonic() + 3.0

    def run(worker: Worker) -> None:
        while time.monotonic() < stop_at:
            worker.step()

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        list(pool.map(run, workers))

    # Let every hold left run out: the sweepers must expire them without any further call.
    deadline = time.monotonic() + 12
    ids = [lot_id(name) for name in lots]
    while True:
        with engine.connect() as conn:
            active = conn.execute(
                select(func.count()).where(
                    reservations.c.availability_id.in_(ids), reservations.c.state == "ACTIVE"
                )
            ).scalar_one()
        if active == 0:
            break
        assert time.monotonic() < deadline, f"{active} holds were never swept"
        time.sleep(0.2)

    done = sum((w.done for w in workers), Counter())
    kinds = sum((w.kinds for w in workers), Counter())
    assert set(kinds) == {"reserve", "release", "sell", "direct sale"}, kinds
    with engine.connect() as conn:
        assert find_violations(conn, ids) == []
        expired = sum(
            assert_event_chain(conn, lot_id(name), expected_client_events=done[name])
            for name in lots
        )
        assert expired > 0, "no hold expired: the sweepers were not exercised"
        # Revisions are gap-free: every committed change got exactly one, in order.
        revisions = [
            r[0]
            for r in conn.execute(
                select(events.c.revision)
                .where(events.c.revision > first_revision)
                .order_by(events.c.revision)
            )
        ]
        assert revisions == list(range(first_revision + 1, first_revision + 1 + len(revisions)))


def assert_event_chain(conn: Any, lot: uuid.UUID, expected_client_events: int) -> int:
    """Each event starts from the previous one's quantities and the last matches the row.

    Returns how many EXPIRED events the lot has (written by sweepers or by writes on the lot).
    """
    rows = list(
        conn.execute(
            select(events.c.event_type, events.c.before, events.c.after)
            .where(events.c.availability_id == lot)
            .order_by(events.c.revision)
        )
    )
    types = Counter(r.event_type for r in rows)
    assert types["CREATED"] == types["APPROVED"] == 1
    assert len(rows) == 2 + expected_client_events + types["EXPIRED"]
    for previous, current in itertools.pairwise(rows):
        assert amounts(current.before) == amounts(previous.after)
    row = conn.execute(select(availabilities).where(availabilities.c.id == lot)).one()
    assert amounts(rows[-1].after) == {q: getattr(row, q) for q in QUANTITIES}
    return types["EXPIRED"]


def amounts(snapshot: dict[str, str]) -> dict[str, Decimal]:
    return {q: Decimal(snapshot[q]) for q in QUANTITIES}
