"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, make_url, text

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


@pytest.fixture
def private_database(database_url: str, engine: Engine) -> Iterator[str]:
    """A fresh database on the same server, dropped afterwards: for deleting shared history."""
    name = f"watch_{uuid.uuid4().hex[:12]}"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
