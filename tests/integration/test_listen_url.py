"""The watch hub's LISTEN connection can go to its own URL (past a transaction pooler)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from sqlalchemy import Engine, make_url, text

from availability_service.app import Application
from availability_service.storage.listener import listen_dsn, wake_ups
from availability_service.watch.hub import HubLimits, WatchHub


def _listeners(engine: Engine, database: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = :database AND query LIKE 'LISTEN%'"
                ),
                {"database": database},
            ).scalar_one()
        )


def test_a_listen_url_is_a_libpq_dsn_whatever_driver_it_names(app: Application) -> None:
    given = "postgresql+psycopg2://watch:secret@pg-primary:5432/availability"
    assert listen_dsn(app.engine, given) == "postgresql://watch:secret@pg-primary:5432/availability"
    assert listen_dsn(app.engine).startswith("postgresql://")


def test_the_hub_listens_on_the_listen_url_when_one_is_set(
    app: Application, database_url: str, engine: Engine
) -> None:
    # Another database of the same server stands for "PostgreSQL itself, not the pooler":
    # the only LISTEN connection in it is the hub's.
    url = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)

    async def main() -> int:
        listening_there = replace(app.watch_database, listen=wake_ups(app.engine, url))
        hub = WatchHub(listening_there, app.executor, HubLimits())
        hub.start()
        try:
            give_up = time.monotonic() + 20
            while _listeners(engine, "postgres") == 0 and time.monotonic() < give_up:
                await asyncio.sleep(0.05)
            return _listeners(engine, "postgres")
        finally:
            await hub.shutdown()

    assert asyncio.run(main()) == 1
