"""The Python client's keepalive pings against the server's keepalive policy: a quiet watch
pinging at an interval the server accepts keeps its one connection (shortened intervals)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator

import pytest

from availability_service.app import Application
from tests.clients.conftest import identity, registered_seller
from tests.support.server import ServerThread
from tests.support.waiting import wait_for
from tradedesk_availability_client import AvailabilityClient


@pytest.fixture
def strict_server(app: Application) -> Iterator[ServerThread]:
    """A server accepting pings no closer than 0.5 s apart (shortened from production's)."""
    settings = dataclasses.replace(
        app.settings, keepalive_min_ping_interval_seconds=0.5, max_connection_age_seconds=0
    )
    thread = ServerThread(dataclasses.replace(app, settings=settings)).start()
    yield thread
    thread.stop()


def _reconnects_of_a_quiet_watch(server: ServerThread, keepalive_seconds: float) -> int:
    """How often a watch that receives nothing for 4 s had to reconnect; then checks that
    it still delivers."""
    with AvailabilityClient(server.address, identity("ADMIN").token) as admin:
        who = registered_seller(admin)
    watcher = AvailabilityClient(
        server.address, identity("SERVICE").token, keepalive_seconds=keepalive_seconds
    )
    watch = watcher.watch(seller_ids=[who.subject])
    names: list[str] = []
    threading.Thread(
        target=lambda: names.extend(e.availability.name for e in watch), daemon=True
    ).start()
    time.sleep(4.0)  # quiet: only keepalive pings cross the connection
    with AvailabilityClient(server.address, who.token) as seller:
        name = seller.create_availability(who.lot()).name
    wait_for(lambda: name in names)
    watch.cancel()
    watcher.close()
    assert names == [name]
    return watch.reconnects


def test_a_quiet_watch_keeps_its_connection_when_pings_are_as_far_apart_as_the_server_asks(
    strict_server: ServerThread,
) -> None:
    assert _reconnects_of_a_quiet_watch(strict_server, keepalive_seconds=0.6) == 0
