"""The migrations: a new database reaches head and every downgrade undoes its upgrade."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from availability_service.intelligence.embedding import EMBEDDING_DIM
from availability_service.storage.database import MIGRATIONS_DIR, make_engine, migrate
from tests.support.databases import fresh_database


@pytest.fixture
def fresh_engine(database_url: str) -> Iterator[Engine]:
    """An empty database of its own on the test server, dropped afterwards."""
    with fresh_database(database_url, "migrations") as url:
        engine = make_engine(url, 2)
        try:
            yield engine
        finally:
            engine.dispose()


def _alembic(engine: Engine, verb: str, target: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, target)


def _schema(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT 'table', tablename FROM pg_tables WHERE schemaname = 'public' "
                "UNION ALL SELECT 'index', indexname FROM pg_indexes WHERE schemaname = 'public'"
            )
        )
        return {(kind, name) for kind, name in rows}


def test_every_downgrade_undoes_its_upgrade(fresh_engine: Engine) -> None:
    migrate(fresh_engine)
    at_head = _schema(fresh_engine)
    assert ("index", "reservations_active_by_lot") in at_head
    _alembic(fresh_engine, "downgrade", "0002_search")
    assert ("index", "reservations_active_by_lot") not in _schema(fresh_engine)
    _alembic(fresh_engine, "downgrade", "base")
    assert {name for kind, name in _schema(fresh_engine) if kind == "table"} <= {"alembic_version"}
    migrate(fresh_engine)
    assert _schema(fresh_engine) == at_head


def test_the_migrated_vector_column_is_as_wide_as_the_embedders_vectors(
    fresh_engine: Engine,
) -> None:
    # The migration keeps its own copy of the width; the table and the embedder share one.
    migrate(fresh_engine)
    with fresh_engine.connect() as conn:
        width = conn.execute(
            text(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = 'availabilities'::regclass AND attname = 'ai_score_vector'"
            )
        ).scalar_one()
    assert width == f"vector({EMBEDDING_DIM})"
