"""One stored event as one caller may see it: the conversion every watch stream and the
history (ListAvailabilityEvents) use, so both show a caller exactly the same thing."""

from __future__ import annotations

from availability_service.auth.principal import Principal
from availability_service.watch.feed import WatchEvent
from availability_service.watch.filters import ChangeKind, visible_to
from tradedesk.availability.v1 import watch_pb2

_KIND = {
    ChangeKind.ADDED: watch_pb2.CHANGE_KIND_ADDED,
    ChangeKind.MODIFIED: watch_pb2.CHANGE_KIND_MODIFIED,
    ChangeKind.DELETED: watch_pb2.CHANGE_KIND_DELETED,
}


def event_type_pb(name: str) -> int:
    try:
        return int(watch_pb2.EventType.Value(f"EVENT_TYPE_{name}"))
    except ValueError:
        return watch_pb2.EVENT_TYPE_UNSPECIFIED


def event_to_pb(
    principal: Principal, event: WatchEvent, kind: ChangeKind
) -> watch_pb2.AvailabilityEvent:
    """The event for this principal, whose relation to the lot is `kind`.

    The lot, its previous state, the changed fields and the actor all pass the per-viewer
    field rules (visibility.redact, through WatchEvent.after_for / before_for).
    """
    lot = event.after_for(principal)
    if kind is ChangeKind.DELETED and not visible_to(principal, event.after):
        # The caller lost sight of the lot: show the last state it was allowed to see.
        lot = event.before_for(principal) or lot
    out = watch_pb2.AvailabilityEvent(
        revision=event.revision,
        type=event_type_pb(event.event_type),
        types=[event_type_pb(name) for name in event.types],
        change=_KIND[kind],
        availability=lot,
        changed_fields=event.changed_fields_for(principal),
        actor=event.actor_for(principal),
        event_time=event.event_time_pb,
    )
    # The lot before the change, only if the caller could see it then (a lot that just
    # became visible to it has no past it may read).
    previous = event.before_for(principal)
    if previous is not None and event.before is not None and visible_to(principal, event.before):
        out.previous.CopyFrom(previous)
    if event.reservation_pb is not None and may_see_hold(principal, event):
        out.reservation.CopyFrom(event.reservation_pb)
    return out


def may_see_hold(principal: Principal, event: WatchEvent) -> bool:
    """A hold is the business of the seller, its buyer, and privileged callers only."""
    hold = event.reservation or {}
    return principal.is_privileged or principal.subject in (
        event.after.get("seller_id"),
        hold.get("buyer_id"),
    )
