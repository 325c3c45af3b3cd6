"""The commodity catalog in the database: one row per commodity, upserted at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func
from sqlalchemy.dialects.postgresql import insert

from availability_service.storage.tables import commodities


def upsert_catalog(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or update every commodity by code; returns how many rows were written.

    A row already written by a newer catalog version is left alone, so an old process
    starting during a rolling upgrade cannot downgrade the table. Commodities removed from
    the file stay in the table (lots may still name them).
    """
    written = 0
    for row in rows:
        statement = insert(commodities).values(
            code=row["code"],
            display_name=row["display_name"],
            family=row["family"],
            catalog_version=row["catalog_version"],
            spec=row,
            update_time=func.now(),
        )
        statement = statement.on_conflict_do_update(
            index_elements=[commodities.c.code],
            set_={
                "display_name": statement.excluded.display_name,
                "family": statement.excluded.family,
                "catalog_version": statement.excluded.catalog_version,
                "spec": statement.excluded.spec,
                "update_time": func.now(),
            },
            where=commodities.c.catalog_version <= statement.excluded.catalog_version,
        )
        written += conn.execute(statement).rowcount or 0
    return written
