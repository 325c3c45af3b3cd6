"""Transport: the server accepts clients' keepalive pings and recycles connections after an age.

Both run against a second server on the same database with shortened intervals, so a bounded
run shows what production would show over minutes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from availability_service.app import Application
from tests.support.callers import Caller
from tests.support.lots import cotton_lot
from tests.support.server import ServerThread
from tradedesk.availability.v1 import availability_service_pb2 as api


@pytest.fixture
def transport_server(request: pytest.FixtureRequest, app: Application) -> Iterator[ServerThread]:
    """A server whose transport settings are the test's (parametrised through `indirect`)."""
    settings = dataclasses.replace(app.settings, **request.param)
    thread = ServerThread(dataclasses.replace(app, settings=settings)).start()
    yield thread
    thread.stop()


def _client_ports(server_port: int) -> set[int]:
    """Local ports of this process's established TCP connections to the server's port."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if state == "01" and int(remote.rsplit(":", 1)[1], 16) == server_port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def _check(channel: grpc.Channel) -> None:
    health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)


@pytest.mark.parametrize(
    "transport_server",
    [{"keepalive_min_ping_interval_seconds": 0.5, "max_connection_age_seconds": 0}],
    indirect=True,
)
def test_a_client_pinging_at_the_accepted_interval_keeps_its_connection(
    transport_server: ServerThread,
) -> None:
    # The client pings every 0.6 s, idle or not: over 5 s that is ~8 pings. A server with
    # gRPC's default minimum (5 minutes, 2 strikes) answers the third with GOAWAY
    # too_many_pings, which drops the channel out of READY.
    options = [
        ("grpc.keepalive_time_ms", 600),
        ("grpc.keepalive_timeout_ms", 5000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
    ]
    states: list[grpc.ChannelConnectivity] = []
    with grpc.insecure_channel(transport_server.address, options=options) as channel:
        _check(channel)
        channel.subscribe(states.append, try_to_connect=False)
        ports = _client_ports(transport_server.port)
        time.sleep(5.0)
        _check(channel)
        assert _client_ports(transport_server.port) == ports  # the same connection throughout
        channel.unsubscribe(states.append)
    assert set(states) == {grpc.ChannelConnectivity.READY}, states


@pytest.mark.parametrize(
    "transport_server",
    [{"max_connection_age_seconds": 1.0, "max_connection_age_grace_seconds": 30.0}],
    indirect=True,
)
def test_a_connection_is_replaced_after_its_max_age_while_its_open_call_finishes(
    transport_server: ServerThread, seller: Caller
) -> None:
    with grpc.insecure_channel(transport_server.address) as channel:
        owner = Caller(channel, seller.token, seller.subject, seller.location_id)
        # Read on this thread: the call's deadline bounds every wait.
        stream = owner.stub.WatchAvailabilities(
            api.WatchAvailabilitiesRequest(seller_ids=[seller.subject]),
            metadata=owner.metadata,
            timeout=30,
        )
        _check(channel)
        first = _client_ports(transport_server.port)
        assert len(first) == 1
        time.sleep(2.5)  # past the age (1 s, +10% jitter): the server has sent GOAWAY
        # New calls go over a new connection...
        created = owner.CreateAvailability(api.CreateAvailabilityRequest(availability=cotton_lot()))
        assert _client_ports(transport_server.port) - first
        # ...while the watch opened before the GOAWAY still delivers on the old one.
        event = next(message for message in stream if message.events).events[0]
        assert event.availability.name == created.availability.name
        assert first <= _client_ports(transport_server.port)
        stream.cancel()
