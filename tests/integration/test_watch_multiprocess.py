"""The watch stream across real server processes sharing one database.

Writers on both processes commit concurrently; every watcher, on either process, must see the
same revisions in the same order with no gap and no duplicate, and can resume on any process.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2, field_mask_pb2
from sqlalchemy import Engine, select, text

from availability_service.storage.listener import APPLICATION_NAME
from availability_service.storage.tables import events
from tests.support import watching
from tests.support.callers import Caller, make_token
from tests.support.lots import cotton_lot, register_location
from tests.support.processes import ServerProcess
from tests.support.server import ServerThread
from tests.support.watching import revision_now
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2

Reason = watch_pb2.Bookmark.Reason


class Node:
    """One server process with a channel and callers minted for it."""

    def __init__(self, process: ServerProcess) -> None:
        self.process = process
        self.channel = grpc.insecure_channel(process.address)

    def caller(self, role: str) -> Caller:
        subject = f"{role.lower()}-{uuid.uuid4().hex[:8]}"
        made = Caller(self.channel, make_token(subject, [role]), subject)
        if role == "SELLER":
            admin = Caller(
                self.channel, make_token("admin-registrar", ["ADMIN"]), "admin-registrar"
            )
            made.location_id = register_location(admin, subject).location_id
        return made


class Watch(watching.Watch):
    """The shared stream reader, opened from request fields, with revisions as the unit."""

    def __init__(self, caller: Caller, **fields: Any) -> None:
        super().__init__(caller, api.WatchAvailabilitiesRequest(**fields), deadline=60)

    def message(self, timeout: float = 15.0) -> api.WatchAvailabilitiesResponse:
        return super().message(timeout)

    def revisions_until(self, revision: int) -> list[int]:
        return [e.revision for e in self.events_until(revision, timeout=60)]


def stored_revisions(engine: Engine, after: int, upto: int) -> list[int]:
    with engine.connect() as conn:
        return [
            r
            for (r,) in conn.execute(
                select(events.c.revision)
                .where(events.c.revision > after, events.c.revision <= upto)
                .order_by(events.c.revision)
            )
        ]


def write_lots(seller: Caller, lots: int, reprices: int) -> None:
    for _ in range(lots):
        lot = seller.CreateAvailability(
            api.CreateAvailabilityRequest(availability=cotton_lot())
        ).availability
        for step in range(reprices):
            seller.UpdateAvailability(
                api.UpdateAvailabilityRequest(
                    availability=pb.Availability(
                        name=lot.name,
                        base_price=pb.Money(currency_code="USD", amount=str(1700 + step)),
                    ),
                    update_mask=field_mask_pb2.FieldMask(paths=["base_price"]),
                )
            )


@pytest.fixture(scope="module")
def nodes(database_url: str, data_dir: Path, server: ServerThread) -> Iterator[list[Node]]:
    # `server` first: the session server has migrated the database already.
    processes = [ServerProcess(database_url, data_dir) for _ in range(2)]
    try:
        for process in processes:
            process.start()
        made = [Node(p) for p in processes]
        yield made
        for node in made:
            node.channel.close()
    finally:
        for process in processes:
            process.stop()


def test_watchers_on_two_processes_see_the_same_gapless_sequence_from_writers_on_both(
    nodes: list[Node], engine: Engine
) -> None:
    start = revision_now(engine)
    watchers = [
        Watch(node.caller(role), start_revision=start)
        for node in nodes
        for role in ("ADMIN", "SERVICE")
    ]
    writers = [
        threading.Thread(target=write_lots, args=(node.caller("SELLER"), 2, 3))
        for node in nodes
        for _ in range(3)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    end = revision_now(engine)
    expected = stored_revisions(engine, start, end)
    assert len(expected) >= 2 * 3 * 2 * 4
    assert expected == list(range(start + 1, end + 1)), "every revision has its event"
    for watcher in watchers:
        assert watcher.revisions_until(end) == expected
        watcher.call.cancel()


def test_resuming_on_the_other_process_delivers_exactly_the_remainder(
    nodes: list[Node], engine: Engine
) -> None:
    first, second = nodes
    seller = first.caller("SELLER")
    start = revision_now(engine)
    write_lots(seller, 3, 1)
    end = revision_now(engine)
    watcher = Watch(first.caller("ADMIN"), start_revision=start, seller_ids=[seller.subject])
    seen = watcher.revisions_until(end)
    watcher.call.cancel()
    resumed = Watch(second.caller("ADMIN"), start_revision=seen[2], seller_ids=[seller.subject])
    assert resumed.revisions_until(end) == seen[3:]
    resumed.call.cancel()


def test_a_stopping_process_ends_its_streams_with_a_bookmark_to_resume_from_elsewhere(
    nodes: list[Node], database_url: str, data_dir: Path, engine: Engine
) -> None:
    leaving = Node(ServerProcess(database_url, data_dir).start())
    seller = nodes[0].caller("SELLER")
    start = revision_now(engine)
    watcher = Watch(leaving.caller("ADMIN"), start_revision=start, seller_ids=[seller.subject])
    write_lots(seller, 2, 1)
    middle = revision_now(engine)
    before_stop = watcher.revisions_until(middle)
    leaving.process.stop()  # SIGTERM: the graceful path of `serve`
    message = watcher.message()
    while message.events:  # anything still in flight, then the bookmark
        before_stop.extend(e.revision for e in message.events)
        message = watcher.message()
    assert message.bookmark.reason == Reason.REASON_STREAM_END
    write_lots(seller, 1, 1)
    end = revision_now(engine)
    resumed = Watch(
        nodes[1].caller("ADMIN"), start_revision=message.revision, seller_ids=[seller.subject]
    )
    after = resumed.revisions_until(end)
    with engine.connect() as conn:
        mine = [
            r
            for (r,) in conn.execute(
                text(
                    "SELECT revision FROM events WHERE revision > :s AND revision <= :e AND "
                    "after->>'seller_id' = :who ORDER BY revision"
                ),
                {"s": start, "e": end, "who": seller.subject},
            )
        ]
    assert before_stop + after == mine
    resumed.call.cancel()
    leaving.channel.close()


def test_streams_keep_going_when_the_listen_connections_are_killed(
    nodes: list[Node], engine: Engine
) -> None:
    seller = nodes[0].caller("SELLER")
    watcher = Watch(
        nodes[1].caller("ADMIN"),
        start_revision=revision_now(engine),
        seller_ids=[seller.subject],
        progress_notify_interval=duration_pb2.Duration(seconds=5),
    )
    with engine.begin() as conn:
        killed_at = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :a"
            ),
            {"a": APPLICATION_NAME},
        )
    write_lots(seller, 2, 0)
    end = revision_now(engine)
    assert len(watcher.revisions_until(end)) == 2
    reconnected = text(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :a AND backend_start > :t"
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            count = conn.execute(reconnected, {"a": APPLICATION_NAME, "t": killed_at})
            if count.scalar_one() >= len(nodes):  # at least both server processes' hubs
                break
        time.sleep(0.2)
    else:
        pytest.fail("the hubs did not reconnect their LISTEN connections")
    watcher.call.cancel()
