"""Hypothesis strategies for hostile protobuf messages of any type, built from its descriptor."""

from __future__ import annotations

import math
import uuid
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

F = FieldDescriptor
# Lengths and counts the service limits (validation.py, lot_input.py, holds.py, locations.py).
LIMITS = (32, 64, 128, 200, 1000, 2048, 4000)
SOME_ID = uuid.UUID(int=0xDEADBEEF)
HOSTILE_TEXT = [
    "",
    " ",
    "'; DROP TABLE availabilities; --",
    "' OR '1'='1",
    '{"$ne": null}',
    '"},{"a":',
    "\\",
    "%",
    "_%",
    "\x00",
    "a\x00b",
    "\u202e",
    "😀" * 40,
    "\ufeff",
    "null",
    "undefined",
    "availabilities/",
    "availabilities/not-a-uuid",
    f"availabilities/{SOME_ID}",
    f"availabilities/{SOME_ID}/reservations/{SOME_ID}",
    f"availabilities/{SOME_ID}/reservations/",
    "availabilities/../../etc/passwd",
    "reservations/1",
    "NaN",
    "Infinity",
    "-Infinity",
    "-1",
    "0",
    "-0",
    "1e999",
    "1E+5",
    "0x10",
    "99999999999999999999999999.9999999",
    "0.0000001",
    " 12 ",
    "1" * 40,
    "eyJhbGciOiJub25lIn0.e30.",
    "!!!not-base64!!!",
    "Zm9v",
    "ABCD" * 16,
    "IN-GJ",
    "cotton",
    "t",
    "USD",
    "FOB",
    "A" * 5000,
    "x" * 200_000,
    # Multi-byte text on each side of the service's limits (64, 128, 200, 1000, 2048 and 4000
    # characters): 2-, 3- and 4-byte UTF-8, so a byte limit and a character limit disagree.
    *(
        ch * n
        for ch in ("é", "€", "😀")
        for limit in LIMITS
        for n in (limit // 4, limit, limit + 1)
    ),
]
INT32 = [0, 1, -1, 7, 2**31 - 1, -(2**31)]
INT64 = [*INT32, 2**63 - 1, -(2**63), 10**15]
# Subnormals (the smallest is 5e-324), the smallest normal, tiny normals whose products
# underflow, the largest doubles, infinities and NaN: each has ended in INTERNAL somewhere.
HOSTILE_FLOATS = [
    5e-324,
    -5e-324,
    1e-310,
    2.2250738585072014e-308,
    1e-300,
    -1e-200,
    1.7976931348623157e308,
    -1e308,
    math.inf,
    -math.inf,
    math.nan,
]
DOUBLES = [*HOSTILE_FLOATS, 0.0, -0.0, 0.5, 91.0, -181.0]
# Repeated fields: a few, and one past each count limit (32 list entries, 64 quality
# parameters, 1000 ids); message fields stay small below the top level to bound the work.
COUNTS = [1, 2, 33, 120]
ID_LIST_OVERFLOW = 1001
MAP_SIZES = [1, 3, 65, 120]
ENUMS = [0, 1, 2, 3, 99, -5, 2**31 - 1]

text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=40))


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    t = field.type
    if t == F.TYPE_STRING:
        return text
    if t == F.TYPE_BYTES:
        return st.one_of(st.binary(max_size=64), st.just(b"\xff\xfe\x00invalid utf-8"))
    if t == F.TYPE_BOOL:
        return st.booleans()
    if t in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return st.one_of(st.sampled_from(DOUBLES), st.floats(width=32 if t == F.TYPE_FLOAT else 64))
    if t == F.TYPE_ENUM:  # proto3 enums are open: unknown numbers travel on the wire
        return st.sampled_from(ENUMS)
    if t in (F.TYPE_UINT32, F.TYPE_FIXED32):
        return st.sampled_from([0, 1, 2**32 - 1])
    if t in (F.TYPE_UINT64, F.TYPE_FIXED64):
        return st.sampled_from([0, 1, 2**64 - 1])
    if t in (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64):
        return st.sampled_from(INT64)
    return st.sampled_from(INT32)


def _fill(message: Message, data: st.DataObject, depth: int) -> None:
    desc: Descriptor = message.DESCRIPTOR
    for field in desc.fields:
        if not data.draw(st.booleans()):
            continue
        name = field.name
        is_message = field.type == F.TYPE_MESSAGE
        if is_message and field.message_type.GetOptions().map_entry:
            key_f, value_f = (
                field.message_type.fields_by_name["key"],
                field.message_type.fields_by_name["value"],
            )
            size = data.draw(st.sampled_from(MAP_SIZES))
            target = getattr(message, name)
            for _ in range(size):
                key = data.draw(_scalar(key_f))
                if value_f.type == F.TYPE_MESSAGE:
                    if depth > 0:
                        _fill(target[key], data, depth - 1)
                else:
                    target[key] = data.draw(_scalar(value_f))
            continue
        repeated = field.is_repeated
        sizes = [*COUNTS, ID_LIST_OVERFLOW] if field.type == F.TYPE_STRING else COUNTS
        count = data.draw(st.sampled_from(sizes)) if repeated else 1
        if is_message:
            if depth <= 0:
                continue
            for _ in range(min(count, 3) if depth < 2 else count):
                child = getattr(message, name).add() if repeated else getattr(message, name)
                if not repeated:
                    child.SetInParent()
                _fill(child, data, depth - 1)
        elif repeated:
            getattr(message, name).extend(data.draw(_scalar(field)) for _ in range(count))
        else:
            setattr(message, name, data.draw(_scalar(field)))


def hostile_message(cls: type[Message], data: st.DataObject, depth: int = 3) -> Message:
    message = cls()
    _fill(message, data, depth)
    return message
