"""Recording a change: settle quantities, bump the revision, write the row and its one event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from availability_service.domain.model import (
    Availability,
    EventType,
    Reservation,
    to_snapshot,
)
from availability_service.domain.quantities import settle
from availability_service.service_layer import market
from availability_service.storage import events, lots

# Fields that never matter to a change list: they move on every change.
_BOOKKEEPING = {"revision", "update_time"}
_VISIBILITY = {"market_visibility", "restricted_buyer_ids", "allowed_regions"}
_PRICE = {
    "base_price_amount",
    "base_price_currency",
    "price_unit",
    "price_options",
    "price_type",
    "price_per_base_unit",
}
_QUANTITY = {
    "total_quantity",
    "available_quantity",
    "reserved_quantity",
    "sold_quantity",
    "min_order_quantity",
}


def now() -> datetime:
    return datetime.now(UTC)


def lot_snapshot(lot: Availability) -> dict[str, Any]:
    """The lot as stored in events: everything but the embedding (kept out to stay small)."""
    snap = to_snapshot(lot)
    snap.pop("ai_score_vector", None)
    return snap


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    if before is None:
        return []
    return sorted(k for k, v in after.items() if k not in _BOOKKEEPING and before.get(k) != v)


def update_event_type(fields: list[str]) -> EventType:
    """One event per change: the most specific type that describes it."""
    changed = set(fields)
    if changed & _VISIBILITY:
        return EventType.VISIBILITY_CHANGED
    if changed & _PRICE:
        return EventType.PRICE_CHANGED
    if changed & _QUANTITY:
        return EventType.QUANTITY_CHANGED
    return EventType.UPDATED


def record(
    conn: Connection,
    lot: Availability,
    event_type: EventType,
    actor: str,
    before: dict[str, Any] | None,
    *,
    is_new: bool = False,
    reservation: Reservation | None = None,
) -> list[str]:
    """Writes the lot and exactly one event in the caller's transaction; returns changed fields.

    The revision is bumped by the lot's own write, which comes last (after every lock on
    lots), so the counter row is held only for the final writes and lock order is always
    lots -> counter: no deadlocks.
    """
    settle(lot)
    lot.update_time = now()
    lot.revision = lots.insert_lot(conn, lot) if is_new else lots.update_lot(conn, lot)
    revision = lot.revision
    after = lot_snapshot(lot)
    fields = changed_fields(before, after)
    if reservation is not None:
        reservation.revision = revision
    events.append_event(
        conn,
        revision=revision,
        availability_id=lot.id,
        event_type=event_type.value,
        actor=actor,
        changed_fields=fields,
        before=before,
        after=after,
        reservation_id=None if reservation is None else reservation.id,
        reservation=None if reservation is None else to_snapshot(reservation),
    )
    market.note_change(conn, lot, event_type, before, reservation, lot.update_time)
    return fields
