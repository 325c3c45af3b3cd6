"""The read router's choice, the x-min-revision header and the read database settings.

Pure unit tests on a router whose standbys are never connected: their probe results are set
by hand. The real standby is exercised in tests/integration/test_read_replicas.py.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine

from availability_service.config import Settings
from availability_service.domain.errors import InvalidArgument
from availability_service.grpc_api.read_consistency import read_scope
from availability_service.storage.read_routing import (
    ReadDatabase,
    ReadRouter,
    ReadScope,
    ReplicaUnavailable,
    run_read,
)
from availability_service.storage.replication import Position, read_database_name

PRIMARY = create_engine("postgresql+psycopg2://primary@/db")


def standby(name: str, replayed: int, lag: float = 0.0, up: bool = True) -> ReadDatabase:
    db = ReadDatabase(name, create_engine(f"postgresql+psycopg2://{name}@/db"))
    db.position = Position(replayed, replayed, lag, time.monotonic())
    db.up = up
    return db


def chosen(router: ReadRouter, scope: ReadScope | None = None) -> str:
    def which() -> str:
        _, db = router.engine_for_read()
        return "primary" if db is None else db.name

    return run_read(scope or ReadScope(), which)


def test_without_standbys_every_read_is_on_the_primary() -> None:
    assert chosen(ReadRouter(PRIMARY)) == "primary"


def test_a_fresh_standby_answers_reads_and_one_never_probed_does_not() -> None:
    never = ReadDatabase("never", create_engine("postgresql+psycopg2://never@/db"))
    assert chosen(ReadRouter(PRIMARY, [never])) == "primary"
    assert chosen(ReadRouter(PRIMARY, [standby("s1", 10)])) == "s1"


def test_a_standby_behind_by_more_than_the_lag_bound_or_down_is_skipped() -> None:
    router = ReadRouter(PRIMARY, [standby("late", 10, lag=6.0)], max_lag_seconds=5.0)
    assert chosen(router) == "primary"
    assert chosen(ReadRouter(PRIMARY, [standby("down", 10, up=False)])) == "primary"
    mixed = ReadRouter(PRIMARY, [standby("late", 10, lag=6.0), standby("ok", 10, lag=1.0)])
    assert {chosen(mixed) for _ in range(4)} == {"ok"}


def test_a_read_naming_a_revision_goes_to_a_standby_that_replayed_it() -> None:
    router = ReadRouter(PRIMARY, [standby("behind", 5), standby("ahead", 9)])
    assert {chosen(router, ReadScope(min_revision=9)) for _ in range(4)} == {"ahead"}
    assert {chosen(router, ReadScope(min_revision=1)) for _ in range(4)} == {"behind", "ahead"}


def test_one_request_keeps_the_database_it_got_for_all_its_reads() -> None:
    router = ReadRouter(PRIMARY, [standby("a", 5), standby("b", 5)])

    def twice() -> tuple[object, object]:
        return router.engine_for_read()[1], router.engine_for_read()[1]

    first, second = run_read(ReadScope(), twice)
    assert first is second


def test_a_read_a_standby_failed_is_run_again_on_the_primary() -> None:
    router = ReadRouter(PRIMARY, [standby("flaky", 5)])
    seen: list[str] = []

    def read() -> str:
        _, db = router.engine_for_read()
        seen.append("primary" if db is None else db.name)
        if db is not None:
            raise ReplicaUnavailable(db.name)
        return "answered"

    assert run_read(ReadScope(), read) == "answered"
    assert seen == ["flaky", "primary"]


def test_a_lag_bound_that_is_not_positive_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="AVAILABILITY_READ_MAX_LAG_SECONDS"):
        ReadRouter(PRIMARY, max_lag_seconds=0)


def test_the_min_revision_header_is_parsed_and_a_bad_one_names_the_header() -> None:
    assert read_scope(None).min_revision == 0
    assert read_scope([("x-min-revision", "42")]).min_revision == 42
    for bad in ["", "-3", "4.2", "\uff11\uff12", "9" * 30]:
        with pytest.raises(InvalidArgument) as error:
            read_scope([("x-min-revision", bad)])
        assert [item.field for item in error.value.violations] == ["x-min-revision"]


def test_read_databases_come_from_the_environment_comma_separated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings.from_env().read_database_urls == ()
    monkeypatch.setenv("AVAILABILITY_READ_DATABASE_URLS", " postgresql://a/x, ,postgresql://b/x ")
    monkeypatch.setenv("AVAILABILITY_READ_MAX_LAG_SECONDS", "2.5")
    settings = Settings.from_env()
    assert settings.read_database_urls == ("postgresql://a/x", "postgresql://b/x")
    assert settings.read_max_lag_seconds == 2.5
    assert read_database_name("postgresql://u:secret@db2:5433/avail") == "db2:5433/avail"


def test_without_read_database_urls_no_router_is_built_and_reads_stay_on_the_primary() -> None:
    from availability_service.read_databases import build_read_router

    assert build_read_router(Settings(), PRIMARY) is None
    router = build_read_router(Settings(read_database_urls=("postgresql://s1@/db",)), PRIMARY)
    assert router is not None
    assert [db.name for db in router.standbys] == ["local/db"]
    router.dispose()
