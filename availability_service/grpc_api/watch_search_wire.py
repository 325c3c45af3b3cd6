"""WatchSearch messages in their wire form, spliced from bytes that streams share.

A change's lot is most of its message, and it is the same for every stream that sees the same
redacted view of it (visibility.redact has two: the owner and privileged roles, and everyone
else), so it is serialised once per event and view; a score factor is serialised once per
value; each stream adds only its own kind, score and revision, as bytes. Building a
SearchResult object per stream instead copied the lot three times (into the result, the
change and the response) before gRPC serialised it once more.

The bytes are exactly those protobuf's serialiser writes for the same message (fields in
number order, proto3 defaults left out; the unit tests compare them), and WatchSearch hands
them to gRPC as they are (`wire`, its response serialiser).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from availability_service.auth.principal import Principal
from availability_service.grpc_api.search_rpc import factor_to_pb
from availability_service.grpc_api.watch_events import after_for
from availability_service.intelligence import Factor
from availability_service.service_layer.search import SearchHit
from availability_service.watch.feed import WatchEvent

# Field keys (field number << 3 | wire type) of the messages written here.
_RESULT_LOT, _RESULT_SCORE, _RESULT_FACTOR, _RESULT_DISTANCE = b"\x0a", b"\x11", b"\x1a", b"\x21"
_CHANGE_KIND, _CHANGE_NAME, _CHANGE_RESULT, _CHANGE_REVISION, _CHANGE_TYPES = (
    b"\x08",
    b"\x12",
    b"\x1a",
    b"\x20",
    b"\x2a",
)
_RESPONSE_REVISION, _RESPONSE_CHANGE = b"\x08", b"\x12"
_ZERO_DOUBLE = bytes(8)
_DOUBLE = struct.Struct("<d")

# In each event's memo: its lot serialised per view (sees everything or not), and per view
# the parts of a change that every criteria shares (event_change).
_LOT, _PARTS = "watch_search_wire.lot", "watch_search_wire.parts"
# Score factors by value (most are equal across the searches of a lot state); bounded.
# Keyed by a plain tuple of the factor's fields: hashing and comparing a dataclass calls its
# generated Python methods, five times per change built.
_FACTORS: dict[tuple[str, float, float, float, float | None], bytes] = {}
FACTOR_CACHE_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class Encoded:
    """A serialised WatchSearchResponse, with the revision it carries (for the send timer)."""

    revision: int
    data: bytes


def varint(value: int) -> bytes:
    """A non-negative integer as a protobuf varint."""
    if value < 0x80:
        return _SMALL[value]
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


_SMALL = [bytes((i,)) for i in range(0x80)]  # lengths of small fields, kinds, counts


def _field(key: bytes, data: bytes) -> bytes:
    return key + varint(len(data)) + data


def _double(key: bytes, value: float) -> bytes:
    packed = _DOUBLE.pack(value)
    return b"" if packed == _ZERO_DOUBLE else key + packed


def event_lot(event: WatchEvent, viewer: Principal, view: bool | None = None) -> bytes:
    """The lot after the event as `viewer` may read it (watch_events.after_for), serialised
    once per event and view (`view`: event.sees_everything(viewer), when known)."""
    if view is None:
        view = event.sees_everything(viewer)
    key = (_LOT, view)
    found: bytes | None = event.memo.get(key)
    if found is None:
        found = event.memo[key] = after_for(event, viewer).SerializeToString()
    return found


def _factor(factor: Factor, hit: SearchHit) -> bytes:
    # The distance factor's detail names the distance (factor_to_pb): part of its key.
    name = factor.name
    distance = hit.distance_km if name == "distance" else None
    key = (name, factor.weight, factor.value, factor.contribution, distance)
    found = _FACTORS.get(key)
    if found is None:
        if len(_FACTORS) >= FACTOR_CACHE_SIZE:
            _FACTORS.clear()
        found = _FACTORS[key] = _field(
            _RESULT_FACTOR, factor_to_pb(factor, hit).SerializeToString()
        )
    return found


def result(lot: bytes, hit: SearchHit) -> bytes:
    """A SearchResult (grpc_api.search_rpc.search_result_pb) around the serialised lot."""
    return _field(_RESULT_LOT, lot) + _scored(hit)


def _scored(hit: SearchHit) -> bytes:
    """The SearchResult's fields after the lot: score, breakdown, distance."""
    parts = [_double(_RESULT_SCORE, hit.score)]
    parts += [_factor(f, hit) for f in hit.breakdown]
    if hit.distance_km is not None:
        parts.append(_RESULT_DISTANCE + _DOUBLE.pack(hit.distance_km))
    return b"".join(parts)


def event_change(
    kind: int,
    event: WatchEvent,
    viewer: Principal,
    types: bytes,
    hit: SearchHit,
    view: bool | None = None,
) -> bytes:
    """change(kind, name, event.revision, types, result(event_lot(event, viewer), hit)), with
    what every criteria shares (the name, the result's lot field, the revision and types)
    built once per event and view: a change costs its score and breakdown, and one join.
    `view`: event.sees_everything(viewer), when known."""
    if view is None:
        view = event.sees_everything(viewer)
    key = (_PARTS, view)
    parts: tuple[bytes, bytes, bytes] | None = event.memo.get(key)
    if parts is None:
        parts = event.memo[key] = (
            _field(_CHANGE_NAME, hit.availability.name.encode()),
            _field(_RESULT_LOT, event_lot(event, viewer, view)),
            _CHANGE_REVISION + varint(event.revision) + types,
        )
    name, lot, tail = parts
    scored = _scored(hit)
    head = _CHANGE_KIND + varint(kind) if kind else b""
    size = varint(len(lot) + len(scored))
    return b"".join((head, name, _CHANGE_RESULT, size, lot, scored, tail))


def change(kind: int, name: str, revision: int, types: bytes, found: bytes | None) -> bytes:
    """A SearchChange: `types` from event_types, `found` from result (None: no result)."""
    parts = [
        _CHANGE_KIND + varint(kind) if kind else b"",
        _field(_CHANGE_NAME, name.encode()) if name else b"",
    ]
    if found is not None:
        parts.append(_field(_CHANGE_RESULT, found))
    if revision:
        parts.append(_CHANGE_REVISION + varint(revision))
    parts.append(types)
    return b"".join(parts)


def event_types(types: list[int]) -> bytes:
    """SearchChange.event_types (packed), encoded once per event."""
    if not types:
        return b""
    return _field(_CHANGE_TYPES, b"".join(varint(t) for t in types))


def response(revision: int, changes: list[bytes]) -> Encoded:
    """A WatchSearchResponse of these serialised changes."""
    head = _RESPONSE_REVISION + varint(revision) if revision else b""
    return Encoded(revision, head + b"".join(_field(_RESPONSE_CHANGE, c) for c in changes))
