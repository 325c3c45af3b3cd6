"""Registered delivery locations: rows of the `locations` table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.elements import ColumnElement

from availability_service.domain.locations import Location
from availability_service.storage import driver_read
from availability_service.storage.tables import locations
from availability_service.storage.write_transaction import DriverStatement


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


# Every create from a registered location reads it (service_layer.locations.place_lot): on the
# driver's cursor, compiled once, since SQLAlchemy's execution path cost five times the read
# itself (storage.driver_read).
_GET = DriverStatement(select(locations).where(locations.c.location_id == bindparam("location_id")))


def get_location(conn: Connection, location_id: str) -> Location | None:
    statement, params = _GET.render(conn.dialect, {"location_id": location_id})
    row, description = driver_read.fetch_one(conn, statement, params)
    if row is None:
        return None
    return Location(**{column[0]: value for column, value in zip(description, row, strict=True)})


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
