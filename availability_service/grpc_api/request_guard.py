"""Request-wide rules every RPC shares, checked before any use case runs.

PostgreSQL text cannot hold NUL characters: psycopg2 refuses such a parameter with a
ValueError, which would surface as INTERNAL. Any string field anywhere in a request (names,
request ids, filters, page tokens, map keys) is rejected up front as INVALID_ARGUMENT instead.
"""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from availability_service.domain.errors import Violations

_MAX_VIOLATIONS = 20


def check_request(request: Message) -> None:
    """Raises InvalidArgument naming every string field that contains a NUL character."""
    v = Violations()
    _walk(request, "", v)
    v.raise_if_any()


def _walk(message: Message, prefix: str, v: Violations) -> None:
    for field, value in message.ListFields():
        if len(v.items) >= _MAX_VIOLATIONS:
            return
        path = prefix + field.name
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    _check(key, f"{path}[{str(key)[:40]!r}]", v)
                    if isinstance(item, Message):
                        _walk(item, f"{path}[{str(key)[:40]!r}].", v)
                    else:
                        _check(item, f"{path}[{str(key)[:40]!r}]", v)
            elif field.is_repeated:
                for i, item in enumerate(value):
                    _walk(item, f"{path}[{i}].", v)
            else:
                _walk(value, path + ".", v)
        elif field.type == FieldDescriptor.TYPE_STRING and field.is_repeated:
            for i, item in enumerate(value):
                _check(item, f"{path}[{i}]", v)
        elif field.type == FieldDescriptor.TYPE_STRING:
            _check(value, path, v)


def _check(value: object, path: str, v: Violations) -> None:
    if isinstance(value, str) and "\x00" in value:
        v.add(path, "must not contain NUL characters")
