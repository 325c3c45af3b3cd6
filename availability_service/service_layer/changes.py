"""Recording a change: settle quantities, bump the revision, write the row and its one event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from availability_service.domain.field_paths import field_paths
from availability_service.domain.model import (
    Availability,
    EventType,
    Reservation,
    to_snapshot,
)
from availability_service.domain.quantities import settle
from availability_service.domain.stored_event import NewEvent
from availability_service.service_layer import market
from availability_service.service_layer.ports import Transaction

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
    return to_snapshot(lot, _NOT_IN_EVENTS)


_NOT_IN_EVENTS = frozenset({"ai_score_vector"})


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    if before is None:
        return []
    return sorted(k for k, v in after.items() if k not in _BOOKKEEPING and before.get(k) != v)


# Types that describe what changed on the lot, in precedence order (the primary of an update).
_KINDS = (
    (EventType.VISIBILITY_CHANGED, _VISIBILITY),
    (EventType.PRICE_CHANGED, _PRICE),
    (EventType.QUANTITY_CHANGED, _QUANTITY),
)
_UPDATES = frozenset({EventType.UPDATED, *(kind for kind, _ in _KINDS)})
# Columns the service derives from others (state from quantities, scores from the lot): a
# change of them alone does not make an update UPDATED as well.
_DERIVED = {
    "state",
    "quantity_in_base_unit",
    "base_quantity_unit",
    "base_price_unit",
    "normalized_quality_params",
    "ai_suggested_price",
    "ai_confidence_score",
    "ai_price_anomaly",
    "ai_anomaly_reason",
    "ai_anomaly_score",
}
_QUALIFIED = _VISIBILITY | _PRICE | _QUANTITY | _DERIVED


def update_event_type(fields: list[str]) -> EventType:
    """The primary type of an update: the most specific type that describes it."""
    changed = set(fields)
    for kind, columns in _KINDS:
        if changed & columns:
            return kind
    return EventType.UPDATED


def event_types(primary: EventType, fields: list[str]) -> list[EventType]:
    """Every type that applies to a change, the primary first.

    A reserve, release, sale or hold expiry moves quantities, so it is also QUANTITY_CHANGED;
    an update of price and visibility is both; an update that also changed other fields is
    UPDATED too. Lifecycle types (CREATED, APPROVED, ...) add only what their fields show.
    """
    changed = set(fields)
    out = [primary]
    for kind, columns in _KINDS:
        if changed & columns and kind not in out:
            out.append(kind)
    if primary in _UPDATES and changed - _QUALIFIED and EventType.UPDATED not in out:
        out.append(EventType.UPDATED)
    return out


def record(
    tx: Transaction,
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
    lots), so the counter row is held only for the final write and lock order is always
    lots -> counter: no deadlocks. Everything the event says is worked out before that
    write, and the lot and its event go in one statement (the store sets the revision in
    the snapshots), so nothing else runs while the counter is held.
    """
    settle(lot)
    lot.update_time = now()
    after = lot_snapshot(lot)
    fields = changed_fields(before, after)
    event = NewEvent(
        event_type=event_type.value,
        event_types=[kind.value for kind in event_types(event_type, fields)],
        actor=actor,
        changed_fields=field_paths(fields, before, after),
        before=before,
        after=after,
        reservation_id=None if reservation is None else reservation.id,
        reservation=None if reservation is None else to_snapshot(reservation),
    )
    if is_new:
        tx.lots.add(lot, event)  # sets lot.revision, at the latest when the commit is through
    else:
        lot.revision = tx.lots.save(lot, event)
    if reservation is not None:
        reservation.revision = lot.revision
    market.note_change(tx, lot, event_type, before, reservation, lot.update_time)
    return fields
