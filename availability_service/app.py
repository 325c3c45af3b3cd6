"""The composition root, part one: settings -> database -> use cases -> an Application.

serving.py starts and stops a server over an Application (the CLI, the workers and the tests
alike); open_database is the door the other commands (migrate, check, imports) take.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from availability_service.auth.concurrency import ConcurrencyLimiter
from availability_service.auth.ratelimit import RateLimiter, parse_rate_limits
from availability_service.auth.tokens import DEV_SECRET_FILENAME, AuthConfig, TokenVerifier
from availability_service.config import ConfigurationError, Settings
from availability_service.grpc_api.lot_size import lot_size
from availability_service.intelligence import FeatureEmbedder, catalog_to_rows, load_catalog
from availability_service.read_databases import build_read_router
from availability_service.service_layer.commodities import CommodityService
from availability_service.service_layer.enrichment import LotEnricher
from availability_service.service_layer.holds import HoldService
from availability_service.service_layer.insight import InsightService
from availability_service.service_layer.locations import LocationService, place_lot
from availability_service.service_layer.lot_cache import LotCache
from availability_service.service_layer.lots import LotService
from availability_service.service_layer.ports import UnitOfWork as Storage
from availability_service.service_layer.search import SearchService
from availability_service.services import Services
from availability_service.startup_checks import (
    check_settings,
    development_secret,
    uses_development_secret,
)
from availability_service.storage.catalog import upsert_catalog
from availability_service.storage.database import make_engine, migrate, wait_for_database
from availability_service.storage.embedded import start_embedded_postgres
from availability_service.storage.listener import wake_ups
from availability_service.storage.read_routing import ReadRouter
from availability_service.storage.search_memory import SearchMemory
from availability_service.storage.unit_of_work import SqlUnitOfWork
from availability_service.telemetry.metrics import instrument_pool
from availability_service.telemetry.tracing import instrument_engine
from availability_service.watch.database import WatchDatabase
from availability_service.watch.history import HistoryService

log = structlog.get_logger(__name__)


def database_url(settings: Settings) -> str:
    """DATABASE_URL, else an embedded PostgreSQL: said loudly, and refused in production."""
    if settings.database_url:
        return settings.database_url
    if settings.is_production:
        raise ConfigurationError(
            "AVAILABILITY_ENVIRONMENT=production needs DATABASE_URL: "
            "the embedded PostgreSQL is for development only"
        )
    log.warning(
        "embedded_database",
        detail="no DATABASE_URL: running an embedded PostgreSQL for development only; "
        "set DATABASE_URL for anything that keeps data",
        pgdata=str(settings.data_dir / "pgdata"),
    )
    return start_embedded_postgres(settings.data_dir)


def auth_config(settings: Settings) -> AuthConfig:
    secret: bytes | None = None
    if settings.jwt_secret:
        secret = settings.jwt_secret.encode()
    elif uses_development_secret(settings):
        secret = development_secret(settings)
        log.warning(
            "development_signing_secret",
            path=str(settings.data_dir / DEV_SECRET_FILENAME),
            detail="tokens are verified with a generated development secret that anyone who"
            " can read the data folder can sign with; configure AVAILABILITY_JWT_SECRET or"
            " public keys, and AVAILABILITY_ENVIRONMENT=production, for any shared use",
        )
    public_pem = None
    if settings.jwt_public_key_file:
        with open(settings.jwt_public_key_file) as fh:
            public_pem = fh.read()
    return AuthConfig(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        hs256_secret=secret,
        public_key_pem=public_pem,
        jwks_path=settings.jwt_jwks_file,
    )


@dataclass
class Application:
    """Everything a server process holds; built once, closed once."""

    settings: Settings
    engine: Engine
    # The persistence port the use cases and the background passes write through.
    storage: Storage
    services: Services
    executor: ThreadPoolExecutor
    verifier: TokenVerifier
    rate_limiter: RateLimiter
    concurrency: ConcurrencyLimiter
    # The watch hub's reads (on the primary) and its LISTEN wake-ups.
    watch_database: WatchDatabase
    # Hot standbys serving reads (read_databases.py); None: every read on the primary.
    reads: ReadRouter | None = None

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()
        if self.reads is not None:
            self.reads.dispose()


@contextmanager
def open_database(
    settings: Settings, pool_size: int = 4, *, run_migrations: bool = False
) -> Iterator[Engine]:
    """An engine on the configured (or embedded) database once it answers, optionally migrated;
    disposed at the end. For the commands that need the database but no server."""
    engine = make_engine(database_url(settings), pool_size)
    try:
        wait_for_database(engine)
        if run_migrations:
            migrate(engine)
        yield engine
    finally:
        engine.dispose()


def build_application(settings: Settings, *, run_migrations: bool = True) -> Application:
    check_settings(settings)
    engine = make_engine(database_url(settings), settings.db_pool_size)
    instrument_pool(engine)
    instrument_engine(engine)
    wait_for_database(engine)
    if run_migrations:
        migrate(engine)
    # The catalog is read once per process; the table mirrors it for SQL users and other
    # engines (a commodity added to the YAML is there after the next start).
    catalog = load_catalog()
    with engine.begin() as conn:
        upsert_catalog(conn, catalog_to_rows(catalog))
    embedder = FeatureEmbedder(catalog)
    reads = build_read_router(settings, engine)
    memory = SearchMemory(engine) if settings.search_memory else None
    if memory is not None:
        memory.warm(catalog)
    storage = SqlUnitOfWork(engine, reads, memory)
    services = Services(
        lots=LotService(
            storage,
            LotEnricher(catalog, embedder),
            place_lot,
            lot_size,
            LotCache(settings.get_cache_lots) if settings.get_cache_lots > 0 else None,
        ),
        locations=LocationService(storage),
        holds=HoldService(
            storage, default_ttl=settings.default_hold_ttl, max_ttl=settings.max_hold_ttl
        ),
        search=SearchService(storage, catalog, embedder),
        insight=InsightService(storage, catalog),
        history=HistoryService(storage),
        commodities=CommodityService(catalog),
    )
    return Application(
        settings=settings,
        engine=engine,
        storage=storage,
        services=services,
        # One thread per pooled connection: more threads would only queue on the pool.
        executor=ThreadPoolExecutor(max_workers=settings.db_pool_size, thread_name_prefix="db"),
        verifier=TokenVerifier(auth_config(settings)),
        rate_limiter=RateLimiter(
            parse_rate_limits(settings.rate_limits, settings.rate_limit_enabled)
        ),
        concurrency=ConcurrencyLimiter(settings.max_concurrent_rpcs),
        # LISTEN needs a session of its own: behind a transaction-pooling PgBouncer, a URL
        # straight to PostgreSQL (docs/deployment.md).
        watch_database=WatchDatabase(
            SqlUnitOfWork(engine), wake_ups(engine, settings.listen_database_url), (DBAPIError,)
        ),
        reads=reads,
    )
