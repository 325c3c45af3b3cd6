"""WatchSearch's watch guarantees: resume (mid-stream and across a server restart) with no gap
and no duplicate, entitlement per caller, slow standing searches cut alone, shared caps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2
from sqlalchemy import Engine

from tests.e2e.test_watch import SmallServer, make_private, reprice
from tests.e2e.test_watch_search import ENTERED, LEFT, UPDATED, changes_until, criteria, mine
from tests.support.callers import Caller
from tests.support.lots import approved_lot, error_details
from tests.support.server import ServerThread
from tests.support.watching import END, Watch, revision_now
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import watch_pb2

Reason = watch_pb2.Bookmark.Reason
EVERY_200_MS = duration_pb2.Duration(nanos=200_000_000)


def standing(caller: Caller, **request: Any) -> Watch:
    search = request.pop("search", None) or criteria()
    return Watch(caller, api.WatchSearchRequest(search=search, **request), rpc="WatchSearch")


def key(change: Any) -> tuple[int, str, int, float]:
    return (change.revision, change.name, change.kind, round(change.result.score, 9))


def churn(seller: Caller, admin: Caller, lots: int = 3) -> tuple[list[str], int]:
    """Lots entering, changing score, leaving and coming back; the names and the last revision."""
    names, last = [], 0
    for _ in range(lots):
        lot = approved_lot(seller, admin)
        names.append(lot.name)
        reprice(seller, lot.name, "1500")
        reprice(seller, lot.name, "1900")
        last = reprice(seller, lot.name, "1600").revision
    return names, last


@pytest.fixture
def resumable(database_url: str, data_dir: Path, server: ServerThread) -> Iterator[SmallServer]:
    made = SmallServer(database_url, data_dir)
    yield made
    made.close()


def test_resuming_from_any_revision_of_the_stream_gives_exactly_the_rest(
    seller: Caller, admin: Caller, buyer: Caller, engine: Engine
) -> None:
    start = revision_now(engine)
    whole = standing(buyer, start_revision=start)
    names, last = churn(seller, admin)
    everything = [c for c in changes_until(whole, last) if c.name in names]
    assert [c.kind for c in everything if c.name == names[0]] == [ENTERED, UPDATED, LEFT, ENTERED]
    for cut in (everything[1].revision, everything[5].revision, everything[-2].revision):
        rest = standing(buyer, start_revision=cut)
        got = [c for c in changes_until(rest, last) if c.name in names]
        assert [key(c) for c in got] == [key(c) for c in everything if c.revision > cut]
        rest.close()
    whole.close()


def test_a_stream_resumed_on_another_server_after_a_restart_has_no_gap_and_no_duplicate(
    seller: Caller, admin: Caller, buyer: Caller, engine: Engine, database_url: str, data_dir: Path
) -> None:
    start = revision_now(engine)
    whole = standing(buyer, start_revision=start)
    first = SmallServer(database_url, data_dir)
    try:
        reader = Caller(first.channel, buyer.token, buyer.subject)
        before = standing(reader, start_revision=start, progress_notify_interval=EVERY_200_MS)
        names, middle = churn(seller, admin, lots=2)
        got = [c for c in changes_until(before, middle) if c.name]
        first.thread.stop()  # the server goes away mid-stream: a final, resumable bookmark
        message = before.message()
        while message.bookmark.reason != Reason.REASON_STREAM_END:
            got += message.changes
            message = before.message()
        assert before.next() is END
        resume_from = message.revision
    finally:
        first.close()
    more, last = churn(seller, admin, lots=2)  # written while no server follows them
    second = SmallServer(database_url, data_dir)
    try:
        reader = Caller(second.channel, buyer.token, buyer.subject)
        after = standing(reader, start_revision=resume_from)
        got += changes_until(after, last)
        after.close()
    finally:
        second.close()
    mine_only = [key(c) for c in got if c.name in names + more]
    expected = [key(c) for c in changes_until(whole, last) if c.name in names + more]
    assert mine_only == expected
    assert len(set(mine_only)) == len(mine_only)
    whole.close()


def test_a_buyer_who_is_not_invited_never_sees_a_private_lot_the_invited_one_does(
    seller: Caller, admin: Caller, buyer: Caller, caller: Any, engine: Engine
) -> None:
    outsider = caller("BUYER", region="IN-GJ")
    start = revision_now(engine)
    invited = standing(buyer, start_revision=start)
    uninvited = standing(outsider, start_revision=start, progress_notify_interval=EVERY_200_MS)
    lot = approved_lot(seller, admin)
    private = make_private(seller, lot.name, [buyer.subject])
    public_then = mine(changes_until(uninvited, private.revision), lot.name)
    assert public_then == [(ENTERED, True), (LEFT, False)]
    assert mine(changes_until(invited, private.revision), lot.name) == [
        (ENTERED, True),
        (UPDATED, True),
    ]
    later = reprice(seller, lot.name, "1500")
    assert mine(changes_until(uninvited, later.revision), lot.name) == []
    assert mine(changes_until(invited, later.revision), lot.name) == [(UPDATED, True)]
    invited.close()
    uninvited.close()


@pytest.fixture(scope="module")
def small(database_url: str, data_dir: Path, server: ServerThread) -> Iterator[SmallServer]:
    made = SmallServer(database_url, data_dir, watch_max_watchers=3)
    yield made
    made.close()


def test_a_standing_search_that_stops_reading_is_cut_off_while_a_fast_one_keeps_up(
    database_url: str, data_dir: Path, engine: Engine, server: ServerThread
) -> None:
    # A queue of 20: the reader that keeps up never falls that far behind on a busy machine,
    # the one that stops reading does once its HTTP/2 window is full.
    roomy = SmallServer(database_url, data_dir, watch_queue_size=20)
    seller, admin, reader = roomy.caller("SELLER"), roomy.caller("ADMIN"), roomy.caller("ADMIN")
    request = api.WatchSearchRequest(search=criteria(), start_revision=revision_now(engine))
    slow_channel = grpc.insecure_channel(
        roomy.thread.address, options=[("grpc.http2.bdp_probe", 0)]
    )
    slow_reader = Caller(slow_channel, reader.token, reader.subject)
    slow = Watch(slow_reader, request, rpc="WatchSearch", read=False)
    fast = Watch(reader, request, rpc="WatchSearch")
    try:
        lots = [approved_lot(seller, admin, description="x" * 3000) for _ in range(60)]
        last = lots[-1].revision
        assert {c.name for c in changes_until(fast, last)} >= {lot.name for lot in lots}
        slow.start_reading()
        deadline = time.monotonic() + 20
        item = slow.next()
        while not isinstance(item, grpc.RpcError):
            assert item is not END, "the slow stream must end with an error"
            assert time.monotonic() < deadline
            item = slow.next()
        assert item.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        details = error_details(item)
        assert details["reason"] == "SLOW_WATCHER"
        assert int(details["metadata"]["last_revision"]) < last
    finally:
        fast.close()
        slow.close()
        slow_channel.close()
        roomy.close()


def test_standing_searches_count_against_the_process_watcher_cap(small: SmallServer) -> None:
    reader = small.caller("ADMIN")
    idle = api.WatchAvailabilitiesRequest(progress_notify_interval=EVERY_200_MS)
    streams = [Watch(reader, idle) for _ in range(2)]
    streams.append(standing(reader, progress_notify_interval=EVERY_200_MS))
    try:
        for stream in streams:
            assert stream.message().bookmark.reason == Reason.REASON_PROGRESS
        extra = standing(reader).next()
        assert isinstance(extra, grpc.RpcError)
        assert extra.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error_details(extra)["reason"] == "TOO_MANY_WATCHERS"
    finally:
        for stream in streams:
            stream.close()


def test_a_standing_search_needs_a_token(channel: grpc.Channel) -> None:
    stub_call = channel.unary_stream(
        "/tradedesk.availability.v1.AvailabilityService/WatchSearch",
        request_serializer=api.WatchSearchRequest.SerializeToString,
        response_deserializer=api.WatchSearchResponse.FromString,
    )
    with pytest.raises(grpc.RpcError) as caught:
        list(stub_call(api.WatchSearchRequest(search=criteria()), timeout=10))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
