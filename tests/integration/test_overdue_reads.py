"""An overdue hold stops counting at once on reads, before any sweeper has run."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine, text

from availability_service.app import Application
from availability_service.auth.principal import Principal, Role
from availability_service.domain.model import HoldState, Reservation
from availability_service.grpc_api.lot_input import draft_from_proto
from availability_service.service_layer.hold_list import HoldQuery
from availability_service.service_layer.sweeper import SWEEPER_LOCK_KEY
from tests.support.lots import cotton_lot

TRADER = Principal("trader-overdue", "co-overdue", frozenset({Role.TRADER}), "IN-GJ")
ADMIN = Principal("admin-overdue", None, frozenset({Role.ADMIN}), None)


@contextlib.contextmanager
def overdue_hold(app: Application, engine: Engine, buyer: str) -> Iterator[Reservation]:
    """A 40 t hold on a fresh 100 t lot, made overdue while the sweeper is held off."""
    created = app.services.lots.create(TRADER, draft_from_proto(cotton_lot()), None)
    assert created.availability is not None
    name = created.availability.name
    app.services.lots.approve(ADMIN, name, "", None)
    held = app.services.holds.reserve(ADMIN, name, "40", timedelta(hours=1), buyer, "", None)
    assert held.reservation is not None
    with engine.begin() as blocker:
        # Hold the sweeper's advisory lock so no sweep can hide what reads do by themselves.
        blocker.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SWEEPER_LOCK_KEY})
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE reservations SET expire_time = now() - interval '1 second' "
                    "WHERE id = :i"
                ),
                {"i": held.reservation.id},
            )
        yield held.reservation


def test_get_shows_an_overdue_hold_as_returned_while_the_sweeper_is_held_off(
    app: Application, engine: Engine
) -> None:
    with overdue_hold(app, engine, "buyer-x") as hold:
        lot = app.services.lots.get(ADMIN, f"availabilities/{hold.availability_id}")
        assert (lot.available_quantity, lot.reserved_quantity) == (Decimal(100), Decimal(0))
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT reserved_quantity FROM availabilities WHERE id = :i"),
                {"i": lot.id},
            ).scalar_one()
        assert stored == Decimal(40)  # nothing was written by the read


def test_list_reservations_lists_an_overdue_hold_as_expired_while_the_sweeper_is_held_off(
    app: Application, engine: Engine
) -> None:
    with overdue_hold(app, engine, "buyer-y") as hold:

        def listed(*states: HoldState) -> list[tuple[str, HoldState]]:
            query = HoldQuery(parent=f"availabilities/{hold.availability_id}", states=states)
            page = app.services.holds.list(ADMIN, query)
            return [(found.name, found.state) for found in page.reservations]

        assert listed(HoldState.ACTIVE) == []
        assert listed(HoldState.EXPIRED) == [(hold.name, HoldState.EXPIRED)]
        assert listed() == [(hold.name, HoldState.EXPIRED)]
