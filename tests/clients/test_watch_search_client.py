"""The Python client's standing search against real server processes that crash and restart
mid-stream: the loop sees every match-set change exactly once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.clients.conftest import PATIENT, identity, registered_seller
from tests.support.processes import ServerProcess, free_port
from tests.support.waiting import wait_for
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2
from tradedesk_availability_client import AvailabilityClient

pytestmark = pytest.mark.slow
ENTERED, UPDATED = watch_pb2.MATCH_KIND_ENTERED, watch_pb2.MATCH_KIND_UPDATED


def test_a_standing_search_loop_sees_every_change_once_across_a_crash_and_a_restart(
    database_url: str, data_dir: Path
) -> None:
    port = free_port()
    first = ServerProcess(database_url, data_dir, port=port).start()
    admin = AvailabilityClient(first.address, identity("ADMIN").token, retry=PATIENT)
    who = registered_seller(admin)
    seller = AvailabilityClient(first.address, who.token, retry=PATIENT)
    buyer = AvailabilityClient(first.address, identity("BUYER").token, retry=PATIENT)
    live = threading.Event()
    search = buyer.watch_search(
        "cotton",
        max_price=pb.Money(currency_code="USD", amount="1700"),
        include_anomalies=True,  # whether 1500 is flagged depends on the other tests' lots
        progress_notify_interval=0.1,
        on_bookmark=lambda revision, reason: live.set(),
    )
    seen: list[watch_pb2.SearchChange] = []
    failure: list[BaseException] = []

    def consume() -> None:
        try:
            seen.extend(search)
        except Exception as error:
            failure.append(error)

    threading.Thread(target=consume, daemon=True).start()
    expected: list[tuple[int, int]] = []  # (revision, kind) in commit order
    names: set[str] = set()

    def post_approve_and_reprice() -> None:
        lot = seller.create_availability(who.lot())
        names.add(lot.name)
        expected.append((admin.approve_availability(lot.name).revision, ENTERED))
        cheaper = pb.Availability(
            name=lot.name, base_price=pb.Money(currency_code="USD", amount="1500")
        )
        expected.append((seller.update_availability(cheaper, ["base_price"]).revision, UPDATED))

    def mine() -> list[tuple[int, int]]:
        return [(c.revision, c.kind) for c in list(seen) if c.name in names]

    second = ServerProcess(database_url, data_dir, port=port)
    try:
        wait_for(lambda: live.is_set() or bool(failure))
        post_approve_and_reprice()
        wait_for(lambda: len(mine()) >= 2 or bool(failure))
        first.kill()  # a crash: the stream breaks with UNAVAILABLE
        second.start()
        post_approve_and_reprice()
        wait_for(lambda: len(mine()) >= len(expected) or bool(failure))
        second.stop()  # graceful: a STREAM_END bookmark, then the client resumes
        first.start()
        post_approve_and_reprice()
        wait_for(lambda: len(mine()) >= len(expected) or bool(failure))
        time.sleep(0.3)  # a duplicate would arrive right behind the last change
    finally:
        search.cancel()
        second.stop()
        first.stop()
        for client in (buyer, seller, admin):
            client.close()
    assert not failure, failure
    assert mine() == expected
    assert search.reconnects >= 2
