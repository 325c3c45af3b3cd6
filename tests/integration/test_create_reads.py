"""A create's messages (BEGIN, its registered location, the market's price baseline, the
COMMIT with the writes) go on the driver's own cursor (storage.driver_read) on real
PostgreSQL: SQLAlchemy's execution path is not taken, the answers are what the table read
gives, and a failure inside the write transaction is SQLAlchemy's error, so the caller's
status and the rollback are as before."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import DBAPIError

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.domain.deadline import Deadline
from availability_service.domain.locations import Location
from availability_service.grpc_api.errors import status_for
from availability_service.grpc_api.lot_input import draft_from_proto
from availability_service.storage import comparables
from availability_service.storage.locations import get_location, upsert_location
from availability_service.storage.tables import locations
from availability_service.storage.unit_of_work import SqlUnitOfWork
from tests.support.lots import cotton_lot


@pytest.fixture
def location(app: Application, engine: Engine) -> Location:
    """A registered location (`app`: the schema migrated)."""
    with engine.begin() as conn:
        return upsert_location(
            conn,
            Location(
                location_id=f"loc-reads-{uuid.uuid4().hex[:8]}",
                owner_id="seller-reads",
                display_name="Rajkot",
                latitude=22.3,
                longitude=70.8,
                region="IN-GJ",
            ),
        )


@contextmanager
def through_sqlalchemy(engine: Engine) -> Iterator[list[str]]:
    """The statements this thread sends through SQLAlchemy's execution path on `engine`
    (the session's server runs background work on the app's engine: sweeper, watch hub)."""
    seen: list[str] = []
    this_thread = threading.get_ident()

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.get_ident() == this_thread:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    with through_sqlalchemy(engine) as seen:
        yield seen


def _baseline(conn: Any, commodity: str = "cotton") -> Any:
    return comparables.price_baseline(
        conn,
        commodity=commodity,
        base_price_unit="INR/kg",
        exclude_id=uuid.uuid4(),
        exclude_seller="seller-reads",
        since=datetime.now(UTC) - timedelta(days=30),
        limit=500,
        per_seller=5,
        scan=5000,
        grade="",
        region="",
        minimum=20,
    )


def test_the_location_read_gives_the_table_row_without_sqlalchemys_execution_path(
    engine: Engine, location: Location, statements: list[str]
) -> None:
    with SqlUnitOfWork(engine).transaction(Deadline.within(30.0)) as tx:
        found = tx.locations.get(location.location_id)
        missing = tx.locations.get("loc-never-registered")
    assert not [s for s in statements if "FROM locations" in s]
    with engine.connect() as conn:
        row = conn.execute(
            select(locations).where(locations.c.location_id == location.location_id)
        ).one()
        assert get_location(conn, location.location_id) == Location(**row._mapping)
    assert found == Location(**row._mapping) == location and missing is None
    assert isinstance(found.latitude, float) and found.update_time is not None


def test_the_baseline_read_gives_the_functions_rows_without_sqlalchemys_execution_path(
    app: Application, engine: Engine, statements: list[str]
) -> None:
    with engine.connect() as conn:
        baseline = _baseline(conn, commodity=f"nothing-{uuid.uuid4().hex[:6]}")
    assert not [s for s in statements if "market_price_baseline" in s]
    # No comparable lot: the widest scope, and no spread of either kind.
    assert baseline.scope == 3 and baseline.every is None and baseline.usable is None


def test_a_priced_create_from_a_location_sends_nothing_through_sqlalchemys_execution_path(
    app: Application, location: Location
) -> None:
    seller = Principal(location.owner_id, "co", frozenset({Role.SELLER}), "IN-GJ")
    draft = draft_from_proto(cotton_lot(location_id=location.location_id))
    with through_sqlalchemy(app.engine) as seen:
        lot = app.services.lots.create(seller, draft, None, Deadline.within(30)).availability
    assert seen == []  # BEGIN, the two reads and the COMMIT message: the driver's cursor
    assert lot is not None and lot.revision > 0 and lot.delivery_region == location.region
    assert lot.price_per_base_unit is not None  # priced: the baseline was read


def test_a_location_read_cut_by_the_deadline_is_deadline_exceeded_and_rolls_back(
    engine: Engine, location: Location
) -> None:
    with engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE locations IN ACCESS EXCLUSIVE MODE"))
        with (
            pytest.raises(DBAPIError) as caught,
            SqlUnitOfWork(engine).transaction(Deadline.within(0.3)) as tx,
        ):
            tx.locations.get(location.location_id)
        blocker.rollback()
    status = status_for(caught.value)
    assert status is not None and status.code == grpc.StatusCode.DEADLINE_EXCEEDED
    # The transaction was rolled back and its connection is fit for the next one.
    with SqlUnitOfWork(engine).transaction(Deadline.within(30.0)) as tx:
        assert tx.locations.get(location.location_id) == location
