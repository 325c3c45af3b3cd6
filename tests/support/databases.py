"""Databases of their own on the test server: for migrations from scratch."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def fresh_database(database_url: str, prefix: str = "fresh") -> Iterator[str]:
    """The URL of an empty database on the test server, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            # DROP DATABASE waits for every backend of the server to answer a signal; bound
            # that wait so a stuck backend elsewhere fails this teardown instead of hanging.
            conn.execute(text("SET statement_timeout = '60s'"))
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
