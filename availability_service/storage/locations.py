"""Registered delivery locations: rows of the `locations` table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.locations import Location
from availability_service.storage.tables import locations


def _row_to_location(row: Any) -> Location:
    return Location(**dict(row._mapping))


def upsert_location(conn: Connection, location: Location) -> Location:
    """Insert or replace by location_id; returns the stored row (update_time set by us)."""
    values = {
        "location_id": location.location_id,
        "owner_id": location.owner_id,
        "display_name": location.display_name,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "region": location.region,
        "update_time": func.now(),
    }
    statement = insert(locations).values(**values)
    upsert = statement.on_conflict_do_update(
        index_elements=[locations.c.location_id],
        set_={k: statement.excluded[k] for k in values if k != "location_id"},
    ).returning(*locations.c)
    return _row_to_location(conn.execute(upsert).one())


def get_location(conn: Connection, location_id: str) -> Location | None:
    row = conn.execute(select(locations).where(locations.c.location_id == location_id)).first()
    return None if row is None else _row_to_location(row)


def list_locations(
    conn: Connection, *, owner_id: str = "", after: str | None = None, limit: int = 100
) -> list[Location]:
    """Ordered by location_id and keyset-paged on it, so upserts never shift a page."""
    t = locations
    conditions: list[ColumnElement[bool]] = []
    if owner_id:
        conditions.append(t.c.owner_id == owner_id)
    if after is not None:
        conditions.append(t.c.location_id > after)
    query = select(t).where(and_(True, *conditions)).order_by(t.c.location_id).limit(limit)
    return [_row_to_location(r) for r in conn.execute(query)]
