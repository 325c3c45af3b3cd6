"""What a watcher asked for, and how each event relates to it (Kubernetes filtered watches).

A lot "matches" a watcher when it passes the request's filters (AND across filters, OR within
one), is not deleted, and is visible to the watcher's principal. The change kind of an event
follows from whether the lot matched before and after it.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from availability_service.auth.principal import Principal
from availability_service.auth.visibility import can_see
from availability_service.domain.errors import Violations
from availability_service.domain.model import EventType
from tradedesk.availability.v1 import watch_pb2

MAX_FILTER_VALUES = 1000
MAX_FILTER_VALUE_LENGTH = 200
MIN_PROGRESS_SECONDS = 0.1
MAX_PROGRESS_SECONDS = 3600.0
_NAME_PREFIX = "availabilities/"
_EVENT_TYPE_PREFIX = "EVENT_TYPE_"


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


def _values(
    field: str, raw: Iterable[str], violations: Violations, fold: bool = False
) -> frozenset[str]:
    values = list(raw)
    if len(values) > MAX_FILTER_VALUES:
        violations.add(field, f"at most {MAX_FILTER_VALUES} values")
        return frozenset()
    out = set()
    for i, value in enumerate(values):
        if not value.strip() or len(value) > MAX_FILTER_VALUE_LENGTH:
            violations.add(
                f"{field}[{i}]",
                f"must be non-empty and at most {MAX_FILTER_VALUE_LENGTH} characters",
            )
        out.add(value.casefold() if fold else value)
    return frozenset(out)


def _lot_ids(names: Iterable[str], violations: Violations) -> frozenset[uuid.UUID]:
    names = list(names)
    if len(names) > MAX_FILTER_VALUES:
        violations.add("names", f"at most {MAX_FILTER_VALUES} values")
        return frozenset()
    out = set()
    for i, name in enumerate(names):
        try:
            if not name.startswith(_NAME_PREFIX):
                raise ValueError(name)
            out.add(uuid.UUID(name[len(_NAME_PREFIX) :]))
        except ValueError:
            violations.add(f"names[{i}]", "must look like 'availabilities/{uuid}'")
    return frozenset(out)


def _event_types(raw: Iterable[int], violations: Violations) -> frozenset[EventType]:
    out = set()
    for i, number in enumerate(raw):
        try:
            name = watch_pb2.EventType.Name(number)
            if number == watch_pb2.EVENT_TYPE_UNSPECIFIED:
                raise ValueError(name)
            out.add(EventType(name[len(_EVENT_TYPE_PREFIX) :]))
        except ValueError:
            violations.add(f"event_types[{i}]", f"unknown event type {number}")
    return frozenset(out)


@dataclass(frozen=True)
class WatchRequest:
    """A validated WatchAvailabilitiesRequest."""

    filter: WatchFilter
    start_revision: int
    send_initial_state: bool
    progress_seconds: float | None


def parse_request(request: Any) -> WatchRequest:
    """Validates every field at once; INVALID_ARGUMENT names each bad one."""
    violations = Violations()
    flt = WatchFilter(
        commodities=_values("commodities", request.commodities, violations, fold=True),
        seller_ids=_values("seller_ids", request.seller_ids, violations),
        delivery_regions=_values(
            "delivery_regions", request.delivery_regions, violations, fold=True
        ),
        lot_ids=_lot_ids(request.names, violations),
        event_types=_event_types(request.event_types, violations),
    )
    if request.start_revision < 0:
        violations.add("start_revision", "must not be negative")
    elif request.start_revision > 0 and request.send_initial_state:
        violations.add(
            "start_revision", "must be 0 with send_initial_state (the initial state is 'now')"
        )
    progress: float | None = None
    if request.HasField("progress_notify_interval"):
        interval = request.progress_notify_interval
        seconds = interval.seconds + interval.nanos / 1e9
        if interval.nanos < 0 or interval.seconds < 0 or interval.nanos >= 1_000_000_000:
            violations.add("progress_notify_interval", "must be a valid non-negative duration")
        elif seconds and not MIN_PROGRESS_SECONDS <= seconds <= MAX_PROGRESS_SECONDS:
            violations.add(
                "progress_notify_interval",
                f"must be between {MIN_PROGRESS_SECONDS}s and "
                f"{MAX_PROGRESS_SECONDS:.0f}s, or zero for none",
            )
        elif seconds:
            progress = seconds
    violations.raise_if_any()
    return WatchRequest(
        flt, int(request.start_revision), bool(request.send_initial_state), progress
    )
