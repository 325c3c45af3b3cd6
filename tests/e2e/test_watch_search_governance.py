"""Standing searches are governed exactly as watches (the shared serve_watch): a WatchSearch
that stops reading loses its slot after the send timeout and ends with SEND_TIMEOUT, and a
caller's standing searches and watches share its per-caller cap in the hub."""

from __future__ import annotations

from pathlib import Path

import grpc

from tests.e2e.test_watch_governance import (
    SMALL_WINDOW,
    assert_ends_with_send_timeout,
    eventually,
    metric,
    progress_watch,
    refused,
    small_server,
)
from tests.e2e.test_watch_search import criteria
from tests.e2e.test_watch_search_resume import EVERY_200_MS, Reason, standing
from tests.support.callers import Caller
from tests.support.lots import approved_lot
from tests.support.server import ServerThread
from tests.support.watching import Watch
from tradedesk.availability.v1 import availability_service_pb2 as api


def test_a_standing_search_that_never_reads_loses_its_slot_and_ends_with_send_timeout(
    database_url: str, data_dir: Path, server: ServerThread
) -> None:
    with small_server(database_url, data_dir, watch_send_timeout_seconds=1.0) as made:
        seller, admin, reader = made.caller("SELLER"), made.caller("ADMIN"), made.caller("ADMIN")
        # About 4 kB each: the initial state is far above a small window.
        for _ in range(40):
            approved_lot(seller, admin, description="x" * 3500)
        hub = made.thread.hub
        timeouts = metric("availability_watch_cutoffs_total", reason="send_timeout")
        request = api.WatchSearchRequest(search=criteria(), send_initial_state=True)
        with grpc.insecure_channel(made.thread.address, options=SMALL_WINDOW) as raw:
            stuck = Watch(
                Caller(raw, reader.token, reader.subject),
                request,
                deadline=60,
                read=False,
                rpc="WatchSearch",
            )
            assert eventually(lambda: hub.watchers == 1, timeout=10)
            assert eventually(lambda: hub.watchers == 0)  # the slot is taken back
            assert metric("availability_watch_cutoffs_total", reason="send_timeout") == timeouts + 1
            assert_ends_with_send_timeout(stuck)


def test_a_callers_standing_searches_and_watches_share_its_cap(
    database_url: str, data_dir: Path, server: ServerThread
) -> None:
    with small_server(database_url, data_dir, watch_max_per_caller=1) as one_each:
        reader = one_each.caller("SERVICE")
        watch = progress_watch(reader)
        try:
            assert watch.message().bookmark.reason == Reason.REASON_PROGRESS
            again = refused(standing(reader, progress_notify_interval=EVERY_200_MS))
            assert (again["reason"], again["metadata"]["scope"]) == ("TOO_MANY_WATCHERS", "caller")
        finally:
            watch.close()
        other = standing(one_each.caller("SERVICE"), progress_notify_interval=EVERY_200_MS)
        try:
            assert other.message().bookmark.reason == Reason.REASON_PROGRESS
        finally:
            other.close()
