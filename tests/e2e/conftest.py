"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.callers import Caller
from tests.support.watching import Watch
from tradedesk.availability.v1 import availability_service_pb2 as api


@pytest.fixture
def watch() -> Iterator[Callable[..., Watch]]:
    opened: list[Watch] = []

    def open_watch(caller: Caller, **request: Any) -> Watch:
        stream = Watch(caller, api.WatchAvailabilitiesRequest(**request))
        opened.append(stream)
        return stream

    yield open_watch
    for stream in opened:
        stream.close()
