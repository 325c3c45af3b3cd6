"""WatchAvailabilities end to end: a real stream from a real server over real PostgreSQL.

Every stream is read through `Watch`, which reads on a thread into a queue so each step waits
with a timeout: a broken stream fails the test in seconds instead of hanging it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2, field_mask_pb2
from sqlalchemy import Engine, select, text

from availability_service.storage.events import compact_events
from availability_service.storage.tables import events
from tests.support.callers import Caller
from tests.support.lots import cotton_lot, error_details
from tests.support.server import ServerThread, SmallServer
from tests.support.watching import END, Watch
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2

Reason = watch_pb2.Bookmark.Reason
ADDED, MODIFIED, DELETED = (
    watch_pb2.CHANGE_KIND_ADDED,
    watch_pb2.CHANGE_KIND_MODIFIED,
    watch_pb2.CHANGE_KIND_DELETED,
)


def revision_now(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT value FROM revision_counter")).scalar_one())


def create(caller: Caller, **overrides: Any) -> pb.Availability:
    return caller.CreateAvailability(
        api.CreateAvailabilityRequest(availability=cotton_lot(**overrides))
    ).availability


def approved(admin: Caller, lot: pb.Availability) -> pb.Availability:
    """The lot once an ADMIN approved it: from then on the market may see it."""
    return admin.ApproveAvailability(api.ApproveAvailabilityRequest(name=lot.name)).availability


def update(caller: Caller, name: str, paths: list[str], **fields: Any) -> pb.Availability:
    lot = pb.Availability(name=name, **fields)
    return caller.UpdateAvailability(
        api.UpdateAvailabilityRequest(
            availability=lot, update_mask=field_mask_pb2.FieldMask(paths=paths)
        )
    ).availability


def reprice(caller: Caller, name: str, amount: str) -> pb.Availability:
    return update(
        caller, name, ["base_price"], base_price=pb.Money(currency_code="USD", amount=amount)
    )


def make_private(caller: Caller, name: str, buyers: list[str]) -> pb.Availability:
    return update(
        caller,
        name,
        ["market_visibility", "restricted_buyer_ids"],
        market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=buyers,
    )


def make_public(caller: Caller, name: str) -> pb.Availability:
    return update(
        caller,
        name,
        ["market_visibility", "restricted_buyer_ids"],
        market_visibility=pb.Availability.MARKET_VISIBILITY_PUBLIC,
    )


def kinds(found: list[Any]) -> list[tuple[str, int, int]]:
    return [(e.availability.name, e.type, e.change) for e in found]


def test_a_watcher_sees_each_change_once_in_revision_order_with_who_and_what(
    seller: Caller, admin: Caller, engine: Engine, watch: Callable[..., Watch]
) -> None:
    stream = watch(admin, start_revision=revision_now(engine), seller_ids=[seller.subject])
    lot = create(seller)
    repriced = reprice(seller, lot.name, "1700")
    found = stream.events_until(repriced.revision)
    assert kinds(found) == [
        (lot.name, watch_pb2.EVENT_TYPE_CREATED, ADDED),
        (lot.name, watch_pb2.EVENT_TYPE_PRICE_CHANGED, MODIFIED),
    ]
    assert [e.revision for e in found] == [lot.revision, repriced.revision]
    assert found[1].availability.base_price.amount == "1700"
    assert "base_price" in found[1].changed_fields  # a contract field path, not a column
    assert {e.actor for e in found} == {seller.subject}
    assert all(e.event_time.seconds > 0 for e in found)


def test_resuming_from_a_revision_mid_stream_delivers_exactly_the_remainder(
    seller: Caller, admin: Caller, engine: Engine, watch: Callable[..., Watch]
) -> None:
    start = revision_now(engine)
    lots = [create(seller) for _ in range(5)]
    first = watch(admin, start_revision=start, seller_ids=[seller.subject])
    seen = [e.revision for e in first.events_until(lots[-1].revision)]
    assert seen == [lot.revision for lot in lots]
    resumed = watch(admin, start_revision=seen[1], seller_ids=[seller.subject])
    assert [e.revision for e in resumed.events_until(lots[-1].revision)] == seen[2:]


def test_a_public_lot_made_private_is_deleted_for_a_buyer_and_added_back_when_public(
    seller: Caller, buyer: Caller, admin: Caller, engine: Engine, watch: Callable[..., Watch]
) -> None:
    stream = watch(buyer, start_revision=revision_now(engine), seller_ids=[seller.subject])
    lot = approved(admin, create(seller))
    hidden = make_private(seller, lot.name, ["someone-else"])
    never_seen = create(
        seller,
        market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=["someone-else"],
    )
    approved(admin, never_seen)
    shown = make_public(seller, lot.name)
    cancelled = seller.DeleteAvailability(api.DeleteAvailabilityRequest(name=lot.name))
    found = stream.events_until(cancelled.availability.revision)
    assert [(e.revision, e.change) for e in found] == [
        (lot.revision, ADDED),
        (hidden.revision, DELETED),
        (shown.revision, ADDED),
        (cancelled.availability.revision, DELETED),
    ]
    assert never_seen.name not in {e.availability.name for e in found}
    # Losing sight of a lot shows the last state the buyer was allowed to see, not the new one.
    assert found[1].availability.market_visibility == pb.Availability.MARKET_VISIBILITY_PUBLIC
    assert not found[1].availability.restricted_buyer_ids
    assert found[3].type == watch_pb2.EVENT_TYPE_CANCELLED


def test_the_listed_buyer_of_a_private_lot_sees_it_and_others_do_not(
    seller: Caller,
    buyer: Caller,
    admin: Caller,
    caller: Callable[..., Caller],
    engine: Engine,
    watch: Callable[..., Watch],
) -> None:
    start = revision_now(engine)
    other = caller("BUYER", region="IN-GJ")
    listed = watch(buyer, start_revision=start, seller_ids=[seller.subject])
    unlisted = watch(
        other,
        start_revision=start,
        seller_ids=[seller.subject],
        progress_notify_interval=duration_pb2.Duration(nanos=200_000_000),
    )
    private = create(
        seller,
        market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=[buyer.subject],
    )
    private = approved(admin, private)
    assert kinds(listed.events_until(private.revision)) == [
        (private.name, watch_pb2.EVENT_TYPE_APPROVED, ADDED)
    ]
    assert unlisted.events_until(private.revision) == []


def test_filters_combine_with_and_while_values_of_one_filter_combine_with_or(
    caller: Callable[..., Caller], admin: Caller, engine: Engine, watch: Callable[..., Watch]
) -> None:
    one, two, three = (caller("SELLER") for _ in range(3))
    stream = watch(
        admin,
        start_revision=revision_now(engine),
        seller_ids=[one.subject, two.subject, three.subject],
        event_types=[watch_pb2.EVENT_TYPE_PRICE_CHANGED],
    )
    lots = [create(who) for who in (one, two, three)]
    by_name = watch(admin, start_revision=lots[-1].revision, names=[lots[0].name, lots[2].name])
    changes = [
        reprice(who, lot.name, "1800") for who, lot in zip((one, two, three), lots, strict=True)
    ]
    found = stream.events_until(changes[-1].revision)
    assert [(e.revision, e.type) for e in found] == [
        (c.revision, watch_pb2.EVENT_TYPE_PRICE_CHANGED) for c in changes
    ]
    assert [e.revision for e in by_name.events_until(changes[-1].revision)] == [
        changes[0].revision,
        changes[2].revision,
    ]


def test_initial_state_then_live_events_join_without_a_gap_or_duplicate_at_the_seam(
    seller: Caller, admin: Caller, engine: Engine, watch: Callable[..., Watch]
) -> None:
    lots = [create(seller) for _ in range(6)]
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        price = 1700
        while not stop.is_set():
            for lot in lots:
                price += 1
                written.append(reprice(seller, lot.name, str(price)).revision)

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    time.sleep(0.1)
    stream = watch(admin, send_initial_state=True, seller_ids=[seller.subject])
    initial: list[Any] = []
    while True:
        message = stream.message()
        if message.HasField("bookmark"):
            assert message.bookmark.reason == Reason.REASON_INITIAL_STATE_END
            seam = message.revision
            break
        initial.extend(message.events)
    time.sleep(0.3)
    stop.set()
    writer.join(10)
    last = max(written)
    live = stream.events_until(last)
    assert sorted(e.availability.name for e in initial) == sorted(lot.name for lot in lots)
    assert {e.change for e in initial} == {ADDED}
    assert all(e.revision <= seam for e in initial)
    with engine.connect() as conn:
        expected = [
            r
            for (r,) in conn.execute(
                select(events.c.revision)
                .where(
                    events.c.revision > seam,
                    events.c.revision <= last,
                    events.c.availability_id.in_([uuid.UUID(x.name.split("/")[1]) for x in lots]),
                )
                .order_by(events.c.revision)
            )
        ]
    assert [e.revision for e in live] == expected
    assert expected, "the writer must have written after the initial state was read"
    # Replaying initial state plus live events gives every lot its final revision.
    final = {e.availability.name: e.availability.revision for e in initial + live}
    for lot in lots:
        got = seller.GetAvailability(api.GetAvailabilityRequest(name=lot.name)).availability
        assert final[lot.name] == got.revision


def test_an_idle_stream_receives_progress_bookmarks_with_the_current_revision(
    admin: Caller, engine: Engine, watch: Callable[..., Watch]
) -> None:
    start = revision_now(engine)
    stream = watch(
        admin,
        start_revision=start,
        names=[f"availabilities/{uuid.uuid4()}"],
        progress_notify_interval=duration_pb2.Duration(nanos=200_000_000),
    )
    for _ in range(2):
        message = stream.message(timeout=5)
        assert message.bookmark.reason == Reason.REASON_PROGRESS
        assert not message.events
        assert message.revision >= start


def test_resuming_below_the_retained_history_is_out_of_range_with_the_oldest_revision(
    private_database: str, data_dir: Path
) -> None:
    # Compaction deletes shared history, so it runs on a database of its own.
    node = SmallServer(private_database, data_dir, run_migrations=True)
    try:
        seller, admin = node.caller("SELLER"), node.caller("ADMIN")
        lots = [create(seller) for _ in range(4)]
        with node.app.engine.begin() as conn:
            assert compact_events(conn, lots[2].revision) > 0
            oldest = int(conn.execute(text("SELECT min(revision) FROM events")).scalar_one())
        assert oldest == lots[2].revision
        stream = Watch(admin, api.WatchAvailabilitiesRequest(start_revision=oldest - 2))
        error = stream.next()
        assert isinstance(error, grpc.RpcError)
        assert error.code() == grpc.StatusCode.OUT_OF_RANGE
        details = error_details(error)
        assert details["reason"] == "REVISION_COMPACTED"
        assert details["metadata"]["oldest_revision"] == str(oldest)
        resumed = Watch(admin, api.WatchAvailabilitiesRequest(start_revision=oldest - 1))
        assert [e.revision for e in resumed.events_until(lots[3].revision)] == [
            lots[2].revision,
            lots[3].revision,
        ]
        resumed.close()
    finally:
        node.close()


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"start_revision": -1}, "start_revision"),
        ({"event_types": [99]}, "event_types[0]"),
        ({"event_types": [watch_pb2.EVENT_TYPE_SOLD, 0]}, "event_types[1]"),
        ({"names": ["lots/1"]}, "names[0]"),
        ({"names": [f"availabilities/{uuid.uuid4()}", "availabilities/x"]}, "names[1]"),
        ({"commodities": [""]}, "commodities[0]"),
        ({"start_revision": 5, "send_initial_state": True}, "start_revision"),
        (
            {"progress_notify_interval": duration_pb2.Duration(seconds=-1)},
            "progress_notify_interval",
        ),
        (
            {"progress_notify_interval": duration_pb2.Duration(nanos=1000)},
            "progress_notify_interval",
        ),
    ],
)
def test_invalid_watch_requests_are_invalid_argument_naming_the_field(
    admin: Caller, request_fields: dict[str, Any], field: str
) -> None:
    error = Watch(admin, api.WatchAvailabilitiesRequest(**request_fields)).next()
    assert isinstance(error, grpc.RpcError)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error_details(error)["fields"]


def test_watching_needs_a_token(channel: grpc.Channel) -> None:
    call = api_stub(channel).WatchAvailabilities(api.WatchAvailabilitiesRequest(), timeout=5)
    with pytest.raises(grpc.RpcError) as err:
        next(iter(call))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def api_stub(channel: grpc.Channel) -> Any:
    from tradedesk.availability.v1 import availability_service_pb2_grpc as api_grpc

    return api_grpc.AvailabilityServiceStub(channel)


# --- a dedicated server with small limits -------------------------------------------------


@pytest.fixture(scope="module")
def small(database_url: str, data_dir: Path, server: ServerThread) -> Iterator[SmallServer]:
    # `server` first: the session server migrated the database already.
    made = SmallServer(database_url, data_dir, watch_queue_size=3, watch_max_watchers=3)
    yield made
    made.close()


def test_a_watcher_that_stops_reading_is_cut_off_while_a_fast_one_keeps_up(
    small: SmallServer, engine: Engine
) -> None:
    seller, reader = small.caller("SELLER"), small.caller("ADMIN")
    start = revision_now(engine)
    request = api.WatchAvailabilitiesRequest(start_revision=start, seller_ids=[seller.subject])
    # Its own channel without BDP probing, so its HTTP/2 window stays small while unread.
    slow_channel = grpc.insecure_channel(
        small.thread.address, options=[("grpc.http2.bdp_probe", 0)]
    )
    slow_reader = Caller(slow_channel, reader.token, reader.subject)
    slow = Watch(slow_reader, request, read=False)  # opened, never read until the end
    fast = Watch(reader, request)
    # Large lots fill the slow stream's HTTP/2 window quickly; then its queue of 3 overflows.
    # Each lot waits for the fast watcher to see the one before: one hub read, so one queued
    # message per lot, however fast the writes (a burst read at once would be one message).
    lots, seen = [], []
    for _ in range(60):
        lots.append(create(seller, description="x" * 3000))
        seen += fast.events_until(lots[-1].revision)
    last = lots[-1].revision
    assert [e.revision for e in seen] == [lot.revision for lot in lots]
    slow.start_reading()
    got: list[int] = []
    while True:
        item = slow.next()
        if isinstance(item, grpc.RpcError):
            break
        assert item is not END, "the slow stream must end with an error"
        got.extend(e.revision for e in item.events)
    assert item.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    details = error_details(item)
    assert details["reason"] == "SLOW_WATCHER"
    delivered = int(details["metadata"]["last_revision"])
    assert got == [lot.revision for lot in lots if lot.revision <= delivered]
    assert delivered < last
    fast.close()
    slow_channel.close()


def test_watchers_beyond_the_per_process_limit_are_resource_exhausted(
    small: SmallServer,
) -> None:
    reader = small.caller("ADMIN")
    idle = api.WatchAvailabilitiesRequest(
        progress_notify_interval=duration_pb2.Duration(nanos=200_000_000)
    )
    streams = [Watch(reader, idle) for _ in range(3)]
    for stream in streams:
        assert stream.message().bookmark.reason == Reason.REASON_PROGRESS
    extra = Watch(reader, idle).next()
    assert isinstance(extra, grpc.RpcError)
    assert extra.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_details(extra)["reason"] == "TOO_MANY_WATCHERS"
    for stream in streams:
        stream.close()


def test_a_stream_ends_with_a_stream_end_bookmark_at_its_maximum_age(
    database_url: str, data_dir: Path, engine: Engine, server: ServerThread
) -> None:
    aged = SmallServer(database_url, data_dir, watch_max_stream_age_seconds=1.0)
    try:
        start = revision_now(engine)
        stream = Watch(
            aged.caller("ADMIN"),
            api.WatchAvailabilitiesRequest(
                start_revision=start, names=[f"availabilities/{uuid.uuid4()}"]
            ),
        )
        message = stream.message(timeout=10)
        assert message.bookmark.reason == Reason.REASON_STREAM_END
        assert message.revision >= start
        assert stream.next() is END  # then the stream ends OK
    finally:
        aged.close()


def test_server_shutdown_ends_each_stream_with_a_resumable_bookmark(
    database_url: str, data_dir: Path, engine: Engine, server: ServerThread
) -> None:
    stopping = SmallServer(database_url, data_dir)
    try:
        start = revision_now(engine)
        stream = Watch(
            stopping.caller("ADMIN"),
            api.WatchAvailabilitiesRequest(
                start_revision=start,
                names=[f"availabilities/{uuid.uuid4()}"],
                progress_notify_interval=duration_pb2.Duration(nanos=200_000_000),
            ),
        )
        assert stream.message().bookmark.reason == Reason.REASON_PROGRESS
        stopping.thread.stop()
        message = stream.message()
        while message.bookmark.reason == Reason.REASON_PROGRESS:
            message = stream.message()
        assert message.bookmark.reason == Reason.REASON_STREAM_END
        assert message.revision >= start
        assert stream.next() is END
    finally:
        stopping.close()


def test_streams_the_client_cancels_give_their_watcher_slot_back(small: SmallServer) -> None:
    reader = small.caller("ADMIN")
    idle = api.WatchAvailabilitiesRequest(
        progress_notify_interval=duration_pb2.Duration(nanos=200_000_000)
    )
    for _ in range(2):
        streams = [Watch(reader, idle) for _ in range(3)]
        for stream in streams:
            assert stream.message().bookmark.reason == Reason.REASON_PROGRESS
        for stream in streams:
            stream.close()
        hub = small.thread.hub
        deadline = time.monotonic() + 5
        while hub.watchers and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.watchers == 0
