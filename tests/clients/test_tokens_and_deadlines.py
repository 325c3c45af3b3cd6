"""The Python client's transport: tokens that refresh, one deadline across all retries, and
retries only where the published service config allows them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from availability_service.app import build_application
from availability_service.auth.tokens import mint_token
from tests.clients.conftest import Identity, identity, registered_seller
from tests.conftest import settings_for
from tests.support.callers import TEST_SECRET
from tests.support.processes import free_port
from tests.support.server import ServerThread
from tests.support.waiting import wait_for
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2
from tradedesk_availability_client import (
    AvailabilityClient,
    CommandToken,
    FileToken,
    RetryPolicy,
    UnauthenticatedError,
    UnavailableError,
)
from tradedesk_availability_client import transport as transport_module

# The server accepts a token this long after its exp (AuthConfig.leeway_seconds).
SERVER_LEEWAY = 30
SHORT_LIFE = 2  # seconds a short-lived token is accepted


def short_lived_token(subject: str) -> str:
    return mint_token(TEST_SECRET, subject, ["SERVICE"], ttl_seconds=SHORT_LIFE - SERVER_LEEWAY)


@pytest.fixture
def ageing_server(database_url: str, data_dir: Path) -> Iterator[ServerThread]:
    """A server whose watch streams end (with a STREAM_END bookmark) after one second, so
    a watch reconnects, and shows its token again, every second."""
    app = build_application(settings_for(database_url, data_dir, watch_max_stream_age_seconds=1.0))
    thread = ServerThread(app).start()
    yield thread
    thread.stop()
    app.close()


class _Consumer:
    """Iterates a watch in a thread, keeping its events and the error that ended it."""

    def __init__(self, client: AvailabilityClient, seller: str) -> None:
        self.watch = client.watch(seller_ids=[seller])
        self.names: list[str] = []
        self.error: BaseException | None = None
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            for event in self.watch:
                if event.type == watch_pb2.EVENT_TYPE_CREATED:
                    self.names.append(event.availability.name)
        except Exception as error:
            self.error = error


def test_a_refreshing_token_keeps_a_watch_going_across_token_expiry(
    ageing_server: ServerThread,
) -> None:
    admin = AvailabilityClient(ageing_server.address, identity("ADMIN").token)
    who: Identity = registered_seller(admin)
    seller = AvailabilityClient(ageing_server.address, who.token)
    minted: list[str] = []

    def fresh_token() -> str:
        minted.append(short_lived_token("refreshing-watcher"))
        return minted[-1]

    refreshing = AvailabilityClient(ageing_server.address, fresh_token)
    static = AvailabilityClient(ageing_server.address, short_lived_token("static-watcher"))
    expired_after = time.time() + SHORT_LIFE
    watchers = [_Consumer(refreshing, who.subject), _Consumer(static, who.subject)]
    try:
        first = seller.create_availability(who.lot()).name
        wait_for(lambda: all(first in w.names or w.error for w in watchers))
        # Past the short tokens' end, and past at least one more reconnect of each watch.
        time.sleep(max(0.0, expired_after - time.time()) + 1.5)
        second = seller.create_availability(who.lot()).name
        wait_for(lambda: second in watchers[0].names or watchers[0].error is not None)
        wait_for(lambda: watchers[1].error is not None)
    finally:
        for watcher in watchers:
            watcher.watch.cancel()
        for client in (admin, seller, refreshing, static):
            client.close()
    assert watchers[0].error is None, watchers[0].error
    assert watchers[0].names == [first, second]
    assert len(set(minted)) > 1
    # The same watch with a token that is never refreshed ends at its next reconnect.
    assert isinstance(watchers[1].error, UnauthenticatedError)
    assert watchers[1].names == [first]


def test_a_file_token_is_re_read_when_the_file_changes(
    server: ServerThread, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("not-a-token\n")
    with AvailabilityClient(server.address, FileToken(token_file)) as client:
        with pytest.raises(UnauthenticatedError):
            client.list_locations(page_size=1)
        token_file.write_text(identity("ADMIN").token + "\n")
        assert client.list_locations(page_size=1) is not None


def test_a_command_token_runs_its_command_once_while_the_token_is_fresh(
    server: ServerThread, tmp_path: Path
) -> None:
    counter = tmp_path / "runs"
    token = identity("ADMIN").token
    command = ["sh", "-c", f'echo run >> "{counter}"; echo "{token}"']
    with AvailabilityClient(server.address, CommandToken(command)) as client:
        for _ in range(3):
            client.list_locations(page_size=1)
    assert counter.read_text().splitlines() == ["run"]


class _FakeClock:
    """monotonic() and sleep() for the transport only: sleeping advances the clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class _Attempts(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]  # grpc is untyped
    """Records the method and the absolute deadline (clock + timeout) of every attempt."""

    def __init__(self, clock: _FakeClock) -> None:
        self.clock = clock
        self.seen: list[tuple[str, float]] = []

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        self.seen.append((details.method.rsplit("/", 1)[1], self.clock.now + details.timeout))
        return continuation(details, request)


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[_Attempts, grpc.Channel]]:
    """A real channel to a port nobody listens on (every attempt fails UNAVAILABLE), seen
    through _Attempts, with the transport on a fake clock."""
    clock = _FakeClock()
    monkeypatch.setattr(transport_module, "time", clock)
    attempts = _Attempts(clock)
    channel = grpc.intercept_channel(grpc.insecure_channel(f"127.0.0.1:{free_port()}"), attempts)
    yield attempts, channel
    channel.close()


def test_all_retries_of_a_call_share_one_deadline(
    unreachable: tuple[_Attempts, grpc.Channel],
) -> None:
    attempts, channel = unreachable
    many = RetryPolicy(max_attempts=100, initial_backoff=0.5, max_backoff=0.5, multiplier=1)
    client = AvailabilityClient(channel=channel, token="t", timeout=3.0, retry=many)
    with pytest.raises(UnavailableError):
        client.get_availability("availabilities/x")
    deadlines = [deadline for _, deadline in attempts.seen]
    assert deadlines == [pytest.approx(1003.0)] * len(deadlines)
    # Backoffs of 0.25..0.5 s fit at most 12 attempts into 3 s, and at least 6.
    assert 6 <= len(attempts.seen) <= 13


def test_only_methods_the_service_config_names_are_retried(
    unreachable: tuple[_Attempts, grpc.Channel],
) -> None:
    attempts, channel = unreachable
    client = AvailabilityClient(channel=channel, token="t", timeout=30.0)
    with pytest.raises(UnavailableError):
        client.upsert_location(pb.Location(location_id="l", owner_id="o"))
    with pytest.raises(UnavailableError):
        client.list_locations()
    methods = [method for method, _ in attempts.seen]
    assert methods == ["UpsertLocation"] + ["ListLocations"] * RetryPolicy().max_attempts
