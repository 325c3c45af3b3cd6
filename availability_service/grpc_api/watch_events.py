"""One stored event as one caller may see it: the conversion every watch stream and the
history (ListAvailabilityEvents) use, so both show a caller exactly the same thing.

An event's protobuf parts are built once per process, on first use, and shared by every
stream: its lot per redacted view (visibility.redact depends only on whether the viewer sees
everything), its hold and its time. They live beside the event (a weak map, gone with it),
not in it: the watch speaks domain values, the wire is this layer's business.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.domain.model import availability_from_snapshot, reservation_from_snapshot
from availability_service.grpc_api.lot_output import (
    availability_to_pb,
    reservation_to_pb,
    to_timestamp,
)
from availability_service.watch.feed import WatchEvent
from availability_service.watch.filters import ChangeKind, visible_to
from tradedesk.availability.v1 import resources_pb2 as pb
from tradedesk.availability.v1 import watch_pb2

_KIND = {
    ChangeKind.ADDED: watch_pb2.CHANGE_KIND_ADDED,
    ChangeKind.MODIFIED: watch_pb2.CHANGE_KIND_MODIFIED,
    ChangeKind.DELETED: watch_pb2.CHANGE_KIND_DELETED,
}


@dataclass
class _Forms:
    """The protobuf parts of one event, each built once."""

    lots: dict[tuple[str, bool], pb.Availability] = field(default_factory=dict)
    # Built on first use by event_to_pb (WatchSearch needs only lots). No reference to the
    # event itself: the weak map's value must not keep its key alive.
    reservation: pb.Reservation | None = None
    event_time: Any = None
    built: bool = False


_FORMS: weakref.WeakKeyDictionary[WatchEvent, _Forms] = weakref.WeakKeyDictionary()


def _forms(event: WatchEvent) -> _Forms:
    found = _FORMS.get(event)
    if found is None:
        found = _FORMS[event] = _Forms()
    return found


def _event_forms(event: WatchEvent) -> _Forms:
    """The forms with the event's hold and time built too."""
    forms = _forms(event)
    if not forms.built:
        if event.reservation is not None:
            forms.reservation = reservation_to_pb(reservation_from_snapshot(event.reservation))
        forms.event_time = to_timestamp(event.event_time)
        forms.built = True
    return forms


def after_for(event: WatchEvent, viewer: Principal) -> pb.Availability:
    """The lot after the event, as `viewer` may read it (visibility.redact)."""
    return _lot_pb(event, "after", viewer)


def before_for(event: WatchEvent, viewer: Principal) -> pb.Availability | None:
    """The lot before the event (None for a creation), as `viewer` may read it."""
    if event.before is None:
        return None
    return _lot_pb(event, "before", viewer)


def _lot_pb(event: WatchEvent, which: str, viewer: Principal) -> pb.Availability:
    lots = _forms(event).lots
    key = (which, event.sees_everything(viewer))
    found = lots.get(key)
    if found is None:
        snapshot = event.after if which == "after" else event.before
        assert snapshot is not None  # before_for answers None for a creation
        found = lots[key] = availability_to_pb(availability_from_snapshot(snapshot), viewer)
    return found


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
    field rules (visibility.redact, through after_for / before_for).
    """
    forms = _event_forms(event)
    lot = after_for(event, principal)
    if kind is ChangeKind.DELETED and not visible_to(principal, event.after):
        # The caller lost sight of the lot: show the last state it was allowed to see.
        lot = before_for(event, principal) or lot
    out = watch_pb2.AvailabilityEvent(
        revision=event.revision,
        type=event_type_pb(event.event_type),
        types=[event_type_pb(name) for name in event.types],
        change=_KIND[kind],
        availability=lot,
        changed_fields=event.changed_fields_for(principal),
        actor=event.actor_for(principal),
        event_time=forms.event_time,
    )
    # The lot before the change, only if the caller could see it then (a lot that just
    # became visible to it has no past it may read).
    previous = before_for(event, principal)
    if previous is not None and event.before is not None and visible_to(principal, event.before):
        out.previous.CopyFrom(previous)
    if forms.reservation is not None and may_see_hold(principal, event):
        out.reservation.CopyFrom(forms.reservation)
    return out


def may_see_hold(principal: Principal, event: WatchEvent) -> bool:
    """A hold is the business of the seller, its buyer, and privileged callers only."""
    hold = event.reservation or {}
    return principal.is_privileged or principal.subject in (
        event.after.get("seller_id"),
        hold.get("buyer_id"),
    )
