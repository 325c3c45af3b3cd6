"""The Python client against real server processes that start late, lose replies and restart
mid-stream: retries keep one request_id, and a watch loop sees every event exactly once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.clients.conftest import PATIENT, identity, registered_seller
from tests.support.processes import ServerProcess, free_port
from tests.support.waiting import wait_for
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import watch_pb2
from tradedesk_availability_client import AvailabilityClient, UnimplementedError

pytestmark = pytest.mark.slow


class _LostReply(grpc.RpcError, grpc.Call):
    """What a client sees when the server did the work but the reply never arrived."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNAVAILABLE

    def details(self) -> str:
        return "connection reset after the request was sent"

    def trailing_metadata(self) -> Any:
        return None

    def initial_metadata(self) -> Any:
        return None

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> Any:
        return None

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False


class _DropFirstReply(grpc.UnaryUnaryClientInterceptor):
    """Records the request_id of every attempt of one method; loses the first reply."""

    def __init__(self, method: str, drop: bool = True) -> None:
        self.method = method
        self.drop = drop
        self.request_ids: list[str] = []

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        outcome = continuation(details, request)
        if details.method.endswith(self.method):
            self.request_ids.append(getattr(request, "request_id", ""))
            if self.drop and len(self.request_ids) == 1:
                outcome.result()  # the server has done the work ...
                raise _LostReply()  # ... and the reply is lost
        return outcome


def test_a_call_made_before_the_server_starts_succeeds_once_it_is_up(
    database_url: str, data_dir: Path
) -> None:
    server = ServerProcess(database_url, data_dir, port=free_port())
    result: dict[str, Any] = {}
    attempts = _DropFirstReply("/ListAvailabilities", drop=False)
    channel = grpc.intercept_channel(grpc.insecure_channel(server.address), attempts)
    # One deadline covers every attempt: long enough for a server process to start.
    admin = AvailabilityClient(
        server.address, identity("ADMIN").token, retry=PATIENT, channel=channel, timeout=60
    )

    def call() -> None:
        try:
            result["page"] = admin.list_availabilities(page_size=1)
        except Exception as error:  # reported by the assertion below
            result["error"] = error

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.5)  # the first attempts meet a closed port
    with server:
        caller.join(60)
    channel.close()
    assert "error" not in result, result.get("error")
    assert isinstance(result["page"], api.ListAvailabilitiesResponse)
    assert len(attempts.request_ids) > 1  # it met the closed port before the server came up


def test_a_lost_reply_is_retried_with_the_same_request_id_and_creates_one_lot(
    server: Any,
) -> None:
    admin = AvailabilityClient(server.address, identity("ADMIN").token)
    who = registered_seller(admin)
    dropper = _DropFirstReply("/CreateAvailability")
    channel = grpc.intercept_channel(grpc.insecure_channel(server.address), dropper)
    seller = AvailabilityClient(server.address, who.token, channel=channel, retry=PATIENT)
    lot = seller.create_availability(who.lot())
    assert len(dropper.request_ids) == 2
    assert dropper.request_ids[0] == dropper.request_ids[1] != ""
    mine = list(admin.iter_availabilities(seller_id=who.subject))
    assert [m.name for m in mine] == [lot.name]
    channel.close()
    admin.close()


def test_a_watch_loop_sees_every_event_once_across_a_crash_and_a_graceful_restart(
    database_url: str, data_dir: Path
) -> None:
    port = free_port()
    first = ServerProcess(database_url, data_dir, port=port).start()
    admin = AvailabilityClient(first.address, identity("ADMIN").token, retry=PATIENT)
    who = registered_seller(admin)
    seller = AvailabilityClient(first.address, who.token, retry=PATIENT)
    # A progress bookmark proves the stream is live before the first lot is posted.
    live = threading.Event()
    watch = seller.watch(
        seller_ids=[who.subject],
        progress_notify_interval=0.1,
        on_bookmark=lambda revision, reason: live.set(),
    )
    seen: list[watch_pb2.AvailabilityEvent] = []
    failure: list[BaseException] = []

    def consume() -> None:
        try:
            for event in watch:
                seen.append(event)
        except Exception as error:
            failure.append(error)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    expected: list[tuple[int, int]] = []  # (revision, event type) in commit order

    def post_and_approve() -> None:
        lot = seller.create_availability(who.lot())
        expected.append((lot.revision, watch_pb2.EVENT_TYPE_CREATED))
        approved = admin.approve_availability(lot.name)
        expected.append((approved.revision, watch_pb2.EVENT_TYPE_APPROVED))

    second = ServerProcess(database_url, data_dir, port=port)
    try:
        wait_for(lambda: live.is_set() or bool(failure))
        post_and_approve()
        wait_for(lambda: len(seen) >= 2 or bool(failure))
        if failure and isinstance(failure[0], UnimplementedError):
            pytest.skip("WatchAvailabilities is UNIMPLEMENTED on this server")
        first.kill()  # a crash: the stream breaks with UNAVAILABLE
        second.start()
        post_and_approve()  # some of these may commit before the watch has reconnected
        wait_for(lambda: len(seen) >= len(expected) or bool(failure))
        second.stop()  # graceful: the stream ends (with a STREAM_END bookmark)
        first.start()  # same port, a new process
        post_and_approve()
        wait_for(lambda: len(seen) >= len(expected) or bool(failure))
        time.sleep(0.3)  # a duplicate would arrive right behind the last event
    finally:
        watch.cancel()
        second.stop()
        first.stop()
        seller.close()
        admin.close()
    assert not failure, failure
    assert [(e.revision, e.type) for e in seen] == expected
    assert watch.reconnects >= 2
