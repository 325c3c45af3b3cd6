"""Engine creation, start-up checks and migrations."""

from __future__ import annotations

import time
from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

log = structlog.get_logger(__name__)

# Inside the package, so an installed wheel migrates without the repository.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# Any constant works; it only has to be the same in every process that migrates.
_MIGRATION_LOCK_KEY = 7_301_001


class DatabaseSetupError(RuntimeError):
    """The database cannot serve this service (for example pgvector is not installed)."""


def make_engine(
    url: str,
    pool_size: int = 16,
    *,
    application_name: str = "availability-service",
    connect_timeout: int = 5,
) -> Engine:
    """Creates the pooled engine; connections check liveness so a restarted server is survived."""
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: it doubles the round trips of every call. A connection that died with a
        # database restart fails one call (UNAVAILABLE, retryable) and the pool is invalidated.
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"application_name": application_name, "connect_timeout": connect_timeout},
    )


def wait_for_database(engine: Engine, timeout_seconds: float = 60.0) -> None:
    """Retries the first connection, logging why, so the service may start before the database."""
    deadline = time.monotonic() + timeout_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return
        except OperationalError as exc:
            if time.monotonic() >= deadline:
                raise DatabaseSetupError(f"database not reachable: {exc.orig}") from exc
            log.warning("database_not_ready", attempt=attempt, error=str(exc.orig).strip())
            time.sleep(min(0.2 * attempt, 2.0))


def _check_pgvector(engine: Engine) -> None:
    with engine.connect() as conn:
        available = conn.execute(
            text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        ).first()
    if available is None:
        raise DatabaseSetupError(
            "the database has no pgvector extension: install pgvector on that server "
            "(https://github.com/pgvector/pgvector) or unset DATABASE_URL to use the embedded one"
        )


def migrate(engine: Engine) -> None:
    """Applies pending migrations; an advisory lock keeps concurrent starters from racing."""
    _check_pgvector(engine)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    log.info("database_migrated")
