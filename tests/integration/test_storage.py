"""Storage on real PostgreSQL: constraints, the revision counter, idempotency keys."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.domain.errors import RequestIdReused
from availability_service.grpc_api.lot_input import draft_from_proto
from availability_service.storage import idempotency
from availability_service.storage.tables import events
from tests.support.lots import cotton_lot

TRADER = Principal("trader-storage", "co-storage", frozenset({Role.TRADER}), "IN-GJ")


def create_lot(app: Application) -> uuid.UUID:
    outcome = app.services.lots.create(TRADER, draft_from_proto(cotton_lot()), None)
    assert outcome.availability is not None
    return outcome.availability.id


def test_the_database_refuses_quantities_that_break_the_invariant(
    app: Application, engine: Engine
) -> None:
    lot_id = create_lot(app)
    with pytest.raises(IntegrityError, match="quantity_invariant"), engine.begin() as conn:
        conn.execute(
            text("UPDATE availabilities SET available_quantity = 99 WHERE id = :i"), {"i": lot_id}
        )
    with pytest.raises(IntegrityError, match="quantity_parts_non_negative"), engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE availabilities SET available_quantity = -1, "
                "sold_quantity = 101 WHERE id = :i"
            ),
            {"i": lot_id},
        )


def test_concurrent_writers_get_contiguous_revisions_one_event_each(
    app: Application, engine: Engine
) -> None:
    with engine.connect() as conn:
        start = conn.execute(text("SELECT value FROM revision_counter")).scalar_one()
    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(lambda _: create_lot(app), range(40)))
    assert len(set(created)) == 40
    with engine.connect() as conn:
        revisions = [
            r[0]
            for r in conn.execute(
                select(events.c.revision)
                .where(events.c.availability_id.in_(created))
                .order_by(events.c.revision)
            )
        ]
        end = conn.execute(text("SELECT value FROM revision_counter")).scalar_one()
        total_after_start = conn.execute(
            select(func.count()).select_from(events).where(events.c.revision > start)
        ).scalar_one()
    assert len(revisions) == 40
    # Other sessions' writes may interleave, but the counter never skips or repeats.
    assert total_after_start == end - start


def test_an_idempotency_key_replays_and_refuses_a_different_payload(engine: Engine) -> None:
    rid = str(uuid.uuid4())
    with engine.begin() as conn:
        assert (
            idempotency.claim(conn, principal="p", request_id=rid, method="M", request_hash="h1")
            is None
        )
        idempotency.complete(conn, principal="p", request_id=rid, response={"ok": 1})
    with engine.begin() as conn:
        assert idempotency.claim(
            conn, principal="p", request_id=rid, method="M", request_hash="h1"
        ) == {"ok": 1}
    with pytest.raises(RequestIdReused), engine.begin() as conn:
        idempotency.claim(conn, principal="p", request_id=rid, method="M", request_hash="h2")
    with engine.begin() as conn:
        # Keys are per caller: another principal may use the same request_id.
        assert (
            idempotency.claim(conn, principal="q", request_id=rid, method="M", request_hash="h2")
            is None
        )
