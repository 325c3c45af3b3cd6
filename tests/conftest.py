"""Shared fixtures: one real PostgreSQL, one real server on port 0, authenticated callers."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from sqlalchemy import Engine

from availability_service.app import Application, build_application
from availability_service.config import Settings
from availability_service.storage.database import make_engine, migrate
from tests.support.callers import TEST_SECRET, Caller, make_token
from tests.support.lots import register_location
from tests.support.server import ServerThread

# TLS fixtures (pki, tls_server, mtls_server) for the server's and the clients' TLS tests.
pytest_plugins = ["tests.support.pki"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """TEST_DATABASE_URL, or a fresh embedded PostgreSQL for this test session."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        return external
    from availability_service.storage.embedded import start_embedded_postgres

    # Not under pytest's tmp dir: pytest prunes old base dirs, and concurrent sessions on one
    # machine would delete each other's running database.
    return start_embedded_postgres(
        Path(tempfile.mkdtemp(prefix="avail-test-pg-")), delete_on_exit=True
    )


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


def settings_for(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "jwt_secret": TEST_SECRET.decode(),
        "address": "127.0.0.1:0",
        "sweep_interval_seconds": 0.2,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def app(database_url: str, data_dir: Path) -> Iterator[Application]:
    application = build_application(settings_for(database_url, data_dir))
    yield application
    application.close()


@pytest.fixture(scope="session")
def server(app: Application) -> Iterator[ServerThread]:
    thread = ServerThread(app).start()
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def channel(server: ServerThread) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.address) as ch:
        yield ch


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url, pool_size=4)
    # Migrated here too, not only by the application: a test that asks for the engine alone
    # (run by itself, before any test built the application) finds the schema in place.
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def caller(channel: grpc.Channel) -> Callable[..., Caller]:
    """caller(roles, sub=None, company=None, region=None) -> a Caller with a fresh identity.

    A SELLER also gets a registered location of its own (`caller.location_id`, at the point
    cotton_lot() names), registered by an ADMIN through the real RPC, and posts from it by
    default; pass location=False for a seller without one.
    """
    registrar = Caller(
        channel, make_token("admin-location-registrar", ["ADMIN"]), "admin-location-registrar"
    )

    def make(
        *roles: str,
        sub: str | None = None,
        company: str | None = None,
        region: str | None = None,
        location: bool = True,
    ) -> Caller:
        subject = sub or f"{roles[0].lower()}-{uuid.uuid4().hex[:8]}"
        made = Caller(channel, make_token(subject, roles, company, region), subject)
        if location and "SELLER" in roles:
            made.location_id = register_location(registrar, subject).location_id
        return made

    return make


@pytest.fixture
def seller(caller: Callable[..., Caller]) -> Caller:
    return caller("SELLER", company=f"co-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def admin(caller: Callable[..., Caller]) -> Caller:
    return caller("ADMIN")


@pytest.fixture
def buyer(caller: Callable[..., Caller]) -> Caller:
    return caller("BUYER", region="IN-GJ")


@pytest.fixture
def service(caller: Callable[..., Caller]) -> Caller:
    return caller("SERVICE")


@pytest.fixture(scope="session", autouse=True)
def _quiet_logs() -> None:
    """Tests assert on behaviour, not on log lines; keep the output readable."""
    from availability_service.logs import configure_logging

    configure_logging("warning", json=False)
