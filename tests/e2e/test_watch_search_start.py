"""WatchSearch streams starting together share one read of their commodity and one judging
per criteria, and each still starts from exactly the set it would have alone: at the head
(its initial state equals a fresh SearchAvailabilities, all pages) or from an older revision
(the changes after it), with nothing of a lot its caller may not see."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from availability_service.watch import search_reads, search_start
from tests.e2e.test_watch import make_private, reprice
from tests.e2e.test_watch_search import (
    ENTERED,
    LEFT,
    UPDATED,
    changes_until,
    criteria,
    mine,
    watch_search,  # noqa: F401 (the fixture)
)
from tests.e2e.test_watch_search_property import fresh_search
from tests.support.callers import Caller
from tests.support.lots import approved_lot
from tests.support.watching import Watch, revision_now
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2

WAIT_SECONDS = 20.0


class HeldReads:
    """search_reads.lots_at counted, its first call held once it has read until `release`,
    and the streams that asked for a start counted (StartReads.start)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads: list[tuple[Any, ...]] = []
        self.asked: list[int | None] = []
        self.first_read = threading.Event()
        self.release = threading.Event()
        self.starts: list[weakref.ref[search_start.Start]] = []
        exact, exact_start = search_reads.lots_at, search_start.StartReads.start
        exact_judge = search_start.StartReads._read_and_judge

        def held(*args: Any) -> Any:
            self.reads.append(args)
            found = exact(*args)
            if len(self.reads) == 1:
                self.first_read.set()
                self.release.wait(WAIT_SECONDS)
            return found

        async def counted(reads: Any, search: Any, at: int | None) -> Any:
            self.asked.append(at)
            return await exact_start(reads, search, at)

        async def kept(reads: Any, *args: Any) -> Any:
            begun = await exact_judge(reads, *args)
            self.starts.append(weakref.ref(begun))
            return begun

        monkeypatch.setattr(search_reads, "lots_at", held)
        monkeypatch.setattr(search_start.StartReads, "start", counted)
        monkeypatch.setattr(search_start.StartReads, "_read_and_judge", kept)

    def wait_for(self, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            assert time.monotonic() < deadline, "the streams never asked for their start"
            time.sleep(0.01)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldReads]:
    found = HeldReads(monkeypatch)
    yield found
    found.release.set()


def initial_state(stream: Watch) -> tuple[list[Any], int]:
    """The initial state's changes and its bookmark's revision."""
    changes: list[Any] = []
    while True:
        message = stream.message(WAIT_SECONDS)
        changes.extend(message.changes)
        if message.bookmark.reason == watch_pb2.Bookmark.REASON_INITIAL_STATE_END:
            return changes, message.revision


def test_streams_starting_together_share_one_read_and_each_starts_from_what_search_gives_it(
    seller: Caller,
    admin: Caller,
    buyer: Caller,
    caller: Callable[..., Caller],
    held: HeldReads,
    watch_search: Callable[..., Watch],  # noqa: F811 (the fixture, imported)
) -> None:
    colleague = caller("BUYER", region="IN-GJ")  # not invited to the private lot
    private = approved_lot(
        seller,
        admin,
        market_visibility=pb.Availability.MARKET_VISIBILITY_PRIVATE,
        restricted_buyer_ids=[buyer.subject],
    )
    approved_lot(seller, admin, base_price=pb.Money(currency_code="USD", amount="1750"))
    wider = criteria(max_price=pb.Money(currency_code="USD", amount="1800"))
    first = watch_search(buyer, criteria(), send_initial_state=True)
    assert held.first_read.wait(WAIT_SECONDS)
    # Acknowledged while the first read is in flight: the streams asking from now on wait
    # for the next read, which shows it.
    late = approved_lot(seller, admin)
    together = {
        "buyer": (buyer, criteria()),
        "colleague": (colleague, criteria()),
        "buyer, wider": (buyer, wider),
        "admin": (admin, criteria()),
        "seller": (seller, wider),
    }
    streams = {
        who: watch_search(c, search, send_initial_state=True)
        for who, (c, search) in together.items()
    }
    held.wait_for(lambda: len(held.asked) == 1 + len(together))
    held.release.set()

    names = {}
    for who, (c, search) in together.items():
        changes, _ = initial_state(streams[who])
        assert {ch.kind for ch in changes} <= {ENTERED}
        assert {ch.name: ch.result for ch in changes} == fresh_search(c, search), who
        scores = [ch.result.score for ch in changes]
        assert scores == sorted(scores, reverse=True)  # best first
        names[who] = {ch.name for ch in changes}
    assert len(held.reads) == 2  # the first stream's read, and one for all the others
    assert private.name in names["buyer"] and late.name in names["buyer"]
    assert private.name not in names["colleague"]
    first_changes, at = initial_state(first)
    expected = fresh_search(buyer, criteria())
    del expected[late.name]  # read before the late lot was approved...
    assert {ch.name: ch.result for ch in first_changes} == expected
    assert at < late.revision
    later = changes_until(first, late.revision)  # ...which then enters
    assert mine(later, late.name) == [(ENTERED, True)]


def test_streams_resuming_together_from_an_older_revision_share_its_read_and_get_their_own_changes(
    seller: Caller,
    admin: Caller,
    buyer: Caller,
    caller: Callable[..., Caller],
    engine: Engine,
    held: HeldReads,
    watch_search: Callable[..., Watch],  # noqa: F811 (the fixture, imported)
) -> None:
    colleague = caller("BUYER", region="IN-GJ")
    public = approved_lot(seller, admin)
    private = approved_lot(seller, admin)
    make_private(seller, private.name, [buyer.subject])
    start = revision_now(engine)
    reprice(seller, public.name, "1850")  # above every ceiling: leaves
    reprice(seller, private.name, "1600")  # inside for the invited buyer: updated
    new = approved_lot(seller, admin)  # enters
    last = new.revision
    first = watch_search(buyer, criteria(), start_revision=start)
    assert held.first_read.wait(WAIT_SECONDS)
    together = {
        "buyer": (buyer, criteria()),
        "colleague": (colleague, criteria()),
        "buyer, wider": (buyer, criteria(max_price=pb.Money(currency_code="USD", amount="1750"))),
    }
    streams = {
        who: watch_search(c, search, start_revision=start) for who, (c, search) in together.items()
    }
    held.wait_for(lambda: len(held.asked) == 1 + len(together))
    held.release.set()

    for who, stream in {"first": first, **streams}.items():
        changes = changes_until(stream, last)
        assert mine(changes, public.name) == [(LEFT, True)], who
        assert mine(changes, new.name) == [(ENTERED, True)], who
        invited = who != "colleague"
        assert mine(changes, private.name) == ([(UPDATED, True)] if invited else []), who
    # Nothing was written since the first read: the others are judged on it, not read again.
    assert len(held.reads) == 1
    assert held.asked == [start] * 4


def test_a_started_stream_keeps_ids_not_the_lots_it_was_started_from(
    seller: Caller,
    admin: Caller,
    buyer: Caller,
    held: HeldReads,
    watch_search: Callable[..., Watch],  # noqa: F811 (the fixture, imported)
) -> None:
    approved_lot(seller, admin)
    held.release.set()
    streams = [watch_search(buyer, criteria(), send_initial_state=True) for _ in range(3)]
    for stream in streams:
        initial_state(stream)
    lot = approved_lot(seller, admin)
    for stream in streams:  # past its start: following the hub
        assert mine(changes_until(stream, lot.revision), lot.name) == [(ENTERED, True)]
    gc.collect()
    assert held.starts and all(start() is None for start in held.starts)
