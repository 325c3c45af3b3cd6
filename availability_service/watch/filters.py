"""What a watcher asked for, and how each event relates to it (Kubernetes filtered watches).

A lot "matches" a watcher when it passes the request's filters (AND across filters, OR within
one), is not deleted, and is visible to the watcher's principal. The change kind of an event
follows from whether the lot matched before and after it.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.auth.visibility import can_see
from availability_service.domain.model import EventType


class ChangeKind(enum.StrEnum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


@dataclass(frozen=True)
class WatchFilter:
    """The request's filters; an empty set means "no restriction" for that dimension."""

    commodities: frozenset[str] = frozenset()
    seller_ids: frozenset[str] = frozenset()
    delivery_regions: frozenset[str] = frozenset()
    lot_ids: frozenset[uuid.UUID] = frozenset()
    event_types: frozenset[EventType] = frozenset()

    def matches_lot(self, snapshot: Mapping[str, Any]) -> bool:
        """The lot-level filters (commodity, seller, region, name) on a lot snapshot."""
        if (
            self.commodities
            and str(snapshot.get("commodity", "")).casefold() not in self.commodities
        ):
            return False
        if self.seller_ids and snapshot.get("seller_id") not in self.seller_ids:
            return False
        if (
            self.delivery_regions
            and str(snapshot.get("delivery_region", "")).casefold() not in self.delivery_regions
        ):
            return False
        return not (self.lot_ids and _lot_id(snapshot) not in self.lot_ids)

    def wants_types(self, event_types: Collection[str]) -> bool:
        """An event passes when any of its types is wanted (AvailabilityEvent.types)."""
        return not self.event_types or any(kind in self.event_types for kind in event_types)


def _lot_id(snapshot: Mapping[str, Any]) -> uuid.UUID | None:
    raw = snapshot.get("id")
    if isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def visible_to(principal: Principal, snapshot: Mapping[str, Any]) -> bool:
    """The watcher may see this lot (the same rule as every read RPC)."""
    return can_see(
        principal,
        str(snapshot.get("seller_id", "")),
        snapshot.get("company_id") or None,
        str(snapshot.get("market_visibility", "")),
        snapshot.get("restricted_buyer_ids") or (),
        snapshot.get("allowed_regions") or (),
        state=str(snapshot.get("state", "")),
    )


def matches(flt: WatchFilter, principal: Principal, snapshot: Mapping[str, Any] | None) -> bool:
    """The lot is one this watcher follows: filtered in, not deleted, and visible."""
    if snapshot is None or snapshot.get("delete_time") is not None:
        return False
    return flt.matches_lot(snapshot) and visible_to(principal, snapshot)


def change_kind(
    flt: WatchFilter,
    principal: Principal,
    event_types: Collection[str],
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
) -> ChangeKind | None:
    """ADDED, MODIFIED or DELETED for this watcher, or None when the event is not for it."""
    if not flt.wants_types(event_types):
        return None
    was = matches(flt, principal, before)
    now = matches(flt, principal, after)
    if was and now:
        return ChangeKind.MODIFIED
    if now:
        return ChangeKind.ADDED
    if was:
        return ChangeKind.DELETED
    return None


@dataclass(frozen=True)
class WatchRequest:
    """What a watcher asked for, validated (grpc_api.watch_input reads it off the wire)."""

    filter: WatchFilter
    start_revision: int
    send_initial_state: bool
    progress_seconds: float | None
