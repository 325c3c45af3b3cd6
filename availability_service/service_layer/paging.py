"""Opaque keyset page tokens (AIP-158): a position and a fingerprint of the query, never access."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from availability_service.domain.errors import InvalidArgument

MAX_TOKEN_LENGTH = 1024
_NOT_ISSUED = "is not a token this service issued"
Position = TypeVar("Position")


def page_size(requested: int, default: int, maximum: int) -> int:
    """The rows a page holds: `default` for 0, at most `maximum`; negative is INVALID_ARGUMENT."""
    if requested < 0:
        raise InvalidArgument.one("page_size", "must not be negative")
    return min(requested or default, maximum)


def fingerprint(*parts: Any) -> str:
    """Ties a token to the filters it was issued for; reusing it with others is an error."""
    raw = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def encode_token(position: list[Any], query_fingerprint: str) -> str:
    payload = json.dumps({"p": position, "f": query_fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_token(token: str, query_fingerprint: str, field: str = "page_token") -> list[Any]:
    """Returns the position; malformed or foreign tokens are INVALID_ARGUMENT naming the field."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidArgument.one(field, "is too long to be a page token")
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        position = data["p"]
        issued_for = data["f"]
    except (ValueError, KeyError, TypeError, UnicodeError) as exc:
        raise InvalidArgument.one(field, _NOT_ISSUED) from exc
    if not isinstance(position, list) or issued_for != query_fingerprint:
        raise InvalidArgument.one(field, "was issued for a different query")
    return position


def decode_position(
    token: str, query_fingerprint: str, parse: Callable[[list[Any]], Position]
) -> Position:
    """The token's position as `parse` reads it; a position `parse` rejects (ValueError,
    IndexError, TypeError, OverflowError) is a token this service did not issue."""
    position = decode_token(token, query_fingerprint)
    try:
        return parse(position)
    except (ValueError, IndexError, TypeError, OverflowError) as exc:
        raise InvalidArgument.one("page_token", _NOT_ISSUED) from exc


def _time_id(position: list[Any]) -> tuple[datetime, uuid.UUID]:
    return datetime.fromisoformat(position[0]), uuid.UUID(position[1])


def decode_time_id(token: str, query_fingerprint: str) -> tuple[datetime, uuid.UUID] | None:
    """The (create_time, id) keyset position of a token; None for the first page."""
    return decode_position(token, query_fingerprint, _time_id) if token else None


def encode_time_id(create_time: datetime, row_id: uuid.UUID, query_fingerprint: str) -> str:
    return encode_token([create_time.isoformat(), str(row_id)], query_fingerprint)


def _key(position: list[Any]) -> str:
    if len(position) != 1 or not isinstance(position[0], str):
        raise ValueError("not a one-key position")
    return position[0]


def decode_key(token: str, query_fingerprint: str) -> str | None:
    """The last key of a page ordered by one text key; None for the first page."""
    return decode_position(token, query_fingerprint, _key) if token else None


def encode_key(key: str, query_fingerprint: str) -> str:
    return encode_token([key], query_fingerprint)
