"""A WatchAvailabilitiesRequest read off the wire: every field validated at once into the
watch's own terms (watch.filters.WatchRequest); INVALID_ARGUMENT names each bad field."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from availability_service.domain.errors import Violations
from availability_service.domain.model import EventType
from availability_service.watch.filters import WatchFilter, WatchRequest
from tradedesk.availability.v1 import watch_pb2

MAX_FILTER_VALUES = 1000
MAX_FILTER_VALUE_LENGTH = 200
MIN_PROGRESS_SECONDS = 0.1
MAX_PROGRESS_SECONDS = 3600.0
_NAME_PREFIX = "availabilities/"
_EVENT_TYPE_PREFIX = "EVENT_TYPE_"


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
