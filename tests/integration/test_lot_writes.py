"""A lot write and its event are one statement: the event is stored at the lot's revision, with
that revision set in its snapshots by the database, and the counter moves once per write."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, select

from availability_service.app import Application
from availability_service.domain.model import Availability, LotState, to_snapshot
from availability_service.domain.stored_event import NewEvent
from availability_service.storage import lot_writes
from availability_service.storage.tables import availabilities, events

MOMENT = datetime(2026, 1, 2, tzinfo=UTC)


def a_lot() -> Availability:
    return Availability(
        id=uuid.uuid4(),
        seller_id="lot-writes-test",
        commodity="lot-writes-test",
        quantity_unit="t",
        total_quantity=Decimal(10),
        available_quantity=Decimal(10),
        state=LotState.DRAFT,
        create_time=MOMENT,
        update_time=MOMENT,
    )


def test_each_write_stores_its_event_at_the_lots_revision_with_it_in_the_snapshots(
    app: Application, engine: Engine
) -> None:
    del app  # migrated database
    lot = a_lot()
    hold = {"id": str(uuid.uuid4()), "quantity": "2", "revision": 0}
    with engine.connect() as conn, conn.begin() as transaction:
        created = lot_writes.write_lot(
            conn,
            lot,
            NewEvent("CREATED", ["CREATED"], "tester", [], None, to_snapshot(lot)),
            is_new=True,
        )
        lot.revision = created  # as changes.record keeps it
        before = to_snapshot(lot)
        lot.available_quantity, lot.reserved_quantity = Decimal(8), Decimal(2)
        reserved = lot_writes.write_lot(
            conn,
            lot,
            NewEvent(
                "RESERVED",
                ["RESERVED", "QUANTITY_CHANGED"],
                "tester",
                ["available_quantity", "reserved_quantity"],
                before,
                to_snapshot(lot),
                reservation_id=uuid.UUID(hold["id"]),
                reservation=hold,
            ),
            is_new=False,
        )
        stored = conn.execute(
            select(availabilities.c.revision, availabilities.c.available_quantity).where(
                availabilities.c.id == lot.id
            )
        ).one()
        rows = {
            row.revision: row
            for row in conn.execute(select(events).where(events.c.availability_id == lot.id))
        }
        transaction.rollback()
    assert reserved == created + 1  # the counter moved once per write, the lot's row with it
    assert (stored.revision, stored.available_quantity) == (reserved, Decimal(8))
    assert set(rows) == {created, reserved}
    first, second = rows[created], rows[reserved]
    assert first.after["revision"] == created and first.after["id"] == str(lot.id)
    assert first.before is None and first.reservation is None and first.reservation_id is None
    assert second.after["revision"] == reserved and second.after["available_quantity"] == "8"
    assert second.before["revision"] == created
    assert second.reservation == {**hold, "revision": reserved}
    assert second.reservation_id == uuid.UUID(hold["id"])
    assert second.event_types == ["RESERVED", "QUANTITY_CHANGED"]
