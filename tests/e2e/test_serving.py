"""Servers started and stopped by the composition root (serving.py), the one sequence that
`serve`, each worker of `serve --workers` and the tests' servers run."""

from __future__ import annotations

import uuid

import grpc
from google.protobuf import duration_pb2
from sqlalchemy import Engine

from availability_service.app import Application
from tests.support.callers import Caller, make_token
from tests.support.server import ServerThread
from tests.support.watching import END, Watch, revision_now
from tradedesk.availability.v1 import availability_service_pb2 as api
from tradedesk.availability.v1 import watch_pb2

Reason = watch_pb2.Bookmark.Reason


def quiet_watch(channel: grpc.Channel, engine: Engine) -> Watch:
    """A stream of progress bookmarks only (it names a lot that does not exist)."""
    reader = Caller(channel, make_token("admin-serving", ["ADMIN"]), "admin-serving")
    return Watch(
        reader,
        api.WatchAvailabilitiesRequest(
            start_revision=revision_now(engine),
            names=[f"availabilities/{uuid.uuid4()}"],
            progress_notify_interval=duration_pb2.Duration(nanos=200_000_000),
        ),
    )


def test_each_server_of_one_application_has_its_own_watch_hub_and_stops_only_its_streams(
    app: Application, server: ServerThread, channel: grpc.Channel, engine: Engine
) -> None:
    second = ServerThread(app).start()
    try:
        with grpc.insecure_channel(second.address) as second_channel:
            stream = quiet_watch(second_channel, engine)
            assert stream.message().bookmark.reason == Reason.REASON_PROGRESS
            assert second.hub is not server.hub
            assert second.hub.watchers == 1
            second.stop()
            message = stream.message()
            while message.bookmark.reason == Reason.REASON_PROGRESS:
                message = stream.message()
            assert message.bookmark.reason == Reason.REASON_STREAM_END
            assert stream.next() is END
    finally:
        second.stop()
    # The first server's hub was not the one stopped: it still serves watch streams.
    assert not server.hub.closing
    still = quiet_watch(channel, engine)
    try:
        assert still.message().bookmark.reason == Reason.REASON_PROGRESS
    finally:
        still.close()
