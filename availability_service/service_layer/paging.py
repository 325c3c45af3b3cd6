"""Opaque keyset page tokens (AIP-158): a position and a fingerprint of the query, never access."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from availability_service.domain.errors import InvalidArgument

MAX_TOKEN_LENGTH = 1024


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
        raise InvalidArgument.one(field, "is not a token this service issued") from exc
    if not isinstance(position, list) or issued_for != query_fingerprint:
        raise InvalidArgument.one(field, "was issued for a different query")
    return position


def decode_time_id(token: str, query_fingerprint: str) -> tuple[datetime, uuid.UUID] | None:
    """The (create_time, id) keyset position of a token; None for the first page."""
    if not token:
        return None
    position = decode_token(token, query_fingerprint)
    try:
        return datetime.fromisoformat(position[0]), uuid.UUID(position[1])
    except (ValueError, IndexError, TypeError) as exc:
        raise InvalidArgument.one("page_token", "is not a token this service issued") from exc


def encode_time_id(create_time: datetime, row_id: uuid.UUID, query_fingerprint: str) -> str:
    return encode_token([create_time.isoformat(), str(row_id)], query_fingerprint)
